#ifndef KV_SERVICE_REQUEST_VALIDATION_H_
#define KV_SERVICE_REQUEST_VALIDATION_H_

// Checks on keys and values, applied before any driver sees a request.

#include <cstddef>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace kv {

// OK if `text` is well-formed UTF-8 (no overlongs, surrogates or code points
// past U+10FFFF); otherwise InvalidArgument "is not valid UTF-8 (at byte N)".
absl::Status ValidateUtf8(absl::string_view text);

// A key is 1 to `max_key_bytes` bytes of UTF-8. Errors are
// InvalidRequestError naming the problem, the size and the limit.
absl::Status ValidateKey(absl::string_view key, size_t max_key_bytes);

// A value is at most `max_value_bytes` bytes.
absl::Status ValidateValue(absl::string_view key, size_t value_size,
                           size_t max_value_bytes);

}  // namespace kv

#endif  // KV_SERVICE_REQUEST_VALIDATION_H_
