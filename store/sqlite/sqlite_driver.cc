#include "store/sqlite/sqlite_driver.h"

#include <errno.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/inlined_vector.h"
#include "absl/memory/memory.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"
#include "absl/types/span.h"
#include "store/clock.h"
#include "store/counter_value.h"
#include "store/driver.h"
#include "store/expiry.h"
#include "store/key_range.h"
#include "store/registry.h"
#include "store/sqlite/sqlite_connection.h"
#include "store/sqlite/sqlite_increment.h"
#include "store/sqlite/sqlite_schema.h"
#include "store/sqlite/write_batcher.h"
#include "store/status_macros.h"
#include "store/write_errors.h"

namespace kv {
namespace {

using sqlite_internal::BindBytes;
using sqlite_internal::ColumnBytes;
using sqlite_internal::Connection;
using sqlite_internal::ScopedReset;

// Idle reader connections kept for reuse. More than this are closed when
// returned, so a burst of concurrent reads does not pin file descriptors
// and page caches forever.
constexpr size_t kMaxIdleReaders = 16;

// The longest canonical counter text, "-9223372036854775808".
constexpr size_t kLongestCounterText = 20;

constexpr absl::string_view kFailedRead = "cannot read from";
constexpr absl::string_view kFailedWrite = "cannot write to";
constexpr absl::string_view kFailedDelete = "cannot delete from";
constexpr absl::string_view kFailedCommit = "cannot commit to";
constexpr absl::string_view kFailedList = "cannot list keys of";
constexpr absl::string_view kFailedReclaim = "cannot reclaim expired keys of";

// SQLite's integers are signed 64-bit; a larger limit means "no limit".
int64_t SqlLimit(size_t limit) {
  return limit >= static_cast<size_t>(INT64_MAX) ? INT64_MAX
                                                 : static_cast<int64_t>(limit);
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
// statement (or, for GetMany, of its read transaction); since every
// statement is reset after use, a read sees every write that returned
// before it began (read-your-writes).
//
// Revisions: the store revision lives in kv_meta (sqlite_schema.h). Each
// write transaction reads it after BEGIN IMMEDIATE, which holds the
// database's one write lock, gives the next revisions to its mutations in
// queue order, and stores the last one before COMMIT. So the revision moves
// with the rows it was given to, and another driver (another kvd process)
// over the same file, which must take the same lock, always continues from
// it: no revision is given twice. There is no in-memory copy to go stale.
//
// Expiry: every statement is given the clock's time (NowMillis) and treats
// rows expired by then as absent (sqlite_connection.h), reads on a reader
// as of the call, writes on the writer as of the moment the committer
// applies them. Expired rows are deleted only by ReclaimExpired, which runs
// on the writer through the batcher like a write.
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

  absl::StatusOr<Versioned> Get(absl::string_view key) override {
    const int64_t now = NowMillis();
    KV_ASSIGN_OR_RETURN(ReaderLease reader, AcquireReader());
    KV_ASSIGN_OR_RETURN(absl::optional<Versioned> found,
                        Read(*reader, key, now));
    if (!found.has_value()) {
      return absl::NotFoundError(
          absl::StrCat("store \"", options_.store_name, "\": key not found"));
    }
    return *std::move(found);
  }

  // One read transaction on one reader: every key is read from the
  // snapshot its first read takes, and judged expired or not at one time.
  absl::StatusOr<std::vector<absl::optional<Versioned>>> GetMany(
      absl::Span<const absl::string_view> keys) override {
    std::vector<absl::optional<Versioned>> found;
    found.reserve(keys.size());
    if (keys.empty()) return found;
    const int64_t now = NowMillis();
    KV_ASSIGN_OR_RETURN(ReaderLease reader, AcquireReader());
    KV_RETURN_IF_ERROR(reader->Run(sqlite_internal::kBeginRead, kFailedRead));
    absl::Status status;
    for (absl::string_view key : keys) {
      absl::StatusOr<absl::optional<Versioned>> one = Read(*reader, key, now);
      if (!one.ok()) {
        status = one.status();
        break;
      }
      found.push_back(*std::move(one));
    }
    // Ended on every path: a reader back in the pool inside a transaction
    // would pin an old snapshot (and keep the WAL from being checkpointed).
    if (status.ok()) {
      status = reader->Run(sqlite_internal::kCommit, kFailedRead);
    }
    if (reader->InTransaction()) {
      reader->Run(sqlite_internal::kRollback, kFailedRead).IgnoreError();
    }
    if (!status.ok()) return status;
    return found;
  }

  absl::StatusOr<MutationResults> Write(
      absl::Span<const Mutation> mutations) override {
    return batcher_.Write(mutations);
  }

  void WriteAsync(absl::Span<const Mutation> mutations,
                  WriteDone done) override {
    batcher_.WriteAsync(mutations, std::move(done));
  }

  absl::StatusOr<bool> Exists(absl::string_view key) override {
    const int64_t now = NowMillis();
    KV_ASSIGN_OR_RETURN(ReaderLease reader, AcquireReader());
    KV_ASSIGN_OR_RETURN(
        sqlite3_stmt * stmt,
        reader->Statement(sqlite_internal::kExists, kFailedRead));
    ScopedReset reset(stmt);
    int rc = BindBytes(stmt, 1, key);
    if (rc == SQLITE_OK) rc = sqlite3_bind_int64(stmt, 2, now);
    if (rc != SQLITE_OK) return reader->Error(rc, kFailedRead);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return reader->Error(rc, kFailedRead);
  }

  // Read from the database, not from memory: another driver over the same
  // file may have written since.
  absl::StatusOr<uint64_t> CurrentRevision() override {
    KV_ASSIGN_OR_RETURN(ReaderLease reader, AcquireReader());
    return ReadStoreRevision(*reader, kFailedRead);
  }

  // One statement on a reader: a range scan of the primary key from the
  // first key the page may hold, stopping at the prefix's end and after
  // limit + 1 live keys (the last only tells whether more follow). Keys are
  // bound as blobs, so the range is byte order and no byte of the prefix
  // means anything to SQL.
  absl::StatusOr<KeyPage> ListKeyPage(const KeyPageRequest& request) override {
    if (request.limit == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("store \"", options_.store_name,
                       "\": a page of keys needs a limit "
                       "of at least 1"));
    }
    // key > after is key >= after + "\0", the next byte string after it;
    // keys before the prefix are no match either. So the page starts at the
    // greater of the two: one lower bound for the planner to range on.
    std::string from(request.prefix);
    if (!request.after.empty() && request.after >= request.prefix) {
      from.assign(request.after.data(), request.after.size());
      from.push_back('\0');
    }
    const absl::optional<std::string> end = PrefixEnd(request.prefix);
    const int64_t now = NowMillis();
    KV_ASSIGN_OR_RETURN(ReaderLease reader, AcquireReader());
    KV_ASSIGN_OR_RETURN(
        sqlite3_stmt * stmt,
        reader->Statement(end.has_value() ? sqlite_internal::kListKeyRange
                                          : sqlite_internal::kListKeysFrom,
                          kFailedList));
    ScopedReset reset(stmt);
    int rc = BindBytes(stmt, 1, from);
    if (rc == SQLITE_OK && end.has_value()) rc = BindBytes(stmt, 2, *end);
    if (rc == SQLITE_OK) rc = sqlite3_bind_int64(stmt, 3, now);
    if (rc == SQLITE_OK) {
      rc = sqlite3_bind_int64(stmt, 4, SqlLimit(request.limit + 1));
    }
    if (rc != SQLITE_OK) return reader->Error(rc, kFailedList);
    KeyPage page;
    while (true) {
      rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) return page;
      if (rc != SQLITE_ROW) return reader->Error(rc, kFailedList);
      if (page.keys.size() == request.limit) {
        page.more = true;
        return page;
      }
      page.keys.emplace_back(ColumnBytes(stmt, 0));
    }
  }

