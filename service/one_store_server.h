#ifndef KV_SERVICE_ONE_STORE_SERVER_H_
#define KV_SERVICE_ONE_STORE_SERVER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/server.h"
#include "kv/v1/kv.grpc.pb.h"
#include "service/kv_service.h"
#include "service/store_catalog.h"

namespace kv {

// For tests of how the service schedules calls: an in-process gRPC server on
// 127.0.0.1:0 with only the KeyValue service (no TLS, auth, health or
// reflection: those are the kvd binary's, service/kvd/), serving one store,
// "default", of a (usually test-registered) driver type, with one worker
// thread per store, and a stub that has already opened the store.
class OneStoreServer {
 public:
  // Fails if the store, the server or the Open call fails, saying which.
  static absl::StatusOr<std::unique_ptr<OneStoreServer>> Start(
      const std::string& driver_type);

  // Shuts the server down (5 s grace), then closes the store.
  ~OneStoreServer();

  v1::KeyValue::Stub& stub() { return *stub_; }
  // The handle the stub opened "default" with.
  uint32_t handle() const { return handle_; }

 private:
  OneStoreServer() = default;

  // Destroyed in reverse: the server stops before the service, and the
  // service before the catalog it serves.
  std::unique_ptr<StoreCatalog> catalog_;
  std::unique_ptr<KeyValueService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::KeyValue::Stub> stub_;
  uint32_t handle_ = 0;
};

}  // namespace kv

#endif  // KV_SERVICE_ONE_STORE_SERVER_H_
