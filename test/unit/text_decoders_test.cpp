// Behaviour of the text and network decoders (syslog, journald, Squid, W3C, Zeek, Proxifier)
// on the shared datasets, checked against oracles computed here from the raw text, plus the
// Linux auth interpretation and year inference on synthetic messages.

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <utime.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "mamori/decode/linux_auth.hpp"
#include "mamori/decode/text_scan.hpp"
#include "mamori/decode/yearless.hpp"
#include "mamori/event/time.hpp"
#include "mamori/io/byte_stream.hpp"
#include "mamori/pipeline/parse_job.hpp"

namespace mamori {
namespace {

namespace fs = std::filesystem;

const fs::path shared = MAMORI_SHARED_DATA;

#define REQUIRE_SHARED(path)                                                 \
  if (!fs::exists(shared / (path))) {                                        \
    GTEST_SKIP() << "../shared/data is absent (" << (path) << "); skipping"; \
  }

using event_fn = std::function<void(const event&, std::string_view format)>;

class callback_sink final : public event_sink {
 public:
  explicit callback_sink(event_fn f) : f_(std::move(f)) {}
  void consume(const event_batch& batch) override {
    const auto& registry = decoder_registry::builtin();
    for (const event& e : batch.events()) f_(e, registry.at(e.decoder).name);
  }

