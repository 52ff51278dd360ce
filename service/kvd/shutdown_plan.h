#ifndef KV_SERVICE_KVD_SHUTDOWN_PLAN_H_
#define KV_SERVICE_KVD_SHUTDOWN_PLAN_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace kv {

// The timing of kvd's graceful stop on SIGTERM:
//   1. at once, readiness turns NOT_SERVING; calls are still served for
//      `drain_delay`, while endpoints and load balancers stop routing here;
//   2. then new calls are refused with UNAVAILABLE, and calls in flight get
//      up to `grace` to finish before they are cancelled;
//   3. stores are closed and kvd exits 0. The whole stop is bounded by
//      `timeout`, counted from the signal: a stop that takes longer (a
//      backend hanging on close) is cut short with exit code 1.
// SIGINT (an interactive Ctrl-C) and a second SIGTERM skip what remains of
// the drain delay.
struct ShutdownPlan {
  absl::Duration drain_delay = absl::Seconds(5);
  absl::Duration grace = absl::Seconds(10);
  // Below Kubernetes' default terminationGracePeriodSeconds (30 s), so kvd
  // exits on its own before the kubelet's SIGKILL.
  absl::Duration timeout = absl::Seconds(25);
};

// Parses the values of --drain-delay, --shutdown-grace and
// --shutdown-timeout (durations such as "5s" or "500ms"). Fails with a
// message naming the flag if one is not a non-negative duration, or if the
// delay and the grace together do not fit within the timeout.
absl::StatusOr<ShutdownPlan> ParseShutdownPlan(absl::string_view drain_delay,
                                               absl::string_view grace,
                                               absl::string_view timeout);

// Ends the process with exit code 1, after logging `why`, if it is still
// running at `deadline`. Returns at once (the wait runs on a detached thread).
void ExitIfStillRunningAt(absl::Time deadline, std::string why);

}  // namespace kv

#endif  // KV_SERVICE_KVD_SHUTDOWN_PLAN_H_
