#include "store/postgres/postgres_driver.h"

#include <postgresql/libpq-fe.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/memory/memory.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"
#include "absl/types/span.h"
#include "store/counter_value.h"
#include "store/driver.h"
#include "store/expiry.h"
#include "store/key_range.h"
#include "store/postgres/postgres_connection.h"
#include "store/postgres/postgres_schema.h"
#include "store/postgres/postgres_url.h"
#include "store/registry.h"
#include "store/status_macros.h"
#include "store/write_errors.h"

namespace kv {
namespace {

using postgres::BigintField;
using postgres::ByteaArray;
using postgres::BytesField;
using postgres::Connection;
using postgres::Context;
using postgres::kSchemaTable;
using postgres::kSequencePrefix;
using postgres::kSequenceTable;
using postgres::Result;

static_assert(kPostgresSchemaVersion == postgres::kSchemaVersion,
              "postgres_driver.h and postgres_schema.h disagree");

// How often Write runs its transaction again when the server aborted it to
// break a deadlock (two writes inserting the same new keys in opposite
// orders). Rows that exist are locked in key order and never deadlock.
constexpr int kWriteAttempts = 5;

// What a failed Write says it was doing: "cannot delete from" for deletes
// only (Delete, DeleteMany), else "cannot write to".
absl::string_view FailedWriting(absl::Span<const Mutation> mutations) {
  for (const Mutation& mutation : mutations) {
    if (mutation.kind != Mutation::Kind::kDelete) return "cannot write to";
  }
  return "cannot delete from";
}

// Versioned::expire_time from an expires_at field (Unix milliseconds by
// the server's clock; NULL: never).
absl::StatusOr<absl::Time> ExpireTimeField(const Context& ctx,
                                           const PGresult* result, int row,
                                           int column,
                                           absl::string_view failed) {
  if (PQgetisnull(result, row, column)) return absl::InfiniteFuture();
  KV_ASSIGN_OR_RETURN(int64_t millis,
                      BigintField(ctx, result, row, column, failed));
  return ExpireTimeOf(millis);
}

// The key of `row` from columns (value, revision, expires_at) starting at
// `first`.
absl::StatusOr<Versioned> VersionedField(const Context& ctx,
                                         const PGresult* result, int row,
                                         int first, absl::string_view failed) {
  Versioned versioned;
  KV_ASSIGN_OR_RETURN(int64_t revision,
                      BigintField(ctx, result, row, first + 1, failed));
  KV_ASSIGN_OR_RETURN(versioned.expire_time,
                      ExpireTimeField(ctx, result, row, first + 2, failed));
  versioned.value = std::string(BytesField(result, row, first));
  versioned.revision = static_cast<uint64_t>(revision);
  return versioned;
}

// The rows of a result with columns (key, value, revision, expires_at), by
// key.
absl::StatusOr<absl::flat_hash_map<std::string, Versioned>> RowsByKey(
    const Context& ctx, const PGresult* result, absl::string_view failed) {
  absl::flat_hash_map<std::string, Versioned> rows;
  for (int row = 0; row < PQntuples(result); ++row) {
    KV_ASSIGN_OR_RETURN(Versioned versioned,
                        VersionedField(ctx, result, row, 1, failed));
    rows.emplace(BytesField(result, row, 0), std::move(versioned));
  }
  return rows;
}

// The rows a Write's transaction holds, by key: the key's value, or nullopt
// when the key is absent though its row is held (expired, or a placeholder
// the transaction inserted). A key with no row is not in the map.
using HeldRows = absl::flat_hash_map<std::string, absl::optional<Versioned>>;

// Adds the rows of a kLockMany or kLockOne result, columns (key, value,
// revision, expires_at, live), to `rows`.
absl::Status AddLockedRows(const Context& ctx, const PGresult* result,
                           absl::string_view failed, HeldRows* rows) {
  for (int row = 0; row < PQntuples(result); ++row) {
    absl::optional<Versioned> current;
    // `live` is a boolean: one byte, 1 for true, in the binary format.
    if (BytesField(result, row, 4) == absl::string_view("\x01", 1)) {
      KV_ASSIGN_OR_RETURN(current, VersionedField(ctx, result, row, 1, failed));
    }
    rows->insert_or_assign(std::string(BytesField(result, row, 0)),
                           std::move(current));
  }
  return absl::OkStatus();
}

// The revision a one-row RETURNING gave; Internal if the row is missing,
// which cannot happen to a row this transaction holds locked.
absl::StatusOr<uint64_t> ReturnedRevision(const Context& ctx,
                                          const PGresult* result,
                                          absl::string_view failed) {
  if (PQntuples(result) != 1) {
    return ctx.Error(absl::StatusCode::kInternal, failed,
                     "a locked row changed under its lock");
  }
  KV_ASSIGN_OR_RETURN(int64_t revision, BigintField(ctx, result, 0, 0, failed));
  return static_cast<uint64_t>(revision);
}

// A store: a fixed-size pool of connections. Connections are opened when a
// call finds no idle one, and dropped when they fail, so the pool refills
// itself once the server is back.
class PostgresDriver : public Driver {
 public:
  static absl::StatusOr<std::unique_ptr<PostgresDriver>> Open(
      const PostgresOptions& options);

