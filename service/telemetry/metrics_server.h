#ifndef KV_SERVICE_TELEMETRY_METRICS_SERVER_H_
#define KV_SERVICE_TELEMETRY_METRICS_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "prometheus/exposer.h"
#include "service/telemetry/metrics.h"

namespace kv {

// True if `address` is HOST:PORT with a nonempty host and a port from 0 to
// 65535.
bool IsHostPort(absl::string_view address);

// Serves kvd's metrics at http://ADDR/metrics (prometheus-cpp's HTTP
// exposer), on an address of its own, apart from the gRPC port.
class MetricsServer {
 public:
  // Starts serving `metrics`, which must outlive the server, on `listen`:
  // "HOST:PORT" with an IPv4 host or name (port 0 picks a free port). Fails
  // with a message naming the address if it is malformed or cannot be bound.
  static absl::StatusOr<std::unique_ptr<MetricsServer>> Start(
      const std::string& listen, const KvMetrics& metrics);

  // The address actually bound: the chosen port replaces port 0.
  const std::string& address() const { return address_; }

 private:
  MetricsServer(std::unique_ptr<prometheus::Exposer> exposer,
                std::string address)
      : exposer_(std::move(exposer)), address_(std::move(address)) {}

  std::unique_ptr<prometheus::Exposer> exposer_;
  std::string address_;
};

}  // namespace kv

#endif  // KV_SERVICE_TELEMETRY_METRICS_SERVER_H_
