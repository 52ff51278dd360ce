#ifndef KV_STORE_DRIVER_H_
#define KV_STORE_DRIVER_H_

#include <cstdint>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"

namespace kv {

// A Driver is the backend of one named store: a map from keys to values.
//
// Contract every implementation keeps (the conformance suite in
// store/testing/ checks it):
// - Thread safety: every method may be called concurrently from any number of
//   threads. A call that returns has taken effect for every later call on the
//   same Driver (read-your-writes).
// - Keys and values are arbitrary byte strings and are stored exactly; zero
//   bytes included. The service validates sizes and UTF-8 before calling.
// - Set and Delete are atomic per key, and durable by the store's configured
//   durability when they return OK.
// - Errors: Get of a missing key returns absl::NotFoundError. A backend that
//   cannot be reached returns absl::UnavailableError; any other failure
//   returns another non-OK code (typically Internal). Messages name what
//   failed and never contain credentials.
class Driver {
 public:
  virtual ~Driver() = default;

  // Returns the value stored under `key`, or NotFound.
  virtual absl::StatusOr<std::string> Get(absl::string_view key) = 0;

  // Stores `value` under `key`, replacing any previous value.
  virtual absl::Status Set(absl::string_view key, absl::string_view value) = 0;

  // Removes `key`. Removing a missing key returns OK.
  virtual absl::Status Delete(absl::string_view key) = 0;

  // Receives the outcome of SetAsync or DeleteAsync.
  using WriteDone = absl::AnyInvocable<void(absl::Status)>;

  // Set and Delete that report their outcome by calling `done` exactly once,
  // with what Set or Delete would have returned, on any thread and possibly
  // before returning. `key` and `value` must stay valid until `done` is
  // called. Writes started by one thread apply in the order started. A
  // driver that queues writes (DriverType::nonblocking_writes) returns
  // without waiting for the backend; the defaults run Set and Delete on the
  // calling thread.
  virtual void SetAsync(absl::string_view key, absl::string_view value,
                        WriteDone done) {
    done(Set(key, value));
  }
  virtual void DeleteAsync(absl::string_view key, WriteDone done) {
    done(Delete(key));
  }

  // Reports whether `key` has a value.
  virtual absl::StatusOr<bool> Exists(absl::string_view key) = 0;

  // Calls `visit` with each key in ascending byte order until `visit` returns
  // false or the keys run out. The view is valid only during the call. Keys
  // set or deleted concurrently may or may not be visited. Implementations
  // stream keys from the backend and never hold the whole store in memory.
  virtual absl::Status ListKeys(
      absl::FunctionRef<bool(absl::string_view key)> visit) = 0;

  // Where the data lives, for operators: a file path, or a URL with any
  // password removed. Empty if there is nothing to show (e.g. memory).
  virtual std::string Location() const { return ""; }

  // How many bytes the store's data occupies, for the kvd_store_size_bytes
  // metric; nullopt if the driver cannot tell cheaply (a shared server's
  // usage is that server's own metric). Called on every metrics scrape, from
  // any thread, so it must not scan the data.
  virtual absl::optional<uint64_t> SizeBytes() const { return absl::nullopt; }
};

}  // namespace kv

#endif  // KV_STORE_DRIVER_H_