 private:
  event_fn f_;
};

struct decoded {
  parse_stats stats;
  std::vector<std::string> warnings;
};

decoded decode_files(const std::vector<std::string>& files, const event_fn& f,
                     std::optional<std::string> format = std::nullopt) {
  decoded out;
  diagnostics diag([&](const diagnostic& d) { out.warnings.push_back(render(d)); }, 100000);
  parse_options options;
  options.format = std::move(format);
  parse_job job(decoder_registry::builtin(), options, diag);
  callback_sink sink(f);
  out.stats = job.run(files, sink);
  return out;
}

std::vector<std::string> read_lines(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::vector<std::string> lines;
  std::string l;
  while (std::getline(in, l)) {
    if (!l.empty() && l.back() == '\r') l.pop_back();
    lines.push_back(l);
  }
  return lines;
}

std::string str(const event& e, ocsf::attr a) {
  return std::string(e.get_string(a));
}

// --- sshd brute force in the loghub OpenSSH sample -------------------------------------------

TEST(SyslogOpenSsh, CountsFailedPasswordsPerSourceIp) {
  REQUIRE_SHARED("ssh/loghub/OpenSSH/OpenSSH_2k.log");
  const fs::path file = shared / "ssh/loghub/OpenSSH/OpenSSH_2k.log";
  const field_id repeat = intern_field("repeat_count");
  std::map<std::string, int> per_ip;
  std::vector<std::string> users;
  std::int64_t attempts = 0;
  auto r = decode_files({file.string()}, [&](const event& e, std::string_view fmt) {
    EXPECT_EQ(fmt, "syslog");
    if (e.class_uid != ocsf::event_class::authentication || e.status != ocsf::status_id::failure ||
        e.activity_id != ocsf::activity::logon || str(e, ocsf::attr::auth_protocol) != "password") {
      return;
    }
    ++per_ip[str(e, ocsf::attr::src_ip)];
    users.push_back(str(e, ocsf::attr::actor_user_name));
    const value* n = e.raw(repeat);
    attempts += n != nullptr ? *n->as_integer() : 1;
  });
  EXPECT_EQ(r.stats.rejected, 0u);
  EXPECT_EQ(r.stats.events, 2000u);

  // Oracle from the text: every line that says "Failed password for" is one event (two of them
  // are rsyslog's "message repeated 5 times: [ Failed password ... ]").
  int oracle = 0;
  for (const auto& l : read_lines(file))
    oracle += l.find("Failed password for") != std::string::npos;
  int events = 0;
  for (const auto& [ip, n] : per_ip) events += n;
  EXPECT_EQ(events, oracle);
  EXPECT_EQ(events, 520);
  EXPECT_EQ(per_ip.size(), 23u);
  EXPECT_EQ(per_ip["183.62.140.253"], 286);
  // Attempts: the two repeated lines stand for 5 each.
  EXPECT_EQ(attempts, 518 + 2 * 5);
  // PROVENANCE.md quotes 519: a regex "Failed password for (invalid user )?(\S+) from" misses
  // the one attempt whose user name starts with a space ("invalid user  0101"). It is a real
  // failed password; mamori keeps it with the name as sshd logged it.
  const auto spaced = std::count_if(users.begin(), users.end(),
                                    [](const std::string& u) { return u.starts_with(' '); });
  EXPECT_EQ(spaced, 1);
  EXPECT_EQ(events - spaced, 519);
}

TEST(SyslogLinux, ReadsEveryLineAndMapsPamFailures) {
  REQUIRE_SHARED("ssh/loghub/Linux/Linux_2k.log");
  const fs::path file = shared / "ssh/loghub/Linux/Linux_2k.log";
  int ssh_failures = 0, su_sessions = 0, remote_hostnames = 0;
  auto r = decode_files({file.string()}, [&](const event& e, std::string_view) {
    if (e.class_uid != ocsf::event_class::authentication) return;
    const std::string svc = str(e, ocsf::attr::dst_svc_name);
    if (svc == "sshd" && e.status == ocsf::status_id::failure) {
      ++ssh_failures;
      if (!str(e, ocsf::attr::src_hostname).empty()) ++remote_hostnames;
    }
    if (svc == "su" && e.activity_id == ocsf::activity::logon) ++su_sessions;
  });
  EXPECT_EQ(r.stats.rejected, 0u);
  EXPECT_EQ(r.stats.events, 2000u);
  int oracle_failures = 0, oracle_su = 0, oracle_hostnames = 0;
  for (const auto& l : read_lines(file)) {
    if (l.find("sshd(pam_unix)") != std::string::npos &&
        l.find("authentication failure") != std::string::npos) {
      ++oracle_failures;
      const auto rhost = l.substr(l.find("rhost=") + 6);
      const std::string host = rhost.substr(0, rhost.find(' '));
      if (!text::is_ip(host)) ++oracle_hostnames;
    }
    if (l.find("su(pam_unix)") != std::string::npos &&
        l.find("session opened") != std::string::npos) {
      ++oracle_su;
    }
  }
  EXPECT_GT(oracle_failures, 0);
  EXPECT_EQ(ssh_failures, oracle_failures);
  EXPECT_EQ(remote_hostnames, oracle_hostnames);
  EXPECT_EQ(su_sessions, oracle_su);
}

// --- sniffing -----------------------------------------------------------------------------------

std::optional<std::string> sniffed(const fs::path& p) {
  auto stream = open_input(p.string());
  if (!stream) return std::nullopt;
  input_reader in(std::move(*stream));
  auto index = detect_format(decoder_registry::builtin(), p.string(), in);
  if (!index) return std::nullopt;
  return decoder_registry::builtin().at(*index).name;
}

TEST(TextSniffers, DoNotClaimLoghubCsvFiles) {
  REQUIRE_SHARED("ssh/loghub");
  const std::set<std::string> mine = {"syslog", "journald",  "squid",    "w3c",
                                      "zeek",   "zeek_json", "proxifier"};
  int checked = 0;
  for (const auto& entry : fs::recursive_directory_iterator(shared / "ssh/loghub")) {
    if (entry.path().extension() != ".csv") continue;
    ++checked;
    const auto name = sniffed(entry.path());
    EXPECT_TRUE(!name || mine.count(*name) == 0) << entry.path() << " claimed by " << *name;
  }
  EXPECT_EQ(checked, 6);
}

TEST(TextSniffers, PickTheRightDecoderForEachSharedFile) {
  REQUIRE_SHARED("network/zeek");
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"ssh/loghub/OpenSSH/OpenSSH_2k.log", "syslog"},
      {"ssh/loghub/Linux/Linux_2k.log", "syslog"},
      {"ssh/loghub/Proxifier/Proxifier_2k.log", "proxifier"},
      {"proxy/format-fixtures/squid_access.log", "squid"},  // first line is garbage
      {"proxy/format-fixtures/iis_w3c_u_ex221107.log", "w3c"},
  };
  for (const auto& [path, format] : expected) EXPECT_EQ(sniffed(shared / path), format) << path;
  for (const auto& entry : fs::recursive_directory_iterator(shared / "network/zeek")) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_regular_file() ||
        !(name.ends_with(".log") || name.find(".json") != name.npos || name.ends_with(".log.gz"))) {
      continue;
    }
    const bool tsv = entry.path().string().find("otrf_lsass") != std::string::npos ||
                     entry.path().string().find("zeek-default") != std::string::npos;
    EXPECT_EQ(sniffed(entry.path()), tsv ? "zeek" : "zeek_json") << entry.path();
  }
}

