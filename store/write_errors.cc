#include "store/write_errors.h"

#include <string>
#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace kv {
namespace {

constexpr char kFailedIndexUrl[] = "type.kvd.dev/kv.store.FailedIndex";
constexpr char kCurrentRevisionUrl[] = "type.kvd.dev/kv.store.CurrentRevision";
constexpr char kNotAnIntegerUrl[] = "type.kvd.dev/kv.store.NotAnInteger";
constexpr char kOverflowUrl[] = "type.kvd.dev/kv.store.IncrementOverflow";

// Keys in driver messages are escaped and cut, as the service's are: a
// message stays one readable line whatever the key holds.
std::string ShortKey(absl::string_view key) {
  constexpr size_t kMaxKeyBytes = 128;
  if (key.size() <= kMaxKeyBytes)
    return absl::StrCat("\"", absl::CHexEscape(key), "\"");
  return absl::StrCat("\"", absl::CHexEscape(key.substr(0, kMaxKeyBytes)),
                      "\"... (", key.size(), " bytes)");
}

absl::Status WithIndex(absl::Status status, size_t index) {
  status.SetPayload(kFailedIndexUrl, absl::Cord(absl::StrCat(index)));
  return status;
}

absl::optional<uint64_t> NumberPayload(const absl::Status& status,
                                       absl::string_view url) {
  absl::optional<absl::Cord> payload = status.GetPayload(url);
  if (!payload.has_value()) return absl::nullopt;
  uint64_t value = 0;
  if (!absl::SimpleAtoi(std::string(*payload), &value)) return absl::nullopt;
  return value;
}

}  // namespace

absl::Status ConditionFailedError(size_t index, absl::string_view key,
                                  uint64_t expected, uint64_t current) {
  std::string expected_text = expected == 0
                                  ? std::string("absent (revision 0)")
                                  : absl::StrCat("at revision ", expected);
  std::string current_text = current == 0
                                 ? std::string("it is absent")
                                 : absl::StrCat("it is at revision ", current);
  absl::Status status =
      absl::AbortedError(absl::StrCat("key ", ShortKey(key), " was expected ",
                                      expected_text, ", but ", current_text));
  status.SetPayload(kCurrentRevisionUrl, absl::Cord(absl::StrCat(current)));
  return WithIndex(std::move(status), index);
}

absl::Status NotAnIntegerError(size_t index, absl::string_view key) {
  absl::Status status = absl::FailedPreconditionError(absl::StrCat(
      "cannot increment key ", ShortKey(key),
      ": its value is not a decimal int64 such as \"42\" or \"-7\""));
  status.SetPayload(kNotAnIntegerUrl, absl::Cord("1"));
  return WithIndex(std::move(status), index);
}

absl::Status IncrementOverflowError(size_t index, absl::string_view key) {
  absl::Status status = absl::OutOfRangeError(
      absl::StrCat("cannot increment key ", ShortKey(key),
                   ": the result would not fit in an int64 (from ", INT64_MIN,
                   " to ", INT64_MAX, ")"));
  status.SetPayload(kOverflowUrl, absl::Cord("1"));
  return WithIndex(std::move(status), index);
}

absl::optional<uint64_t> ConditionFailedRevision(const absl::Status& status) {
  if (!absl::IsAborted(status)) return absl::nullopt;
  return NumberPayload(status, kCurrentRevisionUrl);
}

bool IsNotAnInteger(const absl::Status& status) {
  return absl::IsFailedPrecondition(status) &&
         status.GetPayload(kNotAnIntegerUrl).has_value();
}

bool IsIncrementOverflow(const absl::Status& status) {
  return absl::IsOutOfRange(status) &&
         status.GetPayload(kOverflowUrl).has_value();
}

absl::optional<size_t> FailedMutationIndex(const absl::Status& status) {
  if (!ConditionFailedRevision(status).has_value() && !IsNotAnInteger(status) &&
      !IsIncrementOverflow(status)) {
    return absl::nullopt;
  }
  absl::optional<uint64_t> index = NumberPayload(status, kFailedIndexUrl);
  if (!index.has_value()) return absl::nullopt;
  return static_cast<size_t>(*index);
}

}  // namespace kv
