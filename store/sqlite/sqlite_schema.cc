#include "store/sqlite/sqlite_schema.h"

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "store/sqlite/sqlite_connection.h"
#include "store/sqlite/sqlite_driver.h"
#include "store/status_macros.h"

namespace kv::sqlite_internal {
namespace {

constexpr absl::string_view kFailed = "cannot set up the schema of";

// The table of keys of the current version and its index, as a new
// database gets them and as a migrated one ends up.
constexpr const char* kCreateKvTable =
    "CREATE TABLE kv(key BLOB PRIMARY KEY, revision INTEGER NOT NULL, "
    "expires_at INTEGER, value BLOB NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX kv_expires_at ON kv(expires_at) "
    "WHERE expires_at IS NOT NULL;";

// The store revision, unchanged since version 2. It starts at 0; a
// migration from version 1 sets it.
constexpr const char* kCreateMetaTable =
    "CREATE TABLE kv_meta(id INTEGER PRIMARY KEY CHECK (id = 1), "
    "revision INTEGER NOT NULL CHECK (revision >= 0));"
    "INSERT INTO kv_meta(id, revision) VALUES(1, 0);";

constexpr const char* kSetCurrentVersion = "PRAGMA user_version = 3;";

static_assert(kSqliteSchemaVersion == 3,
              "add the migration to the new version below");

absl::Status Refuse(const Connection& writer, absl::string_view why) {
  return absl::FailedPreconditionError(absl::StrCat("store \"", writer.store(),
                                                    "\": SQLite database ",
                                                    writer.path(), " ", why));
}

// Each old version is migrated straight to the current one. The old table
// of keys is moved aside and the new one made with the very statements a
// new database gets, so a migrated database has exactly the schema of a
// new one (a column added with ALTER TABLE would go after the value, where
// reading it means reading the value). This rewrites every row once.

// Version 1 -> current. Keys get the revisions 1..N in byte order (BLOB keys
// sort with memcmp), so every key has a distinct revision, and the store
// revision is N: the next write gets N+1. No key expires.
absl::Status MigrateV1(Connection& writer) {
  return writer.Exec(
      absl::StrCat("ALTER TABLE kv RENAME TO kv_v1;", kCreateKvTable,
                   kCreateMetaTable,
                   "INSERT INTO kv(key, revision, expires_at, value) "
                   "SELECT key, row_number() OVER (ORDER BY key), NULL, value "
                   "FROM kv_v1;"
                   "DROP TABLE kv_v1;"
                   "UPDATE kv_meta SET revision = (SELECT count(*) FROM kv);",
                   kSetCurrentVersion)
          .c_str(),
      kFailed);
}

// Version 2 -> current. Keys keep their revisions and kv_meta the store
// revision; no key expires.
absl::Status MigrateV2(Connection& writer) {
  return writer.Exec(
      absl::StrCat("ALTER TABLE kv RENAME TO kv_v2;", kCreateKvTable,
                   "INSERT INTO kv(key, revision, expires_at, value) "
                   "SELECT key, revision, NULL, value FROM kv_v2;"
                   "DROP TABLE kv_v2;",
                   kSetCurrentVersion)
          .c_str(),
      kFailed);
}

// The store revision must be there, or writes could not run.
absl::Status CheckStoreRevision(Connection& writer) {
  KV_ASSIGN_OR_RETURN(
      int64_t meta_rows,
      writer.QueryInt("SELECT count(*) FROM kv_meta WHERE id = 1", kFailed));
  if (meta_rows != 1) {
    return writer.Error(SQLITE_CORRUPT, kFailed,
                        "the store revision (table kv_meta) is missing");
  }
  return absl::OkStatus();
}

absl::Status MigrateSchemaInTransaction(Connection& writer) {
  KV_ASSIGN_OR_RETURN(int64_t version,
                      writer.QueryInt("PRAGMA user_version", kFailed));
  if (version < 0 || version > kSqliteSchemaVersion) {
    return Refuse(writer, absl::StrCat("has schema version ", version,
                                       " but this kvd supports only up to ",
                                       kSqliteSchemaVersion,
                                       "; open it with the newer kvd that "
                                       "wrote it"));
  }
  if (version == 0) {
    // SQLite's value for a new database. Only an empty one is ours to
    // initialize; refusing anything else keeps kvd from writing into an
    // unrelated database given by mistake.
    KV_ASSIGN_OR_RETURN(
        int64_t objects,
        writer.QueryInt("SELECT count(*) FROM sqlite_schema", kFailed));
    if (objects != 0) {
      return Refuse(writer,
                    "is not a kvd database: it has tables but no kvd schema "
                    "version");
    }
    return writer.Exec(
        absl::StrCat(kCreateKvTable, kCreateMetaTable, kSetCurrentVersion)
            .c_str(),
        kFailed);
  }
  if (version == 1) return MigrateV1(writer);
  if (version == 2) {
    // kv_meta is kept as it is, so it must be whole.
    KV_RETURN_IF_ERROR(CheckStoreRevision(writer));
    return MigrateV2(writer);
  }
  return CheckStoreRevision(writer);
}

}  // namespace

absl::Status MigrateSchema(Connection& writer) {
  KV_RETURN_IF_ERROR(writer.Exec("BEGIN IMMEDIATE", kFailed));
  absl::Status status = MigrateSchemaInTransaction(writer);
  if (!status.ok()) {
    writer.Exec("ROLLBACK", kFailed).IgnoreError();  // Reporting `status`.
    return status;
  }
  return writer.Exec("COMMIT", kFailed);
}

}  // namespace kv::sqlite_internal
