// kvd: the key-value server. See README.md and docs/configuration.md.

#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
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
#include "service/shutdown_plan.h"
#include "service/store_catalog.h"
#include "spdlog/sinks/stdout_color_sinks.h"
#include "spdlog/spdlog.h"

namespace kv {
namespace {

constexpr char kDescription[] =
    "kvd serves named key-value stores over gRPC with the Spin key-value "
    "API.\nOn start it prints \"kvd listening on ADDR\" and where each store "
    "keeps its data.\nSIGTERM stops it gracefully (readiness off, calls served "
    "for --drain-delay, in-flight calls finished, exit 0); SIGINT or a second "
    "SIGTERM skips the drain delay. SIGHUP re-reads the clients' token "
    "files.\nWithout [[client]] entries every caller may use every store, so "
    "kvd then\nlistens only on loopback or a unix socket (see "
    "--insecure-allow-remote).";

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
  std::string health_listen;
  std::string config;
  std::string data_dir;
  std::string log_level = "info";
  std::string drain_delay = "5s";
  std::string shutdown_grace = "10s";
  std::string shutdown_timeout = "25s";
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

// Waits for `delay` or until another stop signal arrives, whichever is first;
// a SIGHUP meanwhile runs `on_hangup` and the wait goes on. Returns true if a
// stop signal cut the wait short.
bool SleepUnlessStopSignal(const sigset_t& signals, absl::Duration delay,
                           const std::function<void()>& on_hangup) {
  const absl::Time until = absl::Now() + delay;
  for (absl::Duration left = delay; left > absl::ZeroDuration();
       left = until - absl::Now()) {
    const timespec timeout = absl::ToTimespec(left);
    const int signal_number = sigtimedwait(&signals, nullptr, &timeout);
    if (signal_number == SIGHUP) {
      on_hangup();
    } else if (signal_number > 0) {
      return true;
    }
  }
  return false;
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
  app.add_option("--health-listen", flags.health_listen,
                 "Also serve the gRPC health service, and only it, on this "
                 "host:port: for Kubernetes' gRPC probes when --listen is a "
                 "unix socket")
      ->type_name("ADDR")
      ->envname("KVD_HEALTH_LISTEN");
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
  app.add_option("--drain-delay", flags.drain_delay,
                 "On SIGTERM, how long kvd keeps serving calls after its "
                 "readiness (health \"kvd.ready\") turned NOT_SERVING, so "
                 "endpoints and load balancers stop routing to it first")
      ->type_name("DURATION")
      ->envname("KVD_DRAIN_DELAY")
      ->capture_default_str();
  app.add_option("--shutdown-grace", flags.shutdown_grace,
                 "Once kvd refuses new calls, how long in-flight calls may "
                 "take to finish before they are cancelled")
      ->type_name("DURATION")
      ->capture_default_str();
  app.add_option("--shutdown-timeout", flags.shutdown_timeout,
                 "Bound on the whole stop, from the signal to the exit; "
                 "keep it below Kubernetes' terminationGracePeriodSeconds")
      ->type_name("DURATION")
      ->envname("KVD_SHUTDOWN_TIMEOUT")
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
  absl::StatusOr<ShutdownPlan> shutdown = ParseShutdownPlan(
      flags.drain_delay, flags.shutdown_grace, flags.shutdown_timeout);
  if (!shutdown.ok()) return Fail(std::string(shutdown.status().message()));
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
  options.health_listen = flags.health_listen;
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
  if (!(*server)->health_address().empty()) {
    std::printf("health probes on %s\n", (*server)->health_address().c_str());
  }
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
  ExitIfStillRunningAt(
      absl::Now() + shutdown->timeout,
      absl::StrCat("stop took longer than --shutdown-timeout=",
                   absl::FormatDuration(shutdown->timeout), "; exiting now"));
  (*server)->BeginDrain();
  if (signal_number == SIGTERM &&
      shutdown->drain_delay > absl::ZeroDuration()) {
    spdlog::info(
        "received SIGTERM; readiness is NOT_SERVING, still serving calls for "
        "{} (--drain-delay)",
        absl::FormatDuration(shutdown->drain_delay));
    if (SleepUnlessStopSignal(signals, shutdown->drain_delay,
                              [&access] { ReloadTokens(*access); })) {
      spdlog::info("received another stop signal; ending the drain delay");
    }
  } else {
    spdlog::info("received {}",
                 signal_number == SIGTERM ? "SIGTERM" : "SIGINT");
  }
  spdlog::info("refusing new calls; finishing in-flight calls (up to {})",
               absl::FormatDuration(shutdown->grace));
  (*server)->Shutdown(shutdown->grace);
  server->reset();
  catalog.CloseAll();
  spdlog::info("stopped cleanly");
  return 0;
}

}  // namespace
}  // namespace kv

int main(int argc, char** argv) { return kv::Run(argc, argv); }
