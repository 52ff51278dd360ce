#include "store/postgres/postgres_connection.h"

#include <errno.h>
#include <poll.h>
#include <postgresql/libpq-fe.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <memory>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/memory/memory.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "store/postgres/postgres_url.h"
#include "store/status_macros.h"

namespace kv::postgres {
namespace {

// libpq messages span lines ("...failed: Connection refused\n\tIs the
// server running..."); a status message is one line.
std::string OneLine(absl::string_view text) {
  return absl::StrJoin(
      absl::StrSplit(text, absl::ByAnyChar(" \t\r\n"), absl::SkipEmpty()), " ");
}

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

}  // namespace

absl::Status Context::Error(absl::StatusCode code, absl::string_view failed,
                            absl::string_view detail) const {
  return absl::Status(
      code, absl::StrCat("store \"", store, "\": ", failed, " PostgreSQL ",
                         url.target, ": ",
                         ScrubSecrets(OneLine(detail), url.secrets)));
}

absl::Status Connection::PrepareStatements(absl::Time deadline) {
  constexpr absl::string_view kFailed = "cannot prepare statements on";
  for (int id = 0; id < kStatementCount; ++id) {
    const StatementDef& statement = Statement(static_cast<StatementId>(id));
    const std::string sql = StatementSql(static_cast<StatementId>(id),
                                         ctx_.quoted_table, ctx_.sequence);
    if (!PQsendPrepare(conn_, statement.name, sql.c_str(), statement.params,
                       statement.types)) {
      return Lost(kFailed, PQerrorMessage(conn_));
    }
    KV_RETURN_IF_ERROR(Finish(deadline, kFailed).status());
  }
  return absl::OkStatus();
}

absl::StatusOr<Result> Connection::RunPrepared(
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
  if (!PQsendQueryPrepared(conn_, Statement(id).name,
                           static_cast<int>(params.size()), values.data(),
                           lengths.data(), formats.data(),
                           /*resultFormat=*/1)) {
    return Lost(failed, PQerrorMessage(conn_));
  }
  return Finish(deadline, failed);
}

absl::StatusOr<Result> Connection::Run(const std::string& sql,
                                       const std::vector<std::string>& params,
                                       absl::Time deadline,
                                       absl::string_view failed) {
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

bool Connection::LooksDead() {
  if (broken()) return true;
  pollfd fd{PQsocket(conn_), POLLIN, 0};
  return fd.fd < 0 || poll(&fd, 1, 0) != 0;
}

absl::Status Connection::Lost(absl::string_view failed,
                              absl::string_view detail) {
  broken_ = true;
  return ctx_.Error(absl::StatusCode::kUnavailable, failed, detail);
}

absl::Status Connection::Wait(short events, absl::Time deadline,
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

absl::StatusOr<Result> Connection::Finish(absl::Time deadline,
                                          absl::string_view failed) {
  last_sqlstate_.clear();
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

absl::Status Connection::ResultError(const PGresult* result,
                                     absl::string_view failed) {
  const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
  const std::string sqlstate = state != nullptr ? state : "";
  last_sqlstate_ = sqlstate;
  const char* primary = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
  std::string detail =
      primary != nullptr ? primary : PQresultErrorMessage(result);
  if (!sqlstate.empty()) absl::StrAppend(&detail, " (SQLSTATE ", sqlstate, ")");
  bool drop = false;
  const absl::StatusCode code = CodeForSqlState(sqlstate, &drop);
  if (drop) broken_ = true;
  return ctx_.Error(code, failed, detail);
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

absl::StatusOr<int64_t> BigintField(const Context& ctx, const PGresult* result,
                                    int row, int column,
                                    absl::string_view failed) {
  if (PQgetisnull(result, row, column) ||
      PQgetlength(result, row, column) != 8) {
    return ctx.Error(absl::StatusCode::kInternal, failed,
                     absl::StrCat("the server sent a column ", column,
                                  " that is not a bigint"));
  }
  const unsigned char* bytes =
      reinterpret_cast<const unsigned char*>(PQgetvalue(result, row, column));
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value = (value << 8) | bytes[i];
  return static_cast<int64_t>(value);
}

std::string BigintParam(int64_t value) {
  std::string out(8, '\0');
  const uint64_t bits = static_cast<uint64_t>(value);
  for (int i = 0; i < 8; ++i) {
    out[i] = static_cast<char>((bits >> (56 - 8 * i)) & 0xff);
  }
  return out;
}

std::string ByteaArray(absl::Span<const absl::string_view> values) {
  std::string out;
  auto put32 = [&out](uint32_t value) {
    for (int shift = 24; shift >= 0; shift -= 8) {
      out.push_back(static_cast<char>((value >> shift) & 0xff));
    }
  };
  // Header: dimensions, has-nulls flag, element type; then per dimension
  // its length and lower bound; then each element as length + bytes.
  put32(values.empty() ? 0 : 1);
  put32(0);
  put32(kByteaOid);
  if (!values.empty()) {
    put32(static_cast<uint32_t>(values.size()));
    put32(1);
  }
  for (absl::string_view value : values) {
    put32(static_cast<uint32_t>(value.size()));
    out.append(value.data(), value.size());
  }
  return out;
}

}  // namespace kv::postgres
