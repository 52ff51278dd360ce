#include "service/kvd/readiness.h"

#include <utility>

namespace kv {

Readiness::Readiness(std::vector<std::string> pending_stores,
                     OpenStore open_store, Publisher publish,
                     absl::Duration retry_interval)
    : open_store_(std::move(open_store)),
      publish_(std::move(publish)),
      retry_interval_(retry_interval) {
  absl::MutexLock lock(&mutex_);
  pending_ = std::move(pending_stores);
  PublishLocked();
  if (!pending_.empty()) {
    retry_thread_ = std::thread([this] { RetryPendingStores(); });
  }
}

Readiness::~Readiness() {
  {
    absl::MutexLock lock(&mutex_);
    stopping_ = true;
    wake_.SignalAll();
  }
  if (retry_thread_.joinable()) retry_thread_.join();
}

void Readiness::StartDraining() {
  absl::MutexLock lock(&mutex_);
  draining_ = true;
  PublishLocked();
}

bool Readiness::IsReady() {
  absl::MutexLock lock(&mutex_);
  return pending_.empty() && !draining_;
}

void Readiness::PublishLocked() {
  const bool ready = pending_.empty() && !draining_;
  if (published_once_ && published_ == ready) return;
  published_once_ = true;
  published_ = ready;
  publish_(ready);
}

void Readiness::RetryPendingStores() {
  absl::MutexLock lock(&mutex_);
  while (!stopping_ && !pending_.empty()) {
    // Wait first: the stores were just tried by whoever built this. A
    // CondVar loop rather than Mutex::Await, for TSan (see .bazelrc).
    const absl::Time wake_at = absl::Now() + retry_interval_;
    while (!stopping_ && absl::Now() < wake_at) {
      wake_.WaitWithDeadline(&mutex_, wake_at);
    }
    if (stopping_) break;
    const std::vector<std::string> trying = pending_;
    std::vector<std::string> still_pending;
    for (const std::string& store : trying) {
      // Opening may block on a backend: do not hold the mutex meanwhile.
      mutex_.Unlock();
      const bool opened = open_store_(store).ok();
      mutex_.Lock();
      if (!opened) still_pending.push_back(store);
      if (stopping_) return;
    }
    pending_ = std::move(still_pending);
    PublishLocked();
  }
}

}  // namespace kv
