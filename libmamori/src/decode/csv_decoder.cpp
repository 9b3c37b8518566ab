#include "mamori/decode/csv_decoder.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "mamori/io/csv.hpp"

namespace mamori {

char guess_csv_delimiter(std::string_view header_line) {
  char best = ',';
  std::ptrdiff_t best_count = std::count(header_line.begin(), header_line.end(), ',');
  for (char c : {';', '\t'}) {
    const std::ptrdiff_t n = std::count(header_line.begin(), header_line.end(), c);
    if (n > best_count) {
      best = c;
      best_count = n;
    }
  }
  return best;
}

char csv_decoder::delimiter_for(std::string_view) const {
  return ',';
}

void csv_decoder::decode(input_reader& in, decode_context& ctx) {
  std::string_view head = in.peek(64 * 1024);
  std::string_view first_line = head.substr(0, head.find('\n'));
  csv_reader records(in, delimiter_for(first_line), ctx.options().max_record_size);
  std::size_t columns = 0;
  bool have_header = false;
  while (auto rec = records.next()) {
    if (!have_header) {
      if (!rec->error.empty()) {
        ctx.report(severity_level::error, rec->line, rec->offset,
                   fmt::format("unreadable CSV header: {}", rec->error),
                   "the header names the columns; nothing was decoded");
        break;
      }
      if (auto refused = on_header(rec->fields, ctx)) {
        ctx.report(severity_level::error, rec->line, rec->offset, *refused,
                   "nothing was decoded from this input");
        break;
      }
      columns = rec->fields.size();
      have_header = true;
      ++ctx.counters().skipped;
      continue;
    }
    ++ctx.counters().records;
    if (!rec->error.empty()) {
      ctx.reject(rec->line, rec->offset, fmt::format("malformed CSV: {}", rec->error));
      continue;
    }
    if (rec->fields.size() != columns) {
      ctx.reject(
          rec->line, rec->offset,
          fmt::format("record has {} fields; the header has {}", rec->fields.size(), columns));
      continue;
    }
    event& ev = ctx.begin_event(rec->line, rec->offset);
    if (auto reason = map_record(rec->fields, ev, ctx)) {
      ctx.abandon_event();
      ctx.reject(rec->line, rec->offset, std::move(*reason));
      continue;
    }
    ctx.commit_event();
  }
  ctx.counters().skipped += records.blank_lines();
  if (in.stream_error()) {
    ctx.report(severity_level::error, 0, in.offset(), *in.stream_error(),
               "records before this point were kept");
  }
}

}  // namespace mamori
