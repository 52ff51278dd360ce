#include "store/postgres/postgres_schema.h"

#include <postgresql/libpq-fe.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "store/postgres/postgres_connection.h"
#include "store/status_macros.h"

namespace kv::postgres {
namespace {

// The transaction-level advisory lock every kvd holds while it checks,
// creates or upgrades the schema, so two processes never both try to. Any
// fixed number will do; this one spells "kvd_sch".
constexpr int64_t kSchemaLockKey = 0x6b76645f736368;

constexpr absl::string_view kFailed = "cannot set up the schema in";

// Runs schema statements (text parameters and results) on one connection.
class SchemaSession {
 public:
  SchemaSession(Connection& connection, const Context& ctx, absl::Time deadline)
      : connection_(connection), ctx_(ctx), deadline_(deadline) {}

  absl::StatusOr<Result> Run(const std::string& sql,
                             const std::vector<std::string>& params = {}) {
    return connection_.Run(sql, params, deadline_, kFailed);
  }

  // Whether a table or sequence `name` is visible on the search_path.
  // to_regclass rather than CREATE ... IF NOT EXISTS: that would need the
  // CREATE privilege even when the relation exists.
  absl::StatusOr<bool> RelationExists(const std::string& name) {
    KV_ASSIGN_OR_RETURN(Result exists,
                        Run("SELECT to_regclass($1) IS NOT NULL", {name}));
    return std::string(PQgetvalue(exists.get(), 0, 0)) == "t";
  }

  absl::Status Refuse(absl::string_view detail) {
    return ctx_.Error(absl::StatusCode::kFailedPrecondition, "cannot use",
                      detail);
  }

  // The name of the revision sequence of `store` in this table, creating
  // its kvd_sequences row and the sequence when missing. A sequence created
  // for a store that already has rows (an upgrade, or a sequence an
  // operator dropped) starts above their highest revision, so no revision
  // is given twice.
  absl::StatusOr<std::string> StoreSequence(const std::string& store) {
    KV_ASSIGN_OR_RETURN(
        Result row, Run(absl::StrCat("SELECT id FROM ", kSequenceTable,
                                     " WHERE table_name = $1 AND store = $2"),
                        {ctx_.table, store}));
    if (PQntuples(row.get()) == 0) {
      KV_ASSIGN_OR_RETURN(
          row, Run(absl::StrCat("INSERT INTO ", kSequenceTable,
                                " (table_name, store) VALUES ($1, $2) "
                                "RETURNING id"),
                   {ctx_.table, store}));
    }
    const std::string sequence =
        absl::StrCat(kSequencePrefix, PQgetvalue(row.get(), 0, 0));
    KV_ASSIGN_OR_RETURN(bool exists, RelationExists(sequence));
    if (exists) return sequence;
    // A bigint sequence with CACHE 1: every nextval reaches last_value at once,
    // which CurrentRevision reads.
    KV_RETURN_IF_ERROR(
        Run(absl::StrCat("CREATE SEQUENCE IF NOT EXISTS ", sequence,
                         " MINVALUE 1 CACHE 1 NO CYCLE"))
            .status());
    KV_ASSIGN_OR_RETURN(
        Result highest,
        Run(absl::StrCat("SELECT max(revision) FROM ", ctx_.quoted_table,
                         " WHERE store = $1"),
            {store}));
    if (!PQgetisnull(highest.get(), 0, 0)) {
      KV_RETURN_IF_ERROR(Run(absl::StrCat("SELECT setval('", sequence, "', ",
                                          PQgetvalue(highest.get(), 0, 0), ")"))
                             .status());
    }
    return sequence;
  }

  // Version 1 (kvd before revisions: store, key, value) to 2: adds the
  // revision column and gives every existing row a revision from its
  // store's sequence. Runs in the schema transaction, so other kvd
  // processes opening the table wait, and a failure changes nothing.
  absl::Status UpgradeFrom1() {
    KV_RETURN_IF_ERROR(Run(absl::StrCat("ALTER TABLE ", ctx_.quoted_table,
                                        " ADD COLUMN revision bigint"))
                           .status());
    KV_ASSIGN_OR_RETURN(
        Result stores,
        Run(absl::StrCat("SELECT DISTINCT store FROM ", ctx_.quoted_table)));
    for (int row = 0; row < PQntuples(stores.get()); ++row) {
      const std::string store = PQgetvalue(stores.get(), row, 0);
      KV_ASSIGN_OR_RETURN(std::string sequence, StoreSequence(store));
      KV_RETURN_IF_ERROR(Run(absl::StrCat("UPDATE ", ctx_.quoted_table,
                                          " SET revision = nextval('", sequence,
                                          "') WHERE store = $1"),
                             {store})
                             .status());
    }
    KV_RETURN_IF_ERROR(Run(absl::StrCat("ALTER TABLE ", ctx_.quoted_table,
                                        " ALTER COLUMN revision SET NOT NULL"))
                           .status());
    // An older kvd still running on the table can no longer write: its
    // one write statement, INSERT ... ON CONFLICT DO UPDATE, builds a row
    // without a revision, which NOT NULL refuses before the conflict is
    // looked at. So it can never overwrite a value and keep its revision.
    return absl::OkStatus();
  }

