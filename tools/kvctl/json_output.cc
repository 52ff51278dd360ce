#include "tools/kvctl/json_output.h"

#include <optional>

#include "absl/strings/escaping.h"
#include "clients/cpp/error_code.h"
#include "tools/kvctl/call_status.h"

namespace kv::kvctl {
namespace {

using Json = nlohmann::json;

// Whether `bytes` are valid UTF-8, by nlohmann's own check (its strict dump
// refuses anything else), so kvctl has no UTF-8 decoder of its own.
bool IsValidUtf8(absl::string_view bytes) {
  try {
    Json(std::string(bytes))
        .dump(-1, ' ', /*ensure_ascii=*/false, Json::error_handler_t::strict);
    return true;
  } catch (const Json::type_error&) {
    return false;
  }
}

}  // namespace

std::string JsonLine(const Json& document) {
  std::string line = document.dump(-1, ' ', /*ensure_ascii=*/false,
                                   Json::error_handler_t::replace);
  line.push_back('\n');
  return line;
}

void AddValue(absl::string_view bytes, Json& document) {
  document["value"] =
      IsValidUtf8(bytes) ? Json(std::string(bytes)) : Json(nullptr);
  document["value_base64"] = absl::Base64Escape(bytes);
}

Json ErrorJson(const absl::Status& error, ExitCode code) {
  Json details = {
      {"message", std::string(error.message())},
      {"exit_code", static_cast<int>(code)},
      {"error_code", nullptr},
      {"grpc_code", nullptr},
      {"server_message", nullptr},
      {"current_revision", nullptr},
  };
  if (std::optional<std::string> server = ServerMessageOf(error)) {
    const std::string error_code =
        kvd::ErrorCodeShortName(kvd::ErrorCodeOf(error));
    if (!error_code.empty()) details["error_code"] = error_code;
    details["grpc_code"] = absl::StatusCodeToString(error.code());
    details["server_message"] = *std::move(server);
    if (std::optional<uint64_t> revision = kvd::CurrentRevisionOf(error)) {
      details["current_revision"] = *revision;
    }
  }
  return Json{{"error", std::move(details)}};
}

}  // namespace kv::kvctl
