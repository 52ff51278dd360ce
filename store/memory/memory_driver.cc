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
#include "store/driver.h"
#include "store/registry.h"

namespace kv {
namespace {

class MemoryDriver : public Driver {
 public:
  explicit MemoryDriver(std::string store_name)
      : store_name_(std::move(store_name)) {}

  absl::StatusOr<std::string> Get(absl::string_view key) override {
    absl::ReaderMutexLock lock(&mutex_);
    auto it = entries_.find(key);
    if (it == entries_.end()) {
      return absl::NotFoundError(
          absl::StrCat("store \"", store_name_, "\": key not found"));
    }
    return it->second;
  }

  absl::Status Set(absl::string_view key, absl::string_view value) override {
    // Copy outside the lock: a 1 MiB value should not stall readers.
    std::string copy(value);
    absl::MutexLock lock(&mutex_);
    auto it = entries_.find(key);
    if (it == entries_.end()) {
      entries_.emplace(std::string(key), std::move(copy));
    } else {
      it->second.swap(copy);
    }
    // The old value (now in `copy`) is freed after the lock is released.
    return absl::OkStatus();
  }

  absl::Status Delete(absl::string_view key) override {
    absl::MutexLock lock(&mutex_);
    auto it = entries_.find(key);
    if (it != entries_.end()) entries_.erase(it);
    return absl::OkStatus();
  }

  absl::StatusOr<bool> Exists(absl::string_view key) override {
    absl::ReaderMutexLock lock(&mutex_);
    return entries_.find(key) != entries_.end();
  }

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
  std::map<std::string, std::string, std::less<>> entries_
      ABSL_GUARDED_BY(mutex_);
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