  ~PostgresDriver() override {
    absl::MutexLock lock(&mutex_);
    idle_.clear();
  }

  absl::StatusOr<Versioned> Get(absl::string_view key) override {
    constexpr absl::string_view kFailed = "cannot read from";
    const absl::Time deadline = absl::Now() + context_.timeout;
    KV_ASSIGN_OR_RETURN(Lease lease, Acquire(deadline, kFailed));
    KV_ASSIGN_OR_RETURN(
        Result result, lease->RunPrepared(postgres::kGet, {context_.store, key},
                                          deadline, kFailed));
    if (PQntuples(result.get()) == 0) {
      return absl::NotFoundError(
          absl::StrCat("store \"", context_.store, "\": key not found"));
    }
    return VersionedField(context_, result.get(), 0, 0, kFailed);
  }

  // One statement (key = ANY($2)), so one snapshot.
  absl::StatusOr<std::vector<absl::optional<Versioned>>> GetMany(
      absl::Span<const absl::string_view> keys) override {
    constexpr absl::string_view kFailed = "cannot read from";
    std::vector<absl::optional<Versioned>> found(keys.size());
    if (keys.empty()) return found;
    const absl::Time deadline = absl::Now() + context_.timeout;
    const std::string array = ByteaArray(keys);
    absl::flat_hash_map<std::string, Versioned> rows;
    {
      KV_ASSIGN_OR_RETURN(Lease lease, Acquire(deadline, kFailed));
      KV_ASSIGN_OR_RETURN(
          Result result,
          lease->RunPrepared(postgres::kGetMany, {context_.store, array},
                             deadline, kFailed));
      KV_ASSIGN_OR_RETURN(rows, RowsByKey(context_, result.get(), kFailed));
    }
    for (size_t i = 0; i < keys.size(); ++i) {
      auto row = rows.find(keys[i]);
      if (row != rows.end()) found[i] = row->second;
    }
    return found;
  }

  // One transaction: lock the rows of every key, check every condition and
  // compute every increment against them, then write in mutation order.
  // An unconditional Set or Delete of one key, or an Increment of one key
  // that holds a counter, is one statement instead (WriteOneStatement).
  absl::StatusOr<MutationResults> Write(
      absl::Span<const Mutation> mutations) override {
    const absl::string_view failed = FailedWriting(mutations);
    const absl::Time deadline = absl::Now() + context_.timeout;
    KV_ASSIGN_OR_RETURN(Lease lease, Acquire(deadline, failed));
    if (mutations.size() == 1 && !mutations[0].if_revision.has_value()) {
      KV_ASSIGN_OR_RETURN(
          absl::optional<MutationResults> written,
          WriteOneStatement(*lease, mutations[0], deadline, failed));
      if (written.has_value()) return *std::move(written);
    }
    for (int attempt = 1;; ++attempt) {
      MutationResults results;
      bool deadlocked = false;
      absl::Status status =
          postgres::InTransaction(*lease, deadline, failed, [&] {
            absl::Status written = WriteInTransaction(
                *lease, mutations, deadline, failed, &results);
            deadlocked = lease->last_sqlstate() == "40P01";
            return written;
          });
      if (status.ok()) return results;
      if (!deadlocked || attempt == kWriteAttempts || lease->broken()) {
        return status;
      }
    }
  }

