// libFuzzer target for the decoders. One binary, one decoder per run: the decoder is chosen by
// MAMORI_FUZZ_FORMAT (a name from `mamori formats`), or every sniffer + the decoder it picks
// when the variable is unset. `fuzz/run` starts one fuzzing session per decoder.
// Properties checked: no crash, no sanitizer report, no hang, and every accepted event can
// be rendered as JSON.

#include <cstdint>
#include <cstdlib>
#include <string>

#include "mamori/output/event_writer.hpp"
#include "mamori/pipeline/parse_job.hpp"

namespace {

class render_sink final : public mamori::event_sink {
 public:
  void consume(const mamori::event_batch& batch) override {
    for (const auto& e : batch.events()) {
      out_.clear();
      mamori::append_event_json(out_, e, "fuzz");
    }
  }

 private:
  std::string out_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const char* format = std::getenv("MAMORI_FUZZ_FORMAT");
  mamori::parse_options options;
  if (format != nullptr && *format != '\0') options.format = format;
  options.decode.max_record_size = 1 << 20;
  options.read_chunk = 4096;  // small refills exercise records that straddle buffers
  mamori::diagnostics diag;
  mamori::parse_job job(mamori::decoder_registry::builtin(), options, diag);
  render_sink sink;
  mamori::parse_stats stats;
  job.run_one("fuzz", mamori::memory_input(std::string(reinterpret_cast<const char*>(data), size)),
              sink, stats);
  return 0;
}
