#pragma once
// Decoders defined by data: a small YAML file maps the fields of a JSON (or CSV) source to the
// normalized event, so a user adds a source without code (docs/formats/mapping.md).

#include <string>

#include "mamori/core/result.hpp"
#include "mamori/decode/decoder.hpp"

namespace mamori {

// Loads a mapping file into a decoder spec; errors name the file, line and field.
result<decoder_spec> load_mapping_file(const std::string& path);

}  // namespace mamori
