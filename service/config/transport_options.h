#ifndef KV_SERVICE_CONFIG_TRANSPORT_OPTIONS_H_
#define KV_SERVICE_CONFIG_TRANSPORT_OPTIONS_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"

namespace kv {

// Connection-level limits, from the runtime config's [server] table, so one
// client cannot exhaust the server. docs/security.md lists the defaults.
struct TransportOptions {
  // Calls one connection may have in flight at once (HTTP/2 streams).
  int max_concurrent_streams = 100;
  // The server pings a connection idle this long to find dead peers, and
  // closes it if the ping is not answered within keepalive_timeout.
  absl::Duration keepalive_time = absl::Hours(2);
  absl::Duration keepalive_timeout = absl::Seconds(20);
  // Clients may ping at most this often; each ping sooner is a strike, and
  // a connection with more than max_ping_strikes strikes is closed.
  absl::Duration min_ping_interval = absl::Minutes(5);
  int max_ping_strikes = 2;
  // A connection with no call for this long is closed (clients reconnect
  // on their next call); infinite by default.
  absl::Duration max_connection_idle = absl::InfiniteDuration();
  // File mode of a unix socket, applied after binding it.
  unsigned socket_mode = 0660;
};

// The gRPC channel arguments that enforce `options`, name and value.
std::vector<std::pair<std::string, int>> TransportChannelArgs(
    const TransportOptions& options);

}  // namespace kv

#endif  // KV_SERVICE_CONFIG_TRANSPORT_OPTIONS_H_
