#ifndef KV_TOOLS_KVCTL_ERROR_REPORT_H_
#define KV_TOOLS_KVCTL_ERROR_REPORT_H_

// How kvctl reports a failure: one line on stderr, either
//   kvctl: <message>
// or, with --json, the error document of json_output.h.

#include <cstdio>

#include "absl/status/status.h"
#include "tools/kvctl/exit_code.h"

namespace kv::kvctl {

// Writes `error` to `err` as one line (JSON when `json`) and returns `code`,
// the exit code it stands for.
ExitCode ReportError(std::FILE* err, bool json, const absl::Status& error,
                     ExitCode code);

}  // namespace kv::kvctl

#endif  // KV_TOOLS_KVCTL_ERROR_REPORT_H_
