#pragma once
// Turns command-line inputs into a list of files: plain files, directories (recursive, in
// sorted order so runs are reproducible), globs, and "-" for standard input.

#include <string>
#include <vector>

#include "mamori/core/result.hpp"

namespace mamori {

// Fails (the CLI exits 1) when an input does not exist or a glob matches nothing.
result<std::vector<std::string>> expand_inputs(const std::vector<std::string>& args);

}  // namespace mamori