  // One statement in a write transaction of the batcher's, so it takes its
  // turn with the writes (and may share their commit): the partial index
  // yields the `max_keys` soonest expired rows, which are deleted by key.
  // No revision moves: the rows were already absent.
  absl::StatusOr<size_t> ReclaimExpired(size_t max_keys) override {
    if (max_keys == 0) return 0;
    size_t reclaimed = 0;
    KV_RETURN_IF_ERROR(batcher_.RunTask([this, max_keys, &reclaimed] {
      KV_ASSIGN_OR_RETURN(
          sqlite3_stmt * stmt,
          writer_->Statement(sqlite_internal::kReclaimExpired, kFailedReclaim));
      ScopedReset reset(stmt);
      int rc = sqlite3_bind_int64(stmt, 1, NowMillis());
      if (rc == SQLITE_OK) rc = sqlite3_bind_int64(stmt, 2, SqlLimit(max_keys));
      if (rc == SQLITE_OK) rc = sqlite3_step(stmt);
      if (rc != SQLITE_DONE) return writer_->Error(rc, kFailedReclaim);
      reclaimed = static_cast<size_t>(writer_->Changes());
      return absl::OkStatus();
    }));
    return reclaimed;
  }

  // synchronous=FULL syncs the WAL at each commit; NORMAL leaves a commit
  // in the OS's cache until a checkpoint.
  Durability durability() const override {
    return options_.durability == SqliteDurability::kFsync
               ? Durability::kDisk
               : Durability::kProcess;
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
    Connection& operator*() const { return *connection_; }

   private:
    SqliteDriver* driver_;
    std::unique_ptr<Connection> connection_;
  };

