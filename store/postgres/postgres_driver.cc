#include "store/postgres/postgres_driver.h"

#include <errno.h>
#include <poll.h>
#include <postgresql/libpq-fe.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/memory/memory.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "store/driver.h"
#include "store/postgres/postgres_url.h"
#include "store/registry.h"
#include "store/status_macros.h"

namespace kv {
namespace {

// Type OIDs from the server's catalog/pg_type.h, which libpq-dev lacks.
constexpr Oid kTextOid = 25;
constexpr Oid kByteaOid = 17;

// Keys ListKeys fetches per round trip. Bounds its memory: at most this many
// keys are held at once.
constexpr int kListPageSize = 1000;

// The transaction-level advisory lock every kvd holds while it checks or
// creates the schema, so two processes never both try to create it. Any
// fixed number will do; this one spells "kvd_sch".
constexpr int64_t kSchemaLockKey = 0x6b76645f736368;

// The table where each kv table's schema version is recorded.
constexpr absl::string_view kSchemaTable = "kvd_schema";

struct ResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
using Result = std::unique_ptr<PGresult, ResultDeleter>;

// libpq messages span lines ("...failed: Connection refused\n\tIs the
// server running..."); a status message is one line.
std::string OneLine(absl::string_view text) {
  return absl::StrJoin(
      absl::StrSplit(text, absl::ByAnyChar(" \t\r\n"), absl::SkipEmpty()), " ");
}

// What every message of one store says, and the secrets it must not say.
struct Context {
  std::string store;
  PostgresUrl url;
  absl::Duration timeout;
  std::string table;         // As configured: a plain identifier.
  std::string quoted_table;  // For SQL text.

  // store "NAME": FAILED PostgreSQL HOST:PORT/DB: DETAIL
  absl::Status Error(absl::StatusCode code, absl::string_view failed,
                     absl::string_view detail) const {
    return absl::Status(
        code, absl::StrCat("store \"", store, "\": ", failed, " PostgreSQL ",
                           url.target, ": ",
                           ScrubSecrets(OneLine(detail), url.secrets)));
  }
};

// The canonical code for a server error. Unavailable means "try again
// later, maybe elsewhere"; the connection is also dropped when the server
// said it is going away or cannot take this kind of statement.
absl::StatusCode CodeForSqlState(absl::string_view sqlstate,
                                 bool* drop_connection) {
  *drop_connection = false;
  if (sqlstate.empty() ||                   // libpq's own: connection lost
      absl::StartsWith(sqlstate, "08") ||   // connection exception
      absl::StartsWith(sqlstate, "57P") ||  // admin/crash shutdown, cannot
                                            // connect now, database dropped
      sqlstate == "25006") {  // read-only transaction: a standby after a
                              // failover; reconnecting finds the primary
    *drop_connection = true;
    return absl::StatusCode::kUnavailable;
  }
  if (absl::StartsWith(sqlstate, "53") ||  // insufficient resources
      sqlstate == "57014" ||               // statement_timeout
      sqlstate == "40001" ||               // serialization failure
      sqlstate == "40P01" ||               // deadlock
      sqlstate == "55P03") {               // lock not available
    return absl::StatusCode::kUnavailable;
  }
  return absl::StatusCode::kInternal;
}

// The statements every connection prepares once, right after connecting.
// Parameters are sent and results received in binary, so bytea needs no
// escaping. `$table` is replaced by the quoted table name.
enum StatementId {
  kGet,
  kSet,
  kDelete,
  kExists,
  kListFirst,
  kListAfter,
  kStatementCount
};

struct StatementDef {
  const char* name;
  const char* sql;
  int params;  // $1 store text, then bytea.
};

constexpr std::array<StatementDef, kStatementCount> kStatements = {{
    {"kvd_get", "SELECT value FROM $table WHERE store = $1 AND key = $2", 2},
    // Committed when it returns (autocommit), with the server's durability
    // (synchronous_commit).
    {"kvd_set",
     "INSERT INTO $table (store, key, value) VALUES ($1, $2, $3) "
     "ON CONFLICT (store, key) DO UPDATE SET value = EXCLUDED.value",
     3},
    {"kvd_delete", "DELETE FROM $table WHERE store = $1 AND key = $2", 2},
    {"kvd_exists", "SELECT 1 FROM $table WHERE store = $1 AND key = $2", 2},
    // Keyset pages over the primary key: each page is one short statement,
    // so no transaction or connection is held while the caller visits keys.
    {"kvd_list_first",
     "SELECT key FROM $table WHERE store = $1 ORDER BY key LIMIT 1000", 1},
    {"kvd_list_after",
     "SELECT key FROM $table WHERE store = $1 AND key > $2 "
     "ORDER BY key LIMIT 1000",
     2},
}};
static_assert(kListPageSize == 1000, "update the LIMITs above");

// One libpq connection, in non-blocking mode: every wait goes through
// poll() with the call's deadline, so no call outlives it however the
// server or the network misbehaves. Not thread-safe; the pool lends it to
// one caller at a time.
class Connection {
 public:
  // Connects to `ctx.url` and sets statement_timeout, before `deadline`.
  static absl::StatusOr<std::unique_ptr<Connection>> Connect(
      const Context& ctx, absl::Time deadline);

