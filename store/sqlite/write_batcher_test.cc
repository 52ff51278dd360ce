#include "store/sqlite/write_batcher.h"

#include <deque>
#include <map>
#include <memory>
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
#include "absl/types/span.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/driver.h"
#include "store/testing/status_matchers.h"

namespace kv {
namespace {

using ::kv::testing::IsOk;
using ::kv::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A map standing in for a database: applies each item all-or-nothing,
// gives revisions 1, 2, ... in the order it applies mutations, records
// every batch, and can hold the first batch until the test releases it, so
// that writes queue up behind a commit in flight without any timing.
class FakeStore {
 public:
  WriteBatcher::Applier Applier() {
    return [this](absl::Span<WriteItem* const> batch) { Apply(batch); };
  }

  // The next Apply blocks until Release().
  void HoldNextBatch() {
    absl::MutexLock lock(&mutex_);
    hold_ = true;
  }

  // Waits until a held batch is blocked in Apply.
  void AwaitHeld() {
    absl::MutexLock lock(&mutex_);
    while (!held_) changed_.Wait(&mutex_);
  }

  void Release() {
    absl::MutexLock lock(&mutex_);
    hold_ = false;
    changed_.SignalAll();
  }

  // An item with a mutation on this key fails as a whole; the rest of its
  // batch succeeds.
  void FailKey(const std::string& key) {
    absl::MutexLock lock(&mutex_);
    failing_key_ = key;
  }

  std::vector<size_t> batch_sizes() {
    absl::MutexLock lock(&mutex_);
    return batch_sizes_;
  }

  std::map<std::string, std::string> data() {
    absl::MutexLock lock(&mutex_);
    return data_;
  }

  // Each item applied, in order: its first key, or "task".
  std::vector<std::string> applied() {
    absl::MutexLock lock(&mutex_);
    return applied_;
  }

 private:
  void Apply(absl::Span<WriteItem* const> batch) {
    absl::MutexLock lock(&mutex_);
    if (hold_) {
      held_ = true;
      changed_.SignalAll();
      while (hold_) changed_.Wait(&mutex_);
      held_ = false;
    }
    batch_sizes_.push_back(batch.size());
    for (WriteItem* item : batch) {
      if (item->task) {
        applied_.push_back("task");
        absl::Status status = item->task();
        if (status.ok()) {
          item->outcome = MutationResults();
        } else {
          item->outcome = status;
        }
        continue;
      }
      applied_.emplace_back(item->mutations.front().key);
      bool refused = false;
      for (const Mutation& mutation : item->mutations) {
        if (mutation.key == failing_key_) refused = true;
      }
      if (refused) {
        item->outcome =
            absl::AbortedError(absl::StrCat("refused ", failing_key_));
        continue;
      }
      MutationResults results;
      for (const Mutation& mutation : item->mutations) {
        const std::string key(mutation.key);
        if (mutation.kind == Mutation::Kind::kDelete) {
          data_.erase(key);
        } else {
          data_[key] = std::string(mutation.value);
        }
        results.push_back(MutationResult{++revision_, 0});
      }
      item->outcome = std::move(results);
    }
  }

