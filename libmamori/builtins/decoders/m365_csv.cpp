// Microsoft 365 unified audit log, CSV export of the Purview / Security & Compliance audit
// search ("Export results"): columns such as CreationDate, UserIds, Operations, AuditData
// (older exports) or RecordId, CreationDate, RecordType, Operation, UserId, AuditData (newer).
// The AuditData column holds the full audit record as JSON; it is mapped by the m365 decoder,
// so both inputs give the same events. docs/formats/m365.md gives the mapping.

#include <fmt/format.h>

#include <vector>

#include "mamori/decode/csv_decoder.hpp"
#include "mamori/io/csv.hpp"
#include "saas_common.hpp"

namespace mamori::builtins {

namespace {

using namespace saas;

bool has_column(const std::vector<std::string>& names, std::string_view name) {
  for (const auto& n : names)
    if (iequals(n, name)) return true;
  return false;
}

}  // namespace

class m365_csv_decoder final : public csv_decoder {
 protected:
  char delimiter_for(std::string_view first_line) const override {
    return guess_csv_delimiter(first_line);
  }

  std::optional<std::string> on_header(std::span<const std::string_view> names,
                                       decode_context&) override {
    columns_.clear();
    audit_data_ = names.size();
    for (std::size_t k = 0; k < names.size(); ++k) {
      columns_.push_back(fields_.get(names[k]));
      if (iequals(names[k], "AuditData")) audit_data_ = k;
    }
    if (audit_data_ == names.size()) return "no AuditData column in the header";
    auto index = decoder_registry::builtin().find("m365");
    if (!index) return "the m365 decoder is not registered";
    owned_ = decoder_registry::builtin().at(*index).make();
    inner_ = dynamic_cast<json_decoder*>(owned_.get());
    if (inner_ == nullptr) return "the m365 decoder is not a JSON decoder";
    names_.assign(names.begin(), names.end());
    return std::nullopt;
  }

  std::optional<std::string> map_record(std::span<const std::string_view> values, event& ev,
                                        decode_context& ctx) override {
    std::string_view audit = values[audit_data_];
    if (audit.empty()) return "AuditData is empty";
    auto doc = parser_.parse(audit.data(), audit.size(), true);
    if (doc.error()) {
      return fmt::format("AuditData is not valid JSON: {}", simdjson::error_message(doc.error()));
    }
    auto rec = doc.value();
    std::optional<std::string> reason;
    try {
      reason = inner_->map(rec, ev, ctx);
    } catch (const simdjson::simdjson_error& e) {
      reason = fmt::format("unexpected AuditData shape: {}", e.what());
    }
    if (reason) return reason;
    // Columns the record does not repeat (RecordId, AssociatedAdminUnits, CreationDate, ...).
    for (std::size_t k = 0; k < values.size(); ++k) {
      if (k == audit_data_ || values[k].empty()) continue;
      if (json::has(rec, names_[k])) continue;
      ev.add_raw(columns_[k], value::string(ctx.store(values[k])));
    }
    return std::nullopt;
  }

 private:
  field_cache fields_;
  std::vector<field_id> columns_;
  std::vector<std::string> names_;
  std::size_t audit_data_ = 0;
  std::unique_ptr<decoder> owned_;
  json_decoder* inner_ = nullptr;
  simdjson::dom::parser parser_;
};

decoder_spec m365_csv_spec() {
  return {
      .name = "m365-csv",
      .title = "Microsoft 365 audit log CSV export",
      .reads = "Purview / compliance portal audit search exports (CSV with an AuditData column)",
      .level = maturity::beta,
      .hardened = false,
      .sniff =
          [](const sniff_sample& s) {
            std::string_view first = s.first_line;
            if (first.substr(0, 3) == "\xEF\xBB\xBF") first.remove_prefix(3);  // BOM
            std::vector<std::string> names;
            if (!csv_split(first, guess_csv_delimiter(first), names)) return 0;
            if (!has_column(names, "AuditData")) return 0;
            if (has_column(names, "CreationDate") || has_column(names, "Operations") ||
                has_column(names, "Operation") || has_column(names, "UserIds")) {
              return 95;
            }
            return 0;
          },
      .make = [] { return std::make_unique<m365_csv_decoder>(); },
  };
}

}  // namespace mamori::builtins
