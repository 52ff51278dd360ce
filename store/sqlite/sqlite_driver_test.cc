#include "store/sqlite/sqlite_driver.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/driver.h"
#include "store/registry.h"
#include "store/testing/driver_conformance.h"
#include "store/testing/status_matchers.h"
#include "store/write_errors.h"

namespace kv {
namespace {

using ::kv::testing::DriverConformanceTest;
using ::kv::testing::DriverFactoryParam;
using ::kv::testing::DriverFactoryParamName;
using ::kv::testing::IsOk;
using ::kv::testing::IsOkAndHolds;
using ::kv::testing::PersistentDriverConformanceTest;
using ::kv::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Optional;

// A new, empty directory under the test's private temp dir.
std::string MakeTempDir() {
  const char* root = std::getenv("TEST_TMPDIR");
  std::string pattern =
      absl::StrCat(root != nullptr ? root : "/tmp", "/sqlite_test.XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) {
    ADD_FAILURE() << "mkdtemp " << pattern << " failed";
  }
  return pattern;
}

StoreSpec SqliteSpec(const std::string& dir, const std::string& name = "test") {
  StoreSpec spec;
  spec.name = name;
  spec.type = "sqlite";
  spec.data_dir = dir;
  spec.base_dir = dir;
  return spec;
}

// A conformance configuration: `open` makes a new database in a new
// directory; `reopen` opens that same file again, as a restarted kvd or a
// second kvd process sharing it would.
DriverFactoryParam SqliteParam(const std::string& name,
                               const std::string& durability) {
  auto dir = std::make_shared<std::string>();
  auto spec = [dir, durability] {
    StoreSpec spec = SqliteSpec(*dir, "conformance");
    spec.options["durability"] = durability;
    return spec;
  };
  DriverFactoryParam param;
  param.name = name;
  param.open = [dir, spec] {
    *dir = MakeTempDir();
    return OpenDriver(spec());
  };
  param.reopen = [spec] { return OpenDriver(spec()); };
  return param;
}

INSTANTIATE_TEST_SUITE_P(Sqlite, DriverConformanceTest,
                         ::testing::Values(SqliteParam("fsync", "fsync"),
                                           SqliteParam("os", "os")),
                         DriverFactoryParamName);

INSTANTIATE_TEST_SUITE_P(Sqlite, PersistentDriverConformanceTest,
                         ::testing::Values(SqliteParam("fsync", "fsync"),
                                           SqliteParam("os", "os")),
                         DriverFactoryParamName);

// The value under `key`, without its revision.
absl::StatusOr<std::string> ValueOf(Driver& driver, absl::string_view key) {
  absl::StatusOr<Versioned> got = driver.Get(key);
  if (!got.ok()) return got.status();
  return std::move(got->value);
}

// A plain sqlite3 connection, to look at a database behind the driver's back.
class RawDatabase {
 public:
  explicit RawDatabase(const std::string& path) {
    EXPECT_EQ(sqlite3_open(path.c_str(), &db_), SQLITE_OK) << path;
    sqlite3_busy_timeout(db_, 5000);
  }
  ~RawDatabase() { EXPECT_EQ(sqlite3_close(db_), SQLITE_OK); }

  void Exec(const std::string& sql) {
    char* error = nullptr;
    EXPECT_EQ(sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error),
              SQLITE_OK)
        << sql << ": " << (error != nullptr ? error : "");
    sqlite3_free(error);
  }

  // Inserts a row into a version 1 table kv(key, value), both bound as
  // blobs, as kvd before revisions did.
  void InsertV1Row(const std::string& key, const std::string& value) {
    sqlite3_stmt* stmt = nullptr;
    ASSERT_EQ(
        sqlite3_prepare_v2(db_, "INSERT INTO kv(key, value) VALUES(?1, ?2)", -1,
                           &stmt, nullptr),
        SQLITE_OK);
    sqlite3_bind_blob(stmt, 1, key.data(), key.size(), SQLITE_TRANSIENT);
    // A zero-length blob, never NULL, for an empty value.
    sqlite3_bind_blob(stmt, 2, value.empty() ? "" : value.data(), value.size(),
                      SQLITE_TRANSIENT);
    EXPECT_EQ(sqlite3_step(stmt), SQLITE_DONE) << sqlite3_errmsg(db_);
    sqlite3_finalize(stmt);
  }

