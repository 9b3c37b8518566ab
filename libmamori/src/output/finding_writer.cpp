#include "mamori/output/finding_writer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "mamori/event/time.hpp"
#include "mamori/output/json_text.hpp"

namespace mamori {

namespace {

int level_rank(std::string_view level) {
  if (level == "informational") return 1;
  if (level == "low") return 2;
  if (level == "medium") return 3;
  if (level == "high") return 4;
  if (level == "critical") return 5;
  return 0;
}

class buffered_file {
 public:
  explicit buffered_file(std::FILE* f) : f_(f) { buf_.reserve(1 << 20); }
  std::string& buf() { return buf_; }
  void maybe_flush() {
    if (buf_.size() >= (1 << 20)) flush();
  }
  void flush() {
    if (!buf_.empty()) std::fwrite(buf_.data(), 1, buf_.size(), f_);
    buf_.clear();
    std::fflush(f_);
  }

 private:
  std::FILE* f_;
  std::string buf_;
};

class ndjson_writer final : public finding_writer {
 public:
  explicit ndjson_writer(std::FILE* f) : out_(f) {}
  ~ndjson_writer() override { close(); }
  void emit(finding f) override {
    out_.buf() += finding_to_json(f);
    out_.buf() += '\n';
    out_.maybe_flush();
  }
  void close() override { out_.flush(); }

 private:
  buffered_file out_;
};

std::string csv_field(std::string_view s) {
  bool quote = false;
  for (char c : s)
    if (c == ',' || c == '"' || c == '\n' || c == '\r') quote = true;
  if (!quote) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

class csv_writer final : public finding_writer {
 public:
  explicit csv_writer(std::FILE* f) : out_(f) {
    out_.buf() +=
        "time,rule_uid,rule_name,level,source,host,user,src_ip,attacks,explanation,"
        "log_source,line,offset\n";
  }
  ~csv_writer() override { close(); }
  void emit(finding f) override {
    std::string attacks;
    for (const auto& a : f.attacks) attacks += (attacks.empty() ? "" : " ") + a;
    const std::string t = f.time_ns != 0 ? timeparse::format_rfc3339(f.time_ns) : "";
    out_.buf() += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{}\n", t, csv_field(f.rule_uid),
                              csv_field(f.rule_name), csv_field(f.level),
                              csv_field(f.rule_source), csv_field(f.host), csv_field(f.user),
                              csv_field(f.src_ip), csv_field(attacks), csv_field(f.explanation),
                              csv_field(f.source_file), f.source_line, f.source_offset);
    out_.maybe_flush();
  }
  void close() override { out_.flush(); }

 private:
  buffered_file out_;
};

// Hayabusa-style summary: one row per rule, most severe and most frequent first.
class table_writer final : public finding_writer {
 public:
  explicit table_writer(std::FILE* f) : f_(f) {}
  ~table_writer() override { close(); }
  void emit(finding f) override {
    auto& r = rules_[f.rule_uid];
    if (r.count == 0) {
      r.name = f.rule_name;
      r.level = f.level;
      r.source = f.rule_source;
      r.first = f.time_ns;
      r.last = f.time_ns;
    }
    ++r.count;
    if (f.time_ns != 0) {
      if (r.first == 0 || f.time_ns < r.first) r.first = f.time_ns;
      if (f.time_ns > r.last) r.last = f.time_ns;
    }
    if (!f.host.empty()) ++r.hosts[f.host];
    if (!f.user.empty()) ++r.users[f.user];
    ++total_;
  }
  void close() override {
    if (closed_) return;
    closed_ = true;
    std::vector<std::pair<std::string, const row*>> rows;
    for (const auto& [uid, r] : rules_) rows.emplace_back(uid, &r);
    std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
      const int la = level_rank(a.second->level), lb = level_rank(b.second->level);
      if (la != lb) return la > lb;
      if (a.second->count != b.second->count) return a.second->count > b.second->count;
      return a.second->name < b.second->name;
    });
    std::string out = fmt::format("{:<13} {:>7}  {:<20}  {:<20}  {:<60}  {:<32}  {}\n", "LEVEL",
                                  "COUNT", "FIRST SEEN", "LAST SEEN", "RULE", "TOP HOSTS",
                                  "TOP USERS");
    std::map<std::string, std::pair<std::size_t, std::size_t>> per_level;  // rules, findings
    for (const auto& [uid, r] : rows) {
      (void)uid;
      auto& pl = per_level[r->level];
      ++pl.first;
      pl.second += r->count;
      out += fmt::format("{:<13} {:>7}  {:<20}  {:<20}  {:<60}  {:<32}  {}\n", r->level, r->count,
                         when(r->first), when(r->last), clip(r->name, 60), top(r->hosts, 32),
                         top(r->users, 48));
    }
    out += fmt::format("\n{} findings from {} rules", total_, rules_.size());
    for (const char* lvl : {"critical", "high", "medium", "low", "informational"}) {
      auto it = per_level.find(lvl);
      if (it != per_level.end())
        out += fmt::format("; {} {} ({} rules)", lvl, it->second.second, it->second.first);
    }
    out += '\n';
    std::fwrite(out.data(), 1, out.size(), f_);
    std::fflush(f_);
  }

