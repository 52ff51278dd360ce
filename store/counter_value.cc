#include "store/counter_value.h"

#include <limits>

#include "absl/strings/str_cat.h"
#include "store/write_errors.h"

namespace kv {

absl::optional<int64_t> ParseCounter(absl::string_view text) {
  if (text == "0") return 0;
  bool negative = false;
  if (!text.empty() && text.front() == '-') {
    negative = true;
    text.remove_prefix(1);
  }
  // 19 digits hold every int64; a 20th cannot.
  if (text.empty() || text.size() > 19 || text.front() < '1' ||
      text.front() > '9') {
    return absl::nullopt;
  }
  // Accumulate as a negative number: int64's range is one larger below 0.
  int64_t value = 0;
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  for (char c : text) {
    if (c < '0' || c > '9') return absl::nullopt;
    int digit = c - '0';
    if (value < (kMin + digit) / 10) return absl::nullopt;
    value = value * 10 - digit;
  }
  if (negative) return value;
  if (value == kMin) return absl::nullopt;
  return -value;
}

std::string FormatCounter(int64_t value) { return absl::StrCat(value); }

absl::StatusOr<int64_t> IncrementedCounter(const std::string* current,
                                           int64_t delta, size_t index,
                                           absl::string_view key) {
  int64_t value = 0;
  if (current != nullptr) {
    absl::optional<int64_t> parsed = ParseCounter(*current);
    if (!parsed.has_value()) return NotAnIntegerError(index, key);
    value = *parsed;
  }
  int64_t sum = 0;
  if (__builtin_add_overflow(value, delta, &sum)) {
    return IncrementOverflowError(index, key);
  }
  return sum;
}

}  // namespace kv
