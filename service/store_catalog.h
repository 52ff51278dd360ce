#ifndef KV_SERVICE_STORE_CATALOG_H_
#define KV_SERVICE_STORE_CATALOG_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "store/driver.h"
#include "store/registry.h"

namespace kv {

// The stores kvd serves, by name, each with its driver.
//
// A store whose driver fails to open (a file that cannot be created, a
// backend that is down) stays in the catalog, unhealthy: using it returns an
// IO error that says why, and each use at least `retry_interval` after the
// last failure tries to open it again, so it recovers without a restart.
//
// Thread-safe. Drivers live until CloseAll() or destruction.
class StoreCatalog {
 public:
  explicit StoreCatalog(std::vector<StoreSpec> specs,
                        absl::Duration retry_interval = absl::Seconds(1));
  ~StoreCatalog();

  // Opens every store's driver. Failures are kept, not returned: see
  // Describe().
  void OpenAll();

  // The configured store names, in config order.
  std::vector<std::string> Names() const;

  // True if a store named `name` is configured.
  bool Contains(absl::string_view name) const;

  // The driver type of the store named `name` ("sqlite"), or "" if there is
  // no such store.
  std::string TypeOf(absl::string_view name) const;

  // The driver of store `name`: NoSuchStoreError if there is no such store,
  // a BackendError (IO, UNAVAILABLE) if its driver cannot be opened.
  absl::StatusOr<Driver*> Find(absl::string_view name);

  struct StoreState {
    std::string name;
    std::string type;
    std::string location;  // Driver::Location(), once open.
    absl::Status status;   // OK if the driver is open.
  };
  // Every store in config order, with its state.
  std::vector<StoreState> Describe();

  // The bytes each open store occupies, for stores whose driver can tell
  // (Driver::SizeBytes), in config order. Never opens a store.
  std::vector<std::pair<std::string, uint64_t>> SizeBytes();

  // The stores whose driver is open, in config order, with the driver. Never
  // opens a store. The drivers stay valid until CloseAll.
  std::vector<std::pair<std::string, Driver*>> OpenDrivers();

  // Closes every driver, for shutdown; later Finds fail with IO. Call only
  // once nothing uses a driver returned by Find (the server has stopped).
  void CloseAll();

 private:
  struct Store {
    StoreSpec spec;
    absl::Mutex mutex;
    std::unique_ptr<Driver> owned ABSL_GUARDED_BY(mutex);
    // Set once the driver is open; read without the mutex on the hot path.
    std::atomic<Driver*> driver{nullptr};
    absl::Status last_error ABSL_GUARDED_BY(mutex);
    absl::Time last_attempt ABSL_GUARDED_BY(mutex) = absl::InfinitePast();
    bool closed ABSL_GUARDED_BY(mutex) = false;
  };

  // Opens `store`'s driver unless it is open, closed, or failed less than
  // retry_interval_ ago. Returns the driver or the error that stops it.
  absl::StatusOr<Driver*> TryOpen(Store& store);

  const absl::Duration retry_interval_;
  std::vector<std::unique_ptr<Store>> stores_;  // Config order.
  absl::flat_hash_map<std::string, Store*> by_name_;
};

}  // namespace kv

#endif  // KV_SERVICE_STORE_CATALOG_H_
