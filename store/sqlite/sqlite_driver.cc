#include "store/sqlite/sqlite_driver.h"

#include <errno.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/memory/memory.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "store/driver.h"
#include "store/registry.h"
#include "store/sqlite/write_batcher.h"
#include "store/status_macros.h"

namespace kv {
namespace {

// How long a statement waits for a lock held by another process (another
// kvd, or the sqlite3 shell) before failing with SQLITE_BUSY -> Unavailable.
constexpr int kBusyTimeoutMs = 5000;

// Idle reader connections kept for reuse. More than this are closed when
// returned, so a burst of concurrent reads does not pin file descriptors
// and page caches forever.
constexpr size_t kMaxIdleReaders = 16;

// The statements a connection runs on the hot path, prepared once per
// connection and kept. Keys and values are always bound as blobs, so
// comparisons (and ORDER BY) are memcmp: byte order.
enum StatementId {
  kGet,
  kSet,
  kDelete,
  kExists,
  kListKeys,
  kBegin,
  kCommit,
  kRollback,
  kStatementCount
};

constexpr std::array<const char*, kStatementCount> kStatementSql = {
    "SELECT value FROM kv WHERE key = ?1",
    // Upsert. Outside a transaction it is committed (and, with
    // synchronous=FULL, synced) when sqlite3_step returns.
    "INSERT INTO kv(key, value) VALUES(?1, ?2) "
    "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    "DELETE FROM kv WHERE key = ?1",
    "SELECT 1 FROM kv WHERE key = ?1",
    "SELECT key FROM kv ORDER BY key",
    // A batch of writes. IMMEDIATE takes the write lock at once, so the
    // batch cannot fail halfway for want of it.
    "BEGIN IMMEDIATE",
    "COMMIT",
    "ROLLBACK",
};

// Maps a SQLite result code to the canonical code the Driver contract asks
// for, and builds the message every error of this driver uses:
//   store "NAME": FAILED SQLite database PATH: DETAIL
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
int BindBytes(sqlite3_stmt* stmt, int index, absl::string_view bytes) {
  if (bytes.empty()) return sqlite3_bind_zeroblob(stmt, index, 0);
  return sqlite3_bind_blob64(stmt, index, bytes.data(), bytes.size(),
                             SQLITE_STATIC);
}

// The blob in `column` of the current row. Valid until the next step or
// reset. A zero-length blob comes back as a null pointer, hence the check.
absl::string_view ColumnBytes(sqlite3_stmt* stmt, int column) {
  const void* data = sqlite3_column_blob(stmt, column);
  int size = sqlite3_column_bytes(stmt, column);
  if (data == nullptr || size == 0) return absl::string_view();
  return absl::string_view(static_cast<const char*>(data), size);
}

// One sqlite3 connection and its cached statements. Not thread-safe: the
// driver guarantees that one thread at a time uses a connection (the writer
// under a mutex, readers by lease from the pool). That is also why
// connections are opened with SQLITE_OPEN_NOMUTEX: SQLite's per-connection
// mutex would only repeat our locking on every call, while the library's
// global state stays protected in this multi-thread mode.
class Connection {
 public:
  // Opens `path` with `open_flags` (SQLITE_OPEN_READWRITE | CREATE, or
  // READONLY) and sets the busy timeout.
  static absl::StatusOr<std::unique_ptr<Connection>> Open(
      const std::string& store, const std::string& path, int open_flags) {
    sqlite3* db = nullptr;
    // PRIVATECACHE: never share a page cache (and its table locks) with
    // another connection, whatever the process-wide default. EXRESCODE:
    // extended result codes, for sharper messages; SqliteError maps on the
    // primary code.
    int rc =
        sqlite3_open_v2(path.c_str(), &db,
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

  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Finalizes the statements and closes the connection. The last connection
  // to a WAL database to close checkpoints the WAL into the database file
  // and removes it.
  ~Connection() {
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

  // Returns the cached statement `id`, preparing it on first use. The caller
  // resets it with a ScopedReset. `failed` describes the caller's operation
  // for the error message, e.g. "cannot read from".
  absl::StatusOr<sqlite3_stmt*> Statement(StatementId id,
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

  // Steps the cached statement `id`, which takes no parameters and returns
  // no rows (BEGIN, COMMIT, ROLLBACK).
  absl::Status Run(StatementId id, absl::string_view failed) {
    KV_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, Statement(id, failed));
    ScopedReset reset(stmt);
    int rc = sqlite3_step(stmt);
    if (rc != SQLITE_DONE) return Error(rc, failed);
    return absl::OkStatus();
  }

  // Whether a transaction is open (SQLite may roll one back by itself
  // after some errors, e.g. SQLITE_FULL).
  bool InTransaction() const { return sqlite3_get_autocommit(db_) == 0; }

  // Runs `sql`, which may hold several statements, ignoring any rows.
  absl::Status Exec(const char* sql, absl::string_view failed) {
    int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return Error(rc, failed);
    return absl::OkStatus();
  }

  // Runs `sql` and returns the first column of its first row as text.
  absl::StatusOr<std::string> QueryText(const char* sql,
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

  // Runs `sql` and returns the first column of its first row as an integer.
  absl::StatusOr<int64_t> QueryInt(const char* sql, absl::string_view failed) {
    KV_ASSIGN_OR_RETURN(OneShotStatement stmt, Prepare(sql, failed));
    int rc = sqlite3_step(stmt.get());
    if (rc != SQLITE_ROW) {
      return rc == SQLITE_DONE ? Error(SQLITE_INTERNAL, failed,
                                       absl::StrCat("no result from ", sql))
                               : Error(rc, failed);
    }
    return sqlite3_column_int64(stmt.get(), 0);
  }

  // The status for result code `rc` of the last call on this connection.
  absl::Status Error(int rc, absl::string_view failed) const {
    return SqliteError(rc, store_, path_, failed, sqlite3_errmsg(db_));
  }

  // The status for a failure SQLite did not report itself.
  absl::Status Error(int rc, absl::string_view failed,
                     absl::string_view detail) const {
    return SqliteError(rc, store_, path_, failed, detail);
  }

  const std::string& store() const { return store_; }
  const std::string& path() const { return path_; }

 private:
  Connection(std::string store, std::string path, sqlite3* db)
      : store_(std::move(store)), path_(std::move(path)), db_(db) {}

  absl::StatusOr<OneShotStatement> Prepare(const char* sql,
                                           absl::string_view failed) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v2(db_, sql, -1, &stmt, nullptr);
    OneShotStatement owned(stmt);
    if (rc != SQLITE_OK) return Error(rc, failed);
    return owned;
  }

  const std::string store_;
  const std::string path_;
  sqlite3* const db_;
  std::array<sqlite3_stmt*, kStatementCount> statements_{};
};

// Brings the schema of a freshly opened database to kSqliteSchemaVersion,
// or refuses a database this driver does not understand. Runs in one
// IMMEDIATE transaction, so two processes opening a new file at once cannot
// both create the table.
absl::Status MigrateSchemaInTransaction(Connection& writer) {
  constexpr absl::string_view kFailed = "cannot set up the schema of";
  KV_ASSIGN_OR_RETURN(int64_t version,
                      writer.QueryInt("PRAGMA user_version", kFailed));
  if (version == kSqliteSchemaVersion) return absl::OkStatus();
  if (version < 0 || version > kSqliteSchemaVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        "store \"", writer.store(), "\": SQLite database ", writer.path(),
        " has schema version ", version, " but this kvd supports only up to ",
        kSqliteSchemaVersion, "; open it with the newer kvd that wrote it"));
  }
  // Version 0: SQLite's value for a new database. Only an empty one is
  // ours to initialize; refusing anything else keeps kvd from writing into
  // an unrelated database given by mistake.
  KV_ASSIGN_OR_RETURN(
      int64_t objects,
      writer.QueryInt("SELECT count(*) FROM sqlite_schema", kFailed));
  if (objects != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "store \"", writer.store(), "\": SQLite database ", writer.path(),
        " is not a kvd database: it has tables but no kvd schema version"));
  }
  // Later versions add steps here: `if (version < 2) { ...; }`.
  KV_RETURN_IF_ERROR(
      writer.Exec("CREATE TABLE kv(key BLOB PRIMARY KEY, value BLOB NOT NULL) "
                  "WITHOUT ROWID;"
                  "PRAGMA user_version = 1;",
                  kFailed));
  static_assert(kSqliteSchemaVersion == 1, "update the PRAGMA above");
  return absl::OkStatus();
}

absl::Status MigrateSchema(Connection& writer) {
  constexpr absl::string_view kFailed = "cannot set up the schema of";
  KV_RETURN_IF_ERROR(writer.Exec("BEGIN IMMEDIATE", kFailed));
  absl::Status status = MigrateSchemaInTransaction(writer);
  if (!status.ok()) {
    writer.Exec("ROLLBACK", kFailed).IgnoreError();  // Reporting `status`.
    return status;
  }
  return writer.Exec("COMMIT", kFailed);
}

// Creates the missing directories above `path`, each with mode 0700 (the
// data is the user's; the umask may narrow it further). Existing directories
// are left as they are.
absl::Status CreateParentDirectories(const std::string& store,
                                     const std::string& path) {
  std::string parent = std::filesystem::path(path).parent_path().string();
  for (size_t slash = parent.find('/', 1);;
       slash = parent.find('/', slash + 1)) {
    std::string dir = parent.substr(0, slash);
    if (!dir.empty() && mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
      return absl::UnavailableError(absl::StrCat(
          "store \"", store, "\": cannot create directory ", dir,
          " for SQLite database ", path, ": ",
          std::error_code(errno, std::generic_category()).message()));
    }
    if (slash == std::string::npos) return absl::OkStatus();
  }
}

// One writer connection, fed by a WriteBatcher (group commit), and a pool of
// read-only connections. WAL mode lets readers run concurrently with each
// other and with the writer, each on a snapshot taken at the start of its
// statement; since every statement is reset after use, a read sees every
// write that returned before it began (read-your-writes).
class SqliteDriver : public Driver {
 public:
  static absl::StatusOr<std::unique_ptr<SqliteDriver>> Open(
      const SqliteOptions& options);

