#include "service/store_catalog.h"

#include <utility>

#include "absl/time/clock.h"
#include "service/errors/kv_error.h"

namespace kv {

StoreCatalog::StoreCatalog(std::vector<StoreSpec> specs,
                           absl::Duration retry_interval)
    : retry_interval_(retry_interval) {
  for (StoreSpec& spec : specs) {
    auto store = std::make_unique<Store>();
    store->spec = std::move(spec);
    by_name_[store->spec.name] = store.get();
    stores_.push_back(std::move(store));
  }
}

StoreCatalog::~StoreCatalog() { CloseAll(); }

void StoreCatalog::OpenAll() {
  for (auto& store : stores_) TryOpen(*store).IgnoreError();
}

std::vector<std::string> StoreCatalog::Names() const {
  std::vector<std::string> names;
  for (const auto& store : stores_) names.push_back(store->spec.name);
  return names;
}

std::string StoreCatalog::TypeOf(absl::string_view name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? std::string() : it->second->spec.type;
}

bool StoreCatalog::Contains(absl::string_view name) const {
  return by_name_.contains(name);
}

absl::StatusOr<Driver*> StoreCatalog::Find(absl::string_view name) {
  auto it = by_name_.find(name);
  if (it == by_name_.end()) return NoSuchStoreError(name);
  Driver* driver = it->second->driver.load(std::memory_order_acquire);
  if (driver != nullptr) return driver;
  return TryOpen(*it->second);
}

absl::StatusOr<Driver*> StoreCatalog::TryOpen(Store& store) {
  absl::MutexLock lock(&store.mutex);
  if (store.owned != nullptr) return store.owned.get();
  if (store.closed) {
    return BackendError(store.spec.name, "open",
                        absl::UnavailableError("kvd is shutting down"));
  }
  const absl::Time now = absl::Now();
  if (now - store.last_attempt >= retry_interval_) {
    store.last_attempt = now;
    absl::StatusOr<std::unique_ptr<Driver>> opened = OpenDriver(store.spec);
    if (opened.ok()) {
      store.owned = *std::move(opened);
      store.last_error = absl::OkStatus();
      store.driver.store(store.owned.get(), std::memory_order_release);
      return store.owned.get();
    }
    store.last_error = opened.status();
  }
  // A store that cannot be opened is unavailable, whatever the cause.
  return BackendError(store.spec.name, "open",
                      absl::UnavailableError(store.last_error.message()));
}

std::vector<StoreCatalog::StoreState> StoreCatalog::Describe() {
  std::vector<StoreState> states;
  for (auto& store : stores_) {
    absl::MutexLock lock(&store->mutex);
    StoreState state{store->spec.name, store->spec.type, "", store->last_error};
    if (store->owned != nullptr) state.location = store->owned->Location();
    states.push_back(std::move(state));
  }
  return states;
}

std::vector<std::pair<std::string, uint64_t>> StoreCatalog::SizeBytes() {
  std::vector<std::pair<std::string, uint64_t>> sizes;
  for (auto& store : stores_) {
    absl::MutexLock lock(&store->mutex);
    if (store->owned == nullptr) continue;
    absl::optional<uint64_t> bytes = store->owned->SizeBytes();
    if (bytes.has_value()) sizes.emplace_back(store->spec.name, *bytes);
  }
  return sizes;
}

std::vector<std::pair<std::string, Driver*>> StoreCatalog::OpenDrivers() {
  std::vector<std::pair<std::string, Driver*>> open;
  for (auto& store : stores_) {
    Driver* driver = store->driver.load(std::memory_order_acquire);
    if (driver != nullptr) open.emplace_back(store->spec.name, driver);
  }
  return open;
}

void StoreCatalog::CloseAll() {
  for (auto& store : stores_) {
    absl::MutexLock lock(&store->mutex);
    store->closed = true;
    store->driver.store(nullptr, std::memory_order_release);
    store->owned.reset();
  }
}

}  // namespace kv