  // Prepares kStatements; once per connection, once the table exists.
  absl::Status PrepareStatements(absl::Time deadline);

  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() { PQfinish(conn_); }  // Non-blocking: never waits.

  // Runs prepared statement `id` with binary `params` (the first is sent
  // as text, the rest as bytea) and returns its binary result.
  absl::StatusOr<Result> RunPrepared(
      StatementId id, std::initializer_list<absl::string_view> params,
      absl::Time deadline, absl::string_view failed) {
    std::vector<const char*> values;
    std::vector<int> lengths;
    std::vector<int> formats(params.size(), 1);
    for (absl::string_view param : params) {
      // A null pointer would be SQL NULL; an empty value is not.
      values.push_back(param.empty() ? "" : param.data());
      lengths.push_back(static_cast<int>(param.size()));
    }
    if (!PQsendQueryPrepared(conn_, kStatements[id].name,
                             static_cast<int>(params.size()), values.data(),
                             lengths.data(), formats.data(),
                             /*resultFormat=*/1)) {
      return Lost(failed, PQerrorMessage(conn_));
    }
    return Finish(deadline, failed);
  }

  // Runs one SQL statement with text `params` and returns its text result.
  absl::StatusOr<Result> Run(const std::string& sql,
                             const std::vector<std::string>& params,
                             absl::Time deadline, absl::string_view failed) {
    std::vector<const char*> values;
    for (const std::string& param : params) values.push_back(param.c_str());
    if (!PQsendQueryParams(conn_, sql.c_str(), static_cast<int>(params.size()),
                           /*paramTypes=*/nullptr, values.data(),
                           /*paramLengths=*/nullptr, /*paramFormats=*/nullptr,
                           /*resultFormat=*/0)) {
      return Lost(failed, PQerrorMessage(conn_));
    }
    return Finish(deadline, failed);
  }

  // True once the connection must not be used again: it failed, timed out,
  // or was left in an unknown state.
  bool broken() const { return broken_ || PQstatus(conn_) != CONNECTION_OK; }
  void MarkBroken() { broken_ = true; }

  // Checks an idle connection before reuse. An idle connection has nothing
  // to read; if it does, the server closed it or said it is going away
  // (e.g. it restarted), so it is replaced rather than failing a call.
  bool LooksDead() {
    if (broken()) return true;
    pollfd fd{PQsocket(conn_), POLLIN, 0};
    return fd.fd < 0 || poll(&fd, 1, 0) != 0;
  }

 private:
  Connection(const Context& ctx, PGconn* conn) : ctx_(ctx), conn_(conn) {}

  // The connection can no longer be trusted: Unavailable.
  absl::Status Lost(absl::string_view failed, absl::string_view detail) {
    broken_ = true;
    return ctx_.Error(absl::StatusCode::kUnavailable, failed, detail);
  }

