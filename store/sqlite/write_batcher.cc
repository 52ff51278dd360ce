#include "store/sqlite/write_batcher.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace kv {

WriteBatcher::WriteBatcher(std::string name, Applier apply, Limits limits)
    : name_(std::move(name)), apply_(std::move(apply)), limits_(limits) {}

WriteBatcher::~WriteBatcher() { Close(); }

absl::Status WriteBatcher::Set(absl::string_view key, absl::string_view value) {
  WriteOp op;
  op.key = key;
  op.value = value;
  return Write(op);
}

absl::Status WriteBatcher::Delete(absl::string_view key) {
  WriteOp op;
  op.key = key;
  op.is_delete = true;
  return Write(op);
}

absl::Status WriteBatcher::Write(WriteOp op) {
  Pending pending;
  pending.op = op;
  absl::MutexLock lock(&mutex_);
  if (closed_) {
    return absl::UnavailableError(
        absl::StrCat("store \"", name_, "\" is closing"));
  }
  queue_.push_back(&pending);
  ++writers_inside_;
  while (!pending.done) {
    if (batch_in_flight_) {
      pending.wake.Wait(&mutex_);
    } else {
      // Our op is still queued and nobody is applying: lead. The batch
      // starts at the front of the queue, which may be ahead of our op; we
      // then come round again.
      LeadOneBatch();
    }
  }
  if (--writers_inside_ == 0 && closed_) idle_.SignalAll();
  return pending.op.status;
}

void WriteBatcher::LeadOneBatch() {
  std::vector<Pending*> batch;
  std::vector<WriteOp*> ops;
  size_t bytes = 0;
  while (!queue_.empty() && batch.size() < limits_.max_ops) {
    const WriteOp& next = queue_.front()->op;
    const size_t op_bytes = next.key.size() + next.value.size();
    if (!batch.empty() && bytes + op_bytes > limits_.max_bytes) break;
    bytes += op_bytes;
    batch.push_back(queue_.front());
    ops.push_back(&queue_.front()->op);
    queue_.pop_front();
  }
  batch_in_flight_ = true;

  mutex_.Unlock();
  apply_(ops);
  mutex_.Lock();

  batch_in_flight_ = false;
  ++stats_.batches;
  stats_.ops += batch.size();
  // Signaled under the lock: a finished writer destroys its Pending as soon
  // as it returns, which it cannot do before we release the mutex.
  for (Pending* pending : batch) {
    pending->done = true;
    pending->wake.Signal();
  }
  if (!queue_.empty()) {
    // Whoever queued first leads the next batch (unless a new writer, or we
    // ourselves, take the lock first and lead it; both are fine).
    queue_.front()->wake.Signal();
  }
}

void WriteBatcher::Close() {
  absl::MutexLock lock(&mutex_);
  closed_ = true;
  // Queued writers lead their own batches; we only wait for them to be
  // applied and for their threads to leave Write, after which the owner
  // may destroy this object.
  while (writers_inside_ > 0) idle_.Wait(&mutex_);
}

WriteBatcher::Stats WriteBatcher::stats() const {
  absl::MutexLock lock(&mutex_);
  Stats stats = stats_;
  stats.queued = queue_.size();
  return stats;
}

}  // namespace kv
