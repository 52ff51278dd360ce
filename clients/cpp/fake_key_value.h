#ifndef KV_CLIENTS_CPP_FAKE_KEY_VALUE_H_
#define KV_CLIENTS_CPP_FAKE_KEY_VALUE_H_

// A test double for the kvd server: an in-memory KeyValue service with the
// API's semantics for one store, "default" (revisions, conditional writes,
// Increment, atomic batches, Describe, expiry and ListKeys included), plus
// injectable failures. It runs in-process, so client tests need no network
// and no real kvd. Describe reports it as a "memory" store with kvd's
// default limits. Expiry is judged by the fake's clock: the real clock plus
// whatever AdvanceClock added, so tests pass time without sleeping.
// ListKeys' tokens are the fake's own ("fake-page:" + prefix length + ":" +
// prefix + last key), checked against the request's prefix.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/channel.h"
#include "grpcpp/server.h"
#include "kv/v1/kv.grpc.pb.h"

namespace kvd {

class FakeKeyValue final : public kv::v1::KeyValue::Service {
 public:
  // Makes the next call, whichever it is, fail with `status` and, unless
  // `error_code` is empty, the "kv-error-code" trailer `error_code`. With a
  // `method` ("Get", "GetKeys", ...), the next call of that method fails
  // instead, and other calls go through.
  void FailNextCall(grpc::Status status, std::string error_code,
                    std::string method = "");
  // Answers every call of `method` with UNIMPLEMENTED, as a kvd from before
  // that method does (only "ListKeys" is supported).
  void Unimplement(std::string method);
  // Deletes `key` just before the next call of `method` is served: a
  // concurrent writer between two calls of a client.
  void DeleteBeforeNextCall(std::string method, std::string key);
  // Calls of Set received (failed ones included).
  int set_calls() const;
  // Calls of ListKeys received (failed ones included), and the latest
  // request.
  int list_keys_calls() const;
  kv::v1::ListKeysRequest last_list_keys_request() const;
  // Moves the fake's clock forward by `duration`.
  void AdvanceClock(absl::Duration duration);
  // The fake's clock: absl::Now() plus every AdvanceClock.
  absl::Time Now() const;

  // Handles currently open.
  int open_handles() const;
  // Total Close calls received.
  int close_calls() const;
  // While held, each Close call is counted, then waits until released.
  void HoldCloses(bool hold);
  // Waits until `n` Close calls were received, at most `timeout`; whether
  // they were.
  bool WaitForCloseCalls(int n, absl::Duration timeout);
  // The deadline the client set on the latest call (InfiniteFuture if none).
  absl::Time last_deadline() const;
  // The "authorization" metadata of the latest call ("" if none).
  std::string last_authorization() const;

  grpc::Status Open(grpc::ServerContext* context,
                    const kv::v1::OpenRequest* request,
                    kv::v1::OpenResponse* response) override;
  grpc::Status Get(grpc::ServerContext* context,
                   const kv::v1::GetRequest* request,
                   kv::v1::GetResponse* response) override;
  grpc::Status Set(grpc::ServerContext* context,
                   const kv::v1::SetRequest* request,
                   kv::v1::SetResponse* response) override;
  grpc::Status Delete(grpc::ServerContext* context,
                      const kv::v1::DeleteRequest* request,
                      kv::v1::DeleteResponse* response) override;
  grpc::Status Exists(grpc::ServerContext* context,
                      const kv::v1::ExistsRequest* request,
                      kv::v1::ExistsResponse* response) override;
  grpc::Status GetKeys(grpc::ServerContext* context,
                       const kv::v1::GetKeysRequest* request,
                       kv::v1::GetKeysResponse* response) override;
  grpc::Status Close(grpc::ServerContext* context,
                     const kv::v1::CloseRequest* request,
                     kv::v1::CloseResponse* response) override;
  grpc::Status Increment(grpc::ServerContext* context,
                         const kv::v1::IncrementRequest* request,
                         kv::v1::IncrementResponse* response) override;
  grpc::Status GetMany(grpc::ServerContext* context,
                       const kv::v1::GetManyRequest* request,
                       kv::v1::GetManyResponse* response) override;
  grpc::Status SetMany(grpc::ServerContext* context,
                       const kv::v1::SetManyRequest* request,
                       kv::v1::SetManyResponse* response) override;
  grpc::Status DeleteMany(grpc::ServerContext* context,
                          const kv::v1::DeleteManyRequest* request,
                          kv::v1::DeleteManyResponse* response) override;
  grpc::Status Describe(grpc::ServerContext* context,
                        const kv::v1::DescribeRequest* request,
                        kv::v1::DescribeResponse* response) override;
  grpc::Status ListKeys(grpc::ServerContext* context,
                        const kv::v1::ListKeysRequest* request,
                        kv::v1::ListKeysResponse* response) override;

