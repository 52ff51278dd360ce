#include "tools/kvctl/health.h"

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "clients/cpp/error_code.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/client_context.h"
#include "nlohmann/json.hpp"
#include "tools/kvctl/byte_io.h"
#include "tools/kvctl/call_status.h"
#include "tools/kvctl/error_report.h"
#include "tools/kvctl/json_output.h"

namespace kv::kvctl {
namespace {

using ::grpc::health::v1::HealthCheckRequest;
using ::grpc::health::v1::HealthCheckResponse;

// Prints `status` (text or JSON); returns `code` unless printing failed.
ExitCode PrintStatus(const CommandEnv& env, const std::string& service,
                     const std::string& status, ExitCode code) {
  const std::string line =
      env.json
          ? JsonLine(nlohmann::json{{"service", service}, {"status", status}})
          : status + "\n";
  absl::Status written = WriteAll(env.out, line, "stdout");
  if (!written.ok()) {
    return ReportError(env.err, env.json, written, ExitCode::kLocalIo);
  }
  return code;
}

}  // namespace

ExitCode RunHealth(const CommandEnv& env, const std::string& service) {
  grpc::health::v1::Health::Stub stub(env.channel);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + env.options.timeout));
  if (!env.options.token.empty()) {
    context.AddMetadata("authorization",
                        absl::StrCat("Bearer ", env.options.token));
  }
  HealthCheckRequest request;
  request.set_service(service);
  HealthCheckResponse response;
  const grpc::Status status = stub.Check(&context, request, &response);
  if (status.error_code() == grpc::StatusCode::NOT_FOUND) {
    // The health protocol's answer for a service the server does not know.
    return PrintStatus(env, service, "SERVICE_UNKNOWN", ExitCode::kRefused);
  }
  if (!status.ok()) {
    const absl::Status error =
        CallError(absl::StrCat("health check of service ", Quote(service)),
                  kvd::ToAbslStatus(status, context));
    return ReportError(env.err, env.json, error, ExitCodeFor(error));
  }
  switch (response.status()) {
    case HealthCheckResponse::SERVING:
      return PrintStatus(env, service, "SERVING", ExitCode::kSuccess);
    case HealthCheckResponse::NOT_SERVING:
      return PrintStatus(env, service, "NOT_SERVING", ExitCode::kNotFound);
    case HealthCheckResponse::SERVICE_UNKNOWN:
      return PrintStatus(env, service, "SERVICE_UNKNOWN", ExitCode::kRefused);
    default:
      return PrintStatus(env, service, "UNKNOWN", ExitCode::kNotFound);
  }
}

}  // namespace kv::kvctl
