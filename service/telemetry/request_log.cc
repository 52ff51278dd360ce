#include "service/telemetry/request_log.h"

#include <string>

#include "service/telemetry/logging.h"
#include "spdlog/spdlog.h"

namespace kv {

void RequestLog::OnCallFinished(const CallRecord& call) {
  if (!spdlog::should_log(spdlog::level::debug)) return;
  nlohmann::ordered_json fields = nlohmann::ordered_json::object();
  fields["method"] = call.method;
  fields["store"] = call.store;
  fields["principal"] = PrincipalLabel(call.principal);
  fields["grpc_code"] = absl::StatusCodeToString(call.code);
  fields["error_code"] = ErrorCodeLabel(call.error_code);
  fields["duration_ms"] = absl::ToDoubleMilliseconds(call.duration);
  fields["key_bytes"] = call.key_bytes;
  fields["value_bytes"] = call.value_bytes;
  LogEvent(spdlog::level::debug, "rpc", fields);
}

}  // namespace kv
