#ifndef KV_TOOLS_KVCTL_CALL_STATUS_H_
#define KV_TOOLS_KVCTL_CALL_STATUS_H_

// How kvctl carries a failed RPC: as an absl::Status whose code is the gRPC
// code (the two enums share their numbering), whose message is the one line
// kvctl prints, and whose payload holds the kv.v1.ErrorCode the server sent.

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "grpcpp/support/status.h"
#include "kv/v1/kv.pb.h"

namespace kv::kvctl {

// `text` in double quotes, with non-printable bytes C-escaped, so a key or
// store name in a message is unambiguous and stays on one line.
std::string Quote(absl::string_view text);

// The error for `status` (not OK) from the call that tried to do `action`
// (e.g. `get "k" from store "default"`). Its message reads
// "<action>: <server message> (<GRPC_CODE>)"; `code` is attached as payload.
absl::Status CallError(absl::string_view action, const grpc::Status& status,
                       v1::ErrorCode code);

// The ErrorCode attached by CallError; ERROR_CODE_UNSPECIFIED if none.
v1::ErrorCode AttachedErrorCode(const absl::Status& status);

}  // namespace kv::kvctl

#endif  // KV_TOOLS_KVCTL_CALL_STATUS_H_
