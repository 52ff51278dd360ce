#include "tools/kv_bench/load_runner.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"

namespace kv {
namespace bench {
namespace {

int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// One call to make: its operation and key.
struct Call {
  Operation operation;
  std::string key;
  uint64_t version = 0;  // for a Set: unique among this run's Sets
};

// Decides each slot's next call (false: the slot is finished) and takes each
// outcome. Per slot, Next and Done alternate and never overlap, so state
// indexed by slot needs no lock.
class SlotPolicy {
 public:
  virtual ~SlotPolicy() = default;
  virtual bool Next(int slot, Call& call) = 0;
  virtual void Done(int slot, int64_t start_nanos, int64_t end_nanos,
                    const Outcome& outcome) = 0;
};

// Drives `depth` closed-loop slots: each slot makes the call its policy
// chooses, and when it completes, the next, until the policy says stop.
class SlotEngine {
 public:
  SlotEngine(Target& target, SlotPolicy& policy, int depth,
             const std::string& value)
      : target_(target), policy_(policy), depth_(depth), value_(value) {}

  // Blocks until all slots are finished or `give_up_nanos` (a steady clock
  // time) passes; returns whether all finished.
  bool Run(int64_t give_up_nanos) {
    {
      absl::MutexLock lock(&mutex_);
      active_ = depth_;
    }
    calls_.resize(depth_);
    if (target_.synchronous()) {
      std::vector<std::thread> threads;
      for (int slot = 0; slot < depth_; ++slot) {
        threads.emplace_back([this, slot] { RunSyncSlot(slot); });
      }
      const bool finished = WaitUntilIdle(give_up_nanos);
      // Synchronous calls cannot be abandoned: join regardless.
      for (std::thread& thread : threads) thread.join();
      return finished;
    }
    for (int slot = 0; slot < depth_; ++slot) IssueAsync(slot);
    return WaitUntilIdle(give_up_nanos);
  }

 private:
  void RunSyncSlot(int slot) {
    Call& call = calls_[slot];
    while (policy_.Next(slot, call)) {
      const int64_t start = NowNanos();
      Outcome outcome = target_.CallSync(slot, call.operation, call.key, value_,
                                         call.version);
      policy_.Done(slot, start, NowNanos(), outcome);
    }
    SlotFinished();
  }

  void IssueAsync(int slot) {
    Call& call = calls_[slot];
    if (!policy_.Next(slot, call)) {
      SlotFinished();
      return;
    }
    const int64_t start = NowNanos();
    target_.StartCall(slot, call.operation, call.key, value_, call.version,
                      [this, slot, start](Outcome outcome) {
                        policy_.Done(slot, start, NowNanos(), outcome);
                        IssueAsync(slot);
                      });
  }

  void SlotFinished() {
    absl::MutexLock lock(&mutex_);
    --active_;
    if (active_ == 0) idle_.SignalAll();
  }

  bool WaitUntilIdle(int64_t give_up_nanos) {
    absl::MutexLock lock(&mutex_);
    while (active_ > 0) {
      const int64_t left = give_up_nanos - NowNanos();
      if (left <= 0) return false;
      idle_.WaitWithTimeout(&mutex_, absl::Nanoseconds(left));
    }
    return true;
  }

  Target& target_;
  SlotPolicy& policy_;
  const int depth_;
  const std::string& value_;
  std::vector<Call> calls_;
  absl::Mutex mutex_;
  absl::CondVar idle_;
  int active_ ABSL_GUARDED_BY(mutex_) = 0;
};

// The measured run: random keys, calls until the window closes.
class MeasurePolicy : public SlotPolicy {
 public:
  MeasurePolicy(const LoadOptions& options, int64_t window_start,
                int64_t window_end)
      : options_(options),
        window_start_(window_start),
        window_end_(window_end) {
    for (int slot = 0; slot < options.depth; ++slot) {
      slots_.push_back(std::make_unique<SlotState>(
          options.distribution, options.key_count, options.zipf_exponent,
          options.seed * 1000003 + slot));
    }
  }

  bool Next(int slot, Call& call) override {
    if (NowNanos() >= window_end_) return false;
    SlotState& state = *slots_[slot];
    const Workload& workload = options_.workload;
    if (workload.mixed) {
      call.operation = state.chooser.NextUnit() < workload.read_fraction
                           ? Operation::kGet
                           : Operation::kSet;
    } else {
      call.operation = workload.operation;
    }
    if (call.operation == Operation::kGetKeys ||
        call.operation == Operation::kNoop ||
        call.operation == Operation::kList) {
      call.key.clear();
    } else {
      call.key = KeyName(state.chooser.Next());
    }
    // Unique per call across slots (slot + depth * the slot's call number),
    // and far from the preload's versions (the key indices).
    call.version =
        (uint64_t{1} << 63) | (state.issued++ * options_.depth + slot);
    return true;
  }

  void Done(int slot, int64_t start_nanos, int64_t end_nanos,
            const Outcome& outcome) override {
    if (end_nanos < window_start_ || end_nanos > window_end_) return;
    SlotState& state = *slots_[slot];
    state.latency.Record(static_cast<uint64_t>(end_nanos - start_nanos));
    ++state.calls;
    state.keys_listed += outcome.keys;
    if (!outcome.error.empty()) {
      ++state.error_calls;
      ++state.errors[outcome.error];
    }
  }

