#include "mamori/server/api.hpp"

#include <fmt/format.h>
#include <simdjson.h>

#include <charconv>
#include <chrono>

#include "mamori/event/time.hpp"
#include "mamori/io/byte_stream.hpp"
#include "mamori/output/json_text.hpp"
#include "mamori/server/services.hpp"
#include "mamori/store/event_store.hpp"
#include "mamori/store/query.hpp"

namespace mamori::server {

// ---------------------------------------------------------------------------------------
// helpers

void token_cache::load(std::vector<token_info> tokens) {
  std::unique_lock lock(mutex_);
  by_hash_.clear();
  for (auto& t : tokens)
    if (t.revoked == 0) by_hash_.emplace(t.hash, std::move(t));
}

std::optional<token_info> token_cache::find(std::string_view secret) const {
  if (secret.empty() || secret.size() > 256) return std::nullopt;
  const std::string h = token_hash(secret);
  std::shared_lock lock(mutex_);
  auto it = by_hash_.find(h);
  if (it == by_hash_.end()) return std::nullopt;
  // The map lookup compares hashes of secrets (no timing signal about the secret itself);
  // the final comparison is constant-time anyway.
  if (!constant_time_equal(it->first, h)) return std::nullopt;
  return it->second;
}

void token_cache::add(token_info t) {
  std::unique_lock lock(mutex_);
  by_hash_[t.hash] = std::move(t);
}

void token_cache::remove(const std::string& name) {
  std::unique_lock lock(mutex_);
  for (auto it = by_hash_.begin(); it != by_hash_.end();) {
    if (it->second.name == name) it = by_hash_.erase(it);
    else ++it;
  }
}

double rate_limiter::take(const std::string& key) {
  const std::int64_t now = now_ns();
  std::lock_guard lock(mutex_);
  if (buckets_.size() > 100'000) buckets_.clear();  // bounded memory under address churn
  auto [it, fresh] = buckets_.try_emplace(key, bucket{burst_, now});
  bucket& b = it->second;
  if (!fresh) {
    b.tokens = std::min(burst_, b.tokens + static_cast<double>(now - b.last_ns) / 1e9 * rate_);
    b.last_ns = now;
  }
  if (b.tokens >= 1) {
    b.tokens -= 1;
    return 0;
  }
  return rate_ > 0 ? (1 - b.tokens) / rate_ : 60;
}

namespace {

http_response too_many(double wait_s, std::string_view why) {
  auto r = error_response(429, why);
  r.headers.emplace_back("Retry-After", std::to_string(std::max(1, static_cast<int>(std::ceil(wait_s)))));
  return r;
}

std::optional<std::int64_t> parse_int(std::string_view s) {
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  while (!path.empty()) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash);
  }
  return out;
}

std::string stats_json(const api_context& ctx) {
  const auto s = ctx.pipe->stats();
  const auto w = ctx.pipe->wal().stats();
  std::string out = fmt::format(
      "{{\"ingest\":{{\"batches\":{},\"bytes\":{},\"records\":{},\"events\":{},\"rejected\":{},"
      "\"throttled\":{},\"udp_dropped\":{}}},"
      "\"store\":{{\"stored\":{},\"duplicates\":{},\"stored_seq\":{},\"queued_bytes\":{},"
      "\"latency_ms\":{{\"p50\":{:.1f},\"p99\":{:.1f}}}}},"
      "\"detect\":{{\"findings\":{},\"latency_ms\":{{\"p50\":{:.1f},\"p99\":{:.1f}}}}},"
      "\"wal\":{{\"appends\":{},\"syncs\":{},\"bytes\":{},\"segments\":{},\"last_seq\":{}}}",
      s.entries, s.bytes, s.records, s.events, s.rejected, s.throttled,
      ctx.udp_dropped != nullptr ? ctx.udp_dropped->load() : 0, s.stored, s.duplicates,
      s.stored_seq, s.queued_bytes, s.latency_p50_ms, s.latency_p99_ms, s.findings,
      s.finding_latency_p50_ms, s.finding_latency_p99_ms, w.appends, w.syncs, w.bytes, w.segments,
      ctx.pipe->wal().last_seq());
  if (ctx.extra_stats) {
    std::string extra = ctx.extra_stats();
    if (!extra.empty()) out += "," + extra;
  }
  out += '}';
  return out;
}

}  // namespace

