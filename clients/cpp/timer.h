#ifndef KV_CLIENTS_CPP_TIMER_H_
#define KV_CLIENTS_CPP_TIMER_H_

// Delayed work for the async calls that wait (UpdateAsync's backoff),
// without a thread per wait. Private to the client.

#include <functional>

#include "absl/time/time.h"

namespace kvd {
namespace internal {

// Runs `work` once `delay` has passed, on the client's timer thread: one per
// process, started on first use and never joined (it waits for work until
// the process exits, as the stub reaper of call.h does). `work` must not
// block: it delays every later one.
void RunAfter(absl::Duration delay, std::function<void()> work);

}  // namespace internal
}  // namespace kvd

#endif  // KV_CLIENTS_CPP_TIMER_H_
