// Loading: the YAML reader's positions, collections (action: global/reset/repeat), filters
// (Sigma filters specification), the logsource pipeline (resolution, field mapping, override),
// problem reports, and the OCSF Detection Finding a match produces.

#include <gtest/gtest.h>
#include <simdjson.h>

#include "mamori/detect/sigma/yaml.hpp"
#include "sigma_test_util.hpp"

namespace mamori::sigma {
namespace {

using testing::engine;
using testing::ev;
using testing::rule;

TEST(SigmaYaml, PositionsQuotingAndErrors) {
  auto docs = parse_yaml("a: 1\nb: 'x'\nc: null\nd: ~\ne:\n  - k\n---\nf: true\n");
  ASSERT_TRUE(docs);
  ASSERT_EQ(docs->size(), 2u);
  const ynode& d = (*docs)[0];
  EXPECT_TRUE(d.get("c")->is_null());
  EXPECT_TRUE(d.get("d")->is_null());
  EXPECT_FALSE(d.get("a")->quoted);
  EXPECT_TRUE(d.get("b")->quoted);
  EXPECT_EQ(d.get("e")->items[0].line, 6u);
  EXPECT_EQ(d.get("e")->items[0].column, 5u);
  EXPECT_EQ((*docs)[1].get("f")->as_bool(), true);
  auto bad = parse_yaml("a: [1,\nb: 2\n");
  ASSERT_FALSE(bad);
  EXPECT_GT(bad.error().line, 0u);
  EXPECT_FALSE(bad.error().message.empty());
}

TEST(SigmaLoading, InvalidYamlIsReportedWithLine) {
  engine e("title: x\nlogsource:\n    product: test\ndetection:\n    sel: [a,\n");
  EXPECT_EQ(e.report.invalid, 1u);
  EXPECT_NE(e.problems().find("YAML"), std::string::npos);
  EXPECT_NE(e.problems().find("test.yml:"), std::string::npos);
}

TEST(SigmaLoading, MissingSectionsAreInvalid) {
  engine no_title("logsource:\n    product: test\ndetection:\n    s:\n        A: 1\n    condition: s\n");
  EXPECT_EQ(no_title.report.invalid, 1u);
  engine no_ls("title: x\ndetection:\n    s:\n        A: 1\n    condition: s\n");
  EXPECT_EQ(no_ls.report.invalid, 1u);
  engine bad_level(rule("    s:\n        A: 1\n    condition: s") + "level: severe\n");
  EXPECT_EQ(bad_level.report.invalid, 1u);
  // Problems in one document do not stop the others.
  engine mixed(rule("    s:\n        A: 1\n    condition: s", "good") + "---\n" +
               rule("    s:\n        A|nope: 1\n    condition: s", "bad"));
  EXPECT_EQ(mixed.report.loaded, 1u);
  EXPECT_EQ(mixed.report.invalid, 1u);
  EXPECT_TRUE(mixed.matches(ev().add("A", "1")));
}

TEST(SigmaLoading, CollectionsGlobalResetRepeat) {
  const std::string yaml =
      "action: global\n"
      "title: Base\n"
      "logsource:\n    product: test\n"
      "detection:\n    common:\n        A: 1\n    condition: common and specific\n"
      "---\n"
      "title: First\n"
      "detection:\n    specific:\n        B: 1\n"
      "---\n"
      "action: repeat\n"
      "title: Second\n"
      "detection:\n    specific:\n        B: 2\n"
      "---\n"
      "action: reset\n"
      "---\n"
      "title: Alone\n"
      "logsource:\n    product: test\n"
      "detection:\n    s:\n        C: 1\n    condition: s\n";
  engine e(yaml);
  ASSERT_EQ(e.report.loaded, 3u) << e.problems();
  EXPECT_EQ(e.titles(ev().add("A", "1").add("B", "1")), std::vector<std::string>{"First"});
  EXPECT_EQ(e.titles(ev().add("A", "1").add("B", "2")), std::vector<std::string>{"Second"});
  EXPECT_TRUE(e.titles(ev().add("B", "1")).empty());
  EXPECT_EQ(e.titles(ev().add("C", "1")), std::vector<std::string>{"Alone"});
}

TEST(SigmaLoading, FiltersSuppressMatchesOfTheirRules) {
  // Sigma filters specification, with the example's selection.
  const std::string yaml = rule("    sel:\n        Image|endswith: '\\rar.exe'\n    condition: sel",
                                "Data Compressed") +
                           "id: 6f3e2987-db24-4c78-a860-b4f4095a7095\n---\n" +
                           rule("    sel:\n        Image|endswith: '\\7z.exe'\n    condition: sel",
                                "Other") +
                           "---\n"
                           "title: Filter Administrator account\n"
                           "logsource:\n    product: test\n"
                           "filter:\n    rules:\n        - 6f3e2987-db24-4c78-a860-b4f4095a7095\n"
                           "    selection:\n        User|startswith: 'adm_'\n"
                           "    condition: selection\n";
  engine e(yaml);
  ASSERT_TRUE(e.loaded()) << e.problems();
  EXPECT_EQ(e.report.filter, 1u);
  EXPECT_FALSE(e.matches(ev().add("Image", "C:\\rar.exe").add("User", "adm_bob")));
  EXPECT_TRUE(e.matches(ev().add("Image", "C:\\rar.exe").add("User", "bob")));
  EXPECT_TRUE(e.matches(ev().add("Image", "C:\\7z.exe").add("User", "adm_bob")));  // not listed
}

TEST(SigmaLoading, FilterForUnknownRuleIsReported) {
  engine e("title: F\nlogsource:\n    product: test\nfilter:\n    rules: [nope]\n"
           "    s:\n        A: 1\n    condition: s\n");
  EXPECT_EQ(e.report.unsupported, 1u);
  EXPECT_NE(e.problems().find("applies to no loaded rule"), std::string::npos);
}

TEST(SigmaPipeline, ResolutionAndFieldMapping) {
  // product: test + category: mapped only applies to events with kind=mapped, where Image
  // is read from NewProcessName.
  engine e(rule("    sel:\n        Image|endswith: '\\cmd.exe'\n    condition: sel", "mapped",
                "product: test\n    category: mapped"));
  ASSERT_TRUE(e.loaded()) << e.problems();
  EXPECT_TRUE(e.matches(ev().add("kind", "mapped").add("NewProcessName", "C:\\cmd.exe")));
  EXPECT_FALSE(e.matches(ev().add("kind", "mapped").add("Image", "C:\\cmd.exe")));
  EXPECT_FALSE(e.matches(ev().add("kind", "other").add("NewProcessName", "C:\\cmd.exe")));
  // A logsource without an entry is unsupported, with the reason.
  engine none(rule("    sel:\n        A: 1\n    condition: sel", "x", "product: nowhere"));
  EXPECT_EQ(none.report.unsupported, 1u);
  EXPECT_NE(none.problems().find("logsource product=nowhere has no pipeline mapping"),
            std::string::npos);
}

TEST(SigmaPipeline, ExactEntriesWinOverMoreSpecificOnes) {
  logsource_pipeline p;
  ASSERT_TRUE(p.merge_text(R"(
logsources:
  win-any: {logsource: {product: windows}, when: {format: w}}
  win-proc: {logsource: {product: windows, category: process_creation}, when: {format: w, EventID: 1}}
  win-proc-sec: {logsource: {product: windows, category: process_creation}, when: {format: w, EventID: 4688}}
  lnx-proc: {logsource: {product: linux, category: process_creation}, when: {format: l}}
)",
                           "p"));
  auto names = [&](logsource ls) {
    std::vector<std::string> out;
    for (auto* e : p.resolve(ls)) out.push_back(e->name);
    return out;
  };
  EXPECT_EQ(names({"windows", "", "process_creation"}),
            (std::vector<std::string>{"win-proc", "win-proc-sec"}));
  EXPECT_EQ(names({"windows", "", ""}), std::vector<std::string>{"win-any"});
  EXPECT_EQ(names({"", "", "process_creation"}),
            (std::vector<std::string>{"win-proc", "win-proc-sec", "lnx-proc"}));
  EXPECT_TRUE(names({"windows", "sysmon", ""}).empty());
  // Override by name, disable, and replace. Without an exact entry, a rule applies to the
  // more specific entries (subsets of the events it asks for).
  ASSERT_TRUE(p.merge_text("logsources:\n  win-any: {disabled: true}\n", "o"));
  EXPECT_EQ(names({"windows", "", ""}), (std::vector<std::string>{"win-proc", "win-proc-sec"}));
  ASSERT_TRUE(p.merge_text("replace: true\nlogsources:\n  only: {logsource: {product: x}}\n", "r"));
  EXPECT_EQ(p.entries().size(), 1u);
  // Errors carry the position.
  auto bad = p.merge_text("logsources:\n  e: {when: {format: x}}\n", "bad.yml");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("bad.yml:2"), std::string::npos) << bad.error().message;
}

