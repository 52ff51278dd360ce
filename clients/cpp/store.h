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
// Beyond Spin's seven calls: revisions (GetEntry; SetIf and DeleteIf, which
// write only if the key is at a given revision, and return the revision they
// wrote), Increment, atomic batches (GetMany, SetMany, DeleteMany), Describe,
// Update, a read-modify-write loop that retries on conflict, expiry (a ttl
// on every Set form; expire_time on GetEntry and GetMany entries) and paged
// listing (ListKeysPage, one page; ListKeys, every key, a page at a time).
//
// Errors are absl::Status values with the canonical code kvd sent and the
// exact kv.v1.ErrorCode attached (read it with kvd::ErrorCodeOf), so callers
// tell a missing key from an unknown store from a backend that is down
// without parsing messages. When kvd cannot be reached at all, the error is
// UNAVAILABLE and its message starts "cannot reach kvd at ADDRESS" (for a
// Store opened with Options; see Open over a channel).

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "clients/cpp/error_code.h"
#include "clients/cpp/store_types.h"
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
// A conditional write found the key at another revision; nothing was
// written. kvd::CurrentRevisionOf(status) is the key's current revision (0:
// absent), and for a batch kvd::FailedIndexOf(status) the entry's index.
// gRPC code ABORTED.
inline bool IsConditionFailed(const absl::Status& status) {
  return ErrorCodeOf(status) == kv::v1::ERROR_CODE_CONDITION_FAILED;
}
// Increment found a value that is not a canonical decimal int64. gRPC code
// FAILED_PRECONDITION.
inline bool IsNotAnInteger(const absl::Status& status) {
  return ErrorCodeOf(status) == kv::v1::ERROR_CODE_NOT_AN_INTEGER;
}
// Increment's result would not fit in an int64 (ErrorCode OUT_OF_RANGE; not
// named IsOutOfRange, which absl has for the gRPC code alone).
inline bool IsIncrementOutOfRange(const absl::Status& status) {
  return ErrorCodeOf(status) == kv::v1::ERROR_CODE_OUT_OF_RANGE;
}
// The store's backend (or kvd itself) cannot be reached: worth a retry.
inline bool IsUnavailable(const absl::Status& status) {
  return absl::IsUnavailable(status);
}

// Settings of one call, overriding the Store's Options. Every call on an
// open Store (sync and async) takes one as its last, optional, argument;
// Open's deadline is its Options::timeout.
struct CallOptions {
  // This call's deadline, counted from when the call starts. Unset: the
  // store's Options::timeout. Must be positive (else the call fails with
  // InvalidArgument, without reaching kvd).
  std::optional<absl::Duration> timeout;
};

// An open store.
//
// Thread safety: a Store is thread-safe. Any number of threads may call its
// methods (sync and async) at the same time; the calls run concurrently over
// one gRPC channel. A call racing with Close() either completes on the handle
// or fails with IsInvalidStore. Only moving, move-assigning and destroying a
// Store must not race with other uses of it, as for any C++ object.
//
// Lifetime: movable, not copyable. Close() releases the handle and waits for
// kvd's answer (bounded by the call's deadline). The destructor (and a move
// assignment, for the handle it replaces) releases a handle that is still
// open in the background: it starts an asynchronous Close, with a deadline of
// at most 2 s, and returns at once, never waiting for kvd; errors are
// ignored, since kvd reclaims idle handles anyway. So call Close() when the
// handle must be free before you go on (e.g. near the 256-handle limit), or
// when the process is about to exit. Async calls in flight keep what they
// need alive: destroying the Store does not cancel them.
//
// Async calls (the *Async methods) run on gRPC's callback API. `done` is
// called exactly once, on a gRPC thread, or on the calling thread before the
// method returns when the call fails before starting (invalid CallOptions).
// `done` must not block: it runs on gRPC's own threads.
//
// Process-wide, the client keeps gRPC initialized until exit, and runs one
// thread of its own that deletes stubs (and so channels) off gRPC's callback
// threads, where deleting a channel can abort (see call.h).
class Store {
 public:
  template <typename T>
  using Callback = std::function<void(absl::StatusOr<T>)>;
  using StatusCallback = std::function<void(absl::Status)>;

