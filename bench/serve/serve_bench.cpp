// bench/serve: what does `mamori serve` sustain on this machine?
//
//   serve_bench build-store DIR EVENTS DAYS   synthetic CloudTrail-shaped events (10k users,
//                                             50k addresses, 150 operations) decoded by the
//                                             cloudtrail decoder and stored as the server does
//   serve_bench search DIR [ROUNDS]           p50/p95 latency of a mix of analyst queries
//   serve_bench load-http URL TOKEN FILE CONNECTIONS SECONDS BATCH
//                                             sustained HTTP ingest: events/s accepted, then
//                                             events/s stored end to end (waits for the store)
//   serve_bench load-syslog URL TOKEN HOST:PORT FILE CONNECTIONS SECONDS
//                                             the same over TCP syslog (LF framing)
//
// Ratios against a limit are printed by bench/serve/run (parse-only rate of the same data).

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <simdjson.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <random>
#include <thread>

#include "mamori/io/byte_stream.hpp"
#include "mamori/pipeline/parse_job.hpp"
#include "mamori/server/http_client.hpp"
#include "mamori/store/event_store.hpp"
#include "mamori/store/query.hpp"

using namespace mamori;
using clock_type = std::chrono::steady_clock;

namespace {

double seconds_since(clock_type::time_point t) {
  return std::chrono::duration<double>(clock_type::now() - t).count();
}

const char* const operations[] = {
    "GetObject", "PutObject", "ListBuckets", "DescribeInstances", "AssumeRole", "GetCallerIdentity",
    "ConsoleLogin", "CreateAccessKey", "DeleteObject", "GetSecretValue", "ListUsers", "AttachUserPolicy",
    "RunInstances", "StopLogging", "AuthorizeSecurityGroupIngress", "PutBucketPolicy", "DescribeTrails",
    "GetBucketAcl", "ListRoles", "DecryptKey"};
const char* const services[] = {"s3.amazonaws.com", "ec2.amazonaws.com", "iam.amazonaws.com",
                                "sts.amazonaws.com", "signin.amazonaws.com", "secretsmanager.amazonaws.com",
                                "kms.amazonaws.com", "cloudtrail.amazonaws.com"};

// One CloudTrail record (NDJSON line) with realistic fields.
std::string synth_record(std::mt19937_64& rng, std::int64_t t_ns, std::uint64_t n) {
  const auto user = rng() % 10000;
  const auto ip = rng() % 50000;
  const auto op = static_cast<std::size_t>((rng() % 1000) < 700 ? rng() % 6 : rng() % std::size(operations));
  const bool error = rng() % 50 == 0;
  const std::time_t secs = static_cast<std::time_t>(t_ns / 1'000'000'000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char ts[32];
  std::strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return fmt::format(
      R"({{"eventVersion":"1.08","userIdentity":{{"type":"IAMUser","principalId":"AIDA{0:012}","arn":"arn:aws:iam::123456789012:user/user-{0}","accountId":"123456789012","accessKeyId":"AKIA{0:016}","userName":"user-{0}"}},"eventTime":"{1}","eventSource":"{2}","eventName":"{3}","awsRegion":"us-east-1","sourceIPAddress":"10.{4}.{5}.{6}","userAgent":"aws-cli/2.13.{7} Python/3.11.4 Linux/6.1.0 botocore/2.4.{7}","requestParameters":{{"bucketName":"bucket-{8}","key":"data/{9}.parquet"}},"responseElements":null,{10}"requestID":"{11:016x}","eventID":"{12:016x}-{13:08x}","readOnly":{14},"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"123456789012","eventCategory":"Management"}})",
      user, ts, services[op % std::size(services)], operations[op], (ip >> 16) & 255, (ip >> 8) & 255, ip & 255,
      rng() % 40, rng() % 300, rng() % 100000, error ? R"("errorCode":"AccessDenied","errorMessage":"User is not authorized",)" : "",
      rng(), n, static_cast<std::uint32_t>(rng()), op % 3 == 0 ? "false" : "true");
}

