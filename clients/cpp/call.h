#ifndef KV_CLIENTS_CPP_CALL_H_
#define KV_CLIENTS_CPP_CALL_H_

// How kvd::Store runs one unary call, synchronously or on gRPC's callback
// API: the deadline (Options, overridden by CallOptions), the token, and the
// translation of the outcome into an absl::Status. Private to the client.

#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "clients/cpp/store.h"
#include "grpcpp/client_context.h"
#include "grpcpp/impl/codegen/channel_interface.h"
#include "grpcpp/support/status.h"
#include "kv/v1/kv.grpc.pb.h"

namespace kvd {
namespace internal {

// Initializes gRPC once for the life of the process (a grpc_init never
// matched by grpc_shutdown), so that gRPC is not shut down when the last
// channel goes, e.g. while a destroyed Store's background Close is still
// unwinding on gRPC's callback thread, and not re-initialized per Store.
void KeepGrpcInitialized();

// A stub for `channel`, deleted (with its reference to the channel) on a
// thread of the client's own rather than by whichever thread drops the last
// reference. An async call drops its reference on gRPC's callback thread;
// destroying a channel there can tear down the completion queue that thread
// is running (an abort in grpc_cq_internal_unref).
std::shared_ptr<kv::v1::KeyValue::Stub> NewStub(
    std::shared_ptr<grpc::ChannelInterface> channel);

// The deadline of a call: `call.timeout` if set, else `options.timeout`.
// InvalidArgument, naming the field, unless it is positive.
absl::StatusOr<absl::Duration> CallTimeout(const Options& options,
                                           const CallOptions& call);

// Sets the deadline (now + `timeout`) and the token on `context`.
void PrepareContext(grpc::ClientContext& context, const Options& options,
                    absl::Duration timeout);

// A finished call's outcome, with kvd's ErrorCode attached. A transport
// failure (UNAVAILABLE or UNKNOWN without an ErrorCode: kvd never answered)
// keeps its code and gets a
// message naming `address`: "cannot reach kvd at ADDRESS: ..." (unless
// `address` is empty: a Store over the caller's own channel).
absl::Status Finish(const grpc::Status& status,
                    const grpc::ClientContext& context,
                    absl::string_view address);

// Runs one blocking call: `rpc(context)` returns its grpc::Status.
template <typename Rpc>
absl::Status Invoke(const Options& options, const CallOptions& call,
                    absl::string_view address, Rpc rpc) {
  absl::StatusOr<absl::Duration> timeout = CallTimeout(options, call);
  if (!timeout.ok()) return timeout.status();
  grpc::ClientContext context;
  PrepareContext(context, options, *timeout);
  const grpc::Status status = rpc(&context);
  return Finish(status, context, address);
}

// What an async call owns until it finishes: the stub (and so the channel),
// the context, the request and the response.
template <typename Request, typename Response>
struct AsyncCall {
  std::shared_ptr<kv::v1::KeyValue::Stub> stub;
  std::string address;
  grpc::ClientContext context;
  Request request;
  Response response;
};

// Starts one call on gRPC's callback API. `start(async, context, request,
// response, callback)` issues it (e.g. async->Get(...)); `on_done(status,
// response)` runs exactly once with the outcome, on a gRPC thread, or inline
// if the call cannot start.
template <typename Request, typename Response, typename Start, typename OnDone>
void InvokeAsync(std::shared_ptr<kv::v1::KeyValue::Stub> stub,
                 const Options& options, const CallOptions& call,
                 std::string address, Request request, Start start,
                 OnDone on_done) {
  absl::StatusOr<absl::Duration> timeout = CallTimeout(options, call);
  if (!timeout.ok()) {
    Response none;
    on_done(timeout.status(), none);
    return;
  }
  auto* state =
      new AsyncCall<Request, Response>{std::move(stub), std::move(address)};
  state->request = std::move(request);
  PrepareContext(state->context, options, *timeout);
  start(state->stub->async(), &state->context, &state->request,
        &state->response,
        [state, on_done = std::move(on_done)](grpc::Status status) mutable {
          std::unique_ptr<AsyncCall<Request, Response>> owned(state);
          on_done(Finish(status, owned->context, owned->address),
                  owned->response);
        });
}

}  // namespace internal
}  // namespace kvd

// InvokeAsync's `start` for the generated async stub's method NAME.
#define KVD_ASYNC_METHOD(NAME)                                    \
  [](auto* async, auto* context, auto* request, auto* response,   \
     auto callback) {                                             \
    async->NAME(context, request, response, std::move(callback)); \
  }

#endif  // KV_CLIENTS_CPP_CALL_H_
