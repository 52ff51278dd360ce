#include "service/kvd/kvd_flags.h"

#include <cstdlib>
#include <string>
#include <utility>

#include "CLI/CLI.hpp"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "service/telemetry/metrics_server.h"
#include "store/status_macros.h"

namespace kv {
namespace {

constexpr char kDescription[] =
    "kvd serves named key-value stores over gRPC with the Spin key-value "
    "API.\nOn start it prints \"kvd listening on ADDR\" and where each store "
    "keeps its data.\nSIGTERM stops it gracefully (readiness off, calls served "
    "for --drain-delay, in-flight\ncalls finished, exit 0); SIGINT or a second "
    "SIGTERM skips the drain delay.\nSIGHUP re-reads the clients' token files, "
    "as does every --token-reload-interval\nwithout a signal. Without "
    "[[client]] entries every caller may use every store,\nso kvd then "
    "listens only on loopback or a unix socket (see\n"
    "--insecure-allow-remote).\n\n"
    "Every flag can also be set by the environment variable shown with it "
    "(Env:).\nA flag on the command line wins over its variable, which wins "
    "over the config\nfile, which wins over the default.";

constexpr char kExamples[] =
    "Examples:\n"
    "  kvd                                  # 127.0.0.1:50051, "
    "./.kvd/default.db\n"
    "  kvd --listen=unix:/run/kvd/kvd.sock --data-dir=/var/lib/kvd\n"
    "  kvd --config=runtime-config.toml --listen=127.0.0.1:0\n"
    "  kvd --config=clients.toml --listen=0.0.0.0:50051 \\\n"
    "      --tls-cert=server.pem --tls-key=server.key --tls-client-ca=ca.pem\n"
    "  KVD_LOG_FORMAT=json KVD_METRICS_LISTEN=0.0.0.0:9090 kvd\n\n"
    "Docs: docs/configuration.md, docs/security.md, docs/observability.md, "
    "docs/kubernetes.md";

// "--log-level" → "KVD_LOG_LEVEL".
std::string EnvName(const std::string& flag) {
  return absl::StrCat("KVD_",
                      absl::AsciiStrToUpper(absl::StrReplaceAll(
                          absl::StripPrefix(flag, "--"), {{"-", "_"}})));
}

// Where a flag's value came from, for error messages: "--flag=VALUE" if it
// is on the command line, else "KVD_FLAG=VALUE".
std::string Origin(int argc, const char* const* argv, const std::string& flag,
                   const std::string& value) {
  for (int i = 1; i < argc; ++i) {
    const absl::string_view arg = argv[i];
    if (arg == flag || absl::StartsWith(arg, flag + "=")) {
      return absl::StrCat(flag, "=", value);
    }
  }
  return absl::StrCat(EnvName(flag), "=", value);
}

}  // namespace

absl::StatusOr<KvdFlags> ParseKvdFlags(int argc, const char* const* argv) {
  CLI::App app(kDescription, "kvd");
  app.footer(kExamples);
  KvdFlags flags;
  std::string log_level = "info";
  std::string log_format = "text";
  std::string drain_delay = "5s";
  std::string shutdown_grace = "10s";
  std::string shutdown_timeout = "25s";
  std::string token_reload_interval;
  std::string expiry_sweep_interval;
  auto add = [&](const std::string& flag, std::string& value,
                 const std::string& help, const std::string& type) {
    return app.add_option(flag, value, help)
        ->type_name(type)
        ->envname(EnvName(flag));
  };
  add("--listen", flags.listen,
      "Address to serve on: host:port (port 0 picks a free port) or "
      "unix:/path/to/socket. Default: [server] listen, else 127.0.0.1:50051",
      "ADDR");
  add("--health-listen", flags.health_listen,
      "Also serve the gRPC health service, and only it, on this host:port: "
      "for Kubernetes' gRPC probes when --listen is a unix socket",
      "ADDR");
  add("--config", flags.config,
      "Runtime config file (TOML, the shape of Spin's runtime-config.toml). "
      "Without one, kvd serves the \"default\" store from an SQLite file in "
      "the data directory",
      "FILE");
  add("--data-dir", flags.data_dir,
      "Directory for store files the config does not place. Default: "
      "[server] data_dir, else ./.kvd",
      "DIR");
  add("--log-level", log_level,
      "Least severe log level printed: debug (adds one line per request), "
      "info, warn or error",
      "LEVEL")
      ->capture_default_str();
  add("--log-format", log_format,
      "Log lines on stderr: text, or json (one object per line)", "FORMAT")
      ->capture_default_str();
  add("--drain-delay", drain_delay,
      "On SIGTERM, how long kvd keeps serving calls after its readiness "
      "(health \"kvd.ready\") turned NOT_SERVING, so endpoints and load "
      "balancers stop routing to it first",
      "DURATION")
      ->capture_default_str();
  add("--shutdown-grace", shutdown_grace,
      "Once kvd refuses new calls, how long in-flight calls may take to "
      "finish before they are cancelled",
      "DURATION")
      ->capture_default_str();
  add("--shutdown-timeout", shutdown_timeout,
      "Bound on the whole stop, from the signal to the exit; keep it below "
      "Kubernetes' terminationGracePeriodSeconds",
      "DURATION")
      ->capture_default_str();
  add("--metrics-listen", flags.metrics_listen,
      "Serve Prometheus metrics at http://HOST:PORT/metrics (port 0 picks a "
      "free port). Default: off",
      "HOST:PORT");
  add("--tls-cert", flags.tls_cert,
      "Serve TLS with this PEM certificate (chain). Default: [server] "
      "tls_cert; plaintext if neither is set",
      "FILE");
  add("--tls-key", flags.tls_key,
      "The PEM private key of --tls-cert. Default: [server] tls_key", "FILE");
  add("--tls-client-ca", flags.tls_client_ca,
      "Require client certificates signed by this PEM CA (mTLS); [[client]] "
      "certificate_identity then identifies clients. Default: [server] "
      "tls_client_ca",
      "FILE");
  add("--token-reload-interval", token_reload_interval,
      "How often kvd re-reads the clients' token files and swaps in changed "
      "tokens without a signal (a rotated Kubernetes Secret); 0 turns it off "
      "(SIGHUP still reloads). Default: [server] token_reload_interval, else "
      "10s",
      "DURATION");
  add("--expiry-sweep-interval", expiry_sweep_interval,
      "How often kvd frees the space of expired keys in the background, in "
      "short batches (expired keys are absent to reads at once either way); "
      "0 turns it off. Default: [server] expiry_sweep_interval, else 1s",
      "DURATION");
  app.add_flag("--insecure-allow-remote", flags.insecure_allow_remote,
               "Without [[client]] entries, listen on a non-loopback address "
               "anyway: anyone who can reach it may read and write every "
               "store")
      ->envname(EnvName("--insecure-allow-remote"));
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    flags.help = app.help();
    return flags;
  } catch (const CLI::ParseError& error) {
    return absl::InvalidArgumentError(
        absl::StrCat(error.what(), " (kvd --help lists the flags)"));
  }

