// kvd: the key-value server. See README.md and docs/configuration.md.

#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "google/protobuf/stubs/logging.h"
#include "service/config.h"
#include "service/server.h"
#include "service/store_catalog.h"
#include "spdlog/sinks/stdout_color_sinks.h"
#include "spdlog/spdlog.h"

ABSL_FLAG(std::string, listen, "",
          "Address to serve on: host:port (port 0 picks a free port) or "
          "unix:/path/to/socket (default: [server] listen, else "
          "127.0.0.1:50051).");
ABSL_FLAG(std::string, config, "",
          "Runtime config file (TOML, the shape of Spin's "
          "runtime-config.toml). Without one, kvd serves the \"default\" "
          "store from an SQLite file in the data directory.");
ABSL_FLAG(std::string, data_dir, "",
          "Directory for store files that the config does not place "
          "(default: [server] data_dir, else ./.kvd).");
ABSL_FLAG(std::string, log_level, "info",
          "Least severe log level printed: debug, info, warn or error.");
ABSL_FLAG(absl::Duration, shutdown_grace, absl::Seconds(10),
          "On SIGTERM/SIGINT, how long in-flight calls may take to finish "
          "before they are cancelled.");

namespace kv {
namespace {

constexpr char kUsage[] =
    "kvd serves named key-value stores over gRPC with the Spin key-value "
    "API.\n\n"
    "Usage: kvd [--listen=ADDR] [--config=FILE] [--data-dir=DIR] "
    "[--log-level=LEVEL]\n\n"
    "Examples:\n"
    "  kvd                                   # 127.0.0.1:50051, "
    "./.kvd/default.db\n"
    "  kvd --listen=unix:/run/kvd/kvd.sock --data-dir=/var/lib/kvd\n"
    "  kvd --config=runtime-config.toml --listen=127.0.0.1:0\n\n"
    "On start it prints \"kvd listening on ADDR\" and where each store keeps "
    "its data. SIGTERM or SIGINT stops it cleanly (exit 0).";

bool OnlyThisProgramsFlags(absl::string_view file) {
  return absl::StrContains(file, "service/main.cc");
}

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

// Blocks SIGTERM and SIGINT in every thread (call before starting any), so
// that WaitForStopSignal receives them synchronously.
void BlockStopSignals(sigset_t& signals) {
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
}

int WaitForStopSignal(const sigset_t& signals) {
  int signal_number = 0;
  while (sigwait(&signals, &signal_number) != 0) {
  }
  return signal_number;
}

bool ConfigureLogging(const std::string& level_name) {
  spdlog::level::level_enum level = spdlog::level::from_str(level_name);
  if (level == spdlog::level::off && level_name != "off") return false;
  auto logger = spdlog::stderr_color_mt("kvd");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ %v");
  logger->set_level(level);
  spdlog::set_default_logger(logger);
  google::protobuf::SetLogHandler(&ProtobufLogToDebug);
  return true;
}

int Run(int argc, char** argv) {
  absl::SetProgramUsageMessage(kUsage);
  absl::FlagsUsageConfig usage_config;
  usage_config.contains_help_flags = &OnlyThisProgramsFlags;
  usage_config.contains_helpshort_flags = &OnlyThisProgramsFlags;
  absl::SetFlagsUsageConfig(usage_config);
  std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  if (positional.size() > 1) {
    return Fail(absl::StrCat("unexpected argument \"", positional[1],
                             "\"; see kvd --help"));
  }
  if (!ConfigureLogging(absl::GetFlag(FLAGS_log_level))) {
    return Fail(absl::StrCat("--log-level=", absl::GetFlag(FLAGS_log_level),
                             " is not one of debug, info, warn, error"));
  }

  sigset_t stop_signals;
  BlockStopSignals(stop_signals);

  absl::StatusOr<RuntimeConfig> config = LoadRuntimeConfig(
      absl::GetFlag(FLAGS_config), absl::GetFlag(FLAGS_data_dir));
  if (!config.ok()) {
    return Fail(absl::StrCat("bad config: ", config.status().message()));
  }

  StoreCatalog catalog(config->stores);
  catalog.OpenAll();

  ServerOptions options;
  // The flag wins over the config file, which wins over the default.
  if (!absl::GetFlag(FLAGS_listen).empty()) {
    options.listen = absl::GetFlag(FLAGS_listen);
  } else if (!config->listen.empty()) {
    options.listen = config->listen;
  }
  options.limits = config->limits;
  if (config->worker_threads > 0)
    options.worker_threads = config->worker_threads;
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
      std::printf("store \"%s\": %s, UNAVAILABLE: %s\n", store.name.c_str(),
                  store.type.c_str(),
                  std::string(store.status.message()).c_str());
      spdlog::warn("store \"{}\" is unavailable: {}", store.name,
                   store.status.message());
    }
  }
  std::fflush(stdout);
  spdlog::info("serving {} store(s) on {}", catalog.Describe().size(),
               (*server)->address());

  const int signal_number = WaitForStopSignal(stop_signals);
  spdlog::info("received {}; finishing in-flight calls (up to {})",
               signal_number == SIGTERM ? "SIGTERM" : "SIGINT",
               absl::FormatDuration(absl::GetFlag(FLAGS_shutdown_grace)));
  (*server)->Shutdown(absl::GetFlag(FLAGS_shutdown_grace));
  server->reset();
  catalog.CloseAll();
  spdlog::info("stopped cleanly");
  return 0;
}

}  // namespace
}  // namespace kv

int main(int argc, char** argv) { return kv::Run(argc, argv); }
