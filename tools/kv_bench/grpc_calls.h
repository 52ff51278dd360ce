#ifndef KV_TOOLS_KV_BENCH_GRPC_CALLS_H_
#define KV_TOOLS_KV_BENCH_GRPC_CALLS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/grpcpp.h"
#include "tools/kv_bench/target.h"

namespace kv {
namespace bench {

// `count` insecure channels to `address`, each with its own connection
// (gRPC would otherwise share one subchannel among identical channels), and
// message limits large enough for 1 MiB values and long key lists.
// Waits until each is connected; fails naming the address if not within
// `connect_timeout`.
absl::StatusOr<std::vector<std::shared_ptr<grpc::Channel>>> ConnectChannels(
    const std::string& address, int count, absl::Duration connect_timeout);

// The label a failed call is counted under: the gRPC code's name, and kvd's
// "kv-error-code" trailer if the server sent one, e.g.
// "NOT_FOUND/ERROR_CODE_NO_SUCH_KEY". Empty if `status` is OK.
std::string ErrorLabel(const grpc::Status& status,
                       const grpc::ClientContext& context);

// The state of one asynchronous unary call, kept alive until it completes.
template <typename Request, typename Response>
struct PendingCall {
  PendingCall() {
    // A call never hangs the benchmark: after this it fails with
    // DEADLINE_EXCEEDED, which is counted.
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(60));
  }
  grpc::ClientContext context;
  Request request;
  Response response;
};

}  // namespace bench
}  // namespace kv

#endif  // KV_TOOLS_KV_BENCH_GRPC_CALLS_H_
