#ifndef KV_CLIENTS_CPP_UPDATE_RETRY_H_
#define KV_CLIENTS_CPP_UPDATE_RETRY_H_

// The read-modify-write loop of kvd::Store::Update and UpdateAsync
// (clients/SCENARIO.md, under the table), apart from the Store, so that its
// retries and backoff are unit-tested with a fake read, write, sleep and
// random source. Private to the client.
//
// Each attempt reads the key with its revision, calls the caller's function
// with the value (nullopt when absent) and writes its result with
// if_revision (0 when the key was absent). A CONDITION_FAILED write is
// retried after a full-jitter exponential backoff: before retry n (n = 1 after
// the first failed attempt), a delay drawn uniformly from [0, cap(n)), where
// cap(n) = min(1 s, 10 ms * 2^(n-1)). After `max_attempts` attempts in all,
// the last CONDITION_FAILED error is returned. Any other error, from the
// read, the function or the write, ends the loop at once.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "clients/cpp/store_types.h"

namespace kvd {
namespace internal {

// The backoff's bounds: the first retry's cap, and the cap of every retry.
inline constexpr absl::Duration kUpdateFirstBackoff = absl::Milliseconds(10);
inline constexpr absl::Duration kUpdateMaxBackoff = absl::Seconds(1);

// cap(retry), for retry >= 1.
absl::Duration UpdateBackoffCap(int retry);

// The delay before `retry`: cap(retry) * `uniform`, for `uniform` in [0, 1).
absl::Duration UpdateBackoff(int retry, double uniform);

// A uniform double in [0, 1) from a per-thread generator seeded by
// std::random_device: the random source of a real Store's Update.
double UniformRandom();

// A key as one attempt read it.
struct UpdateRead {
  // nullopt: the key is absent.
  std::optional<std::string> value;
  // The key's revision (0 when absent): the next write's if_revision.
  uint64_t revision = 0;
};

// InvalidArgument, naming the value, unless max_attempts >= 1.
absl::Status CheckUpdateAttempts(int max_attempts);

// The blocking loop.
struct UpdateSteps {
  // Reads the key; an absent key is a value, not an error.
  std::function<absl::StatusOr<UpdateRead>()> read;
  // Writes `value` if the key is at `if_revision`; returns its revision.
  std::function<absl::StatusOr<uint64_t>(const std::string& value,
                                         uint64_t if_revision)>
      write;
  // Waits `delay` (absl::SleepFor in a real Store).
  std::function<void(absl::Duration delay)> sleep;
  // Uniform in [0, 1) (UniformRandom in a real Store).
  std::function<double()> random;
};

// Runs the loop; returns the revision written or the error that ended it.
absl::StatusOr<uint64_t> RunUpdate(const UpdateSteps& steps,
                                   const UpdateFunction& fn, int max_attempts);

// The same loop on callbacks: each step is started and reports its outcome
// to the continuation it is given, on whatever thread.
struct AsyncUpdateSteps {
  std::function<void(std::function<void(absl::StatusOr<UpdateRead>)>)> read;
  std::function<void(std::string value, uint64_t if_revision,
                     std::function<void(absl::StatusOr<uint64_t>)>)>
      write;
  // Runs `then` after `delay` (a gRPC alarm in a real Store).
  std::function<void(absl::Duration delay, std::function<void()> then)>
      schedule;
  std::function<double()> random;
};

// Starts the loop; `done` runs exactly once with the revision written or the
// error that ended it, on the thread of the step that finished last.
void RunUpdateAsync(AsyncUpdateSteps steps, UpdateFunction fn, int max_attempts,
                    std::function<void(absl::StatusOr<uint64_t>)> done);

}  // namespace internal
}  // namespace kvd

#endif  // KV_CLIENTS_CPP_UPDATE_RETRY_H_
