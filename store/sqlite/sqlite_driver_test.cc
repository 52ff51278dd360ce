#include "store/sqlite/sqlite_driver.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/driver.h"
#include "store/registry.h"
#include "store/sqlite/sqlite_connection.h"
#include "store/testing/driver_conformance.h"
#include "store/testing/fake_clock.h"
#include "store/testing/status_matchers.h"
#include "store/write_errors.h"

namespace kv {
namespace {

using ::kv::testing::ClockControlledExpiryTest;
using ::kv::testing::DriverConformanceTest;
using ::kv::testing::DriverFactoryParam;
using ::kv::testing::DriverFactoryParamName;
using ::kv::testing::FakeClock;
using ::kv::testing::IsOk;
using ::kv::testing::IsOkAndHolds;
using ::kv::testing::PersistentDriverConformanceTest;
using ::kv::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Optional;

// The clock of the conformance suites' drivers, which the expiry tests move.
FakeClock& ConformanceClock() {
  static FakeClock* const clock = new FakeClock;
  return *clock;
}

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
// second kvd process sharing it would. Expiry is judged by
// ConformanceClock().
DriverFactoryParam SqliteParam(const std::string& name,
                               const std::string& durability) {
  auto dir = std::make_shared<std::string>();
  auto spec = [dir, durability] {
    StoreSpec spec = SqliteSpec(*dir, "conformance");
    spec.options["durability"] = durability;
    spec.clock = &ConformanceClock();
    return spec;
  };
  DriverFactoryParam param;
  param.name = name;
  param.clock = &ConformanceClock();
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

INSTANTIATE_TEST_SUITE_P(Sqlite, ClockControlledExpiryTest,
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

  // Inserts a row into a version 2 table kv(key, revision, value), key and
  // value bound as blobs, as kvd before expiry did.
  void InsertV2Row(const std::string& key, int64_t revision,
                   const std::string& value) {
    sqlite3_stmt* stmt = nullptr;
    ASSERT_EQ(
        sqlite3_prepare_v2(
            db_, "INSERT INTO kv(key, revision, value) VALUES(?1, ?2, ?3)", -1,
            &stmt, nullptr),
        SQLITE_OK);
    sqlite3_bind_blob(stmt, 1, key.data(), key.size(), SQLITE_TRANSIENT);
    sqlite3_bind_int64(stmt, 2, revision);
    sqlite3_bind_blob(stmt, 3, value.empty() ? "" : value.data(), value.size(),
                      SQLITE_TRANSIENT);
    EXPECT_EQ(sqlite3_step(stmt), SQLITE_DONE) << sqlite3_errmsg(db_);
    sqlite3_finalize(stmt);
  }

  // The details of `sql`'s query plan, one line per step.
  std::string PlanOf(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, ("EXPLAIN QUERY PLAN " + sql).c_str(), -1,
                                 &stmt, nullptr),
              SQLITE_OK)
        << sql << ": " << sqlite3_errmsg(db_);
    std::string plan;
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      const unsigned char* detail = sqlite3_column_text(stmt, 3);
      if (detail != nullptr) {
        absl::StrAppend(&plan, reinterpret_cast<const char*>(detail), "\n");
      }
    }
    sqlite3_finalize(stmt);
    return plan;
  }