  // The partial index ReclaimExpired finds a store's expired rows by,
  // soonest first, holding only the rows that expire. Named by PostgreSQL
  // (CREATE INDEX ON picks a name that is free), since a table name may
  // already be 63 characters long.
  absl::Status CreateExpiryIndex() {
    return Run(absl::StrCat(
                   "CREATE INDEX ON ", ctx_.quoted_table,
                   " (store, expires_at) WHERE expires_at IS NOT NULL"))
        .status();
  }

  // Version 2 (kvd before expiry) to 3: adds the expires_at column, NULL
  // (never expires) for every existing row, which PostgreSQL does without
  // rewriting the table, and the expiry index, which reads the table once
  // (and holds off writes meanwhile). In the schema transaction, as above.
  absl::Status UpgradeFrom2() {
    KV_RETURN_IF_ERROR(Run(absl::StrCat("ALTER TABLE ", ctx_.quoted_table,
                                        " ADD COLUMN expires_at bigint"))
                           .status());
    return CreateExpiryIndex();
  }

  absl::StatusOr<std::string> SetUp() {
    // Held until COMMIT or ROLLBACK: another kvd doing the same waits here.
    KV_RETURN_IF_ERROR(
        Run(absl::StrCat("SELECT pg_advisory_xact_lock(", kSchemaLockKey, ")"))
            .status());
    KV_ASSIGN_OR_RETURN(bool schema_table,
                        RelationExists(std::string(kSchemaTable)));
    if (!schema_table) {
      KV_RETURN_IF_ERROR(Run(absl::StrCat("CREATE TABLE ", kSchemaTable,
                                          " (table_name text PRIMARY KEY, "
                                          "version integer NOT NULL)"))
                             .status());
    }
    KV_ASSIGN_OR_RETURN(bool sequence_table,
                        RelationExists(std::string(kSequenceTable)));
    if (!sequence_table) {
      KV_RETURN_IF_ERROR(
          Run(absl::StrCat("CREATE TABLE ", kSequenceTable,
                           " (id bigserial PRIMARY KEY, "
                           "table_name text NOT NULL, store text NOT NULL, "
                           "UNIQUE (table_name, store))"))
              .status());
    }
    KV_ASSIGN_OR_RETURN(Result version,
                        Run(absl::StrCat("SELECT version FROM ", kSchemaTable,
                                         " WHERE table_name = $1"),
                            {ctx_.table}));
    if (PQntuples(version.get()) > 0) {
      int recorded = 0;
      if (!absl::SimpleAtoi(PQgetvalue(version.get(), 0, 0), &recorded) ||
          recorded < 1) {
        return Refuse(absl::StrCat("table ", ctx_.table,
                                   " has schema version \"",
                                   PQgetvalue(version.get(), 0, 0), "\" in ",
                                   kSchemaTable, ", which no kvd writes"));
      }
      if (recorded > kSchemaVersion) {
        return Refuse(
            absl::StrCat("table ", ctx_.table, " has schema version ", recorded,
                         " but this kvd supports only up to ", kSchemaVersion,
                         "; use the newer kvd that wrote it"));
      }
      if (recorded < kSchemaVersion) {
        if (recorded < 2) KV_RETURN_IF_ERROR(UpgradeFrom1());
        if (recorded < 3) KV_RETURN_IF_ERROR(UpgradeFrom2());
        KV_RETURN_IF_ERROR(Run(absl::StrCat("UPDATE ", kSchemaTable,
                                            " SET version = ", kSchemaVersion,
                                            " WHERE table_name = $1"),
                               {ctx_.table})
                               .status());
      }
      return StoreSequence(ctx_.store);
    }
    // No version: only a missing table is ours to create. Refusing an
    // existing one keeps kvd out of a table it does not know.
    KV_ASSIGN_OR_RETURN(bool kv_table, RelationExists(ctx_.quoted_table));
    if (kv_table) {
      return Refuse(
          absl::StrCat("table ", ctx_.table,
                       " exists but is not a kvd table (it has no row in ",
                       kSchemaTable, "); set field table to another name"));
    }
    KV_RETURN_IF_ERROR(
        Run(absl::StrCat("CREATE TABLE ", ctx_.quoted_table,
                         " (store text NOT NULL, key bytea NOT NULL, "
                         "value bytea NOT NULL, revision bigint NOT NULL, "
                         "expires_at bigint, PRIMARY KEY (store, key))"))
            .status());
    KV_RETURN_IF_ERROR(CreateExpiryIndex());
    KV_RETURN_IF_ERROR(Run(absl::StrCat("INSERT INTO ", kSchemaTable,
                                        " (table_name, version) VALUES ($1, ",
                                        kSchemaVersion, ")"),
                           {ctx_.table})
                           .status());
    return StoreSequence(ctx_.store);
  }

 private:
  Connection& connection_;
  const Context& ctx_;
  const absl::Time deadline_;
};

}  // namespace

absl::StatusOr<std::string> SetUpSchema(Connection& connection,
                                        const Context& ctx,
                                        absl::Time deadline) {
  SchemaSession session(connection, ctx, deadline);
  std::string sequence;
  KV_RETURN_IF_ERROR(InTransaction(connection, deadline, kFailed, [&] {
    absl::StatusOr<std::string> set_up = session.SetUp();
    if (!set_up.ok()) return set_up.status();
    sequence = *std::move(set_up);
    return absl::OkStatus();
  }));
  return sequence;
}

}  // namespace kv::postgres