  // Waits until the socket is ready for `events`. At the deadline the
  // connection is given up: its state (a statement half sent, or still
  // running) is unknown, and the server cancels the statement itself
  // (statement_timeout) or notices the closed socket.
  absl::Status Wait(short events, absl::Time deadline,
                    absl::string_view failed) {
    while (true) {
      const int fd = PQsocket(conn_);
      if (fd < 0) return Lost(failed, "the connection has no socket");
      const absl::Duration left = deadline - absl::Now();
      if (left <= absl::ZeroDuration()) {
        return Lost(failed, absl::StrCat("no answer within ",
                                         absl::FormatDuration(ctx_.timeout)));
      }
      pollfd pfd{fd, events, 0};
      const int64_t ms = std::min<int64_t>(
          absl::ToInt64Milliseconds(absl::Ceil(left, absl::Milliseconds(1))),
          INT_MAX);
      const int rc = poll(&pfd, 1, static_cast<int>(ms));
      if (rc > 0) return absl::OkStatus();
      if (rc < 0 && errno != EINTR) {
        return Lost(
            failed,
            absl::StrCat(
                "poll: ",
                std::error_code(errno, std::generic_category()).message()));
      }
    }
  }

  // Sends what libpq has buffered, then collects every result of the
  // command. Returns the last successful result or the first error.
  absl::StatusOr<Result> Finish(absl::Time deadline, absl::string_view failed) {
    while (true) {
      const int rc = PQflush(conn_);
      if (rc == 0) break;
      if (rc < 0) return Lost(failed, PQerrorMessage(conn_));
      KV_RETURN_IF_ERROR(Wait(POLLIN | POLLOUT, deadline, failed));
      // The server may be waiting for us to read before it reads more.
      if (!PQconsumeInput(conn_)) return Lost(failed, PQerrorMessage(conn_));
    }
    Result last;
    absl::Status error;
    while (true) {
      while (PQisBusy(conn_)) {
        KV_RETURN_IF_ERROR(Wait(POLLIN, deadline, failed));
        if (!PQconsumeInput(conn_)) return Lost(failed, PQerrorMessage(conn_));
      }
      Result result(PQgetResult(conn_));
      if (result == nullptr) break;
      switch (PQresultStatus(result.get())) {
        case PGRES_COMMAND_OK:
        case PGRES_TUPLES_OK:
        case PGRES_EMPTY_QUERY:
          last = std::move(result);
          break;
        case PGRES_COPY_IN:
        case PGRES_COPY_OUT:
        case PGRES_COPY_BOTH:
          // kvd never copies; the protocol state is unknown.
          return Lost(failed, "unexpected COPY state");
        default:
          if (error.ok()) error = ResultError(result.get(), failed);
          break;
      }
    }
    if (PQstatus(conn_) != CONNECTION_OK) broken_ = true;
    if (!error.ok()) return error;
    if (last == nullptr) {
      broken_ = true;
      return ctx_.Error(absl::StatusCode::kInternal, failed,
                        "the server sent no result");
    }
    return last;
  }

  // The status for a failed result: the server's message and SQLSTATE, or
  // libpq's message when the connection broke.
  absl::Status ResultError(const PGresult* result, absl::string_view failed) {
    const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
    const std::string sqlstate = state != nullptr ? state : "";
    const char* primary = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
    std::string detail =
        primary != nullptr ? primary : PQresultErrorMessage(result);
    if (!sqlstate.empty())
      absl::StrAppend(&detail, " (SQLSTATE ", sqlstate, ")");
    bool drop = false;
    const absl::StatusCode code = CodeForSqlState(sqlstate, &drop);
    if (drop) broken_ = true;
    return ctx_.Error(code, failed, detail);
  }

