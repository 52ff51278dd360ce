// Group commit in the SQLite driver, on real database files: concurrent
// writers, batches that actually form, one failing op in a batch, and
// closing with writes queued.

#include <sqlite3.h>
#include <stdlib.h>

#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/driver.h"
#include "store/sqlite/sqlite_driver.h"
#include "store/sqlite/write_batcher.h"
#include "store/testing/status_matchers.h"

namespace kv {
namespace {

using ::kv::testing::IsOk;
using ::kv::testing::IsOkAndHolds;
using ::kv::testing::StatusIs;
using ::testing::HasSubstr;

std::string MakeTempDir() {
  const char* root = std::getenv("TEST_TMPDIR");
  std::string pattern = absl::StrCat(root != nullptr ? root : "/tmp",
                                     "/sqlite_group_commit_test.XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) {
    ADD_FAILURE() << "mkdtemp " << pattern << " failed";
  }
  return pattern;
}

SqliteOptions OptionsIn(const std::string& dir,
                        SqliteDurability durability = SqliteDurability::kOs) {
  SqliteOptions options;
  options.store_name = "test";
  options.path = dir + "/test.db";
  options.durability = durability;
  return options;
}

std::unique_ptr<Driver> OpenOrDie(const SqliteOptions& options) {
  absl::StatusOr<std::unique_ptr<Driver>> driver = OpenSqliteDriver(options);
  EXPECT_THAT(driver.status(), IsOk());
  return driver.ok() ? std::move(*driver) : nullptr;
}

WriteBatcher::Stats StatsOf(const Driver& driver) {
  std::optional<WriteBatcher::Stats> stats = SqliteWriteStats(driver);
  EXPECT_TRUE(stats.has_value());
  return stats.value_or(WriteBatcher::Stats());
}

// Installed as before_batch_for_testing: holds the first batch after Arm()
// until Release(), so that writes queue up behind it without any timing.
class BatchGate {
 public:
  std::function<void(size_t)> Hook() {
    return [this](size_t) {
      absl::MutexLock lock(&mutex_);
      if (!armed_) return;
      armed_ = false;
      held_ = true;
      changed_.SignalAll();
      while (held_) changed_.Wait(&mutex_);
    };
  }

  void Arm() {
    absl::MutexLock lock(&mutex_);
    armed_ = true;
  }

  void AwaitHeld() {
    absl::MutexLock lock(&mutex_);
    while (!held_) changed_.Wait(&mutex_);
  }

  void Release() {
    absl::MutexLock lock(&mutex_);
    held_ = false;
    changed_.SignalAll();
  }

 private:
  absl::Mutex mutex_;
  absl::CondVar changed_;
  bool armed_ ABSL_GUARDED_BY(mutex_) = false;
  bool held_ ABSL_GUARDED_BY(mutex_) = false;
};

// Waits until `count` writes are queued behind the held batch. The deadline
// is a hang guard, not a timing assertion.
void AwaitQueued(const Driver& driver, size_t count) {
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (StatsOf(driver).queued < count) {
    ASSERT_LT(absl::Now(), deadline) << "fewer than " << count << " queued";
    absl::SleepFor(absl::Milliseconds(1));
  }
}

void ExecOrDie(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);
  char* error = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK)
      << sql << ": " << (error != nullptr ? error : "");
  sqlite3_free(error);
  EXPECT_EQ(sqlite3_close(db), SQLITE_OK);
}

TEST(SqliteGroupCommitTest, ConcurrentWritersAreAllAcknowledgedAndReadable) {
  for (SqliteDurability durability :
       {SqliteDurability::kOs, SqliteDurability::kFsync}) {
    std::unique_ptr<Driver> driver =
        OpenOrDie(OptionsIn(MakeTempDir(), durability));
    ASSERT_NE(driver, nullptr);
    constexpr int kThreads = 16;
    constexpr int kSetsPerThread = 500;
    std::vector<std::thread> writers;
    for (int t = 0; t < kThreads; ++t) {
      writers.emplace_back([&, t] {
        for (int i = 0; i < kSetsPerThread; ++i) {
          const std::string key = absl::StrCat("t", t, "-", i);
          ASSERT_THAT(driver->Set(key, "value of " + key), IsOk());
          // Read-your-writes, on a reader connection.
          ASSERT_THAT(driver->Get(key), IsOkAndHolds("value of " + key));
        }
      });
    }
    for (std::thread& writer : writers) writer.join();

    int keys = 0;
    ASSERT_THAT(driver->ListKeys([&](absl::string_view) {
      ++keys;
      return true;
    }),
                IsOk());
    EXPECT_EQ(keys, kThreads * kSetsPerThread);
    WriteBatcher::Stats stats = StatsOf(*driver);
    EXPECT_EQ(stats.ops, kThreads * kSetsPerThread);
    EXPECT_LE(stats.batches, stats.ops);
    std::printf("durability %s: %d sets in %llu batches\n",
                durability == SqliteDurability::kOs ? "os" : "fsync",
                kThreads * kSetsPerThread,
                static_cast<unsigned long long>(stats.batches));
  }
}

