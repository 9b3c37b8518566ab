// AWS CloudTrail as delivered to S3: gzip objects holding {"Records":[...]}, one object per
// account, region and 5-minute delivery period, at
// AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_
// <YYYYMMDDTHHMMZ>_<unique>.json.gz. Field reference: AWS CloudTrail User Guide,
// "CloudTrail record contents" and "CloudTrail userIdentity element".

#include "mamori/simulate/text.hpp"
#include "mamori/simulate/wire.hpp"

namespace mamori::sim {

namespace wire {

std::string cloudtrail(emitter& out, const sim_context& ctx, const api_call& c, rng& r,
                       std::uint32_t truth) {
  const aws_principal& p = ctx.co.aws_principals[c.principal];
  const aws_account& acct = ctx.co.aws_accounts[p.account];
  std::string id;
  append_uuid(id, r.next(), r.next());
  std::string& o = out.begin();
  o += "{\"eventVersion\":\"1.09\",\"userIdentity\":{\"type\":\"";
  o += p.type;
  o += '"';
  if (p.type == "AWSService") {
    o += ",\"invokedBy\":\"";
    o += p.name;
    o += '"';
  } else {
    o += ",\"principalId\":\"";
    o += p.principal_id;
    o += "\",\"arn\":\"";
    o += p.arn;
    o += "\",\"accountId\":\"";
    o += acct.id;
    o += '"';
    if (!p.access_key.empty()) {
      o += ",\"accessKeyId\":\"";
      o += p.access_key;
      o += '"';
    }
    if (p.type == "IAMUser") {
      o += ",\"userName\":\"";
      o += p.name;
      o += '"';
    } else if (p.type == "AssumedRole") {
      const bool sso = p.role_name.starts_with("AWSReservedSSO_");
      o += ",\"sessionContext\":{\"sessionIssuer\":{\"type\":\"Role\",\"principalId\":\"";
      o += std::string_view(p.principal_id).substr(0, p.principal_id.find(':'));
      o += "\",\"arn\":\"arn:aws:iam::";
      o += acct.id;
      o += sso ? ":role/aws-reserved/sso.amazonaws.com/ap-northeast-1/" : ":role/";
      o += p.role_name;
      o += "\",\"accountId\":\"";
      o += acct.id;
      o += "\",\"userName\":\"";
      o += p.role_name;
      o += "\"},\"attributes\":{\"creationDate\":\"";
      append_iso_utc(o, c.t - (c.t % ns_per_hour), 0);
      o += "\",\"mfaAuthenticated\":\"false\"}";
      if (!sso) o += ",\"ec2RoleDelivery\":\"2.0\"";
      o += '}';
    }
  }
  o += "},\"eventTime\":\"";
  append_iso_utc(o, c.t, 0);
  o += "\",\"eventSource\":\"";
  o += c.source;
  o += "\",\"eventName\":\"";
  o += c.name;
  o += "\",\"awsRegion\":\"";
  o += aws_regions[c.region];
  o += "\",\"sourceIPAddress\":\"";
  if (c.ip != 0) {
    append_ipv4(o, c.ip);
  } else {
    o += c.ip_text.empty() ? std::string_view("AWS Internal") : c.ip_text;
  }
  o += "\",\"userAgent\":";
  append_json(o, !c.user_agent.empty() ? c.user_agent : std::string_view(p.user_agent));
  if (!c.error_code.empty()) {
    o += ",\"errorCode\":";
    append_json(o, c.error_code);
    o += ",\"errorMessage\":";
    append_json(o, c.error_message);
  }
  o += ",\"requestParameters\":";
  o += c.request;
  o += ",\"responseElements\":";
  o += c.response;
  if (!c.additional.empty()) {
    o += ",\"additionalEventData\":";
    o += c.additional;
  }
  o += ",\"requestID\":\"";
  append_hex(o, r.next(), 16, true);
  o += "\",\"eventID\":\"";
  o += id;
  o += "\",\"readOnly\":";
  o += c.read_only ? "true" : "false";
  if (!c.resources.empty()) {
    o += ",\"resources\":";
    o += c.resources;
  }
  o += ",\"eventType\":\"";
  o += c.event_type;
  o += "\",\"managementEvent\":";
  o += c.data_event ? "false" : "true";
  o += ",\"recipientAccountId\":\"";
  o += acct.id;
  o += "\",\"eventCategory\":\"";
  o += c.data_event ? "Data" : "Management";
  o += '"';
  if (c.event_type == "AwsApiCall") {
    o += ",\"tlsDetails\":{\"tlsVersion\":\"TLSv1.3\",\"cipherSuite\":\"TLS_AES_128_GCM_SHA256\","
         "\"clientProvidedHostHeader\":\"";
    std::string_view svc = c.source.substr(0, c.source.find('.'));
    o += svc;
    o += '.';
    o += aws_regions[c.region];
    o += ".amazonaws.com\"}";
  }
  o += '}';
  out.commit(c.t, static_cast<std::uint32_t>(p.account * 4 + c.region), truth);
  return id;
}

}  // namespace wire

namespace {

struct api_def {
  std::string_view source, name;
  bool read_only;
};

constexpr api_def admin_reads[] = {
    {"ec2.amazonaws.com", "DescribeInstances", true},
    {"ec2.amazonaws.com", "DescribeSecurityGroups", true},
    {"ec2.amazonaws.com", "DescribeVpcs", true},
    {"ec2.amazonaws.com", "DescribeSubnets", true},
    {"s3.amazonaws.com", "ListBuckets", true},
    {"s3.amazonaws.com", "GetBucketPolicy", true},
    {"iam.amazonaws.com", "ListRoles", true},
    {"iam.amazonaws.com", "GetRole", true},
    {"cloudwatch.amazonaws.com", "DescribeAlarms", true},
    {"logs.amazonaws.com", "DescribeLogGroups", true},
    {"rds.amazonaws.com", "DescribeDBInstances", true},
    {"lambda.amazonaws.com", "ListFunctions20150331", true},
};

class cloudtrail_source final : public source_generator {
 public:
  explicit cloudtrail_source(const sim_context& ctx)
      : app_(ctx.co.principal_index("app-role")),
        waf_(ctx.co.principal_index("web-waf-role")),
        backup_(ctx.co.principal_index("svc-backup")),
        deploy_(ctx.co.principal_index("svc-deploy")),
        ec2_(ctx.co.principal_index("ec2.amazonaws.com")) {}