  absl::StatusOr<bool> Exists(absl::string_view key) override {
    constexpr absl::string_view kFailed = "cannot read from";
    const absl::Time deadline = absl::Now() + context_.timeout;
    KV_ASSIGN_OR_RETURN(Lease lease, Acquire(deadline, kFailed));
    KV_ASSIGN_OR_RETURN(Result result, lease->RunPrepared(postgres::kExists,
                                                          {context_.store, key},
                                                          deadline, kFailed));
    return PQntuples(result.get()) > 0;
  }

  // The sequence's last value: at least every revision any kvd was given,
  // committed or not (a rolled-back write's revision is skipped, never
  // reused).
  absl::StatusOr<uint64_t> CurrentRevision() override {
    constexpr absl::string_view kFailed = "cannot read from";
    const absl::Time deadline = absl::Now() + context_.timeout;
    KV_ASSIGN_OR_RETURN(Lease lease, Acquire(deadline, kFailed));
    KV_ASSIGN_OR_RETURN(
        Result result,
        lease->RunPrepared(postgres::kCurrentRevision, {}, deadline, kFailed));
    if (PQntuples(result.get()) != 1) {
      return context_.Error(absl::StatusCode::kInternal, kFailed,
                            "the revision sequence returned no row");
    }
    KV_ASSIGN_OR_RETURN(int64_t revision,
                        BigintField(context_, result.get(), 0, 0, kFailed));
    return static_cast<uint64_t>(revision);
  }

  // One statement over the primary key (kvd_list_page): the keys after
  // `after` in [prefix, PrefixEnd(prefix)), limit + 1 of them to tell
  // whether more follow. The connection goes back to the pool before the
  // page is returned, so a caller that visits the keys (ListKeys) may call
  // the driver, and a slow caller holds nothing.
  absl::StatusOr<KeyPage> ListKeyPage(const KeyPageRequest& request) override {
    constexpr absl::string_view kFailed = "cannot list keys of";
    const size_t limit = std::max<size_t>(
        1, std::min<size_t>(request.limit,
                            std::numeric_limits<int64_t>::max() - 1));
    const std::string fetch =
        postgres::BigintParam(static_cast<int64_t>(limit + 1));
    const absl::optional<std::string> end = PrefixEnd(request.prefix);
    const absl::Time deadline = absl::Now() + context_.timeout;
    KV_ASSIGN_OR_RETURN(Lease lease, Acquire(deadline, kFailed));
    KV_ASSIGN_OR_RETURN(Result result,
                        end.has_value()
                            ? lease->RunPrepared(postgres::kListPage,
                                                 {context_.store, request.after,
                                                  request.prefix, *end, fetch},
                                                 deadline, kFailed)
                            : lease->RunPrepared(postgres::kListPageToEnd,
                                                 {context_.store, request.after,
                                                  request.prefix, fetch},
                                                 deadline, kFailed));
    const size_t rows = static_cast<size_t>(PQntuples(result.get()));
    KeyPage page;
    page.more = rows > limit;
    page.keys.reserve(std::min(rows, limit));
    for (size_t row = 0; row < rows && row < limit; ++row) {
      page.keys.emplace_back(
          BytesField(result.get(), static_cast<int>(row), 0));
    }
    return page;
  }

