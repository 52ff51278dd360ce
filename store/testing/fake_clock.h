#ifndef KV_STORE_TESTING_FAKE_CLOCK_H_
#define KV_STORE_TESTING_FAKE_CLOCK_H_

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "store/clock.h"

namespace kv::testing {

// A Clock that moves only when told to. Thread-safe.
class FakeClock : public Clock {
 public:
  // Starts at a fixed, millisecond-aligned instant in 2026.
  FakeClock() = default;

  absl::Time Now() const override {
    absl::MutexLock lock(&mutex_);
    return now_;
  }
  void Advance(absl::Duration by) {
    absl::MutexLock lock(&mutex_);
    now_ += by;
  }
  void Set(absl::Time now) {
    absl::MutexLock lock(&mutex_);
    now_ = now;
  }

 private:
  mutable absl::Mutex mutex_;
  absl::Time now_ ABSL_GUARDED_BY(mutex_) = absl::FromUnixSeconds(1785000000);
};

}  // namespace kv::testing

#endif  // KV_STORE_TESTING_FAKE_CLOCK_H_
