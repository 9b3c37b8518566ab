#pragma once
// MAMORI_CHECK: MAMORI_TRY for result<void> (which has no value to yield).

#include "mamori/core/result.hpp"

// Propagates the error of an expression returning result<void> (MAMORI_TRY needs a value).
#define MAMORI_CHECK(expr)                                                        \
  do {                                                                            \
    auto&& mamori_check_result_ = (expr);                                         \
    if (!mamori_check_result_) return tl::unexpected(std::move(mamori_check_result_).error()); \
  } while (0)
