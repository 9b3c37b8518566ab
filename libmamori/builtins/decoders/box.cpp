// Box enterprise events: GET /events?stream_type=admin_logs pages ({"entries":[...]}, split by
// the framing layer), NDJSON exports and single events. Field reference: Box Developer
// documentation, "Event" resource and "Event types" (enterprise events).
// docs/formats/box.md gives the mapping.

#include "saas_common.hpp"

namespace mamori::builtins {

namespace {

using namespace saas;

struct box_class {
  ocsf::event_class cls;
  std::uint8_t activity;
  ocsf::status_id status;
};

box_class classify(std::string_view type) {
  using ocsf::event_class;
  constexpr auto ok = ocsf::status_id::success;
  constexpr auto fail = ocsf::status_id::failure;
  struct entry {
    std::string_view type;
    box_class c;
  };
  static constexpr entry table[] = {
      {"LOGIN", {event_class::authentication, ocsf::activity::logon, ok}},
      {"ADMIN_LOGIN", {event_class::authentication, ocsf::activity::logon, ok}},
      {"FAILED_LOGIN", {event_class::authentication, ocsf::activity::logon, fail}},
      {"UPLOAD", {event_class::file_hosting_activity, file_hosting::upload, ok}},
      {"DOWNLOAD", {event_class::file_hosting_activity, file_hosting::download, ok}},
      {"EDIT", {event_class::file_hosting_activity, file_hosting::update, ok}},
      {"DELETE", {event_class::file_hosting_activity, file_hosting::remove, ok}},
      {"ITEM_TRASH", {event_class::file_hosting_activity, file_hosting::remove, ok}},
      {"RENAME", {event_class::file_hosting_activity, file_hosting::rename, ok}},
      {"ITEM_RENAME", {event_class::file_hosting_activity, file_hosting::rename, ok}},
      {"COPY", {event_class::file_hosting_activity, file_hosting::copy, ok}},
      {"ITEM_COPY", {event_class::file_hosting_activity, file_hosting::copy, ok}},
      {"MOVE", {event_class::file_hosting_activity, file_hosting::move, ok}},
      {"ITEM_MOVE", {event_class::file_hosting_activity, file_hosting::move, ok}},
      {"UNDELETE", {event_class::file_hosting_activity, file_hosting::restore, ok}},
      {"ITEM_UNDELETE_VIA_TRASH", {event_class::file_hosting_activity, file_hosting::restore, ok}},
      {"PREVIEW", {event_class::file_hosting_activity, file_hosting::preview, ok}},
      {"ITEM_PREVIEW", {event_class::file_hosting_activity, file_hosting::preview, ok}},
      {"LOCK", {event_class::file_hosting_activity, file_hosting::lock, ok}},
      {"LOCK_CREATE", {event_class::file_hosting_activity, file_hosting::lock, ok}},
      {"UNLOCK", {event_class::file_hosting_activity, file_hosting::unlock, ok}},
      {"LOCK_DESTROY", {event_class::file_hosting_activity, file_hosting::unlock, ok}},
      {"SHARE", {event_class::file_hosting_activity, file_hosting::share, ok}},
      {"ITEM_SHARED", {event_class::file_hosting_activity, file_hosting::share, ok}},
      {"ITEM_SHARED_CREATE", {event_class::file_hosting_activity, file_hosting::share, ok}},
      {"ITEM_SHARED_UPDATE", {event_class::file_hosting_activity, file_hosting::share, ok}},
      {"SHARE_EXPIRATION", {event_class::file_hosting_activity, file_hosting::unshare, ok}},
      {"UNSHARE", {event_class::file_hosting_activity, file_hosting::unshare, ok}},
      {"ITEM_SHARED_UNSHARE", {event_class::file_hosting_activity, file_hosting::unshare, ok}},
      {"COLLABORATION_INVITE", {event_class::file_hosting_activity, file_hosting::share, ok}},
      {"COLLABORATION_REMOVE", {event_class::file_hosting_activity, file_hosting::unshare, ok}},
      {"ITEM_OPEN", {event_class::file_hosting_activity, file_hosting::open, ok}},
      {"ITEM_SYNC", {event_class::file_hosting_activity, file_hosting::sync, ok}},
      {"ITEM_UNSYNC", {event_class::file_hosting_activity, file_hosting::unsync, ok}},
      {"NEW_USER", {event_class::account_change, account::create, ok}},
      {"DELETE_USER", {event_class::account_change, account::remove, ok}},
      {"EDIT_USER", {event_class::account_change, ocsf::activity::other, ok}},
      {"GROUP_ADD_USER", {event_class::group_management, group::add_user, ok}},
      {"GROUP_REMOVE_USER", {event_class::group_management, group::remove_user, ok}},
      {"ADD_LOGIN_ACTIVITY_DEVICE", {event_class::api_activity, ocsf::activity::create, ok}},
  };
  for (const auto& e : table)
    if (e.type == type) return e.c;
  // Other admin events: API Activity; failures carry it in the name (DEVICE_TRUST_CHECK_FAILED).
  const bool failed = type.find("FAILED") != std::string_view::npos ||
                      type.find("VIOLATION") != std::string_view::npos;
  std::uint8_t act = ocsf::activity::other;
  if (type.find("CREATE") != std::string_view::npos || type.starts_with("ADD_") ||
      type.starts_with("NEW_")) {
    act = ocsf::activity::create;
  } else if (type.find("UPDATE") != std::string_view::npos || type.starts_with("CHANGE_") ||
             type.starts_with("EDIT")) {
    act = ocsf::activity::update;
  } else if (type.find("DELETE") != std::string_view::npos || type.starts_with("REMOVE_")) {
    act = ocsf::activity::remove;
  }
  return {event_class::api_activity, act, failed ? fail : ocsf::status_id::unknown};
}

}  // namespace

class box_decoder final : public source_decoder {
 public:
  std::optional<std::string> map(simdjson::dom::element rec, event& ev,
                                 decode_context& ctx) override {
    if (!rec.is_object()) return "expected a JSON object (one Box event)";
    docs_.reset();
    auto type = text(rec, "event_type");
    if (!type) return "not a Box event: event_type missing";
    if (auto reason = take_time(ev, text(rec, "created_at"), "created_at", ctx)) return reason;

    const box_class c = classify(*type);
    ev.class_uid = c.cls;
    ev.activity_id = c.activity;
    ev.status = c.status;

    auto login = text(rec, "created_by.login");
    put(ev, ocsf::attr::actor_user_name, login, ctx);
    put(ev, ocsf::attr::actor_user_uid, text(rec, "created_by.id"), ctx);
    put(ev, ocsf::attr::actor_user_type, text(rec, "created_by.type"), ctx);
    if (login && login->find('@') != std::string_view::npos) {
      put(ev, ocsf::attr::actor_user_email, login, ctx);
    }
    put_source_address(ev, text(rec, "ip_address"), ctx);
    put(ev, ocsf::attr::session_uid, text(rec, "session_id"), ctx);

    if (c.cls == ocsf::event_class::authentication) {
      // Box reports sign-ins with the signing-in user as created_by (or as source for failures).
      auto user = login ? login : text(rec, "source.login");
      put(ev, ocsf::attr::user_name, user, ctx);
      put(ev, ocsf::attr::user_uid, login ? text(rec, "created_by.id") : text(rec, "source.id"),
          ctx);
    } else if (c.cls == ocsf::event_class::file_hosting_activity) {
      // source is the item acted on: a file or folder ({item_type, item_id, item_name}) in
      // admin_logs, a full file object ({type, id, name, size, path_collection}) in user streams.
      auto name = first_text(rec, {"source.item_name", "source.name"});
      put(ev, ocsf::attr::file_name, name, ctx);
      if (auto size = number(rec, "source.size"))
        ev.set(ocsf::attr::file_size, value::integer(*size));
      put(ev, ocsf::attr::file_sha1, text(rec, "source.sha1"), ctx);
      if (name) {
        if (auto parent = text(rec, "source.parent.name")) {
          std::string path(*parent);
          path.append("/").append(*name);
          ev.set(ocsf::attr::file_path, value::string(ctx.store(path)));
        }
      }
    } else if (c.cls != ocsf::event_class::api_activity) {
      auto user = text(rec, "source.login");
      put(ev, ocsf::attr::user_name, user, ctx);
      put(ev, ocsf::attr::user_uid, text(rec, "source.id"), ctx);
    }

    ev.set(ocsf::attr::api_operation, value::string(ctx.store(*type)));
    ev.set(ocsf::attr::api_service, value::string("Box"));
    put(ev, ocsf::attr::metadata_uid, text(rec, "event_id"), ctx);
    ev.set(ocsf::attr::metadata_event_code, value::string(ctx.store(*type)));
    ev.set(ocsf::attr::metadata_log_name, value::string("admin_logs"));
    ev.set(ocsf::attr::metadata_product, value::string("Box"));
    ev.set(ocsf::attr::metadata_vendor, value::string("Box"));

    flatten(rec, ev, ctx);
    // additional_details is an object in the API and JSON text in some exports.
    if (auto details = field(rec, "additional_details"); details && details->is_string()) {
      if (auto doc = docs_.parse(details->get_string().value())) {
        flatten(*doc, ev, ctx, "additional_details");
      }
    }
    return std::nullopt;
  }

 private:
  embedded_json docs_;
};

decoder_spec box_spec() {
  return {
      .name = "box",
      .title = "Box enterprise events",
      .reads = "Events API admin_logs ({\"entries\":[...]} pages, NDJSON, single events)",
      .level = maturity::beta,
      .hardened = false,
      .sniff =
          [](const sniff_sample& s) {
            const json_probe& p = probe_json(s);
            if (!p.first || !p.first->is_object()) return 0;
            auto e = *p.first;
            if (!json::has(e, "event_type") || !json::has(e, "created_by")) return 0;
            if (json::has(e, "created_at") || json::has(e, "event_id")) return 90;
            if (json::str(e, "type") == "event") return 85;
            return 0;
          },
      .make = [] { return std::make_unique<box_decoder>(); },
  };
}

}  // namespace mamori::builtins