  // Opens `name` ("default" always exists) on the kvd `options` names.
  static absl::StatusOr<Store> Open(absl::string_view name,
                                    const Options& options = {});
  static absl::StatusOr<Store> OpenDefault(const Options& options = {});
  // Opens `name` over an existing channel (e.g. from NewChannel, or an
  // in-process channel in tests). Only the options' timeout and token apply.
  // Transport errors are gRPC's own: the "cannot reach kvd at ADDRESS"
  // wording is for Stores that made their channel from Options.
  static absl::StatusOr<Store> Open(
      absl::string_view name, std::shared_ptr<grpc::ChannelInterface> channel,
      const Options& options = {});
  // Open, asynchronously: `done` receives the Store or the error.
  static void OpenAsync(absl::string_view name, const Options& options,
                        Callback<Store> done);
  static void OpenAsync(absl::string_view name,
                        std::shared_ptr<grpc::ChannelInterface> channel,
                        const Options& options, Callback<Store> done);

  Store(Store&& other) noexcept;
  Store& operator=(Store&& other) noexcept;
  ~Store();

  // The value under `key`; an IsNoSuchKey error if there is none.
  absl::StatusOr<std::string> Get(absl::string_view key,
                                  const CallOptions& call = {});
  absl::Status Set(absl::string_view key, absl::string_view value,
                   const CallOptions& call = {});
  // Set with a ttl: the key expires `ttl` after the write, by the backend's
  // clock (any std::chrono duration; kvd counts whole milliseconds, and
  // refuses under 1 ms or over Describe's max_ttl with IO and
  // INVALID_ARGUMENT). A Set without a ttl makes the key permanent again.
  // E.g. Set("session", token, std::chrono::minutes(30)).
  absl::Status Set(absl::string_view key, absl::string_view value, Ttl ttl,
                   const CallOptions& call = {});
  // Deleting a missing key succeeds.
  absl::Status Delete(absl::string_view key, const CallOptions& call = {});
  absl::StatusOr<bool> Exists(absl::string_view key,
                              const CallOptions& call = {});
  absl::StatusOr<std::vector<std::string>> GetKeys(
      const CallOptions& call = {});
  // Releases the handle. Later calls fail with IsInvalidStore; closing again
  // succeeds without a call to kvd.
  absl::Status Close(const CallOptions& call = {});

  // Revisions and conditional writes. A condition that does not hold fails
  // with IsConditionFailed and writes nothing; kvd::CurrentRevisionOf(error)
  // is then the key's current revision.
  //
  // The value under `key` and its revision; IsNoSuchKey if there is none.
  absl::StatusOr<Versioned> GetEntry(absl::string_view key,
                                     const CallOptions& call = {});
  // Set, returning the revision it gave the key. With `if_revision`, only if
  // the key is at that revision (0: only if it is absent); std::nullopt:
  // unconditional, as Set.
  absl::StatusOr<uint64_t> SetIf(absl::string_view key, absl::string_view value,
                                 std::optional<uint64_t> if_revision,
                                 const CallOptions& call = {});
  // SetIf with a ttl, as Set's. An expired key counts as absent (revision
  // 0) for the condition.
  absl::StatusOr<uint64_t> SetIf(absl::string_view key, absl::string_view value,
                                 std::optional<uint64_t> if_revision, Ttl ttl,
                                 const CallOptions& call = {});
  // Create-only: SetIf(key, value, 0).
  absl::StatusOr<uint64_t> SetIfAbsent(absl::string_view key,
                                       absl::string_view value,
                                       const CallOptions& call = {});
  // Create-only with a ttl (a lock or a lease that frees itself).
  absl::StatusOr<uint64_t> SetIfAbsent(absl::string_view key,
                                       absl::string_view value, Ttl ttl,
                                       const CallOptions& call = {});
  // Delete, returning the delete's revision, or 0 if there was nothing to
  // delete. `if_revision` as for SetIf.
  absl::StatusOr<uint64_t> DeleteIf(absl::string_view key,
                                    std::optional<uint64_t> if_revision,
                                    const CallOptions& call = {});

  // Adds `delta` (which may be negative) to the counter under `key`,
  // atomically; a missing key counts as 0. The value is stored as decimal
  // text ("-12"), so Get reads it. IsNotAnInteger if the value is not such
  // text, IsIncrementOutOfRange if the result does not fit in an int64; the
  // value is unchanged either way.
  absl::StatusOr<Counter> Increment(absl::string_view key, int64_t delta = 1,
                                    const CallOptions& call = {});

