#include "service/access/token_poller.h"

#include <utility>

#include "spdlog/spdlog.h"

namespace kv {
namespace {

class RealPollTimer : public PollTimer {
 public:
  bool WaitFor(absl::Duration interval) override {
    absl::MutexLock lock(&mutex_);
    const absl::Time until = absl::Now() + interval;
    while (!stopped_ && absl::Now() < until) {
      condition_.WaitWithDeadline(&mutex_, until);
    }
    return !stopped_;
  }

  void Stop() override {
    absl::MutexLock lock(&mutex_);
    stopped_ = true;
    condition_.SignalAll();
  }

 private:
  absl::Mutex mutex_;
  absl::CondVar condition_;
  bool stopped_ ABSL_GUARDED_BY(mutex_) = false;
};

}  // namespace

std::unique_ptr<PollTimer> NewRealPollTimer() {
  return std::make_unique<RealPollTimer>();
}

TokenPoller::TokenPoller(absl::Duration interval, Reload reload,
                         std::unique_ptr<PollTimer> timer)
    : interval_(interval),
      reload_(std::move(reload)),
      timer_(std::move(timer)),
      thread_([this] {
        while (timer_->WaitFor(interval_)) PollOnce();
      }) {}

TokenPoller::~TokenPoller() {
  timer_->Stop();
  thread_.join();
}

void TokenPoller::PollOnce() {
  const absl::Status status = reload_();
  absl::MutexLock lock(&mutex_);
  if (status.ok()) {
    if (!last_error_.empty()) {
      spdlog::info("token poll: the token files are valid again");
      last_error_.clear();
    }
    return;
  }
  const std::string error(status.message());
  if (error != last_error_) {
    spdlog::error(
        "token poll: token reload failed, keeping the previous tokens (will "
        "retry every {}): {}",
        absl::FormatDuration(interval_), error);
    last_error_ = error;
  }
}

}  // namespace kv