  absl::Mutex mutex_;
  absl::CondVar changed_;
  bool hold_ ABSL_GUARDED_BY(mutex_) = false;
  bool held_ ABSL_GUARDED_BY(mutex_) = false;
  std::string failing_key_ ABSL_GUARDED_BY(mutex_);
  std::vector<size_t> batch_sizes_ ABSL_GUARDED_BY(mutex_);
  std::map<std::string, std::string> data_ ABSL_GUARDED_BY(mutex_);
  std::vector<std::string> applied_ ABSL_GUARDED_BY(mutex_);
  uint64_t revision_ ABSL_GUARDED_BY(mutex_) = 0;
};

// Waits until `count` items are queued behind the batch in flight. The
// deadline is a hang guard, not a timing assertion.
void AwaitQueued(const WriteBatcher& batcher, size_t count) {
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (batcher.stats().queued < count) {
    ASSERT_LT(absl::Now(), deadline)
        << "only " << batcher.stats().queued << " of " << count << " queued";
    absl::SleepFor(absl::Milliseconds(1));
  }
}

absl::StatusOr<MutationResults> Set(WriteBatcher& batcher,
                                    absl::string_view key,
                                    absl::string_view value) {
  return batcher.Write({Mutation::Set(key, value)});
}

TEST(WriteBatcherTest, LoneWriteIsAppliedAtOnceInABatchOfOne) {
  FakeStore store;
  WriteBatcher batcher("s", store.Applier());
  EXPECT_THAT(Set(batcher, "k", "v"), IsOk());
  EXPECT_THAT(batcher.Write({Mutation::Delete("gone")}), IsOk());
  EXPECT_THAT(store.batch_sizes(), ElementsAre(1, 1));
  EXPECT_EQ(store.data().at("k"), "v");
  WriteBatcher::Stats stats = batcher.stats();
  EXPECT_EQ(stats.batches, 2u);
  EXPECT_EQ(stats.writes, 2u);
  EXPECT_EQ(stats.mutations, 2u);
  EXPECT_EQ(stats.queued, 0u);
}

TEST(WriteBatcherTest, WriteReturnsTheResultsTheApplierGave) {
  FakeStore store;
  WriteBatcher batcher("s", store.Applier());
  absl::StatusOr<MutationResults> results =
      batcher.Write({Mutation::Set("a", "1"), Mutation::Set("b", "2"),
                     Mutation::Delete("a")});
  ASSERT_THAT(results, IsOk());
  ASSERT_EQ(results->size(), 3u);
  EXPECT_EQ((*results)[0].revision, 1u);
  EXPECT_EQ((*results)[1].revision, 2u);
  EXPECT_EQ((*results)[2].revision, 3u);
  EXPECT_EQ(batcher.stats().mutations, 3u);
}

TEST(WriteBatcherTest, WritesQueuedBehindACommitShareTheNextBatch) {
  FakeStore store;
  WriteBatcher batcher("s", store.Applier());
  store.HoldNextBatch();
  std::thread first([&] { EXPECT_THAT(Set(batcher, "first", "1"), IsOk()); });
  store.AwaitHeld();
  std::vector<std::thread> writers;
  for (int i = 0; i < 15; ++i) {
    writers.emplace_back([&, i] {
      EXPECT_THAT(Set(batcher, absl::StrCat("k", i), absl::StrCat("v", i)),
                  IsOk());
    });
  }
  AwaitQueued(batcher, 15);
  store.Release();
  first.join();
  for (std::thread& writer : writers) writer.join();

  EXPECT_THAT(store.batch_sizes(), ElementsAre(1, 15));
  WriteBatcher::Stats stats = batcher.stats();
  EXPECT_EQ(stats.batches, 2u);
  EXPECT_EQ(stats.writes, 16u);
  std::map<std::string, std::string> data = store.data();
  EXPECT_EQ(data.size(), 16u);
  for (int i = 0; i < 15; ++i) {
    EXPECT_EQ(data[absl::StrCat("k", i)], absl::StrCat("v", i));
  }
}

TEST(WriteBatcherTest, BatchesAreBoundedByMutationCount) {
  FakeStore store;
  WriteBatcher::Limits limits;
  limits.max_mutations = 4;
  WriteBatcher batcher("s", store.Applier(), limits);
  store.HoldNextBatch();
  std::thread first([&] { EXPECT_THAT(Set(batcher, "first", "1"), IsOk()); });
  store.AwaitHeld();
  std::vector<std::thread> writers;
  for (int i = 0; i < 10; ++i) {
    writers.emplace_back([&, i] {
      EXPECT_THAT(Set(batcher, absl::StrCat("k", i), "v"), IsOk());
    });
  }
  AwaitQueued(batcher, 10);
  store.Release();
  first.join();
  for (std::thread& writer : writers) writer.join();
  EXPECT_THAT(store.batch_sizes(), ElementsAre(1, 4, 4, 2));
  EXPECT_EQ(store.data().size(), 11u);
}

// Items are never split: one that holds more mutations than the limit
// forms a batch of its own, and a smaller one waits for the next batch
// rather than overfilling this one.
TEST(WriteBatcherTest, AnItemIsNeverSplitAcrossBatches) {
  FakeStore store;
  WriteBatcher::Limits limits;
  limits.max_mutations = 4;
  WriteBatcher batcher("s", store.Applier(), limits);
  store.HoldNextBatch();
  std::thread first([&] { EXPECT_THAT(Set(batcher, "first", "1"), IsOk()); });
  store.AwaitHeld();
  const std::vector<Mutation> three = {Mutation::Set("a", "1"),
                                       Mutation::Set("b", "1"),
                                       Mutation::Set("c", "1")};
  std::vector<Mutation> six;
  const std::vector<std::string> keys = {"d", "e", "f", "g", "h", "i"};
  for (const std::string& key : keys) six.push_back(Mutation::Set(key, "1"));
  std::vector<std::thread> writers;
  writers.emplace_back([&] {
    absl::StatusOr<MutationResults> results = batcher.Write(three);
    ASSERT_THAT(results, IsOk());
    EXPECT_EQ(results->size(), 3u);
  });
  AwaitQueued(batcher, 1);
  writers.emplace_back([&] {
    absl::StatusOr<MutationResults> results = batcher.Write(six);
    ASSERT_THAT(results, IsOk());
    EXPECT_EQ(results->size(), 6u);
  });
  AwaitQueued(batcher, 2);
  writers.emplace_back([&] { EXPECT_THAT(Set(batcher, "j", "1"), IsOk()); });
  AwaitQueued(batcher, 3);
  store.Release();
  first.join();
  for (std::thread& writer : writers) writer.join();
  EXPECT_THAT(store.batch_sizes(), ElementsAre(1, 1, 1, 1));
  EXPECT_EQ(store.data().size(), 11u);
  EXPECT_EQ(batcher.stats().mutations, 11u);
}

TEST(WriteBatcherTest, BatchesAreBoundedByBytesButTakeAtLeastOneItem) {
  FakeStore store;
  WriteBatcher::Limits limits;
  limits.max_bytes = 10;
  WriteBatcher batcher("s", store.Applier(), limits);
  store.HoldNextBatch();
  std::thread first([&] { EXPECT_THAT(Set(batcher, "first", "1"), IsOk()); });
  store.AwaitHeld();
  std::vector<std::thread> writers;
  // Three items of 2 + 3 bytes (two fit in 10), then one larger than the
  // limit on its own.
  for (int i = 0; i < 3; ++i) {
    writers.emplace_back([&, i] {
      EXPECT_THAT(Set(batcher, absl::StrCat("k", i), "vvv"), IsOk());
    });
    AwaitQueued(batcher, i + 1);
  }
  writers.emplace_back(
      [&] { EXPECT_THAT(Set(batcher, "big", std::string(100, 'x')), IsOk()); });
  AwaitQueued(batcher, 4);
  store.Release();
  first.join();
  for (std::thread& writer : writers) writer.join();
  EXPECT_THAT(store.batch_sizes(), ElementsAre(1, 2, 1, 1));
}

TEST(WriteBatcherTest, EachItemGetsItsOwnOutcome) {
  FakeStore store;
  store.FailKey("bad");
  WriteBatcher batcher("s", store.Applier());
  store.HoldNextBatch();
  std::thread first([&] { EXPECT_THAT(Set(batcher, "first", "1"), IsOk()); });
  store.AwaitHeld();
  std::vector<std::thread> writers;
  for (int i = 0; i < 4; ++i) {
    writers.emplace_back([&, i] {
      EXPECT_THAT(Set(batcher, absl::StrCat("k", i), "v"), IsOk());
    });
  }
  writers.emplace_back([&] {
    EXPECT_THAT(batcher.Write({Mutation::Set("with bad", "v"),
                               Mutation::Set("bad", "v")}),
                StatusIs(absl::StatusCode::kAborted, HasSubstr("refused bad")));
  });
  AwaitQueued(batcher, 5);
  store.Release();
  first.join();
  for (std::thread& writer : writers) writer.join();
  EXPECT_THAT(store.batch_sizes(), ElementsAre(1, 5));
  EXPECT_EQ(store.data().size(), 5u);
  EXPECT_EQ(store.data().count("bad"), 0u);
  EXPECT_EQ(store.data().count("with bad"), 0u);
}

TEST(WriteBatcherTest, CloseAppliesQueuedWritesThenRefusesNewOnes) {
  FakeStore store;
  WriteBatcher batcher("orders", store.Applier());
  store.HoldNextBatch();
  std::thread first([&] { EXPECT_THAT(Set(batcher, "first", "1"), IsOk()); });
  store.AwaitHeld();
  std::vector<std::thread> writers;
  for (int i = 0; i < 5; ++i) {
    writers.emplace_back([&, i] {
      EXPECT_THAT(Set(batcher, absl::StrCat("k", i), "v"), IsOk());
    });
  }
  AwaitQueued(batcher, 5);
  std::thread closer([&] { batcher.Close(); });
  // Close cannot finish while a batch is held; whether it has started
  // waiting yet does not matter for what follows.
  store.Release();
  closer.join();
  first.join();
  for (std::thread& writer : writers) writer.join();

  EXPECT_EQ(store.data().size(), 6u);
  EXPECT_EQ(batcher.stats().writes, 6u);
  EXPECT_THAT(Set(batcher, "late", "v"),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("store \"orders\" is closing")));
  EXPECT_THAT(batcher.Write({Mutation::Delete("late")}),
              StatusIs(absl::StatusCode::kUnavailable));
  batcher.Close();  // Idempotent.
}

// A task queues like a write: applied in its turn, in the next batch with
// the writes around it, and its status is RunTask's.
TEST(WriteBatcherTest, TasksTakeTheirTurnWithWrites) {
  FakeStore store;
  WriteBatcher batcher("s", store.Applier());
  store.HoldNextBatch();
  std::thread first([&] { EXPECT_THAT(Set(batcher, "first", "1"), IsOk()); });
  store.AwaitHeld();
  std::thread before([&] { EXPECT_THAT(Set(batcher, "before", "1"), IsOk()); });
  AwaitQueued(batcher, 1);
  int runs = 0;
  std::thread task([&] {
    EXPECT_THAT(batcher.RunTask([&runs] {
      ++runs;
      return absl::OkStatus();
    }),
                IsOk());
  });
  AwaitQueued(batcher, 2);
  std::thread after([&] { EXPECT_THAT(Set(batcher, "after", "1"), IsOk()); });
  AwaitQueued(batcher, 3);
  store.Release();
  for (std::thread* thread : {&first, &before, &task, &after}) thread->join();

  EXPECT_EQ(runs, 1);
  EXPECT_THAT(store.applied(), ElementsAre("first", "before", "task", "after"));
  EXPECT_THAT(store.batch_sizes(), ElementsAre(1, 3));
  WriteBatcher::Stats stats = batcher.stats();
  EXPECT_EQ(stats.writes, 3u);
  EXPECT_EQ(stats.tasks, 1u);
  EXPECT_EQ(stats.mutations, 3u);

  EXPECT_THAT(batcher.RunTask([] { return absl::InternalError("disk"); }),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("disk")));
  batcher.Close();
  EXPECT_THAT(batcher.RunTask([&runs] {
    ++runs;
    return absl::OkStatus();
  }),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(runs, 1);
}

// Collects the outcomes of asynchronous writes, in completion order.
class Outcomes {
 public:
  WriteBatcher::Done Recorder(std::string name) {
    return [this,
            name = std::move(name)](absl::StatusOr<MutationResults> outcome) {
      absl::MutexLock lock(&mutex_);
      completed_.push_back(name);
      outcomes_.emplace(name, std::move(outcome));
      changed_.SignalAll();
    };
  }

