#ifndef KV_STORE_STATUS_MACROS_H_
#define KV_STORE_STATUS_MACROS_H_

// Early-return helpers for absl::Status, which Abseil 20220623 lacks. The
// lowest layer (store/) owns them so every layer above can use them.

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Evaluates `expr` (an absl::Status) and returns it from the enclosing
// function if it is not OK.
#define KV_RETURN_IF_ERROR(expr)                     \
  do {                                               \
    ::absl::Status kv_status_macro_status_ = (expr); \
    if (!kv_status_macro_status_.ok()) {             \
      return kv_status_macro_status_;                \
    }                                                \
  } while (false)

#define KV_STATUS_MACROS_CONCAT_INNER_(a, b) a##b
#define KV_STATUS_MACROS_CONCAT_(a, b) KV_STATUS_MACROS_CONCAT_INNER_(a, b)

// Evaluates `rexpr` (an absl::StatusOr<T>); on error returns its status from
// the enclosing function, otherwise moves the value into `lhs`, which may be
// a declaration (`auto x`) or an existing variable.
#define KV_ASSIGN_OR_RETURN(lhs, rexpr) \
  KV_ASSIGN_OR_RETURN_IMPL_(            \
      KV_STATUS_MACROS_CONCAT_(kv_status_macro_or_, __LINE__), lhs, rexpr)

#define KV_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                              \
  if (!statusor.ok()) {                                 \
    return std::move(statusor).status();                \
  }                                                     \
  lhs = *std::move(statusor)

#endif  // KV_STORE_STATUS_MACROS_H_