  // Lets queued writes finish, then closes readers first so the writer is
  // the last connection: only a read-write connection can checkpoint the
  // WAL on close.
  ~SqliteDriver() override {
    batcher_.Close();
    {
      absl::MutexLock lock(&pool_mutex_);
      idle_readers_.clear();
    }
    writer_.reset();
  }

  absl::StatusOr<std::string> Get(absl::string_view key) override {
    constexpr absl::string_view kFailed = "cannot read from";
    KV_ASSIGN_OR_RETURN(ReaderLease reader, AcquireReader());
    KV_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, reader->Statement(kGet, kFailed));
    ScopedReset reset(stmt);
    int rc = BindBytes(stmt, 1, key);
    if (rc != SQLITE_OK) return reader->Error(rc, kFailed);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) {
      return absl::NotFoundError(
          absl::StrCat("store \"", options_.store_name, "\": key not found"));
    }
    if (rc != SQLITE_ROW) return reader->Error(rc, kFailed);
    return std::string(ColumnBytes(stmt, 0));
  }

  absl::Status Set(absl::string_view key, absl::string_view value) override {
    return batcher_.Set(key, value);
  }

  absl::Status Delete(absl::string_view key) override {
    return batcher_.Delete(key);
  }

  void SetAsync(absl::string_view key, absl::string_view value,
                WriteDone done) override {
    batcher_.SetAsync(key, value, std::move(done));
  }

  void DeleteAsync(absl::string_view key, WriteDone done) override {
    batcher_.DeleteAsync(key, std::move(done));
  }

  absl::StatusOr<bool> Exists(absl::string_view key) override {
    constexpr absl::string_view kFailed = "cannot read from";
    KV_ASSIGN_OR_RETURN(ReaderLease reader, AcquireReader());
    KV_ASSIGN_OR_RETURN(sqlite3_stmt * stmt,
                        reader->Statement(kExists, kFailed));
    ScopedReset reset(stmt);
    int rc = BindBytes(stmt, 1, key);
    if (rc != SQLITE_OK) return reader->Error(rc, kFailed);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return reader->Error(rc, kFailed);
  }

  // Steps the query row by row, so memory use does not grow with the store.
  // The reader holds one snapshot for the whole listing; `visit` may call
  // back into the driver, which then uses other connections.
  absl::Status ListKeys(
      absl::FunctionRef<bool(absl::string_view key)> visit) override {
    constexpr absl::string_view kFailed = "cannot list keys of";
    KV_ASSIGN_OR_RETURN(ReaderLease reader, AcquireReader());
    KV_ASSIGN_OR_RETURN(sqlite3_stmt * stmt,
                        reader->Statement(kListKeys, kFailed));
    ScopedReset reset(stmt);
    while (true) {
      int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) return absl::OkStatus();
      if (rc != SQLITE_ROW) return reader->Error(rc, kFailed);
      if (!visit(ColumnBytes(stmt, 0))) return absl::OkStatus();
    }
  }

  std::string Location() const override { return options_.path; }

  WriteBatcher::Stats write_stats() const { return batcher_.stats(); }

  // The database file plus its write-ahead log, which holds recent writes
  // until a checkpoint moves them into the file.
  absl::optional<uint64_t> SizeBytes() const override {
    uint64_t bytes = 0;
    for (const std::string& file : {options_.path, options_.path + "-wal"}) {
      struct stat info;
      if (stat(file.c_str(), &info) == 0) bytes += info.st_size;
    }
    return bytes;
  }

 private:
  // A reader connection borrowed from the pool; returned when destroyed.
  class ReaderLease {
   public:
    ReaderLease(SqliteDriver* driver, std::unique_ptr<Connection> connection)
        : driver_(driver), connection_(std::move(connection)) {}
    ReaderLease(ReaderLease&& other) = default;
    ReaderLease& operator=(ReaderLease&&) = delete;
    ~ReaderLease() {
      if (connection_ != nullptr) driver_->ReturnReader(std::move(connection_));
    }
    Connection* operator->() const { return connection_.get(); }

   private:
    SqliteDriver* driver_;
    std::unique_ptr<Connection> connection_;
  };

  SqliteDriver(SqliteOptions options, std::unique_ptr<Connection> writer)
      : options_(std::move(options)),
        writer_(std::move(writer)),
        batcher_(options_.store_name, [this](absl::Span<WriteOp* const> batch) {
          ApplyBatch(batch);
        }) {}

  // The WriteBatcher's Applier: commits `batch` in one transaction and
  // gives each op its status. A lone op runs in autocommit, as cheap as
  // before group commit. If an op fails inside the transaction, the
  // transaction is rolled back and every op of the batch is applied on its
  // own, so each gets its own outcome; if BEGIN or COMMIT fails, every op
  // fails with that error (none is acknowledged).
  void ApplyBatch(absl::Span<WriteOp* const> batch) {
    if (options_.before_batch_for_testing) {
      options_.before_batch_for_testing(batch.size());
    }
    // A transaction still open here (a ROLLBACK that failed) would take in
    // this batch's writes without committing them: end it, or refuse.
    RollBack();
    if (writer_->InTransaction()) {
      const absl::Status stuck = writer_->Error(
          SQLITE_ERROR, "cannot write to",
          "an earlier failed transaction could not be rolled back");
      for (WriteOp* op : batch) op->status = stuck;
      return;
    }
    if (batch.size() == 1) {
      batch[0]->status = ApplyOp(*batch[0]);
      return;
    }
    absl::Status status = writer_->Run(kBegin, "cannot write to");
    if (status.ok()) {
      for (WriteOp* op : batch) {
        if (!ApplyOp(*op).ok()) {
          RollBack();
          for (WriteOp* alone : batch) alone->status = ApplyOp(*alone);
          return;
        }
      }
      status = writer_->Run(kCommit, "cannot commit to");
      if (!status.ok()) RollBack();
    }
    for (WriteOp* op : batch) op->status = status;
  }

  // Rolls back the open transaction, if there is one (SQLite ends it by
  // itself after some errors). A failed ROLLBACK is not reported: the caller
  // reports the error that led here, and the next batch tries again first.
  void RollBack() {
    if (!writer_->InTransaction()) return;
    writer_->Run(kRollback, "cannot roll back").IgnoreError();
  }

  // Runs one upsert or delete on the writer.
  absl::Status ApplyOp(const WriteOp& op) {
    const absl::string_view failed =
        op.is_delete ? "cannot delete from" : "cannot write to";
    KV_ASSIGN_OR_RETURN(
        sqlite3_stmt * stmt,
        writer_->Statement(op.is_delete ? kDelete : kSet, failed));
    ScopedReset reset(stmt);
    int rc = BindBytes(stmt, 1, op.key);
    if (rc == SQLITE_OK && !op.is_delete) rc = BindBytes(stmt, 2, op.value);
    if (rc != SQLITE_OK) return writer_->Error(rc, failed);
    rc = sqlite3_step(stmt);
    if (rc != SQLITE_DONE) return writer_->Error(rc, failed);
    return absl::OkStatus();
  }

  // Takes an idle reader, or opens a new one so that no read ever waits for
  // another.
  absl::StatusOr<ReaderLease> AcquireReader() {
    {
      absl::MutexLock lock(&pool_mutex_);
      if (!idle_readers_.empty()) {
        std::unique_ptr<Connection> reader = std::move(idle_readers_.back());
        idle_readers_.pop_back();
        return ReaderLease(this, std::move(reader));
      }
    }
    // Opened without the lock: opening touches the file system.
    KV_ASSIGN_OR_RETURN(std::unique_ptr<Connection> reader,
                        Connection::Open(options_.store_name, options_.path,
                                         SQLITE_OPEN_READONLY));
    return ReaderLease(this, std::move(reader));
  }

  void ReturnReader(std::unique_ptr<Connection> reader) {
    {
      absl::MutexLock lock(&pool_mutex_);
      if (idle_readers_.size() < kMaxIdleReaders) {
        idle_readers_.push_back(std::move(reader));
        return;
      }
    }
    // The pool is full: `reader` is closed here, outside the lock.
  }

  const SqliteOptions options_;

  // Set and Delete run here, only inside ApplyBatch, which the batcher
  // calls on one thread at a time (and orders those calls with its mutex).
  // SQLite allows one writer per database anyway.
  std::unique_ptr<Connection> writer_;
  WriteBatcher batcher_;

  absl::Mutex pool_mutex_;
  std::vector<std::unique_ptr<Connection>> idle_readers_
      ABSL_GUARDED_BY(pool_mutex_);
};

