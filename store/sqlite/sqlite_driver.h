#ifndef KV_STORE_SQLITE_SQLITE_DRIVER_H_
#define KV_STORE_SQLITE_SQLITE_DRIVER_H_

// Driver type "sqlite": the default backend. Each store is one SQLite
// database file. Its table `kv(key BLOB PRIMARY KEY, revision INTEGER NOT
// NULL, expires_at INTEGER, value BLOB NOT NULL) WITHOUT ROWID` holds the
// keys, compared as bytes, with their expiry (Unix milliseconds, NULL for
// never; a partial index on it lists the keys that expire), and `kv_meta`
// the store revision (sqlite_schema.h). A database of schema version 1
// (before revisions) or 2 (before expiry) is migrated on open.
//
// Expiry is judged by the clock the driver is opened with (StoreSpec::clock,
// SqliteOptions::clock), read at each call: so several kvd processes on one
// file must have synchronized clocks. An expired row is absent to every
// read and write at once and stays in the file until ReclaimExpired deletes
// it. ListKeyPage is a range scan of the primary key.
//
// Config fields of `[key_value_store.NAME]` with `type = "sqlite"`:
//   path        The database file. A relative path is resolved against the
//               config file's directory (StoreSpec::base_dir). Default:
//               <data_dir>/<NAME>.db. Missing parent directories are created
//               with mode 0700.
//   durability  "fsync" (default, Durability::kDisk): writes return after
//               the change is synced to disk (PRAGMA synchronous=FULL), so it
//               survives a power loss. "os" (kProcess): they return once the
//               change is in the OS (synchronous=NORMAL): it survives a crash
//               of kvd but the last changes may be lost on a power loss; much
//               faster.
//
// Writes are group-committed (write_batcher.h): concurrent Writes share one
// transaction, each all-or-nothing on its own and acknowledged only after
// that transaction commits. The store revision is read and advanced inside
// each write transaction, so several drivers (several kvd processes) may
// write one file and still never give a revision twice. ReclaimExpired
// queues on the same committer, as one bounded DELETE in its turn. Reads
// (ListKeyPage included) never wait for writes: each runs on a pooled
// read-only connection (WAL mode).
//
// Errors: every message names the store and the file, e.g.
//   store "orders": cannot open SQLite database /x/y.db: unable to open ...
// A file that cannot be opened or created, or a database locked by another
// process for longer than the busy timeout, gives Unavailable; a corrupt file
// or one that is not a database gives DataLoss; a database written by a newer
// kvd gives FailedPrecondition; a bad field gives InvalidArgument; anything
// else gives Internal.

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "store/clock.h"
#include "store/driver.h"
#include "store/registry.h"
#include "store/sqlite/write_batcher.h"

namespace kv {

// The schema version this driver creates and understands, recorded in the
// database as PRAGMA user_version (sqlite_schema.h describes each version).
// An older version is migrated on open; a higher one is refused rather than
// misread.
inline constexpr int kSqliteSchemaVersion = 3;

enum class SqliteDurability {
  kFsync,  // PRAGMA synchronous=FULL
  kOs,     // PRAGMA synchronous=NORMAL
};

struct SqliteOptions {
  // The store's name, for messages.
  std::string store_name;
  // The database file, absolute.
  std::string path;
  SqliteDurability durability = SqliteDurability::kFsync;
  // Judges expiry (StoreSpec::clock); must outlive the driver.
  const Clock* clock = &Clock::Real();
  // For tests only (config cannot set it): called by the committing thread
  // with the batch's size (its number of Writes) before each batch is
  // applied. A test blocks in it to let writes queue up behind a commit in
  // flight.
  std::function<void(size_t batch_size)> before_batch_for_testing;
};

// Reads the `path` and `durability` fields of `spec`, resolves the path, and
// takes the spec's clock.
// Returns InvalidArgument naming the store and the field if one is invalid.
// Touches no files.
absl::StatusOr<SqliteOptions> SqliteOptionsFromSpec(const StoreSpec& spec);

// Opens the database at `options.path`, creating the file, its missing
// parent directories and the schema if needed. This is what the registered
// "sqlite" type runs after SqliteOptionsFromSpec.
absl::StatusOr<std::unique_ptr<Driver>> OpenSqliteDriver(
    const SqliteOptions& options);

// The group-commit counters of a driver returned by OpenSqliteDriver (for
// tests and benchmarks); nullopt for any other driver.
std::optional<WriteBatcher::Stats> SqliteWriteStats(const Driver& driver);

}  // namespace kv

#endif  // KV_STORE_SQLITE_SQLITE_DRIVER_H_