  // One statement (kvd_reclaim_expired): a short transaction of its own.
  absl::StatusOr<size_t> ReclaimExpired(size_t max_keys) override {
    constexpr absl::string_view kFailed = "cannot reclaim expired keys of";
    if (max_keys == 0) return 0;
    const int64_t most = static_cast<int64_t>(
        std::min<size_t>(max_keys, std::numeric_limits<int64_t>::max()));
    const absl::Time deadline = absl::Now() + context_.timeout;
    KV_ASSIGN_OR_RETURN(Lease lease, Acquire(deadline, kFailed));
    KV_ASSIGN_OR_RETURN(
        Result result,
        lease->RunPrepared(postgres::kReclaimExpired,
                           {context_.store, postgres::BigintParam(most)},
                           deadline, kFailed));
    size_t deleted = 0;
    if (!absl::SimpleAtoi(PQcmdTuples(result.get()), &deleted)) {
      return context_.Error(absl::StatusCode::kInternal, kFailed,
                            "the server did not say how many rows it deleted");
    }
    return deleted;
  }

  Durability durability() const override { return durability_; }

  std::string Location() const override { return context_.url.redacted; }

 private:
  // A connection borrowed from the pool, returned when destroyed.
  class Lease {
   public:
    Lease(PostgresDriver* driver, std::unique_ptr<Connection> connection)
        : driver_(driver), connection_(std::move(connection)) {}
    Lease(Lease&& other) = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (driver_ != nullptr && connection_ != nullptr) {
        driver_->Release(std::move(connection_));
      }
    }
    Connection* operator->() const { return connection_.get(); }
    Connection& operator*() const { return *connection_; }

   private:
    PostgresDriver* driver_;
    std::unique_ptr<Connection> connection_;
  };

  explicit PostgresDriver(Context context, int pool_size)
      : context_(std::move(context)), pool_size_(pool_size) {}

  // An unconditional Set or Delete of one key needs no transaction: each
  // statement below is atomic on its own (autocommit), and nextval in it
  // runs on the row it changes once that row is locked (an UPDATE that
  // waited for another writer evaluates its WHERE and SET again on the row
  // that writer left), so the key's revisions still grow in commit order.
  // A Set overwrites an expired row as it would an absent key's; a Delete
  // deletes only a live row (an expired one is left for ReclaimExpired).
  //
  // An Increment of a live key that holds a counter is one statement too;
  // for any other case (absent or expired key, not an integer, overflow)
  // this returns nullopt, having changed nothing, and Write's transaction
  // decides.
  absl::StatusOr<absl::optional<MutationResults>> WriteOneStatement(
      Connection& connection, const Mutation& mutation, absl::Time deadline,
      absl::string_view failed) {
    MutationResults results(1);
    if (mutation.kind == Mutation::Kind::kIncrement) {
      KV_ASSIGN_OR_RETURN(
          Result added,
          connection.RunPrepared(postgres::kIncrementOne,
                                 {context_.store, mutation.key,
                                  postgres::BigintParam(mutation.delta)},
                                 deadline, failed));
      if (PQntuples(added.get()) == 0) return absl::nullopt;
      KV_ASSIGN_OR_RETURN(results[0].revision,
                          ReturnedRevision(context_, added.get(), failed));
      absl::optional<int64_t> sum = ParseCounter(BytesField(added.get(), 0, 1));
      if (!sum.has_value()) {
        return context_.Error(absl::StatusCode::kInternal, failed,
                              "the server stored a counter kvd cannot read");
      }
      results[0].value = *sum;
      return results;
    }
    if (mutation.kind == Mutation::Kind::kDelete) {
      KV_ASSIGN_OR_RETURN(Result deleted,
                          connection.RunPrepared(postgres::kDelete,
                                                 {context_.store, mutation.key},
                                                 deadline, failed));
      // No row: the key was absent or expired, and no revision was taken.
      if (PQntuples(deleted.get()) == 1) {
        KV_ASSIGN_OR_RETURN(results[0].revision,
                            ReturnedRevision(context_, deleted.get(), failed));
      }
      return results;
    }
    const std::string ttl = postgres::BigintParam(TtlMillis(mutation.ttl));
    while (true) {
      KV_ASSIGN_OR_RETURN(Result updated,
                          connection.RunPrepared(postgres::kUpdate,
                                                 {context_.store, mutation.key,
                                                  mutation.value, ttl},
                                                 deadline, failed));
      if (PQntuples(updated.get()) == 0) {
        KV_ASSIGN_OR_RETURN(
            updated, connection.RunPrepared(
                         postgres::kInsert,
                         {context_.store, mutation.key, mutation.value, ttl},
                         deadline, failed));
      }
      // Neither: the key was created, then deleted, between the two. Again
      // (each round trip is bounded by the deadline).
      if (PQntuples(updated.get()) == 1) {
        KV_ASSIGN_OR_RETURN(results[0].revision,
                            ReturnedRevision(context_, updated.get(), failed));
        return results;
      }
    }
  }

