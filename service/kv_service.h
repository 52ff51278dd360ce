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
#include "absl/time/time.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/byte_buffer.h"
#include "kv/v1/kv.grpc.pb.h"
#include "service/access/authorizer.h"
#include "service/call_tracker.h"
#include "service/executor.h"
#include "service/limits.h"
#include "service/operation.h"
#include "service/operation_context.h"
#include "service/store_catalog.h"
#include "service/store_health.h"
#include "service/telemetry/call_observer.h"

namespace kv {

// The kv.v1.KeyValue service: a dispatcher that authenticates each call,
// decodes its request, runs its Operation (the operation families:
// session_operations.h, read_operations.h, write_operations.h,
// list_operations.h) where the operation's Scheduling says, and finishes the
// call, turning errors into gRPC statuses in one place (grpc_status.h). It
// knows drivers only through the Driver interface.
//
// Every method is a raw callback method: the service decodes requests itself
// (service/request_decoder.h) so malformed ones get a precise error. An
// operation that may block on storage runs on the worker pool of the store
// it targets; each store has a pool of its own, so a backend that hangs
// until its deadline never delays calls to other stores. Reads of a store
// with fast reads run on the gRPC thread that received them, and writes of a
// store with nonblocking writes start there and finish from the driver's
// callback (see Scheduling and DriverType).
//
// Adding an RPC: its Operation in the family's file, and one method here
// (declared below, defined in kv_service.cc) that serves it.
//
// `catalog` must outlive the service. When destroyed, the service waits for
// every call it accepted to finish (its pools finish their queued work, and
// queued writes their commits), so destroy it before the catalog closes its
// drivers.
// Every RPC of kv.v1.KeyValue, served with raw (ByteBuffer) callbacks so kvd
// decodes requests itself (request_decoder.h).
using RawKeyValueBase = v1::KeyValue::WithRawCallbackMethod_Open<
    v1::KeyValue::WithRawCallbackMethod_Get<v1::KeyValue::WithRawCallbackMethod_Set<
        v1::KeyValue::WithRawCallbackMethod_Delete<
            v1::KeyValue::WithRawCallbackMethod_Exists<
                v1::KeyValue::WithRawCallbackMethod_GetKeys<
                    v1::KeyValue::WithRawCallbackMethod_Close<
                        v1::KeyValue::WithRawCallbackMethod_Increment<
                            v1::KeyValue::WithRawCallbackMethod_GetMany<
                                v1::KeyValue::WithRawCallbackMethod_SetMany<
                                    v1::KeyValue::WithRawCallbackMethod_DeleteMany<
                                        v1::KeyValue::
                                            WithRawCallbackMethod_Describe<
                                                v1::KeyValue::
                                                    WithRawCallbackMethod_ListKeys<
                                                        v1::KeyValue::
                                                            Service>>>>>>>>>>>>>;

class KeyValueService final : public RawKeyValueBase {
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
  grpc::ServerUnaryReactor* Increment(grpc::CallbackServerContext* context,
                                      const Raw* request,
                                      Raw* response) override;
  grpc::ServerUnaryReactor* GetMany(grpc::CallbackServerContext* context,
                                    const Raw* request, Raw* response) override;
  grpc::ServerUnaryReactor* SetMany(grpc::CallbackServerContext* context,
                                    const Raw* request, Raw* response) override;
  grpc::ServerUnaryReactor* DeleteMany(grpc::CallbackServerContext* context,
                                       const Raw* request,
                                       Raw* response) override;
  grpc::ServerUnaryReactor* Describe(grpc::CallbackServerContext* context,
                                     const Raw* request,
                                     Raw* response) override;
  grpc::ServerUnaryReactor* ListKeys(grpc::CallbackServerContext* context,
                                     const Raw* request,
                                     Raw* response) override;

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
    return context_.health().IsHealthy(store);
  }

  // How many handles each principal holds open (HandleTable::OpenCounts).
  std::vector<std::pair<std::string, size_t>> OpenHandleCounts() {
    return context_.handles().OpenCounts();
  }

  // Runs `operation` directly on the calling thread, for tests and
  // in-process use: `principal` identifies the caller; handles belong to it.
  template <typename Request, typename Response>
  absl::StatusOr<Response> Run(const Operation<Request, Response>& operation,
                               const std::string& principal,
                               const Request& request) {
    return operation.run(context_, principal, request);
  }

 private:
  // The caller's principal, or UNAUTHENTICATED.
  absl::StatusOr<std::string> PrincipalOf(
      const grpc::CallbackServerContext& context) const;

  // The configured store `request` targets, or "" if none (an unknown
  // store name or handle).
  std::string StoreOf(const std::string& principal,
                      const v1::OpenRequest& request);
  template <typename Request>
  std::string StoreOf(const std::string& principal, const Request& request);

  // The pool that runs calls to `store`: its own, or the control pool for
  // calls that reach no store.
  Executor& ExecutorFor(const std::string& store);

  // Decodes `raw_request`, runs `operation` where its Scheduling says,
  // encodes its response into `raw_response` and finishes the call, mapping
  // any error.
  template <typename Request, typename Response>
  grpc::ServerUnaryReactor* Serve(
      grpc::CallbackServerContext* context, const Raw* raw_request,
      Raw* raw_response, const Operation<Request, Response>& operation);

  // Finishes the call with `status`, after reporting it to the observer as
  // `call` (whose outcome fields this sets).
  void Finish(grpc::CallbackServerContext* context,
              grpc::ServerUnaryReactor* reactor, const absl::Status& status,
              absl::Time started, CallRecord& call);

  OperationContext context_;
  CallObserver* const observer_;
  // Shared with the callbacks of writes in flight, which end their call
  // after everything else they do: the tracker outlives the service while
  // such a callback returns from End().
  const std::shared_ptr<CallTracker> calls_ = std::make_shared<CallTracker>();
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
