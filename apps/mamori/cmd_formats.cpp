#include <fmt/format.h>

#include "commands.hpp"
#include "mamori/decode/decoder.hpp"

namespace mamori::cli {

void add_formats_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("formats", "List the decoders and what each reads");
  cmd->callback([&exit_code] {
    const auto& registry = decoder_registry::builtin();
    fmt::print("{:<16} {:<12} {:<9} {}\n", "FORMAT", "MATURITY", "HARDENED", "READS");
    for (const auto& spec : registry.all()) {
      fmt::print("{:<16} {:<12} {:<9} {}: {}\n", spec.name, maturity_name(spec.level),
                 spec.hardened ? "yes" : "no", spec.title, spec.reads);
    }
    exit_code = exit_ok;
  });
}

}  // namespace mamori::cli
