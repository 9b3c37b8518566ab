#pragma once
// Sinks that print events: NDJSON (one OCSF event per line) and a human table.

#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include "mamori/event/event.hpp"

namespace mamori {

// Renders one event as an OCSF JSON object (docs/event-model.md): typed header, normalized
// attributes nested by path, source fields flat under "unmapped".
void append_event_json(std::string& out, const event& e, std::string_view decoder_name);

enum class event_format : std::uint8_t { ndjson, table, none };

// Writes events to a FILE* (stdout by default) with large buffered writes.
std::unique_ptr<event_sink> make_event_writer(event_format format, std::FILE* out);

}  // namespace mamori
