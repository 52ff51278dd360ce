#include "tools/kvctl/error_report.h"

#include <string>

#include "tools/kvctl/json_output.h"

namespace kv::kvctl {

ExitCode ReportError(std::FILE* err, bool json, const absl::Status& error,
                     ExitCode code) {
  const std::string line =
      json ? JsonLine(ErrorJson(error, code))
           : "kvctl: " + std::string(error.message()) + "\n";
  std::fwrite(line.data(), 1, line.size(), err);
  std::fflush(err);
  return code;
}

}  // namespace kv::kvctl
