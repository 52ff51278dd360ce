#ifndef KV_SERVICE_STORE_HEALTH_H_
#define KV_SERVICE_STORE_HEALTH_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace kv {

// Tracks whether each store's backend is reachable, from the outcome of the
// calls that use it, and publishes changes (to the gRPC health service and
// the log) only when a store's state flips.
//
// Each store appears in the health service as "store:NAME", so operators
// and probes can ask about one store:
//   grpcurl -plaintext -d '{"service":"store:orders"}' HOST:PORT
//       grpc.health.v1.Health/Check
// (one command line).
//
// Thread-safe.
class StoreHealth {
 public:
  // Called on every change with the health service name and the new state.
  using Publisher =
      std::function<void(const std::string& service, bool serving)>;

  // Every store in `stores` starts healthy (published right away).
  StoreHealth(const std::vector<std::string>& stores, Publisher publish);

  // The health service name of `store`: "store:NAME".
  static std::string ServiceName(absl::string_view store);

  // Records the outcome of a call to `store`'s backend: OK, or the error the
  // store reported. Only backend failures (kv.v1.ErrorCode IO with gRPC
  // UNAVAILABLE) make a store unhealthy; any other outcome, a missing key
  // included, shows the backend answered.
  void Report(absl::string_view store, const absl::Status& outcome);

  // The last published state of `store`; true for unknown stores.
  bool IsHealthy(absl::string_view store);

 private:
  const Publisher publish_;
  // Fixed at construction; the flags change. Report reads them without the
  // mutex, so the common case (no change) costs one atomic load.
  absl::flat_hash_map<std::string, std::unique_ptr<std::atomic<bool>>> healthy_;
  // Serializes changes, so they are published in the order they were made.
  absl::Mutex publish_mutex_;
};

}  // namespace kv

#endif  // KV_SERVICE_STORE_HEALTH_H_
