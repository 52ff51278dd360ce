#include "service/handle_table.h"

#include <utility>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "service/errors/kv_error.h"

namespace kv {

HandleTable::HandleTable(size_t capacity, absl::Duration idle_timeout,
                         Clock clock)
    : capacity_(capacity),
      idle_timeout_(idle_timeout),
      clock_(std::move(clock)) {
  absl::BitGen random;
  for (uint32_t& key : key_) key = absl::Uniform<uint32_t>(random);
}

uint32_t HandleTable::Permute(uint32_t counter) const {
  // A four-round Feistel network on 16-bit halves: a permutation whatever
  // the round function, so distinct counters give distinct handles. It hides
  // the order of issue from callers; it is not meant as cryptography.
  uint32_t left = counter >> 16;
  uint32_t right = counter & 0xffff;
  for (uint32_t key : key_) {
    uint32_t mixed = (right ^ key) * 0x9e3779b1u;
    mixed ^= mixed >> 15;
    mixed *= 0x85ebca6bu;
    mixed ^= mixed >> 13;
    const uint32_t next_right = left ^ (mixed & 0xffff);
    left = right;
    right = next_right;
  }
  return (left << 16) | right;
}

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
  uint32_t handle;
  do {
    handle = Permute(++counter_);
  } while (handle == 0 || owners_.contains(handle));
  return handle;
}

absl::StatusOr<uint32_t> HandleTable::Open(absl::string_view principal,
                                           absl::string_view store,
                                           bool read_only) {
  const absl::Time now = clock_();
  absl::MutexLock lock(&mutex_);
  PrincipalTable& table = tables_[principal];
  if (table.size() >= capacity_) ReclaimIdle(table, now);
  if (table.size() >= capacity_) return StoreTableFullError(capacity_);
  const uint32_t handle = NextHandle();
  table.emplace(handle, Entry{OpenHandle{std::string(store), read_only}, now});
  owners_.emplace(handle, std::string(principal));
  return handle;
}

absl::StatusOr<std::string> HandleTable::Lookup(absl::string_view principal,
                                                uint32_t handle) {
  absl::StatusOr<OpenHandle> open = LookupHandle(principal, handle);
  if (!open.ok()) return open.status();
  return std::move(open->store);
}

absl::StatusOr<HandleTable::OpenHandle> HandleTable::LookupHandle(
    absl::string_view principal, uint32_t handle) {
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
      return entry->second.handle;
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
