// Probes kvd the way the kubelet's gRPC probe does: grpc.health.v1.Health/
// Check with a service name, over a plain TCP (or unix) connection.
//
//   health_probe ADDR SERVICE
//     One probe: prints SERVING, NOT_SERVING, SERVICE_UNKNOWN or
//     UNREACHABLE: <why>; exits 0 only for SERVING (1 otherwise).
//   health_probe --watch ADDR SERVICE
//     Probes every 50 ms and prints "<unix time ns> <status>" on each
//     change, until the probe fails 20 times in a row after having
//     succeeded (kvd has gone away).

#include <cstdio>
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

namespace {

using ::grpc::health::v1::HealthCheckRequest;
using ::grpc::health::v1::HealthCheckResponse;

// "SERVING", "NOT_SERVING", ... or "UNREACHABLE: <message>".
std::string Probe(grpc::health::v1::Health::Stub& health,
                  const std::string& service) {
  HealthCheckRequest request;
  request.set_service(service);
  HealthCheckResponse response;
  grpc::ClientContext context;
  // The kubelet's default probe timeout is 1 s.
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(1)));
  const grpc::Status status = health.Check(&context, request, &response);
  if (!status.ok()) return "UNREACHABLE: " + status.error_message();
  return HealthCheckResponse::ServingStatus_Name(response.status());
}

}  // namespace

int main(int argc, char** argv) {
  const bool watch = argc == 4 && std::string(argv[1]) == "--watch";
  if (argc != 3 && !watch) {
    std::fprintf(stderr, "usage: health_probe [--watch] ADDR SERVICE\n");
    return 2;
  }
  const std::string address = argv[argc - 2];
  const std::string service = argv[argc - 1];
  auto health = grpc::health::v1::Health::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  if (!watch) {
    const std::string status = Probe(*health, service);
    std::printf("%s\n", status.c_str());
    return status == "SERVING" ? 0 : 1;
  }
  std::string last;
  bool answered = false;
  int failures_in_a_row = 0;
  while (!answered || failures_in_a_row < 20) {
    const std::string status = Probe(*health, service);
    const bool failed = status.rfind("UNREACHABLE", 0) == 0;
    answered = answered || !failed;
    failures_in_a_row = failed ? failures_in_a_row + 1 : 0;
    const std::string kind = failed ? "UNREACHABLE" : status;
    if (kind != last) {
      std::printf("%lld %s\n",
                  static_cast<long long>(absl::ToUnixNanos(absl::Now())),
                  kind.c_str());
      std::fflush(stdout);
      last = kind;
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  return 0;
}
