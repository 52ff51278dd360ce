#include "tools/kv_bench/load_runner.h"

#include <deque>
#include <map>
#include <set>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"

namespace kv {
namespace bench {
namespace {

// An in-memory store. Synchronous, or asynchronous with completions run on
// a thread of its own (as gRPC runs callbacks on its threads). Every fifth
// Get of an odd-numbered key fails with "FAKE_ERROR", so error counting is
// visible.
class FakeTarget : public Target {
 public:
  explicit FakeTarget(bool synchronous) : synchronous_(synchronous) {
    if (!synchronous_) completer_ = std::thread([this] { CompleteLoop(); });
  }
  ~FakeTarget() override {
    if (!synchronous_) {
      {
        absl::MutexLock lock(&mutex_);
        stopping_ = true;
      }
      completer_.join();
    }
  }

  absl::Status Prepare(int slots) override { return absl::OkStatus(); }
  absl::Status Supports(Operation operation) const override {
    if (operation == Operation::kNoop) {
      return absl::InvalidArgumentError("no noop here");
    }
    return absl::OkStatus();
  }
  bool synchronous() const override { return synchronous_; }

  void StartCall(int slot, Operation operation, const std::string& key,
                 const std::string& value, uint64_t version,
                 Done done) override {
    Outcome outcome = CallSync(slot, operation, key, value, version);
    absl::MutexLock lock(&mutex_);
    queue_.push_back([done = std::move(done), outcome] { done(outcome); });
  }

  Outcome CallSync(int slot, Operation operation, const std::string& key,
                   const std::string& value, uint64_t version) override {
    absl::MutexLock lock(&mutex_);
    ++calls_[operation];
    if (operation == Operation::kSet) {
      ++writes_[key];
      std::string stamped = value;
      StampVersion(version, stamped);
      distinct_values_.insert(stamped);
      data_[key] = value;
      return Outcome{};
    }
    if (operation == Operation::kGet) {
      if (data_.count(key) == 0) return Outcome{"NOT_FOUND"};
      if (key.back() % 2 == 1 && ++odd_gets_ % 5 == 0) {
        return Outcome{"FAKE_ERROR"};
      }
    }
    return Outcome{};
  }

  std::map<std::string, int> writes() {
    absl::MutexLock lock(&mutex_);
    return writes_;
  }
  size_t distinct_values() {
    absl::MutexLock lock(&mutex_);
    return distinct_values_.size();
  }
  int calls(Operation operation) {
    absl::MutexLock lock(&mutex_);
    return calls_[operation];
  }

 private:
  void CompleteLoop() {
    while (true) {
      std::function<void()> next;
      {
        absl::MutexLock lock(&mutex_);
        if (queue_.empty()) {
          if (stopping_) return;
          mutex_.Unlock();
          std::this_thread::yield();
          mutex_.Lock();
          continue;
        }
        next = std::move(queue_.front());
        queue_.pop_front();
      }
      next();
    }
  }

  const bool synchronous_;
  std::thread completer_;
  absl::Mutex mutex_;
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mutex_);
  std::map<std::string, std::string> data_ ABSL_GUARDED_BY(mutex_);
  std::map<std::string, int> writes_ ABSL_GUARDED_BY(mutex_);
  std::set<std::string> distinct_values_ ABSL_GUARDED_BY(mutex_);
  std::map<Operation, int> calls_ ABSL_GUARDED_BY(mutex_);
  int odd_gets_ ABSL_GUARDED_BY(mutex_) = 0;
};

class LoadRunnerTest : public ::testing::TestWithParam<bool> {};

TEST_P(LoadRunnerTest, PreloadWritesEveryKeyExactlyOnce) {
  FakeTarget target(GetParam());
  std::vector<uint64_t> progress;
  ASSERT_TRUE(Preload(target, 500, "v", 8, [&](uint64_t written) {
                progress.push_back(written);
              }).ok());
  const std::map<std::string, int> writes = target.writes();
  ASSERT_EQ(writes.size(), 500u);
  for (const auto& [key, count] : writes) EXPECT_EQ(count, 1) << key;
  EXPECT_TRUE(writes.count(KeyName(0)));
  EXPECT_TRUE(writes.count(KeyName(499)));
  ASSERT_FALSE(progress.empty());
  EXPECT_EQ(progress.back(), 500u);
}

TEST_P(LoadRunnerTest, CountsCallsAndErrorsByLabel) {
  FakeTarget target(GetParam());
  ASSERT_TRUE(Preload(target, 100, "v", 4, [](uint64_t) {}).ok());
  LoadOptions options;
  options.workload.operation = Operation::kGet;
  options.depth = 4;
  options.key_count = 100;
  options.warmup = absl::ZeroDuration();
  options.duration = absl::Milliseconds(300);
  absl::StatusOr<LoadResult> result = RunLoad(target, options);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_GT(result->calls, 0u);
  EXPECT_EQ(result->latency.count(), result->calls);
  EXPECT_LE(result->calls,
            static_cast<uint64_t>(target.calls(Operation::kGet)));
  // Only the injected errors, and they add up.
  uint64_t errors = 0;
  for (const auto& [label, count] : result->errors) {
    EXPECT_EQ(label, "FAKE_ERROR");
    errors += count;
  }
  EXPECT_EQ(errors, result->error_calls);
  EXPECT_GT(result->CallsPerSecond(), 0);
}

TEST_P(LoadRunnerTest, MixedDoesBothReadsAndWrites) {
  FakeTarget target(GetParam());
  LoadOptions options;
  options.workload.mixed = true;
  options.workload.read_fraction = 0.5;
  options.depth = 2;
  options.key_count = 10;
  options.warmup = absl::ZeroDuration();
  options.duration = absl::Milliseconds(300);
  ASSERT_TRUE(RunLoad(target, options).ok());
  EXPECT_GT(target.calls(Operation::kGet), 0);
  EXPECT_GT(target.calls(Operation::kSet), 0);
}

TEST_P(LoadRunnerTest, EveryWriteStoresDifferentBytes) {
  FakeTarget target(GetParam());
  ASSERT_TRUE(Preload(target, 50, "0123456789", 4, [](uint64_t) {}).ok());
  LoadOptions options;
  options.workload.operation = Operation::kSet;
  options.depth = 3;
  options.key_count = 5;
  options.value = "0123456789";
  options.warmup = absl::ZeroDuration();
  options.duration = absl::Milliseconds(200);
  ASSERT_TRUE(RunLoad(target, options).ok());
  EXPECT_EQ(target.distinct_values(),
            static_cast<size_t>(target.calls(Operation::kSet)));
}

TEST_P(LoadRunnerTest, RefusesAnOperationTheTargetLacks) {
  FakeTarget target(GetParam());
  LoadOptions options;
  options.workload.operation = Operation::kNoop;
  absl::StatusOr<LoadResult> result = RunLoad(target, options);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(target.calls(Operation::kNoop), 0);
}

INSTANTIATE_TEST_SUITE_P(SyncAndAsync, LoadRunnerTest, ::testing::Bool(),
                         [](const auto& info) {
                           return info.param ? "Sync" : "Async";
                         });

}  // namespace
}  // namespace bench
}  // namespace kv