  // The body of Write's transaction. Errors leave the transaction for the
  // caller to roll back. Each key's expiry is judged once, by the server's
  // clock as its row is locked (postgres_statements.cc), and everything
  // after acts on that judgement while the lock holds.
  absl::Status WriteInTransaction(Connection& connection,
                                  absl::Span<const Mutation> mutations,
                                  absl::Time deadline, absl::string_view failed,
                                  MutationResults* results) {
    std::vector<absl::string_view> keys;
    keys.reserve(mutations.size());
    for (const Mutation& mutation : mutations) keys.push_back(mutation.key);
    const std::string array = ByteaArray(keys);
    // Every existing row of these keys, live or expired, is locked until
    // COMMIT: no other write changes them between the checks below and our
    // writes, and ReclaimExpired passes over them.
    HeldRows rows;
    {
      KV_ASSIGN_OR_RETURN(
          Result locked,
          connection.RunPrepared(postgres::kLockMany, {context_.store, array},
                                 deadline, failed));
      KV_RETURN_IF_ERROR(AddLockedRows(context_, locked.get(), failed, &rows));
    }
    // Two or more keys without a row to create: take them in key order
    // first (see kInsertPlaceholders). One key cannot close a cycle of
    // inserts.
    std::vector<absl::string_view> creating;
    for (const Mutation& mutation : mutations) {
      if (mutation.kind != Mutation::Kind::kDelete &&
          !rows.contains(mutation.key)) {
        creating.push_back(mutation.key);
      }
    }
    if (creating.size() >= 2) {
      KV_ASSIGN_OR_RETURN(
          Result inserted,
          connection.RunPrepared(postgres::kInsertPlaceholders,
                                 {context_.store, ByteaArray(creating)},
                                 deadline, failed));
      // A placeholder is held and absent, like an expired row.
      for (int row = 0; row < PQntuples(inserted.get()); ++row) {
        rows.emplace(BytesField(inserted.get(), row, 0), absl::nullopt);
      }
      // The keys another write created meanwhile (it committed while we
      // waited for it): lock their rows now, in key order too.
      std::vector<absl::string_view> created;
      for (absl::string_view key : creating) {
        if (!rows.contains(key)) created.push_back(key);
      }
      if (!created.empty()) {
        KV_ASSIGN_OR_RETURN(
            Result relocked,
            connection.RunPrepared(postgres::kLockMany,
                                   {context_.store, ByteaArray(created)},
                                   deadline, failed));
        KV_RETURN_IF_ERROR(
            AddLockedRows(context_, relocked.get(), failed, &rows));
      }
    }
    results->resize(mutations.size());
    for (size_t i = 0; i < mutations.size(); ++i) {
      absl::optional<Versioned> current;
      auto row = rows.find(mutations[i].key);
      const bool held = row != rows.end();
      if (held) current = std::move(row->second);
      KV_RETURN_IF_ERROR(Apply(connection, i, mutations[i], std::move(current),
                               held, deadline, failed, &(*results)[i]));
    }
    return absl::OkStatus();
  }

