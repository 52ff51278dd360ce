#include "tools/kvctl/exit_code.h"

#include "clients/cpp/error_code.h"
#include "kv/v1/kv.pb.h"

namespace kv::kvctl {

ExitCode ExitCodeFor(const absl::Status& status) {
  if (status.ok()) return ExitCode::kSuccess;
  switch (kvd::ErrorCodeOf(status)) {
    case v1::ERROR_CODE_NO_SUCH_KEY:
      return ExitCode::kNotFound;
    case v1::ERROR_CODE_CONDITION_FAILED:
      return ExitCode::kConditionFailed;
    case v1::ERROR_CODE_UNSPECIFIED:
      break;
    default:
      // kvd itself answered, even when the error is that its backend is
      // unavailable (IO with UNAVAILABLE).
      return ExitCode::kRefused;
  }
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
      return ExitCode::kUnreachable;
    default:
      return ExitCode::kRefused;
  }
}

}  // namespace kv::kvctl
