#ifndef KV_STORE_EXPIRY_H_
#define KV_STORE_EXPIRY_H_

#include <cstdint>

#include "absl/time/time.h"

namespace kv {

// Drivers store expiry as whole milliseconds since the Unix epoch.

// The milliseconds of a Mutation's ttl (a whole number, at least 1); -1 for
// absl::InfiniteDuration(), which never expires.
inline int64_t TtlMillis(absl::Duration ttl) {
  if (ttl == absl::InfiniteDuration()) return -1;
  return absl::ToInt64Milliseconds(ttl);
}

// `now` + `ttl`, truncated to the millisecond, as Unix milliseconds; -1 for
// a ttl that never expires.
inline int64_t ExpiryMillis(absl::Time now, absl::Duration ttl) {
  if (ttl == absl::InfiniteDuration()) return -1;
  return absl::ToUnixMillis(now) + TtlMillis(ttl);
}

// Versioned::expire_time for stored Unix milliseconds; a negative value
// (or a NULL the caller maps to -1) means never.
inline absl::Time ExpireTimeOf(int64_t unix_millis) {
  if (unix_millis < 0) return absl::InfiniteFuture();
  return absl::FromUnixMillis(unix_millis);
}

}  // namespace kv

#endif  // KV_STORE_EXPIRY_H_
