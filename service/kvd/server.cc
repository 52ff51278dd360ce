#include "service/kvd/server.h"

#include <sys/stat.h>
#include <sys/un.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
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

// How often stores that did not open at startup are tried again; the same as
// StoreCatalog's default retry interval, below which tries would be no-ops.
constexpr absl::Duration kStoreRetryInterval = absl::Seconds(1);

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
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
      MakeServerCredentials(options.tls);
  if (!credentials.ok()) return credentials.status();
  std::unique_ptr<KvServer> server(new KvServer());
  KvServer* self = server.get();
  server->service_ = std::make_unique<KeyValueService>(
      catalog, options.limits, options.worker_threads,
      [self](const std::string& service, bool serving) {
        self->SetHealth(service, serving);
      },
      options.authorizer, options.call_observer);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(options.listen, *credentials, &port);
  builder.RegisterService(server->service_.get());
  // gRPC sets SO_REUSEPORT by default, which would let a second kvd bind the
  // same port and silently take half the connections (and writes).
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  // The message limits follow the key and value limits, so a maximal Set is
  // accepted and a maximal Get or GetKeys can be sent.
  builder.SetMaxReceiveMessageSize(ClampToInt(MaxRequestBytes(options.limits)));
  builder.SetMaxSendMessageSize(ClampToInt(MaxResponseBytes(options.limits)));
  for (const auto& [name, value] : TransportChannelArgs(options.transport)) {
    builder.AddChannelArgument(name, value);
  }
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || port == 0) {
    return absl::UnavailableError(absl::StrCat(
        "cannot listen on ", options.listen,
        " (is the address in use, or the socket's directory missing?)"));
  }
  server->address_ = BoundAddress(options.listen, port);
  absl::string_view socket_path = options.listen;
  if (absl::ConsumePrefix(&socket_path, "unix:")) {
    // The socket's mode decides which local users may connect. It is set
    // after bind, so until then the process umask applies.
    if (chmod(std::string(socket_path).c_str(),
              options.transport.socket_mode) != 0) {
      return absl::UnavailableError(
          absl::StrFormat("cannot set mode %04o on socket %s: %s",
                          options.transport.socket_mode,
                          std::string(socket_path), std::strerror(errno)));
    }
  }
  if (!options.health_listen.empty()) {
    absl::Status probes = server->StartProbeServer(options.health_listen);
    if (!probes.ok()) return probes;
  }
  // Store health changes are published from now on; publish the states
  // decided before the health services existed.
  server->health_.store(server->server_->GetHealthCheckService());
  server->SetHealth("", true);
  server->SetHealth(kServiceName, true);
  for (const std::string& store : catalog->Names()) {
    server->SetHealth(StoreHealth::ServiceName(store),
                      server->service_->IsStoreHealthy(store));
  }
  std::vector<std::string> unopened;
  for (const StoreCatalog::StoreState& store : catalog->Describe()) {
    if (!store.status.ok()) unopened.push_back(store.name);
  }
  KeyValueService* service = server->service_.get();
  server->readiness_ = std::make_unique<Readiness>(
      std::move(unopened),
      [service](const std::string& store) { return service->RetryOpen(store); },
      [self](bool ready) { self->SetHealth(kReadinessServiceName, ready); },
      kStoreRetryInterval);
  return server;
}

absl::Status KvServer::StartProbeServer(const std::string& listen) {
  absl::Status address = ValidateListenAddress(listen);
  if (!address.ok()) return address;
  // No service of its own: only the default health service, which
  // EnableDefaultHealthCheckService turned on for every server.
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), &port);
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  probe_server_ = builder.BuildAndStart();
  if (probe_server_ == nullptr || port == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", listen,
                     " for health probes (--health-listen): is the address "
                     "in use?"));
  }
  health_address_ = BoundAddress(listen, port);
  probe_health_.store(probe_server_->GetHealthCheckService());
  return absl::OkStatus();
}

void KvServer::SetHealth(const std::string& service, bool serving) {
  for (grpc::HealthCheckServiceInterface* health :
       {health_.load(), probe_health_.load()}) {
    if (health != nullptr) health->SetServingStatus(service, serving);
  }
}

void KvServer::BeginDrain() {
  if (readiness_ != nullptr) readiness_->StartDraining();
}

void KvServer::Shutdown(absl::Duration grace) {
  if (shut_down_ || server_ == nullptr) return;
  shut_down_ = true;
  BeginDrain();
  readiness_.reset();  // No more store retries.
  SetHealth(kServiceName, false);
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
  // Probes see kvd alive until the API server has stopped.
  if (probe_server_ != nullptr) {
    probe_health_.store(nullptr);
    probe_server_->Shutdown(absl::ToChronoTime(absl::Now()));
    probe_server_->Wait();
  }
}

KvServer::~KvServer() { Shutdown(absl::ZeroDuration()); }

}  // namespace kv
