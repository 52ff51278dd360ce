#ifndef KV_SERVICE_BATCH_VALIDATION_H_
#define KV_SERVICE_BATCH_VALIDATION_H_

// Checks on a batch request (GetMany, SetMany, DeleteMany) before any
// driver sees it: the entry and byte limits, each key and value, and that
// no key appears twice (a batch's entries must be independent for it to be
// all-or-nothing with one meaning).

#include <cstddef>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "service/limits.h"

namespace kv {

// `rpc` names the call in messages ("SetMany"); entry i has key `key_at(i)`
// and a value of `value_size_at(i)` bytes (0 for a request without values).
// Errors are InvalidRequestError naming the entry, the key and the limit.
absl::Status ValidateBatch(absl::string_view rpc, size_t count,
                           absl::FunctionRef<absl::string_view(size_t)> key_at,
                           absl::FunctionRef<size_t(size_t)> value_size_at,
                           const Limits& limits);

}  // namespace kv

#endif  // KV_SERVICE_BATCH_VALIDATION_H_
