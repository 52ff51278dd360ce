#ifndef KV_STORE_REGISTRY_H_
#define KV_STORE_REGISTRY_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "store/clock.h"
#include "store/driver.h"

namespace kv {

// Everything a driver needs to open one store, as read from the runtime
// config's `[key_value_store.NAME]` table.
struct StoreSpec {
  // The store's name, e.g. "default".
  std::string name;
  // The driver type, e.g. "sqlite". Selects the registered DriverType.
  std::string type;
  // The table's other fields (e.g. "path"), as strings. Only the fields the
  // driver type lists in `DriverType::fields` are ever present.
  std::map<std::string, std::string> options;
  // Directory for data files when the spec does not name one (--data-dir).
  std::string data_dir;
  // Directory that relative paths in `options` are resolved against: the
  // runtime config file's directory, or the working directory without one.
  std::string base_dir;
  // The clock that judges expiry, for a driver without a server clock
  // (SQLite, memory); outlives the driver. Tests pass a FakeClock.
  const Clock* clock = &Clock::Real();
};

// A kind of backend that stores can be configured with.
struct DriverType {
  // One line for --help and error messages.
  std::string description;
  // The config fields this type accepts besides `type`. Any other field is a
  // config error.
  std::vector<std::string> fields;
  // Opens (creating if needed) the store described by `spec`. Errors name the
  // store and the field or backend at fault, without secrets.
  std::function<absl::StatusOr<std::unique_ptr<Driver>>(const StoreSpec& spec)>
      open;
  // Whether WriteAsync returns without waiting for a backend (a driver that
  // queues writes for a thread of its own, like SQLite's group commit) or
  // takes only microseconds (memory). kvd then calls it on the gRPC thread
  // that received the call and finishes the call from `done`, so a waiting
  // write holds no thread and one commit can carry every write in flight.
  // Otherwise writes run Write on the store's pool.
  bool nonblocking_writes = false;
  // Whether Get and Exists return in microseconds and never wait on a
  // network or on writers (a local WAL database, memory). kvd then runs them
  // on the gRPC thread that received the call rather than on the store's
  // pool, saving two thread switches per read.
  bool fast_reads = false;
};

// Adds a driver type under `type_name`. Drivers call this from a static
// initializer in their own .cc file (their library is `alwayslink`), so
// linking a driver is what makes it available. Returns true so it can
// initialize a namespace-scope constant. Registering a name twice aborts.
bool RegisterDriverType(absl::string_view type_name, DriverType type);

// Returns the driver type registered under `type_name`, or nullptr.
const DriverType* FindDriverType(absl::string_view type_name);

// Returns the names of every registered driver type, sorted.
std::vector<std::string> RegisteredDriverTypes();

// Opens a store through its registered type. Returns InvalidArgument naming
// the store if `spec.type` is not registered.
absl::StatusOr<std::unique_ptr<Driver>> OpenDriver(const StoreSpec& spec);

}  // namespace kv

#endif  // KV_STORE_REGISTRY_H_
