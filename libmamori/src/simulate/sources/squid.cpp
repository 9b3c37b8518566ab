// Squid native access.log (logformat squid:
// "%ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru %[un %Sh/%<a %mt"), one file per proxy and UTC
// day: the Osaka branch proxy (users, HTTPS as CONNECT tunnels, no TLS interception) and
// the AWS VPC egress proxy (servers). Reference: Squid wiki, "SquidFaq/SquidLogs".

#include "sources/web_common.hpp"

namespace mamori::sim {

namespace web {

std::uint32_t host_ip(std::string_view host) {
  std::uint64_t h = name_hash(host);
  for (;;) {
    const auto ip = static_cast<std::uint32_t>(splitmix64(h));
    const unsigned a = ip >> 24, b = (ip >> 16) & 0xff;
    const bool reserved = a == 0 || a == 10 || a == 127 || a >= 224 ||
                          (a == 100 && b >= 64 && b < 128) || (a == 169 && b == 254) ||
                          (a == 172 && b >= 16 && b < 32) || (a == 192 && b == 168) ||
                          (a == 198 && (b == 18 || b == 19));
    if (!reserved && (ip & 0xff) != 0 && (ip & 0xff) != 255) return ip;
  }
}

std::string_view category_of(app_kind k) {
  switch (k) {
    case app_kind::sanctioned:
      return "Business/Economy";
    case app_kind::shadow_storage:
      return "File Storage/Sharing";
    case app_kind::shadow_comm:
      return "Chat (IM)/SMS";
    case app_kind::shadow_remote:
      return "Remote Access";
    case app_kind::shadow_ai:
      return "Artificial Intelligence";
    case app_kind::web:
      return "Technology/Internet";
  }
  return "Uncategorized";
}

}  // namespace web

namespace wire {

void squid(emitter& out, const web_request& w, std::uint32_t file, std::uint32_t truth) {
  std::string& o = out.begin();
  append_epoch_ms(o, w.t);
  o += ' ';
  std::string elapsed;
  append_uint(elapsed, static_cast<std::uint64_t>(w.elapsed_ms));
  for (std::size_t i = elapsed.size(); i < 6; ++i) o += ' ';
  o += elapsed;
  o += ' ';
  append_ipv4(o, w.client);
  const bool tunnel = w.method == "CONNECT";
  o += ' ';
  o += w.denied ? "TCP_DENIED/403" : tunnel ? "TCP_TUNNEL/200" : "TCP_MISS/";
  if (!w.denied && !tunnel) append_padded(o, static_cast<std::uint64_t>(w.status), 3);
  o += ' ';
  append_uint(o, w.bytes_out);
  o += ' ';
  o += w.method;
  o += ' ';
  if (tunnel) {
    o += w.host;
    o += ':';
    append_uint(o, static_cast<std::uint64_t>(w.port));
  } else {
    o += w.scheme;
    o += "://";
    o += w.host;
    if ((w.scheme == "http" && w.port != 80) || (w.scheme == "https" && w.port != 443)) {
      o += ':';
      append_uint(o, static_cast<std::uint64_t>(w.port));
    }
    o += w.path;
    if (!w.query.empty()) {
      o += '?';
      o += w.query;
    }
  }
  o += ' ';
  o += w.user.empty() ? std::string_view("-") : w.user;
  o += ' ';
  if (w.denied) {
    o += "HIER_NONE/- ";
  } else {
    o += "HIER_DIRECT/";
    append_ipv4(o, w.server_ip);
    o += ' ';
  }
  o += tunnel || w.denied ? std::string_view("-") : w.content_type;
  out.commit(w.t, file, truth);
}

}  // namespace wire

namespace {

struct server_call {
  std::string_view host;
  std::string_view method;
  std::string_view scheme;
  std::string_view path;
  std::string_view content_type;
};
constexpr server_call server_calls[] = {
    {"deb.debian.org", "GET", "http", "/debian/dists/bookworm/InRelease", "text/plain"},
    {"security.debian.org", "GET", "http", "/debian-security/dists/bookworm-security/InRelease",
     "text/plain"},
    {"api.github.com", "CONNECT", "https", "", ""},
    {"registry.npmjs.org", "CONNECT", "https", "", ""},
    {"hooks.slack.com", "CONNECT", "https", "", ""},
    {"pypi.org", "CONNECT", "https", "", ""},
};

class squid_source final : public source_generator {
 public:
  void generate(const sim_context& ctx, const window& w, emitter& out) override {
    for (const person& p : ctx.co.people) {
      if (ctx.co.offices[p.office].w3c_gateway) continue;
      const auto& day = ctx.today[p.index];
      if (day.sessions.empty()) continue;
      rng r = stream(ctx.seed(), name_hash("squid"), p.index, static_cast<std::uint64_t>(w.index));
      for (const session& s : day.sessions) {
        if (!s.proxied || s.end <= w.start || s.start >= w.end) continue;
        web::browse(ctx, p, s, w, r, 40.0, [&](wire::web_request& q) {
          // Without TLS interception HTTPS is a CONNECT tunnel; the size is the whole tunnel.
          q.method = "CONNECT";
          q.bytes_out += q.bytes_in;
          q.elapsed_ms *= 20;
          wire::squid(out, q, 0);
        });
      }
    }
    // Servers in the AWS VPC reach the internet through the egress proxy.
    rng r = stream(ctx.seed(), name_hash("squid-egress"), 0, static_cast<std::uint64_t>(w.index));
    const char* hosts[] = {"app01", "batch01", "build01"};
    for_each_arrival(r, w.start, w.end, 30.0 * ctx.options.scale, [&](std::int64_t t) {
      const server& sv = ctx.co.server_by_name(hosts[r.below(3)]);
      const server_call& c = server_calls[r.below(std::size(server_calls))];
      wire::web_request q;
      q.t = t;
      q.client = sv.ip;
      q.method = c.method;
      q.scheme = c.scheme;
      q.host = c.host;
      q.port = c.scheme == "http" ? 80 : 443;
      q.path = c.path;
      q.content_type = c.content_type;
      q.server_ip = web::host_ip(c.host);
      q.bytes_out = 1500 + r.below(120000);
      q.elapsed_ms = 15 + static_cast<int>(r.exponential(300));
      wire::squid(out, q, 1);
    });
  }

  std::string path(const sim_context&, const record& r) const override {
    std::string p =
        r.file == 0 ? "proxy/squid-osaka/access.log-" : "proxy/squid-aws-egress/access.log-";
    const civil_time c = to_civil(r.t);
    append_padded(p, static_cast<std::uint64_t>(c.year), 4);
    append_padded(p, static_cast<std::uint64_t>(c.month), 2);
    append_padded(p, static_cast<std::uint64_t>(c.day), 2);
    return p;
  }
  void epilogue(std::string& out, std::uint64_t records) const override {
    if (records > 0) out += '\n';
  }
};

}  // namespace

source_spec squid_source_spec() {
  return {"squid", "Squid native access.log", "squid",
          "proxy/squid-{osaka,aws-egress}/access.log-YYYYMMDD",
          [](const sim_context&) { return std::make_unique<squid_source>(); }};
}

}  // namespace mamori::sim
