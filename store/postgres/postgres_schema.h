#ifndef KV_STORE_POSTGRES_POSTGRES_SCHEMA_H_
#define KV_STORE_POSTGRES_POSTGRES_SCHEMA_H_

// The postgres driver's schema: creating it, checking its version, upgrading
// an older one, and each store's revision sequence. Internal to
// store/postgres/; postgres_driver.h describes the layout.

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "store/postgres/postgres_connection.h"

namespace kv::postgres {

// The schema version this driver creates and understands.
// 1: (store, key, value); 2: + revision; 3: + expires_at and its index.
inline constexpr int kSchemaVersion = 3;

// The table where each kv table's schema version is recorded.
inline constexpr absl::string_view kSchemaTable = "kvd_schema";

// The table that names each store's revision sequence.
inline constexpr absl::string_view kSequenceTable = "kvd_sequences";

// Every revision sequence's name starts with this (then a number).
inline constexpr absl::string_view kSequencePrefix = "kvd_rev_";

// In one transaction holding the schema advisory lock: creates the tables
// when missing, refuses a table of a newer version or one kvd did not
// create, upgrades an older version, and makes sure the store `ctx.store`
// has its revision sequence. Returns that sequence's name.
absl::StatusOr<std::string> SetUpSchema(Connection& connection,
                                        const Context& ctx,
                                        absl::Time deadline);

}  // namespace kv::postgres

#endif  // KV_STORE_POSTGRES_POSTGRES_SCHEMA_H_
