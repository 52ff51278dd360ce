#include "service/call_tracker.h"

namespace kv {

bool CallTracker::Begin() {
  absl::MutexLock lock(&mutex_);
  if (draining_) return false;
  ++in_flight_;
  return true;
}

void CallTracker::End() {
  absl::MutexLock lock(&mutex_);
  if (--in_flight_ == 0) idle_.SignalAll();
}

void CallTracker::StartDraining() {
  absl::MutexLock lock(&mutex_);
  draining_ = true;
}

bool CallTracker::WaitUntilIdle(absl::Time deadline) {
  absl::MutexLock lock(&mutex_);
  // A CondVar loop rather than Mutex::AwaitWithDeadline keeps the predicate
  // visible to ThreadSanitizer (see tools/sanitizers/tsan_absl_mutex.cc).
  while (in_flight_ > 0) {
    if (idle_.WaitWithDeadline(&mutex_, deadline)) return in_flight_ == 0;
  }
  return true;
}

}  // namespace kv
