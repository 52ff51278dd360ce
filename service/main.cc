// kvd: the key-value server. See README.md and docs/configuration.md.

#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "google/protobuf/stubs/logging.h"
#include "service/client_access.h"
#include "service/config.h"
#include "service/server.h"
#include "service/store_catalog.h"
#include "spdlog/sinks/stdout_color_sinks.h"
#include "spdlog/spdlog.h"

namespace kv {
namespace {

constexpr char kDescription[] =
    "kvd serves named key-value stores over gRPC with the Spin key-value "
    "API.\nOn start it prints \"kvd listening on ADDR\" and where each store "
    "keeps its data.\nSIGTERM or SIGINT stops it cleanly (exit 0); SIGHUP "
    "re-reads the clients' token files.\nWithout [[client]] entries every "
    "caller may use every store, so kvd then\nlistens only on loopback or a "
    "unix socket (see --insecure-allow-remote).";

constexpr char kExamples[] =
    "Examples:\n"
    "  kvd                                  # 127.0.0.1:50051, "
    "./.kvd/default.db\n"
    "  kvd --listen=unix:/run/kvd/kvd.sock --data-dir=/var/lib/kvd\n"
    "  kvd --config=runtime-config.toml --listen=127.0.0.1:0\n"
    "  kvd --config=clients.toml --listen=0.0.0.0:50051 \\\n"
    "      --tls-cert=server.pem --tls-key=server.key "
    "--tls-client-ca=ca.pem\n\n"
    "Docs: docs/configuration.md, docs/security.md";

// Command-line flags. Empty strings mean "not given", so the config file or
// the built-in default applies.
struct Flags {
  std::string listen;
  std::string config;
  std::string data_dir;
  std::string log_level = "info";
  std::string shutdown_grace = "10s";
  std::string tls_cert;
  std::string tls_key;
  std::string tls_client_ca;
  bool insecure_allow_remote = false;
};

int Fail(const std::string& message) {
  spdlog::error("{}", message);
  std::fprintf(stderr, "kvd: %s\n", message.c_str());
  return 2;
}

// Routes protobuf's own log lines (e.g. about a request with invalid UTF-8,
// which kvd already answers with a precise error) to the debug log, so a
// client cannot flood the log with them.
void ProtobufLogToDebug(google::protobuf::LogLevel level, const char* filename,
                        int line, const std::string& message) {
  spdlog::debug("protobuf {}:{}: {}", filename, line, message);
}

// Blocks SIGTERM, SIGINT and SIGHUP in every thread (call before starting
// any), so that WaitForSignal receives them synchronously.
void BlockSignals(sigset_t& signals) {
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
}

int WaitForSignal(const sigset_t& signals) {
  int signal_number = 0;
  while (sigwait(&signals, &signal_number) != 0) {
  }
  return signal_number;
}

// `level_name` is one of debug, info, warn, error (checked by the parser).
void ConfigureLogging(const std::string& level_name) {
  const spdlog::level::level_enum level = spdlog::level::from_str(level_name);
  auto logger = spdlog::stderr_color_mt("kvd");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ %v");
  logger->set_level(level);
  spdlog::set_default_logger(logger);
  google::protobuf::SetLogHandler(&ProtobufLogToDebug);
}

int Run(int argc, char** argv) {
  CLI::App app(kDescription, "kvd");
  app.footer(kExamples);
  Flags flags;
  app.add_option("--listen", flags.listen,
                 "Address to serve on: host:port (port 0 picks a free port) "
                 "or unix:/path/to/socket. Default: [server] listen, else "
                 "127.0.0.1:50051")
      ->type_name("ADDR");
  app.add_option("--config", flags.config,
                 "Runtime config file (TOML, the shape of Spin's "
                 "runtime-config.toml). Without one, kvd serves the "
                 "\"default\" store from an SQLite file in the data "
                 "directory")
      ->type_name("FILE");
  app.add_option("--data-dir", flags.data_dir,
                 "Directory for store files the config does not place. "
                 "Default: [server] data_dir, else ./.kvd")
      ->type_name("DIR");
  app.add_option("--log-level", flags.log_level,
                 "Least severe log level printed")
      ->type_name("LEVEL")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}))
      ->capture_default_str();
  app.add_option("--shutdown-grace", flags.shutdown_grace,
                 "On SIGTERM/SIGINT, how long in-flight calls may take to "
                 "finish before they are cancelled")
      ->type_name("DURATION")
      ->capture_default_str();
  app.add_option("--tls-cert", flags.tls_cert,
                 "Serve TLS with this PEM certificate (chain). Default: "
                 "[server] tls_cert; plaintext if neither is set")
      ->type_name("FILE");
  app.add_option("--tls-key", flags.tls_key,
                 "The PEM private key of --tls-cert. Default: [server] "
                 "tls_key")
      ->type_name("FILE");
  app.add_option("--tls-client-ca", flags.tls_client_ca,
                 "Require client certificates signed by this PEM CA (mTLS); "
                 "[[client]] certificate_identity then identifies clients. "
                 "Default: [server] tls_client_ca")
      ->type_name("FILE");
  app.add_flag("--insecure-allow-remote", flags.insecure_allow_remote,
               "Without [[client]] entries, listen on a non-loopback "
               "address anyway: anyone who can reach it may read and write "
               "every store");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error) == 0 ? 0 : 2;
  }
  absl::Duration shutdown_grace;
  if (!absl::ParseDuration(flags.shutdown_grace, &shutdown_grace) ||
      shutdown_grace < absl::ZeroDuration()) {
    return Fail(absl::StrCat("--shutdown-grace=", flags.shutdown_grace,
                             " is not a duration such as 10s or 500ms"));
  }
  ConfigureLogging(flags.log_level);

  sigset_t signals;
  BlockSignals(signals);

  absl::StatusOr<RuntimeConfig> config =
      LoadRuntimeConfig(flags.config, flags.data_dir);
  if (!config.ok()) {
    return Fail(absl::StrCat("bad config: ", config.status().message()));
  }

  StoreCatalog catalog(config->stores);
  catalog.OpenAll();
  // A driver that refuses its fields (a bad durability, a malformed URL) is a
  // bad config and stops startup; a backend that is down is not: the store
  // stays unavailable and is retried.
  for (const StoreCatalog::StoreState& store : catalog.Describe()) {
    if (absl::IsInvalidArgument(store.status)) {
      return Fail(absl::StrCat(
          "bad config: ",
          flags.config.empty() ? std::string("(defaults)") : flags.config,
          ": [key_value_store.", store.name, "]: ", store.status.message()));
    }
  }

  ServerOptions options;
  // The flag wins over the config file, which wins over the default.
  if (!flags.listen.empty()) {
    options.listen = flags.listen;
  } else if (!config->listen.empty()) {
    options.listen = config->listen;
  }
  options.limits = config->limits;
  if (config->worker_threads > 0)
    options.worker_threads = config->worker_threads;
  options.transport = config->transport;
  options.tls = config->tls;
  if (!flags.tls_cert.empty()) options.tls.cert = flags.tls_cert;
  if (!flags.tls_key.empty()) options.tls.key = flags.tls_key;
  if (!flags.tls_client_ca.empty()) options.tls.client_ca = flags.tls_client_ca;

  absl::StatusOr<ClientAccess> access =
      SetUpClientAccess(config->clients, options.listen, options.tls,
                        flags.insecure_allow_remote);
  if (!access.ok()) return Fail(std::string(access.status().message()));
  options.authorizer = access->authorizer.get();
  absl::StatusOr<std::unique_ptr<KvServer>> server =
      KvServer::Start(options, &catalog);
  if (!server.ok()) return Fail(std::string(server.status().message()));

  // stdout carries the facts a user or a script needs; the first line is the
  // address (tests and tools parse it).
  std::printf("kvd listening on %s\n", (*server)->address().c_str());
  for (const StoreCatalog::StoreState& store : catalog.Describe()) {
    if (store.status.ok()) {
      std::printf("store \"%s\": %s%s%s\n", store.name.c_str(),
                  store.type.c_str(), store.location.empty() ? "" : " at ",
                  store.location.c_str());
    } else {
      // Drivers name their store; say it once.
      absl::string_view why = store.status.message();
      absl::ConsumePrefix(&why, absl::StrCat("store \"", store.name, "\": "));
      std::printf("store \"%s\": %s, UNAVAILABLE: %s\n", store.name.c_str(),
                  store.type.c_str(), std::string(why).c_str());
      spdlog::warn("store \"{}\" is unavailable: {}", store.name,
                   std::string(store.status.message()));
    }
  }
  std::fflush(stdout);
  spdlog::info("serving {} store(s) on {}", catalog.Describe().size(),
               (*server)->address());

  int signal_number = WaitForSignal(signals);
  while (signal_number == SIGHUP) {
    ReloadTokens(*access);
    signal_number = WaitForSignal(signals);
  }
  spdlog::info("received {}; finishing in-flight calls (up to {})",
               signal_number == SIGTERM ? "SIGTERM" : "SIGINT",
               absl::FormatDuration(shutdown_grace));
  (*server)->Shutdown(shutdown_grace);
  server->reset();
  catalog.CloseAll();
  spdlog::info("stopped cleanly");
  return 0;
}

}  // namespace
}  // namespace kv

int main(int argc, char** argv) { return kv::Run(argc, argv); }
