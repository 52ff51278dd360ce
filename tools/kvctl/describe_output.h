#ifndef KV_TOOLS_KVCTL_DESCRIBE_OUTPUT_H_
#define KV_TOOLS_KVCTL_DESCRIBE_OUTPUT_H_

// How `kvctl describe` shows a store's Describe: aligned "field: value"
// lines for people, or one JSON document (docs/kvctl.md, "describe").

#include <string>

#include "absl/strings/string_view.h"
#include "clients/cpp/store_types.h"
#include "nlohmann/json.hpp"

namespace kv::kvctl {

// The lines, each ending in '\n':
//   name:          default
//   driver:        sqlite
//   durability:    DISK (an acknowledged write survives a power loss)
//   revision:      42
//   read-only:     no
//   capabilities:  REVISIONS CONDITIONAL_WRITES INCREMENT ATOMIC_BATCHES
//   max key:       256 bytes
//   max value:     1048576 bytes
//   max batch:     1000 entries, 4194304 bytes
std::string DescribeText(const kvd::StoreInfo& info);

// {"store":..., "name":..., "driver":..., "durability":"DISK",
//  "revision":42, "read_only":false, "capabilities":["REVISIONS",...],
//  "limits":{"max_key_bytes":256, "max_value_bytes":1048576,
//            "max_batch_entries":1000, "max_batch_bytes":4194304}}
// Enum values are their names without the prefix ("DISK", "INCREMENT"); a
// value this kvctl does not know (from a newer kvd) is its number.
nlohmann::json DescribeJson(absl::string_view store,
                            const kvd::StoreInfo& info);

}  // namespace kv::kvctl

#endif  // KV_TOOLS_KVCTL_DESCRIBE_OUTPUT_H_