  // What a write finds under a key before changing it.
  struct Current {
    bool found = false;
    uint64_t revision = 0;  // 0 if absent.
    // With `with_value` only, for an increment, so at most
    // kLongestCounterText + 1 bytes: a longer value is no counter whatever
    // it holds, and its truncated copy, still too long, says so too without
    // copying a large value.
    std::string value;
  };

  SqliteDriver(SqliteOptions options, std::unique_ptr<Connection> writer)
      : options_(std::move(options)),
        writer_(std::move(writer)),
        batcher_(
            options_.store_name,
            [this](absl::Span<WriteItem* const> batch) { ApplyBatch(batch); }) {
  }

  // The clock's time, as expires_at counts it.
  int64_t NowMillis() const {
    return absl::ToUnixMillis(options_.clock->Now());
  }

  // expire_time for the expires_at in `column` (NULL: never).
  static absl::Time ExpireTimeIn(sqlite3_stmt* stmt, int column) {
    if (sqlite3_column_type(stmt, column) == SQLITE_NULL) {
      return absl::InfiniteFuture();
    }
    return ExpireTimeOf(sqlite3_column_int64(stmt, column));
  }

  // `key`'s value, revision and expiry on `connection`, or nullopt if
  // absent or expired at `now`.
  static absl::StatusOr<absl::optional<Versioned>> Read(Connection& connection,
                                                        absl::string_view key,
                                                        int64_t now) {
    KV_ASSIGN_OR_RETURN(
        sqlite3_stmt * stmt,
        connection.Statement(sqlite_internal::kGet, kFailedRead));
    ScopedReset reset(stmt);
    int rc = BindBytes(stmt, 1, key);
    if (rc == SQLITE_OK) rc = sqlite3_bind_int64(stmt, 2, now);
    if (rc != SQLITE_OK) return connection.Error(rc, kFailedRead);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) return absl::optional<Versioned>();
    if (rc != SQLITE_ROW) return connection.Error(rc, kFailedRead);
    Versioned versioned;
    versioned.value = std::string(ColumnBytes(stmt, 0));
    versioned.revision = static_cast<uint64_t>(sqlite3_column_int64(stmt, 1));
    versioned.expire_time = ExpireTimeIn(stmt, 2);
    return absl::optional<Versioned>(std::move(versioned));
  }

  static absl::StatusOr<uint64_t> ReadStoreRevision(Connection& connection,
                                                    absl::string_view failed) {
    KV_ASSIGN_OR_RETURN(
        sqlite3_stmt * stmt,
        connection.Statement(sqlite_internal::kStoreRevision, failed));
    ScopedReset reset(stmt);
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) {
      return connection.Error(SQLITE_CORRUPT, failed,
                              "the store revision (table kv_meta) is missing");
    }
    if (rc != SQLITE_ROW) return connection.Error(rc, failed);
    return static_cast<uint64_t>(sqlite3_column_int64(stmt, 0));
  }

  // The WriteBatcher's Applier: commits `batch` in one transaction and
  // gives each item its outcome. Each item is checked before any of it is
  // written (ApplyItem), so an item refused by a condition or an increment
  // writes nothing and the others go on in the same transaction. If a
  // statement fails inside the transaction (a backend error, after which
  // the transaction's state is unknown), the transaction is rolled back and
  // every item of the batch is applied in a transaction of its own, so each
  // gets its own outcome; if BEGIN or COMMIT fails, every item fails with
  // that error (none is acknowledged).
  void ApplyBatch(absl::Span<WriteItem* const> batch) {
    if (options_.before_batch_for_testing) {
      options_.before_batch_for_testing(batch.size());
    }
    // A transaction still open here (a ROLLBACK that failed) would take in
    // this batch's writes without committing them: end it, or refuse.
    RollBack();
    if (writer_->InTransaction()) {
      const absl::Status stuck = writer_->Error(
          SQLITE_ERROR, kFailedWrite,
          "an earlier failed transaction could not be rolled back");
      for (WriteItem* item : batch) item->outcome = stuck;
      return;
    }
    if (batch.size() == 1) {
      ApplyAlone(*batch[0]);
      return;
    }
    absl::StatusOr<uint64_t> base = BeginWrite();
    if (!base.ok()) {
      RollBack();
      for (WriteItem* item : batch) item->outcome = base.status();
      return;
    }
    uint64_t revision = *base;
    for (WriteItem* item : batch) {
      if (!ApplyItem(*item, revision).ok()) {
        RollBack();
        for (WriteItem* alone : batch) ApplyAlone(*alone);
        return;
      }
    }
    absl::Status status = CommitWrite(*base, revision);
    if (!status.ok()) {
      RollBack();
      for (WriteItem* item : batch) item->outcome = status;
    }
  }

  // Applies `item` in a transaction of its own.
  void ApplyAlone(WriteItem& item) {
    absl::StatusOr<uint64_t> base = BeginWrite();
    absl::Status status = base.status();
    uint64_t revision = base.value_or(0);
    if (status.ok()) status = ApplyItem(item, revision);
    if (status.ok()) status = CommitWrite(*base, revision);
    if (!status.ok()) {
      RollBack();
      item.outcome = status;
    }
  }

  // Opens the write transaction and returns the store revision in it.
  absl::StatusOr<uint64_t> BeginWrite() {
    KV_RETURN_IF_ERROR(
        writer_->Run(sqlite_internal::kBeginWrite, kFailedWrite));
    return ReadStoreRevision(*writer_, kFailedWrite);
  }

  // Stores the store revision if the transaction moved it from `base`, and
  // commits.
  absl::Status CommitWrite(uint64_t base, uint64_t revision) {
    if (revision != base) {
      KV_ASSIGN_OR_RETURN(
          sqlite3_stmt * stmt,
          writer_->Statement(sqlite_internal::kSetStoreRevision, kFailedWrite));
      ScopedReset reset(stmt);
      int rc = sqlite3_bind_int64(stmt, 1, static_cast<int64_t>(revision));
      if (rc == SQLITE_OK) rc = sqlite3_step(stmt);
      if (rc != SQLITE_DONE) return writer_->Error(rc, kFailedWrite);
    }
    return writer_->Run(sqlite_internal::kCommit, kFailedCommit);
  }

  // Rolls back the open transaction, if there is one (SQLite ends it by
  // itself after some errors). A failed ROLLBACK is not reported: the caller
  // reports the error that led here, and the next batch tries again first.
  void RollBack() {
    if (!writer_->InTransaction()) return;
    writer_->Run(sqlite_internal::kRollback, "cannot roll back").IgnoreError();
  }

  // Applies one item inside the open write transaction, giving its
  // mutations the revisions after `revision` (which it advances) in order.
  // First every mutation is checked against the store as it is (conditions,
  // increments), and only if all pass is anything written; a refusal
  // becomes the item's outcome, with nothing written and OK returned. A
  // non-OK return is a backend failure, after which the item may be partly
  // applied: the caller must roll the transaction back. Expiry is judged at
  // the clock's time when the item is applied. A task item (ReclaimExpired)
  // just runs its task.
  absl::Status ApplyItem(WriteItem& item, uint64_t& revision) {
    if (item.task) {
      KV_RETURN_IF_ERROR(item.task());
      item.outcome = MutationResults();
      return absl::OkStatus();
    }
    const absl::Span<const Mutation> mutations = item.mutations;
    const int64_t now = NowMillis();
    if (mutations.size() == 1 &&
        mutations[0].kind == Mutation::Kind::kIncrement &&
        !mutations[0].if_revision.has_value()) {
      return ApplyLoneIncrement(item, revision, now);
    }
    MutationResults results(mutations.size());
    // Which increments found their key (then stored with an UPDATE).
    absl::InlinedVector<bool, 1> counter_found(mutations.size());
    for (size_t i = 0; i < mutations.size(); ++i) {
      const Mutation& mutation = mutations[i];
      const bool increment = mutation.kind == Mutation::Kind::kIncrement;
      if (!increment && !mutation.if_revision.has_value()) continue;
      Current current;
      KV_RETURN_IF_ERROR(Lookup(mutation.key, increment, now, current));
      if (mutation.if_revision.has_value() &&
          *mutation.if_revision != current.revision) {
        item.outcome = ConditionFailedError(
            i, mutation.key, *mutation.if_revision, current.revision);
        return absl::OkStatus();
      }
      if (increment) {
        absl::StatusOr<int64_t> sum =
            IncrementedCounter(current.found ? &current.value : nullptr,
                               mutation.delta, i, mutation.key);
        if (!sum.ok()) {
          item.outcome = sum.status();
          return absl::OkStatus();
        }
        results[i].value = *sum;
        counter_found[i] = current.found;
      }
    }
    for (size_t i = 0; i < mutations.size(); ++i) {
      const Mutation& mutation = mutations[i];
      switch (mutation.kind) {
        case Mutation::Kind::kSet:
          // Replaces an expired row like any other; no ttl stores NULL.
          KV_RETURN_IF_ERROR(
              Upsert(mutation.key, ++revision, mutation.value,
                     ExpiryMillis(absl::FromUnixMillis(now), mutation.ttl)));
          results[i].revision = revision;
          break;
        case Mutation::Kind::kIncrement:
          // A live counter is updated and keeps its expiry; an absent or
          // expired one is written afresh, with none.
          if (counter_found[i]) {
            KV_RETURN_IF_ERROR(Update(mutation.key, ++revision,
                                      FormatCounter(results[i].value)));
          } else {
            KV_RETURN_IF_ERROR(Upsert(mutation.key, ++revision,
                                      FormatCounter(results[i].value),
                                      /*expires_at=*/-1));
          }
          results[i].revision = revision;
          break;
        case Mutation::Kind::kDelete: {
          KV_ASSIGN_OR_RETURN(bool deleted, DeleteKey(mutation.key, now));
          // A key that was absent: nothing written, no revision.
          if (deleted) results[i].revision = ++revision;
          break;
        }
      }
    }
    item.outcome = std::move(results);
    return absl::OkStatus();
  }

  // ApplyItem for the commonest counter write, a Write of one Increment:
  // with nothing else in the item to keep all-or-nothing with, the check
  // and the write are one statement (sqlite_increment.h), as cheap as a
  // Set. kv_add refusing the value fails that statement before it writes
  // anything, and the transaction goes on. The statement matches only a
  // live row, which keeps its expiry; a missing or expired key counts as 0
  // and is written afresh, with no expiry.
  absl::Status ApplyLoneIncrement(WriteItem& item, uint64_t& revision,
                                  int64_t now) {
    const Mutation& mutation = item.mutations[0];
    counter_call_ = sqlite_internal::CounterCall();
    counter_call_.key = mutation.key;
    {
      KV_ASSIGN_OR_RETURN(
          sqlite3_stmt * stmt,
          writer_->Statement(sqlite_internal::kIncrementInPlace, kFailedWrite));
      ScopedReset reset(stmt);
      int rc = BindBytes(stmt, 1, mutation.key);
      if (rc == SQLITE_OK) {
        rc = sqlite3_bind_int64(stmt, 2, static_cast<int64_t>(revision + 1));
      }
      if (rc == SQLITE_OK) rc = sqlite3_bind_int64(stmt, 3, mutation.delta);
      if (rc == SQLITE_OK) rc = sqlite3_bind_int64(stmt, 4, now);
      if (rc != SQLITE_OK) return writer_->Error(rc, kFailedWrite);
      rc = sqlite3_step(stmt);
      if (rc != SQLITE_DONE) {
        if (counter_call_.refused.ok()) return writer_->Error(rc, kFailedWrite);
        item.outcome = std::move(counter_call_.refused);
        return absl::OkStatus();
      }
    }
    MutationResults results(1);
    if (writer_->Changes() == 1) {
      results[0].value = counter_call_.result;
    } else {
      KV_ASSIGN_OR_RETURN(
          results[0].value,
          IncrementedCounter(nullptr, mutation.delta, 0, mutation.key));
      KV_RETURN_IF_ERROR(Upsert(mutation.key, revision + 1,
                                FormatCounter(results[0].value),
                                /*expires_at=*/-1));
    }
    results[0].revision = ++revision;
    item.outcome = std::move(results);
    return absl::OkStatus();
  }

  // Reads `key` on the writer, inside its transaction, as of `now` (an
  // expired row is absent): its revision, and with `with_value` its value
  // (see Current).
  absl::Status Lookup(absl::string_view key, bool with_value, int64_t now,
                      Current& current) {
    KV_ASSIGN_OR_RETURN(
        sqlite3_stmt * stmt,
        writer_->Statement(
            with_value ? sqlite_internal::kGet : sqlite_internal::kGetRevision,
            kFailedWrite));
    ScopedReset reset(stmt);
    int rc = BindBytes(stmt, 1, key);
    if (rc == SQLITE_OK) rc = sqlite3_bind_int64(stmt, 2, now);
    if (rc != SQLITE_OK) return writer_->Error(rc, kFailedWrite);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) return absl::OkStatus();
    if (rc != SQLITE_ROW) return writer_->Error(rc, kFailedWrite);
    current.found = true;
    if (with_value) {
      current.revision = static_cast<uint64_t>(sqlite3_column_int64(stmt, 1));
      current.value =
          std::string(ColumnBytes(stmt, 0).substr(0, kLongestCounterText + 1));
    } else {
      current.revision = static_cast<uint64_t>(sqlite3_column_int64(stmt, 0));
    }
    return absl::OkStatus();
  }

  // Stores `value` under `key` at `revision`, expiring at `expires_at`
  // (Unix ms; negative: never), whatever row was there.
  absl::Status Upsert(absl::string_view key, uint64_t revision,
                      absl::string_view value, int64_t expires_at) {
    KV_ASSIGN_OR_RETURN(
        sqlite3_stmt * stmt,
        writer_->Statement(sqlite_internal::kUpsert, kFailedWrite));
    ScopedReset reset(stmt);
    int rc = BindBytes(stmt, 1, key);
    if (rc == SQLITE_OK) {
      rc = sqlite3_bind_int64(stmt, 2, static_cast<int64_t>(revision));
    }
    if (rc == SQLITE_OK) rc = BindBytes(stmt, 3, value);
    if (rc == SQLITE_OK) {
      rc = expires_at < 0 ? sqlite3_bind_null(stmt, 4)
                          : sqlite3_bind_int64(stmt, 4, expires_at);
    }
    if (rc != SQLITE_OK) return writer_->Error(rc, kFailedWrite);
    rc = sqlite3_step(stmt);
    if (rc != SQLITE_DONE) return writer_->Error(rc, kFailedWrite);
    return absl::OkStatus();
  }

  // Stores `value` under `key` at `revision` in the row the transaction has
  // just read live (one search of the b-tree, where the upsert's failed
  // insert makes two), keeping its expiry.
  absl::Status Update(absl::string_view key, uint64_t revision,
                      absl::string_view value) {
    KV_ASSIGN_OR_RETURN(
        sqlite3_stmt * stmt,
        writer_->Statement(sqlite_internal::kUpdate, kFailedWrite));
    ScopedReset reset(stmt);
    int rc = BindBytes(stmt, 1, key);
    if (rc == SQLITE_OK) {
      rc = sqlite3_bind_int64(stmt, 2, static_cast<int64_t>(revision));
    }
    if (rc == SQLITE_OK) rc = BindBytes(stmt, 3, value);
    if (rc != SQLITE_OK) return writer_->Error(rc, kFailedWrite);
    rc = sqlite3_step(stmt);
    if (rc != SQLITE_DONE) return writer_->Error(rc, kFailedWrite);
    if (writer_->Changes() != 1) {
      return writer_->Error(SQLITE_INTERNAL, kFailedWrite,
                            "a row read in this transaction was not there to "
                            "update");
    }
    return absl::OkStatus();
  }

  // Whether a live row was deleted; an expired one is left alone.
  absl::StatusOr<bool> DeleteKey(absl::string_view key, int64_t now) {
    KV_ASSIGN_OR_RETURN(
        sqlite3_stmt * stmt,
        writer_->Statement(sqlite_internal::kDelete, kFailedDelete));
    ScopedReset reset(stmt);
    int rc = BindBytes(stmt, 1, key);
    if (rc == SQLITE_OK) rc = sqlite3_bind_int64(stmt, 2, now);
    if (rc != SQLITE_OK) return writer_->Error(rc, kFailedDelete);
    rc = sqlite3_step(stmt);
    if (rc != SQLITE_DONE) return writer_->Error(rc, kFailedDelete);
    return writer_->Changes() > 0;
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
    // A reader still in a transaction (its ROLLBACK failed) would serve an
    // old snapshot: close it instead.
    if (reader->InTransaction()) return;
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

  // Writes run here, only inside ApplyBatch, which the batcher calls on one
  // thread at a time (and orders those calls with its mutex). SQLite allows
  // one writer per database anyway.
  std::unique_ptr<Connection> writer_;
  // What the writer's kv_add reports into; used on the committer thread
  // only, like the writer.
  sqlite_internal::CounterCall counter_call_;
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
  KV_RETURN_IF_ERROR(sqlite_internal::MigrateSchema(*writer));

  // Before the batcher can run a statement that calls it.
  auto driver = absl::WrapUnique(new SqliteDriver(options, std::move(writer)));
  KV_RETURN_IF_ERROR(sqlite_internal::RegisterCounterFunction(
      *driver->writer_, &driver->counter_call_));
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
  if (spec.clock != nullptr) options.clock = spec.clock;

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
