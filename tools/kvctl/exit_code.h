#ifndef KV_TOOLS_KVCTL_EXIT_CODE_H_
#define KV_TOOLS_KVCTL_EXIT_CODE_H_

// kvctl's exit codes: a contract with the scripts that call it, documented in
// `kvctl --help` and docs/kvctl.md. Never renumber them.

#include "absl/status/status.h"

namespace kv::kvctl {

enum class ExitCode : int {
  kSuccess = 0,
  // The key does not exist: `get` of a missing key, `exists` that is false.
  kNotFound = 1,
  // Bad arguments.
  kUsage = 2,
  // kvd answered and refused the request (any kvd error but NO_SUCH_KEY).
  kRefused = 3,
  // kvd could not be reached, or did not answer within the deadline.
  kUnreachable = 4,
  // A local read or write failed: --file, stdin, or stdout.
  kLocalIo = 5,
  // `import` input that is not in the export format: a line that is not
  // JSON, lacks "key" or "value", or whose value is not base64.
  kBadInput = 6,
  // A conditional write (`set --if-revision`, `set --create-only`, `delete
  // --if-revision`) found the key at another revision: kvd's
  // CONDITION_FAILED. Nothing was written.
  kConditionFailed = 7,
};

// The exit code for a call's result, `status` as made by CallError (or OK).
// The server's ErrorCode decides when there is one (NO_SUCH_KEY: kNotFound,
// CONDITION_FAILED: kConditionFailed, any other: kRefused); otherwise
// UNAVAILABLE and DEADLINE_EXCEEDED mean kvd was not reached, and anything
// else is a refusal.
ExitCode ExitCodeFor(const absl::Status& status);

}  // namespace kv::kvctl

#endif  // KV_TOOLS_KVCTL_EXIT_CODE_H_
