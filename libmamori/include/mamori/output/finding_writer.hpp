#pragma once
// Sinks that print findings: NDJSON (one OCSF Detection Finding per line, docs/findings.md),
// a per-rule summary table (level, count, first/last seen, top hosts and users), CSV (one
// row per finding) and SARIF 2.1.0 (one result per finding, rules in the tool driver).

#include <cstdio>
#include <memory>

#include "mamori/detect/finding.hpp"

namespace mamori {

enum class finding_format : std::uint8_t { ndjson, table, csv, sarif };

class finding_writer : public finding_sink {
 public:
  // Writes what is buffered (table, SARIF) and flushes. Idempotent.
  virtual void close() = 0;
};

std::unique_ptr<finding_writer> make_finding_writer(finding_format format, std::FILE* out);

}  // namespace mamori