  // The first column of the first row, as text.
  std::string Query(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr),
              SQLITE_OK)
        << sql;
    std::string result;
    if (sqlite3_step(stmt) == SQLITE_ROW) {
      const unsigned char* text = sqlite3_column_text(stmt, 0);
      if (text != nullptr) result = reinterpret_cast<const char*>(text);
    }
    sqlite3_finalize(stmt);
    return result;
  }

 private:
  sqlite3* db_ = nullptr;
};

TEST(SqliteDriverTest, IsRegisteredWithItsFields) {
  const DriverType* type = FindDriverType("sqlite");
  ASSERT_NE(type, nullptr);
  EXPECT_THAT(type->fields, ::testing::ElementsAre("path", "durability"));
}

TEST(SqliteOptionsTest, DefaultPathIsTheStoreNameInDataDir) {
  StoreSpec spec = SqliteSpec("/data", "orders");
  spec.base_dir = "/config";
  absl::StatusOr<SqliteOptions> options = SqliteOptionsFromSpec(spec);
  ASSERT_THAT(options, IsOk());
  EXPECT_EQ(options->path, "/data/orders.db");
  EXPECT_EQ(options->store_name, "orders");
  EXPECT_EQ(options->durability, SqliteDurability::kFsync);
}

TEST(SqliteOptionsTest, RelativePathResolvesAgainstBaseDir) {
  StoreSpec spec = SqliteSpec("/data", "orders");
  spec.base_dir = "/etc/kvd";
  spec.options["path"] = "db/orders.sqlite";
  absl::StatusOr<SqliteOptions> options = SqliteOptionsFromSpec(spec);
  ASSERT_THAT(options, IsOk());
  EXPECT_EQ(options->path, "/etc/kvd/db/orders.sqlite");
}

TEST(SqliteOptionsTest, AbsolutePathIsKept) {
  StoreSpec spec = SqliteSpec("/data", "orders");
  spec.options["path"] = "/var/lib/kvd/o.db";
  absl::StatusOr<SqliteOptions> options = SqliteOptionsFromSpec(spec);
  ASSERT_THAT(options, IsOk());
  EXPECT_EQ(options->path, "/var/lib/kvd/o.db");
}

TEST(SqliteOptionsTest, PathsAreMadeAbsolute) {
  StoreSpec spec = SqliteSpec("", "default");
  spec.base_dir = "";
  absl::StatusOr<SqliteOptions> options = SqliteOptionsFromSpec(spec);
  ASSERT_THAT(options, IsOk());
  EXPECT_TRUE(std::filesystem::path(options->path).is_absolute())
      << options->path;
  EXPECT_THAT(options->path, ::testing::EndsWith("/default.db"));

  spec.options["path"] = ":memory:";
  options = SqliteOptionsFromSpec(spec);
  ASSERT_THAT(options, IsOk());
  EXPECT_THAT(options->path, ::testing::EndsWith("/:memory:"));
}

TEST(SqliteOptionsTest, EmptyPathIsRefused) {
  StoreSpec spec = SqliteSpec("/data", "orders");
  spec.options["path"] = "";
  EXPECT_THAT(
      SqliteOptionsFromSpec(spec),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("store \"orders\""), HasSubstr("field path"))));
}