 private:
  struct row {
    std::string name, level, source;
    std::size_t count = 0;
    std::int64_t first = 0, last = 0;
    std::map<std::string, std::size_t> hosts, users;
  };
  static std::string when(std::int64_t ns) {
    if (ns == 0) return "-";
    std::string s = timeparse::format_rfc3339(ns);
    return s.substr(0, 19) + "Z";
  }
  static std::string clip(const std::string& s, std::size_t n) {
    return s.size() <= n ? s : s.substr(0, n - 3) + "...";
  }
  static std::string top(const std::map<std::string, std::size_t>& m, std::size_t width) {
    if (m.empty()) return "-";
    std::vector<std::pair<std::string, std::size_t>> v(m.begin(), m.end());
    std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
      return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    std::string out;
    for (std::size_t i = 0; i < v.size() && i < 3; ++i) {
      if (i > 0) out += ", ";
      out += fmt::format("{} ({})", v[i].first, v[i].second);
    }
    if (v.size() > 3) out += fmt::format(" +{}", v.size() - 3);
    return clip(out, width);
  }

  std::FILE* f_;
  std::map<std::string, row> rules_;
  std::size_t total_ = 0;
  bool closed_ = false;
};

class sarif_writer final : public finding_writer {
 public:
  explicit sarif_writer(std::FILE* f) : f_(f) {}
  ~sarif_writer() override { close(); }
  void emit(finding f) override {
    auto it = rule_index_.find(f.rule_uid);
    std::size_t index = 0;
    if (it == rule_index_.end()) {
      index = rules_.size();
      rule_index_[f.rule_uid] = index;
      rules_.push_back({f.rule_uid, f.rule_name, f.level, f.rule_source, f.attacks, f.tags});
    } else {
      index = it->second;
    }
    std::string r = "{\"ruleId\":";
    json_text::append_string(r, f.rule_uid);
    fmt::format_to(std::back_inserter(r), ",\"ruleIndex\":{},\"level\":\"{}\",\"message\":{{\"text\":",
                   index, sarif_level(f.level));
    json_text::append_string(r, f.explanation.empty() ? f.rule_name : f.explanation);
    r += "}";
    if (!f.source_file.empty()) {
      r += ",\"locations\":[{\"physicalLocation\":{\"artifactLocation\":{\"uri\":";
      json_text::append_string(r, f.source_file);
      r += "},\"region\":{";
      if (f.source_line > 0) {
        fmt::format_to(std::back_inserter(r), "\"startLine\":{}", f.source_line);
      } else {
        fmt::format_to(std::back_inserter(r), "\"byteOffset\":{}", f.source_offset);
      }
      r += "}}}]";
    }
    r += ",\"partialFingerprints\":{\"mamoriFinding/v1\":";
    json_text::append_string(r, f.finding_uid);
    r += "},\"properties\":{";
    r += "\"time\":";
    json_text::append_string(r, f.time_ns != 0 ? timeparse::format_rfc3339(f.time_ns) : "");
    r += ",\"host\":";
    json_text::append_string(r, f.host);
    r += ",\"user\":";
    json_text::append_string(r, f.user);
    r += "}}";
    results_.push_back(std::move(r));
  }
  void close() override {
    if (closed_) return;
    closed_ = true;
    std::string out =
        "{\"$schema\":\"https://json.schemastore.org/sarif-2.1.0.json\",\"version\":\"2.1.0\","
        "\"runs\":[{\"tool\":{\"driver\":{\"name\":\"mamori\",\"version\":\"0.1.0\","
        "\"informationUri\":\"https://github.com/mamori\",\"rules\":[";
    for (std::size_t i = 0; i < rules_.size(); ++i) {
      const auto& r = rules_[i];
      if (i > 0) out += ',';
      out += "{\"id\":";
      json_text::append_string(out, r.uid);
      out += ",\"name\":";
      json_text::append_string(out, r.name);
      out += ",\"shortDescription\":{\"text\":";
      json_text::append_string(out, r.name);
      fmt::format_to(std::back_inserter(out),
                     "}},\"defaultConfiguration\":{{\"level\":\"{}\"}},\"properties\":{{\"level\":",
                     sarif_level(r.level));
      json_text::append_string(out, r.level);
      out += ",\"source\":";
      json_text::append_string(out, r.source);
      out += ",\"tags\":[";
      bool first = true;
      for (const auto& t : r.attacks) {
        if (!first) out += ',';
        first = false;
        json_text::append_string(out, t);
      }
      for (const auto& t : r.tags) {
        if (!first) out += ',';
        first = false;
        json_text::append_string(out, t);
      }
      out += "]}}";
    }
    out += "]}},\"results\":[";
    for (std::size_t i = 0; i < results_.size(); ++i) {
      if (i > 0) out += ',';
      out += results_[i];
    }
    out += "]}]}\n";
    std::fwrite(out.data(), 1, out.size(), f_);
    std::fflush(f_);
  }

 private:
  static std::string_view sarif_level(std::string_view level) {
    const int r = level_rank(level);
    return r >= 4 ? "error" : r == 3 ? "warning" : "note";
  }
  struct rule_info {
    std::string uid, name, level, source;
    std::vector<std::string> attacks, tags;
  };
  std::FILE* f_;
  std::map<std::string, std::size_t> rule_index_;
  std::vector<rule_info> rules_;
  std::vector<std::string> results_;
  bool closed_ = false;
};

}  // namespace

std::unique_ptr<finding_writer> make_finding_writer(finding_format format, std::FILE* out) {
  switch (format) {
    case finding_format::ndjson:
      return std::make_unique<ndjson_writer>(out);
    case finding_format::table:
      return std::make_unique<table_writer>(out);
    case finding_format::csv:
      return std::make_unique<csv_writer>(out);
    case finding_format::sarif:
      return std::make_unique<sarif_writer>(out);
  }
  return nullptr;
}

}  // namespace mamori
