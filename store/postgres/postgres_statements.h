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

// The server's clock as whole Unix milliseconds, truncated: the "now" every
// expiry is judged by and computed from (never kvd's clock). now() is the
// start of the current transaction, so it is one instant for all the
// statements of a Write.
inline constexpr absl::string_view kNowMillisSql =
    "(extract(epoch FROM date_trunc('milliseconds', now())) * 1000)::bigint";

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
