#ifndef KV_STORE_SQLITE_WRITE_BATCHER_H_
#define KV_STORE_SQLITE_WRITE_BATCHER_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"

namespace kv {

// One Set or Delete waiting in a WriteBatcher. The key and value are views
// of the caller's arguments, valid until its Set or Delete returns.
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
// - Set and Delete block until their op has been applied by a call of the
//   Applier, and return the status the Applier gave that op. The Applier
//   commits a whole batch in one transaction, so an OK means the op is
//   committed (durable as the store is configured), and each op has its
//   own status: one failing op does not fail the others.
// - No timers. A writer that finds no batch in flight applies its own op at
//   once, in a batch of one. Batches form only while a batch is in flight:
//   writes arriving meanwhile queue, and the next batch takes all of them
//   (up to the limits), so under load one commit serves many writes.
// - Ops are applied in the order they were queued (FIFO within and across
//   batches), so two writes from one caller apply in the order issued, and
//   a write that returned is seen by every later read (read-your-writes).
// - At most one Applier call runs at a time, on one of the writing threads
//   (the "leader"): the thread whose op is at the front of the queue when no
//   batch is in flight. Writers never wait for each other's ops except by
//   being queued behind them.
// - Close() waits until every queued op is applied and every writer has
//   returned; writes that start after Close() fail with Unavailable. So no
//   acknowledged write is lost, no writer hangs, and the batcher may be
//   destroyed as soon as Close() returns.
// Thread-safe.
class WriteBatcher {
 public:
  // Applies `batch` (never empty) and sets every op's `status`. Called with
  // no lock held, by one thread at a time.
  using Applier = std::function<void(absl::Span<WriteOp* const> batch)>;

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

  // `name` names the store in the error a write after Close() gets.
  WriteBatcher(std::string name, Applier apply, Limits limits);
  WriteBatcher(std::string name, Applier apply)
      : WriteBatcher(std::move(name), std::move(apply), Limits()) {}
  WriteBatcher(const WriteBatcher&) = delete;
  WriteBatcher& operator=(const WriteBatcher&) = delete;
  // Closes.
  ~WriteBatcher();

  absl::Status Set(absl::string_view key, absl::string_view value);
  absl::Status Delete(absl::string_view key);

  // See the contract above. Idempotent.
  void Close();

  Stats stats() const;

 private:
  // An op and its writer's wake-up call. Lives on the writer's stack.
  struct Pending {
    WriteOp op;
    bool done = false;
    absl::CondVar wake;  // Signaled when done, or when it may lead.
  };

  absl::Status Write(WriteOp op);
  // Takes the next batch off the queue and applies it, then completes its
  // ops. Called with `mutex_` held and no batch in flight; returns with it
  // held.
  void LeadOneBatch() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  const std::string name_;
  const Applier apply_;
  const Limits limits_;

  mutable absl::Mutex mutex_;
  std::deque<Pending*> queue_ ABSL_GUARDED_BY(mutex_);
  bool batch_in_flight_ ABSL_GUARDED_BY(mutex_) = false;
  bool closed_ ABSL_GUARDED_BY(mutex_) = false;
  // Threads inside Write; its ops are queued, in flight or just done.
  int writers_inside_ ABSL_GUARDED_BY(mutex_) = 0;
  absl::CondVar idle_;  // Signaled when the last writer leaves after Close.
  Stats stats_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace kv

#endif  // KV_STORE_SQLITE_WRITE_BATCHER_H_
