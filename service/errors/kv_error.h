#ifndef KV_SERVICE_ERRORS_KV_ERROR_H_
#define KV_SERVICE_ERRORS_KV_ERROR_H_

// kvd's errors: an absl::Status with the canonical code the API promises and
// the exact kv.v1.ErrorCode attached as a payload. Everything inside the
// service returns these; service/grpc_status.h turns them into a gRPC status
// and the "kv-error-code" trailer in exactly one place.

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "kv/v1/kv.pb.h"

namespace kv {

// Trailing metadata key that carries the ErrorCode's enum value name, e.g.
// "ERROR_CODE_NO_SUCH_KEY", on every failed call.
inline constexpr char kErrorCodeMetadataKey[] = "kv-error-code";

// The absl::Status payload type URL under which the ErrorCode travels.
inline constexpr char kErrorCodePayloadUrl[] = "type.kvd.dev/kv.v1.ErrorCode";

// Trailing metadata of a failed condition: the key's current revision in
// decimal, 0 if the key is absent.
inline constexpr char kCurrentRevisionMetadataKey[] = "kv-current-revision";

// Trailing metadata of an error about one entry of a batch: the entry's
// 0-based index in the request, decimal.
inline constexpr char kFailedIndexMetadataKey[] = "kv-failed-index";

// Builds an error whose message is "<SHORT_NAME>: <detail>" (e.g.
// "NO_SUCH_KEY: ..."), so grpcurl shows the ErrorCode, with `code` attached.
absl::Status MakeKvError(v1::ErrorCode code, absl::StatusCode canonical_code,
                         absl::string_view detail);

// The ErrorCode attached to `status`; ERROR_CODE_UNSPECIFIED if none (OK
// statuses, or errors that did not come from MakeKvError).
v1::ErrorCode ErrorCodeOf(const absl::Status& status);

// The ErrorCode's name without the enum prefix: "NO_SUCH_KEY".
absl::string_view ShortName(v1::ErrorCode code);

// Quotes a key or store name for a message: printable ASCII stays as is,
// other bytes are C-escaped, so a message is always readable and one line.
// Text longer than kMaxQuotedBytes is cut there and its size given:
// "nnn..."... (10000 bytes). Messages travel in gRPC trailers, which clients
// refuse past 8 KiB ("received initial metadata size exceeds limit"), so a
// message must not grow with what a caller sent.
inline constexpr size_t kMaxQuotedBytes = 256;
std::string Quote(absl::string_view text);

// The errors of the API, one constructor each (design.md's table).
absl::Status NoSuchKeyError(absl::string_view store, absl::string_view key);
absl::Status NoSuchStoreError(absl::string_view store);
absl::Status AccessDeniedError(absl::string_view store);
// A write through a handle opened with a read-only grant: ACCESS_DENIED.
absl::Status ReadOnlyStoreError(absl::string_view store,
                                absl::string_view action);
absl::Status InvalidStoreError(uint32_t handle, absl::string_view why);
absl::Status StoreTableFullError(size_t capacity);
// A malformed request (bad key, oversize value, ...): IO, INVALID_ARGUMENT.
absl::Status InvalidRequestError(absl::string_view detail);
// A backend failure while doing `action` (e.g. `get key "a"`) on `store`:
// IO, with UNAVAILABLE if the driver said the backend is unavailable and
// INTERNAL otherwise. `backend_status` is the driver's error.
absl::Status BackendError(absl::string_view store, absl::string_view action,
                          const absl::Status& backend_status);

// A conditional write found the key at `current_revision` (0: absent):
// CONDITION_FAILED, ABORTED, carrying the revision for the
// kv-current-revision trailer.
absl::Status ConditionFailedError(absl::string_view detail,
                                  uint64_t current_revision);
// Increment found a value that is not a decimal int64: NOT_AN_INTEGER,
// FAILED_PRECONDITION.
absl::Status NotAnIntegerError(absl::string_view detail);
// Increment's result leaves int64: OUT_OF_RANGE, OUT_OF_RANGE.
absl::Status OutOfRangeError(absl::string_view detail);

// Marks `status` as being about entry `index` of a batch request, for the
// kv-failed-index trailer.
absl::Status WithFailedIndex(absl::Status status, size_t index);

// What ConditionFailedError and WithFailedIndex attached; nullopt if not.
absl::optional<uint64_t> CurrentRevisionOf(const absl::Status& status);
absl::optional<size_t> FailedIndexOf(const absl::Status& status);

}  // namespace kv

#endif  // KV_SERVICE_ERRORS_KV_ERROR_H_
