#ifndef KV_TOOLS_KVCTL_STORE_SESSION_H_
#define KV_TOOLS_KVCTL_STORE_SESSION_H_

// StoreSession: one open handle on a kvd store, closed when the session ends.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "kv/v1/kv.grpc.pb.h"

namespace kv::kvctl {

// Every call (Open and Close included) gets its own deadline of `timeout`
// from when it starts. Errors are CallError statuses: their message names
// the action, the store and the key, and they carry the server's ErrorCode.
// Not thread-safe; the stub must outlive the session.
class StoreSession {
 public:
  // Opens the store named `store`.
  static absl::StatusOr<StoreSession> Open(v1::KeyValue::StubInterface& stub,
                                           absl::string_view store,
                                           absl::Duration timeout);

  StoreSession(StoreSession&& other) noexcept;
  StoreSession& operator=(StoreSession&&) = delete;
  StoreSession(const StoreSession&) = delete;
  StoreSession& operator=(const StoreSession&) = delete;

  // Closes the handle if Close() was not called, ignoring failure: the
  // server reclaims idle handles anyway.
  ~StoreSession();

  absl::StatusOr<std::string> Get(absl::string_view key);
  absl::Status Set(absl::string_view key, absl::string_view value);
  absl::Status Delete(absl::string_view key);
  absl::StatusOr<bool> Exists(absl::string_view key);
  absl::StatusOr<std::vector<std::string>> GetKeys();

  // Releases the handle. Further calls fail with INVALID_STORE from the
  // server; a second Close() does nothing.
  absl::Status Close();

  const std::string& store() const { return store_; }

 private:
  StoreSession(v1::KeyValue::StubInterface& stub, std::string store,
               absl::Duration timeout, uint32_t handle);

  v1::KeyValue::StubInterface* stub_;
  std::string store_;
  absl::Duration timeout_;
  // The server never issues 0, so 0 means "closed" (or moved from).
  uint32_t handle_;
};

}  // namespace kv::kvctl

#endif  // KV_TOOLS_KVCTL_STORE_SESSION_H_
