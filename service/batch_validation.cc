#include "service/batch_validation.h"

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "service/errors/kv_error.h"
#include "service/request_validation.h"

namespace kv {

absl::Status ValidateBatch(absl::string_view rpc, size_t count,
                           absl::FunctionRef<absl::string_view(size_t)> key_at,
                           absl::FunctionRef<size_t(size_t)> value_size_at,
                           const Limits& limits) {
  if (count > limits.max_batch_entries) {
    return InvalidRequestError(
        absl::StrCat(rpc, " has ", count, " entries, over the limit of ",
                     limits.max_batch_entries,
                     " (limits.max_batch_entries); split the batch"));
  }
  size_t bytes = 0;
  absl::flat_hash_map<absl::string_view, size_t> first_index;
  first_index.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    const absl::string_view key = key_at(i);
    absl::Status key_status = ValidateKey(key, limits.max_key_bytes);
    if (key_status.ok()) {
      key_status = ValidateValue(key, value_size_at(i), limits.max_value_bytes);
    }
    if (!key_status.ok()) {
      // Keep the ErrorCode and canonical code; name the entry.
      absl::string_view message = key_status.message();
      absl::ConsumePrefix(&message, "IO: ");
      return InvalidRequestError(
          absl::StrCat(rpc, " entry ", i, ": ", message));
    }
    auto [it, inserted] = first_index.emplace(key, i);
    if (!inserted) {
      return InvalidRequestError(absl::StrCat(
          rpc, " has key ", Quote(key), " twice (entries ", it->second, " and ",
          i, "); each key may appear once in a batch"));
    }
    bytes += key.size() + value_size_at(i);
    if (bytes > limits.max_batch_bytes) {
      return InvalidRequestError(absl::StrCat(
          rpc, " has more than ", limits.max_batch_bytes,
          " bytes of keys and values (limits.max_batch_bytes), reached at "
          "entry ",
          i, "; split the batch"));
    }
  }
  return absl::OkStatus();
}

}  // namespace kv
