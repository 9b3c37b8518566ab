#include "mamori/io/inputs.hpp"

#include <fmt/format.h>
#include <glob.h>

#include <algorithm>
#include <filesystem>
#include <system_error>

namespace mamori {

namespace fs = std::filesystem;

namespace {

result<void> add_path(const std::string& arg, std::vector<std::string>& out) {
  std::error_code ec;
  auto status = fs::status(arg, ec);
  if (ec || !fs::exists(status)) return fail(fmt::format("{}: no such file or directory", arg));
  if (fs::is_directory(status)) {
    std::vector<std::string> files;
    for (auto it = fs::recursive_directory_iterator(
             arg, fs::directory_options::skip_permission_denied, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (it->is_regular_file(ec)) files.push_back(it->path().string());
    }
    if (ec) return fail(fmt::format("{}: cannot list directory: {}", arg, ec.message()));
    std::sort(files.begin(), files.end());
    out.insert(out.end(), files.begin(), files.end());
    return {};
  }
  out.push_back(arg);
  return {};
}

}  // namespace

result<std::vector<std::string>> expand_inputs(const std::vector<std::string>& args) {
  std::vector<std::string> out;
  for (const auto& arg : args) {
    if (arg == "-") {
      out.push_back(arg);
      continue;
    }
    std::error_code ec;
    const bool has_magic = arg.find_first_of("*?[") != std::string::npos;
    if (has_magic && !fs::exists(arg, ec)) {
      glob_t g{};
      int rc = ::glob(arg.c_str(), 0, nullptr, &g);
      if (rc != 0) {
        globfree(&g);
        return fail(fmt::format("{}: pattern matches no file", arg));
      }
      for (std::size_t k = 0; k < g.gl_pathc; ++k) {
        auto r = add_path(g.gl_pathv[k], out);
        if (!r) {
          globfree(&g);
          return tl::unexpected(r.error());
        }
      }
      globfree(&g);
      continue;
    }
    auto r = add_path(arg, out);
    if (!r) return tl::unexpected(r.error());
  }
  return out;
}

}  // namespace mamori
