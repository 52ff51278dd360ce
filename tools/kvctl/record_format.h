#ifndef KV_TOOLS_KVCTL_RECORD_FORMAT_H_
#define KV_TOOLS_KVCTL_RECORD_FORMAT_H_

// The format of `kvctl export` and `kvctl import`: JSON Lines, one record
// per key,
//
//   {"key":"<the key>","value":"<standard base64 of the value's bytes>"}
//
// The key is a JSON string (any UTF-8; control characters and NUL escaped);
// the value is standard base64 with padding (RFC 4648 section 4), the same
// text proto3 JSON uses for `bytes`, so grpcurl and `buf curl` show the same
// string for a value.

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace kv::kvctl {

struct Record {
  std::string key;
  std::string value;
};

// One record as one line of JSON, without the newline. Fails
// (InvalidArgument) only when `key` is not valid UTF-8, which no kvd key is.
absl::StatusOr<std::string> EncodeRecord(absl::string_view key,
                                         absl::string_view value);

// Parses one line (without its newline; a trailing '\r' is tolerated as
// JSON whitespace). The line must be a JSON object with exactly the string
// fields "key" (not empty) and "value" (standard base64, padded). Errors are
// InvalidArgument, with a message that says what is wrong but not where (the
// caller adds "line N: ").
absl::StatusOr<Record> DecodeRecord(absl::string_view line);

}  // namespace kv::kvctl

#endif  // KV_TOOLS_KVCTL_RECORD_FORMAT_H_
