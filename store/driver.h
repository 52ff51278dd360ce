#ifndef KV_STORE_DRIVER_H_
#define KV_STORE_DRIVER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/functional/any_invocable.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"
#include "absl/types/span.h"

namespace kv {

// A key's value, the revision of the write that last changed it, and when it
// expires.
struct Versioned {
  std::string value;
  uint64_t revision = 0;
  // absl::InfiniteFuture() for a key that does not expire. Millisecond
  // precision.
  absl::Time expire_time = absl::InfiniteFuture();
};

// One change in a Driver::Write. The views must stay valid until the write
// has completed.
struct Mutation {
  enum class Kind {
    kSet,        // Store `value` under `key`.
    kDelete,     // Remove `key`; a missing key is not an error.
    kIncrement,  // Add `delta` to the integer under `key` (missing = 0).
  };
  Kind kind = Kind::kSet;
  absl::string_view key;
  absl::string_view value;  // kSet only.
  int64_t delta = 0;        // kIncrement only.
  // kSet and kDelete: apply only if the key's current revision equals this;
  // 0 means only if the key is absent. nullopt: unconditional.
  absl::optional<uint64_t> if_revision;
  // kSet only: the key expires `ttl` after the write, by the driver's clock
  // (see Driver's contract); a whole number of milliseconds, at least 1 ms.
  // absl::InfiniteDuration(): never, which clears an earlier expiry.
  absl::Duration ttl = absl::InfiniteDuration();

  static Mutation Set(absl::string_view key, absl::string_view value,
                      absl::optional<uint64_t> if_revision = absl::nullopt,
                      absl::Duration ttl = absl::InfiniteDuration()) {
    Mutation m;
    m.kind = Kind::kSet;
    m.key = key;
    m.value = value;
    m.if_revision = if_revision;
    m.ttl = ttl;
    return m;
  }
  static Mutation Delete(absl::string_view key,
                         absl::optional<uint64_t> if_revision = absl::nullopt) {
    Mutation m;
    m.kind = Kind::kDelete;
    m.key = key;
    m.if_revision = if_revision;
    return m;
  }
  static Mutation Increment(absl::string_view key, int64_t delta) {
    Mutation m;
    m.kind = Kind::kIncrement;
    m.key = key;
    m.delta = delta;
    return m;
  }
};

// What one Mutation did.
struct MutationResult {
  // The revision the mutation gave its key; 0 for a kDelete of a key that
  // was absent (no write happened).
  uint64_t revision = 0;
  // kIncrement: the counter's new value.
  int64_t value = 0;
};

// One result per mutation of a Write, in the same order.
using MutationResults = absl::InlinedVector<MutationResult, 1>;

// Which keys ListKeyPage returns.
struct KeyPageRequest {
  // Only keys that start with these bytes; empty: every key.
  absl::string_view prefix;
  // Only keys after this one in byte order; empty: from the first key.
  absl::string_view after;
  // Most keys to return; at least 1.
  size_t limit = 1;
};

// One page of keys.
struct KeyPage {
  // Ascending byte order; at most the request's limit.
  std::vector<std::string> keys;
  // False only if no key beyond the last one returned matched when the page
  // was read (drivers read limit + 1 keys to tell). True makes the caller
  // ask for another page; `keys` is then never empty, so the caller has a
  // key to resume after.
  bool more = false;
};

// A Driver is the backend of one named store: a map from keys to values,
// each with a revision.
//
// Contract every implementation keeps (the conformance suite in
// store/testing/ checks it):
// - Thread safety: every method may be called concurrently from any number of
//   threads. A call that returns has taken effect for every later call on the
//   same Driver (read-your-writes), and for every other Driver (another kvd
//   process) over the same backend data.
// - Keys and values are arbitrary byte strings and are stored exactly; zero
//   bytes included. The service validates sizes, UTF-8 and batch limits
//   (and that no key appears twice in one Write or GetMany) before calling.
// - Revisions: the store has a revision, a uint64 that starts at 0 and that
//   every write (each Mutation of a Write that changes a key: a kSet, a
//   kIncrement, a kDelete of a present key) moves up by at least one. A
//   revision is never given twice, not after a restart, a delete, a failed
//   Write, or by another Driver sharing the backend. Within one Write,
//   revisions increase in mutation order. A key's revision is that of the
//   write that last changed it.
// - Write is atomic and all-or-nothing: either every mutation applies, or
//   none does and the error is that of the first mutation (in order) that
//   could not apply. Conditions are checked against the store as it was
//   before the Write. Durable by the store's configured durability when it
//   returns OK.
// - Integers (kIncrement): the value must be the canonical decimal text of
//   an int64 (store/counter_value.h); the result is stored the same way.
//   kIncrement keeps the key's expiry; a key it creates does not expire.
// - Expiry: a kSet with a finite ttl makes the key expire at (time of the
//   write + ttl), truncated to the millisecond, by one clock for every
//   Driver over the same backend: the server's for a shared server (Redis,
//   PostgreSQL), else the Clock the driver was opened with (StoreSpec). From
//   that instant every method treats the key as absent: Get, GetMany,
//   Exists, ListKeyPage, conditions (its revision counts as 0) and
//   kIncrement (which starts from 0, with no expiry). Expiry is not a
//   write: it moves no revision. ReclaimExpired frees the space.
// - Errors (store/write_errors.h builds the ones with meaning): Get of a
//   missing key returns absl::NotFoundError. A failed condition is
//   ConditionFailedError, a non-integer NotAnIntegerError, an overflow
//   IncrementOverflowError. A backend that cannot be reached returns
//   absl::UnavailableError; any other failure returns another non-OK code
//   (typically Internal). Messages name what failed and never contain
//   credentials.
class Driver {
 public:
  virtual ~Driver() = default;

