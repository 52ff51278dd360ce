// kvd: the key-value server. See README.md and docs/configuration.md.

#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "service/access/client_access.h"
#include "service/access/token_poller.h"
#include "service/config/config.h"
#include "service/expiry_sweeper.h"
#include "service/kvd/kvd_flags.h"
#include "service/kvd/server.h"
#include "service/kvd/shutdown_plan.h"
#include "service/store_catalog.h"
#include "service/telemetry/call_observer.h"
#include "service/telemetry/logging.h"
#include "service/telemetry/metrics.h"
#include "service/telemetry/metrics_server.h"
#include "service/telemetry/request_log.h"
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

int Run(int argc, char** argv) {
  // Debian's Abseil is built with Mutex deadlock detection on: every lock
  // updates a process-wide lock graph (absl GraphCycles, about 6% of kvd's
  // CPU under load in a perf profile). The tests keep it on; the server
  // turns it off.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
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
  // The flag wins over [server] token_reload_interval, which wins over the
  // default. Only clients with token files have anything to poll.
  const absl::Duration token_reload_interval =
      flags.token_reload_interval.value_or(
          config->token_reload_interval.value_or(kDefaultTokenReloadInterval));
  std::unique_ptr<TokenPoller> token_poller;
  if (access->tokens != nullptr && access->tokens->Current()->size() > 0 &&
      token_reload_interval > absl::ZeroDuration()) {
    const ClientAccess* polled = &*access;
    token_poller = std::make_unique<TokenPoller>(
        token_reload_interval,
        [polled] { return ReloadTokens(*polled, TokenReloadCause::kPoll); });
    spdlog::info("re-reading token files every {} (--token-reload-interval)",
                 absl::FormatDuration(token_reload_interval));
  }
  // The flag wins over [server] expiry_sweep_interval, which wins over the
  // default.
  const absl::Duration expiry_sweep_interval =
      flags.expiry_sweep_interval.value_or(
          config->expiry_sweep_interval.value_or(kDefaultExpirySweepInterval));
  ExpirySweeper::Options sweep_options;
  sweep_options.interval = expiry_sweep_interval;
  ExpirySweeper sweeper(catalog, sweep_options);
  if (expiry_sweep_interval > absl::ZeroDuration()) sweeper.Start();
  absl::StatusOr<std::unique_ptr<KvServer>> server =
      KvServer::Start(options, &catalog);
  if (!server.ok()) return Fail(std::string(server.status().message()));

  // Serving metrics reads the running server's handle table.
  std::unique_ptr<MetricsServer> metrics_server;
  if (metrics != nullptr) {
    KvServer* kv_server = server->get();
    metrics->SetGaugeSources(
        {[kv_server] { return kv_server->OpenHandleCounts(); },
         [&catalog] { return catalog.SizeBytes(); },
         [&sweeper] { return sweeper.ReclaimedByStore(); }});
    absl::StatusOr<std::unique_ptr<MetricsServer>> started =
        MetricsServer::Start(flags.metrics_listen, *metrics);
    if (!started.ok()) return Fail(std::string(started.status().message()));
    metrics_server = *std::move(started);
  }

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
  if (metrics_server != nullptr) {
    std::printf("kvd metrics on http://%s/metrics\n",
                metrics_server->address().c_str());
  }
  std::fflush(stdout);
  spdlog::info("serving {} store(s) on {}", catalog.Describe().size(),
               (*server)->address());

  int signal_number = WaitForSignal(signals);
  while (signal_number == SIGHUP) {
    // ReloadTokens logs the outcome of a signal's reload, failures included.
    ReloadTokens(*access, TokenReloadCause::kSignal).IgnoreError();
    signal_number = WaitForSignal(signals);
  }
  const ShutdownPlan& shutdown = flags.shutdown;
  ExitIfStillRunningAt(
      absl::Now() + shutdown.timeout,
      absl::StrCat("stop took longer than --shutdown-timeout=",
                   absl::FormatDuration(shutdown.timeout), "; exiting now"));
  (*server)->BeginDrain();
  if (signal_number == SIGTERM && shutdown.drain_delay > absl::ZeroDuration()) {
    spdlog::info(
        "received SIGTERM; readiness is NOT_SERVING, still serving calls for "
        "{} (--drain-delay)",
        absl::FormatDuration(shutdown.drain_delay));
    if (SleepUnlessStopSignal(signals, shutdown.drain_delay, [&access] {
          ReloadTokens(*access, TokenReloadCause::kSignal).IgnoreError();
        })) {
      spdlog::info("received another stop signal; ending the drain delay");
    }
  } else {
    spdlog::info("received {}",
                 signal_number == SIGTERM ? "SIGTERM" : "SIGINT");
  }
  spdlog::info("refusing new calls; finishing in-flight calls (up to {})",
               absl::FormatDuration(shutdown.grace));
  (*server)->Shutdown(shutdown.grace);
  // The metrics' gauges read the server and the stores: stop serving them
  // first.
  metrics_server.reset();
  server->reset();
  token_poller.reset();
  sweeper.Stop();
  catalog.CloseAll();
  spdlog::info("stopped cleanly");
  return 0;
}

}  // namespace
}  // namespace kv

int main(int argc, char** argv) { return kv::Run(argc, argv); }