  absl::optional<spdlog::level::level_enum> level = ParseLogLevel(log_level);
  if (!level.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat(Origin(argc, argv, "--log-level", log_level),
                     " is not a log level: use debug, info, warn or error"));
  }
  flags.log_level = *level;
  absl::optional<LogFormat> format = ParseLogFormat(log_format);
  if (!format.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat(Origin(argc, argv, "--log-format", log_format),
                     " is not a log format: use text or json"));
  }
  flags.log_format = *format;
  for (const auto& [flag, value] :
       {std::pair<std::string, const std::string*>{"--drain-delay",
                                                   &drain_delay},
        {"--shutdown-grace", &shutdown_grace},
        {"--shutdown-timeout", &shutdown_timeout}}) {
    absl::Duration duration;
    if (!absl::ParseDuration(*value, &duration) ||
        duration < absl::ZeroDuration()) {
      return absl::InvalidArgumentError(
          absl::StrCat(Origin(argc, argv, flag, *value),
                       " is not a duration such as 10s or 500ms"));
    }
  }
  absl::StatusOr<ShutdownPlan> shutdown =
      ParseShutdownPlan(drain_delay, shutdown_grace, shutdown_timeout);
  if (!shutdown.ok()) return shutdown.status();
  flags.shutdown = *shutdown;
  // A period: a finite duration, 0 to turn the work off.
  auto parse_interval =
      [&](const std::string& flag, const std::string& value,
          absl::string_view zero_means,
          absl::optional<absl::Duration>& target) -> absl::Status {
    if (value.empty()) return absl::OkStatus();
    absl::Duration interval;
    if (!absl::ParseDuration(value, &interval) ||
        interval < absl::ZeroDuration() ||
        interval == absl::InfiniteDuration()) {
      return absl::InvalidArgumentError(
          absl::StrCat(Origin(argc, argv, flag, value),
                       " is not a duration such as 10s or 500ms (0 turns ",
                       zero_means, " off)"));
    }
    target = interval;
    return absl::OkStatus();
  };
  KV_RETURN_IF_ERROR(parse_interval("--token-reload-interval",
                                    token_reload_interval, "polling",
                                    flags.token_reload_interval));
  KV_RETURN_IF_ERROR(parse_interval("--expiry-sweep-interval",
                                    expiry_sweep_interval, "reclaiming",
                                    flags.expiry_sweep_interval));
  if (!flags.metrics_listen.empty() && !IsHostPort(flags.metrics_listen)) {
    return absl::InvalidArgumentError(absl::StrCat(
        Origin(argc, argv, "--metrics-listen", flags.metrics_listen),
        " is not HOST:PORT, e.g. 127.0.0.1:9090 or 0.0.0.0:9090"));
  }
  return flags;
}

}  // namespace kv
