#include "store/sqlite/sqlite_connection.h"

#include <sqlite3.h>

#include <cstdio>
#include <memory>
#include <string>
#include <system_error>
#include <utility>

#include "absl/memory/memory.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "store/status_macros.h"

namespace kv::sqlite_internal {
namespace {

// How long a statement waits for a lock held by another process (another
// kvd, or the sqlite3 shell) before failing with SQLITE_BUSY -> Unavailable.
constexpr int kBusyTimeoutMs = 5000;

// The SQL of each StatementId. The schema is sqlite_schema.h's.
//
// "Live" below is `expires_at IS NULL OR expires_at > now`. Every statement
// on one key searches the primary key for it; the listing statements are a
// range scan of the primary key from `from`, which stops after `limit`
// live rows (an index range scan: a page costs what it returns, plus any
// expired rows between, which ReclaimExpired keeps few); the reclaim is a
// range scan of the partial index kv_expires_at. sqlite_driver_test checks
// these plans.
constexpr std::array<const char*, kStatementCount> kStatementSql = {
    "SELECT value, revision, expires_at FROM kv WHERE key = ?1 "
    "AND (expires_at IS NULL OR expires_at > ?2)",
    // Reads no value column, so a condition on a large value never touches
    // the value's overflow pages (expires_at is stored before the value).
    "SELECT revision FROM kv WHERE key = ?1 "
    "AND (expires_at IS NULL OR expires_at > ?2)",
    "INSERT INTO kv(key, revision, expires_at, value) VALUES(?1, ?2, ?4, ?3) "
    "ON CONFLICT(key) DO UPDATE SET revision = excluded.revision, "
    "expires_at = excluded.expires_at, value = excluded.value",
    // For a row the transaction has just read: one search of the b-tree,
    // where the upsert's failed insert makes two.
    "UPDATE kv SET revision = ?2, value = ?3 WHERE key = ?1",
    // sqlite_increment.h: a lone Increment in one statement and one search.
    // An expired row is not matched, so the caller creates the key afresh.
    "UPDATE kv SET revision = ?2, value = kv_add(value, ?3) WHERE key = ?1 "
    "AND (expires_at IS NULL OR expires_at > ?4)",
    // An expired row is left for ReclaimExpired: deleting it is no write.
    "DELETE FROM kv WHERE key = ?1 "
    "AND (expires_at IS NULL OR expires_at > ?2)",
    "SELECT 1 FROM kv WHERE key = ?1 "
    "AND (expires_at IS NULL OR expires_at > ?2)",
    // One lower bound, never two: with `key > after AND key >= prefix` the
    // planner uses only one of them for the range, possibly the lower one.
    "SELECT key FROM kv WHERE key >= ?1 AND key < ?2 "
    "AND (expires_at IS NULL OR expires_at > ?3) ORDER BY key LIMIT ?4",
    "SELECT key FROM kv WHERE key >= ?1 "
    "AND (expires_at IS NULL OR expires_at > ?3) ORDER BY key LIMIT ?4",
    // `expires_at <= ?1` implies the partial index's `expires_at IS NOT
    // NULL`, which is what lets SQLite use it.
    "DELETE FROM kv WHERE key IN (SELECT key FROM kv WHERE expires_at <= ?1 "
    "ORDER BY expires_at LIMIT ?2)",
    "SELECT revision FROM kv_meta WHERE id = 1",
    "UPDATE kv_meta SET revision = ?1 WHERE id = 1",
    // A batch of writes. IMMEDIATE takes the write lock at once, so the
    // batch cannot fail halfway for want of it, and the store revision it
    // reads next cannot be changed by another connection before COMMIT.
    "BEGIN IMMEDIATE",
    "BEGIN",
    "COMMIT",
    "ROLLBACK",
};
static_assert(kStatementSql[kStatementCount - 1] != nullptr,
              "one SQL text per StatementId");

}  // namespace

const char* StatementSql(StatementId id) { return kStatementSql[id]; }

absl::Status SqliteError(int rc, absl::string_view store,
                         absl::string_view path, absl::string_view failed,
                         absl::string_view detail) {
  std::string message = absl::StrCat("store \"", store, "\": ", failed,
                                     " SQLite database ", path, ": ", detail);
  switch (rc & 0xff) {  // The primary code of an extended result code.
    case SQLITE_CANTOPEN:
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return absl::UnavailableError(message);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return absl::DataLossError(message);
    default:
      return absl::InternalError(message);
  }
}

int BindBytes(sqlite3_stmt* stmt, int index, absl::string_view bytes) {
  if (bytes.empty()) return sqlite3_bind_zeroblob(stmt, index, 0);
  return sqlite3_bind_blob64(stmt, index, bytes.data(), bytes.size(),
                             SQLITE_STATIC);
}

absl::string_view ColumnBytes(sqlite3_stmt* stmt, int column) {
  const void* data = sqlite3_column_blob(stmt, column);
  int size = sqlite3_column_bytes(stmt, column);
  if (data == nullptr || size == 0) return absl::string_view();
  return absl::string_view(static_cast<const char*>(data), size);
}

absl::StatusOr<std::unique_ptr<Connection>> Connection::Open(
    const std::string& store, const std::string& path, int open_flags) {
  sqlite3* db = nullptr;
  // PRIVATECACHE: never share a page cache (and its table locks) with
  // another connection, whatever the process-wide default. EXRESCODE:
  // extended result codes, for sharper messages; SqliteError maps on the
  // primary code.
  int rc = sqlite3_open_v2(path.c_str(), &db,
                           open_flags | SQLITE_OPEN_NOMUTEX |
                               SQLITE_OPEN_PRIVATECACHE | SQLITE_OPEN_EXRESCODE,
                           /*zVfs=*/nullptr);
  if (rc != SQLITE_OK) {
    std::string detail =
        db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    int system_errno = db != nullptr ? sqlite3_system_errno(db) : 0;
    if (system_errno != 0) {
      absl::StrAppend(
          &detail, " (",
          std::error_code(system_errno, std::generic_category()).message(),
          ")");
    }
    sqlite3_close(db);  // Even a failed open allocates a handle.
    return SqliteError(rc, store, path, "cannot open", detail);
  }
  auto connection = absl::WrapUnique(new Connection(store, path, db));
  rc = sqlite3_busy_timeout(db, kBusyTimeoutMs);
  if (rc != SQLITE_OK) return connection->Error(rc, "cannot configure");
  return connection;
}

Connection::~Connection() {
  for (sqlite3_stmt*& stmt : statements_) {
    sqlite3_finalize(stmt);  // A no-op for nullptr.
    stmt = nullptr;
  }
  // sqlite3_close (not _v2) fails rather than deferring if anything is
  // still open, so a leak shows up here instead of as a WAL left behind.
  int rc = sqlite3_close(db_);
  if (rc != SQLITE_OK) {
    // A destructor cannot return a status, and store/ has no logger.
    std::fprintf(stderr,
                 "kvd: store \"%s\": cannot close SQLite database %s: %s\n",
                 store_.c_str(), path_.c_str(), sqlite3_errstr(rc));
  }
}

absl::StatusOr<sqlite3_stmt*> Connection::Statement(StatementId id,
                                                    absl::string_view failed) {
  sqlite3_stmt*& stmt = statements_[id];
  if (stmt == nullptr) {
    int rc = sqlite3_prepare_v3(db_, kStatementSql[id], -1,
                                SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) {
      absl::Status status = Error(rc, failed);
      sqlite3_finalize(stmt);
      stmt = nullptr;
      return status;
    }
  }
  return stmt;
}

absl::Status Connection::Run(StatementId id, absl::string_view failed) {
  KV_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, Statement(id, failed));
  ScopedReset reset(stmt);
  int rc = sqlite3_step(stmt);
  if (rc != SQLITE_DONE) return Error(rc, failed);
  return absl::OkStatus();
}

