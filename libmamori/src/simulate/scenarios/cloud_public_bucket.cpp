// Cloud: a bucket made public. The deployment service account removes the bucket's public
// access block and attaches a policy granting s3:GetObject to everyone on the customer
// export bucket.

#include "scenarios/common.hpp"

namespace mamori::sim {

namespace {

void plan(scenario_context& sc) {
  const company& co = sc.co();
  const std::size_t deploy = co.principal_index("svc-deploy");
  const aws_principal& pr = co.aws_principals[deploy];
  const std::int64_t t0 = scn::at_jst(sc.day_start(0.7), 16, 41);
  const std::string bucket = "hoshino-customer-exports";

  truth_campaign c;
  c.campaign_id = "c10";
  c.scenario = "cloud_bucket_made_public";
  c.description = "svc-deploy deletes the public access block of " + bucket +
                  " and grants s3:GetObject to Principal \"*\"";
  c.parameters = {{"bucket", bucket}, {"principal", "svc-deploy"}};
  c.users = {"svc-deploy"};
  c.src_ips = {ipv4_string(pr.source_ip)};
  c.cloud_accounts = {co.aws_accounts[pr.account].id};
  c.expected = {{{"mamori.cloud_config_change"}, "", "", false, 0},
                {{"mamori.unusual_service"}, "user", "svc-deploy", true, 0}};
  const std::uint32_t id = sc.truth().add_campaign(std::move(c));
  struct call {
    std::int64_t dt;
    std::string_view name, request;
  };
  static constexpr call calls[] = {
      {0, "DeleteBucketPublicAccessBlock",
       R"({"bucketName":"hoshino-customer-exports","Host":"hoshino-customer-exports.s3.ap-northeast-1.amazonaws.com","publicAccessBlock":""})"},
      {25, "PutBucketPolicy",
       R"({"bucketName":"hoshino-customer-exports","Host":"hoshino-customer-exports.s3.ap-northeast-1.amazonaws.com","bucketPolicy":{"Version":"2012-10-17","Statement":[{"Sid":"PublicRead","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::hoshino-customer-exports/*"}]},"policy":""})"},
      {61, "PutBucketAcl",
       R"({"bucketName":"hoshino-customer-exports","Host":"hoshino-customer-exports.s3.ap-northeast-1.amazonaws.com","acl":"","x-amz-acl":["public-read"]})"},
  };
  for (std::size_t k = 0; k < std::size(calls); ++k) {
    const call& cl = calls[k];
    const std::int64_t t = t0 + cl.dt * ns_per_s;
    sc.at(t, [=](sim_io& io) {
      rng g = stream(io.sim().seed(), name_hash("cloud_bucket"), k);
      scn::emit(io, id, "bucket_made_public", "cloudtrail", [&](emitter& out, std::uint32_t tag) {
        wire::api_call a;
        a.t = t;
        a.principal = deploy;
        a.source = "s3.amazonaws.com";
        a.name = cl.name;
        a.ip = io.sim().co.aws_principals[deploy].source_ip;
        a.request = cl.request;
        a.resources =
            R"([{"accountId":"518934002671","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::hoshino-customer-exports"}])";
        a.additional =
            R"({"SignatureVersion":"SigV4","CipherSuite":"TLS_AES_128_GCM_SHA256","bytesTransferredIn":0,"AuthenticationMethod":"AuthHeader","x-amz-id-2":"ZmFrZQ==","bytesTransferredOut":0})";
        a.read_only = false;
        return wire::cloudtrail(out, io.sim(), a, g, tag);
      });
    });
  }
}

}  // namespace

scenario_spec cloud_public_bucket_scenario_spec() {
  return {"cloud_bucket_made_public", "Cloud: a bucket made public",
          "The deployment service account removes a bucket's public access block and grants "
          "read access to everyone.",
          plan};
}

}  // namespace mamori::sim