int build_store(const std::string& dir, std::uint64_t events, int days) {
  diagnostics diag;
  store::event_store_options o;
  o.dir = dir;
  auto es = store::event_store::open(o, diag);
  if (!es) {
    fmt::print(stderr, "{}\n", es.error().message);
    return 1;
  }
  std::mt19937_64 rng(42);
  const std::int64_t start = 1'700'006'400'000'000'000LL;  // 2023-11-15T00:00:00Z
  const std::int64_t span = static_cast<std::int64_t>(days) * 86'400'000'000'000LL;
  constexpr std::uint64_t per_batch = 10000;
  const auto t0 = clock_type::now();
  struct sink final : event_sink {
    store::event_store* es;
    std::uint64_t seq = 0, n = 0;
    void consume(const event_batch& b) override {
      for (const auto& e : b.events()) {
        store::stored_event s;
        store::make_stored_event(e, "cloudtrail", "bench", (seq << store::event_id_shift) | n++, 0, s);
        (void)es->insert(s);
      }
    }
  } s;
  s.es = es->get();
  parse_options po;
  po.format = "cloudtrail";
  parse_job job(decoder_registry::builtin(), po, diag);
  for (std::uint64_t done = 0; done < events; done += per_batch) {
    std::string body;
    for (std::uint64_t i = 0; i < per_batch && done + i < events; ++i) {
      // Time increases through the range (with jitter), as ingest does.
      const std::int64_t t = start + static_cast<std::int64_t>(static_cast<double>(span) * static_cast<double>(done + i) / static_cast<double>(events)) +
                             static_cast<std::int64_t>(rng() % 1'000'000'000);
      body += synth_record(rng, t, done + i);
      body += '\n';
    }
    s.seq = done / per_batch + 1;
    s.n = 0;
    parse_stats st;
    job.run_one("bench", memory_input(std::move(body)), s, st);
    (void)(*es)->commit();
    if ((done / per_batch) % 50 == 0)
      fmt::print(stderr, "build-store: {} events, {:.0f} events/s\n", done + per_batch,
                 static_cast<double>(done + per_batch) / seconds_since(t0));
  }
  (void)(*es)->flush_index();
  const double secs = seconds_since(t0);
  std::uint64_t bytes = 0;
  for (const auto& p : store::list_partitions(dir)) bytes += p.bytes;
  fmt::print("build-store: {} events in {:.0f} s ({:.0f} events/s, decode+store, one thread); {:.1f} GB, {:.0f} bytes/event\n",
             (*es)->inserted(), secs, static_cast<double>((*es)->inserted()) / secs, static_cast<double>(bytes) / 1e9,
             static_cast<double>(bytes) / static_cast<double>(std::max<std::uint64_t>(1, (*es)->inserted())));
  return 0;
}

int search_bench(const std::string& dir, int rounds) {
  auto parts = store::list_partitions(dir);
  if (parts.empty()) {
    fmt::print(stderr, "no partitions in {}\n", dir);
    return 1;
  }
  const std::string first = parts.front().day, mid = parts[parts.size() / 2].day, last = parts.back().day;
  std::mt19937_64 rng(7);
  // The mix an analyst (and the case evidence) runs. {U} {I} are random user/address.
  const std::vector<std::pair<std::string, std::string>> mix = {
      {"user, count", "user=user-{U} | count"},
      {"user, newest 100", "user=user-{U}"},
      {"raw field, 1 day, newest 100", "eventName=ConsoleLogin earliest=" + mid + "T00:00:00Z latest=" + mid + "T23:59:59Z"},
      {"free text, newest 100", "\"accessdenied\" user=user-{U}"},
      {"address, count by eventName", "src_ip=10.{I} | count by eventName"},
      {"raw field, count by user, 1 day", "errorCode=AccessDenied earliest=" + mid + "T00:00:00Z latest=" + mid + "T23:59:59Z | top 10 user"},
      {"all, count", "| count"},
      {"all, histogram 1h", "| histogram 1h"},
      {"1 day, top 10 src_ip", "earliest=" + mid + "T00:00:00Z latest=" + mid + "T23:59:59Z | top 10 src_ip"},
      {"6 h, count by operation", "earliest=" + last + "T06:00:00Z latest=" + last + "T12:00:00Z | count by operation"},
      {"user, 30 days, top operations (case evidence)", "user=user-{U} earliest=" + first + "T00:00:00Z | top 10 operation"},
      {"user, status failed, count by src_ip", "user=user-{U} errorCode=* | count by src_ip"},
  };
  std::vector<double> all;
  fmt::print("{:<48} {:>9} {:>9} {:>9}\n", "query", "p50 ms", "p95 ms", "max ms");
  for (const auto& [name, tmpl] : mix) {
    std::vector<double> ms;
    for (int r = 0; r < rounds; ++r) {
      std::string q = tmpl;
      if (auto p = q.find("{U}"); p != std::string::npos) q.replace(p, 3, std::to_string(rng() % 10000));
      if (auto p = q.find("{I}"); p != std::string::npos) {
        const auto ip = rng() % 50000;
        q.replace(p, 3, fmt::format("{}.{}.{}", (ip >> 16) & 255, (ip >> 8) & 255, ip & 255));
      }
      auto parsed = store::parse_query(q, 1'800'000'000'000'000'000LL);
      if (!parsed) {
        fmt::print(stderr, "{}: {}\n", q, parsed.error().message);
        return 1;
      }
      const auto t0 = clock_type::now();
      auto res = store::search_events(dir, *parsed, {});
      const double took = seconds_since(t0) * 1000;
      if (!res) {
        fmt::print(stderr, "{}: {}\n", q, res.error().message);
        return 1;
      }
      ms.push_back(took);
      all.push_back(took);
    }
    std::sort(ms.begin(), ms.end());
    fmt::print("{:<48} {:>9.1f} {:>9.1f} {:>9.1f}\n", name, ms[ms.size() / 2],
               ms[std::min(ms.size() - 1, static_cast<std::size_t>(0.95 * static_cast<double>(ms.size())))], ms.back());
  }
  std::sort(all.begin(), all.end());
  fmt::print("{:<48} {:>9.1f} {:>9.1f} {:>9.1f}\n", "ALL QUERIES", all[all.size() / 2],
             all[std::min(all.size() - 1, static_cast<std::size_t>(0.95 * static_cast<double>(all.size())))], all.back());
  return 0;
}

std::int64_t stat_value(const std::string& url, const std::string& token, const char* a, const char* b) {
  auto r = server::http_call("GET", url + "/api/v1/stats", {{"Authorization", "Bearer " + token}}, "", {});
  if (!r) return -1;
  simdjson::dom::parser p;
  auto doc = p.parse(r->body);
  auto v = doc[a][b];
  if (v.error()) return -1;
  if (v.is_int64()) return v.get_int64().value();
  if (v.is_double()) return static_cast<std::int64_t>(v.get_double().value());
  return -1;
}

void print_latency(const std::string& url, const std::string& token) {
  auto r = server::http_call("GET", url + "/api/v1/stats", {{"Authorization", "Bearer " + token}}, "", {});
  if (!r) return;
  simdjson::dom::parser p;
  auto doc = p.parse(r->body);
  fmt::print("  ingest→stored latency p50 {:.0f} ms, p99 {:.0f} ms; ingest→finding p50 {:.0f} ms, p99 {:.0f} ms; findings {}\n",
             doc["store"]["latency_ms"]["p50"].get_double().value(), doc["store"]["latency_ms"]["p99"].get_double().value(),
             doc["detect"]["latency_ms"]["p50"].get_double().value(), doc["detect"]["latency_ms"]["p99"].get_double().value(),
             doc["detect"]["findings"].get_int64().value());
}

// Waits until the server has stored `target` events (bounded); returns seconds waited.
double wait_stored(const std::string& url, const std::string& token, std::int64_t target) {
  const auto t0 = clock_type::now();
  while (seconds_since(t0) < 900) {
    if (stat_value(url, token, "store", "stored") + stat_value(url, token, "store", "duplicates") >= target) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return seconds_since(t0);
}

int load_http(const std::string& url, const std::string& token, const std::string& file, int conns,
              double seconds, std::size_t batch_events) {
  std::vector<std::string> lines;
  {
    std::ifstream in(file);
    for (std::string l; std::getline(in, l);)
      if (!l.empty()) lines.push_back(l);
  }
  std::vector<std::string> batches;
  for (std::size_t off = 0; off < lines.size(); off += batch_events) {
    std::string b;
    for (std::size_t i = off; i < std::min(lines.size(), off + batch_events); ++i) b += lines[i] + "\n";
    batches.push_back(std::move(b));
  }
  const std::int64_t base = stat_value(url, token, "store", "stored") + stat_value(url, token, "store", "duplicates");
  std::atomic<std::int64_t> accepted{0}, throttled{0}, bytes{0};
  std::atomic<bool> stop{false};
  const auto t0 = clock_type::now();
  std::vector<std::thread> th;
  for (int c = 0; c < conns; ++c) {
    th.emplace_back([&, c] {
      std::size_t k = static_cast<std::size_t>(c);
      while (!stop) {
        const std::string& b = batches[k++ % batches.size()];
        auto r = server::http_call("POST", url + "/api/v1/ingest/bench?format=cloudtrail",
                                   {{"Authorization", "Bearer " + token}}, b, {});
        if (r && r->status == 202) {
          accepted += static_cast<std::int64_t>(std::count(b.begin(), b.end(), '\n'));
          bytes += static_cast<std::int64_t>(b.size());
        } else if (r && r->status == 429) {
          ++throttled;
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
        } else {
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : th) t.join();
  const double sent_s = seconds_since(t0);
  const double wait_s = wait_stored(url, token, base + accepted);
  const double total_s = seconds_since(t0);
  fmt::print("http: {} connections, {} events/batch: accepted {} events in {:.1f} s = {:.0f} events/s "
             "({:.1f} MB/s), {} answers 429; all stored after {:.1f} s more: {:.0f} events/s end to end\n",
             conns, batch_events, accepted.load(), sent_s, static_cast<double>(accepted) / sent_s,
             static_cast<double>(bytes) / sent_s / 1e6, throttled.load(), wait_s, static_cast<double>(accepted) / total_s);
  print_latency(url, token);
  return 0;
}

int load_syslog(const std::string& url, const std::string& token, const std::string& hp, const std::string& file,
                int conns, double seconds) {
  std::string data;
  std::size_t lines_per_copy = 0;
  {
    std::ifstream in(file);
    for (std::string l; std::getline(in, l);)
      if (!l.empty()) {
        data += l + "\n";
        ++lines_per_copy;
      }
  }
  auto colon = hp.rfind(':');
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(std::stoi(hp.substr(colon + 1))));
  ::inet_pton(AF_INET, hp.substr(0, colon).c_str(), &a.sin_addr);
  const std::int64_t base = stat_value(url, token, "store", "stored") + stat_value(url, token, "store", "duplicates");
  std::atomic<std::int64_t> copies{0};
  std::atomic<bool> stop{false};
  const auto t0 = clock_type::now();
  std::vector<std::thread> th;
  for (int c = 0; c < conns; ++c) {
    th.emplace_back([&] {
      int fd = ::socket(AF_INET, SOCK_STREAM, 0);
      if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return;
      while (!stop) {
        std::size_t off = 0;
        while (off < data.size()) {
          ssize_t n = ::write(fd, data.data() + off, data.size() - off);
          if (n <= 0) break;
          off += static_cast<std::size_t>(n);
        }
        ++copies;
      }
      ::close(fd);
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : th) t.join();
  const double sent_s = seconds_since(t0);
  const std::int64_t sent = copies * static_cast<std::int64_t>(lines_per_copy);
  const double wait_s = wait_stored(url, token, base + sent);
  const double total_s = seconds_since(t0);
  fmt::print("syslog tcp: {} connections: sent {} events in {:.1f} s = {:.0f} events/s (reads are paused while "
             "the pipeline is full); all stored after {:.1f} s more: {:.0f} events/s end to end\n",
             conns, sent, sent_s, static_cast<double>(sent) / sent_s, wait_s, static_cast<double>(sent) / total_s);
  print_latency(url, token);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> a(argv + 1, argv + argc);
  if (a.size() >= 4 && a[0] == "build-store") return build_store(a[1], std::stoull(a[2]), std::stoi(a[3]));
  if (a.size() >= 2 && a[0] == "search") return search_bench(a[1], a.size() > 2 ? std::stoi(a[2]) : 20);
  if (a.size() >= 7 && a[0] == "load-http")
    return load_http(a[1], a[2], a[3], std::stoi(a[4]), std::stod(a[5]), std::stoul(a[6]));
  if (a.size() >= 7 && a[0] == "load-syslog") return load_syslog(a[1], a[2], a[3], a[4], std::stoi(a[5]), std::stod(a[6]));
  fmt::print(stderr, "usage: see the comment at the top of bench/serve/serve_bench.cpp\n");
  return 1;
}
