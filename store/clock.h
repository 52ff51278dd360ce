#ifndef KV_STORE_CLOCK_H_
#define KV_STORE_CLOCK_H_

#include "absl/time/time.h"

namespace kv {

// The time a driver without a server clock of its own (SQLite, memory)
// judges expiry by. Tests pass a kv::testing::FakeClock
// (store/testing/fake_clock.h) to control it. Thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;

  // The system's wall clock (absl::Now). Lives for the whole process.
  static const Clock& Real();
};

}  // namespace kv

#endif  // KV_STORE_CLOCK_H_
