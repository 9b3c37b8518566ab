// Box enterprise events as the Events API returns them (GET /events?stream_type=admin_logs:
// {"entries":[...],"chunk_size":N,"next_stream_position":"..."}), one file per UTC day.
// created_at carries the Pacific offset like Box's own timestamps. Field reference: Box
// developer docs, "Event" resource and "Enterprise events" event types.

#include "mamori/simulate/text.hpp"
#include "mamori/simulate/wire.hpp"

namespace mamori::sim {

namespace wire {

std::string box(emitter& out, const sim_context& ctx, const box_event& e, rng& r,
                std::uint32_t truth) {
  std::string id;
  append_uuid(id, r.next(), r.next());
  std::string& o = out.begin();
  auto user = [&](const person& p) {
    o += "{\"type\":\"user\",\"id\":\"";
    o += p.box_id;
    o += "\",\"name\":";
    append_json(o, p.display_name);
    o += ",\"login\":";
    append_json(o, p.upn);
    o += '}';
  };
  o += "{\"source\":";
  if (e.event_type == "LOGIN" || e.event_type == "FAILED_LOGIN") {
    user(*e.who);
  } else {
    o += "{\"item_type\":\"file\",\"item_id\":\"";
    append_uint(o, 1000000000000ULL + name_hash(e.item_name) % 900000000000ULL);
    o += "\",\"item_name\":";
    append_json(o, e.item_name);
    o += ",\"parent\":{\"type\":\"folder\",\"name\":";
    append_json(o, e.folder);
    o += ",\"id\":\"";
    append_uint(o, 200000000000ULL + name_hash(e.folder) % 90000000000ULL);
    o += "\"},\"owned_by\":";
    user(*e.who);
    o += '}';
  }
  o += ",\"created_by\":";
  user(*e.who);
  o += ",\"action_by\":null,\"created_at\":\"";
  const city& pacific = cities()[city_index("San Francisco")];
  append_iso_offset(o, e.t, utc_offset_minutes(pacific, e.t));
  o += "\",\"event_id\":\"";
  o += id;
  o += "\",\"event_type\":";
  append_json(o, e.event_type);
  o += ",\"ip_address\":\"";
  append_ipv4(o, e.ip);
  o += "\",\"type\":\"event\",\"session_id\":null,\"additional_details\":";
  if (e.size > 0) {
    o += "{\"size\":";
    append_uint(o, e.size);
    o += ",\"ekm_id\":null,\"version_id\":\"";
    append_uint(o, 1500000000000ULL + r.below(100000000000ULL));
    o += "\",\"service_id\":\"";
    append_uint(o, 100000 + r.below(900000));
    o += "\",\"service_name\":\"Box Web App\"}";
  } else {
    o += "null";
  }
  o += '}';
  (void)ctx;
  out.commit(e.t, 0, truth);
  return id;
}

}  // namespace wire

namespace {

class box_source final : public source_generator {
 public:
  void generate(const sim_context& ctx, const window& w, emitter& out) override {
    const auto& files = ctx.co.files;
    const auto& folders = ctx.co.box_folders;
    for (const person& p : ctx.co.people) {
      const auto& day = ctx.today[p.index];
      if (day.sessions.empty()) continue;
      // Box is used by sales, engineering and management (external collaboration).
      if (p.job != role::sales && p.job != role::engineer && p.job != role::executive &&
          p.index % 3 != 0) {
        continue;
      }
      rng r = stream(ctx.seed(), name_hash("box"), p.index, static_cast<std::uint64_t>(w.index));
      for (const session& s : day.sessions) {
        if (s.end <= w.start || s.start >= w.end || !s.laptop) continue;
        wire::box_event e;
        e.who = &p;
        e.ip = s.ip;
        if (s.start >= w.start && s.start < w.end) {
          e.t = s.start + r.range(60, 600) * ns_per_s;
          e.event_type = "LOGIN";
          wire::box(out, ctx, e, r);
        }
        const std::int64_t a = std::max(s.start + 10 * ns_per_min, w.start);
        const std::int64_t b = std::min(s.end, w.end);
        for_each_arrival(r, a, b, 1.2 * p.activity, [&](std::int64_t t) {
          const site_file& f = files[r.below(files.size())];
          e.t = t;
          e.item_name = f.name;
          e.folder = folders[r.below(folders.size())];
          const double x = r.unit();
          e.event_type = x < 0.5 ? "PREVIEW" : x < 0.75 ? "DOWNLOAD" : x < 0.9 ? "UPLOAD" : "EDIT";
          e.size = e.event_type == "PREVIEW" ? 0 : f.size;
          wire::box(out, ctx, e, r);
        });
      }
    }
  }

  std::string path(const sim_context&, const record& r) const override {
    std::string p = "box/events-";
    append_iso_utc(p, r.t, 0, false);
    p.resize(p.size() - 9);
    p += ".json";
    return p;
  }
  void prologue(std::string& out, const sim_context&, const record&) const override {
    out += "{\"entries\":[\n";
  }
  std::string_view separator() const override { return ",\n"; }
  void epilogue(std::string& out, std::uint64_t records) const override {
    out += "\n],\"chunk_size\":";
    append_uint(out, records);
    out += ",\"next_stream_position\":\"";
    append_uint(out, 1152922976252290886ULL + records);
    out += "\"}\n";
  }
};

}  // namespace

source_spec box_source_spec() {
  return {"box", "Box enterprise events (Events API JSON)", "box", "box/events-YYYY-MM-DD.json",
          [](const sim_context&) { return std::make_unique<box_source>(); }};
}

}  // namespace mamori::sim
