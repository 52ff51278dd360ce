#include "service/config.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
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
        field != "max_get_keys_bytes") {
      return errors.At(
          value, absl::StrCat("[limits] has unknown field \"", field,
                              "\" (known: max_key_bytes, max_value_bytes, "
                              "max_open_stores, idle_timeout, "
                              "max_get_keys_bytes)"));
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

absl::Status ParseServer(const ConfigErrors& errors, const toml::node& node,
                         RuntimeConfig& config) {
  const toml::table* table = node.as_table();
  if (table == nullptr) return errors.At(node, "[server] must be a table");
  for (const auto& [key, value] : *table) {
    const std::string field(key.str());
    if (field == "listen" || field == "data_dir") {
      if (!value.is_string()) {
        return errors.At(
            value, absl::StrCat("[server] \"", field, "\" must be a string"));
      }
      (field == "listen" ? config.listen : config.data_dir) =
          value.as_string()->get();
    } else if (field == "worker_threads") {
      if (!value.is_integer() || value.as_integer()->get() < 1 ||
          value.as_integer()->get() > 1024) {
        return errors.At(value,
                         "[server] \"worker_threads\" must be an integer "
                         "from 1 to 1024");
      }
      config.worker_threads = static_cast<int>(value.as_integer()->get());
    } else {
      return errors.At(value,
                       absl::StrCat("[server] has unknown field \"", field,
                                    "\" (known: listen, data_dir, "
                                    "worker_threads)"));
    }
  }
  return absl::OkStatus();
}

absl::Status ParseTopLevel(const ConfigErrors& errors, const toml::table& root,
                           RuntimeConfig& config) {
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
      KV_RETURN_IF_ERROR(ParseServer(errors, value, config));
    } else if (section == "client") {
      return errors.At(value,
                       "[[client]] grants are not supported by this kvd "
                       "version yet; every caller may use every store, so "
                       "listen only on loopback or a unix socket");
    } else {
      return errors.At(value, absl::StrCat("unknown table [", section,
                                           "] (known: key_value_store, "
                                           "server, limits)"));
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
  KV_RETURN_IF_ERROR(ParseTopLevel(errors, root, config));
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