  // Defines a kv_add(value, delta) that does nothing, so that the driver's
  // statements that call it can be prepared here.
  void DefineKvAdd() {
    ASSERT_EQ(sqlite3_create_function_v2(
                  db_, "kv_add", 2, SQLITE_UTF8, nullptr,
                  [](sqlite3_context* context, int, sqlite3_value**) {
                    sqlite3_result_null(context);
                  },
                  nullptr, nullptr, nullptr),
              SQLITE_OK);
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

// --- Expiry, paging and reclaiming on the file ---

// A driver over a new database whose expiry `clock` judges.
absl::StatusOr<std::unique_ptr<Driver>> OpenWithClock(const StoreSpec& base,
                                                      const FakeClock& clock) {
  StoreSpec spec = base;
  spec.clock = &clock;
  return OpenDriver(spec);
}

// expires_at is Unix milliseconds by the driver's clock, NULL for a key
// that never expires; expire_time is read back from it.
TEST(SqliteDriverTest, StoresExpiryAsUnixMillisecondsOfItsClock) {
  FakeClock clock;
  clock.Set(absl::FromUnixMillis(1700000000123) + absl::Microseconds(999));
  StoreSpec spec = SqliteSpec(MakeTempDir());
  absl::StatusOr<std::unique_ptr<Driver>> driver = OpenWithClock(spec, clock);
  ASSERT_THAT(driver, IsOk());
  ASSERT_THAT((*driver)->Write({Mutation::Set("t", "5", absl::nullopt,
                                              absl::Milliseconds(1500))}),
              IsOk());
  ASSERT_THAT((*driver)->Set("p", "v"), IsOk());
  ASSERT_THAT((*driver)->Write({Mutation::Increment("t", 0)}), IsOk());
  RawDatabase raw(spec.data_dir + "/test.db");
  // Truncated to the millisecond, then the ttl added; kept by Increment.
  EXPECT_EQ(raw.Query("SELECT expires_at FROM kv WHERE key = CAST('t' AS "
                      "BLOB) AND typeof(expires_at) = 'integer'"),
            "1700000001623");
  EXPECT_EQ(raw.Query("SELECT typeof(expires_at) FROM kv WHERE key = "
                      "CAST('p' AS BLOB)"),
            "null");
  absl::StatusOr<Versioned> got = (*driver)->Get("t");
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->expire_time, absl::FromUnixMillis(1700000001623));
}

// An expired row stays in the file, absent to every call, until
// ReclaimExpired deletes it; reads and writes judge it by the clock alone.
TEST(SqliteDriverTest, ExpiredRowsStayUntilReclaimed) {
  FakeClock clock;
  StoreSpec spec = SqliteSpec(MakeTempDir());
  absl::StatusOr<std::unique_ptr<Driver>> driver = OpenWithClock(spec, clock);
  ASSERT_THAT(driver, IsOk());
  ASSERT_THAT((*driver)->Write(
                  {Mutation::Set("k", "v", absl::nullopt, absl::Seconds(1))}),
              IsOk());
  clock.Advance(absl::Seconds(1));
  EXPECT_THAT((*driver)->Exists("k"), IsOkAndHolds(false));
  EXPECT_THAT((*driver)->Delete("k"), IsOkAndHolds(0u));
  RawDatabase raw(spec.data_dir + "/test.db");
  EXPECT_EQ(raw.Query("SELECT count(*) FROM kv"), "1");
  EXPECT_THAT((*driver)->ReclaimExpired(10), IsOkAndHolds(size_t{1}));
  EXPECT_EQ(raw.Query("SELECT count(*) FROM kv"), "0");
  EXPECT_EQ(raw.Query("SELECT revision FROM kv_meta"), "1");
}

// Every statement that touches keys is a search of an index, never a scan
// of the table: a point lookup of the primary key, a range of it for a page
// of keys, a range of the expiry index for reclaiming.
TEST(SqliteDriverTest, StatementsSearchIndexesAndNeverScan) {
  StoreSpec spec = SqliteSpec(MakeTempDir());
  ASSERT_THAT(OpenDriver(spec), IsOk());
  RawDatabase raw(spec.data_dir + "/test.db");
  raw.DefineKvAdd();
  using sqlite_internal::StatementSql;
  for (sqlite_internal::StatementId id :
       {sqlite_internal::kGet, sqlite_internal::kGetRevision,
        sqlite_internal::kUpdate, sqlite_internal::kIncrementInPlace,
        sqlite_internal::kDelete, sqlite_internal::kExists}) {
    EXPECT_EQ(raw.PlanOf(StatementSql(id)),
              "SEARCH kv USING PRIMARY KEY (key=?)\n")
        << StatementSql(id);
  }
  // In key order straight from the index: no sort, and LIMIT stops it.
  EXPECT_EQ(raw.PlanOf(StatementSql(sqlite_internal::kListKeyRange)),
            "SEARCH kv USING PRIMARY KEY (key>? AND key<?)\n");
  EXPECT_EQ(raw.PlanOf(StatementSql(sqlite_internal::kListKeysFrom)),
            "SEARCH kv USING PRIMARY KEY (key>?)\n");
  const std::string reclaim =
      raw.PlanOf(StatementSql(sqlite_internal::kReclaimExpired));
  EXPECT_THAT(reclaim,
              AllOf(HasSubstr("SEARCH kv USING PRIMARY KEY (key=?)\n"),
                    HasSubstr("SEARCH kv USING COVERING INDEX kv_expires_at "
                              "(expires_at<?)\n")));
  EXPECT_THAT(reclaim, ::testing::Not(HasSubstr("SCAN")));
}

// Reclaiming 20,000 expired keys in calls of 1,000: each call removes
// exactly 1,000 until none is left, and a writer's writes go on succeeding
// between the calls (the reclaim is a short transaction in the writer's
// queue, not one long one).
TEST(SqliteDriverTest, ReclaimIsBoundedAndWritesGoOnBetweenCalls) {
  constexpr int kExpired = 20000;
  constexpr size_t kBatch = 1000;
  FakeClock clock;
  StoreSpec spec = SqliteSpec(MakeTempDir());
  spec.options["durability"] = "os";
  absl::StatusOr<std::unique_ptr<Driver>> opened = OpenWithClock(spec, clock);
  ASSERT_THAT(opened, IsOk());
  Driver& driver = **opened;
  for (int first = 0; first < kExpired; first += 1000) {
    std::vector<std::string> keys;
    for (int i = first; i < first + 1000; ++i) {
      keys.push_back(absl::StrFormat("expired/%06d", i));
    }
    std::vector<Mutation> batch;
    for (const std::string& key : keys) {
      batch.push_back(Mutation::Set(key, "v", absl::nullopt, absl::Minutes(1)));
    }
    ASSERT_THAT(driver.Write(batch), IsOk());
  }
  clock.Advance(absl::Minutes(1));
  const absl::StatusOr<uint64_t> revision_before = driver.CurrentRevision();
  ASSERT_THAT(revision_before, IsOk());

  absl::Mutex mutex;
  absl::CondVar wrote;  // Signaled at each write.
  int written = 0;      // Guarded by mutex.
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int i = 0; !stop.load(); ++i) {
      // Half of them expire, but not before the test ends.
      const absl::Duration ttl =
          i % 2 == 0 ? absl::InfiniteDuration() : absl::Hours(1);
      const std::string key = absl::StrFormat("live/%06d", i);
      absl::Status status =
          driver.Write({Mutation::Set(key, "v", absl::nullopt, ttl)}).status();
      EXPECT_THAT(status, IsOk());
      if (!status.ok()) return;
      absl::MutexLock lock(&mutex);
      ++written;
      wrote.Signal();
    }
  });

  // No ASSERT while the writer runs: it must be joined on every path.
  std::vector<size_t> reclaimed;
  size_t total = 0;
  int written_before_call = 0;
  while (reclaimed.size() < kExpired / kBatch + 5) {
    {
      // A write completed since the last call (a bounded wait, not a
      // measurement).
      absl::MutexLock lock(&mutex);
      const absl::Time deadline = absl::Now() + absl::Seconds(60);
      bool advanced = true;
      while (advanced && written == written_before_call) {
        const bool timed_out = wrote.WaitWithDeadline(&mutex, deadline);
        advanced = !timed_out || written != written_before_call;
      }
      EXPECT_TRUE(advanced) << "no write completed between reclaims";
      if (!advanced) break;
      written_before_call = written;
    }
    absl::StatusOr<size_t> one = driver.ReclaimExpired(kBatch);
    EXPECT_THAT(one, IsOk());
    if (!one.ok()) break;
    reclaimed.push_back(*one);
    total += *one;
    if (*one < kBatch) break;
  }
  stop = true;
  writer.join();

  std::vector<size_t> expected(kExpired / kBatch, kBatch);
  expected.push_back(0);
  EXPECT_EQ(reclaimed, expected);
  EXPECT_EQ(total, size_t{kExpired});
  int live;
  {
    absl::MutexLock lock(&mutex);
    live = written;
  }
  // Only the writer's keys are left, in the file and in a listing, and
  // reclaiming moved no revision.
  RawDatabase raw(spec.data_dir + "/test.db");
  EXPECT_EQ(raw.Query("SELECT count(*) FROM kv"), std::to_string(live));
  int listed = 0;
  ASSERT_THAT(driver.ListKeys([&](absl::string_view key) {
    EXPECT_THAT(std::string(key), ::testing::StartsWith("live/"));
    ++listed;
    return true;
  }),
              IsOk());
  EXPECT_EQ(listed, live);
  EXPECT_THAT(driver.CurrentRevision(), IsOkAndHolds(*revision_before + live));
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
  // One transaction: a commit per row would sync the file per row.
  raw.Exec("BEGIN");
  for (const auto& [key, value] : rows) raw.InsertV1Row(key, value);
  raw.Exec("COMMIT");
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
    EXPECT_EQ(raw.Query("PRAGMA user_version"),
              std::to_string(kSqliteSchemaVersion));
    EXPECT_EQ(raw.Query("SELECT revision FROM kv_meta"), "7");
    EXPECT_EQ(raw.Query("SELECT count(*) FROM kv WHERE expires_at IS NULL"),
              "6");
  }
  // Reopened, the migrated database is a current one like any other.
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

