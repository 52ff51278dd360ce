#include "service/config/config.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "service/access/credentials.h"
#include "store/status_macros.h"
#include "toml++/toml.h"

namespace kv {
namespace {

constexpr char kDefaultStore[] = "default";
constexpr char kDefaultDataDir[] = ".kvd";

// Builds the errors for one source, each prefixed with "SOURCE:LINE:".
class ConfigErrors {
 public:
  explicit ConfigErrors(absl::string_view source) : source_(source) {}

  absl::Status At(const toml::node& node, absl::string_view message) const {
    return absl::InvalidArgumentError(
        absl::StrCat(source_, ":", node.source().begin.line, ": ", message));
  }

 private:
  std::string source_;
};

// Store names become file names and metric labels, so they stay simple.
bool IsValidStoreName(absl::string_view name) {
  if (name.empty() || name.size() > 64 || name[0] == '.') return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

absl::Status ParseStore(const ConfigErrors& errors, absl::string_view name,
                        const toml::node& node, StoreSpec& spec) {
  const std::string where = absl::StrCat("[key_value_store.", name, "]");
  const toml::table* table = node.as_table();
  if (table == nullptr) {
    return errors.At(node, absl::StrCat(where, " must be a table"));
  }
  if (!IsValidStoreName(name)) {
    return errors.At(node,
                     absl::StrCat(where,
                                  ": store names are 1 to 64 letters, digits, "
                                  "'_', '-' or '.', not starting with '.'"));
  }
  spec.name = std::string(name);
  const toml::node* type = table->get("type");
  if (type == nullptr) {
    return errors.At(
        node, absl::StrCat(where, " has no \"type\" (known: ",
                           absl::StrJoin(RegisteredDriverTypes(), ", "), ")"));
  }
  if (!type->is_string()) {
    return errors.At(*type, absl::StrCat(where, " \"type\" must be a string"));
  }
  spec.type = type->as_string()->get();
  const DriverType* driver_type = FindDriverType(spec.type);
  if (driver_type == nullptr) {
    return errors.At(
        *type, absl::StrCat(where, " type \"", spec.type,
                            "\" is not a store type (known: ",
                            absl::StrJoin(RegisteredDriverTypes(), ", "), ")"));
  }
  for (const auto& [key, value] : *table) {
    const std::string field(key.str());
    if (field == "type") continue;
    bool known = false;
    for (const std::string& allowed : driver_type->fields) {
      known = known || allowed == field;
    }
    if (!known) {
      return errors.At(
          value, absl::StrCat(where, " has unknown field \"", field, "\" (",
                              spec.type, " stores take: ",
                              driver_type->fields.empty()
                                  ? "no other fields"
                                  : absl::StrJoin(driver_type->fields, ", "),
                              ")"));
    }
    // Drivers read their fields as text; scalars are accepted as written
    // (pool_size = 16 and pool_size = "16" mean the same).
    if (value.is_string()) {
      spec.options[field] = value.as_string()->get();
    } else if (value.is_integer()) {
      spec.options[field] = std::to_string(value.as_integer()->get());
    } else if (value.is_boolean()) {
      spec.options[field] = value.as_boolean()->get() ? "true" : "false";
    } else {
      return errors.At(value,
                       absl::StrCat(where, " field \"", field,
                                    "\" must be a string, integer or boolean"));
    }
  }
  return absl::OkStatus();
}

// Reads an integer field of [limits] into `target` if present, refusing
// values below `minimum` or above `maximum`.
absl::Status ParseSize(const ConfigErrors& errors, const toml::table& limits,
                       const std::string& field, int64_t minimum,
                       int64_t maximum, size_t& target) {
  const toml::node* node = limits.get(field);
  if (node == nullptr) return absl::OkStatus();
  if (!node->is_integer()) {
    return errors.At(
        *node, absl::StrCat("[limits] \"", field, "\" must be an integer"));
  }
  const int64_t value = node->as_integer()->get();
  if (value < minimum || value > maximum) {
    return errors.At(*node, absl::StrCat("[limits] \"", field, "\" is ", value,
                                         "; it must be between ", minimum,
                                         " and ", maximum));
  }
  target = static_cast<size_t>(value);
  return absl::OkStatus();
}

absl::Status ParseLimits(const ConfigErrors& errors, const toml::node& node,
                         Limits& limits) {
  const toml::table* table = node.as_table();
  if (table == nullptr) return errors.At(node, "[limits] must be a table");
  for (const auto& [key, value] : *table) {
    const std::string field(key.str());
    if (field != "max_key_bytes" && field != "max_value_bytes" &&
        field != "max_open_stores" && field != "idle_timeout" &&
        field != "max_get_keys_bytes" && field != "max_batch_entries" &&
        field != "max_batch_bytes") {
      return errors.At(
          value, absl::StrCat("[limits] has unknown field \"", field,
                              "\" (known: max_key_bytes, max_value_bytes, "
                              "max_open_stores, idle_timeout, "
                              "max_get_keys_bytes, max_batch_entries, "
                              "max_batch_bytes)"));
    }
  }
  // Spin documents 256-byte keys and 1 MiB values as minimums every store
  // supports, so the limits may only be raised.
  constexpr int64_t kMaxMessage = int64_t{1} << 30;
  KV_RETURN_IF_ERROR(ParseSize(errors, *table, "max_key_bytes", 256, 1 << 16,
                               limits.max_key_bytes));
  KV_RETURN_IF_ERROR(ParseSize(errors, *table, "max_value_bytes", 1 << 20,
                               kMaxMessage / 2, limits.max_value_bytes));
  KV_RETURN_IF_ERROR(ParseSize(errors, *table, "max_open_stores", 1, 1 << 20,
                               limits.max_open_stores));
  KV_RETURN_IF_ERROR(ParseSize(errors, *table, "max_get_keys_bytes", 64 << 10,
                               kMaxMessage / 2, limits.max_get_keys_bytes));
  // A batch of one largest entry must always fit: an explicit
  // max_batch_bytes may not be smaller, and the default grows with raised
  // key and value limits.
  KV_RETURN_IF_ERROR(ParseSize(errors, *table, "max_batch_entries", 1, 100000,
                               limits.max_batch_entries));
  const size_t largest_entry = limits.max_key_bytes + limits.max_value_bytes;
  if (limits.max_batch_bytes < largest_entry) {
    limits.max_batch_bytes = largest_entry;
  }
  KV_RETURN_IF_ERROR(ParseSize(errors, *table, "max_batch_bytes",
                               static_cast<int64_t>(largest_entry),
                               kMaxMessage / 2, limits.max_batch_bytes));
  if (const toml::node* idle = table->get("idle_timeout")) {
    absl::Duration duration;
    if (!idle->is_string() ||
        !absl::ParseDuration(idle->as_string()->get(), &duration) ||
        duration <= absl::ZeroDuration()) {
      return errors.At(*idle,
                       "[limits] \"idle_timeout\" must be a positive "
                       "duration string such as \"90s\", \"30m\" or \"1h\"");
    }
    limits.idle_timeout = duration;
  }
  return absl::OkStatus();
}

// A path in the config resolves against the config file's directory.
std::string ResolvePath(absl::string_view base_dir, absl::string_view path) {
  if (path.empty() || path[0] == '/') return std::string(path);
  return absl::StrCat(base_dir, "/", path);
}

absl::Status ParseServerDuration(const ConfigErrors& errors,
                                 const toml::node& value,
                                 const std::string& field, bool allow_zero,
                                 absl::Duration& target) {
  absl::Duration duration;
  if (!value.is_string() ||
      !absl::ParseDuration(value.as_string()->get(), &duration) ||
      duration < absl::ZeroDuration() ||
      (!allow_zero && duration == absl::ZeroDuration())) {
    return errors.At(value, absl::StrCat("[server] \"", field,
                                         "\" must be a positive duration "
                                         "string such as \"20s\" or \"2h\"",
                                         allow_zero ? " (or \"inf\")" : ""));
  }
  target = duration;
  return absl::OkStatus();
}

// A period of background work: a finite duration, "0s" to turn it off.
absl::Status ParseServerInterval(const ConfigErrors& errors,
                                 const toml::node& value,
                                 const std::string& field,
                                 absl::string_view zero_turns_off,
                                 absl::optional<absl::Duration>& target) {
  absl::Duration interval;
  if (!value.is_string() ||
      !absl::ParseDuration(value.as_string()->get(), &interval) ||
      interval < absl::ZeroDuration() || interval == absl::InfiniteDuration()) {
    return errors.At(value, absl::StrCat("[server] \"", field,
                                         "\" must be a duration string such "
                                         "as \"10s\" or \"1m\", or \"0s\" to "
                                         "turn ",
                                         zero_turns_off, " off"));
  }
  target = interval;
  return absl::OkStatus();
}

absl::Status ParseServerInt(const ConfigErrors& errors, const toml::node& value,
                            const std::string& field, int minimum, int maximum,
                            int& target) {
  if (!value.is_integer() || value.as_integer()->get() < minimum ||
      value.as_integer()->get() > maximum) {
    return errors.At(
        value, absl::StrCat("[server] \"", field, "\" must be an integer from ",
                            minimum, " to ", maximum));
  }
  target = static_cast<int>(value.as_integer()->get());
  return absl::OkStatus();
}

// socket_mode is an octal string ("0660") or a TOML octal integer (0o660).
absl::Status ParseSocketMode(const ConfigErrors& errors,
                             const toml::node& value, unsigned& target) {
  int64_t mode = -1;
  if (value.is_integer()) {
    mode = value.as_integer()->get();
  } else if (value.is_string()) {
    const std::string& text = value.as_string()->get();
    if (!text.empty() && text.size() <= 4 &&
        text.find_first_not_of("01234567") == std::string::npos) {
      mode = std::stoll(text, nullptr, 8);
    }
  }
  if (mode < 0 || mode > 0777) {
    return errors.At(value,
                     "[server] \"socket_mode\" must be a file mode such as "
                     "\"0660\" (a string) or 0o660 (an octal integer)");
  }
  target = static_cast<unsigned>(mode);
  return absl::OkStatus();
}

absl::Status ParseServer(const ConfigErrors& errors, const toml::node& node,
                         absl::string_view base_dir, RuntimeConfig& config) {
  const toml::table* table = node.as_table();
  if (table == nullptr) return errors.At(node, "[server] must be a table");
  TransportOptions& transport = config.transport;
  for (const auto& [key, value] : *table) {
    const std::string field(key.str());
    if (field == "listen" || field == "data_dir" || field == "tls_cert" ||
        field == "tls_key" || field == "tls_client_ca") {
      if (!value.is_string()) {
        return errors.At(
            value, absl::StrCat("[server] \"", field, "\" must be a string"));
      }
      const std::string& text = value.as_string()->get();
      if (field == "listen") {
        config.listen = text;
      } else if (field == "data_dir") {
        config.data_dir = text;
      } else if (field == "tls_cert") {
        config.tls.cert = ResolvePath(base_dir, text);
      } else if (field == "tls_key") {
        config.tls.key = ResolvePath(base_dir, text);
      } else {
        config.tls.client_ca = ResolvePath(base_dir, text);
      }
    } else if (field == "worker_threads") {
      KV_RETURN_IF_ERROR(
          ParseServerInt(errors, value, field, 1, 1024, config.worker_threads));
    } else if (field == "max_concurrent_streams") {
      KV_RETURN_IF_ERROR(ParseServerInt(errors, value, field, 1, 1 << 20,
                                        transport.max_concurrent_streams));
    } else if (field == "max_ping_strikes") {
      KV_RETURN_IF_ERROR(ParseServerInt(errors, value, field, 0, 1000,
                                        transport.max_ping_strikes));
    } else if (field == "keepalive_time") {
      KV_RETURN_IF_ERROR(ParseServerDuration(errors, value, field, false,
                                             transport.keepalive_time));
    } else if (field == "keepalive_timeout") {
      KV_RETURN_IF_ERROR(ParseServerDuration(errors, value, field, false,
                                             transport.keepalive_timeout));
    } else if (field == "min_ping_interval") {
      KV_RETURN_IF_ERROR(ParseServerDuration(errors, value, field, true,
                                             transport.min_ping_interval));
    } else if (field == "max_connection_idle") {
      KV_RETURN_IF_ERROR(ParseServerDuration(errors, value, field, false,
                                             transport.max_connection_idle));
    } else if (field == "token_reload_interval") {
      KV_RETURN_IF_ERROR(ParseServerInterval(errors, value, field, "polling",
                                             config.token_reload_interval));
    } else if (field == "expiry_sweep_interval") {
      KV_RETURN_IF_ERROR(ParseServerInterval(errors, value, field,
                                             "reclaiming expired keys",
                                             config.expiry_sweep_interval));
    } else if (field == "socket_mode") {
      KV_RETURN_IF_ERROR(ParseSocketMode(errors, value, transport.socket_mode));
    } else {
      return errors.At(value,
                       absl::StrCat("[server] has unknown field \"", field,
                                    "\" (known: listen, data_dir, "
                                    "worker_threads, tls_cert, tls_key, "
                                    "tls_client_ca, socket_mode, "
                                    "max_concurrent_streams, keepalive_time, "
                                    "keepalive_timeout, min_ping_interval, "
                                    "max_ping_strikes, max_connection_idle, "
                                    "token_reload_interval, "
                                    "expiry_sweep_interval)"));
    }
  }
  return absl::OkStatus();
}

// A grant as written, checked against the stores once they are all known.
struct GrantRef {
  std::string store;
  const toml::node* node;
  size_t client;
};

// Reads a grant list (key_value_stores, read_only_stores) of one client.
absl::Status ParseGrantList(const ConfigErrors& errors, const toml::node& value,
                            const std::string& where, const std::string& field,
                            size_t client, std::vector<std::string>& stores,
                            std::vector<GrantRef>& grants) {
  const toml::array* array = value.as_array();
  if (array == nullptr) {
    return errors.At(value, absl::StrCat(where, " \"", field,
                                         "\" must be a list of store names, "
                                         "e.g. [\"default\"]"));
  }
  for (const toml::node& element : *array) {
    if (!element.is_string()) {
      return errors.At(element, absl::StrCat(where, " \"", field,
                                             "\" must hold store names "
                                             "(strings)"));
    }
    stores.push_back(element.as_string()->get());
    grants.push_back(GrantRef{stores.back(), &element, client});
  }
  return absl::OkStatus();
}

absl::Status ParseClient(const ConfigErrors& errors, const toml::node& node,
                         absl::string_view source, absl::string_view base_dir,
                         size_t index, ClientSpec& client,
                         std::vector<GrantRef>& grants) {
  const toml::table* table = node.as_table();
  if (table == nullptr) {
    return errors.At(node,
                     "[[client]] must be an array of tables, each written "
                     "[[client]]");
  }
  client.where = absl::StrCat(source, ":", node.source().begin.line);
  const toml::node* name = table->get("name");
  if (name == nullptr || !name->is_string() ||
      !IsValidStoreName(name->as_string()->get())) {
    return errors.At(name == nullptr ? node : *name,
                     "[[client]] needs a \"name\": 1 to 64 letters, digits, "
                     "'_', '-' or '.', not starting with '.'");
  }
  client.name = name->as_string()->get();
  const std::string where = absl::StrCat("[[client]] \"", client.name, "\"");
  for (const auto& [key, value] : *table) {
    const std::string field(key.str());
    if (field == "name") continue;
    if (field == "token_file" || field == "certificate_identity") {
      if (!value.is_string() || value.as_string()->get().empty()) {
        return errors.At(value, absl::StrCat(where, " \"", field,
                                             "\" must be a non-empty string"));
      }
      if (field == "token_file") {
        client.token_file = ResolvePath(base_dir, value.as_string()->get());
      } else {
        client.certificate_identity = value.as_string()->get();
      }
    } else if (field == "key_value_stores") {
      KV_RETURN_IF_ERROR(ParseGrantList(errors, value, where, field, index,
                                        client.key_value_stores, grants));
    } else if (field == "read_only_stores") {
      KV_RETURN_IF_ERROR(ParseGrantList(errors, value, where, field, index,
                                        client.read_only_stores, grants));
    } else {
      return errors.At(value,
                       absl::StrCat(where, " has unknown field \"", field,
                                    "\" (known: name, token_file, "
                                    "certificate_identity, key_value_stores, "
                                    "read_only_stores)"));
    }
  }
  if (client.token_file.empty() && client.certificate_identity.empty()) {
    return errors.At(node, absl::StrCat(where,
                                        " has no credential: give it a "
                                        "\"token_file\" or a "
                                        "\"certificate_identity\" (mTLS)"));
  }
  for (const std::string& store : client.read_only_stores) {
    for (const std::string& writable : client.key_value_stores) {
      if (store == writable) {
        return errors.At(node, absl::StrCat(where, " lists store \"", store,
                                            "\" in both key_value_stores and "
                                            "read_only_stores; keep it in "
                                            "one"));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status ParseClients(const ConfigErrors& errors, const toml::node& node,
                          absl::string_view source, absl::string_view base_dir,
                          std::vector<ClientSpec>& clients,
                          std::vector<GrantRef>& grants) {
  const toml::array* array = node.as_array();
  if (array == nullptr) {
    return errors.At(node,
                     "client must be an array of tables, each written "
                     "[[client]]");
  }
  for (const toml::node& element : *array) {
    ClientSpec client;
    KV_RETURN_IF_ERROR(ParseClient(errors, element, source, base_dir,
                                   clients.size(), client, grants));
    for (const ClientSpec& other : clients) {
      if (other.name == client.name) {
        return errors.At(element,
                         absl::StrCat("[[client]] name \"", client.name,
                                      "\" is already used at ", other.where));
      }
      if (!client.certificate_identity.empty() &&
          other.certificate_identity == client.certificate_identity) {
        return errors.At(
            element,
            absl::StrCat("[[client]] \"", client.name,
                         "\" has the same certificate_identity as [[client]] "
                         "\"",
                         other.name, "\" (", other.where, ")"));
      }
    }
    clients.push_back(std::move(client));
  }
  return absl::OkStatus();
}

absl::Status ParseTopLevel(const ConfigErrors& errors, const toml::table& root,
                           absl::string_view source, absl::string_view base_dir,
                           RuntimeConfig& config,
                           std::vector<GrantRef>& grants) {
  for (const auto& [key, value] : root) {
    const std::string section(key.str());
    if (section == "key_value_store") {
      const toml::table* stores = value.as_table();
      if (stores == nullptr) {
        return errors.At(value,
                         "key_value_store must be a table of stores, "
                         "e.g. [key_value_store.default]");
      }
      // toml++ iterates tables in key order; stores keep file order.
      std::vector<std::pair<uint32_t, StoreSpec>> by_line;
      for (const auto& [name, store] : *stores) {
        StoreSpec spec;
        KV_RETURN_IF_ERROR(
            ParseStore(errors, std::string(name.str()), store, spec));
        by_line.emplace_back(store.source().begin.line, std::move(spec));
      }
      std::stable_sort(
          by_line.begin(), by_line.end(),
          [](const auto& a, const auto& b) { return a.first < b.first; });
      for (auto& entry : by_line)
        config.stores.push_back(std::move(entry.second));
    } else if (section == "limits") {
      KV_RETURN_IF_ERROR(ParseLimits(errors, value, config.limits));
    } else if (section == "server") {
      KV_RETURN_IF_ERROR(ParseServer(errors, value, base_dir, config));
    } else if (section == "client") {
      KV_RETURN_IF_ERROR(ParseClients(errors, value, source, base_dir,
                                      config.clients, grants));
    } else {
      return errors.At(value, absl::StrCat("unknown table [", section,
                                           "] (known: key_value_store, "
                                           "server, limits, [[client]])"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<RuntimeConfig> ParseRuntimeConfig(absl::string_view text,
                                                 absl::string_view source,
                                                 absl::string_view base_dir,
                                                 absl::string_view data_dir) {
  ConfigErrors errors(source);
  toml::table root;
  try {
    root = toml::parse(std::string_view(text.data(), text.size()),
                       std::string(source));
  } catch (const toml::parse_error& error) {
    return absl::InvalidArgumentError(absl::StrCat(
        source, ":", error.source().begin.line, ":",
        error.source().begin.column, ": ", std::string(error.description())));
  }
  RuntimeConfig config;
  std::vector<GrantRef> grants;
  KV_RETURN_IF_ERROR(
      ParseTopLevel(errors, root, source, base_dir, config, grants));
  bool has_default = false;
  for (StoreSpec& spec : config.stores) {
    has_default = has_default || spec.name == kDefaultStore;
  }
  if (!has_default) {
    StoreSpec spec;
    spec.name = std::string(kDefaultStore);
    spec.type = "sqlite";
    config.stores.insert(config.stores.begin(), std::move(spec));
  }
  // Spin refuses a grant to an undefined store; so does kvd.
  for (const GrantRef& grant : grants) {
    bool defined = false;
    for (const StoreSpec& spec : config.stores) {
      defined = defined || spec.name == grant.store;
    }
    if (!defined) {
      std::vector<std::string> names;
      for (const StoreSpec& spec : config.stores) names.push_back(spec.name);
      return errors.At(
          *grant.node,
          absl::StrCat("[[client]] \"", config.clients[grant.client].name,
                       "\" is granted store \"", grant.store,
                       "\", which is not defined (defined: ",
                       absl::StrJoin(names, ", "), ")"));
    }
  }
  // Token files are read now so a missing, empty, shared or too-open one
  // stops startup; kvd reads them again when it starts serving.
  absl::StatusOr<std::shared_ptr<const CredentialTable>> tokens =
      CredentialTable::Load(config.clients);
  if (!tokens.ok()) return tokens.status();
  // --data-dir wins over [server] data_dir (which is relative to the config
  // file, like store paths), which wins over the built-in default.
  std::string effective_data_dir(data_dir);
  if (effective_data_dir.empty() && !config.data_dir.empty()) {
    effective_data_dir = config.data_dir[0] == '/'
                             ? config.data_dir
                             : absl::StrCat(base_dir, "/", config.data_dir);
  }
  if (effective_data_dir.empty()) effective_data_dir = kDefaultDataDir;
  config.data_dir = effective_data_dir;
  for (StoreSpec& spec : config.stores) {
    spec.base_dir = std::string(base_dir);
    spec.data_dir = effective_data_dir;
  }
  return config;
}

absl::StatusOr<RuntimeConfig> LoadRuntimeConfig(const std::string& path,
                                                const std::string& data_dir) {
  if (path.empty()) return ParseRuntimeConfig("", "(defaults)", ".", data_dir);
  std::ifstream file(path);
  if (!file) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot read config file ", path, ": ", std::strerror(errno)));
  }
  std::stringstream text;
  text << file.rdbuf();
  const size_t slash = path.find_last_of('/');
  const std::string base_dir =
      slash == std::string::npos ? "." : path.substr(0, slash);
  return ParseRuntimeConfig(text.str(), path, base_dir, data_dir);
}

}  // namespace kv
