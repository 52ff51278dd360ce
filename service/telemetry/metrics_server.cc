#include "service/telemetry/metrics_server.h"

#include <exception>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace kv {
namespace {

// Threads answering scrapes; Prometheus scrapes one request at a time.
constexpr size_t kHttpThreads = 2;

}  // namespace

bool IsHostPort(absl::string_view address) {
  const size_t colon = address.rfind(':');
  int port = -1;
  return colon != absl::string_view::npos && colon > 0 &&
         absl::SimpleAtoi(address.substr(colon + 1), &port) && port >= 0 &&
         port <= 65535;
}

absl::StatusOr<std::unique_ptr<MetricsServer>> MetricsServer::Start(
    const std::string& listen, const KvMetrics& metrics) {
  if (!IsHostPort(listen)) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot serve metrics on \"", listen,
                     "\": use HOST:PORT, e.g. 127.0.0.1:9090 or 0.0.0.0:9090 "
                     "(port 0 picks a free port)"));
  }
  std::unique_ptr<prometheus::Exposer> exposer;
  try {
    exposer = std::make_unique<prometheus::Exposer>(listen, kHttpThreads);
  } catch (const std::exception& error) {
    return absl::UnavailableError(
        absl::StrCat("cannot serve metrics on ", listen,
                     " (is the address in use, or not one of this "
                     "machine's?): ",
                     error.what()));
  }
  for (const std::weak_ptr<prometheus::Collectable>& collectable :
       metrics.Collectables()) {
    exposer->RegisterCollectable(collectable);
  }
  const std::vector<int> ports = exposer->GetListeningPorts();
  if (ports.empty()) {
    return absl::UnavailableError(
        absl::StrCat("cannot serve metrics on ", listen, ": no port bound"));
  }
  std::string address =
      absl::StrCat(listen.substr(0, listen.rfind(':')), ":", ports.front());
  return std::unique_ptr<MetricsServer>(
      new MetricsServer(std::move(exposer), std::move(address)));
}

}  // namespace kv