  // Atomic batches. No key may appear twice (InvalidArgument, IO), and a
  // batch must keep to the store's limits (Describe).
  //
  // One entry per key, in the order of `keys`, from one snapshot; a missing
  // key is an entry with `found` false.
  absl::StatusOr<std::vector<Entry>> GetMany(absl::Span<const std::string> keys,
                                             const CallOptions& call = {});
  // Writes every entry or none; returns each entry's revision, in order. A
  // failed condition names its entry: kvd::FailedIndexOf(error).
  absl::StatusOr<std::vector<uint64_t>> SetMany(
      absl::Span<const SetEntry> entries, const CallOptions& call = {});
  // Deletes every key or none; per key, the delete's revision or 0 if it
  // was absent.
  absl::StatusOr<std::vector<uint64_t>> DeleteMany(
      absl::Span<const std::string> keys, const CallOptions& call = {});

  // The store's driver, durability, limits, current revision and
  // capabilities.
  absl::StatusOr<StoreInfo> Describe(const CallOptions& call = {});

  // Paged listing (kvd's ListKeys, AIP-158). Keys come in ascending byte
  // order; only keys that start with `prefix` (byte for byte; no character
  // is special). `page_size` 0 is kvd's default (1,000); above the store's
  // max_page_size it is lowered to it; negative is IO with
  // INVALID_ARGUMENT. Across one listing, every key present (and not
  // expired) from its first page to its last is returned exactly once;
  // keys written meanwhile may or may not be.
  //
  // One page: pass "" as `page_token` for the first, then the previous
  // page's next_page_token; an empty next_page_token ends the listing. A
  // token from another store or prefix, or one that is not kvd's, is IO
  // with INVALID_ARGUMENT.
  absl::StatusOr<KeyPage> ListKeysPage(absl::string_view prefix,
                                       int32_t page_size,
                                       absl::string_view page_token,
                                       const CallOptions& call = {});
  // Every key that starts with `prefix`, lazily: fetches a page, calls `fn`
  // with each of its keys, and fetches the next page only when `fn` has
  // taken the last key of this one. `fn` returning false stops the listing
  // at once (OK; no further page is fetched). So memory holds one page,
  // however big the store. A failed page ends it with that page's error
  // (the keys before it were already given to `fn`). `call`'s deadline
  // applies to each page's call, not to the whole listing.
  absl::Status ListKeys(absl::string_view prefix, int32_t page_size,
                        const KeyVisitor& fn, const CallOptions& call = {});

  // Read-modify-write with optimistic concurrency: reads `key` with its
  // revision, calls `fn` with the value (nullopt when absent), and writes
  // fn's result with SetIf at that revision (0 when absent). On a conflict
  // (IsConditionFailed) it starts over after a full-jitter exponential
  // backoff (from 10 ms, doubling, at most 1 s), at most `max_attempts`
  // times in all, then returns the last conflict. An error from `fn`, or any
  // other error, ends it at once. Returns the revision written. `fn` may run
  // several times; `call` applies to each call to kvd.
  absl::StatusOr<uint64_t> Update(absl::string_view key,
                                  const UpdateFunction& fn,
                                  int max_attempts = kDefaultUpdateAttempts,
                                  const CallOptions& call = {});

