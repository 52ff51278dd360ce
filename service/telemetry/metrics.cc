#include "service/telemetry/metrics.h"

#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "prometheus/metric_family.h"
#include "prometheus/text_serializer.h"

namespace kv {
namespace {

// A failure of the store's backend, as BackendError reports it: IO with
// UNAVAILABLE (unreachable) or INTERNAL. IO with INVALID_ARGUMENT or
// RESOURCE_EXHAUSTED is a bad request, not a backend fault.
bool IsBackendError(const CallRecord& call) {
  return call.error_code == v1::ERROR_CODE_IO &&
         (call.code == absl::StatusCode::kUnavailable ||
          call.code == absl::StatusCode::kInternal);
}

prometheus::ClientMetric GaugeSample(const std::string& label,
                                     const std::string& value, double gauge) {
  prometheus::ClientMetric metric;
  metric.label.push_back({label, value});
  metric.gauge.value = gauge;
  return metric;
}

}  // namespace

// The gauges whose values live elsewhere (handle table, store files): read
// from their sources on each scrape, so they are never stale and a principal
// or store that is gone simply disappears.
class KvMetrics::ScrapedGauges final : public prometheus::Collectable {
 public:
  void SetSources(GaugeSources sources) {
    absl::MutexLock lock(&mutex_);
    sources_ = std::move(sources);
  }

  std::vector<prometheus::MetricFamily> Collect() const override {
    GaugeSources sources;
    {
      absl::MutexLock lock(&mutex_);
      sources = sources_;
    }
    prometheus::MetricFamily handles{"kvd_open_handles",
                                     "Store handles each principal holds open.",
                                     prometheus::MetricType::Gauge,
                                     {}};
    if (sources.open_handles) {
      for (const auto& [principal, count] : sources.open_handles()) {
        handles.metric.push_back(
            GaugeSample("principal", PrincipalLabel(principal), count));
      }
    }
    prometheus::MetricFamily sizes{
        "kvd_store_size_bytes",
        "Bytes a store's data occupies (SQLite: the database file and its "
        "write-ahead log).",
        prometheus::MetricType::Gauge,
        {}};
    if (sources.store_sizes) {
      for (const auto& [store, bytes] : sources.store_sizes()) {
        sizes.metric.push_back(
            GaugeSample("store", store, static_cast<double>(bytes)));
      }
    }
    prometheus::MetricFamily reclaimed{
        "kvd_expired_keys_reclaimed_total",
        "Expired keys whose space the background sweeper has freed (they "
        "were absent to reads from the moment they expired).",
        prometheus::MetricType::Counter,
        {}};
    if (sources.expired_keys_reclaimed) {
      for (const auto& [store, count] : sources.expired_keys_reclaimed()) {
        prometheus::ClientMetric metric;
        metric.label.push_back({"store", store});
        metric.counter.value = static_cast<double>(count);
        reclaimed.metric.push_back(std::move(metric));
      }
    }
    return {std::move(handles), std::move(sizes), std::move(reclaimed)};
  }

 private:
  mutable absl::Mutex mutex_;
  GaugeSources sources_ ABSL_GUARDED_BY(mutex_);
};

const prometheus::Histogram::BucketBoundaries& KvMetrics::LatencyBuckets() {
  static const auto* const buckets =
      new prometheus::Histogram::BucketBoundaries{
          0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
          0.025,   0.05,   0.1,     0.25,   0.5,   1,      2.5,   5};
  return *buckets;
}

KvMetrics::KvMetrics(const std::vector<std::string>& stores)
    : stores_(stores.begin(), stores.end()),
      registry_(std::make_shared<prometheus::Registry>()),
      gauges_(std::make_shared<ScrapedGauges>()),
      requests_(prometheus::BuildCounter()
                    .Name("kvd_requests_total")
                    .Help("KeyValue calls finished, by method, store, gRPC "
                          "status code and kv.v1.ErrorCode.")
                    .Register(*registry_)),
      durations_(prometheus::BuildHistogram()
                     .Name("kvd_request_duration_seconds")
                     .Help("Time from a KeyValue call's arrival to its "
                           "completion, by method and store.")
                     .Register(*registry_)),
      backend_errors_(prometheus::BuildCounter()
                          .Name("kvd_backend_errors_total")
                          .Help("Calls that failed because the store's "
                                "backend failed or could not be reached.")
                          .Register(*registry_)) {
  // Present from the start, so rate() and alerts see a 0 before the first
  // error.
  for (const std::string& store : stores) {
    backend_counters_[store] = &backend_errors_.Add({{"store", store}});
  }
}

void KvMetrics::SetGaugeSources(GaugeSources sources) {
  gauges_->SetSources(std::move(sources));
}

prometheus::Counter& KvMetrics::RequestCounter(const CallRecord& call,
                                               const std::string& store) {
  const std::string code = absl::StatusCodeToString(call.code);
  const std::string error_code = ErrorCodeLabel(call.error_code);
  const std::string key =
      absl::StrCat(call.method, "\n", store, "\n", code, "\n", error_code);
  absl::MutexLock lock(&mutex_);
  prometheus::Counter*& counter = request_counters_[key];
  if (counter == nullptr) {
    counter = &requests_.Add({{"method", call.method},
                              {"store", store},
                              {"grpc_code", code},
                              {"error_code", error_code}});
  }
  return *counter;
}

prometheus::Histogram& KvMetrics::DurationHistogram(const CallRecord& call,
                                                    const std::string& store) {
  const std::string key = absl::StrCat(call.method, "\n", store);
  absl::MutexLock lock(&mutex_);
  prometheus::Histogram*& histogram = histograms_[key];
  if (histogram == nullptr) {
    histogram = &durations_.Add({{"method", call.method}, {"store", store}},
                                LatencyBuckets());
  }
  return *histogram;
}

void KvMetrics::OnCallFinished(const CallRecord& call) {
  // The service reports only configured stores; this keeps the label set
  // bounded even if a caller of this class does not.
  const std::string store = stores_.contains(call.store) ? call.store : "";
  RequestCounter(call, store).Increment();
  DurationHistogram(call, store).Observe(absl::ToDoubleSeconds(call.duration));
  if (IsBackendError(call)) {
    auto it = backend_counters_.find(store);
    if (it != backend_counters_.end()) it->second->Increment();
  }
}

std::vector<std::weak_ptr<prometheus::Collectable>> KvMetrics::Collectables()
    const {
  return {registry_, gauges_};
}

std::string KvMetrics::Render() const {
  std::vector<prometheus::MetricFamily> families = registry_->Collect();
  for (prometheus::MetricFamily& family : gauges_->Collect()) {
    families.push_back(std::move(family));
  }
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return out.str();
}

}  // namespace kv
