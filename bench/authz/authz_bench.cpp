// Question: how long does one access decision take in process, for a realistic policy set
// (200 applications, 50 groups, 10k users, 5k devices with live posture and risk)?
// Target: < 5 µs per decision (the published Cedar figures are 4–11 µs median).
//
// The policy is generated as YAML and goes through the real loader and compiler; every
// decision starts from an identity with group names (the subject is resolved per request),
// reads the live signal snapshot, and runs the rules. Latency is measured per decision with
// the steady clock; throughput without per-call timing, on 1 and 2 threads, and once more
// while a writer publishes 1,000 signal updates per second (readers must not notice).
//
//   mamori_bench_authz                     prints the in-process figures
//   mamori_bench_authz --write-fixtures D  writes policy, keys, signals, cookies and a wrk
//                                          script for the HTTP benchmark (bench/authz/run)

#include <fmt/format.h>
#include <stdlib.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "mamori/authz/engine.hpp"
#include "mamori/authz/json_io.hpp"
#include "mamori/identity/session.hpp"
#include "mamori/output/json_text.hpp"

namespace fs = std::filesystem;
using namespace mamori;
using namespace mamori::authz;

namespace {

constexpr int n_apps = 200, n_groups = 50, n_users = 10000, n_devices = 5000;
// Fixed for the in-process run (deterministic); the wall clock for --write-fixtures, whose
// cookies, patch dates and auth times must be recent when the server reads them.
std::int64_t now_s = 1'790'000'000;

std::string group(int g) {
  return fmt::format("g{:02}", g);
}
std::string user(int u) {
  return fmt::format("user{:05}", u);
}
std::string device(int d) {
  return fmt::format("dev{:04}", d);
}
std::string host(int a) {
  return fmt::format("app{:03}.corp.example.com", a);
}

struct app_info {
  int staff[3];
  int ro;
};
std::vector<app_info> apps_generated;

// 200 applications with 5–7 rules each plus 6 global rules (~1,100 rules in all).
std::string generate_policy(std::mt19937_64& rng) {
  apps_generated.clear();
  std::uniform_int_distribution<int> g(0, n_groups - 1);
  std::string y = R"(version: 1
defaults:
  login_url: "https://sso.example.com/login?rd={url}"
  step_up_url: "https://sso.example.com/login?acr=mfa&rd={url}"
  timezone: Asia/Tokyo
  risk_half_life: 24h
identity:
  session: {keys: [session.key], ttl: 8h}
networks:
  corp: [10.0.0.0/8, 172.16.0.0/12, "2001:db8::/32"]
  vpn: [100.64.0.0/10]
groups:
)";
  // Ten groups come from a directory export (static membership), the rest from tokens.
  for (int k = 0; k < 10; ++k) {
    y += fmt::format("  {}: [", group(40 + k));
    for (int u = k; u < n_users; u += 10) y += fmt::format("{}{}", u == k ? "" : ", ", user(u));
    y += "]\n";
  }
  y += R"(rules:
  - {name: block-high-risk-users, effect: deny, risk: {user_min: 80}}
  - {name: block-high-risk-devices, effect: deny, risk: {device_min: 90}}
  - {name: block-sanctioned, effect: deny, where: {countries: [KP, IR, SY, CU]}}
  - {name: health, effect: allow, public: true, paths: [/healthz], methods: [GET, HEAD]}
  - {name: admin-fresh-mfa, effect: step_up, paths: [/admin/*], how: {mfa: true, max_auth_age: 1h}}
  - {name: no-unmanaged-admin, effect: deny, paths: [/admin/*], device: {managed: false}}
applications:
)";
  for (int a = 0; a < n_apps; ++a) {
    const int admins = g(rng), staff1 = g(rng), staff2 = g(rng), staff3 = g(rng), ro = g(rng),
              contractors = g(rng), vendors = g(rng);
    apps_generated.push_back({{staff1, staff2, staff3}, ro});
    y += fmt::format("  - name: app{:03}\n    hosts: [{}]\n    rules:\n", a, host(a));
    y += fmt::format(
        "      - name: admins\n        effect: allow\n        paths: [/admin/*]\n"
        "        who: {{groups: [{}]}}\n"
        "        device: {{managed: true, compliant: true, encrypted: true}}\n",
        group(admins));
    y += fmt::format(
        "      - name: contractors-no-finance\n        effect: deny\n        paths: [/finance/*]\n"
        "        who: {{groups: [{}]}}\n",
        group(contractors));
    y += fmt::format(
        "      - name: staff\n        effect: allow\n"
        "        who: {{groups: [{}, {}, {}]}}\n        how: {{mfa: true}}\n"
        "        device: {{managed: true, max_patch_age: 30d, forbidden_software: [anydesk, "
        "teamviewer]}}\n"
        "        risk: {{user_max: 60, device_max: 60}}\n",
        group(staff1), group(staff2), group(staff3));
    y += fmt::format(
        "      - name: read-only-from-corp\n        effect: allow\n        methods: [GET, HEAD]\n"
        "        paths: [/api/*, /reports/*]\n"
        "        who: {{groups: [{}]}}\n        where: {{networks: [corp, vpn]}}\n",
        group(ro));
    y += fmt::format(
        "      - name: vendors-office-hours\n        effect: allow\n        paths: [/support/*]\n"
        "        who: {{groups: [{}]}}\n        how: {{mfa: true, max_auth_age: 8h}}\n"
        "        device: {{known: true, compliant: true}}\n"
        "        when: {{days: mon-fri, hours: \"08:00-19:00\"}}\n",
        group(vendors));
    if (a % 3 == 0) {
      y += fmt::format(
          "      - name: finance-team\n        effect: allow\n        paths: [/finance/*]\n"
          "        who: {{all_groups: [{}, {}]}}\n        how: {{mfa: true, max_auth_age: 4h}}\n"
          "        where: {{countries: [JP, DE, US]}}\n",
          group(40 + a % 10), group(staff1));
    }
    if (a % 4 == 0) {
      y += fmt::format(
          "      - name: directory-group\n        effect: allow\n        paths: [/wiki/*]\n"
          "        who: {{groups: [{}]}}\n",
          group(40 + (a / 4) % 10));
    }
  }
  return y;
}

struct population {
  std::vector<principal> users;
  std::vector<std::string> devices;
  std::vector<int> device_of;  // user → device index
};

population generate_people(std::mt19937_64& rng) {
  population p;
  std::uniform_int_distribution<int> g(0, n_groups - 11);  // token groups g00..g39
  std::uniform_int_distribution<int> ngroups(2, 5);
  std::bernoulli_distribution mfa(0.8);
  std::uniform_int_distribution<int> age(0, 3 * 3600);
  std::uniform_int_distribution<int> dev(0, n_devices - 1);
  for (int u = 0; u < n_users; ++u) {
    principal id;
    id.user = user(u);
    const int k = ngroups(rng);
    for (int i = 0; i < k; ++i) id.groups.push_back(group(g(rng)));
    id.mfa = mfa(rng);
    id.methods = id.mfa ? std::vector<std::string>{"pwd", "otp"} : std::vector<std::string>{"pwd"};
    id.auth_time = now_s - age(rng);
    id.issued_at = id.auth_time;
    id.session_id = fmt::format("sess-{}", u);
    p.users.push_back(std::move(id));
    p.device_of.push_back(dev(rng));
  }
  for (int d = 0; d < n_devices; ++d) p.devices.push_back(device(d));
  return p;
}

// MDM export: 85% managed, 90% encrypted, 3% with forbidden software, patch age mostly under
// two weeks (exponential, mean 8 days: ~2% beyond 30 days), 1% isolated, risk on 5% of users
// and 3% of devices.
std::string generate_signals(std::mt19937_64& rng) {
  std::bernoulli_distribution managed(0.85), encrypted(0.9), compliant(0.9), forbidden(0.03),
      isolated(0.01), user_risk(0.05), device_risk(0.03);
  std::exponential_distribution<double> patch_days(1.0 / 8);
  std::uniform_int_distribution<int> score(10, 100);
  std::string s = "{\"devices\":[";
  for (int d = 0; d < n_devices; ++d) {
    s += fmt::format(
        "{}{{\"id\":\"{}\",\"managed\":{},\"compliant\":{},\"encrypted\":{},\"antivirus\":true,"
        "\"patched_at\":{},\"last_seen\":{},\"os\":\"Windows "
        "11\",\"software\":[\"firefox\",\"office\"{}],"
        "\"isolated\":{}}}",
        d ? "," : "", device(d), managed(rng), compliant(rng), encrypted(rng),
        now_s - static_cast<std::int64_t>(patch_days(rng) * 86400), now_s - 600,
        forbidden(rng) ? ",\"anydesk\"" : "", isolated(rng));
  }
  s += "],\"risk\":[";
  bool first = true;
  for (int u = 0; u < n_users; ++u) {
    if (!user_risk(rng)) continue;
    s += fmt::format("{}{{\"user\":\"{}\",\"score\":{},\"reason\":\"finding\"}}", first ? "" : ",",
                     user(u), score(rng));
    first = false;
  }
  for (int d = 0; d < n_devices; ++d) {
    if (!device_risk(rng)) continue;
    s += fmt::format(",{{\"device\":\"{}\",\"score\":{},\"reason\":\"finding\"}}", device(d),
                     score(rng));
  }
  return s + "]}";
}

struct request_spec {
  int user, app;
  const char* path;
  const char* method;
  std::string ip;
  const char* country;
  std::int64_t time_ns;
};

// Most requests come from people entitled to the application (60%: a member of one of its
// staff groups, 10%: of its read-only group); the rest are random users, as with links
// shared around or people exploring. Paths, methods, networks, countries and times vary.
std::vector<request_spec> generate_requests(std::mt19937_64& rng, std::size_t n,
                                            const population& people) {
  static const char* paths[] = {"/",
                                "/admin/users",
                                "/finance/q3",
                                "/api/v1/items/42",
                                "/reports/weekly",
                                "/support/ticket/9",
                                "/wiki/Home",
                                "/healthz"};
  static const double path_w[] = {30, 5, 5, 25, 10, 5, 15, 5};
  static const char* countries[] = {"JP", "US", "DE", "FR", "KP"};
  static const double country_w[] = {60, 20, 12, 7.9, 0.1};
  std::vector<std::vector<int>> members(n_groups);
  for (int u = 0; u < n_users; ++u) {
    for (const auto& g : people.users[static_cast<std::size_t>(u)].groups) {
      members[static_cast<std::size_t>(std::stoi(g.substr(1)))].push_back(u);
    }
  }
  std::uniform_int_distribution<int> u(0, n_users - 1), a(0, n_apps - 1), octet(1, 254),
      minute(0, 7 * 24 * 60 - 1), pick3(0, 2);
  std::discrete_distribution<int> p(std::begin(path_w), std::end(path_w)),
      c(std::begin(country_w), std::end(country_w)), who({60, 10, 30});
  std::bernoulli_distribution corp(0.7), post(0.15);
  auto member_of = [&](int g) {
    const auto& m = members[static_cast<std::size_t>(g)];
    if (m.empty()) return u(rng);
    return m[std::uniform_int_distribution<std::size_t>(0, m.size() - 1)(rng)];
  };
  std::vector<request_spec> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    request_spec r;
    r.app = a(rng);
    const app_info& info = apps_generated[static_cast<std::size_t>(r.app)];
    switch (who(rng)) {
      case 0:
        r.user = member_of(info.staff[pick3(rng)]);
        break;
      case 1:
        r.user = member_of(info.ro);
        break;
      default:
        r.user = u(rng);
        break;
    }
    r.path = paths[p(rng)];
    r.method = post(rng) ? "POST" : "GET";
    r.ip = corp(rng) ? fmt::format("10.{}.{}.{}", octet(rng), octet(rng), octet(rng))
                     : fmt::format("203.0.113.{}", octet(rng));
    r.country = countries[c(rng)];
    r.time_ns = (now_s - minute(rng) * 60) * 1'000'000'000;  // across a week: hours matter
    out.push_back(std::move(r));
  }
  return out;
}

double percentile(std::vector<double>& v, double q) {
  const std::size_t k =
      std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

int write_fixtures(const fs::path& dir) {
  now_s = std::chrono::duration_cast<std::chrono::seconds>(
              std::chrono::system_clock::now().time_since_epoch())
              .count();
  std::mt19937_64 rng(42);
  fs::create_directories(dir);
  std::ofstream(dir / "policy.yaml") << generate_policy(rng);
  const std::string key = "bench-session-key-0123456789abcdef0123456789";
  std::ofstream(dir / "session.key") << key << "\n";
  std::ofstream(dir / "signals.json") << generate_signals(rng);
  auto people = generate_people(rng);
  auto codec = identity::session_codec::create({key});
  auto reqs = generate_requests(rng, 2000, people);
  // wrk script: 2,000 pre-built requests (cookie, host, path, device, ip, country), rotated.
  std::ofstream lua(dir / "requests.lua");
  lua << "-- generated by mamori_bench_authz --write-fixtures\nlocal reqs = {\n";
  for (const auto& r : reqs) {
    principal who = people.users[static_cast<std::size_t>(r.user)];
    const std::string cookie = codec->issue(who, now_s + 0, 10 * 365 * 86400);
    lua << fmt::format(
        "  {{\"{}\", \"{}\", \"{}\", \"{}\", \"{}\", \"{}\", \"{}\"}},\n", r.method, host(r.app),
        r.path, cookie,
        people
            .devices[static_cast<std::size_t>(people.device_of[static_cast<std::size_t>(r.user)])],
        r.ip, r.country);
  }
  lua << R"(}
local n = #reqs
local i = 0
local built = {}
for k = 1, n do
  local r = reqs[k]
  built[k] = wrk.format("GET", "/v1/authz", {
    ["X-Original-Method"] = r[1], ["X-Forwarded-Host"] = r[2], ["X-Original-URI"] = r[3],
    ["Cookie"] = "mamori_session=" .. r[4], ["X-Mamori-Device"] = r[5],
    ["X-Real-IP"] = r[6], ["X-Mamori-Country"] = r[7]})
end
request = function()
  i = i % n + 1
  return built[i]
end
)";
  fmt::print("fixtures written to {}\n", dir.string());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::strcmp(argv[1], "--write-fixtures") == 0) return write_fixtures(argv[2]);
  std::mt19937_64 rng(42);
  const auto t_gen = std::chrono::steady_clock::now();
  const std::string yaml = generate_policy(rng);
  const std::string signals_json = generate_signals(rng);
  auto people = generate_people(rng);
  const std::size_t n = 1'000'000;
  auto specs = generate_requests(rng, n, people);

  const auto t_load = std::chrono::steady_clock::now();
  diagnostics diag([](const diagnostic& d) { fmt::print(stderr, "{}\n", render(d)); });
  auto p = load_policy_text(yaml, "generated.yaml", diag);
  if (!p) {
    fmt::print(stderr, "policy: {}\n", p.error().message);
    return 1;
  }
  auto compiled = compiled_policy::compile(std::move(*p));
  if (!compiled) {
    fmt::print(stderr, "compile: {}\n", compiled.error().message);
    return 1;
  }
  const auto t_compiled = std::chrono::steady_clock::now();
  const compiled_policy& policy = **compiled;
  signal_store store(86400);
  if (auto r = apply_signals_json(signals_json, store, now_s); !r) {
    fmt::print(stderr, "signals: {}\n", r.error().message);
    return 1;
  }
  (void)t_gen;

  std::vector<access_request> reqs(n);
  std::vector<std::optional<ip_address>> ips(n);
  for (std::size_t i = 0; i < n; ++i) {
    const auto& s = specs[i];
    access_request& r = reqs[i];
    r.path = s.path;
    r.method = s.method;
    r.device_id =
        people
            .devices[static_cast<std::size_t>(people.device_of[static_cast<std::size_t>(s.user)])];
    r.source_ip = ip_address::parse(s.ip);
    r.country = s.country;
    r.time_ns = s.time_ns;
    r.who = &people.users[static_cast<std::size_t>(s.user)];
  }
  std::vector<std::string> hosts(n_apps);
  for (int a = 0; a < n_apps; ++a) hosts[static_cast<std::size_t>(a)] = host(a);
  for (std::size_t i = 0; i < n; ++i) reqs[i].host = hosts[static_cast<std::size_t>(specs[i].app)];

  signal_reader reader(store);
  // Warm-up and outcome mix.
  std::size_t counts[4] = {0, 0, 0, 0};
  for (std::size_t i = 0; i < n; ++i)
    counts[static_cast<int>(policy.decide(reqs[i], reader.get()).result)]++;

  // Per-decision latency (includes ~20 ns of clock reads).
  std::vector<double> lat(n);
  for (std::size_t i = 0; i < n; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    const decision d = policy.decide(reqs[i], reader.get());
    const auto t1 = std::chrono::steady_clock::now();
    asm volatile("" : : "r"(d.rule) : "memory");
    lat[i] = std::chrono::duration<double, std::nano>(t1 - t0).count();
  }
  // Throughput, no per-call clock; also the thread CPU time per decision, which a loaded
  // machine (preemption by other processes) does not inflate.
  double last_cpu_ns_per_decision = 0;
  auto throughput = [&](unsigned threads, bool writer) {
    std::atomic<bool> stop{false};
    std::atomic<std::uint64_t> writes{0};
    std::thread w;
    if (writer) {
      w = std::thread([&] {
        std::uint64_t k = 0;
        while (!stop.load()) {
          const int d = static_cast<int>(k % n_devices);
          device_posture pp;
          pp.managed = true;
          pp.encrypted = (k & 1) != 0;
          pp.patched_at = now_s;
          store.begin().report_posture(device(d), pp);
          ++k;
          writes.fetch_add(1);
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
      });
    }
    std::vector<std::thread> ts;
    std::atomic<std::uint64_t> done{0};
    std::atomic<std::int64_t> cpu_ns{0};
    const auto t0 = std::chrono::steady_clock::now();
    for (unsigned t = 0; t < threads; ++t) {
      ts.emplace_back([&, t] {
        signal_reader r(store);
        std::uint64_t local = 0;
        timespec c0{}, c1{};
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
        for (std::size_t i = t; i < n; i += threads) {
          const decision d = policy.decide(reqs[i], r.get());
          asm volatile("" : : "r"(d.rule) : "memory");
          ++local;
        }
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
        cpu_ns.fetch_add((c1.tv_sec - c0.tv_sec) * 1'000'000'000 + (c1.tv_nsec - c0.tv_nsec));
        done.fetch_add(local);
      });
    }
    for (auto& t : ts) t.join();
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    stop = true;
    if (w.joinable()) w.join();
    last_cpu_ns_per_decision =
        static_cast<double>(cpu_ns.load()) / static_cast<double>(done.load());
    return std::pair{static_cast<double>(done.load()) / secs, writes.load()};
  };
  const auto [tp1, w0] = throughput(1, false);
  const double cpu1 = last_cpu_ns_per_decision;
  const auto [tp2, w1] = throughput(2, false);
  const double cpu2 = last_cpu_ns_per_decision;
  const auto [tpw, writes] = throughput(1, true);
  const double cpuw = last_cpu_ns_per_decision;
  (void)w0;
  (void)w1;

  // Latency while a writer publishes ~1,000 updates/s.
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    std::uint64_t k = 0;
    while (!stop.load()) {
      store.begin().set_device_risk(device(static_cast<int>(k % n_devices)), 5, "bench", now_s);
      ++k;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  std::vector<double> lat_w(n / 2);
  for (std::size_t i = 0; i < lat_w.size(); ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    const decision d = policy.decide(reqs[i], reader.get());
    const auto t1 = std::chrono::steady_clock::now();
    asm volatile("" : : "r"(d.rule) : "memory");
    lat_w[i] = std::chrono::duration<double, std::nano>(t1 - t0).count();
  }
  stop = true;
  writer.join();

  double sum = 0;
  for (double x : lat) sum += x;
  const double mean = sum / static_cast<double>(n);
  const double p50 = percentile(lat, 0.50), p99 = percentile(lat, 0.99),
               p999 = percentile(lat, 0.999);
  const double wp50 = percentile(lat_w, 0.50), wp99 = percentile(lat_w, 0.99);
  fmt::print(
      "policy: {} applications, {} rules, 50 groups, {} users, {} devices; YAML {:.1f} MB "
      "loaded and compiled in {:.0f} ms\n",
      policy.app_count(), policy.rule_count(), n_users, n_devices,
      static_cast<double>(yaml.size()) / 1e6,
      std::chrono::duration<double, std::milli>(t_compiled - t_load).count());
  fmt::print("requests: {} (allow {:.1f}%, deny {:.1f}%, step-up {:.1f}%, sign-in {:.1f}%)\n", n,
             100.0 * static_cast<double>(counts[0]) / static_cast<double>(n),
             100.0 * static_cast<double>(counts[1]) / static_cast<double>(n),
             100.0 * static_cast<double>(counts[2]) / static_cast<double>(n),
             100.0 * static_cast<double>(counts[3]) / static_cast<double>(n));
  fmt::print("{:<44} {:>12}\n", "", "value");
  fmt::print("{:<44} {:>10.2f} µs\n", "latency p50 (target < 5 µs)", p50 / 1000);
  fmt::print("{:<44} {:>10.2f} µs\n", "latency p99", p99 / 1000);
  fmt::print("{:<44} {:>10.2f} µs\n", "latency p99.9", p999 / 1000);
  fmt::print("{:<44} {:>10.2f} µs\n", "latency mean", mean / 1000);
  fmt::print("{:<44} {:>10.2f} µs\n", "CPU time per decision, 1 thread", cpu1 / 1000);
  fmt::print("{:<44} {:>10.2f} µs\n", "CPU time per decision, 2 threads", cpu2 / 1000);
  fmt::print("{:<44} {:>10.2f} µs\n", "CPU time per decision, with signal writer", cpuw / 1000);
  fmt::print("{:<44} {:>12.0f}\n", "decisions/s, 1 thread", tp1);
  fmt::print("{:<44} {:>12.0f}\n", "decisions/s, 2 threads", tp2);
  fmt::print("{:<44} {:>12.0f}\n", "decisions/s, 1 thread + signal writer", tpw);
  fmt::print("{:<44} {:>12}\n", "  signal updates published meanwhile", writes);
  fmt::print("{:<44} {:>10.2f} µs\n", "latency p50 with ~1k signal updates/s", wp50 / 1000);
  fmt::print("{:<44} {:>10.2f} µs\n", "latency p99 with ~1k signal updates/s", wp99 / 1000);
  fmt::print("ratio p50 / 5 µs target: {:.2f}; CPU per decision / 5 µs: {:.2f}\n", p50 / 5000,
             cpu1 / 5000);
  double load[3] = {0, 0, 0};
  if (getloadavg(load, 3) > 0) {
    fmt::print(
        "machine: {} cores, load average {:.1f} during the run (figures above 1 per core "
        "mean other processes competed for the CPU)\n",
        std::thread::hardware_concurrency(), load[0]);
  }
  return 0;
}
