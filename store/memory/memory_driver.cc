// Driver type "memory": keys and values live in a map in this process and are
// gone when the driver is destroyed. For tests, demos and caches. It takes no
// config fields. Expiry is judged by the StoreSpec's clock; expiring keys are
// also indexed by expiry time, so ReclaimExpired finds them without a scan.

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"
#include "absl/types/span.h"
#include "store/clock.h"
#include "store/counter_value.h"
#include "store/driver.h"
#include "store/expiry.h"
#include "store/key_range.h"
#include "store/registry.h"
#include "store/status_macros.h"
#include "store/write_errors.h"

namespace kv {
namespace {

class MemoryDriver : public Driver {
 public:
  MemoryDriver(std::string store_name, const Clock& clock)
      : store_name_(std::move(store_name)), clock_(clock) {}

  absl::StatusOr<Versioned> Get(absl::string_view key) override {
    const absl::Time now = clock_.Now();
    absl::ReaderMutexLock lock(&mutex_);
    const Versioned* found = Live(key, now);
    if (found == nullptr) {
      return absl::NotFoundError(
          absl::StrCat("store \"", store_name_, "\": key not found"));
    }
    return *found;
  }

  absl::StatusOr<std::vector<absl::optional<Versioned>>> GetMany(
      absl::Span<const absl::string_view> keys) override {
    std::vector<absl::optional<Versioned>> found;
    found.reserve(keys.size());
    const absl::Time now = clock_.Now();
    absl::ReaderMutexLock lock(&mutex_);
    for (absl::string_view key : keys) {
      const Versioned* entry = Live(key, now);
      if (entry == nullptr) {
        found.emplace_back();
      } else {
        found.emplace_back(*entry);
      }
    }
    return found;
  }

  absl::StatusOr<MutationResults> Write(
      absl::Span<const Mutation> mutations) override {
    // Copy values outside the lock: a 1 MiB value should not stall readers.
    std::vector<std::string> copies(mutations.size());
    for (size_t i = 0; i < mutations.size(); ++i) {
      if (mutations[i].kind == Mutation::Kind::kSet) {
        copies[i] = std::string(mutations[i].value);
      }
    }
    MutationResults results(mutations.size());
    const absl::Time now = clock_.Now();
    absl::MutexLock lock(&mutex_);
    // First check every mutation against the store as it is, so a failure
    // leaves nothing applied; then apply them all.
    for (size_t i = 0; i < mutations.size(); ++i) {
      const Mutation& mutation = mutations[i];
      const Versioned* current = Live(mutation.key, now);
      if (mutation.if_revision.has_value()) {
        uint64_t revision = current == nullptr ? 0 : current->revision;
        if (revision != *mutation.if_revision) {
          return ConditionFailedError(i, mutation.key, *mutation.if_revision,
                                      revision);
        }
      }
      if (mutation.kind == Mutation::Kind::kIncrement) {
        KV_ASSIGN_OR_RETURN(
            results[i].value,
            IncrementedCounter(current == nullptr ? nullptr : &current->value,
                               mutation.delta, i, mutation.key));
        copies[i] = FormatCounter(results[i].value);
      }
    }
    for (size_t i = 0; i < mutations.size(); ++i) {
      const Mutation& mutation = mutations[i];
      auto it = entries_.find(mutation.key);
      // An expired entry still in the map counts as absent.
      if (it != entries_.end() && it->second.expire_time <= now) {
        Unindex(it);
        entries_.erase(it);
        it = entries_.end();
      }
      if (mutation.kind == Mutation::Kind::kDelete) {
        if (it == entries_.end()) continue;
        Unindex(it);
        entries_.erase(it);
        results[i].revision = ++revision_;
        continue;
      }
      results[i].revision = ++revision_;
      if (it == entries_.end()) {
        it = entries_
                 .emplace(std::string(mutation.key),
                          Versioned{std::move(copies[i]), results[i].revision})
                 .first;
      } else {
        // The old value (now in copies[i]) is freed after the lock is
        // released.
        it->second.value.swap(copies[i]);
        it->second.revision = results[i].revision;
      }
      if (mutation.kind == Mutation::Kind::kSet) {
        Unindex(it);
        it->second.expire_time = ExpireTimeOf(ExpiryMillis(now, mutation.ttl));
        if (it->second.expire_time != absl::InfiniteFuture()) {
          expiring_.emplace(it->second.expire_time, it->first);
        }
      }
    }
    return results;
  }