TEST(SqliteOptionsTest, NameThatIsNotAFileNameNeedsAPath) {
  for (const char* name : {"../escape", "a/b", "..", ""}) {
    EXPECT_THAT(SqliteOptionsFromSpec(SqliteSpec("/data", name)),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << name;
  }
}

TEST(SqliteOptionsTest, DurabilityValues) {
  StoreSpec spec = SqliteSpec("/data", "orders");
  spec.options["durability"] = "os";
  EXPECT_THAT(SqliteOptionsFromSpec(spec), IsOk());
  EXPECT_EQ(SqliteOptionsFromSpec(spec)->durability, SqliteDurability::kOs);
  spec.options["durability"] = "fsync";
  EXPECT_EQ(SqliteOptionsFromSpec(spec)->durability, SqliteDurability::kFsync);
}

TEST(SqliteDriverTest, BadDurabilityIsRefused) {
  StoreSpec spec = SqliteSpec(MakeTempDir(), "orders");
  spec.options["durability"] = "fast";
  EXPECT_THAT(OpenDriver(spec),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("store \"orders\""),
                             HasSubstr("durability"), HasSubstr("\"fast\""),
                             HasSubstr("\"fsync\""), HasSubstr("\"os\""))));
}

TEST(SqliteDriverTest, DataPersistsAcrossReopen) {
  StoreSpec spec = SqliteSpec(MakeTempDir());
  {
    absl::StatusOr<std::unique_ptr<Driver>> driver = OpenDriver(spec);
    ASSERT_THAT(driver, IsOk());
    ASSERT_THAT((*driver)->Set("kept", "value"), IsOk());
    ASSERT_THAT((*driver)->Set("deleted", "value"), IsOk());
    ASSERT_THAT((*driver)->Delete("deleted"), IsOk());
    ASSERT_THAT(ValueOf(**driver, "kept"), IsOkAndHolds("value"));
  }
  // A clean close checkpoints the WAL into the database and removes it.
  const std::string path = spec.data_dir + "/test.db";
  EXPECT_TRUE(std::filesystem::exists(path));
  EXPECT_FALSE(std::filesystem::exists(path + "-wal"));

  absl::StatusOr<std::unique_ptr<Driver>> reopened = OpenDriver(spec);
  ASSERT_THAT(reopened, IsOk());
  EXPECT_THAT(ValueOf(**reopened, "kept"), IsOkAndHolds("value"));
  EXPECT_THAT((*reopened)->Exists("deleted"), IsOkAndHolds(false));
}

TEST(SqliteDriverTest, DurabilityOsPersistsAcrossReopen) {
  StoreSpec spec = SqliteSpec(MakeTempDir());
  spec.options["durability"] = "os";
  {
    absl::StatusOr<std::unique_ptr<Driver>> driver = OpenDriver(spec);
    ASSERT_THAT(driver, IsOk());
    ASSERT_THAT((*driver)->Set("key", "value"), IsOk());
  }
  absl::StatusOr<std::unique_ptr<Driver>> reopened = OpenDriver(spec);
  ASSERT_THAT(reopened, IsOk());
  EXPECT_THAT(ValueOf(**reopened, "key"), IsOkAndHolds("value"));
}

TEST(SqliteDriverTest, LocationIsTheFile) {
  StoreSpec spec = SqliteSpec(MakeTempDir());
  absl::StatusOr<std::unique_ptr<Driver>> driver = OpenDriver(spec);
  ASSERT_THAT(driver, IsOk());
  EXPECT_EQ((*driver)->Location(), spec.data_dir + "/test.db");
}

TEST(SqliteDriverTest, SizeBytesCountsTheFileAndItsLog) {
  StoreSpec spec = SqliteSpec(MakeTempDir());
  absl::StatusOr<std::unique_ptr<Driver>> driver = OpenDriver(spec);
  ASSERT_THAT(driver, IsOk());
  const absl::optional<uint64_t> empty = (*driver)->SizeBytes();
  ASSERT_TRUE(empty.has_value());
  EXPECT_GT(*empty, 0u);  // The schema alone takes a page.
  ASSERT_THAT((*driver)->Set("key", std::string(100000, 'v')), IsOk());
  const absl::optional<uint64_t> full = (*driver)->SizeBytes();
  ASSERT_TRUE(full.has_value());
  EXPECT_GE(*full, *empty + 100000);
}

