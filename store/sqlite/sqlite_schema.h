#ifndef KV_STORE_SQLITE_SQLITE_SCHEMA_H_
#define KV_STORE_SQLITE_SQLITE_SCHEMA_H_

// The schema of a kvd SQLite database and its migrations. Internal to
// store/sqlite/.
//
// Version 3 (kSqliteSchemaVersion):
//   kv(key BLOB PRIMARY KEY, revision INTEGER NOT NULL, expires_at INTEGER,
//      value BLOB NOT NULL) WITHOUT ROWID
//     One row per key; `revision` is that of the write that last changed
//     the key; `expires_at` is when the key expires, in Unix milliseconds
//     by the driver's clock (StoreSpec::clock), NULL for never. A row whose
//     expires_at has passed is absent to every statement (see StatementId)
//     until ReclaimExpired deletes it. The revision and the expiry come
//     before the value so that reading them never touches a large value's
//     overflow pages.
//   kv_expires_at: INDEX ON kv(expires_at) WHERE expires_at IS NOT NULL
//     Only the keys that expire, soonest first: ReclaimExpired finds the
//     expired ones without reading the table.
//   kv_meta(id INTEGER PRIMARY KEY CHECK (id = 1),
//           revision INTEGER NOT NULL CHECK (revision >= 0))
//     Exactly one row: the store's revision, the highest ever given. Every
//     write transaction reads it after BEGIN IMMEDIATE and stores the new
//     one before COMMIT, so it moves atomically with the rows, and two
//     processes writing one file never give the same revision.
//   PRAGMA user_version = 3.
// Version 2 (kvd before expiry): kv(key BLOB PRIMARY KEY, revision INTEGER
// NOT NULL, value BLOB NOT NULL) WITHOUT ROWID, kv_meta as above, and
// user_version 2. Version 1 (kvd before revisions): kv(key BLOB PRIMARY
// KEY, value BLOB NOT NULL) WITHOUT ROWID and user_version 1. Both are
// migrated on open, straight to the current version.

#include "absl/status/status.h"
#include "store/sqlite/sqlite_connection.h"

namespace kv::sqlite_internal {

// Brings the database behind `writer` to kSqliteSchemaVersion in one
// IMMEDIATE transaction (so two processes opening one file at once cannot
// both migrate it: the second finds it migrated): creates the schema in an
// empty database, migrates a version 1 database (its keys get revisions
// 1..N in byte order of the keys and the store revision becomes N; none
// expires) and a version 2 one (every key and revision kept; none
// expires), and checks a current one. Refuses with FailedPrecondition a
// database of a newer version, and one with tables but no kvd schema
// version (kvd never writes into a database it did not make). If any step
// fails, the database is left as it was.
absl::Status MigrateSchema(Connection& writer);

}  // namespace kv::sqlite_internal

#endif  // KV_STORE_SQLITE_SQLITE_SCHEMA_H_
