#include "clients/cpp/error_code.h"

#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/match.h"

namespace kvd {

kv::v1::ErrorCode ErrorCodeFromTrailers(
    const std::multimap<grpc::string_ref, grpc::string_ref>& trailers) {
  auto it = trailers.find(kErrorCodeTrailer);
  if (it == trailers.end()) return kv::v1::ERROR_CODE_UNSPECIFIED;
  kv::v1::ErrorCode code = kv::v1::ERROR_CODE_UNSPECIFIED;
  const std::string name(it->second.data(), it->second.size());
  if (!kv::v1::ErrorCode_Parse(name, &code)) {
    return kv::v1::ERROR_CODE_UNSPECIFIED;
  }
  return code;
}

kv::v1::ErrorCode ErrorCodeOf(const grpc::Status& status,
                              const grpc::ClientContext& context) {
  if (status.ok()) return kv::v1::ERROR_CODE_UNSPECIFIED;
  return ErrorCodeFromTrailers(context.GetServerTrailingMetadata());
}

absl::Status ToAbslStatus(const grpc::Status& status,
                          const grpc::ClientContext& context) {
  if (status.ok()) return absl::OkStatus();
  // gRPC and absl number their canonical codes identically.
  absl::Status result(static_cast<absl::StatusCode>(status.error_code()),
                      status.error_message());
  AttachErrorCode(result, ErrorCodeOf(status, context));
  return result;
}

void AttachErrorCode(absl::Status& status, kv::v1::ErrorCode code) {
  if (status.ok() || code == kv::v1::ERROR_CODE_UNSPECIFIED) return;
  status.SetPayload(kErrorCodePayloadUrl,
                    absl::Cord(kv::v1::ErrorCode_Name(code)));
}

kv::v1::ErrorCode ErrorCodeOf(const absl::Status& status) {
  kv::v1::ErrorCode code = kv::v1::ERROR_CODE_UNSPECIFIED;
  const absl::optional<absl::Cord> payload =
      status.GetPayload(kErrorCodePayloadUrl);
  if (!payload.has_value() ||
      !kv::v1::ErrorCode_Parse(std::string(*payload), &code)) {
    return kv::v1::ERROR_CODE_UNSPECIFIED;
  }
  return code;
}

std::string ErrorCodeShortName(kv::v1::ErrorCode code) {
  if (code == kv::v1::ERROR_CODE_UNSPECIFIED) return "";
  std::string name = kv::v1::ErrorCode_Name(code);
  constexpr absl::string_view kPrefix = "ERROR_CODE_";
  if (absl::StartsWith(name, kPrefix)) name.erase(0, kPrefix.size());
  return name;
}

}  // namespace kvd
