#ifndef KV_SERVICE_EXECUTOR_H_
#define KV_SERVICE_EXECUTOR_H_

#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace kv {

// A fixed pool of threads that runs blocking work (driver calls) so gRPC's
// callback threads never wait on storage. Tasks start in FIFO order.
//
// Thread-safe. The destructor runs every task already scheduled, then joins
// the threads; scheduling during or after destruction is a bug.
class Executor {
 public:
  explicit Executor(int threads);
  ~Executor();

  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  void Schedule(std::function<void()> task);

 private:
  void Work();

  absl::Mutex mutex_;
  absl::CondVar work_available_;
  std::deque<std::function<void()>> tasks_ ABSL_GUARDED_BY(mutex_);
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace kv

#endif  // KV_SERVICE_EXECUTOR_H_