  // Applies mutation `index`, given the key's `current` value (its row
  // locked by this transaction) or nullopt if the key is absent or expired;
  // `held` says whether this transaction holds a row for the key all the
  // same (an expired row, or a placeholder it inserted), which a write then
  // overwrites instead of inserting one.
  absl::Status Apply(Connection& connection, size_t index,
                     const Mutation& mutation,
                     absl::optional<Versioned> current, bool held,
                     absl::Time deadline, absl::string_view failed,
                     MutationResult* result) {
    while (true) {
      const uint64_t revision = current.has_value() ? current->revision : 0;
      if (mutation.if_revision.has_value() &&
          *mutation.if_revision != revision) {
        return ConditionFailedError(index, mutation.key, *mutation.if_revision,
                                    revision);
      }
      if (mutation.kind == Mutation::Kind::kDelete) {
        // An absent or expired key: nothing to delete, and no revision is
        // taken.
        if (!current.has_value()) {
          result->revision = 0;
          return absl::OkStatus();
        }
        KV_ASSIGN_OR_RETURN(Result deleted, connection.RunPrepared(
                                                postgres::kDeleteLocked,
                                                {context_.store, mutation.key},
                                                deadline, failed));
        KV_ASSIGN_OR_RETURN(result->revision,
                            ReturnedRevision(context_, deleted.get(), failed));
        return absl::OkStatus();
      }
      absl::string_view value = mutation.value;
      std::string counter;
      // A set's expiry from its ttl; an increment that creates its key (or
      // replaces an expired one) makes it never expire.
      int64_t ttl = TtlMillis(mutation.ttl);
      if (mutation.kind == Mutation::Kind::kIncrement) {
        KV_ASSIGN_OR_RETURN(
            int64_t sum,
            IncrementedCounter(current.has_value() ? &current->value : nullptr,
                               mutation.delta, index, mutation.key));
        counter = FormatCounter(sum);
        value = counter;
        result->value = sum;
        ttl = -1;
        // An increment of a live key keeps its expiry.
        if (current.has_value()) {
          KV_ASSIGN_OR_RETURN(
              Result updated,
              connection.RunPrepared(postgres::kUpdateValue,
                                     {context_.store, mutation.key, value},
                                     deadline, failed));
          KV_ASSIGN_OR_RETURN(
              result->revision,
              ReturnedRevision(context_, updated.get(), failed));
          return absl::OkStatus();
        }
      }
      const std::string ttl_param = postgres::BigintParam(ttl);
      if (current.has_value() || held) {
        KV_ASSIGN_OR_RETURN(Result updated, connection.RunPrepared(
                                                postgres::kUpdate,
                                                {context_.store, mutation.key,
                                                 value, ttl_param},
                                                deadline, failed));
        KV_ASSIGN_OR_RETURN(result->revision,
                            ReturnedRevision(context_, updated.get(), failed));
        return absl::OkStatus();
      }
      KV_ASSIGN_OR_RETURN(Result inserted,
                          connection.RunPrepared(
                              postgres::kInsert,
                              {context_.store, mutation.key, value, ttl_param},
                              deadline, failed));
      if (PQntuples(inserted.get()) == 1) {
        KV_ASSIGN_OR_RETURN(result->revision,
                            ReturnedRevision(context_, inserted.get(), failed));
        return absl::OkStatus();
      }
      // Another write created the key after our lock found it absent, and
      // committed. Lock the row it wrote and decide again: a create-only
      // write now fails, an unconditional one overwrites, an increment adds
      // to what the other wrote. (The row may be gone again: then insert;
      // or already expired: then overwrite it as absent.)
      KV_ASSIGN_OR_RETURN(Result relocked,
                          connection.RunPrepared(postgres::kLockOne,
                                                 {context_.store, mutation.key},
                                                 deadline, failed));
      HeldRows row;
      KV_RETURN_IF_ERROR(AddLockedRows(context_, relocked.get(), failed, &row));
      current.reset();
      held = !row.empty();
      if (held) current = std::move(row.begin()->second);
    }
  }