absl::StatusOr<std::unique_ptr<SqliteDriver>> SqliteDriver::Open(
    const SqliteOptions& options) {
  if (sqlite3_threadsafe() == 0) {
    // Connections are used from many threads (one at a time); a library
    // built with SQLITE_THREADSAFE=0 cannot do that safely.
    return absl::InternalError(absl::StrCat(
        "store \"", options.store_name, "\": cannot open SQLite database ",
        options.path, ": libsqlite3 was built without thread support"));
  }
  KV_RETURN_IF_ERROR(CreateParentDirectories(options.store_name, options.path));
  KV_ASSIGN_OR_RETURN(
      std::unique_ptr<Connection> writer,
      Connection::Open(options.store_name, options.path,
                       SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE));

  // WAL is a property of the file, so this also covers the readers. It
  // silently stays in another mode where WAL cannot work (e.g. some network
  // file systems), hence the check of the mode it reports.
  KV_ASSIGN_OR_RETURN(std::string mode,
                      writer->QueryText("PRAGMA journal_mode=WAL",
                                        "cannot enable WAL mode on"));
  if (mode != "wal") {
    return writer->Error(SQLITE_ERROR, "cannot enable WAL mode on",
                         absl::StrCat("journal_mode stayed \"", mode, "\""));
  }
  // Per connection, and only the writer commits.
  KV_RETURN_IF_ERROR(writer->Exec(options.durability == SqliteDurability::kFsync
                                      ? "PRAGMA synchronous=FULL"
                                      : "PRAGMA synchronous=NORMAL",
                                  "cannot configure"));
  KV_RETURN_IF_ERROR(MigrateSchema(*writer));

  auto driver = absl::WrapUnique(new SqliteDriver(options, std::move(writer)));
  // Open one reader now, so a database readers cannot use fails here rather
  // than on the first Get.
  KV_ASSIGN_OR_RETURN(ReaderLease reader, driver->AcquireReader());
  return driver;
}

