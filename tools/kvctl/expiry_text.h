#ifndef KV_TOOLS_KVCTL_EXPIRY_TEXT_H_
#define KV_TOOLS_KVCTL_EXPIRY_TEXT_H_

// Expiry as kvctl writes and reads it: `set --ttl`'s duration, and an
// expire time as RFC 3339 in UTC with milliseconds
// ("2026-12-02T01:32:00.123Z"), the form `get` prints and `export` records
// (kvd counts expiry in whole milliseconds).

#include <chrono>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace kv::kvctl {

// `--ttl`'s text as milliseconds: a duration with a unit, as
// absl::ParseDuration reads it ("30s", "1.5h", "500ms", "1h30m"), of at
// least 1 ms; a finer part is dropped (kvd's precision). InvalidArgument
// naming `what` and the text otherwise. The upper bound is the store's
// (max_ttl; kvd refuses a longer one).
absl::StatusOr<std::chrono::milliseconds> ParseTtl(absl::string_view what,
                                                   absl::string_view text);

// "2026-12-02T01:32:00.123Z".
std::string FormatExpireTime(std::chrono::system_clock::time_point time);

// The inverse of FormatExpireTime, accepting any RFC 3339 time (an offset
// instead of Z, fewer or more fraction digits). InvalidArgument otherwise.
absl::StatusOr<std::chrono::system_clock::time_point> ParseExpireTime(
    absl::string_view text);

}  // namespace kv::kvctl

#endif  // KV_TOOLS_KVCTL_EXPIRY_TEXT_H_