TEST(SqliteDriverTest, CreatesMissingParentDirectoriesPrivately) {
  StoreSpec spec = SqliteSpec(MakeTempDir());
  spec.options["path"] = "a/b/store.db";
  absl::StatusOr<std::unique_ptr<Driver>> driver = OpenDriver(spec);
  ASSERT_THAT(driver, IsOk());
  ASSERT_THAT((*driver)->Set("k", "v"), IsOk());
  for (const std::string dir : {"/a", "/a/b"}) {
    struct stat info;
    ASSERT_EQ(stat((spec.base_dir + dir).c_str(), &info), 0) << dir;
    EXPECT_TRUE(S_ISDIR(info.st_mode));
    EXPECT_EQ(info.st_mode & 0077, 0) << dir << " is open to others";
  }
  EXPECT_TRUE(std::filesystem::exists(spec.base_dir + "/a/b/store.db"));
}

TEST(SqliteDriverTest, ParentThatIsAFileIsUnavailable) {
  StoreSpec spec = SqliteSpec(MakeTempDir());
  spec.options["path"] = "/dev/null/x.db";
  EXPECT_THAT(OpenDriver(spec),
              StatusIs(absl::StatusCode::kUnavailable,
                       AllOf(HasSubstr("store \"test\""),
                             HasSubstr("cannot open SQLite database "
                                       "/dev/null/x.db: "))));

  // One level deeper the directory cannot even be created.
  spec.options["path"] = "/dev/null/sub/x.db";
  EXPECT_THAT(OpenDriver(spec),
              StatusIs(absl::StatusCode::kUnavailable,
                       AllOf(HasSubstr("store \"test\""),
                             HasSubstr("/dev/null/sub/x.db"))));
}

TEST(SqliteDriverTest, FileThatIsNotADatabaseIsDataLoss) {
  StoreSpec spec = SqliteSpec(MakeTempDir());
  const std::string path = spec.data_dir + "/test.db";
  std::ofstream(path) << std::string(4096, 'x');
  EXPECT_THAT(OpenDriver(spec),
              StatusIs(absl::StatusCode::kDataLoss,
                       AllOf(HasSubstr("store \"test\""), HasSubstr(path))));
}

