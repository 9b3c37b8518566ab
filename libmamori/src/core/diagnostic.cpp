#include "mamori/core/diagnostic.hpp"

#include <fmt/format.h>

namespace mamori {

namespace {
std::string_view level_name(severity_level l) {
  switch (l) {
    case severity_level::note:
      return "note";
    case severity_level::warning:
      return "warning";
    case severity_level::error:
      return "error";
  }
  return "error";
}
}  // namespace

std::string render(const diagnostic& d) {
  std::string where = d.where.file.empty() ? std::string("<input>") : d.where.file;
  if (d.where.line > 0) {
    where += fmt::format(":{}", d.where.line);
  } else if (d.where.offset > 0) {
    where += fmt::format("@{}", d.where.offset);
  }
  std::string out = fmt::format("{}: {}: {}", where, level_name(d.level), d.message);
  if (!d.hint.empty()) out += fmt::format(" (hint: {})", d.hint);
  return out;
}

void diagnostics::report(diagnostic d) {
  if (d.level == severity_level::error) ++errors_;
  if (d.level == severity_level::warning) ++warnings_;
  if (d.where.file != current_file_) {
    current_file_ = d.where.file;
    current_file_count_ = 0;
  }
  if (++current_file_count_ > max_per_file_) {
    if (suppressed_.empty() || suppressed_.back().first != d.where.file) {
      suppressed_.emplace_back(d.where.file, 0);
    }
    ++suppressed_.back().second;
    return;
  }
  if (on_report_) on_report_(d);
  if (kept_.size() < 10000) kept_.push_back(std::move(d));
}

void diagnostics::report(severity_level level, source_location where, std::string message,
                         std::string hint) {
  report(diagnostic{level, std::move(where), std::move(message), std::move(hint)});
}

void diagnostics::flush_suppressed() {
  for (auto& [file, count] : suppressed_) {
    diagnostic d{severity_level::note,
                 {file, 0, 0},
                 fmt::format("{} more diagnostics for this input not shown", count),
                 {}};
    if (on_report_) on_report_(d);
  }
  suppressed_.clear();
}

}  // namespace mamori