  // Takes a slot in the pool, waiting until `deadline` for one, and fills
  // it with an idle connection that still looks alive or a new one.
  absl::StatusOr<Lease> Acquire(absl::Time deadline, absl::string_view failed) {
    std::unique_ptr<Connection> connection;
    {
      absl::MutexLock lock(&mutex_);
      // A CondVar loop rather than Mutex::LockWhenWithDeadline: the
      // predicate then runs in this file with the mutex visibly held, which
      // ThreadSanitizer can check (Debian's Abseil is not instrumented).
      while (in_use_ >= pool_size_) {
        if (slot_freed_.WaitWithDeadline(&mutex_, deadline) &&
            in_use_ >= pool_size_) {
          return context_.Error(
              absl::StatusCode::kUnavailable, failed,
              absl::StrCat("all ", pool_size_, " connections stayed busy for ",
                           absl::FormatDuration(context_.timeout),
                           "; raise pool_size or timeout"));
        }
      }
      ++in_use_;
      if (!idle_.empty()) {
        connection = std::move(idle_.back());
        idle_.pop_back();
      }
    }
    if (connection != nullptr && connection->LooksDead()) connection.reset();
    if (connection == nullptr) {
      absl::StatusOr<std::unique_ptr<Connection>> connected =
          Connection::Connect(context_, deadline);
      absl::Status status = connected.status();
      if (status.ok()) status = (*connected)->PrepareStatements(deadline);
      if (!status.ok()) {
        Release(nullptr);  // A connection that failed is closed here.
        return status;
      }
      connection = *std::move(connected);
    }
    return Lease(this, std::move(connection));
  }

  // Gives a slot back; keeps `connection` for reuse unless it is broken.
  void Release(std::unique_ptr<Connection> connection) {
    std::unique_ptr<Connection> closing;
    {
      absl::MutexLock lock(&mutex_);
      --in_use_;
      slot_freed_.Signal();
      if (connection != nullptr && !connection->broken()) {
        idle_.push_back(std::move(connection));
      } else {
        closing = std::move(connection);
      }
    }
    // `closing` is closed here, outside the lock.
  }

  // Written only by Open, before the driver is shared (the sequence name is
  // known once the schema is set up); read-only after.
  Context context_;
  Durability durability_ = Durability::kUnknown;
  const int pool_size_;
  absl::Mutex mutex_;
  absl::CondVar slot_freed_;  // Signalled when in_use_ drops.
  // Leased connections and slots being connected.
  int in_use_ ABSL_GUARDED_BY(mutex_) = 0;
  std::vector<std::unique_ptr<Connection>> idle_ ABSL_GUARDED_BY(mutex_);
};

absl::StatusOr<std::unique_ptr<PostgresDriver>> PostgresDriver::Open(
    const PostgresOptions& options) {
  Context context;
  context.store = options.store_name;
  context.url = options.url;
  context.timeout = options.timeout;
  context.table = options.table;
  context.quoted_table = absl::StrCat("\"", options.table, "\"");
  if (!PQisthreadsafe()) {
    return context.Error(absl::StatusCode::kInternal, "cannot connect to",
                         "libpq was built without thread support");
  }
  auto driver = absl::WrapUnique(
      new PostgresDriver(std::move(context), options.pool_size));
  // One connection now: an unreachable server or a bad schema fails here,
  // within the timeout, rather than on the first call. It joins the pool.
  const absl::Time deadline = absl::Now() + options.timeout;
  KV_ASSIGN_OR_RETURN(std::unique_ptr<Connection> connection,
                      Connection::Connect(driver->context_, deadline));
  KV_ASSIGN_OR_RETURN(
      driver->context_.sequence,
      postgres::SetUpSchema(*connection, driver->context_, deadline));
  // Once, cheaply: what a commit survives on this server, for Describe.
  // Any synchronous_commit but off flushes the commit to the local WAL.
  KV_ASSIGN_OR_RETURN(
      Result settings,
      connection->Run("SELECT current_setting('fsync') = 'on' AND "
                      "current_setting('synchronous_commit') <> 'off'",
                      {}, deadline, "cannot read the settings of"));
  driver->durability_ = std::string(PQgetvalue(settings.get(), 0, 0)) == "t"
                            ? Durability::kDisk
                            : Durability::kProcess;
  KV_RETURN_IF_ERROR(connection->PrepareStatements(deadline));
  {
    absl::MutexLock lock(&driver->mutex_);
    driver->idle_.push_back(std::move(connection));
  }
  return driver;
}

bool IsPlainIdentifier(absl::string_view name) {
  if (name.empty() || name.size() > 63 || absl::ascii_isdigit(name[0])) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '_';
  });
}

