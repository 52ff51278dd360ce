#ifndef KV_CLIENTS_CPP_ERROR_CODE_H_
#define KV_CLIENTS_CPP_ERROR_CODE_H_

// Client side of kvd's error contract. A failed call carries the exact
// kv.v1.ErrorCode as the trailing metadata entry "kv-error-code", whose value
// is the enum value's name (e.g. "ERROR_CODE_NO_SUCH_KEY"). These functions
// read it back, and attach it to (and read it from) an absl::Status, the
// error type of kvd::Store and kvctl.

#include <map>

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
// message, with the call's ErrorCode attached (see ErrorCodeOf below).
absl::Status ToAbslStatus(const grpc::Status& status,
                          const grpc::ClientContext& context);

// Attaches `code` to `status` (nothing for ERROR_CODE_UNSPECIFIED).
void AttachErrorCode(absl::Status& status, kv::v1::ErrorCode code);

// The kv.v1.ErrorCode attached to `status`; ERROR_CODE_UNSPECIFIED for OK
// and for failures kvd did not classify (transport errors, deadlines).
kv::v1::ErrorCode ErrorCodeOf(const absl::Status& status);

// The ErrorCode's short name, as in kvd's messages: "NO_SUCH_KEY"; empty for
// ERROR_CODE_UNSPECIFIED.
std::string ErrorCodeShortName(kv::v1::ErrorCode code);

}  // namespace kvd

#endif  // KV_CLIENTS_CPP_ERROR_CODE_H_
