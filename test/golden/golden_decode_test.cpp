// Golden tests for decoders: every file under test/golden/decode/<format>/ is an input; its
// expected output sits beside it as <input>.expected.ndjson (events) and
// <input>.expected.stderr (diagnostics, as the CLI renders them). The directory name is the
// format the sniffer must choose ("unknown" = no decoder may claim it).
// Inputs taken from ../shared/data are not copied into the repository: a <case>.ref file names
// the shared file and the transformations that make the case (decompress: gzip, skip_lines,
// head_lines, replace_line, compress: gzip|zstd, truncate_percent, corrupt_bytes), applied in
// the order written. Those cases skip when ../shared/data is absent. Regenerate after an
// intended change: MAMORI_UPDATE_GOLDEN=1 ctest -R Golden, then review the diff like code.

#include <gtest/gtest.h>
#include <zlib.h>
#include <zstd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "mamori/output/event_writer.hpp"
#include "mamori/pipeline/parse_job.hpp"

namespace mamori {
namespace {

namespace fs = std::filesystem;

struct golden_case {
  fs::path input;
  std::string format;
  std::string name;
};

std::vector<golden_case> discover() {
  std::vector<golden_case> cases;
  const fs::path root = fs::path(MAMORI_SOURCE_DIR) / "test" / "golden" / "decode";
  if (!fs::exists(root)) return cases;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file()) continue;
    const std::string file = entry.path().filename().string();
    if (file.find(".expected.") != std::string::npos || file == "README.md") continue;
    std::string format = entry.path().parent_path().filename().string();
    std::string name = format + "/" + file;
    for (char& c : name)
      if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    cases.push_back({entry.path(), format, name});
  }
  std::sort(cases.begin(), cases.end(),
            [](const golden_case& a, const golden_case& b) { return a.name < b.name; });
  return cases;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string gzip_bytes(const std::string& in) {
  z_stream z{};
  deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);  // 15 + 16: gzip wrapper
  std::string out(deflateBound(&z, in.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

std::string zstd_bytes(const std::string& in) {
  std::string out(ZSTD_compressBound(in.size()), '\0');
  out.resize(ZSTD_compress(out.data(), out.size(), in.data(), in.size(), 3));
  return out;
}

// Inflates a gzip (or zlib) file in memory; .ref cases use it to take the head of a shipped
// .gz file. A corrupt input yields what inflated before the error.
std::string gunzip_bytes(const std::string& in) {
  z_stream z{};
  inflateInit2(&z, 15 + 32);  // 15 + 32: detect gzip or zlib header
  std::string out;
  char buf[1 << 16];
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  int rc = Z_OK;
  while (rc == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(buf, sizeof buf - z.avail_out);
  }
  inflateEnd(&z);
  return out;
}

// Builds the input of a .ref case; nullopt when the shared data is absent.
std::optional<std::string> materialize_ref(const fs::path& ref) {
  std::ifstream in(ref);
  std::string line;
  std::string data;
  bool have_source = false;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto colon = line.find(':');
    const std::string key = line.substr(0, colon);
    std::string val = line.substr(colon + 1);
    val.erase(0, val.find_first_not_of(' '));
    if (key == "source") {
      const fs::path p = fs::path(MAMORI_SHARED_DATA) / val;
      if (!fs::exists(p)) return std::nullopt;
      data = read_file(p);
      have_source = true;
    } else if (key == "decompress") {
      data = gunzip_bytes(data);
    } else if (key == "head_lines") {
      std::size_t n = std::stoul(val), pos = 0;
      for (std::size_t k = 0; k < n && pos != std::string::npos; ++k) {
        pos = data.find('\n', pos);
        if (pos != std::string::npos) ++pos;
      }
      if (pos != std::string::npos) data.resize(pos);
    } else if (key == "skip_lines") {
      std::size_t n = std::stoul(val), pos = 0;
      for (std::size_t k = 0; k < n && pos != std::string::npos; ++k) {
        pos = data.find('\n', pos);
        if (pos != std::string::npos) ++pos;
      }
      data.erase(0, pos == std::string::npos ? data.size() : pos);
    } else if (key == "replace_line") {
      const std::size_t sp = val.find(' ');
      const std::size_t n = std::stoul(val.substr(0, sp));
      std::size_t start = 0;
      for (std::size_t k = 1; k < n; ++k) start = data.find('\n', start) + 1;
      const std::size_t end = data.find('\n', start);
      data.replace(start, end - start, val.substr(sp + 1));
    } else if (key == "compress") {
      data = val == "zstd" ? zstd_bytes(data) : gzip_bytes(data);
    } else if (key == "truncate_percent") {
      data.resize(data.size() * std::stoul(val) / 100);
    } else if (key == "corrupt_bytes") {
      // "OFFSET COUNT": inverts COUNT bytes from OFFSET (binary formats: a damaged chunk).
      const std::size_t sp = val.find(' ');
      const std::size_t at = std::stoul(val.substr(0, sp));
      const std::size_t n = sp == std::string::npos ? 1 : std::stoul(val.substr(sp + 1));
      for (std::size_t k = at; k < at + n && k < data.size(); ++k)
        data[k] = static_cast<char>(~data[k]);
    } else {
      ADD_FAILURE() << ref << ": unknown key " << key;
    }
  }
  if (!have_source) ADD_FAILURE() << ref << ": no source";
  return data;
}

class collecting_sink final : public event_sink {
 public:
  void consume(const event_batch& batch) override {
    const auto& registry = decoder_registry::builtin();
    for (const event& e : batch.events()) {
      formats.insert(registry.at(e.decoder).name);
      append_event_json(text, e, registry.at(e.decoder).name);
      text += '\n';
    }
  }
  std::string text;
  std::set<std::string> formats;
};

class GoldenDecode : public testing::TestWithParam<golden_case> {};

TEST_P(GoldenDecode, MatchesExpected) {
  const golden_case& c = GetParam();
  std::string rendered;
  diagnostics diag([&](const diagnostic& d) { rendered += render(d) + "\n"; });
  // Year-less timestamps (BSD syslog, Proxifier) take a fixed year here, so expected output does
  // not depend on the day the test runs.
  parse_options options;
  options.decode.default_year = 2024;
  parse_job job(decoder_registry::builtin(), options, diag);
  collecting_sink sink;
  parse_stats stats;
  // The input is named by its file name only, so expected files do not depend on the checkout.
  std::string bytes;
  if (c.input.extension() == ".ref") {
    auto made = materialize_ref(c.input);
    if (!made) GTEST_SKIP() << "../shared/data is absent; skipping " << c.input;
    bytes = std::move(*made);
  } else {
    bytes = read_file(c.input);
  }
  auto stream = memory_input(std::move(bytes));
  job.run_one(c.input.filename().string(), std::move(stream), sink, stats);
  diag.flush_suppressed();

  if (c.format == "unknown") {
    EXPECT_EQ(stats.events, 0u);
    EXPECT_EQ(stats.skipped_files, 1u);
  } else {
    for (const auto& f : sink.formats) EXPECT_EQ(f, c.format) << "sniffed the wrong decoder";
  }

  const fs::path expected_events = c.input.string() + ".expected.ndjson";
  const fs::path expected_stderr = c.input.string() + ".expected.stderr";
  if (std::getenv("MAMORI_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(expected_events, std::ios::binary) << sink.text;
    if (rendered.empty()) {
      fs::remove(expected_stderr);
    } else {
      std::ofstream(expected_stderr, std::ios::binary) << rendered;
    }
    GTEST_SKIP() << "updated " << expected_events;
  }
  ASSERT_TRUE(fs::exists(expected_events))
      << expected_events << " missing: run with MAMORI_UPDATE_GOLDEN=1 and review it";
  EXPECT_EQ(sink.text, read_file(expected_events));
  EXPECT_EQ(rendered, fs::exists(expected_stderr) ? read_file(expected_stderr) : "");
}

INSTANTIATE_TEST_SUITE_P(Decoders, GoldenDecode, testing::ValuesIn(discover()),
                         [](const testing::TestParamInfo<golden_case>& info) {
                           return info.param.name;
                         });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(GoldenDecode);

}  // namespace
}  // namespace mamori
