#include "clients/cpp/timer.h"

#include <map>
#include <thread>
#include <utility>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"

namespace kvd {
namespace internal {
namespace {

class Timer {
 public:
  static Timer& Get() {
    static Timer* const timer = new Timer;
    return *timer;
  }

  void Add(absl::Time when, std::function<void()> work) {
    absl::MutexLock lock(&mu_);
    due_.emplace(when, std::move(work));
    changed_.Signal();
  }

 private:
  Timer() : thread_([this] { Run(); }) {}

  void Run() {
    absl::MutexLock lock(&mu_);
    while (true) {
      if (due_.empty()) {
        changed_.Wait(&mu_);
        continue;
      }
      const absl::Time next = due_.begin()->first;
      if (absl::Now() < next) {
        changed_.WaitWithDeadline(&mu_, next);
        continue;
      }
      std::function<void()> work = std::move(due_.begin()->second);
      due_.erase(due_.begin());
      mu_.Unlock();
      work();
      mu_.Lock();
    }
  }

  absl::Mutex mu_;
  absl::CondVar changed_;
  std::multimap<absl::Time, std::function<void()>> due_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace

void RunAfter(absl::Duration delay, std::function<void()> work) {
  Timer::Get().Add(absl::Now() + delay, std::move(work));
}

}  // namespace internal
}  // namespace kvd
