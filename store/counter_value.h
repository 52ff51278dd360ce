#ifndef KV_STORE_COUNTER_VALUE_H_
#define KV_STORE_COUNTER_VALUE_H_

// The stored form of a counter (Mutation::Kind::kIncrement): the canonical
// decimal ASCII text of an int64, the form Redis's INCRBY reads and writes.
// Canonical means an optional '-' then digits with no leading zero, "0"
// itself, and nothing else: not "+1", "01", "-0", " 1", "1 " or "1.0". So
// every counter has exactly one stored form, and every driver (including one
// that increments natively) accepts and refuses the same values.

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"

namespace kv {

// The counter `text` holds, or nullopt if it is not canonical int64 text.
absl::optional<int64_t> ParseCounter(absl::string_view text);

// The canonical text of `value`.
std::string FormatCounter(int64_t value);

// The counter after adding `delta` to the value `current` holds (nullptr:
// the key is absent, which counts as 0). NotAnIntegerError or
// IncrementOverflowError (store/write_errors.h) for mutation `index` if the
// value is not a counter or the sum leaves int64.
absl::StatusOr<int64_t> IncrementedCounter(const std::string* current,
                                           int64_t delta, size_t index,
                                           absl::string_view key);

}  // namespace kv

#endif  // KV_STORE_COUNTER_VALUE_H_
