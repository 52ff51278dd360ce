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

void WriteBatcher::WriteAsync(absl::Span<const Mutation> mutations, Done done) {
  Pending pending;
  // The outcome stays StatusOr's default, Unknown, until the Applier sets
  // it.
  pending.item.mutations = mutations;
  for (const Mutation& mutation : mutations) {
    pending.bytes += mutation.key.size() + mutation.value.size();
  }
  pending.done = std::move(done);
  Enqueue(std::move(pending));
}

void WriteBatcher::Enqueue(Pending pending) {
  {
    absl::MutexLock lock(&mutex_);
    if (!closed_) {
      queue_.push_back(std::move(pending));
      // The committer waits only on an empty queue; a longer queue means it
      // is awake or already signaled.
      if (queue_.size() == 1) work_.Signal();
      return;
    }
  }
  pending.done(
      absl::UnavailableError(absl::StrCat("store \"", name_, "\" is closing")));
}

absl::StatusOr<MutationResults> WriteBatcher::Write(
    absl::Span<const Mutation> mutations) {
  absl::StatusOr<MutationResults> outcome;
  absl::Notification completed;
  WriteAsync(mutations,
             [&outcome, &completed](absl::StatusOr<MutationResults> result) {
               outcome = std::move(result);
               completed.Notify();
             });
  completed.WaitForNotification();
  return outcome;
}

absl::Status WriteBatcher::RunTask(absl::AnyInvocable<absl::Status()> task) {
  absl::Status outcome;
  absl::Notification completed;
  Pending pending;
  pending.item.task = std::move(task);
  pending.done = [&outcome,
                  &completed](absl::StatusOr<MutationResults> result) {
    // Moved out, so that nothing `result` shares outlives the Notify.
    outcome = std::move(result).status();
    completed.Notify();
  };
  Enqueue(std::move(pending));
  completed.WaitForNotification();
  return outcome;
}

void WriteBatcher::CommitLoop() {
  std::vector<Pending> batch;
  std::vector<WriteItem*> items;
  mutex_.Lock();
  while (true) {
    while (queue_.empty() && !closed_) work_.Wait(&mutex_);
    if (queue_.empty()) break;  // Closed, and every queued item is done.

    batch.clear();
    size_t mutations = 0;
    size_t bytes = 0;
    while (!queue_.empty()) {
      const Pending& next = queue_.front();
      if (!batch.empty() &&
          (mutations + next.item.mutations.size() > limits_.max_mutations ||
           bytes + next.bytes > limits_.max_bytes)) {
        break;
      }
      mutations += next.item.mutations.size();
      bytes += next.bytes;
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    mutex_.Unlock();

    items.clear();
    for (Pending& pending : batch) items.push_back(&pending.item);
    apply_(items);
    size_t tasks = 0;
    for (const Pending& pending : batch) tasks += pending.item.task ? 1 : 0;
    {
      // Counted before any writer learns its outcome, so a writer that
      // reads the stats after its write completed sees its batch.
      absl::MutexLock lock(&mutex_);
      ++stats_.batches;
      stats_.writes += batch.size() - tasks;
      stats_.tasks += tasks;
      stats_.mutations += mutations;
    }
    for (Pending& pending : batch) {
      pending.done(std::move(pending.item.outcome));
    }
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
  // The committer drains the queue, completing every queued item, then
  // exits.
  if (committer_.joinable()) committer_.join();
}

WriteBatcher::Stats WriteBatcher::stats() const {
  absl::MutexLock lock(&mutex_);
  Stats stats = stats_;
  stats.queued = queue_.size();
  return stats;
}

}  // namespace kv
