#ifndef KV_SERVICE_EXPIRY_FIELDS_H_
#define KV_SERVICE_EXPIRY_FIELDS_H_

// The ttl and expire_time fields of requests and responses, and the checks
// on a ttl before any driver sees it.

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/timestamp.pb.h"

namespace kv {

// The ttl a write asks for, for Mutation::ttl: absl::InfiniteDuration() when
// `has_ttl` is false (the key does not expire). A set ttl is truncated to
// whole milliseconds and must then be at least 1 ms and at most `max_ttl`;
// otherwise, or if it is not a valid Duration (seconds and nanos of
// different signs, nanos out of range), InvalidRequestError naming `field`
// (e.g. "ttl", "entries[3].ttl"), the value and the bound.
absl::StatusOr<absl::Duration> RequestedTtl(
    bool has_ttl, const google::protobuf::Duration& ttl, absl::Duration max_ttl,
    absl::string_view field);

// Whether a Versioned::expire_time means the key expires.
inline bool Expires(absl::Time expire_time) {
  return expire_time != absl::InfiniteFuture();
}

// `time`, a whole number of milliseconds, as a Timestamp.
void ToTimestamp(absl::Time time, google::protobuf::Timestamp* timestamp);

// Sets `message`'s expire_time (a GetResponse, an Entry) to `expire_time`,
// or leaves it unset for a key that does not expire.
template <typename Message>
void SetExpireTime(absl::Time expire_time, Message& message) {
  if (Expires(expire_time)) {
    ToTimestamp(expire_time, message.mutable_expire_time());
  }
}

}  // namespace kv

#endif  // KV_SERVICE_EXPIRY_FIELDS_H_