  // Waits (with a hang guard) until `count` writes have completed.
  void AwaitCompleted(size_t count) {
    absl::MutexLock lock(&mutex_);
    const absl::Time deadline = absl::Now() + absl::Seconds(60);
    while (completed_.size() < count) {
      ASSERT_FALSE(changed_.WaitWithDeadline(&mutex_, deadline))
          << completed_.size() << " of " << count << " completed";
    }
  }

  std::vector<std::string> completed() {
    absl::MutexLock lock(&mutex_);
    return completed_;
  }

  absl::StatusOr<MutationResults> outcome(const std::string& name) {
    absl::MutexLock lock(&mutex_);
    return outcomes_.at(name);
  }

 private:
  absl::Mutex mutex_;
  absl::CondVar changed_;
  std::vector<std::string> completed_ ABSL_GUARDED_BY(mutex_);
  std::map<std::string, absl::StatusOr<MutationResults>> outcomes_
      ABSL_GUARDED_BY(mutex_);
};

// One thread queues any number of writes without waiting: a batch is not
// bounded by the number of waiting threads. The items reach the Applier,
// and their callbacks run, in queue order.
TEST(WriteBatcherTest, AsyncWritesFromOneThreadShareTheNextBatchInOrder) {
  FakeStore store;
  WriteBatcher batcher("s", store.Applier());
  Outcomes outcomes;
  // Every Mutation must outlive its write; a deque never moves its elements.
  std::deque<Mutation> mutations;
  auto start = [&](Mutation mutation, std::string name) {
    mutations.push_back(mutation);
    batcher.WriteAsync(absl::MakeConstSpan(&mutations.back(), 1),
                       outcomes.Recorder(std::move(name)));
  };
  store.HoldNextBatch();
  start(Mutation::Set("first", "1"), "first");
  store.AwaitHeld();
  std::vector<std::string> keys;
  for (int i = 0; i < 100; ++i) keys.push_back(absl::StrCat("k", i));
  for (const std::string& key : keys) start(Mutation::Set(key, "v"), key);
  start(Mutation::Delete("first"), "delete first");
  EXPECT_EQ(batcher.stats().queued, 101u);
  store.Release();
  outcomes.AwaitCompleted(102);

  EXPECT_THAT(store.batch_sizes(), ElementsAre(1, 101));
  std::vector<std::string> expected_order = {"first"};
  expected_order.insert(expected_order.end(), keys.begin(), keys.end());
  expected_order.push_back("delete first");
  EXPECT_EQ(outcomes.completed(), expected_order);
  // The fake numbers mutations in the order it is handed them.
  for (size_t i = 0; i < expected_order.size(); ++i) {
    absl::StatusOr<MutationResults> outcome =
        outcomes.outcome(expected_order[i]);
    ASSERT_THAT(outcome, IsOk()) << expected_order[i];
    EXPECT_EQ(outcome->front().revision, i + 1) << expected_order[i];
  }
  EXPECT_EQ(store.data().size(), 100u);
  EXPECT_EQ(store.data().count("first"), 0u);
}

TEST(WriteBatcherTest, AsyncWritesGetTheirOwnOutcome) {
  FakeStore store;
  store.FailKey("bad");
  WriteBatcher batcher("s", store.Applier());
  Outcomes outcomes;
  const Mutation good = Mutation::Set("good", "v");
  const Mutation bad = Mutation::Set("bad", "v");
  batcher.WriteAsync(absl::MakeConstSpan(&good, 1), outcomes.Recorder("good"));
  batcher.WriteAsync(absl::MakeConstSpan(&bad, 1), outcomes.Recorder("bad"));
  outcomes.AwaitCompleted(2);
  EXPECT_THAT(outcomes.outcome("good"), IsOk());
  EXPECT_THAT(outcomes.outcome("bad"),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("refused bad")));
}

