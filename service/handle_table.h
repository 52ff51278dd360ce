#ifndef KV_SERVICE_HANDLE_TABLE_H_
#define KV_SERVICE_HANDLE_TABLE_H_

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace kv {

// The open store handles of every principal (caller identity).
//
// - A handle is a nonzero uint32, unique across principals, and not reused
//   until the 32-bit counter wraps, so a stale handle does not silently reach
//   another store. Handles are the counter under a permutation keyed at
//   random per table, so their numbers do not tell a principal how many
//   handles others have opened.
// - A handle belongs to the principal that opened it. Another principal's
//   handle, a closed one and a never-issued one are all simply "not open",
//   so a handle tells its holder nothing about other callers.
// - Each principal holds at most `capacity` handles.
// - A handle not used for `idle_timeout` is reclaimed: lookups treat it as
//   closed, and Open sweeps such handles before reporting the table full.
//
// Thread-safe.
class HandleTable {
 public:
  using Clock = std::function<absl::Time()>;

  HandleTable(size_t capacity, absl::Duration idle_timeout,
              Clock clock = absl::Now);

  // An open handle: its store, and whether it was opened read-only.
  struct OpenHandle {
    std::string store;
    bool read_only = false;
  };

  // Issues a handle for `store` to `principal`, or StoreTableFullError. A
  // `read_only` handle remembers that it may not be used to write.
  absl::StatusOr<uint32_t> Open(absl::string_view principal,
                                absl::string_view store,
                                bool read_only = false);

  // The store behind `handle` if `principal` holds it open, else
  // InvalidStoreError. Counts as use for the idle timeout.
  absl::StatusOr<std::string> Lookup(absl::string_view principal,
                                     uint32_t handle);
  // As Lookup, with the handle's read-only flag.
  absl::StatusOr<OpenHandle> LookupHandle(absl::string_view principal,
                                          uint32_t handle);

  // Releases `handle` if `principal` holds it; otherwise does nothing.
  void Close(absl::string_view principal, uint32_t handle);

  // How many handles `principal` holds, reclaimed ones excluded.
  size_t OpenCount(absl::string_view principal);

  // How many handles each principal that ever opened one holds, reclaimed
  // ones excluded (so a principal whose handles are all closed shows 0).
  std::vector<std::pair<std::string, size_t>> OpenCounts();

 private:
  struct Entry {
    OpenHandle handle;
    absl::Time last_used;
  };
  using PrincipalTable = absl::flat_hash_map<uint32_t, Entry>;

  bool Expired(const Entry& entry, absl::Time now) const;
  void ReclaimIdle(PrincipalTable& table, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  uint32_t NextHandle() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // A bijection of the 32-bit integers, keyed by `key_`.
  uint32_t Permute(uint32_t counter) const;

  const size_t capacity_;
  const absl::Duration idle_timeout_;
  const Clock clock_;

  absl::Mutex mutex_;
  absl::flat_hash_map<std::string, PrincipalTable> tables_
      ABSL_GUARDED_BY(mutex_);
  // Handles are unique across principals; this maps each to its owner.
  absl::flat_hash_map<uint32_t, std::string> owners_ ABSL_GUARDED_BY(mutex_);
  uint32_t counter_ ABSL_GUARDED_BY(mutex_) = 0;
  // Round keys of Permute, random per table.
  uint32_t key_[4];
};

}  // namespace kv

#endif  // KV_SERVICE_HANDLE_TABLE_H_
