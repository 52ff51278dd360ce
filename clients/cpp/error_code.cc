#include "clients/cpp/error_code.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"

namespace kvd {
namespace {

// `text` as an unsigned decimal number: digits only, no sign or spaces, and
// no more than fits in uint64_t; nullopt otherwise.
std::optional<uint64_t> ParseDecimal(absl::string_view text) {
  if (text.empty()) return std::nullopt;
  for (char c : text) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      return std::nullopt;
    }
  }
  uint64_t value = 0;
  if (!absl::SimpleAtoi(text, &value)) return std::nullopt;
  return value;
}

// The trailer `key` of `trailers` as a decimal number; nullopt if absent or
// not one.
std::optional<uint64_t> DecimalTrailer(
    const std::multimap<grpc::string_ref, grpc::string_ref>& trailers,
    const char* key) {
  auto it = trailers.find(key);
  if (it == trailers.end()) return std::nullopt;
  return ParseDecimal(absl::string_view(it->second.data(), it->second.size()));
}

// The decimal payload `url` of `status`; nullopt if absent or not a number.
std::optional<uint64_t> DecimalPayload(const absl::Status& status,
                                       const char* url) {
  const absl::optional<absl::Cord> payload = status.GetPayload(url);
  if (!payload.has_value()) return std::nullopt;
  return ParseDecimal(std::string(*payload));
}

}  // namespace

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
  const auto& trailers = context.GetServerTrailingMetadata();
  if (std::optional<uint64_t> revision =
          DecimalTrailer(trailers, kCurrentRevisionTrailer)) {
    AttachCurrentRevision(result, *revision);
  }
  if (std::optional<uint64_t> index =
          DecimalTrailer(trailers, kFailedIndexTrailer)) {
    AttachFailedIndex(result, static_cast<size_t>(*index));
  }
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

void AttachCurrentRevision(absl::Status& status, uint64_t revision) {
  if (status.ok()) return;
  status.SetPayload(kCurrentRevisionPayloadUrl,
                    absl::Cord(std::to_string(revision)));
}

void AttachFailedIndex(absl::Status& status, size_t index) {
  if (status.ok()) return;
  status.SetPayload(kFailedIndexPayloadUrl, absl::Cord(std::to_string(index)));
}

std::optional<uint64_t> CurrentRevisionOf(const absl::Status& status) {
  return DecimalPayload(status, kCurrentRevisionPayloadUrl);
}

std::optional<size_t> FailedIndexOf(const absl::Status& status) {
  std::optional<uint64_t> index =
      DecimalPayload(status, kFailedIndexPayloadUrl);
  if (!index.has_value()) return std::nullopt;
  return static_cast<size_t>(*index);
}

std::string ErrorCodeShortName(kv::v1::ErrorCode code) {
  if (code == kv::v1::ERROR_CODE_UNSPECIFIED) return "";
  std::string name = kv::v1::ErrorCode_Name(code);
  constexpr absl::string_view kPrefix = "ERROR_CODE_";
  if (absl::StartsWith(name, kPrefix)) name.erase(0, kPrefix.size());
  return name;
}

}  // namespace kvd
