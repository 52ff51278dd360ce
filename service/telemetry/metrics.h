#ifndef KV_SERVICE_TELEMETRY_METRICS_H_
#define KV_SERVICE_TELEMETRY_METRICS_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "prometheus/collectable.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "service/telemetry/call_observer.h"

namespace kv {

// kvd's Prometheus metrics (docs/observability.md lists them):
//   kvd_requests_total{method,store,grpc_code,error_code}  counter
//   kvd_request_duration_seconds{method,store}             histogram
//   kvd_backend_errors_total{store}                        counter
//   kvd_open_handles{principal}                            gauge, on scrape
//   kvd_store_size_bytes{store}                            gauge, on scrape
//
// Label values come from bounded sets only: method names, configured store
// names ("" for calls that reached no store), status and error code names,
// and principals. Keys and values never become labels.
//
// Thread-safe.
class KvMetrics final : public CallObserver {
 public:
  // Where the gauges read their values, on each scrape.
  struct GaugeSources {
    // (principal, open handles) pairs; "" is the anonymous principal.
    std::function<std::vector<std::pair<std::string, size_t>>()> open_handles;
    // (store, bytes) pairs for stores that know their size.
    std::function<std::vector<std::pair<std::string, uint64_t>>()> store_sizes;
    // (store, expired keys reclaimed since kvd started) pairs: a counter.
    std::function<std::vector<std::pair<std::string, uint64_t>>()>
        expired_keys_reclaimed;
  };

  // `stores` are the configured store names; calls naming any other store
  // are counted under store="".
  explicit KvMetrics(const std::vector<std::string>& stores);

  // Sets the gauges' sources. Call before the metrics are first collected
  // (before serving them); until then the gauges are empty.
  void SetGaugeSources(GaugeSources sources);

  void OnCallFinished(const CallRecord& call) override;

  // Everything to expose on /metrics: the counters and histograms, and the
  // gauges read on scrape.
  std::vector<std::weak_ptr<prometheus::Collectable>> Collectables() const;

  // The metrics in Prometheus' text exposition format, as /metrics serves
  // them.
  std::string Render() const;

  // The histogram's bucket upper bounds, in seconds: 50µs to 5s.
  static const prometheus::Histogram::BucketBoundaries& LatencyBuckets();

 private:
  class ScrapedGauges;

  prometheus::Counter& RequestCounter(const CallRecord& call,
                                      const std::string& store);
  prometheus::Histogram& DurationHistogram(const CallRecord& call,
                                           const std::string& store);

  const absl::flat_hash_set<std::string> stores_;
  const std::shared_ptr<prometheus::Registry> registry_;
  const std::shared_ptr<ScrapedGauges> gauges_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& durations_;
  prometheus::Family<prometheus::Counter>& backend_errors_;

  // Each label set's metric, so a call costs one lookup here rather than
  // building it again in the family.
  absl::Mutex mutex_;
  absl::flat_hash_map<std::string, prometheus::Counter*> request_counters_
      ABSL_GUARDED_BY(mutex_);
  absl::flat_hash_map<std::string, prometheus::Histogram*> histograms_
      ABSL_GUARDED_BY(mutex_);
  absl::flat_hash_map<std::string, prometheus::Counter*> backend_counters_;
};

}  // namespace kv

#endif  // KV_SERVICE_TELEMETRY_METRICS_H_
