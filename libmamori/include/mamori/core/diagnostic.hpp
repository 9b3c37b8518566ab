#pragma once
// A diagnostic is a problem found in user input (a log record, a rule, a config file),
// located by file and line or byte offset. Diagnostics are data: the CLI renders them to
// stderr, tests pin their text, the server stores them.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace mamori {

enum class severity_level : std::uint8_t { note, warning, error };

struct source_location {
  std::string file;          // path as given by the user, "-" for stdin
  std::uint64_t line = 0;    // 1-based; 0 when not line oriented
  std::uint64_t offset = 0;  // byte offset of the record in the decompressed stream
};

struct diagnostic {
  severity_level level = severity_level::error;
  source_location where;
  std::string message;
  std::string hint;
};

// Renders "file:line: error: message (hint)" or "file@offset: ..." for binary inputs.
std::string render(const diagnostic& d);

// Collects diagnostics; a sink decides where they go (stderr, memory, both). Bounded:
// after `max_kept` diagnostics per file the rest are only counted, so a file of garbage
// cannot flood the terminal or memory.
class diagnostics {
 public:
  using listener = std::function<void(const diagnostic&)>;

  explicit diagnostics(listener on_report = {}, std::size_t max_per_file = 20)
      : on_report_(std::move(on_report)), max_per_file_(max_per_file) {}

  void report(diagnostic d);
  void report(severity_level level, source_location where, std::string message,
              std::string hint = {});

  // Emits one summary line per file whose diagnostics were suppressed.
  void flush_suppressed();

  std::size_t errors() const { return errors_; }
  std::size_t warnings() const { return warnings_; }
  const std::vector<diagnostic>& kept() const { return kept_; }

 private:
  listener on_report_;
  std::size_t max_per_file_;
  std::size_t errors_ = 0;
  std::size_t warnings_ = 0;
  std::string current_file_;
  std::size_t current_file_count_ = 0;
  std::vector<std::pair<std::string, std::size_t>> suppressed_;
  std::vector<diagnostic> kept_;
};

}  // namespace mamori
