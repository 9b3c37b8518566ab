#include "mamori/pipeline/parse_job.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <ctime>

#include "mamori/output/json_text.hpp"

namespace mamori {

namespace {

// Counts what passes through, then forwards to the real sink.
class counting_sink final : public event_sink {
 public:
  counting_sink(event_sink& next, parse_stats& stats, const decoder_registry& registry)
      : next_(next), stats_(stats), registry_(registry) {}
  void consume(const event_batch& batch) override {
    for (const event& e : batch.events()) {
      ++stats_.by_class[static_cast<std::uint32_t>(e.class_uid)];
      ++stats_.by_format[registry_.at(e.decoder).name];
    }
    next_.consume(batch);
  }

 private:
  event_sink& next_;
  parse_stats& stats_;
  const decoder_registry& registry_;
};

int file_year(const std::string& path) {
  struct stat st {};
  std::time_t t = std::time(nullptr);
  if (path != "-" && ::stat(path.c_str(), &st) == 0) t = st.st_mtime;
  std::tm tm{};
  gmtime_r(&t, &tm);
  return tm.tm_year + 1900;
}

}  // namespace

std::string parse_stats::to_json() const {
  std::string out = fmt::format(
      "{{\"files\":{},\"skipped_files\":{},\"failed_files\":{},\"records\":{},\"events\":{},"
      "\"rejected\":{},\"bytes\":{},\"by_format\":{{",
      files, skipped_files, failed_files, records, events, rejected, bytes);
  bool first = true;
  for (const auto& [name, n] : by_format) {
    if (!first) out += ',';
    first = false;
    json_text::append_string(out, name);
    fmt::format_to(std::back_inserter(out), ":{}", n);
  }
  out += "},\"by_class\":{";
  first = true;
  for (const auto& [cls, n] : by_class) {
    if (!first) out += ',';
    first = false;
    fmt::format_to(std::back_inserter(out), "\"{}\":{}", cls, n);
  }
  fmt::format_to(std::back_inserter(out), "}},\"seconds\":{:.3f}}}", seconds);
  return out;
}

std::optional<std::uint16_t> detect_format(const decoder_registry& registry, std::string_view path,
                                           input_reader& in) {
  std::string_view head = in.peek(std::size_t{64} * 1024);
  std::string_view first_line = head.substr(0, head.find('\n'));
  if (!first_line.empty() && first_line.back() == '\r') first_line.remove_suffix(1);
  static std::atomic<std::uint64_t> next_id{1};
  return registry.sniff(sniff_sample{next_id++, path, head, first_line});
}

void parse_job::run_one(const std::string& name, std::unique_ptr<byte_stream> stream,
                        event_sink& sink, parse_stats& stats) {
  input_reader in(std::move(stream), options_.read_chunk);
  std::optional<std::uint16_t> index;
  if (options_.format) {
    index = registry_.find(*options_.format);
  } else {
    index = detect_format(registry_, name, in);
  }
  if (!index) {
    if (in.peek(1).empty()) {
      // An empty input has nothing to decode and nothing to complain about.
      ++stats.files;
      return;
    }
    ++stats.skipped_files;
    diag_.report(severity_level::warning, {name, 0, 0}, "format not recognised; input skipped",
                 "force one with --format (see `mamori formats`)");
    return;
  }
  decode_options opts = options_.decode;
  if (opts.default_year == 0) opts.default_year = file_year(name);
  const std::uint32_t source = source_table::global().add(name);
  counting_sink counter(sink, stats, registry_);
  decode_context ctx(name, source, *index, opts, diag_, counter);
  ctx.set_enrichers(enrichers_);
  auto dec = registry_.at(*index).make();
  dec->decode(in, ctx);
  ctx.flush();
  ++stats.files;
  stats.records += ctx.counters().records;
  stats.events += ctx.counters().events;
  stats.rejected += ctx.counters().rejected;
  stats.bytes += in.offset();
}

parse_stats parse_job::run(const std::vector<std::string>& files, event_sink& sink) {
  parse_stats stats;
  const auto start = std::chrono::steady_clock::now();
  for (const auto& file : files) {
    auto stream = open_input(file);
    if (!stream) {
      ++stats.failed_files;
      diag_.report(severity_level::error, {file, 0, 0}, stream.error().message);
      continue;
    }
    run_one(file, std::move(*stream), sink, stats);
  }
  diag_.flush_suppressed();
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return stats;
}

}  // namespace mamori
