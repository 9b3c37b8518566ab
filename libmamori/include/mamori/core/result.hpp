#pragma once
// Errors are values: every fallible operation returns result<T>. Third-party exceptions are
// caught at the adapter and turned into an error (see docs/errors.md).

#include <string>
#include <tl/expected.hpp>
#include <utility>

namespace mamori {

struct error {
  std::string message;
};

template <typename T>
using result = tl::expected<T, error>;

inline tl::unexpected<error> fail(std::string message) {
  return tl::unexpected<error>(error{std::move(message)});
}

}  // namespace mamori

// Propagates the error of an expression returning result<T>; yields its value otherwise.
// GNU statement expression (g++ and clang): the one extension mamori relies on.
#define MAMORI_TRY(expr)                                                                   \
  __extension__({                                                                          \
    auto&& mamori_try_result_ = (expr);                                                    \
    if (!mamori_try_result_) return tl::unexpected(std::move(mamori_try_result_).error()); \
    std::move(*mamori_try_result_);                                                        \
  })
