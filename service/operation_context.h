#ifndef KV_SERVICE_OPERATION_CONTEXT_H_
#define KV_SERVICE_OPERATION_CONTEXT_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "service/access/authorizer.h"
#include "service/handle_table.h"
#include "service/limits.h"
#include "service/store_catalog.h"
#include "service/store_health.h"
#include "store/driver.h"

namespace kv {

// What every operation shares: the store catalog, the limits, the authorizer,
// the callers' handles and the stores' health. Thread-safe: operations of
// many calls use one context at once.
class OperationContext {
 public:
  // A store resolved from a caller's handle: its name (for messages and
  // health), its driver, and whether the handle was opened through a
  // read-only grant.
  struct ResolvedStore {
    std::string name;
    Driver* driver;
    bool read_only;
  };

  // `catalog` and `authorizer` must outlive the context; without an
  // authorizer, every caller is the anonymous principal "" with every store.
  OperationContext(StoreCatalog* catalog, const Limits& limits,
                   const Authorizer* authorizer,
                   StoreHealth::Publisher publish_health);

  OperationContext(const OperationContext&) = delete;
  OperationContext& operator=(const OperationContext&) = delete;

  // The store behind `principal`'s `handle`: INVALID_STORE for a handle that
  // is not the caller's or not open, IO if the store's backend cannot be
  // opened. Checked before an operation touches any data.
  absl::StatusOr<ResolvedStore> Resolve(const std::string& principal,
                                        uint32_t handle);

  // Records `outcome`, the result of a call that reached `store`'s backend
  // (or failed to open it), in the store's health; returns it unchanged.
  absl::Status Observe(const std::string& store, absl::Status outcome);

  StoreCatalog& catalog() { return *catalog_; }
  const Limits& limits() const { return limits_; }
  const Authorizer& authorizer() const { return *authorizer_; }
  HandleTable& handles() { return handles_; }
  StoreHealth& health() { return health_; }

 private:
  StoreCatalog* const catalog_;
  const Limits limits_;
  const Authorizer anonymous_;
  const Authorizer* const authorizer_;
  HandleTable handles_;
  StoreHealth health_;
};

}  // namespace kv

#endif  // KV_SERVICE_OPERATION_CONTEXT_H_
