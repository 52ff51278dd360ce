#ifndef KV_STORE_SQLITE_WRITE_BATCHER_H_
#define KV_STORE_SQLITE_WRITE_BATCHER_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "store/driver.h"

namespace kv {

// One Driver::Write waiting in a WriteBatcher: a span of Mutations that is
// all-or-nothing on its own. The span and the views in it are the caller's,
// valid until its write completes.
struct WriteItem {
  absl::Span<const Mutation> mutations;
  // Set instead of `mutations` (then empty) for an item that is not a
  // Driver::Write but work of the Applier's own that must take its turn on
  // the writer like one (the SQLite driver reclaiming expired keys): the
  // Applier runs it inside the batch's transaction, and a non-OK return is
  // a backend failure there. Queued, batched and completed like a write.
  absl::AnyInvocable<absl::Status()> task;
  // Written by the Applier: one result per mutation once the item is
  // committed, or why it failed (then none of its mutations applied).
  absl::StatusOr<MutationResults> outcome;
};

// Group commit: turns concurrent writes into few transactions.
//
// Contract:
// - A write (an item: one Driver::Write) completes once a call of the
//   Applier has applied it: WriteAsync then calls its `done` with the
//   outcome the Applier gave that item; Write blocks until then and returns
//   it. The Applier commits a whole batch of items in one transaction, so an
//   OK means the item is committed (durable as the store is configured), and
//   each item has its own outcome and is all-or-nothing on its own: an item
//   that fails (a failed condition, a bad increment, a backend error) leaves
//   none of its mutations applied and does not fail the other items.
// - One committer thread, owned by the batcher, calls the Applier, one batch
//   at a time, and then calls the batch's `done` callbacks in queue order.
//   WriteAsync only queues, so a caller never waits for a commit and a
//   commit can carry any number of writes (up to the limits), not one per
//   waiting thread.
// - No timers. An idle committer takes a write as soon as it is queued, in a
//   batch of one. Batches form while a batch is in flight: writes arriving
//   meanwhile queue, and the next batch takes all of them (up to the
//   limits), so under load one commit serves many writes.
// - Items are applied in the order they were queued (FIFO within and across
//   batches), so two writes from one caller apply in the order issued, an
//   item sees the effects of every item queued before it (revisions are
//   assigned in this order), and a write that completed is seen by every
//   later read (read-your-writes).
// - Close() waits until every queued item is applied and its `done` has
//   returned, then stops the committer; writes that start after Close() fail
//   with Unavailable (WriteAsync calls `done` with it before returning). So
//   no acknowledged write is lost, no writer hangs, and the batcher may be
//   destroyed as soon as Close() returns. Close() must not be called from a
//   `done` callback.
// Thread-safe. Knows no SQLite: the Applier does the storing.
class WriteBatcher {
 public:
  // Applies `batch` (never empty) and sets every item's `outcome`. Called
  // with no lock held, on the committer thread.
  using Applier = std::function<void(absl::Span<WriteItem* const> batch)>;

  // Receives a write's outcome, once, on the committer thread (or on the
  // calling thread if the batcher is closed). It should be quick: the next
  // batch is not applied until the callbacks of this one have returned.
  using Done = Driver::WriteDone;

  struct Limits {
    // A batch takes items holding at most this many mutations in all...
    size_t max_mutations = 1000;
    // ...and at most this many key and value bytes, but always one item,
    // however large.
    size_t max_bytes = 16 << 20;
  };

  struct Stats {
    uint64_t batches = 0;    // Applier calls that returned.
    uint64_t writes = 0;     // Items in those batches, tasks aside.
    uint64_t tasks = 0;      // Task items (RunTask) in those batches.
    uint64_t mutations = 0;  // Mutations in those items.
    size_t queued = 0;       // Items waiting for a batch now.
  };

  // Starts the committer thread. `name` names the store in the error a
  // write after Close() gets.
  WriteBatcher(std::string name, Applier apply, Limits limits);
  WriteBatcher(std::string name, Applier apply)
      : WriteBatcher(std::move(name), std::move(apply), Limits()) {}
  WriteBatcher(const WriteBatcher&) = delete;
  WriteBatcher& operator=(const WriteBatcher&) = delete;
  // Closes.
  ~WriteBatcher();

  // Queues the write and returns; `mutations` and the views in them must
  // stay valid until `done` has been called.
  void WriteAsync(absl::Span<const Mutation> mutations, Done done);

  // Queues the write and waits for its outcome.
  absl::StatusOr<MutationResults> Write(absl::Span<const Mutation> mutations);

  // Queues an item whose `task` is `task` (see WriteItem), waits until the
  // Applier has applied it, and returns its outcome's status. Unavailable
  // after Close(), like a write.
  absl::Status RunTask(absl::AnyInvocable<absl::Status()> task);

  // See the contract above. Idempotent.
  void Close();

  Stats stats() const;

 private:
  struct Pending {
    WriteItem item;
    size_t bytes = 0;  // Key and value bytes of its mutations.
    Done done;
  };

  // Queues `pending`, or completes it with Unavailable after Close().
  void Enqueue(Pending pending);

  // The committer thread: applies batches until closed and drained.
  void CommitLoop();

  const std::string name_;
  const Applier apply_;
  const Limits limits_;

  mutable absl::Mutex mutex_;
  std::deque<Pending> queue_ ABSL_GUARDED_BY(mutex_);
  bool closed_ ABSL_GUARDED_BY(mutex_) = false;
  absl::CondVar work_;  // Signaled when queue_ gains an item, or on Close.
  Stats stats_ ABSL_GUARDED_BY(mutex_);
  // Held for the whole of Close(), so that a second Close() returns only
  // once the committer has stopped.
  absl::Mutex close_mutex_;
  std::thread committer_ ABSL_GUARDED_BY(close_mutex_);
};

}  // namespace kv

#endif  // KV_STORE_SQLITE_WRITE_BATCHER_H_
