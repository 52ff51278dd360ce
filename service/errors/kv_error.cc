#include "service/errors/kv_error.h"

#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace kv {

absl::Status MakeKvError(v1::ErrorCode code, absl::StatusCode canonical_code,
                         absl::string_view detail) {
  absl::Status status(canonical_code,
                      absl::StrCat(ShortName(code), ": ", detail));
  status.SetPayload(kErrorCodePayloadUrl, absl::Cord(v1::ErrorCode_Name(code)));
  return status;
}

v1::ErrorCode ErrorCodeOf(const absl::Status& status) {
  absl::optional<absl::Cord> payload = status.GetPayload(kErrorCodePayloadUrl);
  v1::ErrorCode code = v1::ERROR_CODE_UNSPECIFIED;
  if (payload.has_value()) {
    v1::ErrorCode_Parse(std::string(*payload), &code);
  }
  return code;
}

absl::string_view ShortName(v1::ErrorCode code) {
  absl::string_view name = v1::ErrorCode_Name(code);
  absl::ConsumePrefix(&name, "ERROR_CODE_");
  return name;
}

std::string Quote(absl::string_view text) {
  if (text.size() <= kMaxQuotedBytes) {
    return absl::StrCat("\"", absl::CHexEscape(text), "\"");
  }
  return absl::StrCat("\"", absl::CHexEscape(text.substr(0, kMaxQuotedBytes)),
                      "...\" (", text.size(), " bytes)");
}

absl::Status NoSuchKeyError(absl::string_view store, absl::string_view key) {
  return MakeKvError(v1::ERROR_CODE_NO_SUCH_KEY, absl::StatusCode::kNotFound,
                     absl::StrCat("key ", Quote(key),
                                  " does not exist in store ", Quote(store)));
}

absl::Status NoSuchStoreError(absl::string_view store) {
  return MakeKvError(
      v1::ERROR_CODE_NO_SUCH_STORE, absl::StatusCode::kNotFound,
      absl::StrCat("store ", Quote(store),
                   " is not defined; stores other than \"default\" are "
                   "defined as [key_value_store.NAME] in kvd's runtime "
                   "config"));
}

absl::Status AccessDeniedError(absl::string_view store) {
  return MakeKvError(
      v1::ERROR_CODE_ACCESS_DENIED, absl::StatusCode::kPermissionDenied,
      absl::StrCat("this client is not granted store ", Quote(store)));
}

absl::Status ReadOnlyStoreError(absl::string_view store,
                                absl::string_view action) {
  return MakeKvError(
      v1::ERROR_CODE_ACCESS_DENIED, absl::StatusCode::kPermissionDenied,
      absl::StrCat("this client may only read store ", Quote(store),
                   " (a read_only_stores grant), so it cannot ", action));
}

absl::Status InvalidStoreError(uint32_t handle, absl::string_view why) {
  return MakeKvError(v1::ERROR_CODE_INVALID_STORE,
                     absl::StatusCode::kFailedPrecondition,
                     absl::StrCat("store handle ", handle, " ", why,
                                  "; call Open to get a new handle"));
}

absl::Status StoreTableFullError(size_t capacity) {
  return MakeKvError(
      v1::ERROR_CODE_STORE_TABLE_FULL, absl::StatusCode::kResourceExhausted,
      absl::StrCat("this client already holds ", capacity,
                   " open store handles, the limit; Close handles it no "
                   "longer needs (limits.max_open_stores raises the limit)"));
}

absl::Status InvalidRequestError(absl::string_view detail) {
  return MakeKvError(v1::ERROR_CODE_IO, absl::StatusCode::kInvalidArgument,
                     detail);
}

absl::Status BackendError(absl::string_view store, absl::string_view action,
                          const absl::Status& backend_status) {
  absl::StatusCode code =
      backend_status.code() == absl::StatusCode::kUnavailable
          ? absl::StatusCode::kUnavailable
          : absl::StatusCode::kInternal;
  // Drivers name their store too; say it once.
  const std::string prefix = absl::StrCat("store ", Quote(store), ": ");
  absl::string_view cause = backend_status.message();
  absl::ConsumePrefix(&cause, prefix);
  return MakeKvError(v1::ERROR_CODE_IO, code,
                     absl::StrCat(prefix, action, " failed: ", cause));
}

namespace {

constexpr char kCurrentRevisionPayloadUrl[] =
    "type.kvd.dev/kv.v1.CurrentRevision";
constexpr char kFailedIndexPayloadUrl[] = "type.kvd.dev/kv.v1.FailedIndex";

absl::optional<uint64_t> NumberPayload(const absl::Status& status,
                                       absl::string_view url) {
  absl::optional<absl::Cord> payload = status.GetPayload(url);
  uint64_t value = 0;
  if (!payload.has_value() ||
      !absl::SimpleAtoi(std::string(*payload), &value)) {
    return absl::nullopt;
  }
  return value;
}

}  // namespace

absl::Status ConditionFailedError(absl::string_view detail,
                                  uint64_t current_revision) {
  absl::Status status = MakeKvError(v1::ERROR_CODE_CONDITION_FAILED,
                                    absl::StatusCode::kAborted, detail);
  status.SetPayload(kCurrentRevisionPayloadUrl,
                    absl::Cord(absl::StrCat(current_revision)));
  return status;
}

absl::Status NotAnIntegerError(absl::string_view detail) {
  return MakeKvError(v1::ERROR_CODE_NOT_AN_INTEGER,
                     absl::StatusCode::kFailedPrecondition, detail);
}

absl::Status OutOfRangeError(absl::string_view detail) {
  return MakeKvError(v1::ERROR_CODE_OUT_OF_RANGE, absl::StatusCode::kOutOfRange,
                     detail);
}

absl::Status WithFailedIndex(absl::Status status, size_t index) {
  status.SetPayload(kFailedIndexPayloadUrl, absl::Cord(absl::StrCat(index)));
  return status;
}

absl::optional<uint64_t> CurrentRevisionOf(const absl::Status& status) {
  return NumberPayload(status, kCurrentRevisionPayloadUrl);
}

absl::optional<size_t> FailedIndexOf(const absl::Status& status) {
  absl::optional<uint64_t> index =
      NumberPayload(status, kFailedIndexPayloadUrl);
  if (!index.has_value()) return absl::nullopt;
  return static_cast<size_t>(*index);
}

}  // namespace kv