TEST(SigmaPipeline, DefaultPipelineLoadsAndCoversWindowsCategories) {
  auto p = logsource_pipeline::load_default();
  ASSERT_TRUE(p) << p.error().message;
  auto targets = p->resolve({"windows", "", "process_creation"});
  ASSERT_EQ(targets.size(), 2u);
  auto mapped = p->event_fields(*targets[1], "Image");
  EXPECT_EQ(mapped, std::vector<std::string>{"NewProcessName"});
  EXPECT_EQ(p->resolve({"windows", "", "registry_set"}).size(), 1u);
  EXPECT_EQ(p->resolve({"aws", "cloudtrail", ""}).size(), 1u);
  EXPECT_EQ(p->resolve({"windows", "security", ""}).size(), 1u);
}

TEST(SigmaFindings, DetectionFindingJson) {
  engine e(rule("    selection:\n        CommandLine|contains: 'whoami'\n    condition: selection",
                "Whoami Execution") +
           "id: 929a690e-bef0-4204-a928-ef5e620d6fcc\nlevel: high\n"
           "tags:\n    - attack.discovery\n    - attack.t1033\n");
  ASSERT_TRUE(e.loaded()) << e.problems();
  sigma_detector det(e.compiled, {"test"});
  struct collect final : finding_sink {
    std::vector<finding> got;
    void emit(finding f) override { got.push_back(std::move(f)); }
  } sink;
  event_batch batch;
  event& ev1 = batch.add();
  std::deque<std::string> store;
  ev().add("CommandLine", "cmd /c whoami /all").add("Computer", "HOST1").build(ev1, store);
  det.observe(batch, sink);
  ASSERT_EQ(sink.got.size(), 1u);
  const finding& f = sink.got[0];
  EXPECT_EQ(f.rule_uid, "929a690e-bef0-4204-a928-ef5e620d6fcc");
  EXPECT_EQ(f.attacks, std::vector<std::string>{"T1033"});
  EXPECT_EQ(f.host, "HOST1");
  ASSERT_EQ(f.matched.size(), 1u);
  EXPECT_EQ(f.matched[0].selection, "selection");
  EXPECT_EQ(f.matched[0].field, "CommandLine");
  EXPECT_EQ(f.matched[0].value, "cmd /c whoami /all");

  const std::string json = finding_to_json(f);
  simdjson::dom::parser parser;
  auto doc = parser.parse(json);
  ASSERT_FALSE(doc.error()) << json;
  auto root = doc.value();
  EXPECT_EQ(int64_t(root["class_uid"]), 2004);
  EXPECT_EQ(int64_t(root["category_uid"]), 2);
  EXPECT_EQ(int64_t(root["activity_id"]), 1);
  EXPECT_EQ(int64_t(root["type_uid"]), 200401);
  EXPECT_EQ(int64_t(root["severity_id"]), 4);
  EXPECT_EQ(std::string_view(root["severity"]), "High");
  EXPECT_EQ(std::string_view(root["rule"]["uid"]), "929a690e-bef0-4204-a928-ef5e620d6fcc");
  EXPECT_EQ(std::string_view(root["rule"]["name"]), "Whoami Execution");
  EXPECT_EQ(std::string_view(root["rule"]["source"]), "sigma");
  EXPECT_EQ(std::string_view(root["attacks"].at(0)), "T1033");
  EXPECT_EQ(std::string_view(root["finding_info"]["analytic"]["uid"]),
            "929a690e-bef0-4204-a928-ef5e620d6fcc");
  EXPECT_EQ(std::string_view(root["finding_info"]["attacks"].at(0)["technique"]["uid"]), "T1033");
  EXPECT_EQ(std::string_view(root["finding_info"]["uid"]).size(), 16u);
  EXPECT_EQ(std::string_view(root["matched"].at(0)["value"]), "cmd /c whoami /all");
  EXPECT_EQ(std::string_view(root["evidences"].at(0)["unmapped"]["CommandLine"]),
            "cmd /c whoami /all");
  EXPECT_FALSE(std::string_view(root["explanation"]).empty());
  // The finding uid is stable: same rule, same event.
  sigma_detector det2(e.compiled, {"test"});
  struct collect sink2;
  det2.observe(batch, sink2);
  ASSERT_EQ(sink2.got.size(), 1u);
  EXPECT_EQ(sink2.got[0].finding_uid, f.finding_uid);
  EXPECT_EQ(severity_from_level("critical"), ocsf::severity_id::critical);
  EXPECT_EQ(severity_from_level("bogus"), ocsf::severity_id::unknown);
}

TEST(SigmaFindings, MinLevelSuppressesLowerFindings) {
  rule_collection rules;
  collect_text(rule("    s:\n        A: 1\n    condition: s", "low") + "level: low\n---\n" +
                   rule("    s:\n        A: 1\n    condition: s", "high") + "level: high\n",
               "t.yml", rules);
  logsource_pipeline p;
  ASSERT_TRUE(p.merge_text(testing::test_pipeline, "p"));
  load_report report;
  compile_options opt;
  opt.min_level = "medium";
  auto compiled = compile_ruleset(rules, std::move(p), opt, report);
  ASSERT_EQ(compiled->rules.size(), 2u);
  EXPECT_FALSE(compiled->rules[0].emit);
  EXPECT_TRUE(compiled->rules[1].emit);
}

}  // namespace
}  // namespace mamori::sigma
