#ifndef KV_STORE_POSTGRES_POSTGRES_DRIVER_H_
#define KV_STORE_POSTGRES_POSTGRES_DRIVER_H_

// Driver type "postgres": stores live in a PostgreSQL database, reached with
// libpq. Every store of every kvd shares one table, keyed by store name, so
// one database serves many stores without them seeing each other's keys:
//
//   CREATE TABLE kvd_kv (store text NOT NULL, key bytea NOT NULL,
//                        value bytea NOT NULL, revision bigint NOT NULL,
//                        expires_at bigint,  -- Unix ms; NULL: never
//                        PRIMARY KEY (store, key));
//   CREATE INDEX ON kvd_kv (store, expires_at) WHERE expires_at IS NOT NULL;
//   CREATE TABLE kvd_schema (table_name text PRIMARY KEY,
//                            version integer NOT NULL);
//   CREATE TABLE kvd_sequences (id bigserial PRIMARY KEY,
//                               table_name text NOT NULL,
//                               store text NOT NULL,
//                               UNIQUE (table_name, store));
//   CREATE SEQUENCE kvd_rev_N;  -- one per store: N is its kvd_sequences.id
//
// Keys are bytea, so any byte (NUL included) is stored and ORDER BY key is
// byte order. kvd creates the tables when missing, and a store's sequence
// when it first opens the store, under a transaction-level advisory lock so
// that kvd processes starting at once do not race, and records
// kPostgresSchemaVersion in kvd_schema; a newer version is refused, and an
// older one (1: no revision column; 2: no expires_at column) is upgraded in
// that transaction.
//
// Expiry is judged by the server's clock alone, so every kvd sharing the
// table agrees: a Set with a ttl stores the server's time plus the ttl in
// expires_at, and every statement treats a row whose expires_at has passed
// as absent (reads as of their start, writes as of when they hold the row;
// see postgres_statements.cc). An expired row stays until ReclaimExpired
// deletes it (at most N rows of the store, soonest first, through the
// partial index, passing over rows writers hold), or a write replaces it.
// ListKeyPage is one keyset statement over the primary key: store = $1 AND
// key > after AND key >= prefix AND key < PrefixEnd(prefix), ORDER BY key
// LIMIT limit + 1, with bytea bounds (no LIKE), so a page costs an index
// range scan of the page (plus any expired rows in it not yet reclaimed).
//
// Revisions: each store has its own sequence, so writers to different
// stores share nothing and writers to one store share only the sequence
// (nextval never blocks and is never rolled back), never a hot row. Store
// names are arbitrary text; the sequence is named by a number, found in
// kvd_sequences. Every Write is one READ COMMITTED transaction that first
// locks the existing rows of its keys (SELECT ... ORDER BY key FOR UPDATE),
// inserts the rows of the keys it creates (two or more) in key order too,
// then checks conditions and computes increments against them, and calls
// nextval only on a row it holds locked or is inserting; an insert that
// finds the key created meanwhile (ON CONFLICT DO NOTHING) locks that row
// and decides again. A deadlock (possible only when a key is created
// between two such steps) is retried. An unconditional Set or Delete of one
// key, and an Increment of a key that holds a counter, are one statement
// each instead (UPDATE/INSERT/DELETE ... RETURNING), atomic on their own:
// an UPDATE that waited for a row lock evaluates its WHERE and SET again on
// the row the other writer left. So a key's revisions grow in the order
// its writes commit, a create-only write on a key two writers create at once
// succeeds for one of them, and no increment is lost. Across keys, revision
// order is the order nextval ran, which may differ from commit order for writes
// in flight at the same time. CurrentRevision is the sequence's last value:
// at least every revision returned, and 0 before the store's first write.

// Config fields of `[key_value_store.NAME]` with `type = "postgres"`:
//   url        Required. postgresql://user:password@host:port/dbname?params
//              (or postgres://); see postgres_url.h.
//   timeout    A duration ("2s", "500ms"; default 2s): the connect timeout,
//              the server's statement_timeout, and the most any call waits
//              for a pooled connection, a connection, and the answer.
//   pool_size  Connections kept per store, 1 to 1024 (default 8). A call
//              waits up to `timeout` for a free one.
//   table      The key-value table, a lowercase SQL identifier (default
//              "kvd_kv"); not kvd_schema, kvd_sequences or kvd_rev_*.
//
// durability() is kDisk if the server had fsync on and synchronous_commit
// not off when the store was opened, kProcess otherwise.
//
// Errors name the store, the operation and the server, never the password:
//   store "orders": cannot write to PostgreSQL 10.0.0.5:5432/kv: DETAIL
// A server that cannot be reached, a broken connection, a timeout, a server
// shutting down (SQLSTATE 57P01...), too many connections, serialization or
// lock failures give Unavailable; a bad field gives InvalidArgument; a table
// written by a newer kvd, or an existing table kvd did not create, gives
// FailedPrecondition; anything else gives Internal. A connection that fails
// is closed and replaced on next use, so the driver recovers by itself when
// the server comes back.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "store/driver.h"
#include "store/postgres/postgres_url.h"
#include "store/registry.h"

namespace kv {

// The schema version this driver creates and understands.
inline constexpr int kPostgresSchemaVersion = 3;

struct PostgresOptions {
  // The store's name: the `store` column of its rows, and in messages.
  std::string store_name;
  PostgresUrl url;
  absl::Duration timeout = absl::Seconds(2);
  int pool_size = 8;
  std::string table = "kvd_kv";
};

// Reads the fields of `spec`. Returns InvalidArgument naming the store and
// the field if one is missing or invalid. Connects to nothing.
absl::StatusOr<PostgresOptions> PostgresOptionsFromSpec(const StoreSpec& spec);

// Connects, creates or checks the schema, and returns the driver. Returns
// within about `options.timeout`, with Unavailable if the server cannot be
// reached. This is what the registered "postgres" type runs.
absl::StatusOr<std::unique_ptr<Driver>> OpenPostgresDriver(
    const PostgresOptions& options);

}  // namespace kv

#endif  // KV_STORE_POSTGRES_POSTGRES_DRIVER_H_