// --- Migration from schema version 2 (kvd before expiry) ---

struct V2Row {
  std::string key;
  int64_t revision;
  std::string value;
};

// Writes a version 2 database exactly as kvd before expiry made one (the
// very statements it ran, WAL mode) and as its writes left it: rows with
// their revisions, and the store revision in kv_meta.
void CreateV2Database(const std::string& path, const std::vector<V2Row>& rows,
                      int64_t store_revision) {
  RawDatabase raw(path);
  raw.Exec("PRAGMA journal_mode=WAL");
  raw.Exec(
      "BEGIN IMMEDIATE;"
      "CREATE TABLE kv(key BLOB PRIMARY KEY, revision INTEGER NOT NULL, "
      "value BLOB NOT NULL) WITHOUT ROWID;"
      "CREATE TABLE kv_meta(id INTEGER PRIMARY KEY CHECK (id = 1), "
      "revision INTEGER NOT NULL CHECK (revision >= 0));"
      "INSERT INTO kv_meta(id, revision) VALUES(1, 0);"
      "PRAGMA user_version = 2;"
      "COMMIT;");
  raw.Exec("BEGIN");
  for (const V2Row& row : rows) {
    raw.InsertV2Row(row.key, row.revision, row.value);
  }
  raw.Exec(absl::StrCat("UPDATE kv_meta SET revision = ", store_revision));
  raw.Exec("COMMIT");
}