api::api(api_context ctx)
    : ctx_(std::move(ctx)),
      limiter_(ctx_.config->requests_per_second, ctx_.config->burst),
      auth_failures_(0.2, 20) {}

void api::handle(http_request req, reply_fn reply) {
  const auto qpos = req.target.find('?');
  const std::string path = req.target.substr(0, qpos);
  const auto query = parse_query_string(qpos == std::string::npos ? std::string_view()
                                                                  : std::string_view(req.target).substr(qpos + 1));
  const auto seg = split_path(path);

  if (path == "/healthz") {
    if (ctx_.ready != nullptr && ctx_.ready->load()) return reply(json_response(200, "{\"status\":\"ok\"}"));
    return reply(error_response(503, "starting"));
  }
  if (seg.size() < 2 || seg[0] != "api" || seg[1] != "v1") return reply(error_response(404, "no such endpoint"));
  if (ctx_.ready != nullptr && !ctx_.ready->load()) {
    auto r = error_response(503, "starting (replaying the write-ahead log)");
    r.headers.emplace_back("Retry-After", "1");
    return reply(r);
  }

  // Authentication: "Authorization: Bearer <token>".
  std::string_view auth = req.authorization;
  std::optional<token_info> who;
  if (auth.size() > 7 && (auth.substr(0, 7) == "Bearer " || auth.substr(0, 7) == "bearer "))
    who = ctx_.tokens->find(auth.substr(7));
  if (!who) {
    if (double wait = auth_failures_.take(req.remote); wait > 0)
      return reply(too_many(wait, "too many failed authentications from this address"));
    auto r = error_response(401, auth.empty() ? "authentication required (Authorization: Bearer TOKEN)"
                                              : "invalid or revoked token");
    r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"mamori\"");
    return reply(r);
  }
  if (double wait = limiter_.take(who->name); wait > 0)
    return reply(too_many(wait, "rate limit exceeded for this token"));

  auto need = [&](role r) {
    if (role_allows(who->r, r)) return true;
    reply(error_response(403, fmt::format("token '{}' has role {}; this needs {}", who->name,
                                          role_name(who->r), role_name(r))));
    return false;
  };
  const std::string& m = req.method;
  auto method_not_allowed = [&] { reply(error_response(405, "method not allowed")); };
  const std::string_view area = seg.size() > 2 ? seg[2] : std::string_view();

  // --- ingest ---------------------------------------------------------------------------
  if (area == "ingest") {
    if (seg.size() != 4) return reply(error_response(404, "use POST /api/v1/ingest/{source}"));
    if (m != "POST") return method_not_allowed();
    if (!need(role::ingest)) return;
    const std::string source(seg[3]);
    if (!valid_name(source))
      return reply(error_response(400, "source must be 1-64 characters of A-Z a-z 0-9 . _ : -"));
    return ingest(*who, req, source, query, std::move(reply));
  }

  // Everything else is analyst work: blocking calls run on the worker pool.
  auto blocking = [this](auto fn) { ctx_.run_query(std::move(fn)); };

  if (area == "formats" && seg.size() == 3) {
    std::string out = "{\"formats\":[";
    for (std::size_t i = 0; i < ctx_.registry->all().size(); ++i) {
      const auto& d = ctx_.registry->all()[i];
      if (i > 0) out += ',';
      out += "{\"name\":";
      json_text::append_string(out, d.name);
      out += ",\"title\":";
      json_text::append_string(out, d.title);
      out += '}';
    }
    out += "]}";
    return reply(json_response(200, std::move(out)));
  }
  if (area == "stats" && seg.size() == 3) return reply(json_response(200, stats_json(ctx_)));

  if (area == "search" && seg.size() == 3) {
    if (!need(role::tier1)) return;
    std::string text;
    std::size_t limit = 100;
    if (m == "GET") {
      auto it = query.find("q");
      if (it != query.end()) text = it->second;
      if (auto l = query.find("limit"); l != query.end()) {
        auto v = parse_int(l->second);
        if (!v || *v < 1 || *v > 10000) return reply(error_response(400, "limit must be 1..10000"));
        limit = static_cast<std::size_t>(*v);
      }
    } else if (m == "POST") {
      simdjson::dom::parser p;
      auto doc = p.parse(req.body);
      if (doc.error() || !doc.is_object()) return reply(error_response(400, "body must be a JSON object {\"query\": ...}"));
      auto q = doc["query"];
      if (q.error() || !q.is_string()) return reply(error_response(400, "\"query\" (string) is required"));
      text = std::string(q.get_string().value());
      auto l = doc["limit"];
      if (!l.error()) {
        if (!l.is_int64() || l.get_int64().value() < 1 || l.get_int64().value() > 10000)
          return reply(error_response(400, "limit must be 1..10000"));
        limit = static_cast<std::size_t>(l.get_int64().value());
      }
    } else {
      return method_not_allowed();
    }
    auto parsed = store::parse_query(text, now_ns());
    if (!parsed) return reply(error_response(400, fmt::format("query: {}", parsed.error().message)));
    return blocking([this, q = std::move(*parsed), limit, reply]() {
      store::search_limits lim;
      lim.max_events = limit;
      lim.max_groups = std::max<std::size_t>(limit, 100);
      auto r = store::search_events(ctx_.events_dir, q, lim);
      if (!r) return reply(error_response(500, r.error().message));
      reply(json_response(200, std::move(r->json)));
    });
  }

  if (area == "findings") {
    if (!need(role::tier1)) return;
    if (m != "GET") return method_not_allowed();
    if (seg.size() == 4) {
      auto id = parse_int(seg[3]);
      if (!id) return reply(error_response(400, "finding id must be a number"));
      return blocking([this, id = *id, reply] {
        auto db = ctx_.states->get();
        if (!db) return reply(error_response(500, db.error().message));
        auto r = (*db)->finding_json_by_id(id);
        if (!r) return reply(error_response(500, r.error().message));
        if (!*r) return reply(error_response(404, "no such finding"));
        reply(json_response(200, std::move(**r)));
      });
    }
    if (seg.size() != 3) return reply(error_response(404, "no such endpoint"));
    state_db::finding_filter f;
    if (auto it = query.find("since"); it != query.end()) {
      auto t = store::parse_time_value(it->second, now_ns());
      if (!t) return reply(error_response(400, "since must be RFC 3339 or relative (-24h)"));
      f.since_ns = *t;
    }
    if (auto it = query.find("rule"); it != query.end()) f.rule = it->second;
    if (auto it = query.find("user"); it != query.end()) f.user = it->second;
    if (auto it = query.find("level"); it != query.end()) f.level = it->second;
    if (auto it = query.find("case"); it != query.end()) {
      auto v = parse_int(it->second);
      if (!v) return reply(error_response(400, "case must be a number"));
      f.case_id = *v;
    }
    if (auto it = query.find("limit"); it != query.end()) {
      auto v = parse_int(it->second);
      if (!v || *v < 1 || *v > 10000) return reply(error_response(400, "limit must be 1..10000"));
      f.limit = static_cast<std::size_t>(*v);
    }
    return blocking([this, f, reply] {
      auto db = ctx_.states->get();
      if (!db) return reply(error_response(500, db.error().message));
      auto r = (*db)->findings_json(f);
      if (!r) return reply(error_response(500, r.error().message));
      reply(json_response(200, std::move(*r)));
    });
  }

  if (area == "cases" && ctx_.cases != nullptr) {
    if (seg.size() == 3) {
      if (m != "GET") return method_not_allowed();
      if (!need(role::tier1)) return;
      return blocking([this, query, reply] {
        auto db = ctx_.states->get();
        if (!db) return reply(error_response(500, db.error().message));
        reply(ctx_.cases->list(**db, query));
      });
    }
    auto id = parse_int(seg[3]);
    if (!id || *id < 1) return reply(error_response(400, "case id must be a positive number"));
    if (seg.size() == 4) {
      if (m != "GET") return method_not_allowed();
      if (!need(role::tier1)) return;
      return blocking([this, id = *id, reply] {
        auto db = ctx_.states->get();
        if (!db) return reply(error_response(500, db.error().message));
        reply(ctx_.cases->show(**db, id));
      });
    }
    if (seg.size() != 5 || m != "POST") return reply(error_response(404, "no such endpoint"));
    const std::string verb(seg[4]);
    if (verb == "actions") {
      if (ctx_.actions == nullptr) return reply(error_response(404, "no response actions configured"));
      if (!need(role::tier1)) return;  // each action checks its own role
      return blocking([this, id = *id, who = *who, body = std::move(req.body), reply] {
        auto db = ctx_.states->get();
        if (!db) return reply(error_response(500, db.error().message));
        reply(ctx_.actions->run(**db, id, who, body));
      });
    }
    if (!need(role::tier1)) return;
    return blocking([this, id = *id, verb, who = *who, body = std::move(req.body), reply] {
      auto db = ctx_.states->get();
      if (!db) return reply(error_response(500, db.error().message));
      reply(ctx_.cases->update(**db, id, verb, who, body));
    });
  }

  if (area == "actions" && ctx_.actions != nullptr && seg.size() == 3) {
    if (m == "GET") {
      if (!need(role::tier1)) return;
      return reply(ctx_.actions->list());
    }
    if (m != "POST") return method_not_allowed();
    if (!need(role::tier1)) return;
    return blocking([this, who = *who, body = std::move(req.body), reply] {
      auto db = ctx_.states->get();
      if (!db) return reply(error_response(500, db.error().message));
      reply(ctx_.actions->run(**db, 0, who, body));
    });
  }

  if (area == "tokens") {
    if (!need(role::admin)) return;
    if (seg.size() == 3 && m == "GET") {
      return blocking([this, reply] {
        auto db = ctx_.states->get();
        if (!db) return reply(error_response(500, db.error().message));
        auto ts = (*db)->tokens(true);
        if (!ts) return reply(error_response(500, ts.error().message));
        std::string out = "{\"tokens\":[";
        for (std::size_t i = 0; i < ts->size(); ++i) {
          const auto& t = (*ts)[i];
          if (i > 0) out += ',';
          out += "{\"name\":";
          json_text::append_string(out, t.name);
          fmt::format_to(std::back_inserter(out), ",\"role\":\"{}\",\"created\":\"{}\",\"revoked\":{},\"sources\":[",
                         role_name(t.r), timeparse::format_rfc3339(t.created * 1'000'000'000),
                         t.revoked != 0 ? "true" : "false");
          for (std::size_t k = 0; k < t.sources.size(); ++k) {
            if (k > 0) out += ',';
            json_text::append_string(out, t.sources[k]);
          }
          out += "]}";
        }
        out += "]}";
        reply(json_response(200, std::move(out)));
      });
    }
    if (seg.size() == 3 && m == "POST") {
      simdjson::dom::parser p;
      auto doc = p.parse(req.body);
      if (doc.error() || !doc.is_object()) return reply(error_response(400, "body must be a JSON object"));
      auto name = doc["name"];
      auto rl = doc["role"];
      if (name.error() || !name.is_string() || !valid_name(name.get_string().value()))
        return reply(error_response(400, "\"name\" must be 1-64 characters of A-Z a-z 0-9 . _ : -"));
      if (rl.error() || !rl.is_string() || !parse_role(rl.get_string().value()))
        return reply(error_response(400, "\"role\" must be ingest, tier1, tier2 or admin"));
      std::vector<std::string> sources;
      auto src = doc["sources"];
      if (!src.error()) {
        if (!src.is_array()) return reply(error_response(400, "\"sources\" must be a list of names"));
        for (auto s : src.get_array()) {
          if (!s.is_string() || (s.get_string().value() != "*" && !valid_name(s.get_string().value())))
            return reply(error_response(400, "\"sources\" must be a list of names"));
          sources.emplace_back(s.get_string().value());
        }
      }
      return blocking([this, who = *who, n = std::string(name.get_string().value()),
                       r = *parse_role(rl.get_string().value()), sources, reply] {
        auto db = ctx_.states->get();
        if (!db) return reply(error_response(500, db.error().message));
        auto secret = (*db)->create_token(n, r, sources);
        if (!secret) return reply(error_response(409, secret.error().message));
        auto ts = (*db)->tokens(false);
        if (ts)
          for (auto& t : *ts)
            if (t.name == n) ctx_.tokens->add(t);
        std::string detail = "{\"name\":";
        json_text::append_string(detail, n);
        detail += fmt::format(",\"role\":\"{}\"}}", role_name(r));
        (void)(*db)->audit(who.name, "token.create", "token:" + n, detail);
        std::string out = "{\"name\":";
        json_text::append_string(out, n);
        out += fmt::format(",\"role\":\"{}\",\"token\":\"{}\"}}", role_name(r), *secret);
        reply(json_response(201, std::move(out)));
      });
    }
    if (seg.size() == 4 && m == "DELETE") {
      const std::string n(seg[3]);
      if (!valid_name(n)) return reply(error_response(400, "invalid token name"));
      return blocking([this, who = *who, n, reply] {
        auto db = ctx_.states->get();
        if (!db) return reply(error_response(500, db.error().message));
        auto ok = (*db)->revoke_token(n);
        if (!ok) return reply(error_response(500, ok.error().message));
        if (!*ok) return reply(error_response(404, "no active token with that name"));
        ctx_.tokens->remove(n);
        (void)(*db)->audit(who.name, "token.revoke", "token:" + n, "{}");
        reply(json_response(200, "{\"revoked\":true}"));
      });
    }
    return reply(error_response(404, "no such endpoint"));
  }

  if (area == "signals" && seg.size() == 3) {
    if (!need(role::tier2)) return;
    std::uint64_t since = 0;
    if (auto it = query.find("since"); it != query.end()) {
      auto v = parse_int(it->second);
      if (!v || *v < 0) return reply(error_response(400, "since must be a version number"));
      since = static_cast<std::uint64_t>(*v);
    }
    return blocking([this, since, reply] {
      auto db = ctx_.states->get();
      if (!db) return reply(error_response(500, db.error().message));
      auto sigs = (*db)->signals_since(since, 1000);
      if (!sigs) return reply(error_response(500, sigs.error().message));
      std::string out = fmt::format("{{\"version\":{},\"signals\":[", ctx_.signals->version());
      for (std::size_t i = 0; i < sigs->size(); ++i) {
        if (i > 0) out += ',';
        out += respond::signal_to_json((*sigs)[i]);
      }
      out += "]}";
      reply(json_response(200, std::move(out)));
    });
  }

  if (area == "audit") {
    if (!need(role::tier2)) return;
    if (seg.size() == 4 && seg[3] == "verify") {
      return blocking([this, reply] {
        auto db = ctx_.states->get();
        if (!db) return reply(error_response(500, db.error().message));
        auto r = (*db)->verify_audit();
        if (!r) return reply(error_response(500, r.error().message));
        reply(json_response(200, fmt::format("{{\"intact\":{},\"first_broken\":{}}}",
                                             *r == 0 ? "true" : "false", *r)));
      });
    }
    std::string object;
    if (auto it = query.find("object"); it != query.end()) object = it->second;
    std::size_t limit = 200;
    if (auto it = query.find("limit"); it != query.end()) {
      auto v = parse_int(it->second);
      if (!v || *v < 1 || *v > 10000) return reply(error_response(400, "limit must be 1..10000"));
      limit = static_cast<std::size_t>(*v);
    }
    return blocking([this, object, limit, reply] {
      auto db = ctx_.states->get();
      if (!db) return reply(error_response(500, db.error().message));
      auto r = (*db)->audit_json(object, limit);
      if (!r) return reply(error_response(500, r.error().message));
      reply(json_response(200, std::move(*r)));
    });
  }

  reply(error_response(404, "no such endpoint"));
}

