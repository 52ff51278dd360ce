#ifndef KV_STORE_SQLITE_SQLITE_CONNECTION_H_
#define KV_STORE_SQLITE_SQLITE_CONNECTION_H_

// The SQLite plumbing of the "sqlite" driver: one connection with its
// prepared statements, the driver's error messages, and blob binding.
// Internal to store/sqlite/.

#include <sqlite3.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace kv::sqlite_internal {

// The statements a connection runs on the hot path, prepared once per
// connection and kept (kStatementSql in sqlite_connection.cc holds the
// SQL). Keys and values are always bound as blobs, so comparisons (and
// ORDER BY) are memcmp: byte order. `now` is the driver's clock in Unix
// milliseconds: a row whose expires_at is at or before it is expired, and
// every statement that reads or changes a key (except kUpsert, which
// replaces the row whatever it held) treats it as absent.
enum StatementId {
  kGet,               // ?1 key, ?2 now -> value, revision, expires_at
  kGetRevision,       // ?1 key, ?2 now -> revision
  kUpsert,            // ?1 key, ?2 revision, ?3 value, ?4 expires_at
  kUpdate,            // ?1 key, ?2 revision, ?3 value; the row exists, and
                      // keeps its expires_at
  kIncrementInPlace,  // ?1 key, ?2 revision, ?3 delta, ?4 now; kv_add
                      // (writer only); keeps expires_at
  kDelete,            // ?1 key, ?2 now
  kExists,            // ?1 key, ?2 now -> 1
  kListKeyRange,      // ?1 from, ?2 end, ?3 now, ?4 limit -> key: the keys
                      // from <= key < end, in byte order
  kListKeysFrom,      // ?1 from, ?3 now, ?4 limit -> key: from <= key
  kReclaimExpired,    // ?1 now, ?2 limit: deletes that many expired rows,
                      // soonest expired first, through the expiry index
  kStoreRevision,     // -> the store's revision
  kSetStoreRevision,  // ?1 revision
  kBeginWrite,        // BEGIN IMMEDIATE
  kBeginRead,         // BEGIN (a read snapshot from the first read on)
  kCommit,
  kRollback,
  kStatementCount
};

// The SQL text of statement `id`, for tests that look at its query plan.
const char* StatementSql(StatementId id);

// Maps a SQLite result code to the canonical code the Driver contract asks
// for, and builds the message every error of this driver uses:
//   store "NAME": FAILED SQLite database PATH: DETAIL
absl::Status SqliteError(int rc, absl::string_view store,
                         absl::string_view path, absl::string_view failed,
                         absl::string_view detail);

// A one-shot statement (setup and pragmas), finalized when it goes away.
struct StatementDeleter {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using OneShotStatement = std::unique_ptr<sqlite3_stmt, StatementDeleter>;

// Resets a cached statement and clears its bindings when the scope ends, on
// every path: a statement left stepping would keep its read transaction
// (an old snapshot) open, and a binding would point at freed memory.
class ScopedReset {
 public:
  explicit ScopedReset(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ScopedReset(const ScopedReset&) = delete;
  ScopedReset& operator=(const ScopedReset&) = delete;
  ~ScopedReset() {
    sqlite3_reset(stmt_);  // Repeats the last step's error; already handled.
    sqlite3_clear_bindings(stmt_);
  }

 private:
  sqlite3_stmt* const stmt_;
};

// Binds `bytes` as a blob without copying; the caller keeps them alive until
// the statement is reset. An empty view may have a null data pointer, which
// sqlite3_bind_blob would turn into SQL NULL, so it binds a zero-length blob.
int BindBytes(sqlite3_stmt* stmt, int index, absl::string_view bytes);

// The blob in `column` of the current row. Valid until the next step or
// reset. A zero-length blob comes back as a null pointer, hence the check.
absl::string_view ColumnBytes(sqlite3_stmt* stmt, int column);

// One sqlite3 connection and its cached statements. Not thread-safe: the
// driver guarantees that one thread at a time uses a connection (the writer
// on the committer thread, readers by lease from the pool). That is also
// why connections are opened with SQLITE_OPEN_NOMUTEX: SQLite's
// per-connection mutex would only repeat our locking on every call, while
// the library's global state stays protected in this multi-thread mode.
class Connection {
 public:
  // Opens `path` with `open_flags` (SQLITE_OPEN_READWRITE | CREATE, or
  // READONLY) and sets the busy timeout.
  static absl::StatusOr<std::unique_ptr<Connection>> Open(
      const std::string& store, const std::string& path, int open_flags);

  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Finalizes the statements and closes the connection. The last connection
  // to a WAL database to close checkpoints the WAL into the database file
  // and removes it.
  ~Connection();

  // Returns the cached statement `id`, preparing it on first use. The caller
  // resets it with a ScopedReset. `failed` describes the caller's operation
  // for the error message, e.g. "cannot read from".
  absl::StatusOr<sqlite3_stmt*> Statement(StatementId id,
                                          absl::string_view failed);

  // Steps the cached statement `id`, which takes no parameters and returns
  // no rows (BEGIN, COMMIT, ROLLBACK).
  absl::Status Run(StatementId id, absl::string_view failed);

  // Whether a transaction is open (SQLite may roll one back by itself
  // after some errors, e.g. SQLITE_FULL).
  bool InTransaction() const { return sqlite3_get_autocommit(db_) == 0; }

  // Rows changed by the last INSERT, UPDATE or DELETE on this connection.
  int64_t Changes() const { return sqlite3_changes64(db_); }

  // Defines the SQL function `name` of `args` arguments on this connection,
  // with sqlite3_create_function_v2's `flags` and `user_data`.
  absl::Status CreateFunction(const char* name, int args, int flags,
                              void* user_data,
                              void (*function)(sqlite3_context*, int,
                                               sqlite3_value**));

  // Runs `sql`, which may hold several statements, ignoring any rows.
  absl::Status Exec(const char* sql, absl::string_view failed);

  // Runs `sql` and returns the first column of its first row as text.
  absl::StatusOr<std::string> QueryText(const char* sql,
                                        absl::string_view failed);

  // Runs `sql` and returns the first column of its first row as an integer.
  absl::StatusOr<int64_t> QueryInt(const char* sql, absl::string_view failed);

  // The status for result code `rc` of the last call on this connection.
  absl::Status Error(int rc, absl::string_view failed) const;

  // The status for a failure SQLite did not report itself.
  absl::Status Error(int rc, absl::string_view failed,
                     absl::string_view detail) const;

  const std::string& store() const { return store_; }
  const std::string& path() const { return path_; }

 private:
  Connection(std::string store, std::string path, sqlite3* db)
      : store_(std::move(store)), path_(std::move(path)), db_(db) {}

  absl::StatusOr<OneShotStatement> Prepare(const char* sql,
                                           absl::string_view failed);

  const std::string store_;
  const std::string path_;
  sqlite3* const db_;
  std::array<sqlite3_stmt*, kStatementCount> statements_{};
};

}  // namespace kv::sqlite_internal

#endif  // KV_STORE_SQLITE_SQLITE_CONNECTION_H_
