// The company's secure web gateway, logging in W3C extended format (ELFF, the #Fields
// layout of Blue Coat ProxySG's main log), one file per UTC day. TLS is intercepted, so
// requests show their method, path and both byte counts. String fields containing spaces
// are quoted as the W3C draft (WD-logfile-960323) specifies.

#include "sources/web_common.hpp"

namespace mamori::sim {

namespace wire {

namespace {

void field(std::string& o, std::string_view v) {
  o += ' ';
  if (v.empty()) {
    o += '-';
  } else if (v.find(' ') != std::string_view::npos) {
    o += '"';
    o += v;
    o += '"';
  } else {
    o += v;
  }
}

}  // namespace

void w3c(emitter& out, const web_request& w, std::uint32_t truth) {
  std::string& o = out.begin();
  append_sql_time(o, w.t);
  o += ' ';
  append_uint(o, static_cast<std::uint64_t>(w.elapsed_ms));
  o += ' ';
  append_ipv4(o, w.client);
  field(o, w.user);
  // cs-auth-group, x-exception-id, sc-filter-result
  o += w.denied ? " - policy_denied DENIED" : " - - OBSERVED";
  field(o, w.category);
  o += " - ";  // cs(Referer)
  append_uint(o, static_cast<std::uint64_t>(w.denied ? 403 : w.status));
  o += w.denied ? " TCP_DENIED " : (w.method == "CONNECT" ? " TCP_TUNNELED " : " TCP_NC_MISS ");
  o += w.method;
  field(o, w.content_type);
  field(o, w.scheme);
  field(o, w.host);
  o += ' ';
  append_uint(o, static_cast<std::uint64_t>(w.port));
  field(o, w.path);
  field(o, w.query);
  std::string_view ext;
  if (auto slash = w.path.rfind('/'); slash != std::string_view::npos) {
    auto last = w.path.substr(slash);
    if (auto dot = last.rfind('.'); dot != std::string_view::npos) ext = last.substr(dot + 1);
  }
  field(o, ext);
  field(o, w.user_agent);
  o += " 10.10.0.5 ";  // s-ip: the gateway
  append_uint(o, w.bytes_out);
  o += ' ';
  append_uint(o, w.bytes_in);
  o += " -";  // x-virus-id
  out.commit(w.t, 0, truth);
}

}  // namespace wire

namespace {

class w3c_source final : public source_generator {
 public:
  void generate(const sim_context& ctx, const window& w, emitter& out) override {
    for (const person& p : ctx.co.people) {
      if (!ctx.co.offices[p.office].w3c_gateway) continue;
      const auto& day = ctx.today[p.index];
      if (day.sessions.empty()) continue;
      rng r = stream(ctx.seed(), name_hash("w3c"), p.index, static_cast<std::uint64_t>(w.index));
      for (const session& s : day.sessions) {
        if (!s.proxied || s.end <= w.start || s.start >= w.end) continue;
        web::browse(ctx, p, s, w, r, 40.0, [&](wire::web_request& q) { wire::w3c(out, q); });
      }
    }
  }

  std::string path(const sim_context&, const record& r) const override {
    std::string p = "proxy/swg-w3c/SG_main_";
    const civil_time c = to_civil(r.t);
    append_padded(p, static_cast<std::uint64_t>(c.year), 4);
    append_padded(p, static_cast<std::uint64_t>(c.month), 2);
    append_padded(p, static_cast<std::uint64_t>(c.day), 2);
    p += ".log";
    return p;
  }
  void prologue(std::string& out, const sim_context&, const record& first) const override {
    std::string date;
    append_sql_time(date, first.t - first.t % ns_per_day);
    out += "#Software: SGOS 7.3.16.1\n#Version: 1.0\n#Start-Date: ";
    out += date;
    out += "\n#Date: ";
    out += date;
    out +=
        "\n#Fields: date time time-taken c-ip cs-username cs-auth-group x-exception-id "
        "sc-filter-result cs-categories cs(Referer) sc-status s-action cs-method "
        "rs(Content-Type) cs-uri-scheme cs-host cs-uri-port cs-uri-path cs-uri-query "
        "cs-uri-extension cs(User-Agent) s-ip sc-bytes cs-bytes x-virus-id\n";
  }
  void epilogue(std::string& out, std::uint64_t records) const override {
    if (records > 0) out += '\n';
  }
};

}  // namespace

source_spec w3c_source_spec() {
  return {"w3c", "Secure web gateway, W3C extended log format", "w3c",
          "proxy/swg-w3c/SG_main_YYYYMMDD.log",
          [](const sim_context&) { return std::make_unique<w3c_source>(); }};
}

}  // namespace mamori::sim
