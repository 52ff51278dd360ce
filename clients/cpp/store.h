#ifndef KV_CLIENTS_CPP_STORE_H_
#define KV_CLIENTS_CPP_STORE_H_

// The C++ client of kvd: Spin's key-value API over gRPC.
//
//   absl::StatusOr<kvd::Store> store = kvd::Store::OpenDefault();
//   if (!store.ok()) return store.status();
//   KV_RETURN_IF_ERROR(store->Set("greeting", "hello"));
//   absl::StatusOr<std::string> value = store->Get("greeting");
//   if (kvd::IsNoSuchKey(value.status())) { ... }
//
// Errors are absl::Status values with the canonical code kvd sent and the
// exact kv.v1.ErrorCode attached (read it with kvd::ErrorCodeOf), so callers
// tell a missing key from an unknown store from a backend that is down
// without parsing messages.

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "clients/cpp/error_code.h"
#include "grpcpp/channel.h"
#include "kv/v1/kv.grpc.pb.h"

namespace kvd {

// How to reach kvd.
struct Options {
  // "host:port" or "unix:/path". Empty: $KVD_ADDR, else 127.0.0.1:50051.
  std::string address;
  // Deadline of each call.
  absl::Duration timeout = absl::Seconds(10);
  // TLS: set `use_tls` and, optionally, PEM contents. Empty roots use the
  // system's; a client certificate and key enable mutual TLS.
  bool use_tls = false;
  std::string tls_root_certs_pem;
  std::string tls_client_cert_pem;
  std::string tls_client_key_pem;
  // Sent as "authorization: Bearer <token>" when not empty.
  std::string token;
  // Largest response accepted; raise it for values or listings over 4 MiB.
  int max_receive_message_bytes = 64 << 20;
};

// The address `options` names, after the $KVD_ADDR and default fallbacks.
std::string ResolveAddress(const Options& options);

// A channel to the kvd `options` names, with its TLS settings and receive
// limit. It connects lazily, on the first call; share it between Stores.
std::shared_ptr<grpc::Channel> NewChannel(const Options& options);

// kvd::ErrorCodeOf(const absl::Status&), from error_code.h, reads the
// kv.v1.ErrorCode carried by a Store's error.

inline bool IsNoSuchKey(const absl::Status& status) {
  return ErrorCodeOf(status) == kv::v1::ERROR_CODE_NO_SUCH_KEY;
}
inline bool IsNoSuchStore(const absl::Status& status) {
  return ErrorCodeOf(status) == kv::v1::ERROR_CODE_NO_SUCH_STORE;
}
inline bool IsInvalidStore(const absl::Status& status) {
  return ErrorCodeOf(status) == kv::v1::ERROR_CODE_INVALID_STORE;
}
inline bool IsStoreTableFull(const absl::Status& status) {
  return ErrorCodeOf(status) == kv::v1::ERROR_CODE_STORE_TABLE_FULL;
}
inline bool IsAccessDenied(const absl::Status& status) {
  return ErrorCodeOf(status) == kv::v1::ERROR_CODE_ACCESS_DENIED;
}
// The store's backend (or kvd itself) cannot be reached: worth a retry.
inline bool IsUnavailable(const absl::Status& status) {
  return absl::IsUnavailable(status);
}

// An open store. Movable, not copyable; the destructor closes the handle
// (errors ignored: kvd reclaims idle handles anyway). Thread-compatible: use
// one Store per thread, or synchronize.
class Store {
 public:
  // Opens `name` ("default" always exists) on the kvd `options` names.
  static absl::StatusOr<Store> Open(absl::string_view name,
                                    const Options& options = {});
  static absl::StatusOr<Store> OpenDefault(const Options& options = {});
  // Opens `name` over an existing channel (e.g. from NewChannel, or an
  // in-process channel in tests). Only the options' timeout and token apply.
  static absl::StatusOr<Store> Open(
      absl::string_view name, std::shared_ptr<grpc::ChannelInterface> channel,
      const Options& options = {});

  Store(Store&& other) noexcept;
  Store& operator=(Store&& other) noexcept;
  ~Store();

  // The value under `key`; an IsNoSuchKey error if there is none.
  absl::StatusOr<std::string> Get(absl::string_view key);
  absl::Status Set(absl::string_view key, absl::string_view value);
  // Deleting a missing key succeeds.
  absl::Status Delete(absl::string_view key);
  absl::StatusOr<bool> Exists(absl::string_view key);
  absl::StatusOr<std::vector<std::string>> GetKeys();
  // Releases the handle. Later calls fail with IsInvalidStore.
  absl::Status Close();

  // The handle kvd issued (0 once moved from).
  uint32_t handle() const { return handle_; }
  const std::string& name() const { return name_; }

 private:
  Store(std::shared_ptr<kv::v1::KeyValue::Stub> stub, Options options,
        std::string name, uint32_t handle);

  std::shared_ptr<kv::v1::KeyValue::Stub> stub_;
  Options options_;
  std::string name_;
  uint32_t handle_ = 0;
};

}  // namespace kvd

#endif  // KV_CLIENTS_CPP_STORE_H_
