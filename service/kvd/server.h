#ifndef KV_SERVICE_KVD_SERVER_H_
#define KV_SERVICE_KVD_SERVER_H_

#include <atomic>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/server.h"
#include "service/access/authorizer.h"
#include "service/access/tls.h"
#include "service/config/transport_options.h"
#include "service/kv_service.h"
#include "service/kvd/readiness.h"
#include "service/limits.h"
#include "service/store_catalog.h"
#include "service/telemetry/call_observer.h"

namespace kv {

struct ServerOptions {
  // "host:port" (port 0 picks a free port) or "unix:/path".
  std::string listen = "127.0.0.1:50051";
  // If set, a second address ("host:port", port 0 picks a free port) that
  // serves only the health service, for probes (the kubelet's gRPC probes
  // reach a pod over TCP, while apps may use kvd through a unix socket).
  std::string health_listen;
  Limits limits;
  // Threads running driver calls, per store.
  int worker_threads = 4;
  // Plaintext unless a certificate is given; mTLS with a client CA.
  TlsFiles tls;
  // Per-connection limits, keepalive, and the unix socket's file mode.
  TransportOptions transport;
  // Identifies callers and checks grants; must outlive the server. Null:
  // every caller is anonymous with every store.
  const Authorizer* authorizer = nullptr;
  // Sees every finished KeyValue call (metrics, request log); may be null.
  // Must outlive the server.
  CallObserver* call_observer = nullptr;
};

// The health service names kvd publishes (grpc.health.v1.Health):
//   ""                 liveness: SERVING from Start until the server stops.
//   "kvd.ready"        readiness: SERVING once every configured store has
//                      opened; NOT_SERVING before that and from BeginDrain()
//                      on. Kubernetes' readiness probe asks for this name.
//   "kv.v1.KeyValue"   SERVING while kvd accepts calls: NOT_SERVING from the
//                      moment Shutdown starts refusing them.
//   "store:NAME"       each store: NOT_SERVING while its backend is
//                      unavailable (see StoreHealth).
inline constexpr char kReadinessServiceName[] = "kvd.ready";

// A running kvd: the KeyValue service, the standard grpc.health.v1 Health
// service and server reflection, listening on one address.
class KvServer {
 public:
  // Starts serving `catalog`, which must outlive the server. Fails with a
  // message naming the address if it cannot listen there.
  static absl::StatusOr<std::unique_ptr<KvServer>> Start(
      const ServerOptions& options, StoreCatalog* catalog);

  ~KvServer();

  // The address actually bound: the chosen port replaces port 0.
  const std::string& address() const { return address_; }
  // The address of the health-only listener (ServerOptions::health_listen),
  // with the chosen port; empty if there is none.
  const std::string& health_address() const { return health_address_; }

  // How many store handles each principal holds open.
  std::vector<std::pair<std::string, size_t>> OpenHandleCounts() {
    return service_->OpenHandleCounts();
  }

  // The first step of a graceful stop: turns readiness ("kvd.ready")
  // NOT_SERVING for good, so endpoints and load balancers stop sending new
  // calls, and keeps serving every call meanwhile. Idempotent.
  void BeginDrain();

  // Turns readiness and "kv.v1.KeyValue" NOT_SERVING, refuses new calls with
  // UNAVAILABLE, lets in-flight calls finish for up to `grace` (then cancels
  // them), closes every connection and waits until every call has completed.
  // Liveness ("") stays SERVING until the server stops.
  void Shutdown(absl::Duration grace);

 private:
  KvServer() = default;

  // Starts probe_server_ on `listen`.
  absl::Status StartProbeServer(const std::string& listen);
  // Publishes a health status on every listener.
  void SetHealth(const std::string& service, bool serving);

  std::string address_;
  std::string health_address_;
  // Set once the servers run; read by the health publishers.
  std::atomic<grpc::HealthCheckServiceInterface*> health_{nullptr};
  std::atomic<grpc::HealthCheckServiceInterface*> probe_health_{nullptr};
  std::unique_ptr<KeyValueService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<grpc::Server> probe_server_;  // Health only; optional.
  std::unique_ptr<Readiness> readiness_;
  bool shut_down_ = false;
};

}  // namespace kv

#endif  // KV_SERVICE_KVD_SERVER_H_
