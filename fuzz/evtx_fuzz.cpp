// libFuzzer target for the EVTX reader: the input is decoded as a whole .evtx file (header,
// chunks, records), and its first 64 KiB are also interpreted as one chunk whose records start at
// offset 512, so the BinXml interpreter is reached without valid checksums or signatures.
// Seeds: the .evtx files of ../shared/data (see docs/fuzzing.md); use -max_len=200000.

#include <cstdint>
#include <string>

#include "mamori/decode/decoder.hpp"
#include "mamori/decode/evtx/binxml.hpp"
#include "mamori/decode/evtx/evtx_file.hpp"

namespace {

class null_sink final : public mamori::event_sink {
 public:
  void consume(const mamori::event_batch&) override {}
};

class null_visitor final : public mamori::evtx::visitor {
 public:
  void start_element(const mamori::evtx::name_entry&) override {}
  void end_element() override {}
  void start_attribute(const mamori::evtx::name_entry&) override {}
  void end_attribute() override {}
  void text(std::string_view) override {}
  void value(std::uint8_t type, mamori::evtx::bytes_view bytes) override {
    out_.clear();
    mamori::evtx::append_value_text(out_, type, bytes);
  }
  void array_item() override {}

 private:
  std::string out_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mamori;
  {
    const auto& registry = decoder_registry::builtin();
    const auto index = registry.find("evtx");
    diagnostics diag;
    null_sink sink;
    decode_options options;
    decode_context ctx("fuzz.evtx", 0, *index, options, diag, sink);
    input_reader in(memory_input(std::string(reinterpret_cast<const char*>(data), size)));
    registry.at(*index).make()->decode(in, ctx);
    ctx.flush();
  }
  if (size > evtx::chunk_header_size) {
    const evtx::bytes_view chunk(data, std::min(size, evtx::chunk_size));
    evtx::chunk_interpreter interpreter;
    interpreter.reset(chunk);
    null_visitor v;
    evtx::record_walker walker(chunk, static_cast<std::uint32_t>(chunk.size()));
    while (auto item = walker.next()) {
      if (item->what != evtx::record_item::kind::record) continue;
      (void)interpreter.interpret(item->offset + evtx::record_header_size,
                                  item->size - evtx::record_header_size - 4, v);
    }
    // The whole chunk tail as one stream, whatever the record framing says.
    (void)interpreter.interpret(evtx::chunk_header_size,
                                static_cast<std::uint32_t>(chunk.size() - evtx::chunk_header_size),
                                v);
  }
  return 0;
}
