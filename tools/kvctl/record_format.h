#ifndef KV_TOOLS_KVCTL_RECORD_FORMAT_H_
#define KV_TOOLS_KVCTL_RECORD_FORMAT_H_

// The format of `kvctl export` and `kvctl import`: JSON Lines, one record
// per key,
//
//   {"key":"<the key>","value":"<standard base64 of the value's bytes>"}
//
// and, for a key that expires, a third field, its expire time in RFC 3339
// (UTC, milliseconds; expiry_text.h):
//
//   {"key":"k","value":"dg==","expire_time":"2026-12-02T01:32:00.123Z"}
//
// A record without expire_time is exactly the earlier format, so exports of
// stores without expiring keys are unchanged, and old exports import as
// before. (A kvctl from before expiry refuses records with expire_time.)
//
// The key is a JSON string (any UTF-8; control characters and NUL escaped);
// the value is standard base64 with padding (RFC 4648 section 4), the same
// text proto3 JSON uses for `bytes`, so grpcurl and `buf curl` show the same
// string for a value.

#include <chrono>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace kv::kvctl {

struct Record {
  std::string key;
  std::string value;
  // When the key expires; std::nullopt: never.
  std::optional<std::chrono::system_clock::time_point> expire_time;
};

// One record as one line of JSON, without the newline. Fails
// (InvalidArgument) only when `key` is not valid UTF-8, which no kvd key is.
absl::StatusOr<std::string> EncodeRecord(
    absl::string_view key, absl::string_view value,
    std::optional<std::chrono::system_clock::time_point> expire_time =
        std::nullopt);

// Parses one line (without its newline; a trailing '\r' is tolerated as
// JSON whitespace). The line must be a JSON object with exactly the string
// fields "key" (not empty) and "value" (standard base64, padded), and
// optionally "expire_time" (RFC 3339). Errors are
// InvalidArgument, with a message that says what is wrong but not where (the
// caller adds "line N: ").
absl::StatusOr<Record> DecodeRecord(absl::string_view line);

}  // namespace kv::kvctl

#endif  // KV_TOOLS_KVCTL_RECORD_FORMAT_H_