bool IsPlainFileName(absl::string_view name) {
  return !name.empty() && name != "." && name != ".." &&
         name.find('/') == absl::string_view::npos &&
         name.find('\0') == absl::string_view::npos;
}

DriverType SqliteDriverType() {
  DriverType type;
  type.description =
      "SQLite database file (the default): path = FILE, durability = "
      "\"fsync\" | \"os\"";
  type.fields = {"path", "durability"};
  // Writes queue for the group-commit thread (write_batcher.h).
  type.nonblocking_writes = true;
  // WAL readers never wait on the writer, and a point read is a few
  // microseconds from the page cache.
  type.fast_reads = true;
  type.open =
      [](const StoreSpec& spec) -> absl::StatusOr<std::unique_ptr<Driver>> {
    KV_ASSIGN_OR_RETURN(SqliteOptions options, SqliteOptionsFromSpec(spec));
    return OpenSqliteDriver(options);
  };
  return type;
}

const bool kRegistered = RegisterDriverType("sqlite", SqliteDriverType());

}  // namespace

absl::StatusOr<SqliteOptions> SqliteOptionsFromSpec(const StoreSpec& spec) {
  SqliteOptions options;
  options.store_name = spec.name;

  std::filesystem::path path;
  auto path_field = spec.options.find("path");
  if (path_field != spec.options.end()) {
    if (path_field->second.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "store \"", spec.name,
          "\": field path is empty; give a file name, or leave the field out "
          "for <data dir>/",
          spec.name, ".db"));
    }
    path = path_field->second;
    if (path.is_relative() && !spec.base_dir.empty()) {
      path = std::filesystem::path(spec.base_dir) / path;
    }
  } else {
    // The name becomes a file name: it must not climb out of data_dir.
    if (!IsPlainFileName(spec.name)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "store \"", spec.name,
          "\": the name cannot be used as a file name; set field path"));
    }
    path = std::filesystem::path(spec.data_dir.empty() ? "." : spec.data_dir) /
           (spec.name + ".db");
  }
  // Absolute, so that Location() is unambiguous and no path can be taken
  // for SQLite's special names (":memory:", "file:...").
  std::error_code error;
  std::filesystem::path absolute = std::filesystem::absolute(path, error);
  if (error) {
    return absl::InvalidArgumentError(
        absl::StrCat("store \"", spec.name, "\": cannot resolve path ",
                     path.string(), ": ", error.message()));
  }
  options.path = absolute.string();

  auto durability = spec.options.find("durability");
  if (durability == spec.options.end() || durability->second == "fsync") {
    options.durability = SqliteDurability::kFsync;
  } else if (durability->second == "os") {
    options.durability = SqliteDurability::kOs;
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "store \"", spec.name, "\": field durability is \"", durability->second,
        "\"; allowed values: \"fsync\", \"os\""));
  }
  return options;
}

absl::StatusOr<std::unique_ptr<Driver>> OpenSqliteDriver(
    const SqliteOptions& options) {
  KV_ASSIGN_OR_RETURN(std::unique_ptr<SqliteDriver> driver,
                      SqliteDriver::Open(options));
  return driver;
}

std::optional<WriteBatcher::Stats> SqliteWriteStats(const Driver& driver) {
  const auto* sqlite = dynamic_cast<const SqliteDriver*>(&driver);
  if (sqlite == nullptr) return std::nullopt;
  return sqlite->write_stats();
}

}  // namespace kv
