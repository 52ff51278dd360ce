#include "service/operation_context.h"

#include <utility>

#include "store/status_macros.h"

namespace kv {

OperationContext::OperationContext(StoreCatalog* catalog, const Limits& limits,
                                   const Authorizer* authorizer,
                                   StoreHealth::Publisher publish_health)
    : catalog_(catalog),
      limits_(limits),
      authorizer_(authorizer != nullptr ? authorizer : &anonymous_),
      handles_(limits.max_open_stores, limits.idle_timeout),
      health_(catalog->Names(), std::move(publish_health)) {}

absl::StatusOr<OperationContext::ResolvedStore> OperationContext::Resolve(
    const std::string& principal, uint32_t handle) {
  KV_ASSIGN_OR_RETURN(HandleTable::OpenHandle open,
                      handles_.LookupHandle(principal, handle));
  absl::StatusOr<Driver*> driver = catalog_->Find(open.store);
  if (!driver.ok()) return Observe(open.store, driver.status());
  return ResolvedStore{std::move(open.store), *driver, open.read_only};
}

absl::Status OperationContext::Observe(const std::string& store,
                                       absl::Status outcome) {
  health_.Report(store, outcome);
  return outcome;
}

}  // namespace kv
