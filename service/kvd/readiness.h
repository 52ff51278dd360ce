#ifndef KV_SERVICE_KVD_READINESS_H_
#define KV_SERVICE_KVD_READINESS_H_

#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace kv {

// Whether kvd is ready for traffic, as a Kubernetes readiness probe asks:
// ready once every configured store has opened, and not ready again, for
// good, from StartDraining() on (shutdown has begun).
//
// A store that did not open at startup (a backend that is down, a volume not
// mounted yet) is retried in the background every `retry_interval` through
// `open_store`, so readiness comes as soon as the cause is fixed, without
// any call. Once a store has opened, a later backend outage does not make
// kvd unready: it shows in that store's own health ("store:NAME") and its
// calls fail with UNAVAILABLE, while the other stores keep serving.
//
// Every change is published, in order, through `publish`; the initial state
// is published by the constructor. Thread-safe.
class Readiness {
 public:
  // Tries to open `store`; OK once it is open.
  using OpenStore = std::function<absl::Status(const std::string& store)>;
  using Publisher = std::function<void(bool ready)>;

  // `pending_stores` are the stores not open yet.
  Readiness(std::vector<std::string> pending_stores, OpenStore open_store,
            Publisher publish, absl::Duration retry_interval);
  // Stops the background retries.
  ~Readiness();

  Readiness(const Readiness&) = delete;
  Readiness& operator=(const Readiness&) = delete;

  // Turns readiness off for good. Idempotent.
  void StartDraining();

  bool IsReady();

 private:
  void RetryPendingStores();
  // Publishes the current state if it differs from the last one published.
  void PublishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  const OpenStore open_store_;
  const Publisher publish_;
  const absl::Duration retry_interval_;

  absl::Mutex mutex_;
  absl::CondVar wake_;
  std::vector<std::string> pending_ ABSL_GUARDED_BY(mutex_);
  bool draining_ ABSL_GUARDED_BY(mutex_) = false;
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  bool published_ ABSL_GUARDED_BY(mutex_) = false;
  bool published_once_ ABSL_GUARDED_BY(mutex_) = false;
  std::thread retry_thread_;
};

}  // namespace kv

#endif  // KV_SERVICE_KVD_READINESS_H_