  // Returns the value stored under `key` and its revision, or NotFound.
  virtual absl::StatusOr<Versioned> Get(absl::string_view key) = 0;

  // Returns one element per key, in order: the key's value and revision, or
  // nullopt if absent. All are read from one consistent snapshot: no write
  // is seen in part.
  virtual absl::StatusOr<std::vector<absl::optional<Versioned>>> GetMany(
      absl::Span<const absl::string_view> keys) = 0;

  // Applies `mutations` (never empty; no key twice) atomically, as the
  // contract above says, and returns one result per mutation.
  virtual absl::StatusOr<MutationResults> Write(
      absl::Span<const Mutation> mutations) = 0;

  // Receives the outcome of WriteAsync.
  using WriteDone = absl::AnyInvocable<void(absl::StatusOr<MutationResults>)>;

  // Write that reports its outcome by calling `done` exactly once, with what
  // Write would have returned, on any thread and possibly before returning.
  // `mutations` and the views in it must stay valid until `done` is called.
  // Writes started by one thread apply in the order started. A driver that
  // queues writes (DriverType::nonblocking_writes) returns without waiting
  // for the backend; the default runs Write on the calling thread.
  virtual void WriteAsync(absl::Span<const Mutation> mutations,
                          WriteDone done) {
    done(Write(mutations));
  }

  // Reports whether `key` has a value.
  virtual absl::StatusOr<bool> Exists(absl::string_view key) = 0;

  // The store's current revision: at least every revision a write has
  // returned (0 for a store never written), and below the revision of any
  // later write. It may exceed the last write's (a driver whose failed
  // writes spend revisions, as PostgreSQL's sequences do). Never decreases.
  virtual absl::StatusOr<uint64_t> CurrentRevision() = 0;

  // Returns up to `request.limit` present, unexpired keys that start with
  // `request.prefix` and come after `request.after`, in ascending byte order.
  // Memory and time are bounded by the page, not by the size of the store
  // (an index range scan, never a scan of the whole store or database), and
  // nothing is kept between calls. So a listing that resumes after the last
  // key of each page returns every key present throughout exactly once,
  // whatever is written in between.
  virtual absl::StatusOr<KeyPage> ListKeyPage(
      const KeyPageRequest& request) = 0;

  // Removes up to `max_keys` keys whose expiry has passed (and, for drivers
  // that keep one, their index entries) and returns how many it removed; a
  // result below `max_keys` means none is left for now. Each call is one
  // short transaction, so reclaiming a million expired keys in calls of a
  // thousand never blocks writers for long. What reads return is unchanged:
  // expired keys are already absent. Called periodically by kvd's sweeper.
  virtual absl::StatusOr<size_t> ReclaimExpired(size_t max_keys) = 0;

  // Calls `visit` with each key that starts with `prefix`, in ascending byte
  // order, until `visit` returns false or the keys run out, reading pages of
  // `page_size` keys from ListKeyPage; memory stays bounded by a page. The
  // view is valid only during the call. Keys set or deleted concurrently may
  // or may not be visited; others are visited exactly once.
  absl::Status ListKeys(absl::FunctionRef<bool(absl::string_view key)> visit,
                        absl::string_view prefix = "", size_t page_size = 1000);

  // What an acknowledged write survives, for Describe.
  enum class Durability {
    kUnknown,  // Depends on the backend server's own configuration.
    kNone,     // Lost when kvd exits (memory).
    kProcess,  // Survives kvd crashing, not necessarily a power loss.
    kDisk,     // Synced to stable storage before the write is acknowledged.
  };
  virtual Durability durability() const { return Durability::kUnknown; }

  // Where the data lives, for operators: a file path, or a URL with any
  // password removed. Empty if there is nothing to show (e.g. memory).
  virtual std::string Location() const { return ""; }

  // How many bytes the store's data occupies, for the kvd_store_size_bytes
  // metric; nullopt if the driver cannot tell cheaply (a shared server's
  // usage is that server's own metric). Called on every metrics scrape, from
  // any thread, so it must not scan the data.
  virtual absl::optional<uint64_t> SizeBytes() const { return absl::nullopt; }

  // Conveniences over Write, for callers with one unconditional change.
  // Set returns the revision written; Delete returns it, or 0 if the key was
  // absent.
  absl::StatusOr<uint64_t> Set(absl::string_view key, absl::string_view value) {
    return RevisionOf(Write({Mutation::Set(key, value)}));
  }
  absl::StatusOr<uint64_t> Delete(absl::string_view key) {
    return RevisionOf(Write({Mutation::Delete(key)}));
  }

 private:
  static absl::StatusOr<uint64_t> RevisionOf(
      absl::StatusOr<MutationResults> results) {
    if (!results.ok()) return results.status();
    return results->front().revision;
  }
};

}  // namespace kv

#endif  // KV_STORE_DRIVER_H_
