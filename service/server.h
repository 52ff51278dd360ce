#ifndef KV_SERVICE_SERVER_H_
#define KV_SERVICE_SERVER_H_

#include <atomic>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/server.h"
#include "service/call_observer.h"
#include "service/kv_service.h"
#include "service/limits.h"
#include "service/store_catalog.h"

namespace kv {

struct ServerOptions {
  // "host:port" (port 0 picks a free port) or "unix:/path".
  std::string listen = "127.0.0.1:50051";
  Limits limits;
  // Threads running driver calls, per store.
  int worker_threads = 4;
  // Sees every finished KeyValue call (metrics, request log); may be null.
  // Must outlive the server.
  CallObserver* call_observer = nullptr;
};

// A running kvd: the KeyValue service, the standard grpc.health.v1 Health
// service and server reflection, listening on one address.
//
// Health: the overall status ("") and "kv.v1.KeyValue" are SERVING once
// Start returns, NOT_SERVING from the start of Shutdown. Each store is also
// listed as "store:NAME", NOT_SERVING while its backend is unavailable.
class KvServer {
 public:
  // Starts serving `catalog`, which must outlive the server. Fails with a
  // message naming the address if it cannot listen there.
  static absl::StatusOr<std::unique_ptr<KvServer>> Start(
      const ServerOptions& options, StoreCatalog* catalog);

  ~KvServer();

  // The address actually bound: the chosen port replaces port 0.
  const std::string& address() const { return address_; }

  // How many store handles each principal holds open.
  std::vector<std::pair<std::string, size_t>> OpenHandleCounts() {
    return service_->OpenHandleCounts();
  }

  // Turns health NOT_SERVING, refuses new calls with UNAVAILABLE, lets
  // in-flight calls finish for up to `grace` (then cancels them), closes
  // every connection and waits until every call has completed.
  void Shutdown(absl::Duration grace);

 private:
  KvServer() = default;

  std::string address_;
  // Set once the server runs; read by the service's health publisher.
  std::atomic<grpc::HealthCheckServiceInterface*> health_{nullptr};
  std::unique_ptr<KeyValueService> service_;
  std::unique_ptr<grpc::Server> server_;
  bool shut_down_ = false;
};

}  // namespace kv

#endif  // KV_SERVICE_SERVER_H_