TEST(SqliteDriverTest, RecordsSchemaVersionAndUsesWal) {
  StoreSpec spec = SqliteSpec(MakeTempDir());
  absl::StatusOr<std::unique_ptr<Driver>> driver = OpenDriver(spec);
  ASSERT_THAT(driver, IsOk());
  ASSERT_THAT((*driver)->Set("k", "v"), IsOk());
  RawDatabase raw(spec.data_dir + "/test.db");
  EXPECT_EQ(raw.Query("PRAGMA user_version"),
            std::to_string(kSqliteSchemaVersion));
  EXPECT_EQ(raw.Query("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(raw.Query("SELECT count(*) FROM kv"), "1");
  EXPECT_EQ(raw.Query("SELECT typeof(key) FROM kv"), "blob");
  EXPECT_EQ(raw.Query("SELECT typeof(value) FROM kv"), "blob");
}

// The store revision is a row of the database, written in the same
// transaction as the keys it was given to.
TEST(SqliteDriverTest, StoresRevisionsInTheDatabase) {
  StoreSpec spec = SqliteSpec(MakeTempDir());
  absl::StatusOr<std::unique_ptr<Driver>> driver = OpenDriver(spec);
  ASSERT_THAT(driver, IsOk());
  ASSERT_THAT((*driver)->Set("a", "1"), IsOkAndHolds(1u));
  ASSERT_THAT(
      (*driver)->Write({Mutation::Set("b", "2"), Mutation::Increment("n", 5),
                        Mutation::Delete("a")}),
      IsOk());
  RawDatabase raw(spec.data_dir + "/test.db");
  EXPECT_EQ(raw.Query("SELECT revision FROM kv_meta"), "4");
  EXPECT_EQ(raw.Query("SELECT group_concat(hex(key) || ':' || revision, ' ') "
                      "FROM kv"),
            "62:2 6E:3");
  EXPECT_EQ(raw.Query("SELECT value FROM kv WHERE key = CAST('n' AS BLOB)"),
            "5");
  // A failed condition and the delete of an absent key write nothing.
  EXPECT_THAT((*driver)->Write({Mutation::Set("b", "x", 1)}),
              StatusIs(absl::StatusCode::kAborted));
  EXPECT_THAT((*driver)->Delete("absent"), IsOkAndHolds(0u));
  EXPECT_EQ(raw.Query("SELECT revision FROM kv_meta"), "4");
  EXPECT_THAT((*driver)->CurrentRevision(), IsOkAndHolds(4u));
}

// Each write reads the store revision from the database, so a write made
// behind the driver's back (here by hand; in practice by another kvd on the
// same file) is continued from, never repeated.
TEST(SqliteDriverTest, RevisionsContinueFromTheDatabaseNotFromMemory) {
  StoreSpec spec = SqliteSpec(MakeTempDir());
  absl::StatusOr<std::unique_ptr<Driver>> driver = OpenDriver(spec);
  ASSERT_THAT(driver, IsOk());
  ASSERT_THAT((*driver)->Set("a", "1"), IsOkAndHolds(1u));
  RawDatabase raw(spec.data_dir + "/test.db");
  raw.Exec("UPDATE kv_meta SET revision = 1000");
  EXPECT_THAT((*driver)->CurrentRevision(), IsOkAndHolds(1000u));
  EXPECT_THAT((*driver)->Set("b", "1"), IsOkAndHolds(1001u));
  EXPECT_EQ(raw.Query("SELECT revision FROM kv_meta"), "1001");
}

TEST(SqliteDriverTest, DurabilityIsReported) {
  StoreSpec spec = SqliteSpec(MakeTempDir());
  absl::StatusOr<std::unique_ptr<Driver>> fsync = OpenDriver(spec);
  ASSERT_THAT(fsync, IsOk());
  EXPECT_EQ((*fsync)->durability(), Driver::Durability::kDisk);
  fsync->reset();
  spec.options["durability"] = "os";
  absl::StatusOr<std::unique_ptr<Driver>> os = OpenDriver(spec);
  ASSERT_THAT(os, IsOk());
  EXPECT_EQ((*os)->durability(), Driver::Durability::kProcess);
}

// GetMany runs a read transaction on a pooled reader; the reader must come
// back to the pool with it ended, or later reads would see an old snapshot.
TEST(SqliteDriverTest, GetManyLeavesNoSnapshotBehind) {
  StoreSpec spec = SqliteSpec(MakeTempDir());
  absl::StatusOr<std::unique_ptr<Driver>> driver = OpenDriver(spec);
  ASSERT_THAT(driver, IsOk());
  for (int i = 0; i < 20; ++i) {
    const std::string value = absl::StrCat(i);
    ASSERT_THAT((*driver)->Write(
                    {Mutation::Set("x", value), Mutation::Set("y", value)}),
                IsOk());
    absl::StatusOr<std::vector<absl::optional<Versioned>>> read =
        (*driver)->GetMany({"x", "y", "z"});
    ASSERT_THAT(read, IsOk());
    ASSERT_EQ(read->size(), 3u);
    ASSERT_TRUE((*read)[0].has_value() && (*read)[1].has_value());
    EXPECT_EQ((*read)[0]->value, value);
    EXPECT_EQ((*read)[1]->value, value);
    EXPECT_FALSE((*read)[2].has_value());
    EXPECT_THAT(ValueOf(**driver, "x"), IsOkAndHolds(value));
  }
}

// An increment reads at most a counter's length of the stored value; a
// value longer than any int64's text is refused whatever its bytes, alone
// (one statement) or in a batch (check, then write), and left as it was.
TEST(SqliteDriverTest, IncrementRefusesLongValuesOfDigits) {
  StoreSpec spec = SqliteSpec(MakeTempDir());
  absl::StatusOr<std::unique_ptr<Driver>> driver = OpenDriver(spec);
  ASSERT_THAT(driver, IsOk());
  for (const std::string& value :
       {std::string(21, '1'), std::string(1 << 20, '7'),
        "-" + std::string(20, '1'), std::string("12345678901234567890")}) {
    SCOPED_TRACE(value.size());
    ASSERT_THAT((*driver)->Set("n", value), IsOk());
    absl::StatusOr<MutationResults> alone =
        (*driver)->Write({Mutation::Increment("n", 1)});
    EXPECT_TRUE(IsNotAnInteger(alone.status()) ||
                IsIncrementOverflow(alone.status()))
        << alone.status();
    absl::StatusOr<MutationResults> batched = (*driver)->Write(
        {Mutation::Set("other", "x"), Mutation::Increment("n", 1)});
    EXPECT_EQ(batched.status().code(), alone.status().code())
        << batched.status();
    EXPECT_THAT(FailedMutationIndex(batched.status()), Optional(1u));
    absl::StatusOr<std::string> stored = ValueOf(**driver, "n");
    ASSERT_THAT(stored, IsOk());
    EXPECT_TRUE(*stored == value);
    EXPECT_THAT((*driver)->Exists("other"), IsOkAndHolds(false));
  }
  // The longest counters are still counters.
  ASSERT_THAT((*driver)->Set("n", "-9223372036854775807"), IsOk());
  absl::StatusOr<MutationResults> down =
      (*driver)->Write({Mutation::Increment("n", -1)});
  ASSERT_THAT(down, IsOk());
  EXPECT_EQ(down->front().value, std::numeric_limits<int64_t>::min());
  EXPECT_THAT(ValueOf(**driver, "n"), IsOkAndHolds("-9223372036854775808"));
}

// --- Migration from schema version 1 (kvd before revisions) ---

// The sqlite_schema rows (type, name, sql) of a database, in name order.
std::string SchemaOf(RawDatabase& raw) {
  return raw.Query(
      "SELECT group_concat(type || ' ' || name || ': ' || sql, '\n') FROM "
      "(SELECT * FROM sqlite_schema ORDER BY name)");
}

// Writes a version 1 database exactly as kvd before revisions left it: its
// schema, WAL mode, keys and values as blobs.
void CreateV1Database(
    const std::string& path,
    const std::vector<std::pair<std::string, std::string>>& rows) {
  RawDatabase raw(path);
  raw.Exec("PRAGMA journal_mode=WAL");
  raw.Exec(
      "CREATE TABLE kv(key BLOB PRIMARY KEY, value BLOB NOT NULL) "
      "WITHOUT ROWID; PRAGMA user_version = 1;");
  for (const auto& [key, value] : rows) raw.InsertV1Row(key, value);
}

TEST(SqliteMigrationTest, Version1KeysGetRevisionsInKeyOrder) {
  StoreSpec spec = SqliteSpec(MakeTempDir());
  const std::string path = spec.data_dir + "/test.db";
  // Inserted out of order; byte order is "a", "a\0z", "b", "empty", "\xff".
  const std::string a0z("a\0z", 3);
  CreateV1Database(path, {{"b", "2"},
                          {"\xff", "high"},
                          {"a", "1"},
                          {a0z, std::string("zero\0inside", 11)},
                          {"empty", ""}});
  const std::vector<std::string> in_order = {"a", a0z, "b", "empty", "\xff"};
  {
    absl::StatusOr<std::unique_ptr<Driver>> driver = OpenDriver(spec);
    ASSERT_THAT(driver, IsOk());
    EXPECT_THAT((*driver)->CurrentRevision(), IsOkAndHolds(5u));
    for (size_t i = 0; i < in_order.size(); ++i) {
      absl::StatusOr<Versioned> got = (*driver)->Get(in_order[i]);
      ASSERT_THAT(got, IsOk()) << i;
      EXPECT_EQ(got->revision, i + 1) << i;
    }
    EXPECT_THAT(ValueOf(**driver, "b"), IsOkAndHolds("2"));
    EXPECT_THAT(ValueOf(**driver, a0z),
                IsOkAndHolds(std::string("zero\0inside", 11)));
    EXPECT_THAT(ValueOf(**driver, "empty"), IsOkAndHolds(""));
    std::vector<std::string> listed;
    ASSERT_THAT((*driver)->ListKeys([&](absl::string_view key) {
      listed.emplace_back(key);
      return true;
    }),
                IsOk());
    EXPECT_EQ(listed, in_order);

    // Writes continue after the migrated revisions, conditions hold on them.
    EXPECT_THAT((*driver)->Set("c", "3"), IsOkAndHolds(6u));
    absl::StatusOr<MutationResults> cas =
        (*driver)->Write({Mutation::Set("b", "two", 3)});
    ASSERT_THAT(cas, IsOk());
    EXPECT_EQ(cas->front().revision, 7u);
    EXPECT_THAT((*driver)->Write({Mutation::Set("a", "x", 2)}),
                StatusIs(absl::StatusCode::kAborted));
  }
  {
    RawDatabase raw(path);
    EXPECT_EQ(raw.Query("PRAGMA user_version"), "2");
    EXPECT_EQ(raw.Query("SELECT revision FROM kv_meta"), "7");
  }
  // Reopened, the migrated database is a version 2 one like any other.
  absl::StatusOr<std::unique_ptr<Driver>> reopened = OpenDriver(spec);
  ASSERT_THAT(reopened, IsOk());
  EXPECT_THAT((*reopened)->CurrentRevision(), IsOkAndHolds(7u));
  absl::StatusOr<Versioned> b = (*reopened)->Get("b");
  ASSERT_THAT(b, IsOk());
  EXPECT_EQ(b->value, "two");
  EXPECT_EQ(b->revision, 7u);
  absl::StatusOr<Versioned> high = (*reopened)->Get("\xff");
  ASSERT_THAT(high, IsOk());
  EXPECT_EQ(high->value, "high");
  EXPECT_EQ(high->revision, 5u);
  EXPECT_THAT((*reopened)->Write({Mutation::Increment("n", 1)}), IsOk());
  EXPECT_THAT((*reopened)->CurrentRevision(), IsOkAndHolds(8u));
}

TEST(SqliteMigrationTest, MigratedSchemaIsThatOfANewDatabase) {
  StoreSpec migrated = SqliteSpec(MakeTempDir());
  CreateV1Database(migrated.data_dir + "/test.db", {{"k", "v"}});
  StoreSpec fresh = SqliteSpec(MakeTempDir());
  ASSERT_THAT(OpenDriver(migrated), IsOk());
  ASSERT_THAT(OpenDriver(fresh), IsOk());
  RawDatabase migrated_raw(migrated.data_dir + "/test.db");
  RawDatabase fresh_raw(fresh.data_dir + "/test.db");
  const std::string schema = SchemaOf(fresh_raw);
  EXPECT_THAT(schema, HasSubstr("revision INTEGER NOT NULL"));
  EXPECT_EQ(SchemaOf(migrated_raw), schema);
  EXPECT_EQ(migrated_raw.Query("PRAGMA journal_mode"), "wal");
}

TEST(SqliteMigrationTest, EmptyVersion1DatabaseStartsAtRevisionZero) {
  StoreSpec spec = SqliteSpec(MakeTempDir());
  CreateV1Database(spec.data_dir + "/test.db", {});
  absl::StatusOr<std::unique_ptr<Driver>> driver = OpenDriver(spec);
  ASSERT_THAT(driver, IsOk());
  EXPECT_THAT((*driver)->CurrentRevision(), IsOkAndHolds(0u));
  EXPECT_THAT((*driver)->Set("k", "v"), IsOkAndHolds(1u));
}

// The migration is one transaction: if a step fails, the database is left
// as it was, still version 1.
TEST(SqliteMigrationTest, FailedMigrationLeavesTheDatabaseUntouched) {
  StoreSpec spec = SqliteSpec(MakeTempDir());
  const std::string path = spec.data_dir + "/test.db";
  CreateV1Database(path, {{"k", "v"}});
  {
    // A table in the way of the migration's own.
    RawDatabase raw(path);
    raw.Exec("CREATE TABLE kv_meta(x)");
  }
  EXPECT_THAT(OpenDriver(spec),
              StatusIs(absl::StatusCode::kInternal,
                       AllOf(HasSubstr("store \"test\""), HasSubstr(path),
                             HasSubstr("kv_meta"))));
  RawDatabase raw(path);
  EXPECT_EQ(raw.Query("PRAGMA user_version"), "1");
  EXPECT_EQ(raw.Query("SELECT sql FROM sqlite_schema WHERE name = 'kv'"),
            "CREATE TABLE kv(key BLOB PRIMARY KEY, value BLOB NOT NULL) "
            "WITHOUT ROWID");
  EXPECT_EQ(raw.Query("SELECT count(*) FROM sqlite_schema "
                      "WHERE name = 'kv_v1'"),
            "0");
  EXPECT_EQ(raw.Query("SELECT value FROM kv"), "v");
}

TEST(SqliteDriverTest, NewerSchemaVersionIsRefused) {
  StoreSpec spec = SqliteSpec(MakeTempDir());
  const std::string path = spec.data_dir + "/test.db";
  {
    RawDatabase raw(path);
    raw.Exec(
        "CREATE TABLE kv(key BLOB PRIMARY KEY, value BLOB NOT NULL) "
        "WITHOUT ROWID; PRAGMA user_version = 3;");
  }
  static_assert(kSqliteSchemaVersion == 2, "use a version above the current");
  EXPECT_THAT(OpenDriver(spec),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("store \"test\""), HasSubstr(path),
                             HasSubstr("schema version 3"))));
  RawDatabase raw(path);
  EXPECT_EQ(raw.Query("PRAGMA user_version"), "3");  // Left untouched.
}

