#ifndef KV_TOOLS_KVCTL_STORE_SESSION_H_
#define KV_TOOLS_KVCTL_STORE_SESSION_H_

// StoreSession: one open handle on a kvd store, closed when the session ends.
// A thin layer over kvd::Store (clients/cpp), which makes the calls, sets
// each one's deadline and token, and reads kvd's ErrorCode; the session only
// words its errors the way kvctl prints them.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "clients/cpp/store.h"
#include "grpcpp/channel.h"

namespace kv::kvctl {

// Every call (Open and Close included) gets its own deadline of
// `options.timeout` from when it starts. Errors are CallError statuses: their
// message names the action, the store and the key, and they carry the
// server's ErrorCode (kvd::ErrorCodeOf). Not thread-safe.
class StoreSession {
 public:
  // Opens the store named `store` over `channel`; only the options' timeout
  // and token apply (the channel already has the address and TLS).
  static absl::StatusOr<StoreSession> Open(
      std::shared_ptr<grpc::ChannelInterface> channel, absl::string_view store,
      const kvd::Options& options);

  StoreSession(StoreSession&& other) noexcept = default;
  StoreSession& operator=(StoreSession&&) = delete;
  StoreSession(const StoreSession&) = delete;
  StoreSession& operator=(const StoreSession&) = delete;

  // Closes the handle if Close() was not called, and waits for kvd's answer
  // (kvd::Store's own destructor closes in the background, which a command
  // about to exit could lose), ignoring failure: the server reclaims idle
  // handles anyway.
  ~StoreSession() { store_.Close().IgnoreError(); }

  absl::StatusOr<std::string> Get(absl::string_view key);
  absl::Status Set(absl::string_view key, absl::string_view value);
  // Set with a ttl (import of an expiring key).
  absl::Status Set(absl::string_view key, absl::string_view value,
                   std::chrono::milliseconds ttl);
  absl::Status Delete(absl::string_view key);
  absl::StatusOr<bool> Exists(absl::string_view key);
  absl::StatusOr<std::vector<std::string>> GetKeys();

  // The value and its revision.
  absl::StatusOr<kvd::Versioned> GetEntry(absl::string_view key);
  // Set and Delete returning the revision they wrote (Delete: 0 if there was
  // nothing to delete); with `if_revision`, only if the key is at that
  // revision (0: absent). A failed condition's message ends with the key's
  // current revision: "...; current revision 5".
  // With `ttl`, the key expires that long after the write.
  absl::StatusOr<uint64_t> SetIf(
      absl::string_view key, absl::string_view value,
      std::optional<uint64_t> if_revision,
      std::optional<std::chrono::milliseconds> ttl = std::nullopt);
  absl::StatusOr<uint64_t> DeleteIf(absl::string_view key,
                                    std::optional<uint64_t> if_revision);
  absl::StatusOr<kvd::Counter> Increment(absl::string_view key, int64_t delta);
  absl::StatusOr<kvd::StoreInfo> Describe();
  // One page of the keys that start with `prefix` (kvd::Store::ListKeysPage).
  absl::StatusOr<kvd::KeyPage> ListKeysPage(absl::string_view prefix,
                                            int32_t page_size,
                                            absl::string_view page_token);
  // Several keys from one snapshot, in order (kvd::Store::GetMany).
  absl::StatusOr<std::vector<kvd::Entry>> GetMany(
      absl::Span<const std::string> keys);

  // Releases the handle. Further calls fail with INVALID_STORE from the
  // server; a second Close() does nothing.
  absl::Status Close();

  const std::string& store() const { return store_.name(); }

 private:
  explicit StoreSession(kvd::Store store) : store_(std::move(store)) {}

  kvd::Store store_;
};

}  // namespace kv::kvctl

#endif  // KV_TOOLS_KVCTL_STORE_SESSION_H_
