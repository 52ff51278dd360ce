#include "service/expiry_sweeper.h"

#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "spdlog/spdlog.h"
#include "store/driver.h"

namespace kv {

ExpirySweeper::ExpirySweeper(StoreCatalog& catalog, Options options)
    : catalog_(catalog), options_(options) {}

ExpirySweeper::~ExpirySweeper() { Stop(); }

void ExpirySweeper::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void ExpirySweeper::Stop() {
  {
    absl::MutexLock lock(&mutex_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

uint64_t ExpirySweeper::reclaimed() const {
  absl::MutexLock lock(&mutex_);
  return reclaimed_;
}

std::vector<std::pair<std::string, uint64_t>> ExpirySweeper::ReclaimedByStore()
    const {
  absl::MutexLock lock(&mutex_);
  return {reclaimed_by_store_.begin(), reclaimed_by_store_.end()};
}

uint64_t ExpirySweeper::SweepOnce(bool* more) {
  uint64_t total = 0;
  if (more != nullptr) *more = false;
  for (const auto& [name, driver] : catalog_.OpenDrivers()) {
    for (size_t batch = 0; batch < options_.max_batches; ++batch) {
      {
        absl::MutexLock lock(&mutex_);
        if (stopping_) return total;
      }
      absl::StatusOr<size_t> reclaimed =
          driver->ReclaimExpired(options_.batch_size);
      absl::MutexLock lock(&mutex_);
      if (!reclaimed.ok()) {
        std::string error(reclaimed.status().ToString());
        std::string& last = last_errors_[name];
        if (last != error) {
          spdlog::warn("store \"{}\": reclaiming expired keys failed: {}", name,
                       error);
          last = std::move(error);
        }
        break;
      }
      if (last_errors_.erase(name) > 0) {
        spdlog::info("store \"{}\": reclaiming expired keys works again", name);
      }
      reclaimed_ += *reclaimed;
      if (*reclaimed > 0) reclaimed_by_store_[name] += *reclaimed;
      total += *reclaimed;
      if (*reclaimed < options_.batch_size) break;
      if (batch + 1 == options_.max_batches && more != nullptr) *more = true;
    }
  }
  return total;
}

void ExpirySweeper::Loop() {
  bool more = false;
  while (true) {
    {
      absl::MutexLock lock(&mutex_);
      // A round that stopped with keys left starts the next one at once.
      if (!more) {
        mutex_.AwaitWithTimeout(absl::Condition(&stopping_), options_.interval);
      }
      if (stopping_) return;
    }
    SweepOnce(&more);
  }
}

}  // namespace kv