TEST(WriteBatcherTest, CloseCompletesQueuedAsyncWritesThenRefusesAtOnce) {
  FakeStore store;
  auto batcher = std::make_unique<WriteBatcher>("orders", store.Applier());
  Outcomes outcomes;
  // Mutations outlive their writes, as WriteAsync requires.
  std::deque<std::string> keys;
  std::deque<Mutation> mutations;
  auto start = [&](std::string key) {
    keys.push_back(std::move(key));
    mutations.push_back(Mutation::Set(keys.back(), "v"));
    batcher->WriteAsync(absl::MakeConstSpan(&mutations.back(), 1),
                        outcomes.Recorder(keys.back()));
  };
  store.HoldNextBatch();
  start("first");
  store.AwaitHeld();
  for (int i = 0; i < 5; ++i) start(absl::StrCat("k", i));
  std::thread closer([&] { batcher->Close(); });
  store.Release();
  closer.join();
  // Close returned: every queued write has completed.
  EXPECT_EQ(outcomes.completed().size(), 6u);
  EXPECT_EQ(store.data().size(), 6u);

  // A write after Close completes before WriteAsync returns.
  start("late");
  EXPECT_EQ(outcomes.completed().size(), 7u);
  EXPECT_THAT(outcomes.outcome("late"),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("store \"orders\" is closing")));
  batcher.reset();
}