  void generate(const sim_context& ctx, const window& w, emitter& out) override {
    rng r = stream(ctx.seed(), name_hash("cloudtrail"), 0, static_cast<std::uint64_t>(w.index));
    const double scale = ctx.options.scale;
    // Workloads: the application role reads and writes its bucket all day.
    for_each_arrival(r, w.start, w.end, 40 * scale, [&](std::int64_t t) {
      const bool put = r.chance(0.3);
      s3_object(ctx, out, r, t, app_, put ? "PutObject" : "GetObject", "hoshino-app-assets",
                ctx.co.aws_principals[app_].source_ip);
    });
    for_each_arrival(r, w.start, w.end, 12 * scale, [&](std::int64_t t) {
      wire::api_call c;
      c.t = t;
      c.principal = app_;
      c.source = "kms.amazonaws.com";
      c.name = "Decrypt";
      c.ip = ctx.co.aws_principals[app_].source_ip;
      c.request = R"({"encryptionAlgorithm":"SYMMETRIC_DEFAULT"})";
      wire::cloudtrail(out, ctx, c, r);
    });
    // The WAF instance role reads its rule set and writes its logs.
    for_each_arrival(r, w.start, w.end, 6 * scale, [&](std::int64_t t) {
      const bool put = r.chance(0.5);
      s3_object(ctx, out, r, t, waf_, put ? "PutObject" : "GetObject",
                put ? "hoshino-waf-logs" : "hoshino-waf-config",
                ctx.co.aws_principals[waf_].source_ip);
    });
    // Instance profile credentials are refreshed by EC2 about hourly per role.
    for_each_arrival(r, w.start, w.end, 2 * scale, [&](std::int64_t t) {
      wire::api_call c;
      c.t = t;
      c.principal = ec2_;
      c.source = "sts.amazonaws.com";
      c.name = "AssumeRole";
      c.ip_text = "ec2.amazonaws.com";
      const bool waf = r.chance(0.5);
      c.request =
          waf ? R"({"roleArn":"arn:aws:iam::402175389216:role/web-waf-role","roleSessionName":"i-0a3f1c9d27be4e815"})"
              : R"({"roleArn":"arn:aws:iam::402175389216:role/app-role","roleSessionName":"i-07c2e5b8a91d3f064"})";
      c.read_only = true;
      c.event_type = "AwsApiCall";
      wire::cloudtrail(out, ctx, c, r);
    });
    // Nightly backups (01:00-02:30 JST = 16:00-17:30 UTC).
    const std::int64_t tod = w.start % ns_per_day;
    if (tod >= 16 * ns_per_hour && tod < 17 * ns_per_hour + 30 * ns_per_min) {
      for_each_arrival(r, w.start, w.end, 120 * scale, [&](std::int64_t t) {
        wire::api_call c;
        c.t = t;
        c.principal = backup_;
        c.ip = ctx.co.aws_principals[backup_].source_ip;
        const double x = r.unit();
        if (x < 0.3) {
          c.source = "ec2.amazonaws.com";
          c.name = "CreateSnapshot";
          c.read_only = false;
          c.request = R"({"volumeId":"vol-0c4d2e8f6a1b39d70","description":"nightly"})";
        } else if (x < 0.6) {
          c.source = "ec2.amazonaws.com";
          c.name = "DescribeSnapshots";
          c.request = R"({"ownersSet":{"items":[{"owner":"self"}]}})";
        } else {
          s3_object(ctx, out, r, t, backup_, "PutObject", "hoshino-backups", c.ip);
          return;
        }
        wire::cloudtrail(out, ctx, c, r);
      });
    }
    // Deployments from the CI runner on working hours (00:00-09:00 UTC).
    if (tod < 9 * ns_per_hour) {
      for_each_arrival(r, w.start, w.end, 3 * scale, [&](std::int64_t t) {
        constexpr api_def steps[] = {
            {"s3.amazonaws.com", "PutObject", false},
            {"lambda.amazonaws.com", "UpdateFunctionCode20150331v2", false},
            {"lambda.amazonaws.com", "GetFunction20150331v2", true},
            {"ecs.amazonaws.com", "UpdateService", false},
            {"ecs.amazonaws.com", "DescribeServices", true}};
        for (const auto& s : steps) {
          wire::api_call c;
          c.t = t;
          t += r.range(2, 20) * ns_per_s;
          c.principal = deploy_;
          c.ip = ctx.co.aws_principals[deploy_].source_ip;
          c.source = s.source;
          c.name = s.name;
          c.read_only = s.read_only;
          if (s.name == "PutObject") {
            s3_object(ctx, out, r, c.t, deploy_, "PutObject", "hoshino-dev-artifacts", c.ip);
            continue;
          }
          c.request = R"({"functionName":"order-api"})";
          wire::cloudtrail(out, ctx, c, r);
        }
      });
    }
    // Cloud administrators, while they work.
    for (std::size_t k = 0; k < ctx.co.aws_principals.size(); ++k) {
      const aws_principal& pr = ctx.co.aws_principals[k];
      if (pr.person < 0) continue;
      const person& p = ctx.co.people[static_cast<std::size_t>(pr.person)];
      rng g = stream(ctx.seed(), name_hash("cloudtrail-admin"), p.index,
                     static_cast<std::uint64_t>(w.index));
      for (const session& s : ctx.today[p.index].sessions) {
        if (!s.laptop || s.end <= w.start || s.start >= w.end) continue;
        const std::int64_t login = s.start + 20 * ns_per_min;
        if (login >= w.start && login < w.end) {
          wire::api_call c;
          c.t = login;
          c.principal = k;
          c.ip = s.ip;
          c.source = "signin.amazonaws.com";
          c.name = "ConsoleLogin";
          c.event_type = "AwsConsoleSignIn";
          c.read_only = false;
          c.user_agent = device_profiles()[p.laptop_profile].user_agent;
          c.response = R"({"ConsoleLogin":"Success"})";
          c.additional =
              R"({"LoginTo":"https://ap-northeast-1.console.aws.amazon.com/console/home?region=ap-northeast-1","MobileVersion":"No","MFAUsed":"No","SamlProviderArn":"arn:aws:iam::402175389216:saml-provider/AWSSSO_5f3c1d2e9a8b7c60_DO_NOT_DELETE"})";
          wire::cloudtrail(out, ctx, c, g);
        }
        const std::int64_t a = std::max(login, w.start);
        const std::int64_t b = std::min(s.end, w.end);
        for_each_arrival(g, a, b, 14 * p.activity, [&](std::int64_t t) {
          const api_def& d = admin_reads[g.below(std::size(admin_reads))];
          wire::api_call c;
          c.t = t;
          c.principal = k;
          c.ip = s.ip;
          c.source = d.source;
          c.name = d.name;
          c.read_only = d.read_only;
          c.region = g.chance(0.9) ? 0 : 1;
          if (d.source == "iam.amazonaws.com") c.region = 1;
          c.request =
              d.name == "DescribeInstances" ? R"({"instancesSet":{},"filterSet":{}})" : "null";
          wire::cloudtrail(out, ctx, c, g);
        });
        // Routine changes now and then: a tag, and rarely an internal firewall rule.
        for_each_arrival(g, a, b, 0.15, [&](std::int64_t t) {
          wire::api_call c;
          c.t = t;
          c.principal = k;
          c.ip = s.ip;
          c.source = "ec2.amazonaws.com";
          c.read_only = false;
          if (g.chance(0.7)) {
            c.name = "CreateTags";
            c.request =
                R"({"resourcesSet":{"items":[{"resourceId":"i-07c2e5b8a91d3f064"}]},"tagSet":{"items":[{"key":"CostCenter","value":"mfg-it"}]}})";
            c.response = R"({"requestId":"1f2e3d4c-5b6a-4798-8a9b-0c1d2e3f4a5b","_return":true})";
          } else {
            c.name = "AuthorizeSecurityGroupIngress";
            c.request =
                R"({"groupId":"sg-0b7c4d2a9e1f36058","ipPermissions":{"items":[{"ipProtocol":"tcp","fromPort":8443,"toPort":8443,"groups":{},"ipRanges":{"items":[{"cidrIp":"10.0.0.0/8","description":"internal monitoring"}]},"ipv6Ranges":{},"prefixListIds":{}}]}})";
            c.response = R"({"requestId":"7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d","_return":true})";
          }
          wire::cloudtrail(out, ctx, c, g);
        });
      }
    }
  }

