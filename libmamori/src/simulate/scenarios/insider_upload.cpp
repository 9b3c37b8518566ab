// An insider uploading many files and personal data to an unsanctioned cloud storage app
// before leaving: a salesperson downloads customer lists and personnel records from
// SharePoint, then uploads them through the web gateway to a personal storage service.

#include "scenarios/common.hpp"

namespace mamori::sim {

namespace {

void plan(scenario_context& sc) {
  const company& co = sc.co();
  rng r = stream(sc.seed(), name_hash("scenario:insider_upload"));
  const std::int64_t day = sc.day_start(0.78);
  session own{};
  const person* insider = scn::pick_worker(
      sc.sim(), r, day,
      [&](const person& p) { return p.job == role::sales && co.offices[p.office].w3c_gateway; },
      &own);
  if (insider == nullptr) {
    insider = scn::pick_worker(
        sc.sim(), r, day, [&](const person& p) { return co.offices[p.office].w3c_gateway; }, &own);
  }
  if (insider == nullptr) return;
  // The unsanctioned storage service: MEGA when the reference lists name it.
  const app* storage = sc.sim().apps.find("mega");
  if (storage == nullptr) {
    const auto kinds = sc.sim().apps.of_kind(app_kind::shadow_storage);
    if (kinds.empty()) return;
    storage = &sc.sim().apps.apps()[kinds[0]];
  }
  const std::string host =
      storage->name == "mega" ? "gfs270n103.userstorage.mega.co.nz" : storage->domains[0];
  const std::size_t downloads = 250, uploads = 180;
  std::vector<std::size_t> picked;
  for (std::size_t k = 0; k < co.files.size() && picked.size() < downloads; ++k) {
    const site_file& f = co.files[k];
    if (f.name.starts_with("customer-list") || f.name.starts_with("personnel-record") ||
        f.name.starts_with("price-list") || f.name.starts_with("quotation") ||
        f.name.starts_with("order-history")) {
      picked.push_back(k);
    }
  }
  for (std::size_t k = 0; picked.size() < downloads; ++k) picked.push_back(k % co.files.size());

  truth_campaign c;
  c.campaign_id = "c07";
  c.scenario = "insider_upload_unsanctioned_storage";
  c.description = insider->upn + " downloads " + std::to_string(downloads) +
                  " files (customer lists, personnel records) and uploads " +
                  std::to_string(uploads) + " to " + storage->name + " before leaving";
  c.parameters = {{"downloads", std::to_string(downloads)},
                  {"uploads", std::to_string(uploads)},
                  {"app", storage->name},
                  {"upload_host", host}};
  c.users = {insider->upn, insider->sam};
  c.src_ips = {ipv4_string(insider->laptop_ip)};
  c.expected = {{{"mamori.mass_download"}, "user", insider->upn, false, 0},
                {{"mamori.mass_upload"}, "user", insider->sam, false, 0},
                {{"mamori.unusual_service", "mamori.shadow_it*"}, "user", insider->sam, true, 0}};
  const std::uint32_t id = sc.truth().add_campaign(std::move(c));
  const std::uint32_t egress = own.ip;
  std::int64_t t = own.start + 2 * ns_per_hour;
  for (std::size_t k = 0; k < downloads; ++k) {
    t += r.range(4, 14) * ns_per_s;
    const std::size_t f = picked[k];
    sc.at(t, [=](sim_io& io) {
      rng g = stream(io.sim().seed(), name_hash("insider:download"), k);
      scn::emit(io, id, "bulk_download", "m365_audit", [&](emitter& out, std::uint32_t tag) {
        wire::file_op op;
        op.t = t;
        op.who = insider;
        op.ip = egress;
        op.operation = "FileDownloaded";
        op.file = &io.sim().co.files[f];
        op.user_agent = device_profiles()[insider->laptop_profile].user_agent;
        return wire::m365_file(out, io.sim(), op, g, tag);
      });
    });
  }
  t += 20 * ns_per_min;
  for (std::size_t k = 0; k < uploads; ++k) {
    t += r.range(10, 30) * ns_per_s;
    const std::uint64_t size = 400'000 + r.below(18'000'000);
    const std::size_t f = picked[k];
    sc.at(t, [=](sim_io& io) {
      scn::emit(io, id, "upload_unsanctioned", "w3c", [&](emitter& out, std::uint32_t tag) {
        const std::string path = "/ul/" + std::to_string(f);
        wire::web_request q;
        q.t = t;
        q.client = insider->laptop_ip;
        q.user = insider->sam;
        q.method = "POST";
        q.host = host;
        q.path = path;
        q.query = "c=1&d=0";
        q.bytes_in = size;
        q.bytes_out = 420;
        q.elapsed_ms = 800 + static_cast<int>(size / 20000);
        q.user_agent = device_profiles()[insider->laptop_profile].user_agent;
        q.content_type = "application/octet-stream";
        q.category = "File Storage/Sharing";
        wire::w3c(out, q, tag);
        return std::string();
      });
    });
  }
}

}  // namespace

scenario_spec insider_upload_scenario_spec() {
  return {"insider_upload_unsanctioned_storage",
          "Insider uploads files and personal data to an unsanctioned cloud storage app",
          "Before leaving, a salesperson downloads customer lists and personnel records from "
          "SharePoint and uploads them through the web gateway to a personal storage service.",
          plan};
}

}  // namespace mamori::sim
