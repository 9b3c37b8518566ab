#pragma once
// Renderings of a discovery inventory: a table for the terminal, NDJSON and CSV for tools, and
// one self-contained HTML file (inline CSS and SVG, no external resource) for a CISO.

#include <string>
#include <vector>

#include "mamori/detect/finding.hpp"
#include "mamori/discover/discovery.hpp"

namespace mamori::discover {

struct report_options {
  std::size_t max_rows = 100;    // table: apps shown
  std::size_t max_unknown = 20;  // table and HTML: unrecognised destinations shown
  std::string title = "Shadow IT discovery";
  std::vector<std::string> inputs;  // named in the HTML header
};

std::string render_table(const inventory& inv, const std::vector<finding>& findings,
                         const report_options& opts);
// One JSON object per app ({"type":"app",...}), per unrecognised destination
// ({"type":"destination",...}) and one summary ({"type":"summary",...}).
std::string render_ndjson(const inventory& inv);
// One row per (app, user): the shape spreadsheets pivot on.
std::string render_csv(const inventory& inv);
std::string render_html(const inventory& inv, const std::vector<finding>& findings,
                        const report_options& opts);

// A discovery finding as an OCSF Detection Finding (class 2004) JSON object.
std::string discovery_finding_json(const finding& f);

// "2026-11-24T10:00:00Z" (seconds), "" for 0.
std::string iso_time(std::int64_t ns);
std::string human_bytes(std::uint64_t bytes);

}  // namespace mamori::discover
