// auth.log of the Linux servers in AWS as rsyslog writes it with the traditional file
// format (RFC 3164 timestamp, host, program[pid]: message; servers run on UTC), one file
// per server and UTC day (logrotate dateext naming). The file's modification time is set to
// its last record so readers that take the year from it get it right. Messages follow
// OpenSSH's sshd and pam_unix wording.

#include "mamori/simulate/text.hpp"
#include "mamori/simulate/wire.hpp"

namespace mamori::sim {

namespace wire {

void syslog_line(emitter& out, std::int64_t t, std::size_t server, const sim_context& ctx,
                 std::string_view program, std::uint32_t pid, std::string_view message,
                 std::uint32_t truth) {
  std::string& o = out.begin();
  append_bsd_time(o, t);
  o += ' ';
  o += ctx.co.servers[server].name;
  o += ' ';
  o += program;
  o += '[';
  append_uint(o, pid);
  o += "]: ";
  o += message;
  out.commit(t, static_cast<std::uint32_t>(server), truth);
}

}  // namespace wire

namespace {

std::string key_fingerprint(std::uint64_t seed) {
  static constexpr std::string_view b64 =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string s = "SHA256:";
  std::uint64_t x = seed;
  for (int i = 0; i < 43; ++i) s += b64[splitmix64(x) % 64];
  return s;
}

class sshd_source final : public source_generator {
 public:
  void generate(const sim_context& ctx, const window& w, emitter& out) override {
    const std::size_t bastion = ctx.co.server_index("bastion01");
    const std::size_t targets[] = {ctx.co.server_index("app01"), ctx.co.server_index("web01"),
                                   ctx.co.server_index("web02"), ctx.co.server_index("batch01")};
    // Administrators: office or VPN → bastion → a server.
    for (const person& p : ctx.co.people) {
      if (p.job != role::cloud_admin && p.job != role::it_admin) continue;
      rng r = stream(ctx.seed(), name_hash("sshd"), p.index, static_cast<std::uint64_t>(w.index));
      for (const session& s : ctx.today[p.index].sessions) {
        if (!s.laptop || !s.proxied || s.end <= w.start || s.start >= w.end) continue;
        const std::int64_t a = std::max(s.start, w.start);
        const std::int64_t b = std::min(s.end, w.end);
        for_each_arrival(r, a, b, p.job == role::cloud_admin ? 0.6 : 0.2, [&](std::int64_t t) {
          const std::int64_t len = r.range(3, 45) * ns_per_min;
          const std::uint32_t uid = 1001 + p.index;
          session_lines(ctx, out, r, t, bastion, p.sam, uid, s.ip, len,
                        key_fingerprint(mix(ctx.seed(), p.index)));
          const server& bh = ctx.co.servers[bastion];
          session_lines(ctx, out, r, t + r.range(5, 40) * ns_per_s, targets[r.below(4)], p.sam, uid,
                        bh.ip, len - 30 * ns_per_s, key_fingerprint(mix(ctx.seed(), p.index)));
        });
      }
    }
    // Deployments from the CI runner.
    rng r = stream(ctx.seed(), name_hash("sshd-deploy"), 0, static_cast<std::uint64_t>(w.index));
    const std::int64_t tod = w.start % ns_per_day;
    if (tod < 9 * ns_per_hour) {
      for_each_arrival(r, w.start, w.end, 1.5 * ctx.options.scale, [&](std::int64_t t) {
        const server& ci = ctx.co.server_by_name("build01");
        for (int k = 0; k < 3; ++k) {
          session_lines(ctx, out, r, t + k * 20 * ns_per_s, targets[k], "deploy", 998, ci.ip,
                        r.range(20, 90) * ns_per_s, key_fingerprint(mix(ctx.seed(), 998)));
        }
      });
    }
    // Hourly cron on every Linux server.
    if (w.start % ns_per_hour == 0) {
      for (std::size_t i = 0; i < ctx.co.servers.size(); ++i) {
        if (ctx.co.servers[i].os != server_os::linux) continue;
        const std::int64_t t = w.start + 17 * ns_per_min + 1 * ns_per_s;
        const auto pid = static_cast<std::uint32_t>(2000 + r.below(60000));
        wire::syslog_line(out, t, i, ctx, "CRON", pid,
                          "pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)");
        wire::syslog_line(out, t + ns_per_s, i, ctx, "CRON", pid,
                          "pam_unix(cron:session): session closed for user root");
      }
    }
  }

  // One SSH session with public-key authentication: the lines OpenSSH writes at login and
  // at logout (the logout lines land in later windows; the engine keeps them until then).
  static void session_lines(const sim_context& ctx, emitter& out, rng& r, std::int64_t t,
                            std::size_t server, std::string_view user, std::uint32_t uid,
                            std::uint32_t from, std::int64_t length, const std::string& fp) {
    const auto pid = static_cast<std::uint32_t>(1000 + r.below(64000));
    const auto port = 32768 + r.below(28000);
    std::string ip = ipv4_string(from);
    std::string m = "Accepted publickey for ";
    m += user;
    m += " from " + ip + " port ";
    append_uint(m, port);
    m += " ssh2: ED25519 " + fp;
    wire::syslog_line(out, t, server, ctx, "sshd", pid, m);
    m = "pam_unix(sshd:session): session opened for user ";
    m += user;
    m += "(uid=";
    append_uint(m, uid);
    m += ") by (uid=0)";
    wire::syslog_line(out, t + 2'000'000, server, ctx, "sshd", pid, m);
    const std::int64_t end = t + std::max<std::int64_t>(length, 5 * ns_per_s);
    m = "Received disconnect from " + ip + " port ";
    append_uint(m, port);
    m += ":11: disconnected by user";
    wire::syslog_line(out, end, server, ctx, "sshd", pid, m);
    m = "Disconnected from user ";
    m += user;
    m += " " + ip + " port ";
    append_uint(m, port);
    wire::syslog_line(out, end + 1'000'000, server, ctx, "sshd", pid, m);
    m = "pam_unix(sshd:session): session closed for user ";
    m += user;
    wire::syslog_line(out, end + 2'000'000, server, ctx, "sshd", pid, m);
  }

  std::string path(const sim_context& ctx, const record& r) const override {
    std::string p = "linux/";
    p += ctx.co.servers[r.file].name;
    p += "/auth.log-";
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

source_spec sshd_source_spec() {
  return {"sshd", "Linux auth.log with sshd and PAM (syslog, RFC 3164)", "syslog",
          "linux/<host>/auth.log-YYYYMMDD",
          [](const sim_context&) { return std::make_unique<sshd_source>(); }};
}

}  // namespace mamori::sim
