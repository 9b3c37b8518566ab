// Cloud: instance-role credentials used from outside the cloud after SSRF to the metadata
// service (the WAF misconfiguration case): the WAF's role credentials, read through a
// server-side request forgery to 169.254.169.254, are used from a Tor exit to list the
// buckets and copy the customer data bucket.

#include "scenarios/common.hpp"

namespace mamori::sim {

namespace {

void plan(scenario_context& sc) {
  const company& co = sc.co();
  rng r = stream(sc.seed(), name_hash("scenario:cloud_ssrf"));
  const std::size_t waf = co.principal_index("web-waf-role");
  const auto& tor = sc.sim().apps.tor_exits();
  const std::uint32_t ip =
      tor.empty() ? scn::attacker_ip(sc.seed(), "frantech", 9) : tor[r.below(tor.size())];
  const std::size_t objects = 350;
  const std::int64_t t0 = scn::at_jst(sc.day_start(0.75), 11, 3);

  truth_campaign c;
  c.campaign_id = "c11";
  c.scenario = "cloud_instance_credentials_exfiltration";
  c.description =
      "web-waf-role credentials (stolen through SSRF to the metadata service) used "
      "from " +
      ipv4_string(ip) + " outside AWS: ListBuckets, then " + std::to_string(objects) +
      " objects copied from hoshino-customer-data";
  c.parameters = {{"role", "web-waf-role"},
                  {"objects", std::to_string(objects)},
                  {"bucket", "hoshino-customer-data"},
                  {"tor_exit", tor.empty() ? "false" : "true"}};
  c.users = {"web-waf-role", "i-0a3f1c9d27be4e815"};
  c.src_ips = {ipv4_string(ip)};
  c.cloud_accounts = {co.aws_accounts[0].id};
  c.expected = {{{"mamori.unusual_service"}, "", "", false, 0},
                {{"mamori.anonymizer"}, "src_ip", ipv4_string(ip), false, 0},
                {{"mamori.mass_download"}, "", "", true, 0},
                {{"mamori.new_country"}, "", "", true, 0}};
  const std::uint32_t id = sc.truth().add_campaign(std::move(c));
  const std::string_view ua =
      "aws-cli/1.16.102 Python/2.7.16 Linux/4.14.133-88.112.amzn1.x86_64 botocore/1.12.92";
  auto call = [&](std::int64_t t, std::string_view step, std::string_view source,
                  std::string_view name, std::string request, std::string resources, bool data,
                  std::uint64_t salt) {
    sc.at(t, [=](sim_io& io) {
      rng g = stream(io.sim().seed(), name_hash("cloud_ssrf"), salt);
      scn::emit(io, id, step, "cloudtrail", [&](emitter& out, std::uint32_t tag) {
        wire::api_call a;
        a.t = t;
        a.principal = waf;
        a.source = source;
        a.name = name;
        a.ip = ip;
        a.user_agent = ua;
        a.request = request;
        a.resources = resources;
        a.data_event = data;
        if (data) {
          a.additional =
              R"({"SignatureVersion":"SigV4","CipherSuite":"ECDHE-RSA-AES128-GCM-SHA256","bytesTransferredIn":0,"AuthenticationMethod":"AuthHeader","x-amz-id-2":"ZmFrZQ==","bytesTransferredOut":1843221})";
        }
        return wire::cloudtrail(out, io.sim(), a, g, tag);
      });
    });
  };
  std::int64_t t = t0;
  call(t, "stolen_credentials_used", "sts.amazonaws.com", "GetCallerIdentity", "null", "", false,
       0);
  t += 35 * ns_per_s;
  call(t, "bucket_enumeration", "s3.amazonaws.com", "ListBuckets", R"({"Host":"s3.amazonaws.com"})",
       "", false, 1);
  for (std::size_t k = 0; k < objects; ++k) {
    t += r.range(1, 3) * ns_per_s;
    std::string key = "exports/customers-";
    append_padded(key, k, 5);
    key += ".csv";
    call(
        t, "bucket_exfiltration", "s3.amazonaws.com", "GetObject",
        R"({"bucketName":"hoshino-customer-data","Host":"hoshino-customer-data.s3.ap-northeast-1.amazonaws.com","key":")" +
            key + "\"}",
        R"([{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::hoshino-customer-data/)" + key +
            R"("},{"accountId":"402175389216","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::hoshino-customer-data"}])",
        true, 10 + k);
  }
}

}  // namespace

scenario_spec cloud_ssrf_scenario_spec() {
  return {"cloud_instance_credentials_exfiltration",
          "Cloud: instance-role credentials used outside AWS after SSRF to the metadata service",
          "The WAF instance role's credentials, stolen through SSRF to 169.254.169.254, are used "
          "from a Tor exit to list buckets and copy the customer data bucket.",
          plan};
}

}  // namespace mamori::sim
