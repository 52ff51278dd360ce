#ifndef KV_SERVICE_OPERATION_H_
#define KV_SERVICE_OPERATION_H_

// How the KeyValue dispatcher (service/kv_service.h) runs one RPC. Each
// operation family (session_operations.h, read_operations.h,
// write_operations.h, list_operations.h, counter_operations.h,
// batch_operations.h, describe_operations.h) defines one Operation per RPC; the
// dispatcher serves an RPC with one line that names it.

#include <memory>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "service/operation_context.h"

namespace kv {

// Where an operation runs. A store's worker pool is the default, so a backend
// that blocks until its deadline delays only calls to that store.
enum class Scheduling {
  // On the worker pool of the store the request targets.
  kStoreWorker,
  // A read: on the gRPC thread that received it when the store's driver type
  // has fast reads (DriverType::fast_reads), else on the store's pool.
  kFastRead,
  // A write: started on the gRPC thread and finished from the driver's
  // callback when the store's driver type has nonblocking writes
  // (DriverType::nonblocking_writes), else run on the store's pool.
  kNonblockingWrite,
  // On the control pool: reaches no backend, so never waits behind a store.
  kControl,
};

template <typename Request, typename Response>
struct Operation {
  using RequestType = Request;
  using ResponseType = Response;
  using Done = absl::AnyInvocable<void(absl::StatusOr<Response>)>;

  // The RPC's method name, for metrics and logs ("Get").
  const char* method;
  Scheduling scheduling;
  // Runs the operation to completion on the calling thread. `principal`
  // identifies the caller (see Authorizer); the handles it uses are its own.
  absl::StatusOr<Response> (*run)(OperationContext& context,
                                  const std::string& principal,
                                  const Request& request);
  // kNonblockingWrite only: starts the operation without blocking and calls
  // `done` exactly once, possibly on another thread; `request` is kept alive
  // until then.
  void (*start)(OperationContext& context, const std::string& principal,
                std::shared_ptr<const Request> request, Done done) = nullptr;
};

}  // namespace kv

#endif  // KV_SERVICE_OPERATION_H_