TEST(SqliteDriverTest, ForeignDatabaseIsRefused) {
  StoreSpec spec = SqliteSpec(MakeTempDir());
  const std::string path = spec.data_dir + "/test.db";
  {
    RawDatabase raw(path);
    raw.Exec("CREATE TABLE customers(id INTEGER PRIMARY KEY)");
  }
  EXPECT_THAT(
      OpenDriver(spec),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               AllOf(HasSubstr(path), HasSubstr("not a kvd database"))));
  RawDatabase raw(path);
  EXPECT_EQ(raw.Query("PRAGMA user_version"), "0");  // Left untouched.
}

// Another process holding the write lock makes writes fail with Unavailable
// after the busy timeout, while reads go on from their snapshot.
TEST(SqliteDriverTest, WriteLockHeldElsewhere) {
  StoreSpec spec = SqliteSpec(MakeTempDir());
  absl::StatusOr<std::unique_ptr<Driver>> driver = OpenDriver(spec);
  ASSERT_THAT(driver, IsOk());
  ASSERT_THAT((*driver)->Set("k", "old"), IsOk());

  RawDatabase other(spec.data_dir + "/test.db");
  other.Exec("BEGIN IMMEDIATE; UPDATE kv SET value = X'6E6577';");

  // A read that waited for the lock would fail after the busy timeout
  // instead.
  EXPECT_THAT(ValueOf(**driver, "k"), IsOkAndHolds("old"));

  EXPECT_THAT((*driver)->Set("k", "mine"),
              StatusIs(absl::StatusCode::kUnavailable,
                       AllOf(HasSubstr("store \"test\""),
                             HasSubstr("cannot write to SQLite database"),
                             HasSubstr("database is locked"))));
  other.Exec("COMMIT");
  EXPECT_THAT(ValueOf(**driver, "k"), IsOkAndHolds("new"));
  EXPECT_THAT((*driver)->Set("k", "mine"), IsOk());
}

}  // namespace
}  // namespace kv
