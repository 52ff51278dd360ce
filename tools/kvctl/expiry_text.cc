#include "tools/kvctl/expiry_text.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "tools/kvctl/call_status.h"

namespace kv::kvctl {

absl::StatusOr<std::chrono::milliseconds> ParseTtl(absl::string_view what,
                                                   absl::string_view text) {
  absl::Duration duration;
  if (!absl::ParseDuration(std::string(text), &duration) ||
      duration == absl::InfiniteDuration() ||
      duration == -absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what,
                     ": not a duration with a unit, such as 500ms, 30s, 5m, "
                     "24h or 1h30m: ",
                     Quote(text)));
  }
  if (duration < absl::Milliseconds(1)) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": must be at least 1ms (kvd counts whole milliseconds): ",
        Quote(text)));
  }
  return std::chrono::milliseconds(absl::ToInt64Milliseconds(duration));
}

std::string FormatExpireTime(std::chrono::system_clock::time_point time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromChrono(time),
                          absl::UTCTimeZone());
}

absl::StatusOr<std::chrono::system_clock::time_point> ParseExpireTime(
    absl::string_view text) {
  absl::Time time;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, std::string(text), &time, &error)) {
    return absl::InvalidArgumentError(
        absl::StrCat("not an RFC 3339 time such as 2026-12-02T01:32:00.123Z: ",
                     Quote(text)));
  }
  return absl::ToChronoTime(time);
}

}  // namespace kv::kvctl
