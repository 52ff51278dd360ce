// Group commit in the SQLite driver, on real database files: concurrent
// writers, batches that actually form, revisions in queue order, failing
// writes inside a shared batch, and closing with writes queued.

#include <sqlite3.h>
#include <stdlib.h>

#include <cstdlib>
#include <deque>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
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
#include "store/write_errors.h"

namespace kv {
namespace {

using ::kv::testing::IsOk;
using ::kv::testing::IsOkAndHolds;
using ::kv::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Optional;

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

// The value under `key`, without its revision.
absl::StatusOr<std::string> ValueOf(Driver& driver, absl::string_view key) {
  absl::StatusOr<Versioned> got = driver.Get(key);
  if (!got.ok()) return got.status();
  return std::move(got->value);
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
          ASSERT_THAT(ValueOf(*driver, key), IsOkAndHolds("value of " + key));
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
    EXPECT_EQ(stats.writes, kThreads * kSetsPerThread);
    EXPECT_LE(stats.batches, stats.writes);
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
  EXPECT_THAT(ValueOf(*driver, "old0"), IsOkAndHolds("x"));
  gate.Release();
  first.join();
  for (std::thread& writer : writers) writer.join();

  const WriteBatcher::Stats after = StatsOf(*driver);
  EXPECT_EQ(after.batches - before.batches, 2u);
  EXPECT_EQ(after.writes - before.writes, 16u);
  EXPECT_THAT(ValueOf(*driver, "first"), IsOkAndHolds("1"));
  for (int i = 0; i < 10; ++i) {
    EXPECT_THAT(ValueOf(*driver, absl::StrCat("new", i)),
                IsOkAndHolds(absl::StrCat("v", i)));
  }
  for (int i = 0; i < 5; ++i) {
    EXPECT_THAT(driver->Exists(absl::StrCat("old", i)), IsOkAndHolds(false));
  }
}

// Collects the outcomes of WriteAsync calls by name.
class Outcomes {
 public:
  Driver::WriteDone Recorder(std::string name) {
    return [this,
            name = std::move(name)](absl::StatusOr<MutationResults> outcome) {
      absl::MutexLock lock(&mutex_);
      outcomes_.emplace(name, std::move(outcome));
      changed_.SignalAll();
    };
  }

  // Waits (with a hang guard) until `count` writes have completed.
  void AwaitCompleted(size_t count) {
    absl::MutexLock lock(&mutex_);
    const absl::Time deadline = absl::Now() + absl::Seconds(60);
    while (outcomes_.size() < count) {
      ASSERT_FALSE(changed_.WaitWithDeadline(&mutex_, deadline))
          << outcomes_.size() << " of " << count << " completed";
    }
  }

  absl::StatusOr<MutationResults> outcome(const std::string& name) {
    absl::MutexLock lock(&mutex_);
    auto it = outcomes_.find(name);
    if (it == outcomes_.end()) return absl::NotFoundError(name);
    return it->second;
  }

 private:
  absl::Mutex mutex_;
  absl::CondVar changed_;
  std::map<std::string, absl::StatusOr<MutationResults>> outcomes_
      ABSL_GUARDED_BY(mutex_);
};

// Writes queued behind a held commit, by one thread, each a Driver::Write
// of its own. Named so outcomes can be looked up; the mutations (and the
// strings they view) outlive the writes, as WriteAsync requires.
class QueuedWrites {
 public:
  QueuedWrites(Driver& driver, Outcomes& outcomes)
      : driver_(driver), outcomes_(outcomes) {}

  void Start(std::string name, std::vector<Mutation> mutations) {
    writes_.push_back(std::move(mutations));
    driver_.WriteAsync(writes_.back(), outcomes_.Recorder(std::move(name)));
  }

  // Keeps `text` alive for the writes' lifetime and returns a view of it.
  absl::string_view Keep(std::string text) {
    texts_.push_back(std::move(text));
    return texts_.back();
  }

