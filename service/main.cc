// kvd: the key-value server. See README.md and docs/configuration.md.

#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "service/call_observer.h"
#include "service/config.h"
#include "service/kvd_flags.h"
#include "service/logging.h"
#include "service/metrics.h"
#include "service/metrics_server.h"
#include "service/request_log.h"
#include "service/server.h"
#include "service/store_catalog.h"
#include "spdlog/spdlog.h"

namespace kv {
namespace {

// Logs `message` and, in text format, repeats it as a plain "kvd: ..."
// line; in JSON format every stderr line stays one JSON object.
int Fail(const std::string& message) {
  spdlog::error("{}", message);
  if (CurrentLogFormat() == LogFormat::kText) {
    std::fprintf(stderr, "kvd: %s\n", message.c_str());
  }
  return 2;
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

int Run(int argc, char** argv) {
  absl::StatusOr<KvdFlags> parsed = ParseKvdFlags(argc, argv);
  if (!parsed.ok()) {
    std::fprintf(stderr, "kvd: %s\n",
                 std::string(parsed.status().message()).c_str());
    return 2;
  }
  const KvdFlags& flags = *parsed;
  if (!flags.help.empty()) {
    std::fputs(flags.help.c_str(), stdout);
    return 0;
  }
  ConfigureLogging(flags.log_format, flags.log_level);

  sigset_t stop_signals;
  BlockStopSignals(stop_signals);

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
  // Metrics count calls from the first; the request log costs a level check
  // unless --log-level=debug.
  RequestLog request_log;
  std::unique_ptr<KvMetrics> metrics;
  if (!flags.metrics_listen.empty()) {
    metrics = std::make_unique<KvMetrics>(catalog.Names());
  }
  CallObserverList observers(
      metrics != nullptr
          ? std::vector<CallObserver*>{&request_log, metrics.get()}
          : std::vector<CallObserver*>{&request_log});
  options.call_observer = &observers;
  if (config->worker_threads > 0)
    options.worker_threads = config->worker_threads;
  absl::StatusOr<std::unique_ptr<KvServer>> server =
      KvServer::Start(options, &catalog);
  if (!server.ok()) return Fail(std::string(server.status().message()));

  // Serving metrics reads the running server's handle table.
  std::unique_ptr<MetricsServer> metrics_server;
  if (metrics != nullptr) {
    KvServer* kv_server = server->get();
    metrics->SetGaugeSources(
        {[kv_server] { return kv_server->OpenHandleCounts(); },
         [&catalog] { return catalog.SizeBytes(); }});
    absl::StatusOr<std::unique_ptr<MetricsServer>> started =
        MetricsServer::Start(flags.metrics_listen, *metrics);
    if (!started.ok()) return Fail(std::string(started.status().message()));
    metrics_server = *std::move(started);
  }

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
  if (metrics_server != nullptr) {
    std::printf("kvd metrics on http://%s/metrics\n",
                metrics_server->address().c_str());
  }
  std::fflush(stdout);
  spdlog::info("serving {} store(s) on {}", catalog.Describe().size(),
               (*server)->address());

  const int signal_number = WaitForStopSignal(stop_signals);
  spdlog::info("received {}; finishing in-flight calls (up to {})",
               signal_number == SIGTERM ? "SIGTERM" : "SIGINT",
               absl::FormatDuration(flags.shutdown_grace));
  (*server)->Shutdown(flags.shutdown_grace);
  // The metrics' gauges read the server and the stores: stop serving them
  // first.
  metrics_server.reset();
  server->reset();
  catalog.CloseAll();
  spdlog::info("stopped cleanly");
  return 0;
}

}  // namespace
}  // namespace kv

int main(int argc, char** argv) { return kv::Run(argc, argv); }
