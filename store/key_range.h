#ifndef KV_STORE_KEY_RANGE_H_
#define KV_STORE_KEY_RANGE_H_

#include <string>

#include "absl/strings/string_view.h"
#include "absl/types/optional.h"

namespace kv {

// The smallest byte string greater than every string that starts with
// `prefix`: the prefix with trailing 0xff bytes dropped and its last byte
// then incremented. nullopt when there is none (an empty prefix, or one of
// only 0xff bytes): every key from the prefix on matches. Lets a driver turn
// a prefix into the index range [prefix, PrefixEnd(prefix)), with no
// pattern syntax to escape.
absl::optional<std::string> PrefixEnd(absl::string_view prefix);

}  // namespace kv

#endif  // KV_STORE_KEY_RANGE_H_
