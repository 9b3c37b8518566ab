// libFuzzer target for the Windows JSON decoder: the input is decoded as a whole JSON input
// (NDJSON, array or concatenated values) by `winjson`, whatever its shape.
// Seeds: lines of the NXLog, python-evtx and evtx_dump files of ../shared/data.

#include <cstdint>
#include <string>

#include "mamori/decode/decoder.hpp"

namespace {
class null_sink final : public mamori::event_sink {
 public:
  void consume(const mamori::event_batch&) override {}
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mamori;
  const auto& registry = decoder_registry::builtin();
  const auto index = registry.find("winjson");
  diagnostics diag;
  null_sink sink;
  decode_options options;
  decode_context ctx("fuzz.json", 0, *index, options, diag, sink);
  input_reader in(memory_input(std::string(reinterpret_cast<const char*>(data), size)));
  registry.at(*index).make()->decode(in, ctx);
  ctx.flush();
  return 0;
}