TEST(WriteBatcherTest, ManyConcurrentWritersAreAllAppliedInFewerBatches) {
  FakeStore store;
  WriteBatcher batcher("s", store.Applier());
  constexpr int kThreads = 16;
  constexpr int kWritesPerThread = 500;
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      uint64_t last_revision = 0;
      for (int i = 0; i < kWritesPerThread; ++i) {
        const std::string key = absl::StrCat("t", t, "-", i);
        absl::StatusOr<MutationResults> set = Set(batcher, key, key);
        ASSERT_THAT(set, IsOk());
        // A later write from the same caller applies after this one.
        EXPECT_GT(set->front().revision, last_revision);
        last_revision = set->front().revision;
        if (i % 2 == 1) {
          ASSERT_THAT(batcher.Write({Mutation::Delete(key)}), IsOk());
        }
      }
    });
  }
  for (std::thread& writer : writers) writer.join();
  std::map<std::string, std::string> data = store.data();
  EXPECT_EQ(data.size(), kThreads * kWritesPerThread / 2);
  for (const auto& [key, value] : data) EXPECT_EQ(key, value);
  WriteBatcher::Stats stats = batcher.stats();
  EXPECT_EQ(stats.writes, kThreads * kWritesPerThread * 3 / 2);
  EXPECT_LE(stats.batches, stats.writes);
  EXPECT_EQ(stats.queued, 0u);
}

}  // namespace
}  // namespace kv