// Keys with gaps in their revisions (deleted keys in between) and a store
// revision above them all, as a v2 store in use has.
std::vector<V2Row> SomeV2Rows() {
  return {{"user/1", 3, "one"},
          {"user/2", 7, "two"},
          {"user/%", 5, "percent"},
          {std::string("a\0z", 3), 2, std::string("zero\0inside", 11)},
          {"counter", 9, "41"},
          {"\xff", 1, std::string(100000, 'x')},
          {"empty", 8, ""}};
}

// The "Upgrade" for SQLite: a store written by the previous kvd
// opens with every key, value and revision, lists, and expires.
TEST(SqliteMigrationTest, Version2StoreOpensListsAndExpires) {
  FakeClock clock;
  StoreSpec spec = SqliteSpec(MakeTempDir());
  spec.clock = &clock;
  const std::string path = spec.data_dir + "/test.db";
  const std::vector<V2Row> rows = SomeV2Rows();
  CreateV2Database(path, rows, 12);
  {
    absl::StatusOr<std::unique_ptr<Driver>> opened = OpenDriver(spec);
    ASSERT_THAT(opened, IsOk());
    Driver& driver = **opened;
    EXPECT_THAT(driver.CurrentRevision(), IsOkAndHolds(12u));
    for (const V2Row& row : rows) {
      absl::StatusOr<Versioned> got = driver.Get(row.key);
      ASSERT_THAT(got, IsOk()) << row.key;
      EXPECT_TRUE(got->value == row.value) << row.key;
      EXPECT_EQ(got->revision, static_cast<uint64_t>(row.revision));
      EXPECT_EQ(got->expire_time, absl::InfiniteFuture());
    }
    std::vector<std::string> listed;
    ASSERT_THAT(driver.ListKeys(
                    [&](absl::string_view key) {
                      listed.emplace_back(key);
                      return true;
                    },
                    "", 2),
                IsOk());
    EXPECT_THAT(listed, ElementsAre(std::string("a\0z", 3), "counter", "empty",
                                    "user/%", "user/1", "user/2", "\xff"));
    KeyPageRequest users;
    users.prefix = "user/";
    users.limit = 2;
    absl::StatusOr<KeyPage> page = driver.ListKeyPage(users);
    ASSERT_THAT(page, IsOk());
    EXPECT_THAT(page->keys, ElementsAre("user/%", "user/1"));
    EXPECT_TRUE(page->more);

    // Old keys take a ttl, new ones too; revisions go on from kv_meta.
    absl::StatusOr<MutationResults> written = driver.Write(
        {Mutation::Set("user/1", "one again", absl::nullopt, absl::Seconds(10)),
         Mutation::Set("session", "s", absl::nullopt, absl::Seconds(5)),
         Mutation::Increment("counter", 1)});
    ASSERT_THAT(written, IsOk());
    EXPECT_EQ((*written)[0].revision, 13u);
    EXPECT_EQ((*written)[2].revision, 15u);
    EXPECT_EQ((*written)[2].value, 42);
    clock.Advance(absl::Seconds(5));
    EXPECT_THAT(driver.Exists("session"), IsOkAndHolds(false));
    EXPECT_THAT(ValueOf(driver, "user/1"), IsOkAndHolds("one again"));
    clock.Advance(absl::Seconds(5));
    EXPECT_THAT(driver.Get("user/1"), StatusIs(absl::StatusCode::kNotFound));
    page = driver.ListKeyPage(users);
    ASSERT_THAT(page, IsOk());
    EXPECT_THAT(page->keys, ElementsAre("user/%", "user/2"));
    EXPECT_FALSE(page->more);
    EXPECT_THAT(driver.ReclaimExpired(10), IsOkAndHolds(size_t{2}));
    EXPECT_THAT(driver.ReclaimExpired(10), IsOkAndHolds(size_t{0}));
    EXPECT_THAT(driver.CurrentRevision(), IsOkAndHolds(15u));
  }
  RawDatabase raw(path);
  EXPECT_EQ(raw.Query("PRAGMA user_version"),
            std::to_string(kSqliteSchemaVersion));
  EXPECT_EQ(raw.Query("SELECT count(*) FROM kv"), "6");
  EXPECT_EQ(raw.Query("SELECT revision FROM kv_meta"), "15");
  EXPECT_EQ(raw.Query("SELECT count(*) FROM sqlite_schema "
                      "WHERE name = 'kv_v2'"),
            "0");
}

