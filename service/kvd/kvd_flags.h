#ifndef KV_SERVICE_KVD_KVD_FLAGS_H_
#define KV_SERVICE_KVD_KVD_FLAGS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"
#include "service/kvd/shutdown_plan.h"
#include "service/telemetry/logging.h"
#include "spdlog/common.h"

namespace kv {

// How often kvd re-reads its token files when neither the flag nor the config
// says.
inline constexpr absl::Duration kDefaultTokenReloadInterval = absl::Seconds(10);
inline constexpr absl::Duration kDefaultExpirySweepInterval = absl::Seconds(1);

// kvd's settings from its command line and environment. Every flag --NAME
// has an environment variable KVD_NAME (upper case, '-' as '_'):
// a flag on the command line wins over its variable, which wins over the
// config file, which wins over the built-in default. An empty variable
// counts as unset.
struct KvdFlags {
  // Empty strings mean "not given", so the config file or default applies.
  std::string listen;
  std::string config;
  std::string data_dir;
  spdlog::level::level_enum log_level = spdlog::level::info;
  LogFormat log_format = LogFormat::kText;
  // Empty: no health-only listener.
  std::string health_listen;
  // --drain-delay, --shutdown-grace and --shutdown-timeout.
  ShutdownPlan shutdown;
  // Empty: no metrics endpoint.
  std::string metrics_listen;
  // Empty: [server] tls_cert, tls_key, tls_client_ca apply.
  std::string tls_cert;
  std::string tls_key;
  std::string tls_client_ca;
  bool insecure_allow_remote = false;
  // --token-reload-interval: how often kvd re-reads the token files; zero
  // turns polling off. Unset: [server] token_reload_interval applies, else
  // kDefaultTokenReloadInterval.
  absl::optional<absl::Duration> token_reload_interval;
  // --expiry-sweep-interval: how often expired keys' space is reclaimed;
  // zero turns it off. Unset: [server] expiry_sweep_interval applies, else
  // kDefaultExpirySweepInterval.
  absl::optional<absl::Duration> expiry_sweep_interval;
  // Set when --help was asked for: print it and exit 0.
  std::string help;
};

// Parses `argv`, then the KVD_* variables for flags not on it. A bad value
// gives InvalidArgument naming where it came from: "--log-level=loud ..." or
// "KVD_LOG_LEVEL=loud ...".
absl::StatusOr<KvdFlags> ParseKvdFlags(int argc, const char* const* argv);

}  // namespace kv

#endif  // KV_SERVICE_KVD_KVD_FLAGS_H_