 private:
  Driver& driver_;
  Outcomes& outcomes_;
  std::deque<std::vector<Mutation>> writes_;
  std::deque<std::string> texts_;
};

// Every write queued behind one commit shares the next transaction, and
// gets its revisions in queue order: consecutive, since nothing else wrote
// in between, with none consumed by a delete of an absent key.
TEST(SqliteGroupCommitTest, RevisionsFollowQueueOrder) {
  BatchGate gate;
  SqliteOptions options = OptionsIn(MakeTempDir());
  options.before_batch_for_testing = gate.Hook();
  std::unique_ptr<Driver> driver = OpenOrDie(options);
  ASSERT_NE(driver, nullptr);
  absl::StatusOr<uint64_t> base = driver->Set("counter", "10");
  ASSERT_THAT(base, IsOk());
  const WriteBatcher::Stats before = StatsOf(*driver);

  Outcomes outcomes;
  QueuedWrites writes(*driver, outcomes);
  gate.Arm();
  writes.Start("held", {Mutation::Set("held", "1")});
  gate.AwaitHeld();
  constexpr int kWrites = 30;
  for (int i = 0; i < kWrites; ++i) {
    const absl::string_view key = writes.Keep(absl::StrCat("k", i));
    if (i % 3 == 0) {
      writes.Start(absl::StrCat(i), {Mutation::Increment("counter", 1)});
    } else if (i % 3 == 1) {
      writes.Start(absl::StrCat(i),
                   {Mutation::Set(key, "v"), Mutation::Delete("absent")});
    } else {
      writes.Start(absl::StrCat(i), {Mutation::Set(key, "v", 0)});
    }
  }
  AwaitQueued(*driver, kWrites);
  gate.Release();
  outcomes.AwaitCompleted(kWrites + 1);

  const WriteBatcher::Stats after = StatsOf(*driver);
  EXPECT_EQ(after.batches - before.batches, 2u);  // The held one, then all.
  absl::StatusOr<MutationResults> held = outcomes.outcome("held");
  ASSERT_THAT(held, IsOk());
  EXPECT_EQ(held->front().revision, *base + 1);
  uint64_t expected = *base + 2;
  int64_t counter = 10;
  for (int i = 0; i < kWrites; ++i) {
    absl::StatusOr<MutationResults> results = outcomes.outcome(absl::StrCat(i));
    ASSERT_THAT(results, IsOk()) << i;
    EXPECT_EQ(results->front().revision, expected) << i;
    if (i % 3 == 0) {
      EXPECT_EQ(results->front().value, ++counter) << i;
    } else if (i % 3 == 1) {
      EXPECT_EQ((*results)[1].revision, 0u) << i;  // The absent key.
    }
    ++expected;
  }
  EXPECT_THAT(driver->CurrentRevision(), IsOkAndHolds(expected - 1));
  EXPECT_THAT(ValueOf(*driver, "counter"), IsOkAndHolds(absl::StrCat(counter)));
}

// Writes that are refused (a failed condition, an increment of a
// non-integer, an overflow) inside a shared batch roll back only
// themselves, whole, and use no revision; the writes around them commit.
TEST(SqliteGroupCommitTest, RefusedWritesInASharedBatchLeaveTheOthersApplied) {
  BatchGate gate;
  SqliteOptions options = OptionsIn(MakeTempDir());
  options.before_batch_for_testing = gate.Hook();
  std::unique_ptr<Driver> driver = OpenOrDie(options);
  ASSERT_NE(driver, nullptr);
  ASSERT_THAT(driver->Set("text", "hello"), IsOk());
  ASSERT_THAT(
      driver->Set("max", absl::StrCat(std::numeric_limits<int64_t>::max())),
      IsOk());
  absl::StatusOr<uint64_t> guarded = driver->Set("guarded", "old");
  ASSERT_THAT(guarded, IsOk());
  const WriteBatcher::Stats before = StatsOf(*driver);

  Outcomes outcomes;
  QueuedWrites writes(*driver, outcomes);
  gate.Arm();
  writes.Start("held", {Mutation::Set("held", "1")});
  gate.AwaitHeld();
  writes.Start("good1", {Mutation::Set("a", "1"), Mutation::Increment("n", 1)});
  writes.Start("stale", {Mutation::Set("b", "1"),
                         Mutation::Set("guarded", "new", *guarded + 100)});
  writes.Start("good2", {Mutation::Set("c", "1")});
  writes.Start("text", {Mutation::Increment("n", 1), Mutation::Delete("a"),
                        Mutation::Increment("text", 1)});
  writes.Start("overflow",
               {Mutation::Set("d", "1"), Mutation::Increment("max", 1)});
  // A lone Increment takes a path of its own (one statement); refused, it
  // too leaves the transaction to the others.
  writes.Start("lone text", {Mutation::Increment("text", 1)});
  writes.Start("lone overflow", {Mutation::Increment("max", 1)});
  writes.Start("lone good", {Mutation::Increment("m", -3)});
  // Sees "good1" (queued before it) and not what the refused ones wanted.
  writes.Start("good3", {Mutation::Increment("n", 1),
                         Mutation::Set("guarded", "mine", *guarded)});
  AwaitQueued(*driver, 9);
  gate.Release();
  outcomes.AwaitCompleted(10);
  EXPECT_EQ(StatsOf(*driver).batches - before.batches, 2u);

  absl::StatusOr<MutationResults> stale = outcomes.outcome("stale");
  EXPECT_THAT(stale.status(), StatusIs(absl::StatusCode::kAborted));
  EXPECT_THAT(ConditionFailedRevision(stale.status()), Optional(*guarded));
  EXPECT_THAT(FailedMutationIndex(stale.status()), Optional(1u));
  absl::StatusOr<MutationResults> text = outcomes.outcome("text");
  EXPECT_TRUE(IsNotAnInteger(text.status())) << text.status();
  EXPECT_THAT(FailedMutationIndex(text.status()), Optional(2u));
  absl::StatusOr<MutationResults> overflow = outcomes.outcome("overflow");
  EXPECT_TRUE(IsIncrementOverflow(overflow.status())) << overflow.status();
  EXPECT_THAT(FailedMutationIndex(overflow.status()), Optional(1u));
  absl::StatusOr<MutationResults> lone_text = outcomes.outcome("lone text");
  EXPECT_TRUE(IsNotAnInteger(lone_text.status())) << lone_text.status();
  EXPECT_THAT(FailedMutationIndex(lone_text.status()), Optional(0u));
  absl::StatusOr<MutationResults> lone_overflow =
      outcomes.outcome("lone overflow");
  EXPECT_TRUE(IsIncrementOverflow(lone_overflow.status()))
      << lone_overflow.status();
  EXPECT_THAT(ValueOf(*driver, "max"),
              IsOkAndHolds(absl::StrCat(std::numeric_limits<int64_t>::max())));

  // Nothing of the refused writes applied.
  EXPECT_THAT(driver->Exists("b"), IsOkAndHolds(false));
  EXPECT_THAT(driver->Exists("d"), IsOkAndHolds(false));
  EXPECT_THAT(driver->Exists("a"), IsOkAndHolds(true));
  EXPECT_THAT(ValueOf(*driver, "text"), IsOkAndHolds("hello"));

  // The others did, with consecutive revisions: the refused used none.
  absl::StatusOr<MutationResults> held = outcomes.outcome("held");
  absl::StatusOr<MutationResults> good1 = outcomes.outcome("good1");
  absl::StatusOr<MutationResults> good2 = outcomes.outcome("good2");
  absl::StatusOr<MutationResults> good3 = outcomes.outcome("good3");
  ASSERT_THAT(held, IsOk());
  ASSERT_THAT(good1, IsOk());
  ASSERT_THAT(good2, IsOk());
  ASSERT_THAT(good3, IsOk());
  absl::StatusOr<MutationResults> lone_good = outcomes.outcome("lone good");
  ASSERT_THAT(lone_good, IsOk());
  const uint64_t first = held->front().revision;
  EXPECT_EQ((*good1)[0].revision, first + 1);
  EXPECT_EQ((*good1)[1].revision, first + 2);
  EXPECT_EQ((*good2)[0].revision, first + 3);
  EXPECT_EQ((*lone_good)[0].revision, first + 4);
  EXPECT_EQ((*lone_good)[0].value, -3);
  EXPECT_EQ((*good3)[0].revision, first + 5);
  EXPECT_EQ((*good3)[1].revision, first + 6);
  EXPECT_EQ((*good3)[0].value, 2);
  EXPECT_THAT(ValueOf(*driver, "m"), IsOkAndHolds("-3"));
  EXPECT_THAT(ValueOf(*driver, "n"), IsOkAndHolds("2"));
  EXPECT_THAT(ValueOf(*driver, "guarded"), IsOkAndHolds("mine"));
  EXPECT_THAT(ValueOf(*driver, "c"), IsOkAndHolds("1"));
  EXPECT_THAT(driver->CurrentRevision(), IsOkAndHolds(first + 6));
}

// A trigger created behind the driver's back refuses one key, as a real
// statement failure inside a batch. RAISE(ABORT) undoes only the failing
// statement; RAISE(ROLLBACK) undoes the whole transaction. Either way the
// other writes of the batch succeed and the failing one reports the error,
// with none of its mutations applied.
class SqliteFailingOpTest : public ::testing::TestWithParam<const char*> {};

TEST_P(SqliteFailingOpTest, OneFailingWriteInABatchFailsAlone) {
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
    EXPECT_THAT(driver->Write({Mutation::Set("before bad", "v"),
                               Mutation::Set("bad", "v")}),
                StatusIs(absl::StatusCode::kInternal,
                         HasSubstr("key refused by trigger")));
  });
  AwaitQueued(*driver, 5);
  gate.Release();
  first.join();
  for (std::thread& writer : writers) writer.join();

  for (int i = 0; i < 4; ++i) {
    EXPECT_THAT(ValueOf(*driver, absl::StrCat("good", i)), IsOkAndHolds("v"));
  }
  EXPECT_THAT(driver->Exists("bad"), IsOkAndHolds(false));
  EXPECT_THAT(driver->Exists("before bad"), IsOkAndHolds(false));
  // The writer is usable afterwards, in a batch and alone.
  EXPECT_THAT(driver->Set("after", "v"), IsOk());
  EXPECT_THAT(ValueOf(*driver, "after"), IsOkAndHolds("v"));
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
  EXPECT_THAT(ValueOf(*reopened, "first"), IsOkAndHolds("1"));
  for (int i = 0; i < 8; ++i) {
    EXPECT_THAT(ValueOf(*reopened, absl::StrCat("k", i)),
                IsOkAndHolds(absl::StrCat("v", i)));
  }
}

}  // namespace
}  // namespace kv
