// Microsoft 365 unified audit log as the Office 365 Management Activity API delivers it:
// content blobs that are JSON arrays of audit records, one content type per file
// (Audit.Exchange, Audit.SharePoint), one file per UTC day. Field reference: "Office 365
// Management Activity API schema" (common schema, SharePoint file operations, Exchange
// admin and mailbox schemas).

#include "mamori/simulate/text.hpp"
#include "mamori/simulate/wire.hpp"

namespace mamori::sim {

namespace wire {

namespace {

void common_head(std::string& o, const sim_context& ctx, std::int64_t t, std::string_view id,
                 std::string_view operation, int record_type, std::string_view workload,
                 const person& who) {
  o += "{\"CreationTime\":\"";
  append_iso_utc(o, t, 0, false);
  o += "\",\"Id\":\"";
  o += id;
  o += "\",\"Operation\":";
  append_json(o, operation);
  o += ",\"OrganizationId\":\"";
  o += ctx.co.tenant_id;
  o += "\",\"RecordType\":";
  append_int(o, record_type);
  o += ",\"UserKey\":\"";
  o += who.object_id;
  o += "\",\"UserType\":0,\"Version\":1,\"Workload\":\"";
  o += workload;
  o += "\",\"UserId\":";
  append_json(o, who.upn);
}

}  // namespace

std::string m365_file(emitter& out, const sim_context& ctx, const file_op& f, rng& r,
                      std::uint32_t truth) {
  std::string id;
  append_uuid(id, r.next(), r.next());
  std::string& o = out.begin();
  const std::string_view workload = f.onedrive ? "OneDrive" : "SharePoint";
  common_head(o, ctx, f.t, id, f.operation, 6, workload, *f.who);
  std::string site_url = "https://";
  if (f.onedrive) {
    site_url += ctx.co.onedrive_host;
    site_url += "/personal/";
    for (char c : f.who->upn) site_url += (c == '.' || c == '@') ? '_' : c;
    site_url += '/';
  } else {
    site_url += ctx.co.sharepoint_host;
    site_url += "/sites/";
    site_url += ctx.co.sites[f.file->site];
    site_url += '/';
  }
  const std::string folder = f.onedrive ? std::string("Documents") : f.file->folder;
  o += ",\"ClientIP\":\"";
  append_ipv4(o, f.ip);
  o += "\",\"ObjectId\":";
  append_json(o, site_url + folder + "/" + f.file->name);
  o += ",\"CorrelationId\":\"";
  append_uuid(o, r.next(), r.next());
  o += "\",\"EventSource\":\"SharePoint\",\"ItemType\":\"File\",\"ListId\":\"";
  append_uuid(o, mix(f.file->site, 11), mix(f.file->site, 12));
  o += "\",\"ListItemUniqueId\":\"";
  const auto file_index = static_cast<std::uint64_t>(f.file - ctx.co.files.data());
  append_uuid(o, mix(file_index, 1), mix(file_index, 2));
  o += "\",\"Site\":\"";
  append_uuid(o, mix(f.file->site, 21), mix(f.file->site, 22));
  o += "\",\"UserAgent\":";
  append_json(o, f.user_agent);
  o += ",\"WebId\":\"";
  append_uuid(o, mix(f.file->site, 31), mix(f.file->site, 32));
  const auto dot = f.file->name.rfind('.');
  o += "\",\"SourceFileExtension\":";
  append_json(o, dot == std::string::npos ? "" : std::string_view(f.file->name).substr(dot + 1));
  o += ",\"SiteUrl\":";
  append_json(o, site_url);
  o += ",\"SourceFileName\":";
  append_json(o, f.file->name);
  o += ",\"SourceRelativeUrl\":";
  append_json(o, folder);
  if (f.operation == "FileUploaded" || f.operation == "FileModified" ||
      f.operation == "FileDownloaded") {
    o += ",\"FileSizeBytes\":";
    append_uint(o, f.file->size);
  }
  o += '}';
  out.commit(f.t, 1, truth);
  return id;
}

std::string m365_mail(emitter& out, const sim_context& ctx, const mail_op& m, rng& r,
                      std::uint32_t truth) {
  std::string id;
  append_uuid(id, r.next(), r.next());
  std::string& o = out.begin();
  const bool admin = !m.parameters_json.empty();
  common_head(o, ctx, m.t, id, m.operation,
              admin ? 1 : (m.operation == "MailItemsAccessed" ? 50 : 2), "Exchange", *m.who);
  if (admin) {
    o += ",\"ClientIP\":\"";
    append_ipv4(o, m.ip);
    o += ":";
    append_uint(o, 49152 + r.below(16000));
    o += "\",\"ObjectId\":";
    append_json(o, m.object_id);
    o += ",\"AppId\":\"\",\"ClientAppId\":\"\",\"ExternalAccess\":false,"
         "\"OrganizationName\":\"hoshinoprecision.onmicrosoft.com\",\"OriginatingServer\":\"";
    o += "TYCP286MB";
    append_padded(o, 1000 + r.below(9000), 4);
    o += " (15.20.7409.000)\",\"Parameters\":";
    o += m.parameters_json;
    o += ",\"ResultStatus\":\"True\",\"SessionId\":\"";
    append_uuid(o, r.next(), r.next());
    o += "\"}";
  } else {
    o += ",\"ClientIP\":\"";
    append_ipv4(o, m.ip);
    o += "\",\"ClientIPAddress\":\"";
    append_ipv4(o, m.ip);
    o += "\",\"ClientInfoString\":";
    append_json(o, m.client_info);
    o += ",\"ExternalAccess\":false,\"InternalLogonType\":0,\"LogonType\":0,"
         "\"LogonUserSid\":\"";
    o += m.who->sid;
    o += "\",\"MailboxGuid\":\"";
    append_uuid(o, mix(m.who->index, 41), mix(m.who->index, 42));
    o += "\",\"MailboxOwnerSid\":\"";
    o += m.who->sid;
    o += "\",\"MailboxOwnerUPN\":";
    append_json(o, m.who->upn);
    o +=
        ",\"OrganizationName\":\"hoshinoprecision.onmicrosoft.com\",\"ResultStatus\":\"Succeeded\"";
    if (m.operation == "Send") {
      o += ",\"Item\":{\"Id\":\"";
      append_hex(o, r.next(), 16, true);
      append_hex(o, r.next(), 16, true);
      o += "\",\"InternetMessageId\":\"<";
      append_hex(o, r.next(), 16);
      o += "@";
      o += "TYCP286MB";
      append_padded(o, 1000 + r.below(9000), 4);
      o += ".JPNP286.PROD.OUTLOOK.COM>\",\"ParentFolder\":{\"Path\":\"\\\\Sent Items\"},"
           "\"SizeInBytes\":";
      append_uint(o, 8000 + r.below(200000));
      o += ",\"Subject\":";
      append_json(o, m.subject);
      o += '}';
    }
    o += '}';
  }
  out.commit(m.t, 0, truth);
  return id;
}

}  // namespace wire

namespace {

constexpr std::string_view subjects[] = {"Re: Quotation for Q2 parts",
                                         "Meeting notes",
                                         "Weekly report",
                                         "Re: Delivery schedule",
                                         "Inspection results",
                                         "Fw: Updated drawing",
                                         "Re: Invoice",
                                         "Budget review",
                                         "Re: Customer visit",
                                         "Production plan next week",
                                         "Re: Supplier audit",
                                         "Travel request"};

class m365_source final : public source_generator {
 public:
  void generate(const sim_context& ctx, const window& w, emitter& out) override {
    const auto& files = ctx.co.files;
    for (const person& p : ctx.co.people) {
      const auto& day = ctx.today[p.index];
      if (day.sessions.empty()) continue;
      rng r = stream(ctx.seed(), name_hash("m365"), p.index, static_cast<std::uint64_t>(w.index));
      for (const session& s : day.sessions) {
        if (s.end <= w.start || s.start >= w.end) continue;
        const std::int64_t a = std::max(s.start + ns_per_min, w.start);
        const std::int64_t b = std::min(s.end, w.end);
        const device_profile& dev =
            device_profiles()[s.laptop ? p.laptop_profile : p.phone_profile];
        // File activity: mostly in the person's department site.
        for_each_arrival(r, a, b, (s.laptop ? 3.0 : 0.3) * p.activity, [&](std::int64_t t) {
          wire::file_op f;
          f.t = t;
          f.who = &p;
          f.ip = s.ip;
          f.user_agent = dev.user_agent;
          std::size_t k = r.below(files.size());
          for (int tries = 0; tries < 3 && ctx.co.sites[files[k].site] != p.department; ++tries)
            k = r.below(files.size());
          f.file = &files[k];
          f.onedrive = r.chance(0.2);
          const double x = r.unit();
          f.operation = x < 0.62   ? "FileAccessed"
                        : x < 0.80 ? "FileModified"
                        : x < 0.92 ? "FileDownloaded"
                                   : "FileUploaded";
          wire::m365_file(out, ctx, f, r);
        });
        for_each_arrival(r, a, b, (s.laptop ? 1.2 : 0.4) * p.activity, [&](std::int64_t t) {
          wire::mail_op m;
          m.t = t;
          m.who = &p;
          m.ip = s.ip;
          m.operation = "Send";
          m.subject = subjects[r.below(std::size(subjects))];
          m.client_info =
              s.laptop ? "Client=OWA;Action=ViaProxy" : "Client=OutlookService;Outlook-iOS/2.0";
          wire::m365_mail(out, ctx, m, r);
        });
      }
    }
  }

  std::string path(const sim_context&, const record& r) const override {
    std::string p = r.file == 0 ? "m365/Audit.Exchange/" : "m365/Audit.SharePoint/";
    append_iso_utc(p, r.t, 0, false);
    p.resize(p.size() - 9);
    p += ".json";
    return p;
  }
  void prologue(std::string& out, const sim_context&, const record&) const override {
    out += "[\n";
  }
  std::string_view separator() const override { return ",\n"; }
  void epilogue(std::string& out, std::uint64_t) const override { out += "\n]\n"; }
};

}  // namespace

source_spec m365_source_spec() {
  return {"m365_audit", "Microsoft 365 unified audit log (Management Activity API JSON)", "m365",
          "m365/Audit.{Exchange,SharePoint}/YYYY-MM-DD.json",
          [](const sim_context&) { return std::make_unique<m365_source>(); }};
}

}  // namespace mamori::sim
