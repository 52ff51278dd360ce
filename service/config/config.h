#ifndef KV_SERVICE_CONFIG_CONFIG_H_
#define KV_SERVICE_CONFIG_CONFIG_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"
#include "service/access/client_spec.h"
#include "service/access/tls.h"
#include "service/config/transport_options.h"
#include "service/limits.h"
#include "store/registry.h"

namespace kv {

// kvd's runtime config: the shape of Spin's runtime-config.toml, plus kvd's
// own [server] and [limits] tables. Every field has a default, so no file is
// needed. docs/configuration.md is the reference.
struct RuntimeConfig {
  // Every store, in file order. Always includes "default" (an SQLite file in
  // the data directory unless the file defines it).
  std::vector<StoreSpec> stores;
  Limits limits;
  // [server] listen; empty when unset, so the --listen flag or its default
  // applies.
  std::string listen;
  // Where stores without a path keep their data: the `data_dir` argument if
  // non-empty (the --data-dir flag wins), else [server] data_dir, else .kvd.
  std::string data_dir;
  int worker_threads = 0;
  // [server] token_reload_interval; unset when absent, so the
  // --token-reload-interval flag or its default applies. Zero: no polling.
  absl::optional<absl::Duration> token_reload_interval;
  // [server] expiry_sweep_interval; unset when absent, so the
  // --expiry-sweep-interval flag or its default applies. Zero: no sweeping.
  absl::optional<absl::Duration> expiry_sweep_interval;
  // [server] tls_cert, tls_key, tls_client_ca, resolved against the config
  // file's directory; empty when unset.
  TlsFiles tls;
  // [server] max_concurrent_streams, keepalive_*, socket_mode, ...
  TransportOptions transport;
  // [[client]] entries, in file order. Empty: anonymous mode (every caller
  // may use every store). Parsing has checked that names, tokens and
  // certificate identities are unique, that every grant names a defined
  // store, and that every token file is readable by its owner only.
  std::vector<ClientSpec> clients;
};

// Parses `text`, read from `source` (a file name, for messages). Relative
// paths in the file resolve against `base_dir`. A non-empty `data_dir`
// overrides [server] data_dir.
//
// Errors are InvalidArgument with a message that starts "SOURCE:LINE:" and
// names the table and field at fault, e.g.
//   kvd.toml:7: [key_value_store.orders] type "reddis" is not a store type
//   (known: memory, sqlite)
absl::StatusOr<RuntimeConfig> ParseRuntimeConfig(absl::string_view text,
                                                 absl::string_view source,
                                                 absl::string_view base_dir,
                                                 absl::string_view data_dir);

// Reads and parses the file at `path`; an empty path gives the defaults.
// Relative store paths resolve against the file's directory, as in Spin.
absl::StatusOr<RuntimeConfig> LoadRuntimeConfig(const std::string& path,
                                                const std::string& data_dir);

}  // namespace kv

#endif  // KV_SERVICE_CONFIG_CONFIG_H_
