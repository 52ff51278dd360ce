#ifndef KV_SERVICE_KV_SERVICE_H_
#define KV_SERVICE_KV_SERVICE_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/byte_buffer.h"
#include "kv/v1/kv.grpc.pb.h"
#include "service/access/authorizer.h"
#include "service/telemetry/call_observer.h"
#include "service/call_tracker.h"
#include "service/executor.h"
#include "service/handle_table.h"
#include "service/limits.h"
#include "service/store_catalog.h"
#include "service/store_health.h"
#include "store/driver.h"

namespace kv {

// The kv.v1.KeyValue service: handles, limits and error mapping on top of
// the store catalog. It knows drivers only through the Driver interface.
//
// Every method is a raw callback method: the service decodes requests itself
// (service/request_decoder.h) so malformed ones get a precise error, then
// runs the operation, which may block on storage, on the worker pool of the
// store it targets. Each store has a pool of its own, so a backend that hangs
// until its deadline never delays calls to other stores. Two exceptions, both
// chosen by the driver type (see DriverType): reads of a store with fast
// reads run on the gRPC thread that received the call, and writes of a store
// with nonblocking writes start there and finish from the driver's callback,
// holding no thread while they wait for their commit.
//
// `catalog` must outlive the service. When destroyed, the service waits for
// every call it accepted to finish (its pools finish their queued work, and
// queued writes their commits), so destroy it before the catalog closes its
// drivers.
class KeyValueService final
    : public v1::KeyValue::WithRawCallbackMethod_Open<
          v1::KeyValue::WithRawCallbackMethod_Get<
              v1::KeyValue::WithRawCallbackMethod_Set<
                  v1::KeyValue::WithRawCallbackMethod_Delete<
                      v1::KeyValue::WithRawCallbackMethod_Exists<
                          v1::KeyValue::WithRawCallbackMethod_GetKeys<
                              v1::KeyValue::WithRawCallbackMethod_Close<
                                  v1::KeyValue::Service>>>>>>> {
 public:
  // `threads_per_store` workers serve each store. `publish_health` receives
  // every change of a store's health (see StoreHealth). `authorizer`
  // identifies callers and checks their grants; without one, every caller is
  // the anonymous principal "" with every store. `observer`, if not null,
  // sees every finished call (metrics, request log). Both must outlive the
  // service.
  KeyValueService(StoreCatalog* catalog, const Limits& limits,
                  int threads_per_store, StoreHealth::Publisher publish_health,
                  const Authorizer* authorizer = nullptr,
                  CallObserver* observer = nullptr);
  // Waits for the calls in flight; see the class comment.
  ~KeyValueService() override;

  using Raw = grpc::ByteBuffer;
  grpc::ServerUnaryReactor* Open(grpc::CallbackServerContext* context,
                                 const Raw* request, Raw* response) override;
  grpc::ServerUnaryReactor* Get(grpc::CallbackServerContext* context,
                                const Raw* request, Raw* response) override;
  grpc::ServerUnaryReactor* Set(grpc::CallbackServerContext* context,
                                const Raw* request, Raw* response) override;
  grpc::ServerUnaryReactor* Delete(grpc::CallbackServerContext* context,
                                   const Raw* request, Raw* response) override;
  grpc::ServerUnaryReactor* Exists(grpc::CallbackServerContext* context,
                                   const Raw* request, Raw* response) override;
  grpc::ServerUnaryReactor* GetKeys(grpc::CallbackServerContext* context,
                                    const Raw* request, Raw* response) override;
  grpc::ServerUnaryReactor* Close(grpc::CallbackServerContext* context,
                                  const Raw* request, Raw* response) override;

  // Starts refusing new calls with UNAVAILABLE, then waits until the calls
  // already accepted have finished, or until `deadline`. Returns true if they
  // all finished.
  bool Drain(absl::Time deadline);

  // Opens `store`'s driver unless it is open, and records the outcome in the
  // store's health. OK once the store is open. For the background retries
  // of stores that did not open at startup (see Readiness).
  absl::Status RetryOpen(const std::string& store);

  // Whether `store`'s backend answered the last call that reached it.
  bool IsStoreHealthy(const std::string& store) {
    return health_.IsHealthy(store);
  }

  // How many handles each principal holds open (HandleTable::OpenCounts).
  std::vector<std::pair<std::string, size_t>> OpenHandleCounts() {
    return handles_.OpenCounts();
  }

  // The operations, callable directly (tests, in-process use). `principal`
  // identifies the caller; handles belong to it.
  absl::StatusOr<v1::OpenResponse> DoOpen(const std::string& principal,
                                          const v1::OpenRequest& request);
  absl::StatusOr<v1::GetResponse> DoGet(const std::string& principal,
                                        const v1::GetRequest& request);
  absl::StatusOr<v1::SetResponse> DoSet(const std::string& principal,
                                        const v1::SetRequest& request);
  absl::StatusOr<v1::DeleteResponse> DoDelete(const std::string& principal,
                                              const v1::DeleteRequest& request);
  absl::StatusOr<v1::ExistsResponse> DoExists(const std::string& principal,
                                              const v1::ExistsRequest& request);
  absl::StatusOr<v1::GetKeysResponse> DoGetKeys(
      const std::string& principal, const v1::GetKeysRequest& request);
  absl::StatusOr<v1::CloseResponse> DoClose(const std::string& principal,
                                            const v1::CloseRequest& request);

 private:
  // A store resolved from a handle: its name (for messages), driver, and
  // whether the handle was opened through a read-only grant.
  struct OpenStore {
    std::string name;
    Driver* driver;
    bool read_only;
  };

  // The three steps of a write (a v1::SetRequest or v1::DeleteRequest):
  // CheckWrite is what it must pass before it reaches the backend (a handle
  // of the caller's, a writable grant, the key and value limits);
  // WriteOutcome turns the backend's answer into the call's status and
  // records it in the store's health; StartWrite runs both around the
  // driver's SetAsync or DeleteAsync, for a store whose driver type has
  // nonblocking writes, and gives `done` the call's status, possibly on
  // another thread (`request` is kept until then).
  template <typename WriteRequest>
  absl::StatusOr<OpenStore> CheckWrite(const std::string& principal,
                                       const WriteRequest& request);
  template <typename WriteRequest>
  absl::Status WriteOutcome(const OpenStore& store, const WriteRequest& request,
                            absl::Status outcome);
  template <typename WriteRequest>
  void StartWrite(const std::string& principal,
                  std::shared_ptr<const WriteRequest> request,
                  Driver::WriteDone done);

  // The caller's principal, or UNAUTHENTICATED.
  absl::StatusOr<std::string> PrincipalOf(
      const grpc::CallbackServerContext& context) const;
  absl::StatusOr<OpenStore> Resolve(const std::string& principal,
                                    uint32_t handle);

  // Records `outcome`, the result of a call that reached `store`'s backend
  // (or failed to open it), in the store's health; returns it unchanged.
  absl::Status Observe(const std::string& store, absl::Status outcome);

  // The configured store `request` targets, or "" if none (an unknown
  // store name or handle).
  std::string StoreOf(const std::string& principal,
                      const v1::OpenRequest& request);
  template <typename Request>
  std::string StoreOf(const std::string& principal, const Request& request);

  // The pool that runs calls to `store`: its own, or the control pool for
  // calls that reach no store.
  Executor& ExecutorFor(const std::string& store);

  // Decodes `raw_request`, runs `operation` on the executor, encodes its
  // response into `raw_response` and finishes the call, mapping any error.
  // `method` names the RPC for the observer.
  template <typename Request, typename Response>
  grpc::ServerUnaryReactor* Serve(
      const char* method, grpc::CallbackServerContext* context,
      const Raw* raw_request, Raw* raw_response,
      absl::StatusOr<Response> (KeyValueService::*operation)(const std::string&,
                                                             const Request&));

  // Finishes the call with `status`, after reporting it to the observer as
  // `call` (whose outcome fields this sets).
  void Finish(grpc::CallbackServerContext* context,
              grpc::ServerUnaryReactor* reactor, const absl::Status& status,
              absl::Time started, CallRecord& call);

  StoreCatalog* const catalog_;
  const Limits limits_;
  const Authorizer anonymous_;
  const Authorizer* const authorizer_;
  CallObserver* const observer_;
  HandleTable handles_;
  // Shared with the callbacks of writes in flight, which end their call
  // after everything else they do: the tracker outlives the service while
  // such a callback returns from End().
  const std::shared_ptr<CallTracker> calls_ = std::make_shared<CallTracker>();
  StoreHealth health_;
  // Destroyed before the other members, finishing queued work that uses them.
  Executor control_executor_;
  absl::flat_hash_map<std::string, std::unique_ptr<Executor>> executors_;
  // Stores whose reads run on the calling gRPC thread
  // (DriverType::fast_reads).
  absl::flat_hash_set<std::string> fast_read_stores_;
  // Stores whose writes start on the calling gRPC thread
  // (DriverType::nonblocking_writes).
  absl::flat_hash_set<std::string> nonblocking_write_stores_;
};

}  // namespace kv

#endif  // KV_SERVICE_KV_SERVICE_H_
