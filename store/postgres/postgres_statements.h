#ifndef KV_STORE_POSTGRES_POSTGRES_STATEMENTS_H_
#define KV_STORE_POSTGRES_POSTGRES_STATEMENTS_H_

// The SQL of the statements every connection of the postgres driver
// prepares, in one place, so that tests can EXPLAIN exactly what the driver
// runs. Internal to store/postgres/.

#include <postgresql/libpq-fe.h>

#include <string>

#include "absl/strings/string_view.h"

namespace kv::postgres {

// Type OIDs from the server's catalog/pg_type.h, which libpq-dev lacks.
inline constexpr Oid kTextOid = 25;
inline constexpr Oid kByteaOid = 17;
inline constexpr Oid kBigintOid = 20;
inline constexpr Oid kByteaArrayOid = 1001;

// The server's clock as whole Unix milliseconds, truncated: expiry is
// judged by it and computed from it, never by kvd's clock. Reads use now(),
// the start of the statement's transaction (for a read, of the statement):
// one instant for every row it reads.
inline constexpr absl::string_view kNowMillisSql =
    "(extract(epoch FROM date_trunc('milliseconds', now())) * 1000)::bigint";

// The same at the moment it is evaluated (clock_timestamp()): writes judge
// and set expiry by it, as they take each key's row (see the .cc).
inline constexpr absl::string_view kClockMillisSql =
    "(extract(epoch FROM date_trunc('milliseconds', clock_timestamp())) * "
    "1000)::bigint";

// Parameters are sent and results received in binary, so bytea needs no
// escaping. See kStatements in the .cc for the SQL of each.
enum StatementId {
  kGet,
  kGetMany,
  kLockMany,
  kLockOne,
  kUpdate,
  kUpdateValue,
  kIncrementOne,
  kInsert,
  kInsertPlaceholders,
  kDelete,
  kDeleteLocked,
  kExists,
  kListPage,
  kListPageToEnd,
  kReclaimExpired,
  kCurrentRevision,
  kStatementCount
};

// The most parameters a statement takes.
inline constexpr int kMaxParams = 5;

struct StatementDef {
  const char* name;  // The prepared statement's name.
  const char* sql;   // With the placeholders StatementSql replaces.
  int params;
  Oid types[kMaxParams];  // Of the first `params` parameters.
};

const StatementDef& Statement(StatementId id);

// The SQL to prepare for statement `id` on `quoted_table` (an SQL
// identifier, quoted) with revision sequence `sequence` (a plain
// identifier).
std::string StatementSql(StatementId id, absl::string_view quoted_table,
                         absl::string_view sequence);

}  // namespace kv::postgres

#endif  // KV_STORE_POSTGRES_POSTGRES_STATEMENTS_H_
