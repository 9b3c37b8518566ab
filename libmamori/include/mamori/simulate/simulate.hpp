#pragma once
// `mamori simulate`: a realistic company's logs in the sources' real wire formats, with
// labelled attack scenarios and their ground truth (docs/simulator.md).

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "mamori/core/result.hpp"
#include "mamori/simulate/engine.hpp"

namespace mamori::sim {

struct sim_summary {
  std::uint32_t users = 0;
  int days = 0;
  std::uint64_t events = 0;
  std::uint64_t bytes = 0;       // uncompressed bytes of all records
  std::uint64_t disk_bytes = 0;  // bytes written to disk (after gzip)
  std::uint64_t files = 0;
  std::map<std::string, std::uint64_t> events_by_source;
  std::map<std::string, std::uint64_t> files_by_source;
  std::size_t campaigns = 0;
  std::size_t truth_events = 0;
  double seconds = 0;
  std::vector<std::string> notes;  // warnings (missing reference data, ...)
  // (source, path relative to the output directory), when sim_options::record_files.
  std::vector<std::pair<std::string, std::string>> written;
  std::string to_json() const;
};

// Runs the simulation into options.out_dir (created if needed). Errors: unknown source or
// scenario names, unwritable output.
result<sim_summary> simulate(const sim_options& options);

// Default start date: Monday 2025-03-03 00:00 UTC.
std::int64_t default_start_ns();

}  // namespace mamori::sim
