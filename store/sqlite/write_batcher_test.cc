#include "store/sqlite/write_batcher.h"

#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/testing/status_matchers.h"

namespace kv {
namespace {

using ::kv::testing::IsOk;
using ::kv::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A map standing in for a database: records every batch, and can hold the
// first batch until the test releases it, so that writes queue up behind a
// commit in flight without any timing.
class FakeStore {
 public:
  WriteBatcher::Applier Applier() {
    return [this](absl::Span<WriteOp* const> batch) { Apply(batch); };
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

  // Ops on this key fail, alone; the rest of their batch succeeds.
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

 private:
  void Apply(absl::Span<WriteOp* const> batch) {
    absl::MutexLock lock(&mutex_);
    if (hold_) {
      held_ = true;
      changed_.SignalAll();
      while (hold_) changed_.Wait(&mutex_);
      held_ = false;
    }
    batch_sizes_.push_back(batch.size());
    for (WriteOp* op : batch) {
      const std::string key(op->key);
      if (key == failing_key_) {
        op->status = absl::InternalError(absl::StrCat("refused ", key));
        continue;
      }
      if (op->is_delete) {
        data_.erase(key);
      } else {
        data_[key] = std::string(op->value);
      }
      op->status = absl::OkStatus();
    }
  }

  absl::Mutex mutex_;
  absl::CondVar changed_;
  bool hold_ ABSL_GUARDED_BY(mutex_) = false;
  bool held_ ABSL_GUARDED_BY(mutex_) = false;
  std::string failing_key_ ABSL_GUARDED_BY(mutex_);
  std::vector<size_t> batch_sizes_ ABSL_GUARDED_BY(mutex_);
  std::map<std::string, std::string> data_ ABSL_GUARDED_BY(mutex_);
};

// Waits until `count` ops are queued behind the batch in flight. The
// deadline is a hang guard, not a timing assertion.
void AwaitQueued(const WriteBatcher& batcher, size_t count) {
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (batcher.stats().queued < count) {
    ASSERT_LT(absl::Now(), deadline)
        << "only " << batcher.stats().queued << " of " << count << " queued";
    absl::SleepFor(absl::Milliseconds(1));
  }
}

TEST(WriteBatcherTest, LoneWriteIsAppliedAtOnceInABatchOfOne) {
  FakeStore store;
  WriteBatcher batcher("s", store.Applier());
  EXPECT_THAT(batcher.Set("k", "v"), IsOk());
  EXPECT_THAT(batcher.Delete("gone"), IsOk());
  EXPECT_THAT(store.batch_sizes(), ElementsAre(1, 1));
  EXPECT_EQ(store.data().at("k"), "v");
  WriteBatcher::Stats stats = batcher.stats();
  EXPECT_EQ(stats.batches, 2u);
  EXPECT_EQ(stats.ops, 2u);
  EXPECT_EQ(stats.queued, 0u);
}

TEST(WriteBatcherTest, WritesQueuedBehindACommitShareTheNextBatch) {
  FakeStore store;
  WriteBatcher batcher("s", store.Applier());
  store.HoldNextBatch();
  std::thread first([&] { EXPECT_THAT(batcher.Set("first", "1"), IsOk()); });
  store.AwaitHeld();
  std::vector<std::thread> writers;
  for (int i = 0; i < 15; ++i) {
    writers.emplace_back([&, i] {
      EXPECT_THAT(batcher.Set(absl::StrCat("k", i), absl::StrCat("v", i)),
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
  EXPECT_EQ(stats.ops, 16u);
  std::map<std::string, std::string> data = store.data();
  EXPECT_EQ(data.size(), 16u);
  for (int i = 0; i < 15; ++i) {
    EXPECT_EQ(data[absl::StrCat("k", i)], absl::StrCat("v", i));
  }
}

TEST(WriteBatcherTest, BatchesAreBoundedByOpCount) {
  FakeStore store;
  WriteBatcher::Limits limits;
  limits.max_ops = 4;
  WriteBatcher batcher("s", store.Applier(), limits);
  store.HoldNextBatch();
  std::thread first([&] { EXPECT_THAT(batcher.Set("first", "1"), IsOk()); });
  store.AwaitHeld();
  std::vector<std::thread> writers;
  for (int i = 0; i < 10; ++i) {
    writers.emplace_back([&, i] {
      EXPECT_THAT(batcher.Set(absl::StrCat("k", i), "v"), IsOk());
    });
  }
  AwaitQueued(batcher, 10);
  store.Release();
  first.join();
  for (std::thread& writer : writers) writer.join();
  EXPECT_THAT(store.batch_sizes(), ElementsAre(1, 4, 4, 2));
  EXPECT_EQ(store.data().size(), 11u);
}

TEST(WriteBatcherTest, BatchesAreBoundedByBytesButTakeAtLeastOneOp) {
  FakeStore store;
  WriteBatcher::Limits limits;
  limits.max_bytes = 10;
  WriteBatcher batcher("s", store.Applier(), limits);
  store.HoldNextBatch();
  std::thread first([&] { EXPECT_THAT(batcher.Set("first", "1"), IsOk()); });
  store.AwaitHeld();
  std::vector<std::thread> writers;
  // Three ops of 2 + 3 bytes (two fit in 10), then one larger than the
  // limit on its own.
  for (int i = 0; i < 3; ++i) {
    writers.emplace_back([&, i] {
      EXPECT_THAT(batcher.Set(absl::StrCat("k", i), "vvv"), IsOk());
    });
    AwaitQueued(batcher, i + 1);
  }
  writers.emplace_back(
      [&] { EXPECT_THAT(batcher.Set("big", std::string(100, 'x')), IsOk()); });
  AwaitQueued(batcher, 4);
  store.Release();
  first.join();
  for (std::thread& writer : writers) writer.join();
  EXPECT_THAT(store.batch_sizes(), ElementsAre(1, 2, 1, 1));
}

TEST(WriteBatcherTest, EachOpGetsItsOwnStatus) {
  FakeStore store;
  store.FailKey("bad");
  WriteBatcher batcher("s", store.Applier());
  store.HoldNextBatch();
  std::thread first([&] { EXPECT_THAT(batcher.Set("first", "1"), IsOk()); });
  store.AwaitHeld();
  std::vector<std::thread> writers;
  for (int i = 0; i < 4; ++i) {
    writers.emplace_back([&, i] {
      EXPECT_THAT(batcher.Set(absl::StrCat("k", i), "v"), IsOk());
    });
  }
  writers.emplace_back([&] {
    EXPECT_THAT(batcher.Set("bad", "v"), StatusIs(absl::StatusCode::kInternal,
                                                  HasSubstr("refused bad")));
  });
  AwaitQueued(batcher, 5);
  store.Release();
  first.join();
  for (std::thread& writer : writers) writer.join();
  EXPECT_THAT(store.batch_sizes(), ElementsAre(1, 5));
  EXPECT_EQ(store.data().size(), 5u);
  EXPECT_EQ(store.data().count("bad"), 0u);
}

TEST(WriteBatcherTest, CloseAppliesQueuedWritesThenRefusesNewOnes) {
  FakeStore store;
  WriteBatcher batcher("orders", store.Applier());
  store.HoldNextBatch();
  std::thread first([&] { EXPECT_THAT(batcher.Set("first", "1"), IsOk()); });
  store.AwaitHeld();
  std::vector<std::thread> writers;
  for (int i = 0; i < 5; ++i) {
    writers.emplace_back([&, i] {
      EXPECT_THAT(batcher.Set(absl::StrCat("k", i), "v"), IsOk());
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
  EXPECT_EQ(batcher.stats().ops, 6u);
  EXPECT_THAT(batcher.Set("late", "v"),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("store \"orders\" is closing")));
  EXPECT_THAT(batcher.Delete("late"), StatusIs(absl::StatusCode::kUnavailable));
  batcher.Close();  // Idempotent.
}

// Collects the outcomes of asynchronous writes, in completion order.
class Outcomes {
 public:
  WriteBatcher::Done Recorder(std::string name) {
    return [this, name = std::move(name)](absl::Status status) {
      absl::MutexLock lock(&mutex_);
      completed_.push_back(name);
      statuses_[name] = std::move(status);
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

  absl::Status status(const std::string& name) {
    absl::MutexLock lock(&mutex_);
    return statuses_.at(name);
  }

 private:
  absl::Mutex mutex_;
  absl::CondVar changed_;
  std::vector<std::string> completed_ ABSL_GUARDED_BY(mutex_);
  std::map<std::string, absl::Status> statuses_ ABSL_GUARDED_BY(mutex_);
};

// One thread queues any number of writes without waiting: a batch is not
// bounded by the number of waiting threads.
TEST(WriteBatcherTest, AsyncWritesFromOneThreadShareTheNextBatch) {
  FakeStore store;
  WriteBatcher batcher("s", store.Applier());
  Outcomes outcomes;
  store.HoldNextBatch();
  batcher.SetAsync("first", "1", outcomes.Recorder("first"));
  store.AwaitHeld();
  std::vector<std::string> keys;
  for (int i = 0; i < 100; ++i) keys.push_back(absl::StrCat("k", i));
  for (const std::string& key : keys) {
    batcher.SetAsync(key, "v", outcomes.Recorder(key));
  }
  batcher.DeleteAsync("first", outcomes.Recorder("delete first"));
  EXPECT_EQ(batcher.stats().queued, 101u);
  store.Release();
  outcomes.AwaitCompleted(102);

  EXPECT_THAT(store.batch_sizes(), ElementsAre(1, 101));
  // Callbacks run in queue order.
  std::vector<std::string> expected_order = {"first"};
  expected_order.insert(expected_order.end(), keys.begin(), keys.end());
  expected_order.push_back("delete first");
  EXPECT_EQ(outcomes.completed(), expected_order);
  EXPECT_THAT(outcomes.status("k99"), IsOk());
  EXPECT_THAT(outcomes.status("delete first"), IsOk());
  EXPECT_EQ(store.data().size(), 100u);
  EXPECT_EQ(store.data().count("first"), 0u);
}

TEST(WriteBatcherTest, AsyncWritesGetTheirOwnStatus) {
  FakeStore store;
  store.FailKey("bad");
  WriteBatcher batcher("s", store.Applier());
  Outcomes outcomes;
  batcher.SetAsync("good", "v", outcomes.Recorder("good"));
  batcher.SetAsync("bad", "v", outcomes.Recorder("bad"));
  outcomes.AwaitCompleted(2);
  EXPECT_THAT(outcomes.status("good"), IsOk());
  EXPECT_THAT(outcomes.status("bad"),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("refused bad")));
}

TEST(WriteBatcherTest, CloseCompletesQueuedAsyncWritesThenRefusesAtOnce) {
  FakeStore store;
  auto batcher = std::make_unique<WriteBatcher>("orders", store.Applier());
  Outcomes outcomes;
  store.HoldNextBatch();
  batcher->SetAsync("first", "1", outcomes.Recorder("first"));
  store.AwaitHeld();
  // Keys outlive their writes, as SetAsync requires.
  std::vector<std::string> keys;
  for (int i = 0; i < 5; ++i) keys.push_back(absl::StrCat("k", i));
  for (const std::string& key : keys) {
    batcher->SetAsync(key, "v", outcomes.Recorder(key));
  }
  std::thread closer([&] { batcher->Close(); });
  store.Release();
  closer.join();
  // Close returned: every queued write has completed.
  EXPECT_EQ(outcomes.completed().size(), 6u);
  EXPECT_EQ(store.data().size(), 6u);

  // A write after Close completes before SetAsync returns.
  batcher->SetAsync("late", "v", outcomes.Recorder("late"));
  EXPECT_EQ(outcomes.completed().size(), 7u);
  EXPECT_THAT(outcomes.status("late"),
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
      for (int i = 0; i < kWritesPerThread; ++i) {
        const std::string key = absl::StrCat("t", t, "-", i);
        ASSERT_THAT(batcher.Set(key, key), IsOk());
        // A later write from the same caller applies after this one.
        if (i % 2 == 1) {
          ASSERT_THAT(batcher.Delete(key), IsOk());
        }
      }
    });
  }
  for (std::thread& writer : writers) writer.join();
  std::map<std::string, std::string> data = store.data();
  EXPECT_EQ(data.size(), kThreads * kWritesPerThread / 2);
  for (const auto& [key, value] : data) EXPECT_EQ(key, value);
  WriteBatcher::Stats stats = batcher.stats();
  EXPECT_EQ(stats.ops, kThreads * kWritesPerThread * 3 / 2);
  EXPECT_LE(stats.batches, stats.ops);
  EXPECT_EQ(stats.queued, 0u);
}

}  // namespace
}  // namespace kv