DriverType PostgresDriverType() {
  DriverType type;
  type.description =
      "PostgreSQL database, one shared table: url = "
      "\"postgresql://user:password@host:5432/db\", timeout = \"2s\", "
      "pool_size = 8, table = \"kvd_kv\"";
  type.fields = {"url", "timeout", "pool_size", "table"};
  type.open =
      [](const StoreSpec& spec) -> absl::StatusOr<std::unique_ptr<Driver>> {
    KV_ASSIGN_OR_RETURN(PostgresOptions options, PostgresOptionsFromSpec(spec));
    return OpenPostgresDriver(options);
  };
  return type;
}

const bool kRegistered = RegisterDriverType("postgres", PostgresDriverType());

}  // namespace

absl::StatusOr<PostgresOptions> PostgresOptionsFromSpec(const StoreSpec& spec) {
  PostgresOptions options;
  options.store_name = spec.name;
  const std::string where = absl::StrCat("store \"", spec.name, "\": ");

  auto url = spec.options.find("url");
  if (url == spec.options.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where,
                     "field url is required for type \"postgres\", e.g. "
                     "url = \"postgresql://user:password@host:5432/dbname\""));
  }
  absl::StatusOr<PostgresUrl> parsed = ParsePostgresUrl(url->second);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, "field url ", parsed.status().message()));
  }
  options.url = *std::move(parsed);

  auto timeout = spec.options.find("timeout");
  if (timeout != spec.options.end()) {
    absl::Duration duration;
    if (!absl::ParseDuration(timeout->second, &duration) ||
        duration < absl::Milliseconds(1) || duration > absl::Hours(1)) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, "field timeout is \"", timeout->second,
          "\"; give a duration from 1ms to 1h, like \"2s\" or \"500ms\""));
    }
    options.timeout = duration;
  }

  auto pool_size = spec.options.find("pool_size");
  if (pool_size != spec.options.end()) {
    int size = 0;
    if (!absl::SimpleAtoi(pool_size->second, &size) || size < 1 ||
        size > 1024) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, "field pool_size is \"", pool_size->second,
                       "\"; give a whole number from 1 to 1024"));
    }
    options.pool_size = size;
  }

  auto table = spec.options.find("table");
  if (table != spec.options.end()) {
    if (!IsPlainIdentifier(table->second) || table->second == kSchemaTable ||
        table->second == kSequenceTable ||
        absl::StartsWith(table->second, kSequencePrefix)) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, "field table is \"", table->second,
          "\"; use 1 to 63 lowercase letters, digits and underscores, not "
          "starting with a digit (and not \"",
          kSchemaTable, "\", \"", kSequenceTable, "\" or \"", kSequencePrefix,
          "...\", which kvd uses itself)"));
    }
    options.table = table->second;
  }
  return options;
}

absl::StatusOr<std::unique_ptr<Driver>> OpenPostgresDriver(
    const PostgresOptions& options) {
  KV_ASSIGN_OR_RETURN(std::unique_ptr<PostgresDriver> driver,
                      PostgresDriver::Open(options));
  return driver;
}

}  // namespace kv