// --- acceptance: the shared ssh/proxy/network data reads with no rejects but the fixtures' ---

TEST(TextDecoders, SharedDataHasNoRejectsButTheSquidGarbageLines) {
  REQUIRE_SHARED("proxy/format-fixtures/squid_access.log");
  std::vector<std::string> files;
  for (const char* dir : {"ssh", "proxy", "network"}) {
    for (const auto& entry : fs::recursive_directory_iterator(shared / dir)) {
      if (entry.is_regular_file()) files.push_back(entry.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  std::map<std::string, std::uint64_t> per_format;
  auto r =
      decode_files(files, [&](const event&, std::string_view f) { ++per_format[std::string(f)]; });
  std::size_t garbage = 0;
  for (const auto& l : read_lines(shared / "proxy/format-fixtures/squid_access.log")) {
    garbage += l.starts_with("Unmatched!");
  }
  EXPECT_EQ(r.stats.rejected, garbage);
  std::size_t rejected_lines = 0;
  for (const auto& w : r.warnings) {
    if (w.find("record rejected") == std::string::npos) continue;
    ++rejected_lines;
    EXPECT_NE(w.find("squid_access.log:"), std::string::npos) << w;
    EXPECT_NE(w.find("'Unmatched!' is not an epoch timestamp"), std::string::npos) << w;
  }
  EXPECT_EQ(rejected_lines, garbage);
  for (const char* f : {"syslog", "squid", "w3c", "zeek", "zeek_json", "proxifier"}) {
    EXPECT_GT(per_format[f], 0u) << f;
  }
}

// --- Zeek: the TSV and JSON writers of the same capture agree ---------------------------------

struct zeek_row {
  std::int64_t time_us;
  std::string src, dst, name;
  ocsf::status_id status;
  bool operator==(const zeek_row&) const = default;
};

std::vector<zeek_row> zeek_rows(const fs::path& p, ocsf::attr name) {
  std::vector<zeek_row> rows;
  auto r = decode_files({p.string()}, [&](const event& e, std::string_view) {
    rows.push_back({e.time_ns / 1000, str(e, ocsf::attr::src_ip), str(e, ocsf::attr::dst_ip),
                    str(e, name), e.status});
  });
  EXPECT_EQ(r.stats.rejected, 0u) << p;
  return rows;
}

TEST(Zeek, TsvAndJsonOfTheSameLogsAgree) {
  REQUIRE_SHARED("network/zeek/wrccdc2018_zed_sample/zeek-default/dns.log.gz");
  const fs::path dir = shared / "network/zeek/wrccdc2018_zed_sample";
  for (const auto& [log, name] :
       std::vector<std::pair<std::string, ocsf::attr>>{{"dns", ocsf::attr::query_hostname},
                                                       {"ssl", ocsf::attr::tls_sni},
                                                       {"ssh", ocsf::attr::dst_ip}}) {
    const auto tsv = zeek_rows(dir / ("zeek-default/" + log + ".log.gz"), name);
    fs::path json = dir / ("zeek-json/" + log + ".json.gz");
    if (!fs::exists(json)) json = dir / ("zeek-json/" + log + ".json");
    const auto js = zeek_rows(json, name);
    ASSERT_EQ(tsv.size(), js.size()) << log;
    ASSERT_GT(tsv.size(), 0u);
    std::size_t mismatches = 0;
    for (std::size_t k = 0; k < tsv.size(); ++k) mismatches += !(tsv[k] == js[k]);
    EXPECT_EQ(mismatches, 0u) << log;
  }
}

// --- Proxifier: destinations as the shadow-IT discovery will count them ------------------------

TEST(Proxifier, DestinationsMatchTheLogText) {
  REQUIRE_SHARED("ssh/loghub/Proxifier/Proxifier_2k.log");
  const fs::path file = shared / "ssh/loghub/Proxifier/Proxifier_2k.log";
  std::set<std::string> decoded_hosts, oracle;
  std::uint64_t bytes_in = 0, oracle_in = 0;
  auto r = decode_files({file.string()}, [&](const event& e, std::string_view) {
    std::string h = str(e, ocsf::attr::dst_hostname);
    if (h.empty()) h = str(e, ocsf::attr::dst_ip);
    decoded_hosts.insert(h);
    if (const value* v = e.get(ocsf::attr::bytes_in)) bytes_in += static_cast<std::uint64_t>(v->i);
  });
  EXPECT_EQ(r.stats.rejected, 0u);
  for (const auto& l : read_lines(file)) {
    const auto dash = l.find(" - ");
    const std::string dest = l.substr(dash + 3, l.find(' ', dash + 3) - dash - 3);
    oracle.insert(dest.substr(0, dest.rfind(':')));
    // "..., 1671 bytes received, ..." or "..., 1671 bytes (1.63 KB) received, ..."
    const auto recv = l.find(" received,");
    if (recv != std::string::npos) {
      const auto bytes = l.rfind(" bytes", recv);
      const auto start = l.rfind(' ', bytes - 1) + 1;
      oracle_in += std::stoull(l.substr(start, bytes - start));
    }
  }
  EXPECT_EQ(decoded_hosts, oracle);
  EXPECT_EQ(bytes_in, oracle_in);
  EXPECT_TRUE(decoded_hosts.count("api.github.com"));
}

// --- Linux auth interpretation on synthetic messages -------------------------------------------

struct auth_case {
  std::string app, message;
  ocsf::event_class cls;
  std::uint8_t activity;
  ocsf::status_id status;
  std::string detail, actor, user, src, svc;
};

class null_sink final : public event_sink {
 public:
  void consume(const event_batch&) override {}
};

TEST(LinuxAuth, InterpretsTheMessagesItKnows) {
  const std::vector<auth_case> cases = {
      {"sshd", "Accepted password for bob from 192.0.2.1 port 22 ssh2",
       ocsf::event_class::authentication, 1, ocsf::status_id::success, "", "bob", "", "192.0.2.1",
       "sshd"},
      {"sshd", "Failed none for invalid user 0 from 192.0.2.2 port 1 ssh2",
       ocsf::event_class::authentication, 1, ocsf::status_id::failure, "invalid user", "0", "",
       "192.0.2.2", "sshd"},
      {"sshd", "Received disconnect from 192.0.2.3: 11: Bye Bye [preauth]",
       ocsf::event_class::authentication, 99, ocsf::status_id::failure, "preauth disconnect", "",
       "", "192.0.2.3", "sshd"},
      {"sshd",
       "error: Received disconnect from 192.0.2.4: 14: No more user authentication "
       "methods available. [preauth]",
       ocsf::event_class::authentication, 99, ocsf::status_id::failure, "preauth disconnect", "",
       "", "192.0.2.4", "sshd"},
      {"sshd", "Disconnecting: Too many authentication failures for admin [preauth]",
       ocsf::event_class::authentication, 1, ocsf::status_id::failure, "max auth attempts", "admin",
       "", "", "sshd"},
      {"sshd(pam_unix)",
       "authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= "
       "rhost=host.example.net  user=guest",
       ocsf::event_class::authentication, 1, ocsf::status_id::failure, "authentication failure",
       "guest", "", "", "sshd"},
      {"sudo", "bob : TTY=pts/0 ; PWD=/tmp ; USER=root ; COMMAND=/bin/id",
       ocsf::event_class::authorize_session, 1, ocsf::status_id::success, "", "bob", "root", "",
       "sudo"},
      {"sudo",
       "bob : 1 incorrect password attempt ; TTY=pts/0 ; PWD=/tmp ; USER=root ; "
       "COMMAND=/bin/id",
       ocsf::event_class::authentication, 1, ocsf::status_id::failure,
       "incorrect password attempts", "bob", "root", "", "sudo"},
      {"su", "+ pts/1 bob:root", ocsf::event_class::authentication, 1, ocsf::status_id::success, "",
       "bob", "root", "", "su"},
      {"su", "- pts/1 eve:root", ocsf::event_class::authentication, 1, ocsf::status_id::failure, "",
       "eve", "root", "", "su"},
      {"login",
       "FAILED LOGIN (1) on '/dev/tty1' FOR 'UNKNOWN', User not known to the "
       "underlying authentication module",
       ocsf::event_class::authentication, 1, ocsf::status_id::failure,
       "User not known to the underlying authentication module", "UNKNOWN", "", "", "login"},
      {"sshd",
       "pam_sss(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh "
       "ruser= rhost=192.0.2.9 user=carol",
       ocsf::event_class::authentication, 1, ocsf::status_id::failure, "authentication failure",
       "carol", "", "192.0.2.9", "sshd"},
  };
  diagnostics diag;
  null_sink sink;
  decode_options opts;
  decode_context ctx("test", 0, 0, opts, diag, sink);
  for (const auto& c : cases) {
    event ev;
    ASSERT_TRUE(linux_auth::interpret(c.app, c.message, ev, ctx)) << c.message;
    EXPECT_EQ(ev.class_uid, c.cls) << c.message;
    EXPECT_EQ(ev.activity_id, c.activity) << c.message;
    EXPECT_EQ(ev.status, c.status) << c.message;
    EXPECT_EQ(str(ev, ocsf::attr::status_detail), c.detail) << c.message;
    EXPECT_EQ(str(ev, ocsf::attr::actor_user_name), c.actor) << c.message;
    EXPECT_EQ(str(ev, ocsf::attr::user_name), c.user) << c.message;
    EXPECT_EQ(str(ev, ocsf::attr::src_ip), c.src) << c.message;
    EXPECT_EQ(str(ev, ocsf::attr::dst_svc_name), c.svc) << c.message;
  }
  // Not authentication outcomes: left alone.
  for (const auto& [app, msg] : std::vector<std::pair<std::string, std::string>>{
           {"sshd", "pam_unix(sshd:auth): check pass; user unknown"},
           {"sshd", "Server listening on :: port 22."},
           {"sshd", "input_userauth_request: invalid user webmaster [preauth]"},
           {"sudo", "pam_unix(sudo:auth): conversation failed"},
           {"kernel", "usb 1-1: new high-speed USB device"},
           {"CRON", "(root) CMD (run-parts /etc/cron.hourly)"}}) {
    event ev;
    EXPECT_FALSE(linux_auth::interpret(app, msg, ev, ctx)) << msg;
    EXPECT_EQ(ev.class_uid, ocsf::event_class::base_event) << msg;
    EXPECT_TRUE(ev.fields.empty()) << msg;
  }
}

// --- year inference ----------------------------------------------------------------------------

TEST(YearInference, FollowsRolloverFromAForcedYear) {
  diagnostics diag;
  null_sink sink;
  decode_options opts;
  opts.default_year = 2015;
  decode_context ctx("no/such/file.log", 0, 0, opts, diag, sink);
  year_inference years(ctx);
  EXPECT_EQ(years.year_for(12, 30, 0), 2015);
  EXPECT_EQ(years.year_for(12, 31, 0), 2015);
  EXPECT_EQ(years.year_for(1, 1, 0), 2016);
  EXPECT_EQ(years.year_for(12, 31, 86399), 2015);  // a late line from the old year
  EXPECT_EQ(years.year_for(1, 2, 0), 2016);
  EXPECT_EQ(years.year_for(7, 2, 0), 2016);  // forward by less than six months: same year
}

TEST(YearInference, UsesTheModificationTimeForAFileThatCrossesNewYear) {
  const fs::path dir = fs::temp_directory_path() / ("mamori_year_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path file = dir / "auth.log";
  std::ofstream(file) << "x\n";
  // Last written 2025-01-05 12:00 UTC.
  const std::time_t t = timeparse::days_from_civil(2025, 1, 5) * 86400 + 12 * 3600;
  utimbuf times{t, t};
  ASSERT_EQ(::utime(file.c_str(), &times), 0);
  diagnostics diag;
  null_sink sink;
  decode_options opts;
  opts.default_year = 2025;  // what parse_job derives from the modification time
  decode_context ctx(file.string(), 0, 0, opts, diag, sink);
  year_inference years(ctx);
  EXPECT_EQ(years.year_for(12, 28, 0), 2024);  // after the mtime in 2025: the year before
  EXPECT_EQ(years.year_for(12, 31, 0), 2024);
  EXPECT_EQ(years.year_for(1, 4, 0), 2025);
  fs::remove_all(dir);
}

// --- JSON framing under the JSON text decoders ------------------------------------------------

TEST(JsonTextDecoders, StrayDelimitersAreRejectedNotLoopedOn) {
  // A top-level ']' or '}' used to be a zero-length record: the reader never advanced.
  diagnostics diag;
  parse_options options;
  options.format = "journald";
  parse_job job(decoder_registry::builtin(), options, diag);
  std::size_t events = 0;
  callback_sink sink([&](const event&, std::string_view) { ++events; });
  parse_stats stats;
  job.run_one(
      "stray.json",
      memory_input("]\n}\n{\"__REALTIME_TIMESTAMP\":\"1718378161000000\",\"MESSAGE\":\"x\"}\n,"),
      sink, stats);
  EXPECT_EQ(events, 1u);
  EXPECT_EQ(stats.rejected, 3u);
}

// --- scanning helpers --------------------------------------------------------------------------

TEST(TextScan, RecognisesAddressesAndUrls) {
  EXPECT_TRUE(text::is_ip("192.0.2.1"));
  EXPECT_TRUE(text::is_ip("2001:db8::1"));
  EXPECT_TRUE(text::is_ip("::1"));
  EXPECT_TRUE(text::is_ip("::ffff:192.0.2.1"));
  EXPECT_FALSE(text::is_ip("256.1.1.1"));
  EXPECT_FALSE(text::is_ip("1.2.3"));
  EXPECT_FALSE(text::is_ip("host.example.com"));
  EXPECT_FALSE(text::is_ip("deadbeef"));
  EXPECT_FALSE(text::is_ip("2001:db8:2ce:1"));  // four groups, no "::"
  EXPECT_TRUE(text::is_ip_lenient("2001:db8:2ce:1"));

  auto u = text::parse_url("https://user:pw@files.example.org:8443/a/b.zip?x=1#frag");
  EXPECT_EQ(u.scheme, "https");
  EXPECT_EQ(u.host, "files.example.org");
  EXPECT_EQ(u.port, 8443);
  EXPECT_EQ(u.path, "/a/b.zip");
  EXPECT_EQ(u.query, "x=1");
  u = text::parse_url("www.example.com:443");
  EXPECT_EQ(u.host, "www.example.com");
  EXPECT_EQ(u.port, 443);
  u = text::parse_url("http://[2001:db8::5]:8080/");
  EXPECT_EQ(u.host, "2001:db8::5");
  EXPECT_EQ(u.port, 8080);
  u = text::parse_url("error:transaction-end-before-headers");
  EXPECT_TRUE(u.host.empty());
  EXPECT_FALSE(u.port);
}

}  // namespace
}  // namespace mamori
