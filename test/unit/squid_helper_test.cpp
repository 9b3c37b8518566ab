// The Squid external ACL helper protocol in-process: channel IDs (concurrency=N) and none,
// URL-escaped values, the %DATA value Squid appends, malformed lines, response quoting, and the
// decision log. The end-to-end check with the real Squid is test/integration.

#include "mamori/discover/squid_helper.hpp"

#include <gtest/gtest.h>
#include <simdjson.h>
#include <unistd.h>

#include <cstdio>
#include <thread>

namespace mamori::discover {
namespace {

const catalog::app_catalog& test_catalog() {
  static const catalog::app_catalog cat = [] {
    catalog::app_catalog c;
    diagnostics diag;
    c.load_text(
        "{\"id\":\"drive\",\"name\":\"Drive\",\"category\":\"file-sharing\",\"domains\":[\"drive."
        "example\"]}\n"
        "{\"id\":\"share\",\"name\":\"Share \\\"Quick\\\" It\",\"category\":\"file-sharing\","
        "\"domains\":[\"share.example\",\"198.51.100.7\",\"2001:db8::7\"]}\n",
        "t", catalog::layer::shipped, diag);
    c.finalize(catalog::score_weights::defaults());
    return c;
  }();
  return cat;
}

struct fixture {
  discovery_policy policy;
  catalog::url_category_db ut1;
  std::unique_ptr<access_decider> decider;
  fixture() {
    auto p = parse_policy(
        "sanctioned: [drive]\nprohibited:\n  - app: share\n    alternative: drive\n"
        "block_url_categories: [phishing]\n",
        "p", test_catalog());
    EXPECT_TRUE(p) << p.error().message;
    policy = std::move(*p);
    ut1.add_url("phishing", "login.drive.example/fake");
    decider = std::make_unique<access_decider>(test_catalog(), policy, &ut1);
  }
};

std::string ask(squid_helper& h, std::string_view line) {
  std::string out;
  h.handle_line(line, out);
  return out;
}

TEST(SquidHelper, ChannelIdsAreEchoedAndDecisionsFollowThePolicy) {
  fixture f;
  squid_helper h(*f.decider, {});
  EXPECT_EQ(ask(h, "0 10.0.0.1 alice GET http://drive.example/x"), "0 OK log=app:drive\n");
  EXPECT_EQ(ask(h, "7 10.0.0.1 - GET http://unknown.example/"), "7 OK\n");
  EXPECT_EQ(ask(h, "12 10.0.0.2 bob POST https://up.share.example/u"),
            "12 ERR message=\"Share \\\"Quick\\\" It is prohibited by company policy (it is not "
            "approved); use Drive instead\" tag=mamori_prohibited log=app:share\n");
  // CONNECT sends host:port; IP literals and bracketed IPv6.
  EXPECT_EQ(ask(h, "3 10.0.0.2 - CONNECT share.example:443").substr(0, 6), "3 ERR ");
  EXPECT_EQ(ask(h, "4 10.0.0.2 - CONNECT 198.51.100.7:443").substr(0, 6), "4 ERR ");
  EXPECT_EQ(ask(h, "5 10.0.0.2 - CONNECT [2001:db8::7]:443").substr(0, 6), "5 ERR ");
  EXPECT_EQ(ask(h, "6 10.0.0.2 - CONNECT 198.51.100.8:443"), "6 OK\n");
  // A blocked URL category on a sanctioned host, by path.
  EXPECT_EQ(ask(h, "8 10.0.0.3 - GET http://login.drive.example/fake/page"),
            "8 ERR message=\"blocked by policy: this site is categorised as phishing\" "
            "tag=mamori_category log=category:phishing\n");
  EXPECT_EQ(ask(h, "9 10.0.0.3 - GET http://login.drive.example/real"), "9 OK log=app:drive\n");
  EXPECT_EQ(h.stats().denied, 5u);
  EXPECT_EQ(h.stats().allowed, 4u);
}

TEST(SquidHelper, WithoutConcurrencyEscapesAndDataValue) {
  fixture f;
  helper_options o;
  o.channels = channel_mode::never;
  squid_helper h(*f.decider, o);
  EXPECT_EQ(ask(h, "10.0.0.1 - GET http://drive.example/"), "OK log=app:drive\n");
  // Values are URL-escaped by Squid; %DATA ("-") is appended when FORMAT lacks it.
  EXPECT_EQ(ask(h, "10.0.0.1 John%20Smith GET http%3A%2F%2Fshare.example%2Fa%20b -").substr(0, 4),
            "ERR ");
  EXPECT_EQ(ask(h, "10.0.0.1 - GET\r"), "BH message=\"expected 4 values, got 3\"\n");
  EXPECT_EQ(h.stats().malformed, 1u);
  // Automatic mode: a leading number is a channel, an address is not.
  squid_helper a(*f.decider, {});
  EXPECT_EQ(ask(a, "10.0.0.1 - GET http://drive.example/"), "OK log=app:drive\n");
  EXPECT_EQ(ask(a, "42 ::1 - GET http://drive.example/"), "42 OK log=app:drive\n");
}

TEST(SquidHelper, CustomFieldsHostAndPath) {
  fixture f;
  helper_options o;
  auto fields = parse_helper_fields("-,host,path");
  ASSERT_TRUE(fields);
  o.fields = *fields;
  squid_helper h(*f.decider, o);
  EXPECT_EQ(ask(h, "1 x login.drive.example /fake/1").substr(0, 6), "1 ERR ");
  EXPECT_FALSE(parse_helper_fields("client,user"));
  EXPECT_FALSE(parse_helper_fields("client,colour,url"));
}

TEST(SquidHelper, ServesPipelinedRequestsAndLogsOcsfDecisions) {
  fixture f;
  int in[2], out[2];
  ASSERT_EQ(::pipe(in), 0);
  ASSERT_EQ(::pipe(out), 0);
  std::FILE* log = std::tmpfile();
  helper_options o;
  o.log = log;
  squid_helper h(*f.decider, o);
  std::thread server([&] {
    auto st = h.serve(in[0], out[1]);
    EXPECT_TRUE(st);
    ::close(out[1]);
  });
  const std::string requests =
      "0 10.0.0.1 alice GET http://drive.example/\n"
      "1 10.0.0.2 bob GET http://share.example/\n"
      "2 10.0.0.3 - CONNECT unknown.example:443";  // no final newline: answered at EOF
  ASSERT_EQ(::write(in[1], requests.data(), requests.size()),
            static_cast<ssize_t>(requests.size()));
  ::close(in[1]);
  std::string answers;
  char buf[4096];
  for (ssize_t n; (n = ::read(out[0], buf, sizeof buf)) > 0;)
    answers.append(buf, static_cast<std::size_t>(n));
  server.join();
  ::close(in[0]);
  ::close(out[0]);
  EXPECT_EQ(answers.substr(0, answers.find('\n')), "0 OK log=app:drive");
  EXPECT_NE(answers.find("\n1 ERR message="), std::string::npos);
  EXPECT_NE(answers.find("\n2 OK\n"), std::string::npos);

  std::rewind(log);
  std::string text;
  while (std::fgets(buf, sizeof buf, log)) text += buf;
  std::fclose(log);
  simdjson::dom::parser parser;
  std::vector<std::string> actions;
  std::size_t pos = 0;
  for (std::size_t nl; (nl = text.find('\n', pos)) != std::string::npos; pos = nl + 1) {
    simdjson::dom::element e;
    ASSERT_EQ(parser.parse(text.substr(pos, nl - pos)).get(e), simdjson::SUCCESS);
    EXPECT_EQ(int64_t(e["class_uid"]), 4002);
    actions.emplace_back(std::string_view(e["action"]));
    if (actions.size() == 2) {
      EXPECT_EQ(std::string_view(e["actor"]["user"]["name"]), "bob");
      EXPECT_EQ(std::string_view(e["unmapped"]["app"]), "share");
      EXPECT_EQ(int64_t(e["disposition_id"]), 2);
    }
    if (actions.size() == 3) {
      EXPECT_EQ(int64_t(e["activity_id"]), 1);  // CONNECT
    }
  }
  EXPECT_EQ(actions, (std::vector<std::string>{"Allowed", "Denied", "Allowed"}));
}

}  // namespace
}  // namespace mamori::discover
