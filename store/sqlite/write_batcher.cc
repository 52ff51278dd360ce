#include "store/sqlite/write_batcher.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"

namespace kv {

WriteBatcher::WriteBatcher(std::string name, Applier apply, Limits limits)
    : name_(std::move(name)), apply_(std::move(apply)), limits_(limits) {
  absl::MutexLock lock(&close_mutex_);
  committer_ = std::thread([this] { CommitLoop(); });
}

WriteBatcher::~WriteBatcher() { Close(); }

void WriteBatcher::SetAsync(absl::string_view key, absl::string_view value,
                            Done done) {
  WriteOp op;
  op.key = key;
  op.value = value;
  Submit(op, std::move(done));
}

void WriteBatcher::DeleteAsync(absl::string_view key, Done done) {
  WriteOp op;
  op.key = key;
  op.is_delete = true;
  Submit(op, std::move(done));
}

absl::Status WriteBatcher::Set(absl::string_view key, absl::string_view value) {
  WriteOp op;
  op.key = key;
  op.value = value;
  return SubmitAndWait(op);
}

absl::Status WriteBatcher::Delete(absl::string_view key) {
  WriteOp op;
  op.key = key;
  op.is_delete = true;
  return SubmitAndWait(op);
}

void WriteBatcher::Submit(WriteOp op, Done done) {
  {
    absl::MutexLock lock(&mutex_);
    if (!closed_) {
      queue_.push_back(Pending{op, std::move(done)});
      // The committer waits only on an empty queue; a longer queue means it
      // is awake or already signaled.
      if (queue_.size() == 1) work_.Signal();
      return;
    }
  }
  done(
      absl::UnavailableError(absl::StrCat("store \"", name_, "\" is closing")));
}

absl::Status WriteBatcher::SubmitAndWait(WriteOp op) {
  absl::Status outcome;
  absl::Notification completed;
  Submit(op, [&outcome, &completed](absl::Status status) {
    outcome = std::move(status);
    completed.Notify();
  });
  completed.WaitForNotification();
  return outcome;
}

void WriteBatcher::CommitLoop() {
  std::vector<Pending> batch;
  std::vector<WriteOp*> ops;
  mutex_.Lock();
  while (true) {
    while (queue_.empty() && !closed_) work_.Wait(&mutex_);
    if (queue_.empty()) break;  // Closed, and every queued op is done.

    batch.clear();
    size_t bytes = 0;
    while (!queue_.empty() && batch.size() < limits_.max_ops) {
      const WriteOp& next = queue_.front().op;
      const size_t op_bytes = next.key.size() + next.value.size();
      if (!batch.empty() && bytes + op_bytes > limits_.max_bytes) break;
      bytes += op_bytes;
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    mutex_.Unlock();

    ops.clear();
    for (Pending& pending : batch) ops.push_back(&pending.op);
    apply_(ops);
    {
      // Counted before any writer learns its outcome, so a writer that
      // reads the stats after its write completed sees its batch.
      absl::MutexLock lock(&mutex_);
      ++stats_.batches;
      stats_.ops += batch.size();
    }
    for (Pending& pending : batch) pending.done(std::move(pending.op.status));
    // Drop the callbacks (and whatever they captured) before the next wait.
    batch.clear();
    mutex_.Lock();
  }
  mutex_.Unlock();
}

void WriteBatcher::Close() {
  absl::MutexLock close_lock(&close_mutex_);
  {
    absl::MutexLock lock(&mutex_);
    closed_ = true;
    work_.Signal();
  }
  // The committer drains the queue, completing every queued op, then exits.
  if (committer_.joinable()) committer_.join();
}

WriteBatcher::Stats WriteBatcher::stats() const {
  absl::MutexLock lock(&mutex_);
  Stats stats = stats_;
  stats.queued = queue_.size();
  return stats;
}

}  // namespace kv
