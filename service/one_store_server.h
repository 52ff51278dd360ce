#ifndef KV_SERVICE_ONE_STORE_SERVER_H_
#define KV_SERVICE_ONE_STORE_SERVER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "kv/v1/kv.grpc.pb.h"
#include "service/server.h"
#include "service/store_catalog.h"

namespace kv {

// For tests of how the service schedules calls: an in-process KvServer on
// 127.0.0.1:0 serving one store, "default", of a (usually test-registered)
// driver type, with one worker thread per store, and a stub that has already
// opened the store.
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

  std::unique_ptr<StoreCatalog> catalog_;
  std::unique_ptr<KvServer> server_;
  std::unique_ptr<v1::KeyValue::Stub> stub_;
  uint32_t handle_ = 0;
};

}  // namespace kv

#endif  // KV_SERVICE_ONE_STORE_SERVER_H_