  std::string path(const sim_context& ctx, const record& r) const override {
    const std::size_t account = r.file / 4, region = r.file % 4;
    const std::string& id = ctx.co.aws_accounts[account].id;
    const std::int64_t delivery = (r.t / window_ns + 1) * window_ns;
    const civil_time c = to_civil(r.t);
    std::string p = "aws/AWSLogs/" + id + "/CloudTrail/";
    p += wire::aws_regions[region];
    p += '/';
    append_padded(p, static_cast<std::uint64_t>(c.year), 4);
    p += '/';
    append_padded(p, static_cast<std::uint64_t>(c.month), 2);
    p += '/';
    append_padded(p, static_cast<std::uint64_t>(c.day), 2);
    p += '/';
    p += id;
    p += "_CloudTrail_";
    p += wire::aws_regions[region];
    p += '_';
    const civil_time d = to_civil(delivery);
    append_padded(p, static_cast<std::uint64_t>(d.year), 4);
    append_padded(p, static_cast<std::uint64_t>(d.month), 2);
    append_padded(p, static_cast<std::uint64_t>(d.day), 2);
    p += 'T';
    append_padded(p, static_cast<std::uint64_t>(d.hour), 2);
    append_padded(p, static_cast<std::uint64_t>(d.minute), 2);
    p += "Z_";
    rng u = stream(ctx.seed(), name_hash("cloudtrail-object"), r.file,
                   static_cast<std::uint64_t>(delivery / window_ns));
    constexpr std::string_view chars =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    for (int i = 0; i < 16; ++i) p += chars[u.below(chars.size())];
    p += ".json.gz";
    return p;
  }
  bool gzip() const override { return true; }
  bool per_window() const override { return true; }
  bool line_per_record() const override { return false; }
  void prologue(std::string& out, const sim_context&, const record&) const override {
    out += "{\"Records\":[";
  }
  std::string_view separator() const override { return ","; }
  void epilogue(std::string& out, std::uint64_t) const override { out += "]}"; }