  // The same calls on gRPC's callback API (see the class comment). The key
  // and value are copied before the method returns.
  void GetAsync(absl::string_view key, Callback<std::string> done,
                const CallOptions& call = {});
  void SetAsync(absl::string_view key, absl::string_view value,
                StatusCallback done, const CallOptions& call = {});
  void SetAsync(absl::string_view key, absl::string_view value, Ttl ttl,
                StatusCallback done, const CallOptions& call = {});
  void DeleteAsync(absl::string_view key, StatusCallback done,
                   const CallOptions& call = {});
  void ExistsAsync(absl::string_view key, Callback<bool> done,
                   const CallOptions& call = {});
  void GetKeysAsync(Callback<std::vector<std::string>> done,
                    const CallOptions& call = {});
  void CloseAsync(StatusCallback done, const CallOptions& call = {});
  void GetEntryAsync(absl::string_view key, Callback<Versioned> done,
                     const CallOptions& call = {});
  void SetIfAsync(absl::string_view key, absl::string_view value,
                  std::optional<uint64_t> if_revision, Callback<uint64_t> done,
                  const CallOptions& call = {});
  void SetIfAsync(absl::string_view key, absl::string_view value,
                  std::optional<uint64_t> if_revision, Ttl ttl,
                  Callback<uint64_t> done, const CallOptions& call = {});
  void SetIfAbsentAsync(absl::string_view key, absl::string_view value,
                        Callback<uint64_t> done, const CallOptions& call = {});
  void SetIfAbsentAsync(absl::string_view key, absl::string_view value, Ttl ttl,
                        Callback<uint64_t> done, const CallOptions& call = {});
  void DeleteIfAsync(absl::string_view key, std::optional<uint64_t> if_revision,
                     Callback<uint64_t> done, const CallOptions& call = {});
  void IncrementAsync(absl::string_view key, int64_t delta,
                      Callback<Counter> done, const CallOptions& call = {});
  void GetManyAsync(absl::Span<const std::string> keys,
                    Callback<std::vector<Entry>> done,
                    const CallOptions& call = {});
  void SetManyAsync(absl::Span<const SetEntry> entries,
                    Callback<std::vector<uint64_t>> done,
                    const CallOptions& call = {});
  void DeleteManyAsync(absl::Span<const std::string> keys,
                       Callback<std::vector<uint64_t>> done,
                       const CallOptions& call = {});
  void DescribeAsync(Callback<StoreInfo> done, const CallOptions& call = {});
  void ListKeysPageAsync(absl::string_view prefix, int32_t page_size,
                         absl::string_view page_token, Callback<KeyPage> done,
                         const CallOptions& call = {});
  // ListKeys on the callback API: `fn` runs on a gRPC thread for each key
  // (it must not block), the next page is requested only after `fn` has
  // taken every key of this one, and `done` runs once at the end: OK when
  // the last page was taken or `fn` returned false, else the failed page's
  // error. Like every async call it keeps what it needs alive.
  void ListKeysAsync(absl::string_view prefix, int32_t page_size, KeyVisitor fn,
                     StatusCallback done, const CallOptions& call = {});
  // Update on the callback API: the reads and writes are async calls, and
  // the backoff waits on the client's timer thread, so no caller's thread
  // waits. `fn` runs on a gRPC thread, like `done`, and must not block for
  // long. Like every async call it keeps what it needs alive: the Store may
  // go away meanwhile (a Close makes its next call fail with
  // IsInvalidStore).
  void UpdateAsync(absl::string_view key, UpdateFunction fn, int max_attempts,
                   Callback<uint64_t> done, const CallOptions& call = {});

  // The handle kvd issued (0 once closed or moved from).
  uint32_t handle() const { return handle_.load(std::memory_order_acquire); }
  const std::string& name() const { return name_; }

 private:
  Store(std::shared_ptr<kv::v1::KeyValue::Stub> stub, Options options,
        std::string address, std::string name, uint32_t handle);
  // Open and OpenAsync over `channel`; `address` is what errors name.
  static absl::StatusOr<Store> OpenOver(
      absl::string_view name, std::shared_ptr<grpc::ChannelInterface> channel,
      const Options& options, std::string address);
  static void OpenOverAsync(absl::string_view name,
                            std::shared_ptr<grpc::ChannelInterface> channel,
                            const Options& options, std::string address,
                            Callback<Store> done);
  // Takes the handle (leaving 0) and closes it in the background.
  void ReleaseInBackground();
  // Every blocking Set form: a ttl of std::nullopt sends none.
  absl::StatusOr<uint64_t> SetWithTtl(absl::string_view key,
                                      absl::string_view value,
                                      std::optional<uint64_t> if_revision,
                                      std::optional<Ttl> ttl,
                                      const CallOptions& call);

  // Never reassigned except by moves, so concurrent calls read them freely.
  std::shared_ptr<kv::v1::KeyValue::Stub> stub_;
  Options options_;
  std::string address_;  // Where kvd is, for "cannot reach kvd" errors.
  std::string name_;
  std::atomic<uint32_t> handle_{0};
};

}  // namespace kvd

#endif  // KV_CLIENTS_CPP_STORE_H_