  const Context& ctx_;
  PGconn* const conn_;
  bool broken_ = false;
};

absl::Status Connection::PrepareStatements(absl::Time deadline) {
  constexpr absl::string_view kFailed = "cannot prepare statements on";
  for (const StatementDef& statement : kStatements) {
    const std::string sql =
        absl::StrReplaceAll(statement.sql, {{"$table", ctx_.quoted_table}});
    const Oid types[] = {kTextOid, kByteaOid, kByteaOid};
    if (!PQsendPrepare(conn_, statement.name, sql.c_str(), statement.params,
                       types)) {
      return Lost(kFailed, PQerrorMessage(conn_));
    }
    KV_RETURN_IF_ERROR(Finish(deadline, kFailed).status());
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Connection>> Connection::Connect(
    const Context& ctx, absl::Time deadline) {
  constexpr absl::string_view kFailed = "cannot connect to";
  // libpq enforces connect_timeout only when it blocks; the deadline below
  // is what holds here. Set anyway: at least 2 s is libpq's own floor.
  const std::string connect_timeout = absl::StrCat(std::max<int64_t>(
      2, absl::ToInt64Seconds(absl::Ceil(ctx.timeout, absl::Seconds(1)))));
  // Later keywords override the URL's parameters (expand_dbname = 1).
  const char* const keywords[] = {"dbname", "connect_timeout",
                                  "fallback_application_name", nullptr};
  const char* const values[] = {ctx.url.url.c_str(), connect_timeout.c_str(),
                                "kvd", nullptr};
  PGconn* conn = PQconnectStartParams(keywords, values, /*expand_dbname=*/1);
  if (conn == nullptr) {
    return ctx.Error(absl::StatusCode::kResourceExhausted, kFailed,
                     "libpq is out of memory");
  }
  auto connection = absl::WrapUnique(new Connection(ctx, conn));
  // libpq prints server notices and warnings (e.g. "terminating connection
  // due to immediate shutdown") to stderr by default. The errors that matter
  // reach the caller as statuses; store/ writes nothing to stderr.
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  if (PQstatus(conn) == CONNECTION_BAD) {
    return ctx.Error(absl::StatusCode::kUnavailable, kFailed,
                     PQerrorMessage(conn));
  }
  // As the libpq manual says: before the first PQconnectPoll, behave as if
  // it returned PGRES_POLLING_WRITING.
  PostgresPollingStatusType state = PGRES_POLLING_WRITING;
  while (state != PGRES_POLLING_OK) {
    if (state == PGRES_POLLING_FAILED) {
      return ctx.Error(absl::StatusCode::kUnavailable, kFailed,
                       PQerrorMessage(conn));
    }
    KV_RETURN_IF_ERROR(connection->Wait(
        state == PGRES_POLLING_READING ? POLLIN : POLLOUT, deadline, kFailed));
    state = PQconnectPoll(conn);
  }
  if (PQsetnonblocking(conn, 1) != 0) {
    return ctx.Error(absl::StatusCode::kInternal, kFailed,
                     PQerrorMessage(conn));
  }
  if (PQserverVersion(conn) < 90500) {
    return ctx.Error(absl::StatusCode::kFailedPrecondition, kFailed,
                     absl::StrCat("server version ", PQserverVersion(conn),
                                  " is older than 9.5, which kvd needs for "
                                  "INSERT ... ON CONFLICT"));
  }

  // The server gives up on a statement when the client would anyway.
  KV_RETURN_IF_ERROR(
      connection
          ->Run(absl::StrCat("SET statement_timeout = ",
                             std::max<int64_t>(
                                 1, absl::ToInt64Milliseconds(ctx.timeout))),
                {}, deadline, "cannot configure a connection to")
          .status());
  return connection;
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

  absl::StatusOr<std::string> Get(absl::string_view key) override {
    constexpr absl::string_view kFailed = "cannot read from";
    const absl::Time deadline = absl::Now() + context_.timeout;
    KV_ASSIGN_OR_RETURN(Lease lease, Acquire(deadline, kFailed));
    KV_ASSIGN_OR_RETURN(
        Result result,
        lease->RunPrepared(kGet, {context_.store, key}, deadline, kFailed));
    if (PQntuples(result.get()) == 0) {
      return absl::NotFoundError(
          absl::StrCat("store \"", context_.store, "\": key not found"));
    }
    return std::string(PQgetvalue(result.get(), 0, 0),
                       PQgetlength(result.get(), 0, 0));
  }

  absl::Status Set(absl::string_view key, absl::string_view value) override {
    constexpr absl::string_view kFailed = "cannot write to";
    const absl::Time deadline = absl::Now() + context_.timeout;
    KV_ASSIGN_OR_RETURN(Lease lease, Acquire(deadline, kFailed));
    return lease
        ->RunPrepared(kSet, {context_.store, key, value}, deadline, kFailed)
        .status();
  }

  absl::Status Delete(absl::string_view key) override {
    constexpr absl::string_view kFailed = "cannot delete from";
    const absl::Time deadline = absl::Now() + context_.timeout;
    KV_ASSIGN_OR_RETURN(Lease lease, Acquire(deadline, kFailed));
    return lease->RunPrepared(kDelete, {context_.store, key}, deadline, kFailed)
        .status();
  }

  absl::StatusOr<bool> Exists(absl::string_view key) override {
    constexpr absl::string_view kFailed = "cannot read from";
    const absl::Time deadline = absl::Now() + context_.timeout;
    KV_ASSIGN_OR_RETURN(Lease lease, Acquire(deadline, kFailed));
    KV_ASSIGN_OR_RETURN(
        Result result,
        lease->RunPrepared(kExists, {context_.store, key}, deadline, kFailed));
    return PQntuples(result.get()) > 0;
  }

  // Pages of kListPageSize keys, each fetched after the last key of the one
  // before. The connection goes back to the pool before `visit` runs, so
  // `visit` may call the driver, and a slow caller holds nothing.
  absl::Status ListKeys(
      absl::FunctionRef<bool(absl::string_view key)> visit) override {
    constexpr absl::string_view kFailed = "cannot list keys of";
    std::vector<std::string> page;
    std::string after;
    for (bool first = true;; first = false) {
      page.clear();
      {
        const absl::Time deadline = absl::Now() + context_.timeout;
        KV_ASSIGN_OR_RETURN(Lease lease, Acquire(deadline, kFailed));
        KV_ASSIGN_OR_RETURN(
            Result result,
            first ? lease->RunPrepared(kListFirst, {context_.store}, deadline,
                                       kFailed)
                  : lease->RunPrepared(kListAfter, {context_.store, after},
                                       deadline, kFailed));
        const int rows = PQntuples(result.get());
        page.reserve(rows);
        for (int row = 0; row < rows; ++row) {
          page.emplace_back(PQgetvalue(result.get(), row, 0),
                            PQgetlength(result.get(), row, 0));
        }
      }
      for (const std::string& key : page) {
        if (!visit(key)) return absl::OkStatus();
      }
      if (page.size() < static_cast<size_t>(kListPageSize)) {
        return absl::OkStatus();
      }
      after = std::move(page.back());
    }
  }

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

  absl::Status SetUpSchema(Connection& connection, absl::Time deadline);
  absl::Status SetUpSchemaInTransaction(Connection& connection,
                                        absl::Time deadline);

  const Context context_;
  const int pool_size_;
  absl::Mutex mutex_;
  absl::CondVar slot_freed_;  // Signalled when in_use_ drops.
  // Leased connections and slots being connected.
  int in_use_ ABSL_GUARDED_BY(mutex_) = 0;
  std::vector<std::unique_ptr<Connection>> idle_ ABSL_GUARDED_BY(mutex_);
};

absl::Status PostgresDriver::SetUpSchemaInTransaction(Connection& connection,
                                                      absl::Time deadline) {
  constexpr absl::string_view kFailed = "cannot set up the schema in";
  auto run = [&](const std::string& sql,
                 const std::vector<std::string>& params = {}) {
    return connection.Run(sql, params, deadline, kFailed);
  };
  // Held until COMMIT or ROLLBACK: another kvd doing the same waits here.
  KV_RETURN_IF_ERROR(
      run(absl::StrCat("SELECT pg_advisory_xact_lock(", kSchemaLockKey, ")"))
          .status());
  // to_regclass first: CREATE TABLE IF NOT EXISTS would need the CREATE
  // privilege even when the table exists.
  KV_ASSIGN_OR_RETURN(
      Result schema_table,
      run("SELECT to_regclass($1) IS NOT NULL", {std::string(kSchemaTable)}));
  if (std::string(PQgetvalue(schema_table.get(), 0, 0)) != "t") {
    KV_RETURN_IF_ERROR(run(absl::StrCat("CREATE TABLE ", kSchemaTable,
                                        " (table_name text PRIMARY KEY, "
                                        "version integer NOT NULL)"))
                           .status());
  }
  KV_ASSIGN_OR_RETURN(Result version,
                      run(absl::StrCat("SELECT version FROM ", kSchemaTable,
                                       " WHERE table_name = $1"),
                          {context_.table}));
  if (PQntuples(version.get()) > 0) {
    int recorded = 0;
    if (!absl::SimpleAtoi(PQgetvalue(version.get(), 0, 0), &recorded) ||
        recorded < 1) {
      return context_.Error(
          absl::StatusCode::kFailedPrecondition, "cannot use",
          absl::StrCat("table ", context_.table, " has schema version \"",
                       PQgetvalue(version.get(), 0, 0), "\" in ", kSchemaTable,
                       ", which no kvd writes"));
    }
    if (recorded > kPostgresSchemaVersion) {
      return context_.Error(
          absl::StatusCode::kFailedPrecondition, "cannot use",
          absl::StrCat("table ", context_.table, " has schema version ",
                       recorded, " but this kvd supports only up to ",
                       kPostgresSchemaVersion,
                       "; use the newer kvd that wrote it"));
    }
    // Later versions migrate here: `if (recorded < 2) { ...; }`.
    return absl::OkStatus();
  }
  // No version: only a missing table is ours to create. Refusing an
  // existing one keeps kvd out of a table it does not know.
  KV_ASSIGN_OR_RETURN(Result kv_table, run("SELECT to_regclass($1) IS NOT NULL",
                                           {context_.quoted_table}));
  if (std::string(PQgetvalue(kv_table.get(), 0, 0)) == "t") {
    return context_.Error(
        absl::StatusCode::kFailedPrecondition, "cannot use",
        absl::StrCat("table ", context_.table,
                     " exists but is not a kvd table (it has no row in ",
                     kSchemaTable, "); set field table to another name"));
  }
  KV_RETURN_IF_ERROR(
      run(absl::StrCat("CREATE TABLE ", context_.quoted_table,
                       " (store text NOT NULL, key bytea NOT NULL, "
                       "value bytea NOT NULL, PRIMARY KEY (store, key))"))
          .status());
  KV_RETURN_IF_ERROR(run(absl::StrCat("INSERT INTO ", kSchemaTable,
                                      " (table_name, version) VALUES ($1, ",
                                      kPostgresSchemaVersion, ")"),
                         {context_.table})
                         .status());
  return absl::OkStatus();
}

absl::Status PostgresDriver::SetUpSchema(Connection& connection,
                                         absl::Time deadline) {
  constexpr absl::string_view kFailed = "cannot set up the schema in";
  KV_RETURN_IF_ERROR(connection.Run("BEGIN", {}, deadline, kFailed).status());
  absl::Status status = SetUpSchemaInTransaction(connection, deadline);
  if (!status.ok()) {
    if (!connection.broken() &&
        !connection.Run("ROLLBACK", {}, deadline, kFailed).ok()) {
      connection.MarkBroken();
    }
    return status;
  }
  return connection.Run("COMMIT", {}, deadline, kFailed).status();
}

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
  KV_RETURN_IF_ERROR(driver->SetUpSchema(*connection, deadline));
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
    if (!IsPlainIdentifier(table->second) || table->second == kSchemaTable) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, "field table is \"", table->second,
          "\"; use 1 to 63 lowercase letters, digits and underscores, not "
          "starting with a digit (and not \"",
          kSchemaTable, "\")"));
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
