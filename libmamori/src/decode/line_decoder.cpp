#include "mamori/decode/line_decoder.hpp"

#include <fmt/format.h>

namespace mamori {

void line_decoder::decode(input_reader& in, decode_context& ctx) {
  line_reader lines(in, ctx.options().max_record_size);
  std::string reason;
  while (auto l = lines.next()) {
    for (const auto& o : lines.take_oversized()) {
      ++ctx.counters().records;
      ctx.reject(o.number, o.offset,
                 fmt::format("line of {} bytes exceeds the {} byte limit", o.length,
                             ctx.options().max_record_size));
    }
    event& ev = ctx.begin_event(l->number, l->offset);
    reason.clear();
    switch (map_line(l->text, ev, ctx, reason)) {
      case line_result::event:
        ++ctx.counters().records;
        ctx.commit_event();
        break;
      case line_result::skip:
        ++ctx.counters().skipped;
        ctx.abandon_event();
        break;
      case line_result::reject:
        ++ctx.counters().records;
        ctx.abandon_event();
        ctx.reject(l->number, l->offset, reason);
        break;
    }
  }
  for (const auto& o : lines.take_oversized()) {
    ++ctx.counters().records;
    ctx.reject(o.number, o.offset,
               fmt::format("line of {} bytes exceeds the {} byte limit", o.length,
                           ctx.options().max_record_size));
  }
  if (in.stream_error()) {
    ctx.report(severity_level::error, 0, in.offset(), *in.stream_error(),
               "records before this point were kept");
  }
}

}  // namespace mamori
