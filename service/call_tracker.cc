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
  --in_flight_;
}

void CallTracker::StartDraining() {
  absl::MutexLock lock(&mutex_);
  draining_ = true;
}

bool CallTracker::WaitUntilIdle(absl::Time deadline) {
  absl::MutexLock lock(&mutex_);
  return mutex_.AwaitWithDeadline(absl::Condition(this, &CallTracker::Idle),
                                  deadline);
}

}  // namespace kv
