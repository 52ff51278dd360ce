#ifndef KV_TOOLS_KVCTL_NUMBER_ARGS_H_
#define KV_TOOLS_KVCTL_NUMBER_ARGS_H_

// The numbers on kvctl's command line: `incr`'s DELTA, the N of
// --if-revision, and `keys`' --limit and --page-size. Plain decimal only: no
// "+", spaces, hex ("0x10") or octal reading of a leading zero ("010" is ten),
// so what a script passes is what kvd gets.

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace kv::kvctl {

// An optional '-' and decimal digits, within int64. Otherwise
// InvalidArgument: "WHAT: not a whole number from MIN to MAX: "TEXT"".
absl::StatusOr<int64_t> ParseInt64Arg(absl::string_view what,
                                      absl::string_view text);

// Decimal digits, within uint64 (a revision). InvalidArgument as above.
absl::StatusOr<uint64_t> ParseUint64Arg(absl::string_view what,
                                        absl::string_view text);

// Decimal digits, from 1 to uint64's maximum (keys --limit).
absl::StatusOr<uint64_t> ParsePositiveArg(absl::string_view what,
                                          absl::string_view text);

// Decimal digits, from 1 to 2147483647, a ListKeys page_size (keys
// --page-size).
absl::StatusOr<uint64_t> ParsePageSizeArg(absl::string_view what,
                                          absl::string_view text);

}  // namespace kv::kvctl

#endif  // KV_TOOLS_KVCTL_NUMBER_ARGS_H_
