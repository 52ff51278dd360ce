#include "service/executor.h"

#include <utility>

namespace kv {

Executor::Executor(int threads) {
  threads_.reserve(threads);
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Work(); });
}

Executor::~Executor() {
  {
    absl::MutexLock lock(&mutex_);
    stopping_ = true;
    work_available_.SignalAll();
  }
  for (std::thread& thread : threads_) thread.join();
}

void Executor::Schedule(std::function<void()> task) {
  absl::MutexLock lock(&mutex_);
  tasks_.push_back(std::move(task));
  work_available_.Signal();
}

void Executor::Work() {
  while (true) {
    std::function<void()> task;
    {
      absl::MutexLock lock(&mutex_);
      // An explicit CondVar loop rather than Mutex::Await: the predicate then
      // runs in this file, visible to ThreadSanitizer (see
      // tools/sanitizers/tsan_absl_mutex.cc).
      while (!stopping_ && tasks_.empty()) work_available_.Wait(&mutex_);
      if (tasks_.empty()) return;  // Stopping, and nothing left to run.
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
  }
}

}  // namespace kv
