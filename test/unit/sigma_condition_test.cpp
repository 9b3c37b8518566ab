// Conditions (Sigma rules specification v2.1, "Condition"): and/or/not, parentheses,
// precedence (or < and < not < x of < parentheses), `1 of` / `all of` with patterns and
// `them`, condition lists, and the errors for invalid or removed syntax.

#include "mamori/detect/sigma/condition.hpp"

#include <gtest/gtest.h>

#include "sigma_test_util.hpp"

namespace mamori::sigma {
namespace {

using testing::engine;
using testing::ev;
using testing::rule;

std::string parsed(std::string_view text) {
  auto c = parse_condition(text);
  return c ? c->to_string() : "ERROR: " + c.error().message;
}

TEST(SigmaConditionParser, Precedence) {
  EXPECT_EQ(parsed("a or b and c"), "(a or (b and c))");
  EXPECT_EQ(parsed("a and b or c"), "((a and b) or c)");
  EXPECT_EQ(parsed("not a and b"), "(not a and b)");
  EXPECT_EQ(parsed("not a or not b and c"), "(not a or (not b and c))");
  EXPECT_EQ(parsed("(a or b) and c"), "((a or b) and c)");
  EXPECT_EQ(parsed("a and not (b or c)"), "(a and not (b or c))");
  EXPECT_EQ(parsed("not 1 of filter*"), "not 1 of filter*");
  EXPECT_EQ(parsed("1 of selection* and not 1 of filter*"),
            "(1 of selection* and not 1 of filter*)");
  EXPECT_EQ(parsed("all of them"), "all of them");
  EXPECT_EQ(parsed("a AND b OR NOT c"), "((a and b) or not c)");  // keywords any case
  EXPECT_EQ(parsed("((a))"), "a");
  EXPECT_EQ(parsed("not not a"), "not not a");
}

TEST(SigmaConditionParser, Errors) {
  EXPECT_FALSE(parse_condition("a and"));
  EXPECT_FALSE(parse_condition("(a or b"));
  EXPECT_FALSE(parse_condition("a b"));
  EXPECT_FALSE(parse_condition("1 of"));
  EXPECT_FALSE(parse_condition(""));
  auto agg = parse_condition("selection | count() by host > 5");
  ASSERT_FALSE(agg);
  EXPECT_TRUE(agg.error().unsupported);
  auto two = parse_condition("2 of sel*");
  ASSERT_FALSE(two);
  EXPECT_TRUE(two.error().unsupported);
  auto near = parse_condition("a near b");
  ASSERT_FALSE(near);
}

TEST(SigmaConditionParser, IdentifierPatterns) {
  EXPECT_TRUE(ident_matches("selection*", "selection"));
  EXPECT_TRUE(ident_matches("selection*", "selection_img"));
  EXPECT_FALSE(ident_matches("selection*", "filter"));
  EXPECT_TRUE(ident_matches("*_img", "selection_img"));
  EXPECT_TRUE(ident_matches("sel*_x*", "sel_a_x_b"));
  EXPECT_FALSE(ident_matches("sel", "selection"));
}

// a: A=1, b: B=1, c: C=1 — the truth table of an expression over three selections.
std::string truth_table(std::string_view condition) {
  engine e(rule(std::string("    a:\n        A: 1\n    b:\n        B: 1\n    c:\n        C: 1\n"
                            "    condition: ") +
                std::string(condition)));
  EXPECT_TRUE(e.loaded()) << e.problems();
  std::string out;
  for (int m = 0; m < 8; ++m) {
    auto b = ev().add("X", "x");
    if (m & 1) b.add("A", "1");
    if (m & 2) b.add("B", "1");
    if (m & 4) b.add("C", "1");
    out += e.matches(b) ? '1' : '0';
  }
  return out;
}

TEST(SigmaConditions, PrecedenceOnEvents) {
  // Bits: index m = a + 2b + 4c.
  EXPECT_EQ(truth_table("a or b and c"), "01010111");
  EXPECT_EQ(truth_table("(a or b) and c"), "00000111");
  EXPECT_EQ(truth_table("not a and b"), "00100010");
  EXPECT_EQ(truth_table("not (a and b)"), "11101110");
  EXPECT_EQ(truth_table("a and not b or c"), "01001111");
  EXPECT_EQ(truth_table("1 of them"), "01111111");
  EXPECT_EQ(truth_table("all of them"), "00000001");
  EXPECT_EQ(truth_table("not 1 of them"), "10000000");
}

TEST(SigmaConditions, OneOfAndAllOfPatterns) {
  engine e(rule("    selection_a:\n        A: 1\n    selection_b:\n        B: 1\n"
                "    filter_x:\n        X: 1\n    _hidden:\n        H: 1\n"
                "    condition: all of selection_* and not 1 of filter*"));
  ASSERT_TRUE(e.loaded()) << e.problems();
  EXPECT_TRUE(e.matches(ev().add("A", "1").add("B", "1")));
  EXPECT_FALSE(e.matches(ev().add("A", "1")));
  EXPECT_FALSE(e.matches(ev().add("A", "1").add("B", "1").add("X", "1")));
  // `them` ignores identifiers starting with an underscore.
  engine t(rule("    a:\n        A: 1\n    _b:\n        B: 1\n    condition: all of them"));
  EXPECT_TRUE(t.matches(ev().add("A", "1")));
  engine explicit_hidden(rule("    a:\n        A: 1\n    _b:\n        B: 1\n"
                              "    condition: all of _*"));
  EXPECT_TRUE(explicit_hidden.matches(ev().add("B", "1")));
}

TEST(SigmaConditions, ConditionListIsOr) {
  engine e(rule("    a:\n        A: 1\n    b:\n        B: 1\n    condition:\n        - a\n        - b"));
  ASSERT_TRUE(e.loaded()) << e.problems();
  EXPECT_TRUE(e.matches(ev().add("A", "1")));
  EXPECT_TRUE(e.matches(ev().add("B", "1")));
  EXPECT_FALSE(e.matches(ev().add("C", "1")));
}

TEST(SigmaConditions, NegationOnlyRules) {
  // No selection to look for: such a rule is evaluated on every event of its logsource.
  engine e(rule("    filter:\n        User: SYSTEM\n    condition: not filter"));
  ASSERT_TRUE(e.loaded()) << e.problems();
  EXPECT_TRUE(e.matches(ev().add("User", "bob")));
  EXPECT_FALSE(e.matches(ev().add("User", "system")));
}

TEST(SigmaConditions, ProblemsAreReportedWithPosition) {
  engine unknown(rule("    sel:\n        A: 1\n    condition: sel and missing"));
  EXPECT_EQ(unknown.report.invalid, 1u);
  EXPECT_NE(unknown.problems().find("unknown search identifier 'missing'"), std::string::npos);
  EXPECT_NE(unknown.problems().find("test.yml:7"), std::string::npos) << unknown.problems();
  engine none(rule("    sel:\n        A: 1\n    condition: 1 of filter*"));
  EXPECT_EQ(none.report.invalid, 1u);
  engine agg(rule("    sel:\n        A: 1\n    condition: sel | count() > 5"));
  EXPECT_EQ(agg.report.unsupported, 1u);
  engine nocond(rule("    sel:\n        A: 1"));
  EXPECT_EQ(nocond.report.invalid, 1u);
  EXPECT_NE(nocond.problems().find("missing condition"), std::string::npos);
}

}  // namespace
}  // namespace mamori::sigma
