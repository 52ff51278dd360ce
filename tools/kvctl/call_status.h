#ifndef KV_TOOLS_KVCTL_CALL_STATUS_H_
#define KV_TOOLS_KVCTL_CALL_STATUS_H_

// How kvctl carries a failed RPC: the absl::Status of kvd::Store (the gRPC
// code, kvd's message, the kv.v1.ErrorCode attached; see
// clients/cpp/error_code.h) with its message turned into the one line kvctl
// prints.

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace kv::kvctl {

// `text` in double quotes, with non-printable bytes C-escaped, so a key or
// store name in a message is unambiguous and stays on one line.
std::string Quote(absl::string_view text);

// The error for `status` (not OK, from kvd::Store) of the call that tried to
// do `action` (e.g. `get "k" from store "default"`). Its message reads
// "<action>: <server message> (<GRPC_CODE>)"; code and payloads are kept, and
// the server's message as it came is attached too (ServerMessageOf), for
// `--json`.
absl::Status CallError(absl::string_view action, const absl::Status& status);

// The server's message attached by CallError; nullopt for any other status
// (a local error, OK), which tells a failed call from a local failure.
std::optional<std::string> ServerMessageOf(const absl::Status& status);

// `status` with `message` instead of its own; code and payloads are kept. For
// adding context ("line 7: ...") to a CallError.
absl::Status Reworded(const absl::Status& status, absl::string_view message);

}  // namespace kv::kvctl

#endif  // KV_TOOLS_KVCTL_CALL_STATUS_H_