  absl::StatusOr<bool> Exists(absl::string_view key) override {
    const absl::Time now = clock_.Now();
    absl::ReaderMutexLock lock(&mutex_);
    return Live(key, now) != nullptr;
  }

  absl::StatusOr<uint64_t> CurrentRevision() override {
    absl::ReaderMutexLock lock(&mutex_);
    return revision_;
  }

  Durability durability() const override { return Durability::kNone; }

  absl::StatusOr<KeyPage> ListKeyPage(const KeyPageRequest& request) override {
    const absl::optional<std::string> end = PrefixEnd(request.prefix);
    const absl::Time now = clock_.Now();
    KeyPage page;
    absl::ReaderMutexLock lock(&mutex_);
    auto it = request.after < request.prefix
                  ? entries_.lower_bound(request.prefix)
                  : entries_.upper_bound(request.after);
    for (; it != entries_.end(); ++it) {
      if (end.has_value() && it->first >= *end) break;
      if (it->second.expire_time <= now) continue;
      if (page.keys.size() == request.limit) {
        page.more = true;
        break;
      }
      page.keys.push_back(it->first);
    }
    return page;
  }

  absl::StatusOr<size_t> ReclaimExpired(size_t max_keys) override {
    const absl::Time now = clock_.Now();
    size_t reclaimed = 0;
    absl::MutexLock lock(&mutex_);
    while (reclaimed < max_keys && !expiring_.empty() &&
           expiring_.begin()->first <= now) {
      entries_.erase(expiring_.begin()->second);
      expiring_.erase(expiring_.begin());
      ++reclaimed;
    }
    return reclaimed;
  }

 private:
  using Entries = std::map<std::string, Versioned, std::less<>>;

  // The entry under `key` unless it is absent or expired at `now`.
  const Versioned* Live(absl::string_view key, absl::Time now) const
      ABSL_SHARED_LOCKS_REQUIRED(mutex_) {
    auto it = entries_.find(key);
    if (it == entries_.end() || it->second.expire_time <= now) return nullptr;
    return &it->second;
  }

  // Drops `it`'s entry from expiring_, if it has one.
  void Unindex(Entries::iterator it) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    if (it->second.expire_time == absl::InfiniteFuture()) return;
    expiring_.erase({it->second.expire_time, it->first});
    it->second.expire_time = absl::InfiniteFuture();
  }

  const std::string store_name_;
  const Clock& clock_;
  absl::Mutex mutex_;
  // std::less<> allows lookups by string_view without a copy. std::string
  // compares as unsigned char, so iteration order is byte order.
  Entries entries_ ABSL_GUARDED_BY(mutex_);
  // (expire_time, key) of every entry that expires, soonest first.
  std::set<std::pair<absl::Time, std::string>> expiring_
      ABSL_GUARDED_BY(mutex_);
  uint64_t revision_ ABSL_GUARDED_BY(mutex_) = 0;
};

DriverType MemoryDriverType() {
  DriverType type;
  type.fast_reads = true;
  // A write is a map update under a mutex.
  type.nonblocking_writes = true;
  type.description = "In-process map; the data is lost when kvd exits";
  type.open =
      [](const StoreSpec& spec) -> absl::StatusOr<std::unique_ptr<Driver>> {
    return std::make_unique<MemoryDriver>(spec.name, *spec.clock);
  };
  return type;
}

const bool kRegistered = RegisterDriverType("memory", MemoryDriverType());

}  // namespace
}  // namespace kv
