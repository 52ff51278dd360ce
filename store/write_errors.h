#ifndef KV_STORE_WRITE_ERRORS_H_
#define KV_STORE_WRITE_ERRORS_H_

// The errors of Driver::Write that have a meaning for the caller: a failed
// condition, a value that is not an integer, an increment that overflows.
// Each is an absl::Status with a canonical code and payloads that carry what
// the service needs (which mutation failed, the key's current revision), so
// the service can tell them from backend failures without parsing messages.
// Drivers build them with these constructors only.

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"

namespace kv {

// Mutation `index` of a Write had `if_revision = expected`, but the key is at
// `current` (0: absent). Aborted.
absl::Status ConditionFailedError(size_t index, absl::string_view key,
                                  uint64_t expected, uint64_t current);

// Mutation `index` (a kIncrement) found a value that is not the canonical
// decimal text of an int64. FailedPrecondition.
absl::Status NotAnIntegerError(size_t index, absl::string_view key);

// Mutation `index` (a kIncrement) would take the counter outside int64.
// OutOfRange.
absl::Status IncrementOverflowError(size_t index, absl::string_view key);

// The current revision a ConditionFailedError carries; nullopt for any other
// status.
absl::optional<uint64_t> ConditionFailedRevision(const absl::Status& status);

bool IsNotAnInteger(const absl::Status& status);
bool IsIncrementOverflow(const absl::Status& status);

// The index of the mutation that any of the errors above is about; nullopt
// for other statuses.
absl::optional<size_t> FailedMutationIndex(const absl::Status& status);

}  // namespace kv

#endif  // KV_STORE_WRITE_ERRORS_H_
