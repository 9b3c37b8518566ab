#pragma once
// JSON in and out of the decision point: offline requests for `mamori authz eval`, signal
// updates (device posture reports, isolation, revocation, risk) for the API and files, and
// explanations rendered as text or JSON.

#include <simdjson.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/authz/engine.hpp"
#include "mamori/authz/signals.hpp"
#include "mamori/core/result.hpp"

namespace mamori::authz {

// A request read from JSON; access_request views into it.
struct request_document {
  bool anonymous = true;
  principal who;
  std::string host, path, method = "GET", device, country;
  std::optional<ip_address> source_ip;
  std::int64_t time_ns = 0;
  access_request view() const;
};

// Reads an offline request (docs/authz.md "mamori authz eval"). Inline device posture, risk
// and revocation in the request are written to `store`, so the decision sees them as live
// signals. `now_ns` is used when the request has no "time".
result<request_document> parse_request_json(std::string_view json, signal_store& store,
                                            std::int64_t now_ns);

// Applies a signals document: {"devices":[posture...], "isolate":[...], "revoke":[...],
// "risk":[...]} (each key optional; a single posture object is accepted too). Returns the
// number of updates; a malformed entry is an error naming its index, and nothing is applied.
result<std::size_t> apply_signals_json(std::string_view json, signal_store& store,
                                       std::int64_t now_s);

// Flattens a JSON value into dotted claim paths (arrays repeat the name; scalars as text).
void flatten_claims(simdjson::dom::element e, std::string prefix,
                    std::vector<std::pair<std::string, std::string>>& out, int depth = 0);

// Timestamps in JSON: RFC 3339 strings or epoch seconds (number).
std::optional<std::int64_t> json_time_seconds(simdjson::dom::element e);

std::string explanation_text(const compiled_policy& p, const explanation& e);
std::string explanation_json(const compiled_policy& p, const explanation& e);

}  // namespace mamori::authz