// The migration is one transaction: if a step fails (here the expiry index,
// after the table was rebuilt), the database is left as it was, version 2.
TEST(SqliteMigrationTest, FailedVersion2MigrationLeavesTheDatabaseUntouched) {
  StoreSpec spec = SqliteSpec(MakeTempDir());
  const std::string path = spec.data_dir + "/test.db";
  CreateV2Database(path, SomeV2Rows(), 12);
  {
    // An index in the way of the migration's own.
    RawDatabase raw(path);
    raw.Exec("CREATE INDEX kv_expires_at ON kv_meta(revision)");
  }
  EXPECT_THAT(OpenDriver(spec),
              StatusIs(absl::StatusCode::kInternal,
                       AllOf(HasSubstr("store \"test\""), HasSubstr(path),
                             HasSubstr("kv_expires_at"))));
  RawDatabase raw(path);
  EXPECT_EQ(raw.Query("PRAGMA user_version"), "2");
  EXPECT_EQ(raw.Query("SELECT sql FROM sqlite_schema WHERE name = 'kv'"),
            "CREATE TABLE kv(key BLOB PRIMARY KEY, revision INTEGER NOT NULL, "
            "value BLOB NOT NULL) WITHOUT ROWID");
  EXPECT_EQ(raw.Query("SELECT count(*) FROM sqlite_schema "
                      "WHERE name = 'kv_v2'"),
            "0");
  EXPECT_EQ(raw.Query("SELECT group_concat(revision, ',') FROM "
                      "(SELECT revision FROM kv ORDER BY key)"),
            "2,9,8,5,3,7,1");
  EXPECT_EQ(raw.Query("SELECT revision FROM kv_meta"), "12");
}

