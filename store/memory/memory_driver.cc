// Driver type "memory": keys and values live in a map in this process and are
// gone when the driver is destroyed. For tests, demos and caches. It takes no
// config fields.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/optional.h"
#include "absl/types/span.h"
#include "store/counter_value.h"
#include "store/driver.h"
#include "store/registry.h"
#include "store/status_macros.h"
#include "store/write_errors.h"

namespace kv {
namespace {

class MemoryDriver : public Driver {
 public:
  explicit MemoryDriver(std::string store_name)
      : store_name_(std::move(store_name)) {}

  absl::StatusOr<Versioned> Get(absl::string_view key) override {
    absl::ReaderMutexLock lock(&mutex_);
    auto it = entries_.find(key);
    if (it == entries_.end()) {
      return absl::NotFoundError(
          absl::StrCat("store \"", store_name_, "\": key not found"));
    }
    return it->second;
  }

  absl::StatusOr<std::vector<absl::optional<Versioned>>> GetMany(
      absl::Span<const absl::string_view> keys) override {
    std::vector<absl::optional<Versioned>> found;
    found.reserve(keys.size());
    absl::ReaderMutexLock lock(&mutex_);
    for (absl::string_view key : keys) {
      auto it = entries_.find(key);
      if (it == entries_.end()) {
        found.emplace_back();
      } else {
        found.emplace_back(it->second);
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
    absl::MutexLock lock(&mutex_);
    // First check every mutation against the store as it is, so a failure
    // leaves nothing applied; then apply them all.
    for (size_t i = 0; i < mutations.size(); ++i) {
      const Mutation& mutation = mutations[i];
      auto it = entries_.find(mutation.key);
      const Versioned* current = it == entries_.end() ? nullptr : &it->second;
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
      if (mutation.kind == Mutation::Kind::kDelete) {
        if (it == entries_.end()) continue;
        entries_.erase(it);
        results[i].revision = ++revision_;
        continue;
      }
      results[i].revision = ++revision_;
      if (it == entries_.end()) {
        entries_.emplace(std::string(mutation.key),
                         Versioned{std::move(copies[i]), results[i].revision});
      } else {
        // The old value (now in copies[i]) is freed after the lock is
        // released.
        it->second.value.swap(copies[i]);
        it->second.revision = results[i].revision;
      }
    }
    return results;
  }

  absl::StatusOr<bool> Exists(absl::string_view key) override {
    absl::ReaderMutexLock lock(&mutex_);
    return entries_.find(key) != entries_.end();
  }

  absl::StatusOr<uint64_t> CurrentRevision() override {
    absl::ReaderMutexLock lock(&mutex_);
    return revision_;
  }

  Durability durability() const override { return Durability::kNone; }

  // Copies keys out in batches and calls `visit` without the lock held, so
  // `visit` may be slow or call back into this driver (absl::Mutex is not
  // reentrant), and writers are never blocked for a whole listing. Each batch
  // resumes after the last key visited, which is correct whatever was set or
  // deleted in between.
  absl::Status ListKeys(
      absl::FunctionRef<bool(absl::string_view key)> visit) override {
    std::vector<std::string> batch;
    bool have_last = false;
    std::string last;
    while (true) {
      batch.clear();
      {
        absl::ReaderMutexLock lock(&mutex_);
        auto it = have_last ? entries_.upper_bound(last) : entries_.begin();
        for (; it != entries_.end() && batch.size() < kListBatch; ++it) {
          batch.push_back(it->first);
        }
      }
      if (batch.empty()) return absl::OkStatus();
      for (const std::string& key : batch) {
        if (!visit(key)) return absl::OkStatus();
      }
      last = std::move(batch.back());
      have_last = true;
    }
  }

 private:
  static constexpr size_t kListBatch = 256;

  const std::string store_name_;
  absl::Mutex mutex_;
  // std::less<> allows lookups by string_view without a copy. std::string
  // compares as unsigned char, so iteration order is byte order.
  std::map<std::string, Versioned, std::less<>> entries_
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
    return std::make_unique<MemoryDriver>(spec.name);
  };
  return type;
}

const bool kRegistered = RegisterDriverType("memory", MemoryDriverType());

}  // namespace
}  // namespace kv
