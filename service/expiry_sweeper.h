#ifndef KV_SERVICE_EXPIRY_SWEEPER_H_
#define KV_SERVICE_EXPIRY_SWEEPER_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "service/store_catalog.h"

namespace kv {

// Frees the space of expired keys without any client's help. Expired keys
// are already absent to every read (the drivers filter them); this only
// reclaims their storage, through Driver::ReclaimExpired.
//
// Every `interval`, a round visits each open store and reclaims in batches
// of `batch_size` until the store reports none left, or `max_batches` per
// store per round (so one store with a million expired keys cannot starve
// the others; the next round then starts at once). Each batch is one short
// transaction, so writers interleave with a long reclaim instead of waiting
// for it. A failing store is logged once per distinct error and retried the
// next round.
class ExpirySweeper {
 public:
  struct Options {
    absl::Duration interval = absl::Seconds(1);
    size_t batch_size = 1000;
    size_t max_batches = 100;
  };

  // `catalog` must outlive the sweeper. Starts no thread: see Start.
  ExpirySweeper(StoreCatalog& catalog, Options options);
  // Stops the thread (a batch in progress finishes).
  ~ExpirySweeper();

  ExpirySweeper(const ExpirySweeper&) = delete;
  ExpirySweeper& operator=(const ExpirySweeper&) = delete;

  // Starts the background thread; the first round is one interval later.
  void Start();
  // Stops and joins the thread. Idempotent. Call before the catalog closes
  // its drivers.
  void Stop();

  // One round over every open store, as the thread makes it. Returns the
  // keys reclaimed and sets `*more` (if given) when a store still had
  // expired keys when the round stopped.
  uint64_t SweepOnce(bool* more = nullptr);

  // Keys reclaimed since construction, by every round.
  uint64_t reclaimed() const;
  // The same per store, for every store reclaimed from at least once (the
  // kvd_expired_keys_reclaimed_total metric).
  std::vector<std::pair<std::string, uint64_t>> ReclaimedByStore() const;

 private:
  void Loop();

  StoreCatalog& catalog_;
  const Options options_;
  mutable absl::Mutex mutex_;
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  uint64_t reclaimed_ ABSL_GUARDED_BY(mutex_) = 0;
  std::map<std::string, uint64_t> reclaimed_by_store_ ABSL_GUARDED_BY(mutex_);
  // The last error logged, per store, so a broken backend is not logged
  // every second.
  std::map<std::string, std::string> last_errors_ ABSL_GUARDED_BY(mutex_);
  std::thread thread_;
};

}  // namespace kv

#endif  // KV_SERVICE_EXPIRY_SWEEPER_H_