TEST(SqliteGroupCommitTest, WritesQueuedBehindACommitShareOneTransaction) {
  const std::string dir = MakeTempDir();
  BatchGate gate;
  SqliteOptions options = OptionsIn(dir);
  options.before_batch_for_testing = gate.Hook();
  std::unique_ptr<Driver> driver = OpenOrDie(options);
  ASSERT_NE(driver, nullptr);
  for (int i = 0; i < 5; ++i) {
    ASSERT_THAT(driver->Set(absl::StrCat("old", i), "x"), IsOk());
  }
  const WriteBatcher::Stats before = StatsOf(*driver);

  // The gate holds the first batch it sees: this Set, alone.
  gate.Arm();
  std::thread first([&] { EXPECT_THAT(driver->Set("first", "1"), IsOk()); });
  gate.AwaitHeld();
  std::vector<std::thread> writers;
  for (int i = 0; i < 10; ++i) {
    writers.emplace_back([&, i] {
      EXPECT_THAT(driver->Set(absl::StrCat("new", i), absl::StrCat("v", i)),
                  IsOk());
    });
  }
  for (int i = 0; i < 5; ++i) {  // Deletes batch too.
    writers.emplace_back([&, i] {
      EXPECT_THAT(driver->Delete(absl::StrCat("old", i)), IsOk());
    });
  }
  AwaitQueued(*driver, 15);
  // Reads do not wait behind the held write transaction.
  EXPECT_THAT(driver->Get("old0"), IsOkAndHolds("x"));
  gate.Release();
  first.join();
  for (std::thread& writer : writers) writer.join();

  const WriteBatcher::Stats after = StatsOf(*driver);
  EXPECT_EQ(after.batches - before.batches, 2u);
  EXPECT_EQ(after.ops - before.ops, 16u);
  EXPECT_THAT(driver->Get("first"), IsOkAndHolds("1"));
  for (int i = 0; i < 10; ++i) {
    EXPECT_THAT(driver->Get(absl::StrCat("new", i)),
                IsOkAndHolds(absl::StrCat("v", i)));
  }
  for (int i = 0; i < 5; ++i) {
    EXPECT_THAT(driver->Exists(absl::StrCat("old", i)), IsOkAndHolds(false));
  }
}

// A trigger created behind the driver's back refuses one key, as a real
// statement failure inside a batch. RAISE(ABORT) undoes only the failing
// statement; RAISE(ROLLBACK) undoes the whole transaction. Either way the
// other ops of the batch succeed and the failing one reports the error.
class SqliteFailingOpTest : public ::testing::TestWithParam<const char*> {};

TEST_P(SqliteFailingOpTest, OneFailingOpInABatchFailsAlone) {
  const std::string dir = MakeTempDir();
  BatchGate gate;
  SqliteOptions options = OptionsIn(dir);
  options.before_batch_for_testing = gate.Hook();
  std::unique_ptr<Driver> driver = OpenOrDie(options);
  ASSERT_NE(driver, nullptr);
  ExecOrDie(options.path,
            absl::StrCat("CREATE TRIGGER refuse BEFORE INSERT ON kv "
                         "WHEN NEW.key = CAST('bad' AS BLOB) BEGIN "
                         "SELECT RAISE(",
                         GetParam(), ", 'key refused by trigger'); END;"));

  gate.Arm();
  std::thread first([&] { EXPECT_THAT(driver->Set("first", "1"), IsOk()); });
  gate.AwaitHeld();
  std::vector<std::thread> writers;
  for (int i = 0; i < 4; ++i) {
    writers.emplace_back([&, i] {
      EXPECT_THAT(driver->Set(absl::StrCat("good", i), "v"), IsOk());
    });
  }
  writers.emplace_back([&] {
    EXPECT_THAT(driver->Set("bad", "v"),
                StatusIs(absl::StatusCode::kInternal,
                         HasSubstr("key refused by trigger")));
  });
  AwaitQueued(*driver, 5);
  gate.Release();
  first.join();
  for (std::thread& writer : writers) writer.join();

  for (int i = 0; i < 4; ++i) {
    EXPECT_THAT(driver->Get(absl::StrCat("good", i)), IsOkAndHolds("v"));
  }
  EXPECT_THAT(driver->Exists("bad"), IsOkAndHolds(false));
  // The writer is usable afterwards, in a batch and alone.
  EXPECT_THAT(driver->Set("after", "v"), IsOk());
  EXPECT_THAT(driver->Get("after"), IsOkAndHolds("v"));
}

INSTANTIATE_TEST_SUITE_P(Raise, SqliteFailingOpTest,
                         ::testing::Values("ABORT", "ROLLBACK", "FAIL"));

TEST(SqliteGroupCommitTest, DestroyingTheDriverCompletesQueuedWrites) {
  const std::string dir = MakeTempDir();
  BatchGate gate;
  SqliteOptions options = OptionsIn(dir, SqliteDurability::kFsync);
  options.before_batch_for_testing = gate.Hook();
  std::unique_ptr<Driver> driver = OpenOrDie(options);
  ASSERT_NE(driver, nullptr);
  // The writers hold the plain pointer: the unique_ptr is reset under them.
  Driver* const raw = driver.get();

  gate.Arm();
  std::thread first([&] { EXPECT_THAT(raw->Set("first", "1"), IsOk()); });
  gate.AwaitHeld();
  std::vector<std::thread> writers;
  for (int i = 0; i < 8; ++i) {
    writers.emplace_back([&, i] {
      EXPECT_THAT(raw->Set(absl::StrCat("k", i), absl::StrCat("v", i)), IsOk());
    });
  }
  AwaitQueued(*driver, 8);
  std::thread closer([&] { driver.reset(); });
  gate.Release();
  closer.join();  // Returns only once every writer has its answer.
  first.join();
  for (std::thread& writer : writers) writer.join();

  SqliteOptions plain = OptionsIn(dir, SqliteDurability::kFsync);
  std::unique_ptr<Driver> reopened = OpenOrDie(plain);
  ASSERT_NE(reopened, nullptr);
  EXPECT_THAT(reopened->Get("first"), IsOkAndHolds("1"));
  for (int i = 0; i < 8; ++i) {
    EXPECT_THAT(reopened->Get(absl::StrCat("k", i)),
                IsOkAndHolds(absl::StrCat("v", i)));
  }
}

}  // namespace
}  // namespace kv