absl::Status Connection::CreateFunction(const char* name, int args, int flags,
                                        void* user_data,
                                        void (*function)(sqlite3_context*, int,
                                                         sqlite3_value**)) {
  int rc = sqlite3_create_function_v2(db_, name, args, flags, user_data,
                                      function, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return Error(rc, "cannot configure");
  return absl::OkStatus();
}

absl::Status Connection::Exec(const char* sql, absl::string_view failed) {
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return Error(rc, failed);
  return absl::OkStatus();
}

absl::StatusOr<std::string> Connection::QueryText(const char* sql,
                                                  absl::string_view failed) {
  KV_ASSIGN_OR_RETURN(OneShotStatement stmt, Prepare(sql, failed));
  int rc = sqlite3_step(stmt.get());
  if (rc != SQLITE_ROW) {
    return rc == SQLITE_DONE ? Error(SQLITE_INTERNAL, failed,
                                     absl::StrCat("no result from ", sql))
                             : Error(rc, failed);
  }
  const unsigned char* text = sqlite3_column_text(stmt.get(), 0);
  return text == nullptr ? std::string()
                         : std::string(reinterpret_cast<const char*>(text));
}

absl::StatusOr<int64_t> Connection::QueryInt(const char* sql,
                                             absl::string_view failed) {
  KV_ASSIGN_OR_RETURN(OneShotStatement stmt, Prepare(sql, failed));
  int rc = sqlite3_step(stmt.get());
  if (rc != SQLITE_ROW) {
    return rc == SQLITE_DONE ? Error(SQLITE_INTERNAL, failed,
                                     absl::StrCat("no result from ", sql))
                             : Error(rc, failed);
  }
  return sqlite3_column_int64(stmt.get(), 0);
}

absl::Status Connection::Error(int rc, absl::string_view failed) const {
  return SqliteError(rc, store_, path_, failed, sqlite3_errmsg(db_));
}

absl::Status Connection::Error(int rc, absl::string_view failed,
                               absl::string_view detail) const {
  return SqliteError(rc, store_, path_, failed, detail);
}

absl::StatusOr<OneShotStatement> Connection::Prepare(const char* sql,
                                                     absl::string_view failed) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql, -1, &stmt, nullptr);
  OneShotStatement owned(stmt);
  if (rc != SQLITE_OK) return Error(rc, failed);
  return owned;
}

}  // namespace kv::sqlite_internal
