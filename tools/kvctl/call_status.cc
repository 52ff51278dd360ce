#include "tools/kvctl/call_status.h"

#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace kv::kvctl {
namespace {

// Same URL as the server's payload, so the two never disagree on meaning.
constexpr char kErrorCodePayloadUrl[] = "type.kvd.dev/kv.v1.ErrorCode";

// gRPC and absl number their canonical codes identically; absl has the names.
absl::StatusCode ToAbslCode(grpc::StatusCode code) {
  return static_cast<absl::StatusCode>(static_cast<int>(code));
}

}  // namespace

std::string Quote(absl::string_view text) {
  return absl::StrCat("\"", absl::CEscape(text), "\"");
}

absl::Status CallError(absl::string_view action, const grpc::Status& status,
                       v1::ErrorCode code) {
  const absl::StatusCode absl_code = ToAbslCode(status.error_code());
  std::string message = status.error_message();
  if (message.empty()) message = "no message from the server";
  absl::Status error(absl_code,
                     absl::StrCat(action, ": ", message, " (",
                                  absl::StatusCodeToString(absl_code), ")"));
  if (code != v1::ERROR_CODE_UNSPECIFIED) {
    error.SetPayload(kErrorCodePayloadUrl,
                     absl::Cord(v1::ErrorCode_Name(code)));
  }
  return error;
}

v1::ErrorCode AttachedErrorCode(const absl::Status& status) {
  const auto payload = status.GetPayload(kErrorCodePayloadUrl);
  v1::ErrorCode code = v1::ERROR_CODE_UNSPECIFIED;
  if (!payload.has_value() ||
      !v1::ErrorCode_Parse(std::string(*payload), &code)) {
    return v1::ERROR_CODE_UNSPECIFIED;
  }
  return code;
}

}  // namespace kv::kvctl
