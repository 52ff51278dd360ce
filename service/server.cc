#include "service/server.h"

#include <sys/un.h>

#include <climits>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "grpc/health/v1/health.pb.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "spdlog/spdlog.h"

namespace kv {
namespace {

constexpr char kServiceName[] = "kv.v1.KeyValue";

int ClampToInt(size_t bytes) {
  return bytes > static_cast<size_t>(INT_MAX) ? INT_MAX
                                              : static_cast<int>(bytes);
}

// "host:port" with the port replaced by `port`; unix addresses unchanged.
std::string BoundAddress(const std::string& listen, int port) {
  if (absl::StartsWith(listen, "unix:")) return listen;
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return listen;
  return absl::StrCat(listen.substr(0, colon), ":", port);
}

// sockaddr_un holds a path of at most 107 bytes plus its terminator.
constexpr size_t kMaxUnixSocketPath = sizeof(sockaddr_un::sun_path) - 1;

absl::Status ValidateListenAddress(const std::string& listen) {
  absl::string_view path = listen;
  if (absl::ConsumePrefix(&path, "unix:")) {
    if (path.empty()) {
      return absl::InvalidArgumentError(
          "cannot listen on \"unix:\": the socket path is empty");
    }
    if (path.size() > kMaxUnixSocketPath) {
      return absl::InvalidArgumentError(absl::StrCat(
          "cannot listen on ", listen, ": the socket path is ", path.size(),
          " bytes, over the system's limit of ", kMaxUnixSocketPath));
    }
    return absl::OkStatus();
  }
  if (listen.rfind(':') == std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot listen on \"", listen,
                     "\": use host:port (e.g. 127.0.0.1:50051) or "
                     "unix:/path/to/socket"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<KvServer>> KvServer::Start(
    const ServerOptions& options, StoreCatalog* catalog) {
  // gRPC's built-in health service registers no descriptors, so reflection
  // (grpcurl, buf curl) could list grpc.health.v1.Health but not describe it.
  // Touching the generated descriptor links health.proto into kvd.
  grpc::health::v1::HealthCheckRequest::descriptor();
  absl::Status address = ValidateListenAddress(options.listen);
  if (!address.ok()) return address;
  std::unique_ptr<KvServer> server(new KvServer());
  KvServer* self = server.get();
  server->service_ = std::make_unique<KeyValueService>(
      catalog, options.limits, options.worker_threads,
      [self](const std::string& service, bool serving) {
        grpc::HealthCheckServiceInterface* health = self->health_.load();
        if (health != nullptr) health->SetServingStatus(service, serving);
      },
      options.call_observer);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(options.listen, grpc::InsecureServerCredentials(),
                           &port);
  builder.RegisterService(server->service_.get());
  // gRPC sets SO_REUSEPORT by default, which would let a second kvd bind the
  // same port and silently take half the connections (and writes).
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  // The message limits follow the key and value limits, so a maximal Set is
  // accepted and a maximal Get or GetKeys can be sent.
  builder.SetMaxReceiveMessageSize(ClampToInt(MaxRequestBytes(options.limits)));
  builder.SetMaxSendMessageSize(ClampToInt(MaxResponseBytes(options.limits)));
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || port == 0) {
    return absl::UnavailableError(absl::StrCat(
        "cannot listen on ", options.listen,
        " (is the address in use, or the socket's directory missing?)"));
  }
  server->address_ = BoundAddress(options.listen, port);
  grpc::HealthCheckServiceInterface* health =
      server->server_->GetHealthCheckService();
  health->SetServingStatus(true);
  health->SetServingStatus(kServiceName, true);
  // Store health changes are published from now on; publish the states
  // decided before the health service existed.
  server->health_.store(health);
  for (const std::string& store : catalog->Names()) {
    health->SetServingStatus(StoreHealth::ServiceName(store),
                             server->service_->IsStoreHealthy(store));
  }
  return server;
}

void KvServer::Shutdown(absl::Duration grace) {
  if (shut_down_ || server_ == nullptr) return;
  shut_down_ = true;
  server_->GetHealthCheckService()->SetServingStatus(false);
  // Drain kvd's own calls first: gRPC's Shutdown(deadline) would also wait
  // for idle client connections until the deadline. Calls still running at
  // the deadline are cancelled by Shutdown(now).
  const bool drained = service_->Drain(absl::Now() + grace);
  if (!drained) {
    spdlog::warn("calls still in flight after {}; cancelling them",
                 absl::FormatDuration(grace));
  }
  server_->Shutdown(absl::ToChronoTime(absl::Now()));
  server_->Wait();
}

KvServer::~KvServer() { Shutdown(absl::ZeroDuration()); }

}  // namespace kv
