#include "service/telemetry/metrics.h"

#include <algorithm>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/prometheus_text.h"

namespace kv {
namespace {

using ::kv::testing::FindSample;
using ::kv::testing::ParsePrometheusText;
using ::kv::testing::PrometheusSample;
using ::testing::Each;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Optional;

using Labels = std::map<std::string, std::string>;

CallRecord Call(const std::string& method, const std::string& store,
                absl::StatusCode code = absl::StatusCode::kOk,
                v1::ErrorCode error_code = v1::ERROR_CODE_UNSPECIFIED) {
  CallRecord call;
  call.method = method;
  call.store = store;
  call.code = code;
  call.error_code = error_code;
  call.duration = absl::Microseconds(300);
  return call;
}

std::vector<PrometheusSample> Scrape(const KvMetrics& metrics) {
  absl::StatusOr<std::vector<PrometheusSample>> samples =
      ParsePrometheusText(metrics.Render());
  EXPECT_TRUE(samples.ok()) << samples.status();
  return samples.ok() ? *samples : std::vector<PrometheusSample>();
}

TEST(KvMetricsTest, CountsCallsByMethodStoreAndCodes) {
  KvMetrics metrics({"default", "cache"});
  metrics.OnCallFinished(Call("Get", "default"));
  metrics.OnCallFinished(Call("Get", "default"));
  metrics.OnCallFinished(Call("Get", "default", absl::StatusCode::kNotFound,
                              v1::ERROR_CODE_NO_SUCH_KEY));
  metrics.OnCallFinished(Call("Set", "cache"));
  const std::vector<PrometheusSample> samples = Scrape(metrics);
  EXPECT_THAT(FindSample(samples, "kvd_requests_total",
                         {{"method", "Get"},
                          {"store", "default"},
                          {"grpc_code", "OK"},
                          {"error_code", ""}}),
              Optional(2.0));
  EXPECT_THAT(FindSample(samples, "kvd_requests_total",
                         {{"method", "Get"},
                          {"store", "default"},
                          {"grpc_code", "NOT_FOUND"},
                          {"error_code", "NO_SUCH_KEY"}}),
              Optional(1.0));
  EXPECT_THAT(FindSample(samples, "kvd_requests_total",
                         {{"method", "Set"},
                          {"store", "cache"},
                          {"grpc_code", "OK"},
                          {"error_code", ""}}),
              Optional(1.0));
  EXPECT_THAT(FindSample(samples, "kvd_request_duration_seconds_count",
                         {{"method", "Get"}, {"store", "default"}}),
              Optional(3.0));
  // 300µs lands in the 0.0005 bucket, not the 0.00025 one.
  EXPECT_THAT(
      FindSample(samples, "kvd_request_duration_seconds_bucket",
                 {{"method", "Get"}, {"store", "default"}, {"le", "0.00025"}}),
      Optional(0.0));
  EXPECT_THAT(
      FindSample(samples, "kvd_request_duration_seconds_bucket",
                 {{"method", "Get"}, {"store", "default"}, {"le", "0.0005"}}),
      Optional(3.0));
}

TEST(KvMetricsTest, UnconfiguredStoresShareTheEmptyLabel) {
  KvMetrics metrics({"default"});
  metrics.OnCallFinished(Call("Open", "made-up-1", absl::StatusCode::kNotFound,
                              v1::ERROR_CODE_NO_SUCH_STORE));
  metrics.OnCallFinished(Call("Open", "made-up-2", absl::StatusCode::kNotFound,
                              v1::ERROR_CODE_NO_SUCH_STORE));
  EXPECT_THAT(FindSample(Scrape(metrics), "kvd_requests_total",
                         {{"method", "Open"},
                          {"store", ""},
                          {"grpc_code", "NOT_FOUND"},
                          {"error_code", "NO_SUCH_STORE"}}),
              Optional(2.0));
  EXPECT_THAT(metrics.Render(), Not(HasSubstr("made-up")));
}

TEST(KvMetricsTest, BackendErrorsAreIoWithUnavailableOrInternal) {
  KvMetrics metrics({"default", "orders"});
  const std::vector<PrometheusSample> before = Scrape(metrics);
  EXPECT_THAT(
      FindSample(before, "kvd_backend_errors_total", {{"store", "orders"}}),
      Optional(0.0));
  metrics.OnCallFinished(
      Call("Get", "orders", absl::StatusCode::kUnavailable, v1::ERROR_CODE_IO));
  metrics.OnCallFinished(
      Call("Set", "orders", absl::StatusCode::kInternal, v1::ERROR_CODE_IO));
  // A bad request is IO too, but not the backend's fault.
  metrics.OnCallFinished(Call(
      "Set", "orders", absl::StatusCode::kInvalidArgument, v1::ERROR_CODE_IO));
  metrics.OnCallFinished(Call("Get", "orders", absl::StatusCode::kNotFound,
                              v1::ERROR_CODE_NO_SUCH_KEY));
  const std::vector<PrometheusSample> after = Scrape(metrics);
  EXPECT_THAT(
      FindSample(after, "kvd_backend_errors_total", {{"store", "orders"}}),
      Optional(2.0));
  EXPECT_THAT(
      FindSample(after, "kvd_backend_errors_total", {{"store", "default"}}),
      Optional(0.0));
}

TEST(KvMetricsTest, GaugesAreReadFromTheirSourcesOnEachScrape) {
  KvMetrics metrics({"default"});
  size_t handles = 3;
  metrics.SetGaugeSources(
      {[&handles] {
         return std::vector<std::pair<std::string, size_t>>{{"", handles},
                                                            {"checkout", 1}};
       },
       [] {
         return std::vector<std::pair<std::string, uint64_t>>{
             {"default", 8192}};
       },
       [] {
         return std::vector<std::pair<std::string, uint64_t>>{{"default", 42}};
       }});
  std::vector<PrometheusSample> samples = Scrape(metrics);
  EXPECT_THAT(FindSample(samples, "kvd_expired_keys_reclaimed_total",
                         {{"store", "default"}}),
              Optional(42.0));
  EXPECT_THAT(
      FindSample(samples, "kvd_open_handles", {{"principal", "anonymous"}}),
      Optional(3.0));
  EXPECT_THAT(
      FindSample(samples, "kvd_open_handles", {{"principal", "checkout"}}),
      Optional(1.0));
  EXPECT_THAT(
      FindSample(samples, "kvd_store_size_bytes", {{"store", "default"}}),
      Optional(8192.0));
  handles = 0;
  EXPECT_THAT(FindSample(Scrape(metrics), "kvd_open_handles",
                         {{"principal", "anonymous"}}),
              Optional(0.0));
}

TEST(KvMetricsTest, ConcurrentCallsAndScrapesCountEveryCall) {
  KvMetrics metrics({"default"});
  metrics.SetGaugeSources(
      {[] {
         return std::vector<std::pair<std::string, size_t>>{{"", 1}};
       },
       [] { return std::vector<std::pair<std::string, uint64_t>>(); }});
  constexpr int kThreads = 4;
  constexpr int kCallsPerThread = 500;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&metrics, t] {
      for (int i = 0; i < kCallsPerThread; ++i) {
        metrics.OnCallFinished(Call(t % 2 == 0 ? "Get" : "Set", "default"));
      }
    });
  }
  threads.emplace_back([&metrics] {
    for (int i = 0; i < 20; ++i) metrics.Render();
  });
  for (std::thread& thread : threads) thread.join();
  const std::vector<PrometheusSample> samples = Scrape(metrics);
  for (const char* method : {"Get", "Set"}) {
    EXPECT_THAT(FindSample(samples, "kvd_requests_total",
                           {{"method", method},
                            {"store", "default"},
                            {"grpc_code", "OK"},
                            {"error_code", ""}}),
                Optional(static_cast<double>(kThreads / 2 * kCallsPerThread)));
  }
}

TEST(KvMetricsTest, LatencyBucketsSpan50MicrosecondsTo5Seconds) {
  const auto& buckets = KvMetrics::LatencyBuckets();
  ASSERT_FALSE(buckets.empty());
  EXPECT_DOUBLE_EQ(buckets.front(), 0.00005);
  EXPECT_DOUBLE_EQ(buckets.back(), 5);
  EXPECT_TRUE(std::is_sorted(buckets.begin(), buckets.end()));
}

}  // namespace
}  // namespace kv
