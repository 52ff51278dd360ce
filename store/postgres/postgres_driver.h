#ifndef KV_STORE_POSTGRES_POSTGRES_DRIVER_H_
#define KV_STORE_POSTGRES_POSTGRES_DRIVER_H_

// Driver type "postgres": stores live in a PostgreSQL database, reached with
// libpq. Every store of every kvd shares one table, keyed by store name, so
// one database serves many stores without them seeing each other's keys:
//
//   CREATE TABLE kvd_kv (store text NOT NULL, key bytea NOT NULL,
//                        value bytea NOT NULL, PRIMARY KEY (store, key));
//   CREATE TABLE kvd_schema (table_name text PRIMARY KEY,
//                            version integer NOT NULL);
//
// Keys are bytea, so any byte (NUL included) is stored and ORDER BY key is
// byte order. kvd creates both tables when missing, under a transaction-level
// advisory lock so that two kvd processes starting at once do not race, and
// records kPostgresSchemaVersion in kvd_schema; a newer version is refused.
//
// Config fields of `[key_value_store.NAME]` with `type = "postgres"`:
//   url        Required. postgresql://user:password@host:port/dbname?params
//              (or postgres://); see postgres_url.h.
//   timeout    A duration ("2s", "500ms"; default 2s): the connect timeout,
//              the server's statement_timeout, and the most any call waits
//              for a pooled connection, a connection, and the answer.
//   pool_size  Connections kept per store, 1 to 1024 (default 8). A call
//              waits up to `timeout` for a free one.
//   table      The key-value table, a lowercase SQL identifier (default
//              "kvd_kv").
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
inline constexpr int kPostgresSchemaVersion = 1;

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
