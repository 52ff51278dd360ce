#ifndef KV_SERVICE_GRPC_STATUS_H_
#define KV_SERVICE_GRPC_STATUS_H_

// The one place where kvd's absl::Status errors become gRPC statuses.

#include "absl/status/status.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/status.h"

namespace kv {

// Same code and message. absl and gRPC share the canonical code numbering
// (checked at compile time in the .cc).
grpc::Status ToGrpcStatus(const absl::Status& status);

// If `status` carries a kv.v1.ErrorCode, adds it to the call's trailing
// metadata as "kv-error-code: ERROR_CODE_...", and with it the
// "kv-current-revision" and "kv-failed-index" entries the status carries
// (see kv_error.h). Call before finishing the call.
void AddErrorCodeTrailer(const absl::Status& status,
                         grpc::ServerContextBase& context);

}  // namespace kv

#endif  // KV_SERVICE_GRPC_STATUS_H_
