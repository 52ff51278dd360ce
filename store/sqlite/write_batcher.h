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
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"

namespace kv {

// One Set or Delete waiting in a WriteBatcher. The key and value are views
// of the caller's arguments, valid until its write completes.
struct WriteOp {
  absl::string_view key;
  absl::string_view value;  // Empty for a Delete.
  bool is_delete = false;
  // Written by the Applier: OK once the op is committed, or why it failed.
  absl::Status status;
};

// Group commit: turns concurrent writes into few transactions.
//
// Contract:
// - A write completes once a call of the Applier has applied it: SetAsync
//   and DeleteAsync then call their `done` with the status the Applier gave
//   that op; Set and Delete block until then and return it. The Applier
//   commits a whole batch in one transaction, so an OK means the op is
//   committed (durable as the store is configured), and each op has its own
//   status: one failing op does not fail the others.
// - One committer thread, owned by the batcher, calls the Applier, one batch
//   at a time, and then calls the batch's `done` callbacks in queue order.
//   SetAsync and DeleteAsync only queue, so a caller never waits for a
//   commit and a commit can carry any number of writes (up to the limits),
//   not one per waiting thread.
// - No timers. An idle committer takes a write as soon as it is queued, in a
//   batch of one. Batches form while a batch is in flight: writes arriving
//   meanwhile queue, and the next batch takes all of them (up to the
//   limits), so under load one commit serves many writes.
// - Ops are applied in the order they were queued (FIFO within and across
//   batches), so two writes from one caller apply in the order issued, and a
//   write that completed is seen by every later read (read-your-writes).
// - Close() waits until every queued op is applied and its `done` has
//   returned, then stops the committer; writes that start after Close() fail
//   with Unavailable (SetAsync and DeleteAsync call `done` with it before
//   returning). So no acknowledged write is lost, no writer hangs, and the
//   batcher may be destroyed as soon as Close() returns. Close() must not be
//   called from a `done` callback.
// Thread-safe.
class WriteBatcher {
 public:
  // Applies `batch` (never empty) and sets every op's `status`. Called with
  // no lock held, on the committer thread.
  using Applier = std::function<void(absl::Span<WriteOp* const> batch)>;

  // Receives a write's outcome, once, on the committer thread (or on the
  // calling thread if the batcher is closed). It should be quick: the next
  // batch is not applied until the callbacks of this one have returned.
  using Done = absl::AnyInvocable<void(absl::Status)>;

  struct Limits {
    // A batch takes at most this many ops...
    size_t max_ops = 1000;
    // ...and at most this many key and value bytes, but always one op.
    size_t max_bytes = 16 << 20;
  };

  struct Stats {
    uint64_t batches = 0;  // Applier calls that returned.
    uint64_t ops = 0;      // Ops in those batches.
    size_t queued = 0;     // Ops waiting for a batch now.
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

  // Queue the write and return; `key` and `value` must stay valid until
  // `done` has been called.
  void SetAsync(absl::string_view key, absl::string_view value, Done done);
  void DeleteAsync(absl::string_view key, Done done);

  // Queue the write and wait for its outcome.
  absl::Status Set(absl::string_view key, absl::string_view value);
  absl::Status Delete(absl::string_view key);

  // See the contract above. Idempotent.
  void Close();

  Stats stats() const;

 private:
  struct Pending {
    WriteOp op;
    Done done;
  };

  void Submit(WriteOp op, Done done);
  absl::Status SubmitAndWait(WriteOp op);
  // The committer thread: applies batches until closed and drained.
  void CommitLoop();

  const std::string name_;
  const Applier apply_;
  const Limits limits_;

  mutable absl::Mutex mutex_;
  std::deque<Pending> queue_ ABSL_GUARDED_BY(mutex_);
  bool closed_ ABSL_GUARDED_BY(mutex_) = false;
  absl::CondVar work_;  // Signaled when queue_ gains an op, or on Close.
  Stats stats_ ABSL_GUARDED_BY(mutex_);
  // Held for the whole of Close(), so that a second Close() returns only
  // once the committer has stopped.
  absl::Mutex close_mutex_;
  std::thread committer_ ABSL_GUARDED_BY(close_mutex_);
};

}  // namespace kv

#endif  // KV_STORE_SQLITE_WRITE_BATCHER_H_
