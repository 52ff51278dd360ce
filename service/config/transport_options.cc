#include "service/config/transport_options.h"

#include <climits>

#include "grpc/grpc.h"

namespace kv {
namespace {

int Milliseconds(absl::Duration duration) {
  if (duration == absl::InfiniteDuration()) return INT_MAX;
  const int64_t ms = absl::ToInt64Milliseconds(duration);
  return ms > INT_MAX ? INT_MAX : static_cast<int>(ms);
}

}  // namespace

std::vector<std::pair<std::string, int>> TransportChannelArgs(
    const TransportOptions& options) {
  std::vector<std::pair<std::string, int>> args = {
      {GRPC_ARG_MAX_CONCURRENT_STREAMS, options.max_concurrent_streams},
      {GRPC_ARG_KEEPALIVE_TIME_MS, Milliseconds(options.keepalive_time)},
      {GRPC_ARG_KEEPALIVE_TIMEOUT_MS, Milliseconds(options.keepalive_timeout)},
      {GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
       Milliseconds(options.min_ping_interval)},
      {GRPC_ARG_HTTP2_MAX_PING_STRIKES, options.max_ping_strikes},
  };
  if (options.max_connection_idle != absl::InfiniteDuration()) {
    args.emplace_back(GRPC_ARG_MAX_CONNECTION_IDLE_MS,
                      Milliseconds(options.max_connection_idle));
  }
  return args;
}

}  // namespace kv
