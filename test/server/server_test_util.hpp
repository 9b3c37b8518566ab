#pragma once
// Helpers for the server tests: temp dirs, real data, HTTP calls, bounded waits.

#include <gtest/gtest.h>
#include <simdjson.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <thread>

#include "mamori/detect/detector.hpp"
#include "mamori/event/field_registry.hpp"
#include "mamori/server/http_client.hpp"

namespace mamori::test {

inline const std::string cloudtrail_ndjson =
    std::string(MAMORI_SHARED_DATA) + "/cloud/aws-stratus-invictus/cloudtrail_events.jsonl";

struct temp_dir {
  std::filesystem::path path;
  temp_dir() {
    char tmpl[] = "/tmp/mamori-serve-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

inline std::string read_file(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

inline std::string first_line(const std::string& p) {
  std::ifstream in(p);
  std::string l;
  std::getline(in, l);
  return l;
}

struct reply {
  unsigned status = 0;
  std::string body;
  std::map<std::string, std::string> headers;
};

inline reply call(const std::string& base, const std::string& method, const std::string& path,
                  const std::string& token, const std::string& body = {},
                  std::vector<std::pair<std::string, std::string>> headers = {}) {
  if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + token);
  server::http_client_options o;
  o.timeout_s = 60;
  auto r = server::http_call(method, base + path, headers, body, o);
  if (!r) {
    ADD_FAILURE() << method << " " << path << ": " << r.error().message;
    return {};
  }
  return {r->status, r->body, r->headers};
}

// Polls until pred() is true or the deadline passes (bounded: tests never hang).
inline bool eventually(const std::function<bool()>& pred, double seconds = 20) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return pred();
}

inline std::int64_t json_int(const std::string& json, std::string_view key) {
  simdjson::dom::parser p;
  auto doc = p.parse(json);
  if (doc.error()) return -1;
  auto v = doc[key];
  if (v.error() || !v.is_int64()) return -1;
  return v.get_int64().value();
}

inline std::int64_t json_path_int(const std::string& json, std::string_view a, std::string_view b) {
  simdjson::dom::parser p;
  auto doc = p.parse(json);
  if (doc.error()) return -1;
  auto v = doc[a][b];
  if (v.error() || !v.is_int64()) return -1;
  return v.get_int64().value();
}

// A small detector for the server tests: the 5th "unauthorized" API error of a user (errorCode
// AccessDenied or *Unauthorized*) raises one finding for that user, tagged as credential
// access so it maps to the brute_force scenario through its ATT&CK tag.
class denied_burst final : public detector {
 public:
  std::string_view name() const override { return "test.denied_burst"; }
  void observe(const event_batch& batch, finding_sink& out) override {
    const field_id code = field_registry::global().find("errorCode");
    if (code == invalid_field) return;
    for (const event& e : batch.events()) {
      std::string_view c = e.raw_string(code);
      if (c != "AccessDenied" && c.find("Unauthorized") == std::string_view::npos) continue;
      const std::string user(e.get_string(ocsf::attr::actor_user_name));
      if (++counts_[user] != 5) continue;
      finding f;
      f.time_ns = e.time_ns;
      f.rule_uid = "test.denied_burst";
      f.rule_name = "Burst of unauthorized API calls";
      f.rule_source = "test";
      f.level = "high";
      f.severity = ocsf::severity_id::high;
      f.attacks = {"T1110"};
      f.user = user;
      f.src_ip = std::string(e.get_string(ocsf::attr::src_ip));
      f.host = "ws-" + user;  // a device for the isolation action
      f.explanation = user + " had 5 unauthorized API calls";
      f.matched.push_back({"errors", "errorCode", std::string(c)});
      out.emit(std::move(f));
    }
  }

 private:
  std::map<std::string, int> counts_;
};

}  // namespace mamori::test
