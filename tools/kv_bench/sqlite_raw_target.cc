#include "tools/kv_bench/sqlite_raw_target.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace kv {
namespace bench {
namespace {

std::string SqliteError(int code) {
  return absl::StrCat("SQLITE/", sqlite3_errstr(code));
}

}  // namespace

struct SqliteRawTarget::Connection {
  ~Connection() {
    for (sqlite3_stmt* statement : {get, set, exists, keys}) {
      sqlite3_finalize(statement);
    }
    sqlite3_close_v2(db);
  }

  // Runs `sql` (no results); an error label or "".
  std::string Exec(const char* sql) {
    const int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
    return rc == SQLITE_OK ? "" : SqliteError(rc);
  }

  sqlite3* db = nullptr;
  sqlite3_stmt* get = nullptr;
  sqlite3_stmt* set = nullptr;
  sqlite3_stmt* exists = nullptr;
  sqlite3_stmt* keys = nullptr;
  int pending = 0;    // upserts in the open transaction
  std::string value;  // the value being written (stamped copy)
};

SqliteRawTarget::SqliteRawTarget(std::string path, int batch, bool fsync)
    : path_(std::move(path)), batch_(batch), fsync_(fsync) {}

SqliteRawTarget::~SqliteRawTarget() = default;

absl::Status SqliteRawTarget::Prepare(int slots) {
  for (int slot = 0; slot < slots; ++slot) {
    auto connection = std::make_unique<Connection>();
    int rc = sqlite3_open_v2(
        path_.c_str(), &connection->db,
        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
        nullptr);
    auto fail = [&](const std::string& what) {
      return absl::UnavailableError(absl::StrCat(
          "sqlite-raw ", path_, ": ", what, ": ",
          connection->db ? sqlite3_errmsg(connection->db) : "out of memory"));
    };
    if (rc != SQLITE_OK) return fail("cannot open");
    sqlite3_busy_timeout(connection->db, 60000);
    const std::string setup =
        absl::StrCat("PRAGMA journal_mode=WAL; PRAGMA synchronous=",
                     fsync_ ? "FULL" : "NORMAL",
                     "; CREATE TABLE IF NOT EXISTS kv(key BLOB PRIMARY KEY, "
                     "value BLOB NOT NULL) WITHOUT ROWID;");
    if (!connection->Exec(setup.c_str()).empty()) return fail("cannot set up");
    const std::pair<const char*, sqlite3_stmt**> statements[] = {
        {"SELECT value FROM kv WHERE key = ?1", &connection->get},
        {"INSERT INTO kv(key, value) VALUES(?1, ?2) "
         "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
         &connection->set},
        {"SELECT 1 FROM kv WHERE key = ?1", &connection->exists},
        {"SELECT key FROM kv ORDER BY key", &connection->keys},
    };
    for (const auto& [sql, statement] : statements) {
      if (sqlite3_prepare_v3(connection->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
                             statement, nullptr) != SQLITE_OK) {
        return fail(absl::StrCat("cannot prepare \"", sql, "\""));
      }
    }
    connections_.push_back(std::move(connection));
  }
  return absl::OkStatus();
}

absl::Status SqliteRawTarget::Supports(Operation operation) const {
  if (operation == Operation::kNoop || IsKvdOnly(operation)) {
    return absl::InvalidArgumentError(
        absl::StrCat("sqlite-raw has no ", OperationName(operation),
                     "; use it with get, set, mixed, exists or get_keys"));
  }
  return absl::OkStatus();
}

void SqliteRawTarget::StartCall(int slot, Operation operation,
                                const std::string& key,
                                const std::string& value, uint64_t version,
                                Done done) {
  done(CallSync(slot, operation, key, value, version));
}

Outcome SqliteRawTarget::CallSync(int slot, Operation operation,
                                  const std::string& key,
                                  const std::string& value, uint64_t version) {
  Connection& c = *connections_[slot];
  Outcome outcome;
  switch (operation) {
    case Operation::kGet:
    case Operation::kExists: {
      sqlite3_stmt* statement = operation == Operation::kGet ? c.get : c.exists;
      sqlite3_bind_blob(statement, 1, key.data(), key.size(), SQLITE_STATIC);
      const int rc = sqlite3_step(statement);
      if (rc == SQLITE_ROW) {
        if (operation == Operation::kGet) {
          // Copy the value out, as any reader of it would.
          std::string copy(
              static_cast<const char*>(sqlite3_column_blob(statement, 0)),
              sqlite3_column_bytes(statement, 0));
        }
      } else if (rc == SQLITE_DONE) {
        if (operation == Operation::kGet) outcome.error = "NOT_FOUND";
      } else {
        outcome.error = SqliteError(rc);
      }
      sqlite3_reset(statement);
      sqlite3_clear_bindings(statement);
      return outcome;
    }
    case Operation::kGetKeys: {
      int rc;
      while ((rc = sqlite3_step(c.keys)) == SQLITE_ROW) {
        std::string copy(
            static_cast<const char*>(sqlite3_column_blob(c.keys, 0)),
            sqlite3_column_bytes(c.keys, 0));
      }
      if (rc != SQLITE_DONE) outcome.error = SqliteError(rc);
      sqlite3_reset(c.keys);
      return outcome;
    }
    case Operation::kSet: {
      if (batch_ > 1 && c.pending == 0) {
        outcome.error = c.Exec("BEGIN IMMEDIATE");
        if (!outcome.error.empty()) return outcome;
      }
      sqlite3_bind_blob(c.set, 1, key.data(), key.size(), SQLITE_STATIC);
      c.value = value;
      StampVersion(version, c.value);
      sqlite3_bind_blob(c.set, 2, c.value.data(), c.value.size(),
                        SQLITE_STATIC);
      const int rc = sqlite3_step(c.set);
      if (rc != SQLITE_DONE) outcome.error = SqliteError(rc);
      sqlite3_reset(c.set);
      sqlite3_clear_bindings(c.set);
      if (batch_ > 1 && ++c.pending >= batch_) {
        c.pending = 0;
        if (outcome.error.empty()) outcome.error = c.Exec("COMMIT");
      }
      return outcome;
    }
    case Operation::kNoop:
    case Operation::kIncrement:
    case Operation::kGetMany:
    case Operation::kSetMany:
    case Operation::kConditionalSet:
    case Operation::kList:
      return Outcome{"UNIMPLEMENTED"};
  }
  return outcome;
}

absl::Status SqliteRawTarget::Finish() {
  for (auto& connection : connections_) {
    if (connection->pending == 0) continue;
    connection->pending = 0;
    const std::string error = connection->Exec("COMMIT");
    if (!error.empty()) {
      return absl::UnavailableError(
          absl::StrCat("sqlite-raw ", path_, ": final COMMIT: ", error));
    }
  }
  return absl::OkStatus();
}

}  // namespace bench
}  // namespace kv
