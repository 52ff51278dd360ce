#include "service/handle_table.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "service/kv_error.h"

namespace kv {

HandleTable::HandleTable(size_t capacity, absl::Duration idle_timeout,
                         Clock clock)
    : capacity_(capacity),
      idle_timeout_(idle_timeout),
      clock_(std::move(clock)) {}

bool HandleTable::Expired(const Entry& entry, absl::Time now) const {
  return now - entry.last_used > idle_timeout_;
}

void HandleTable::ReclaimIdle(PrincipalTable& table, absl::Time now) {
  for (auto it = table.begin(); it != table.end();) {
    if (Expired(it->second, now)) {
      owners_.erase(it->first);
      table.erase(it++);
    } else {
      ++it;
    }
  }
}

uint32_t HandleTable::NextHandle() {
  // Skips 0 (never issued, so a request without `store` is invalid) and any
  // handle still held after the counter wraps.
  do {
    ++last_handle_;
  } while (last_handle_ == 0 || owners_.contains(last_handle_));
  return last_handle_;
}

absl::StatusOr<uint32_t> HandleTable::Open(absl::string_view principal,
                                           absl::string_view store) {
  const absl::Time now = clock_();
  absl::MutexLock lock(&mutex_);
  PrincipalTable& table = tables_[principal];
  if (table.size() >= capacity_) ReclaimIdle(table, now);
  if (table.size() >= capacity_) return StoreTableFullError(capacity_);
  const uint32_t handle = NextHandle();
  table.emplace(handle, Entry{std::string(store), now});
  owners_.emplace(handle, std::string(principal));
  return handle;
}

absl::StatusOr<std::string> HandleTable::Lookup(absl::string_view principal,
                                                uint32_t handle) {
  const absl::Time now = clock_();
  absl::MutexLock lock(&mutex_);
  auto table = tables_.find(principal);
  if (table != tables_.end()) {
    auto entry = table->second.find(handle);
    if (entry != table->second.end()) {
      if (Expired(entry->second, now)) {
        owners_.erase(handle);
        table->second.erase(entry);
        return InvalidStoreError(
            handle, absl::StrCat("was reclaimed after being idle longer than ",
                                 absl::FormatDuration(idle_timeout_),
                                 " (limits.idle_timeout)"));
      }
      entry->second.last_used = now;
      return entry->second.store;
    }
  }
  if (handle == 0) {
    return InvalidStoreError(
        handle, "is not a handle (the request's \"store\" field is unset)");
  }
  return InvalidStoreError(handle, "is not open");
}

void HandleTable::Close(absl::string_view principal, uint32_t handle) {
  absl::MutexLock lock(&mutex_);
  auto table = tables_.find(principal);
  if (table == tables_.end()) return;
  if (table->second.erase(handle) > 0) owners_.erase(handle);
}

size_t HandleTable::OpenCount(absl::string_view principal) {
  const absl::Time now = clock_();
  absl::MutexLock lock(&mutex_);
  auto table = tables_.find(principal);
  if (table == tables_.end()) return 0;
  ReclaimIdle(table->second, now);
  return table->second.size();
}

std::vector<std::pair<std::string, size_t>> HandleTable::OpenCounts() {
  const absl::Time now = clock_();
  absl::MutexLock lock(&mutex_);
  std::vector<std::pair<std::string, size_t>> counts;
  for (auto& [principal, table] : tables_) {
    ReclaimIdle(table, now);
    counts.emplace_back(principal, table.size());
  }
  return counts;
}

}  // namespace kv
