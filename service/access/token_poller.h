#ifndef KV_SERVICE_ACCESS_TOKEN_POLLER_H_
#define KV_SERVICE_ACCESS_TOKEN_POLLER_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace kv {

// When the next poll is due. The poller's thread calls WaitFor between
// polls; Stop ends any wait. A real timer waits on the clock; tests inject
// one they advance by hand, so no test sleeps.
class PollTimer {
 public:
  virtual ~PollTimer() = default;
  // Blocks for `interval` or until Stop(); returns false once stopped.
  virtual bool WaitFor(absl::Duration interval) = 0;
  // Thread-safe; every WaitFor after it returns false at once.
  virtual void Stop() = 0;
};

// The wall-clock PollTimer (absl::CondVar with a timeout).
std::unique_ptr<PollTimer> NewRealPollTimer();

// Re-reads the token files every `interval` without a signal: how kvd sees a
// Kubernetes Secret rotated by the kubelet's swap of `..data`. `reload` is
// ReloadTokens(access, TokenReloadCause::kPoll), which swaps the table and
// logs the rotation only when a token changed. A failure (the old tokens
// stay) is logged once per distinct error, not every interval, and the
// recovery is logged when a later poll succeeds.
class TokenPoller {
 public:
  using Reload = std::function<absl::Status()>;

  // Starts the polling thread; the first poll is one interval after this.
  TokenPoller(absl::Duration interval, Reload reload,
              std::unique_ptr<PollTimer> timer = NewRealPollTimer());
  // Stops the timer and joins the thread (a poll in progress finishes).
  ~TokenPoller();

  TokenPoller(const TokenPoller&) = delete;
  TokenPoller& operator=(const TokenPoller&) = delete;

  // One poll, as the thread makes it.
  void PollOnce();

 private:
  const absl::Duration interval_;
  const Reload reload_;
  const std::unique_ptr<PollTimer> timer_;
  absl::Mutex mutex_;
  // The error of the last failed poll; empty after a good one.
  std::string last_error_ ABSL_GUARDED_BY(mutex_);
  std::thread thread_;
};

}  // namespace kv

#endif  // KV_SERVICE_ACCESS_TOKEN_POLLER_H_