  void MergeInto(LoadResult& result) const {
    for (const auto& state : slots_) {
      result.latency.Merge(state->latency);
      result.calls += state->calls;
      result.error_calls += state->error_calls;
      result.keys_listed += state->keys_listed;
      for (const auto& [label, count] : state->errors) {
        result.errors[label] += count;
      }
    }
  }

 private:
  struct SlotState {
    SlotState(KeyDistribution distribution, uint64_t key_count,
              double zipf_exponent, uint64_t seed)
        : chooser(distribution, key_count, zipf_exponent, seed) {}
    KeyChooser chooser;
    Histogram latency;
    uint64_t issued = 0;
    uint64_t calls = 0;
    uint64_t error_calls = 0;
    uint64_t keys_listed = 0;
    std::map<std::string, uint64_t> errors;
  };

  const LoadOptions& options_;
  const int64_t window_start_;
  const int64_t window_end_;
  std::vector<std::unique_ptr<SlotState>> slots_;
};

// The preload: Set keys 0 .. count-1, each once, in order.
class PreloadPolicy : public SlotPolicy {
 public:
  explicit PreloadPolicy(uint64_t key_count) : key_count_(key_count) {}

  bool Next(int slot, Call& call) override {
    if (failed_.load()) return false;
    const uint64_t index = next_.fetch_add(1);
    if (index >= key_count_) return false;
    call.operation = Operation::kSet;
    call.key = KeyName(index);
    call.version = index;
    return true;
  }

  void Done(int slot, int64_t start_nanos, int64_t end_nanos,
            const Outcome& outcome) override {
    if (outcome.error.empty()) {
      written_.fetch_add(1);
      return;
    }
    absl::MutexLock lock(&mutex_);
    if (!failed_.exchange(true)) first_error_ = outcome.error;
  }

  uint64_t written() const { return written_.load(); }
  bool failed() const { return failed_.load(); }
  std::string first_error() {
    absl::MutexLock lock(&mutex_);
    return first_error_;
  }

 private:
  const uint64_t key_count_;
  std::atomic<uint64_t> next_{0};
  std::atomic<uint64_t> written_{0};
  std::atomic<bool> failed_{false};
  absl::Mutex mutex_;
  std::string first_error_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace

double LoadResult::CallsPerSecond() const {
  const double seconds = absl::ToDoubleSeconds(measured);
  return seconds > 0 ? static_cast<double>(calls) / seconds : 0.0;
}

absl::StatusOr<LoadResult> RunLoad(Target& target, const LoadOptions& options) {
  if (options.workload.mixed) {
    if (absl::Status s = target.Supports(Operation::kGet); !s.ok()) return s;
    if (absl::Status s = target.Supports(Operation::kSet); !s.ok()) return s;
  } else if (absl::Status s = target.Supports(options.workload.operation);
             !s.ok()) {
    return s;
  }
  const int64_t start = NowNanos();
  const int64_t window_start = start + absl::ToInt64Nanoseconds(options.warmup);
  const int64_t window_end =
      window_start + absl::ToInt64Nanoseconds(options.duration);
  auto policy =
      std::make_unique<MeasurePolicy>(options, window_start, window_end);
  auto engine = std::make_unique<SlotEngine>(target, *policy, options.depth,
                                             options.value);
  if (!engine->Run(window_end +
                   absl::ToInt64Nanoseconds(options.drain_timeout))) {
    // Calls still in flight point at both: leak them rather than let a late
    // completion touch freed memory. The caller is expected to exit.
    policy.release();
    engine.release();
    return absl::DeadlineExceededError(absl::StrCat(
        "calls still in flight ", absl::FormatDuration(options.drain_timeout),
        " after the run ended; the target is stuck"));
  }
  LoadResult result;
  result.measured = options.duration;
  policy->MergeInto(result);
  return result;
}

absl::Status Preload(Target& target, uint64_t key_count,
                     const std::string& value, int depth,
                     const std::function<void(uint64_t)>& progress) {
  if (absl::Status s = target.Supports(Operation::kSet); !s.ok()) return s;
  auto owned_policy = std::make_unique<PreloadPolicy>(key_count);
  auto engine =
      std::make_unique<SlotEngine>(target, *owned_policy, depth, value);
  PreloadPolicy& policy = *owned_policy;
  std::atomic<bool> done{false};
  std::thread reporter([&] {
    while (!done.load()) {
      for (int i = 0; i < 10 && !done.load(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      if (!done.load()) progress(policy.written());
    }
  });
  // Generous: a preload is as long as it needs to be, but never forever.
  const bool finished =
      engine->Run(NowNanos() + absl::ToInt64Nanoseconds(absl::Hours(6)));
  done.store(true);
  reporter.join();
  if (!finished) {
    owned_policy.release();  // as in RunLoad: calls may still use them
    engine.release();
    return absl::DeadlineExceededError("preload did not finish");
  }
  if (policy.failed()) {
    return absl::UnavailableError(
        absl::StrCat("preload failed after ", policy.written(),
                     " keys: ", policy.first_error()));
  }
  progress(policy.written());
  return target.Finish();
}

}  // namespace bench
}  // namespace kv
