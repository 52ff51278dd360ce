#include "service/expiry_fields.h"

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "service/errors/kv_error.h"

namespace kv {
namespace {

constexpr int32_t kNanosPerSecond = 1000000000;

// How a Duration field reads in a message: "1.5s", "-2s", "0s".
std::string Describe(const google::protobuf::Duration& ttl) {
  return absl::FormatDuration(absl::Seconds(ttl.seconds()) +
                              absl::Nanoseconds(ttl.nanos()));
}

}  // namespace

absl::StatusOr<absl::Duration> RequestedTtl(
    bool has_ttl, const google::protobuf::Duration& ttl, absl::Duration max_ttl,
    absl::string_view field) {
  if (!has_ttl) return absl::InfiniteDuration();
  const bool mixed_signs = (ttl.seconds() > 0 && ttl.nanos() < 0) ||
                           (ttl.seconds() < 0 && ttl.nanos() > 0);
  if (mixed_signs || ttl.nanos() <= -kNanosPerSecond ||
      ttl.nanos() >= kNanosPerSecond) {
    return InvalidRequestError(absl::StrCat(
        field, " is not a valid google.protobuf.Duration (seconds ",
        ttl.seconds(), ", nanos ", ttl.nanos(),
        "); nanos must be within +-999999999 and of the same sign as seconds"));
  }
  // Whole milliseconds, in integers: absl::Duration arithmetic saturates to
  // infinity for huge values, and the message should show what was sent.
  // Truncating first means a ttl over the maximum by less than a millisecond
  // is the maximum, as the proto says the finer part is dropped.
  constexpr int64_t kSaturation = INT64_MAX / 1000 - 1;
  const int64_t whole_millis =
      ttl.seconds() > kSaturation ? INT64_MAX
      : ttl.seconds() < -kSaturation
          ? INT64_MIN
          : ttl.seconds() * 1000 + ttl.nanos() / 1000000;
  if (whole_millis > absl::ToInt64Milliseconds(max_ttl)) {
    return InvalidRequestError(
        absl::StrCat(field, " is ", Describe(ttl), "; the longest is ",
                     absl::FormatDuration(max_ttl), " (",
                     absl::ToInt64Hours(max_ttl) / 24, " days)"));
  }
  const absl::Duration millis = absl::Milliseconds(whole_millis);
  if (millis < absl::Milliseconds(1)) {
    return InvalidRequestError(absl::StrCat(
        field, " is ", Describe(ttl),
        "; a ttl must be at least 1ms (leave it unset for a key that never "
        "expires)"));
  }
  return millis;
}

void ToTimestamp(absl::Time time, google::protobuf::Timestamp* timestamp) {
  const int64_t millis = absl::ToUnixMillis(time);
  // Floor division, so an instant before 1970 still has 0 <= nanos < 1e9.
  int64_t seconds = millis / 1000;
  int64_t remainder = millis % 1000;
  if (remainder < 0) {
    remainder += 1000;
    --seconds;
  }
  timestamp->set_seconds(seconds);
  timestamp->set_nanos(static_cast<int32_t>(remainder * 1000000));
}

}  // namespace kv