 private:
  static void s3_object(const sim_context& ctx, emitter& out, rng& r, std::int64_t t,
                        std::size_t principal, std::string_view op, std::string_view bucket,
                        std::uint32_t ip) {
    std::string key = "data/";
    append_hex(key, r.next(), 12);
    key += op == "PutObject" ? ".json" : ".bin";
    std::string req = R"({"bucketName":")";
    req += bucket;
    req += R"(","Host":")";
    req += bucket;
    req += R"(.s3.ap-northeast-1.amazonaws.com","key":")";
    req += key;
    req += "\"}";
    std::string res = R"([{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::)";
    res += bucket;
    res += '/';
    res += key;
    res += R"("},{"accountId":")";
    res += ctx.co.aws_accounts[ctx.co.aws_principals[principal].account].id;
    res += R"(","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::)";
    res += bucket;
    res += "\"}]";
    std::string add =
        R"({"SignatureVersion":"SigV4","CipherSuite":"TLS_AES_128_GCM_SHA256","bytesTransferredIn":)";
    append_uint(add, op == "PutObject" ? 2000 + r.below(200000) : 0);
    add += R"(,"AuthenticationMethod":"AuthHeader","x-amz-id-2":"ZmFrZQ==","bytesTransferredOut":)";
    append_uint(add, op == "GetObject" ? 2000 + r.below(400000) : 0);
    add += '}';
    wire::api_call c;
    c.t = t;
    c.principal = principal;
    c.ip = ip;
    c.source = "s3.amazonaws.com";
    c.name = op;
    c.read_only = op == "GetObject";
    c.request = req;
    c.resources = res;
    c.additional = add;
    c.data_event = true;
    wire::cloudtrail(out, ctx, c, r);
  }

  std::size_t app_, waf_, backup_, deploy_, ec2_;
};

}  // namespace

source_spec cloudtrail_source_spec() {
  return {"cloudtrail", "AWS CloudTrail (S3-delivered .json.gz)", "cloudtrail",
          "aws/AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/*.json.gz",
          [](const sim_context& ctx) { return std::make_unique<cloudtrail_source>(ctx); }};
}

}  // namespace mamori::sim
