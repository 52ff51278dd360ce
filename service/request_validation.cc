#include "service/request_validation.h"

#include <cstdint>

#include "absl/strings/str_cat.h"
#include "service/errors/kv_error.h"

namespace kv {
namespace {

// Length of the UTF-8 sequence starting at text[i], or 0 if it is malformed.
// Follows RFC 3629's table of well-formed byte sequences.
size_t Utf8SequenceLength(absl::string_view text, size_t i) {
  auto byte = [&](size_t at) { return static_cast<uint8_t>(text[at]); };
  auto continuation_in = [&](size_t at, uint8_t low, uint8_t high) {
    return at < text.size() && byte(at) >= low && byte(at) <= high;
  };
  const uint8_t lead = byte(i);
  if (lead <= 0x7F) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) {
    return continuation_in(i + 1, 0x80, 0xBF) ? 2 : 0;
  }
  if (lead >= 0xE0 && lead <= 0xEF) {
    const uint8_t low = lead == 0xE0 ? 0xA0 : 0x80;   // no overlongs
    const uint8_t high = lead == 0xED ? 0x9F : 0xBF;  // no surrogates
    return continuation_in(i + 1, low, high) &&
                   continuation_in(i + 2, 0x80, 0xBF)
               ? 3
               : 0;
  }
  if (lead >= 0xF0 && lead <= 0xF4) {
    const uint8_t low = lead == 0xF0 ? 0x90 : 0x80;   // no overlongs
    const uint8_t high = lead == 0xF4 ? 0x8F : 0xBF;  // <= U+10FFFF
    return continuation_in(i + 1, low, high) &&
                   continuation_in(i + 2, 0x80, 0xBF) &&
                   continuation_in(i + 3, 0x80, 0xBF)
               ? 4
               : 0;
  }
  return 0;
}

}  // namespace

absl::Status ValidateUtf8(absl::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const size_t length = Utf8SequenceLength(text, i);
    if (length == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("is not valid UTF-8 (at byte ", i, ")"));
    }
    i += length;
  }
  return absl::OkStatus();
}

absl::Status ValidateKey(absl::string_view key, size_t max_key_bytes) {
  if (key.empty()) {
    return InvalidRequestError("the key is empty; keys are 1 or more bytes");
  }
  if (key.size() > max_key_bytes) {
    return InvalidRequestError(
        absl::StrCat("key ", Quote(key.substr(0, 32)), "... is ", key.size(),
                     " bytes, over the limit of ", max_key_bytes,
                     " (limits.max_key_bytes)"));
  }
  absl::Status utf8 = ValidateUtf8(key);
  if (!utf8.ok()) {
    return InvalidRequestError(
        absl::StrCat("key ", Quote(key), " ", utf8.message()));
  }
  return absl::OkStatus();
}

absl::Status ValidateValue(absl::string_view key, size_t value_size,
                           size_t max_value_bytes) {
  if (value_size > max_value_bytes) {
    return InvalidRequestError(
        absl::StrCat("the value for key ", Quote(key), " is ", value_size,
                     " bytes, over the limit of ", max_value_bytes,
                     " (limits.max_value_bytes)"));
  }
  return absl::OkStatus();
}

}  // namespace kv
