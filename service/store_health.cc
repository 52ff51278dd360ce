#include "service/store_health.h"

#include "absl/strings/str_cat.h"
#include "service/errors/kv_error.h"
#include "spdlog/spdlog.h"

namespace kv {

StoreHealth::StoreHealth(const std::vector<std::string>& stores,
                         Publisher publish)
    : publish_(std::move(publish)) {
  for (const std::string& store : stores) {
    healthy_[store] = std::make_unique<std::atomic<bool>>(true);
    publish_(ServiceName(store), true);
  }
}

std::string StoreHealth::ServiceName(absl::string_view store) {
  return absl::StrCat("store:", store);
}

void StoreHealth::Report(absl::string_view store, const absl::Status& outcome) {
  const bool healthy = !(ErrorCodeOf(outcome) == v1::ERROR_CODE_IO &&
                         absl::IsUnavailable(outcome));
  auto it = healthy_.find(store);
  if (it == healthy_.end() || it->second->load() == healthy) return;
  {
    absl::MutexLock lock(&publish_mutex_);
    if (it->second->load() == healthy) return;
    it->second->store(healthy);
    publish_(ServiceName(store), healthy);
  }
  if (healthy) {
    spdlog::info("store \"{}\" is available again", std::string(store));
  } else {
    spdlog::warn("store \"{}\" is unavailable: {}", std::string(store),
                 std::string(outcome.message()));
  }
}

bool StoreHealth::IsHealthy(absl::string_view store) {
  auto it = healthy_.find(store);
  return it == healthy_.end() || it->second->load();
}

}  // namespace kv