// Several drivers (as several kvd processes would) opening one old file at
// once: one migrates it, the others wait for its transaction and then find
// it current. All open, and the data is migrated exactly once.
TEST(SqliteMigrationTest, DriversOpeningAnOldFileAtOnceMigrateItOnce) {
  constexpr int kDrivers = 4;
  constexpr int kKeys = 2000;
  for (int version : {1, 2}) {
    SCOPED_TRACE(absl::StrCat("version ", version));
    StoreSpec spec = SqliteSpec(MakeTempDir());
    const std::string path = spec.data_dir + "/test.db";
    if (version == 1) {
      std::vector<std::pair<std::string, std::string>> rows;
      for (int i = 0; i < kKeys; ++i) {
        rows.emplace_back(absl::StrFormat("k%05d", i), absl::StrCat(i));
      }
      CreateV1Database(path, rows);
    } else {
      std::vector<V2Row> rows;
      for (int i = 0; i < kKeys; ++i) {
        rows.push_back({absl::StrFormat("k%05d", i), i + 1, absl::StrCat(i)});
      }
      CreateV2Database(path, rows, kKeys);
    }
    absl::Notification start;
    std::vector<absl::StatusOr<std::unique_ptr<Driver>>> drivers(kDrivers);
    std::vector<std::thread> openers;
    for (int d = 0; d < kDrivers; ++d) {
      openers.emplace_back([&, d] {
        start.WaitForNotification();
        drivers[d] = OpenDriver(spec);
      });
    }
    start.Notify();
    for (std::thread& opener : openers) opener.join();
    for (auto& driver : drivers) {
      ASSERT_THAT(driver, IsOk());
      EXPECT_THAT((*driver)->CurrentRevision(), IsOkAndHolds(kKeys));
      absl::StatusOr<Versioned> last = (*driver)->Get("k01999");
      ASSERT_THAT(last, IsOk());
      EXPECT_EQ(last->value, "1999");
      EXPECT_EQ(last->revision, static_cast<uint64_t>(kKeys));
    }
    // Each driver writes on after the others.
    for (auto& driver : drivers)
      ASSERT_THAT((*driver)->Set("new", "v"), IsOk());
    EXPECT_THAT((*drivers[0])->CurrentRevision(),
                IsOkAndHolds(kKeys + kDrivers));
    RawDatabase raw(path);
    EXPECT_EQ(raw.Query("PRAGMA user_version"),
              std::to_string(kSqliteSchemaVersion));
    EXPECT_EQ(raw.Query("SELECT count(*) FROM kv"), std::to_string(kKeys + 1));
  }
}

// Both old versions end up with exactly the schema of a new database.
TEST(SqliteMigrationTest, MigratedSchemaIsThatOfANewDatabase) {
  StoreSpec fresh = SqliteSpec(MakeTempDir());
  ASSERT_THAT(OpenDriver(fresh), IsOk());
  RawDatabase fresh_raw(fresh.data_dir + "/test.db");
  const std::string schema = SchemaOf(fresh_raw);
  EXPECT_THAT(schema, AllOf(HasSubstr("revision INTEGER NOT NULL, expires_at "
                                      "INTEGER, value BLOB NOT NULL"),
                            HasSubstr("index kv_expires_at: CREATE INDEX "
                                      "kv_expires_at ON kv(expires_at) WHERE "
                                      "expires_at IS NOT NULL")));
  for (int version : {1, 2}) {
    SCOPED_TRACE(absl::StrCat("version ", version));
    StoreSpec migrated = SqliteSpec(MakeTempDir());
    const std::string path = migrated.data_dir + "/test.db";
    if (version == 1) {
      CreateV1Database(path, {{"k", "v"}});
    } else {
      CreateV2Database(path, {{"k", 1, "v"}}, 1);
    }
    ASSERT_THAT(OpenDriver(migrated), IsOk());
    RawDatabase migrated_raw(path);
    EXPECT_EQ(SchemaOf(migrated_raw), schema);
    EXPECT_EQ(migrated_raw.Query("PRAGMA journal_mode"), "wal");
  }
}

TEST(SqliteDriverTest, NewerSchemaVersionIsRefused) {
  StoreSpec spec = SqliteSpec(MakeTempDir());
  const std::string path = spec.data_dir + "/test.db";
  {
    RawDatabase raw(path);
    raw.Exec(
        "CREATE TABLE kv(key BLOB PRIMARY KEY, value BLOB NOT NULL) "
        "WITHOUT ROWID; PRAGMA user_version = 4;");
  }
  static_assert(kSqliteSchemaVersion == 3, "use a version above the current");
  EXPECT_THAT(OpenDriver(spec),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("store \"test\""), HasSubstr(path),
                             HasSubstr("schema version 4"))));
  RawDatabase raw(path);
  EXPECT_EQ(raw.Query("PRAGMA user_version"), "4");  // Left untouched.
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
