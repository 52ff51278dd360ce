#include "store/sqlite/sqlite_driver.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
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

namespace kv {
namespace {

using ::kv::testing::DriverConformanceTest;
using ::kv::testing::DriverFactoryParam;
using ::kv::testing::DriverFactoryParamName;
using ::kv::testing::IsOk;
using ::kv::testing::IsOkAndHolds;
using ::kv::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

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

absl::StatusOr<std::unique_ptr<Driver>> OpenFreshFsync() {
  return OpenDriver(SqliteSpec(MakeTempDir(), "conformance"));
}

absl::StatusOr<std::unique_ptr<Driver>> OpenFreshOs() {
  StoreSpec spec = SqliteSpec(MakeTempDir(), "conformance");
  spec.options["durability"] = "os";
  return OpenDriver(spec);
}

INSTANTIATE_TEST_SUITE_P(
    Sqlite, DriverConformanceTest,
    ::testing::Values(DriverFactoryParam{"fsync", &OpenFreshFsync},
                      DriverFactoryParam{"os", &OpenFreshOs}),
    DriverFactoryParamName);

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
    ASSERT_THAT((*driver)->Get("kept"), IsOkAndHolds("value"));
  }
  // A clean close checkpoints the WAL into the database and removes it.
  const std::string path = spec.data_dir + "/test.db";
  EXPECT_TRUE(std::filesystem::exists(path));
  EXPECT_FALSE(std::filesystem::exists(path + "-wal"));

  absl::StatusOr<std::unique_ptr<Driver>> reopened = OpenDriver(spec);
  ASSERT_THAT(reopened, IsOk());
  EXPECT_THAT((*reopened)->Get("kept"), IsOkAndHolds("value"));
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
  EXPECT_THAT((*reopened)->Get("key"), IsOkAndHolds("value"));
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
}

TEST(SqliteDriverTest, NewerSchemaVersionIsRefused) {
  StoreSpec spec = SqliteSpec(MakeTempDir());
  const std::string path = spec.data_dir + "/test.db";
  {
    RawDatabase raw(path);
    raw.Exec(
        "CREATE TABLE kv(key BLOB PRIMARY KEY, value BLOB NOT NULL) "
        "WITHOUT ROWID; PRAGMA user_version = 2;");
  }
  EXPECT_THAT(OpenDriver(spec),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("store \"test\""), HasSubstr(path),
                             HasSubstr("schema version 2"))));
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

  absl::Time start = absl::Now();
  EXPECT_THAT((*driver)->Get("k"), IsOkAndHolds("old"));
  EXPECT_LT(absl::Now() - start, absl::Seconds(1)) << "a read waited";

  EXPECT_THAT((*driver)->Set("k", "mine"),
              StatusIs(absl::StatusCode::kUnavailable,
                       AllOf(HasSubstr("store \"test\""),
                             HasSubstr("cannot write to SQLite database"),
                             HasSubstr("database is locked"))));
  other.Exec("COMMIT");
  EXPECT_THAT((*driver)->Get("k"), IsOkAndHolds("new"));
  EXPECT_THAT((*driver)->Set("k", "mine"), IsOk());
}

}  // namespace
}  // namespace kv
