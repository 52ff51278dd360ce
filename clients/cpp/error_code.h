#ifndef KV_CLIENTS_CPP_ERROR_CODE_H_
#define KV_CLIENTS_CPP_ERROR_CODE_H_

// Client side of kvd's error contract. A failed call carries the exact
// kv.v1.ErrorCode as the trailing metadata entry "kv-error-code", whose value
// is the enum value's name (e.g. "ERROR_CODE_NO_SUCH_KEY"). These functions
// read it back, and attach it to (and read it from) an absl::Status, the
// error type of kvd::Store and kvctl. A failed condition (CONDITION_FAILED)
// also carries the key's current revision ("kv-current-revision"), and a
// failed batch entry its index in the request ("kv-failed-index"); they
// travel on the absl::Status the same way.

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/status.h"
#include "grpcpp/support/string_ref.h"
#include "kv/v1/kv.pb.h"

namespace kvd {

// The trailing metadata key that carries the ErrorCode.
inline constexpr char kErrorCodeTrailer[] = "kv-error-code";

// The absl::Status payload URL under which the ErrorCode's name is attached
// (the same URL kvd uses on its side).
inline constexpr char kErrorCodePayloadUrl[] = "type.kvd.dev/kv.v1.ErrorCode";

// The trailing metadata keys of a failed condition and a failed batch entry,
// each a decimal number.
inline constexpr char kCurrentRevisionTrailer[] = "kv-current-revision";
inline constexpr char kFailedIndexTrailer[] = "kv-failed-index";

// The absl::Status payload URLs that carry them (decimal text), client-side.
inline constexpr char kCurrentRevisionPayloadUrl[] =
    "type.kvd.dev/kv.v1.CurrentRevision";
inline constexpr char kFailedIndexPayloadUrl[] =
    "type.kvd.dev/kv.v1.FailedIndex";

// The ErrorCode named in `trailers`; ERROR_CODE_UNSPECIFIED if the entry is
// absent or does not name a known ErrorCode (e.g. a newer server's code).
kv::v1::ErrorCode ErrorCodeFromTrailers(
    const std::multimap<grpc::string_ref, grpc::string_ref>& trailers);

// The ErrorCode of a finished call: ERROR_CODE_UNSPECIFIED if `status` is OK
// or the server sent none (transport errors, non-kvd servers). `context` must
// be the call's context, after the call has finished.
kv::v1::ErrorCode ErrorCodeOf(const grpc::Status& status,
                              const grpc::ClientContext& context);

// A finished call's outcome as an absl::Status: the same canonical code and
// message, with the call's ErrorCode attached (see ErrorCodeOf below), and
// the "kv-current-revision" and "kv-failed-index" trailers when the server
// sent them as decimal numbers (CurrentRevisionOf, FailedIndexOf).
absl::Status ToAbslStatus(const grpc::Status& status,
                          const grpc::ClientContext& context);

// Attaches `code` to `status` (nothing for ERROR_CODE_UNSPECIFIED).
void AttachErrorCode(absl::Status& status, kv::v1::ErrorCode code);

// The kv.v1.ErrorCode attached to `status`; ERROR_CODE_UNSPECIFIED for OK
// and for failures kvd did not classify (transport errors, deadlines).
kv::v1::ErrorCode ErrorCodeOf(const absl::Status& status);

// Attaches a failed condition's current revision (0: the key is absent), or
// a failed batch entry's index, to `status` (nothing if `status` is OK).
void AttachCurrentRevision(absl::Status& status, uint64_t revision);
void AttachFailedIndex(absl::Status& status, size_t index);

// The current revision of the key whose condition failed, as the server sent
// it with a CONDITION_FAILED error (0: the key is absent); nullopt when
// `status` carries none (OK, other errors, a server that sent none).
std::optional<uint64_t> CurrentRevisionOf(const absl::Status& status);

// The 0-based index, in the request, of the batch entry (SetMany,
// DeleteMany) that failed; nullopt when `status` carries none.
std::optional<size_t> FailedIndexOf(const absl::Status& status);

// The ErrorCode's short name, as in kvd's messages: "NO_SUCH_KEY"; empty for
// ERROR_CODE_UNSPECIFIED.
std::string ErrorCodeShortName(kv::v1::ErrorCode code);

}  // namespace kvd

#endif  // KV_CLIENTS_CPP_ERROR_CODE_H_