void api::ingest(const token_info& who, const http_request& req, const std::string& source,
                 const std::map<std::string, std::string>& query, reply_fn reply) {
  bool allowed = false;
  for (const auto& s : who.sources) allowed = allowed || s == "*" || s == source;
  if (!allowed)
    return reply(error_response(403, fmt::format("token '{}' may not ingest into source '{}'", who.name, source)));
  std::string format;
  if (auto it = query.find("format"); it != query.end()) {
    format = it->second;
    if (!ctx_.registry->find(format))
      return reply(error_response(400, fmt::format("unknown format '{}' (GET /api/v1/formats)", format)));
  }
  const bool wait = query.count("wait") > 0 && query.at("wait") != "0" && query.at("wait") != "false";
  std::string encoding = req.content_encoding;
  if (!encoding.empty() && encoding != "identity" && encoding != "gzip" && encoding != "zstd")
    return reply(error_response(415, "Content-Encoding must be identity, gzip or zstd"));
  if (req.body.empty()) return reply(error_response(400, "empty body"));
  // Cheap admission check before any work: the queue must have room for the raw body.
  if (!ctx_.pipe->try_reserve(req.body.size())) {
    ctx_.pipe->note_throttled();
    return reply(too_many(1, "ingest queue full; retry later"));
  }
  ctx_.run_blocking([this, body = req.body, encoding, source, format, wait, reply]() mutable {
    const std::uint64_t raw_size = body.size();
    auto plain = decompress_body(std::move(body), encoding, ctx_.config->max_decompressed_bytes);
    if (!plain) {
      ctx_.pipe->unreserve(raw_size);
      const bool big = plain.error().message == "body too large";
      return reply(error_response(big ? 413 : 400, plain.error().message));
    }
    // Re-reserve for the decompressed size.
    ctx_.pipe->unreserve(raw_size);
    const std::uint64_t size = plain->size();
    if (!ctx_.pipe->try_reserve(size)) {
      ctx_.pipe->note_throttled();
      return reply(too_many(1, "ingest queue full; retry later"));
    }
    store::wal_entry e;
    e.source = source;
    e.format = format;
    e.body = std::move(*plain);
    e.received_ns = now_ns();
    std::function<void(const entry_result&)> done;
    if (wait) {
      done = [reply](const entry_result& r) {
        std::string out = fmt::format(
            "{{\"seq\":{},\"records\":{},\"events\":{},\"stored\":{},\"duplicates\":{},\"rejected\":{},"
            "\"findings\":{},\"format\":",
            r.seq, r.records, r.events, r.stored, r.duplicates, r.rejected, r.findings);
        json_text::append_string(out, r.format);
        out += ",\"diagnostics\":[";
        for (std::size_t i = 0; i < r.diagnostics.size(); ++i) {
          if (i > 0) out += ',';
          json_text::append_string(out, r.diagnostics[i]);
        }
        out += "]}";
        reply(json_response(200, std::move(out)));
      };
    }
    auto seq = ctx_.pipe->ingest(std::move(e), std::move(done));
    if (!seq) {
      ctx_.pipe->unreserve(size);
      return reply(error_response(503, fmt::format("cannot write ahead: {}", seq.error().message)));
    }
    if (!wait) reply(json_response(202, fmt::format("{{\"seq\":{},\"bytes\":{}}}", *seq, size)));
  });
}

}  // namespace mamori::server
