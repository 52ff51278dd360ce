#ifndef KV_STORE_POSTGRES_POSTGRES_CONNECTION_H_
#define KV_STORE_POSTGRES_POSTGRES_CONNECTION_H_

// One libpq connection of the postgres driver, the statements it prepares,
// and the error mapping every call shares. Internal to store/postgres/.

#include <postgresql/libpq-fe.h>

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "store/postgres/postgres_statements.h"
#include "store/postgres/postgres_url.h"

namespace kv::postgres {

struct ResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
using Result = std::unique_ptr<PGresult, ResultDeleter>;

// What every message of one store says, the secrets it must not say, and
// the names its SQL uses.
struct Context {
  std::string store;
  PostgresUrl url;
  absl::Duration timeout;
  std::string table;         // As configured: a plain identifier.
  std::string quoted_table;  // For SQL text.
  // The store's revision sequence (kvd_rev_N, see postgres_schema.h). Set
  // once by PostgresDriver::Open, before any statement is prepared.
  std::string sequence;

  // store "NAME": FAILED PostgreSQL HOST:PORT/DB: DETAIL
  absl::Status Error(absl::StatusCode code, absl::string_view failed,
                     absl::string_view detail) const;
};

// One libpq connection, in non-blocking mode: every wait goes through
// poll() with the call's deadline, so no call outlives it however the
// server or the network misbehaves. Not thread-safe; the pool lends it to
// one caller at a time.
class Connection {
 public:
  // Connects to `ctx.url` and sets statement_timeout, before `deadline`.
  // `ctx` must outlive the connection.
  static absl::StatusOr<std::unique_ptr<Connection>> Connect(
      const Context& ctx, absl::Time deadline);

  // Prepares the statements; once per connection, once the table and the
  // store's sequence exist.
  absl::Status PrepareStatements(absl::Time deadline);

  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() { PQfinish(conn_); }  // Non-blocking: never waits.

  // Runs prepared statement `id` with binary `params` (text, bytea, bigint
  // or bytea[] in the binary wire format, as the statement declares them) and
  // returns its binary result.
  absl::StatusOr<Result> RunPrepared(
      StatementId id, std::initializer_list<absl::string_view> params,
      absl::Time deadline, absl::string_view failed);

  // Runs one SQL statement with text `params` and returns its text result.
  absl::StatusOr<Result> Run(const std::string& sql,
                             const std::vector<std::string>& params,
                             absl::Time deadline, absl::string_view failed);

  // True once the connection must not be used again: it failed, timed out,
  // or was left in an unknown state.
  bool broken() const { return broken_ || PQstatus(conn_) != CONNECTION_OK; }
  void MarkBroken() { broken_ = true; }

  // The SQLSTATE of the last statement's error ("" if it had none): the
  // caller may retry a transaction the server aborted to break a deadlock
  // (40P01).
  const std::string& last_sqlstate() const { return last_sqlstate_; }

  // Checks an idle connection before reuse. An idle connection has nothing
  // to read; if it does, the server closed it or said it is going away
  // (e.g. it restarted), so it is replaced rather than failing a call.
  bool LooksDead();

 private:
  Connection(const Context& ctx, PGconn* conn) : ctx_(ctx), conn_(conn) {}

  // The connection can no longer be trusted: Unavailable.
  absl::Status Lost(absl::string_view failed, absl::string_view detail);

  // Waits until the socket is ready for `events`. At the deadline the
  // connection is given up: its state (a statement half sent, or still
  // running) is unknown, and the server cancels the statement itself
  // (statement_timeout) or notices the closed socket.
  absl::Status Wait(short events, absl::Time deadline,
                    absl::string_view failed);

  // Sends what libpq has buffered, then collects every result of the
  // command. Returns the last successful result or the first error.
  absl::StatusOr<Result> Finish(absl::Time deadline, absl::string_view failed);

  // The status for a failed result: the server's message and SQLSTATE, or
  // libpq's message when the connection broke.
  absl::Status ResultError(const PGresult* result, absl::string_view failed);

  const Context& ctx_;
  PGconn* const conn_;
  bool broken_ = false;
  std::string last_sqlstate_;
};

// Runs `body` between BEGIN and COMMIT on `connection`. If `body` or COMMIT
// fails, the transaction is rolled back (or the connection marked broken if
// even that fails) and the first error is returned.
template <typename Body>
absl::Status InTransaction(Connection& connection, absl::Time deadline,
                           absl::string_view failed, Body body) {
  absl::Status status = connection.Run("BEGIN", {}, deadline, failed).status();
  if (!status.ok()) return status;
  status = body();
  if (status.ok()) {
    return connection.Run("COMMIT", {}, deadline, failed).status();
  }
  if (!connection.broken() &&
      !connection.Run("ROLLBACK", {}, deadline, failed).ok()) {
    connection.MarkBroken();
  }
  return status;
}

// Field `column` of `row` of a binary result: a bigint, or Internal if it is
// NULL or not 8 bytes.
absl::StatusOr<int64_t> BigintField(const Context& ctx, const PGresult* result,
                                    int row, int column,
                                    absl::string_view failed);

// A field of a binary result, as bytes.
inline absl::string_view BytesField(const PGresult* result, int row,
                                    int column) {
  return absl::string_view(PQgetvalue(result, row, column),
                           PQgetlength(result, row, column));
}

// `value` as a bigint parameter in the binary wire format.
std::string BigintParam(int64_t value);

// `values` as a one-dimensional bytea[] in PostgreSQL's binary array format.
std::string ByteaArray(absl::Span<const absl::string_view> values);

}  // namespace kv::postgres

#endif  // KV_STORE_POSTGRES_POSTGRES_CONNECTION_H_