 private:
  // Records the call's deadline, then returns the injected failure, consumed
  // by the first call that takes it; OK when none is pending.
  // `method` is the RPC's name, e.g. "Get".
  grpc::Status TakeFailure(grpc::ServerContext* context,
                           absl::string_view method) ABSL_LOCKS_EXCLUDED(mu_);
  // INVALID_STORE unless `handle` is open.
  grpc::Status CheckHandle(grpc::ServerContext* context, uint32_t handle)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The revision of `key`; 0 if absent (or expired).
  uint64_t RevisionOf(const std::string& key)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The clock, under the lock.
  absl::Time NowLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Removes `key` if it has expired; whether it is (still) present.
  bool Live(const std::string& key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Removes every expired key.
  void DropExpired() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // IO with INVALID_ARGUMENT unless `ttl` (when `has_ttl`) is from 1 ms to
  // 10 years; `expire_at` is then now + ttl (else nullopt).
  grpc::Status CheckTtl(grpc::ServerContext* context, bool has_ttl,
                        const google::protobuf::Duration& ttl,
                        std::optional<absl::Time>& expire_at)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // CONDITION_FAILED (with the "kv-current-revision" trailer, and
  // "kv-failed-index" when `index` is given) unless `key` is at
  // `if_revision`; OK when there is no condition.
  grpc::Status CheckCondition(grpc::ServerContext* context,
                              const std::string& key, bool has_if_revision,
                              uint64_t if_revision,
                              std::optional<int> index = std::nullopt)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  struct Versioned {
    std::string value;
    uint64_t revision;
    std::optional<absl::Time> expire_at;
  };

  mutable absl::Mutex mu_;
  std::optional<grpc::Status> failure_ ABSL_GUARDED_BY(mu_);
  std::string failure_code_ ABSL_GUARDED_BY(mu_);
  std::string failure_method_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> unimplemented_ ABSL_GUARDED_BY(mu_);
  std::string delete_before_method_ ABSL_GUARDED_BY(mu_);
  std::string delete_before_key_ ABSL_GUARDED_BY(mu_);
  int set_calls_ ABSL_GUARDED_BY(mu_) = 0;
  int list_keys_calls_ ABSL_GUARDED_BY(mu_) = 0;
  kv::v1::ListKeysRequest last_list_keys_request_ ABSL_GUARDED_BY(mu_);
  absl::Duration clock_offset_ ABSL_GUARDED_BY(mu_) = absl::ZeroDuration();
  std::map<std::string, Versioned> values_ ABSL_GUARDED_BY(mu_);
  // The store's revision: the last one a write was given.
  uint64_t revision_ ABSL_GUARDED_BY(mu_) = 0;
  std::set<uint32_t> handles_ ABSL_GUARDED_BY(mu_);
  uint32_t next_handle_ ABSL_GUARDED_BY(mu_) = 1;
  int close_calls_ ABSL_GUARDED_BY(mu_) = 0;
  bool hold_closes_ ABSL_GUARDED_BY(mu_) = false;
  absl::CondVar close_received_;
  absl::CondVar closes_released_;
  absl::Time last_deadline_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
  std::string last_authorization_ ABSL_GUARDED_BY(mu_);
};

// A FakeKeyValue served in-process.
class FakeKeyValueServer {
 public:
  FakeKeyValueServer();
  ~FakeKeyValueServer();

  FakeKeyValue& service() { return service_; }
  // A channel to the server, with no network in between.
  std::shared_ptr<grpc::Channel> channel();

 private:
  FakeKeyValue service_;
  std::unique_ptr<grpc::Server> server_;
};

}  // namespace kvd

#endif  // KV_CLIENTS_CPP_FAKE_KEY_VALUE_H_
