#ifndef KV_SERVICE_CALL_TRACKER_H_
#define KV_SERVICE_CALL_TRACKER_H_

#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace kv {

// Counts the calls in flight so shutdown can drain them: once draining
// starts, new calls are refused and the server waits only for the calls it
// already accepted. (gRPC's own Shutdown(deadline) also waits for idle client
// connections to go away, so on its own it always takes the whole deadline.)
//
// Thread-safe.
class CallTracker {
 public:
  // Registers a new call. Returns false, registering nothing, once draining
  // has started: the caller must then refuse the call.
  bool Begin();

  // Marks a call registered by Begin() as finished.
  void End();

  // Refuses every later Begin().
  void StartDraining();

  // Waits until no call is in flight, or until `deadline`. Returns true if
  // none is in flight.
  bool WaitUntilIdle(absl::Time deadline);

 private:
  absl::Mutex mutex_;
  absl::CondVar idle_;
  int64_t in_flight_ ABSL_GUARDED_BY(mutex_) = 0;
  bool draining_ ABSL_GUARDED_BY(mutex_) = false;
};

}  // namespace kv

#endif  // KV_SERVICE_CALL_TRACKER_H_
