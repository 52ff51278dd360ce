#ifndef KV_TOOLS_KVCTL_KV_ERROR_H_
#define KV_TOOLS_KVCTL_KV_ERROR_H_

// Client side of kvd's error contract: a failed call carries the exact
// kv.v1.ErrorCode as the trailing metadata entry "kv-error-code", whose value
// is the enum value's name (e.g. "ERROR_CODE_NO_SUCH_KEY"). These functions
// read it back. They are independent of kvctl so any C++ client can use them.

#include <map>

#include "grpcpp/client_context.h"
#include "grpcpp/support/status.h"
#include "grpcpp/support/string_ref.h"
#include "kv/v1/kv.pb.h"

namespace kv {

// The trailing metadata key that carries the ErrorCode.
inline constexpr char kErrorCodeTrailer[] = "kv-error-code";

// The ErrorCode named in `trailers`; ERROR_CODE_UNSPECIFIED if the entry is
// absent or does not name a known ErrorCode (e.g. a newer server's code).
v1::ErrorCode ErrorCodeFromTrailers(
    const std::multimap<grpc::string_ref, grpc::string_ref>& trailers);

// The ErrorCode of a finished call: ERROR_CODE_UNSPECIFIED if `status` is OK
// or the server sent none (transport errors, non-kvd servers). `context` must
// be the call's context, after the call has finished.
v1::ErrorCode ErrorCodeOf(const grpc::Status& status,
                          const grpc::ClientContext& context);

}  // namespace kv

#endif  // KV_TOOLS_KVCTL_KV_ERROR_H_
