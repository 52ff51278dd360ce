#include "tools/kvctl/number_args.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "tools/kvctl/call_status.h"

namespace kv::kvctl {
namespace {

bool AllDigits(absl::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

absl::Status NotANumber(absl::string_view what, absl::string_view range,
                        absl::string_view text) {
  return absl::InvalidArgumentError(absl::StrCat(
      what, ": not a whole number from ", range, ": ", Quote(text)));
}

}  // namespace

absl::StatusOr<int64_t> ParseInt64Arg(absl::string_view what,
                                      absl::string_view text) {
  const absl::string_view digits =
      absl::StartsWith(text, "-") ? text.substr(1) : text;
  int64_t value = 0;
  if (!AllDigits(digits) || !absl::SimpleAtoi(text, &value)) {
    return NotANumber(what, "-9223372036854775808 to 9223372036854775807",
                      text);
  }
  return value;
}

absl::StatusOr<uint64_t> ParseUint64Arg(absl::string_view what,
                                        absl::string_view text) {
  uint64_t value = 0;
  if (!AllDigits(text) || !absl::SimpleAtoi(text, &value)) {
    return NotANumber(what, "0 to 18446744073709551615", text);
  }
  return value;
}

absl::StatusOr<uint64_t> ParsePositiveArg(absl::string_view what,
                                          absl::string_view text) {
  uint64_t value = 0;
  if (!AllDigits(text) || !absl::SimpleAtoi(text, &value) || value == 0) {
    return NotANumber(what, "1 to 18446744073709551615", text);
  }
  return value;
}

absl::StatusOr<uint64_t> ParsePageSizeArg(absl::string_view what,
                                          absl::string_view text) {
  uint64_t value = 0;
  if (!AllDigits(text) || !absl::SimpleAtoi(text, &value) || value == 0 ||
      value > 2147483647) {
    return NotANumber(what, "1 to 2147483647", text);
  }
  return value;
}

}  // namespace kv::kvctl
