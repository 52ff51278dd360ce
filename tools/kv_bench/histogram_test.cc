#include "tools/kv_bench/histogram.h"

#include <cstdint>

#include "gtest/gtest.h"

namespace kv {
namespace bench {
namespace {

TEST(HistogramTest, EmptyReportsZero) {
  Histogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.ValueAtPercentile(50), 0u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.Mean(), 0.0);
}

TEST(HistogramTest, SmallValuesAreExact) {
  Histogram h;
  for (uint64_t v = 1; v <= 100; ++v) h.Record(v);
  EXPECT_EQ(h.ValueAtPercentile(50), 50u);
  EXPECT_EQ(h.ValueAtPercentile(90), 90u);
  EXPECT_EQ(h.ValueAtPercentile(99), 99u);
  EXPECT_EQ(h.ValueAtPercentile(99.9), 100u);  // ceil(99.9) = rank 100
  EXPECT_EQ(h.ValueAtPercentile(100), 100u);
  EXPECT_EQ(h.ValueAtPercentile(0.001), 1u);  // rank is at least 1
  EXPECT_EQ(h.min(), 1u);
  EXPECT_EQ(h.max(), 100u);
  EXPECT_DOUBLE_EQ(h.Mean(), 50.5);
}

TEST(HistogramTest, BucketsCoverEveryValueOnceAndInOrder) {
  // Consecutive buckets tile the number line: each starts one past the
  // previous upper bound, and every value maps into the bucket whose range
  // holds it.
  uint64_t previous_upper = 0;
  for (int i = 1; i < Histogram::BucketCount(); ++i) {
    const uint64_t lower = previous_upper + 1;
    const uint64_t upper = Histogram::BucketUpperBound(i);
    ASSERT_GE(upper, lower) << "bucket " << i;
    ASSERT_EQ(Histogram::BucketIndex(lower), i) << lower;
    ASSERT_EQ(Histogram::BucketIndex(upper), i) << upper;
    previous_upper = upper;
  }
}

TEST(HistogramTest, RelativeErrorIsUnderTwoPercent) {
  for (uint64_t v :
       {uint64_t{127}, uint64_t{128}, uint64_t{1000}, uint64_t{123456},
        uint64_t{987654321}, uint64_t{60} * 1000 * 1000 * 1000}) {
    Histogram h;
    h.Record(v);
    h.Record(v + 1);  // so max() does not clip the bucket bound to v
    const uint64_t upper =
        Histogram::BucketUpperBound(Histogram::BucketIndex(v));
    EXPECT_GE(upper, v);
    EXPECT_LE(static_cast<double>(upper - v), 0.016 * v + 1) << v;
  }
}

TEST(HistogramTest, PercentilesOfAKnownDistribution) {
  // 900 fast calls of 10 us and 100 slow calls of 5 ms: p50 and p90 are
  // fast, p99 and p99.9 slow (within the bucket resolution).
  Histogram h;
  for (int i = 0; i < 900; ++i) h.Record(10000);
  for (int i = 0; i < 100; ++i) h.Record(5000000);
  EXPECT_NEAR(h.ValueAtPercentile(50), 10000, 10000 * 0.016);
  EXPECT_NEAR(h.ValueAtPercentile(90), 10000, 10000 * 0.016);
  EXPECT_EQ(h.ValueAtPercentile(99), 5000000u);  // clipped to max
  EXPECT_EQ(h.ValueAtPercentile(99.9), 5000000u);
  EXPECT_EQ(h.count(), 1000u);
}

TEST(HistogramTest, MergeEqualsRecordingEverythingInOne) {
  Histogram a, b, all;
  for (uint64_t v = 1; v < 100000; v += 37) {
    ((v % 2) ? a : b).Record(v * 13);
    all.Record(v * 13);
  }
  a.Merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.min(), all.min());
  EXPECT_EQ(a.max(), all.max());
  EXPECT_DOUBLE_EQ(a.Mean(), all.Mean());
  for (double p : {1.0, 50.0, 90.0, 99.0, 99.9, 100.0}) {
    EXPECT_EQ(a.ValueAtPercentile(p), all.ValueAtPercentile(p)) << p;
  }
}

TEST(HistogramTest, HugeValuesAreClampedNotLost) {
  Histogram h;
  h.Record(UINT64_MAX);
  EXPECT_EQ(h.count(), 1u);
  EXPECT_EQ(Histogram::BucketIndex(UINT64_MAX), Histogram::BucketCount() - 1);
  EXPECT_EQ(h.ValueAtPercentile(50),
            Histogram::BucketUpperBound(Histogram::BucketCount() - 1));
}

}  // namespace
}  // namespace bench
}  // namespace kv
