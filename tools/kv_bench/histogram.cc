#include "tools/kv_bench/histogram.h"

#include <algorithm>
#include <cmath>

namespace kv {
namespace bench {
namespace {

// Values below 2^kExactBits are their own bucket; each later power of two
// [2^m, 2^(m+1)) gets kSubBuckets buckets of width 2^(m - kSubBucketBits).
constexpr int kExactBits = 7;
constexpr int kSubBucketBits = kExactBits - 1;
constexpr int kSubBuckets = 1 << kSubBucketBits;  // 64
constexpr int kMaxMagnitude = 40;                 // values < 2^41
constexpr int kBucketCount =
    (1 << kExactBits) + (kMaxMagnitude - kExactBits + 1) * kSubBuckets;

int Log2Floor(uint64_t v) { return 63 - __builtin_clzll(v); }

}  // namespace

Histogram::Histogram() : buckets_(kBucketCount, 0) {}

int Histogram::BucketCount() { return kBucketCount; }

int Histogram::BucketIndex(uint64_t nanos) {
  if (nanos < (uint64_t{1} << kExactBits)) return static_cast<int>(nanos);
  int magnitude = Log2Floor(nanos);
  if (magnitude > kMaxMagnitude) return kBucketCount - 1;
  const int shift = magnitude - kSubBucketBits;
  const int sub = static_cast<int>(nanos >> shift) - kSubBuckets;  // [0, 64)
  return (1 << kExactBits) + (magnitude - kExactBits) * kSubBuckets + sub;
}

uint64_t Histogram::BucketUpperBound(int index) {
  if (index < (1 << kExactBits)) return static_cast<uint64_t>(index);
  const int offset = index - (1 << kExactBits);
  const int magnitude = kExactBits + offset / kSubBuckets;
  const int sub = offset % kSubBuckets;
  const int shift = magnitude - kSubBucketBits;
  const uint64_t lower = static_cast<uint64_t>(kSubBuckets + sub) << shift;
  return lower + (uint64_t{1} << shift) - 1;
}

void Histogram::Record(uint64_t nanos) {
  ++buckets_[BucketIndex(nanos)];
  ++count_;
  min_ = std::min(min_, nanos);
  max_ = std::max(max_, nanos);
  sum_ += nanos;
}

void Histogram::Merge(const Histogram& other) {
  for (int i = 0; i < kBucketCount; ++i) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  sum_ += other.sum_;
}

double Histogram::Mean() const {
  return count_ == 0 ? 0.0 : static_cast<double>(sum_ / count_);
}

uint64_t Histogram::ValueAtPercentile(double percentile) const {
  if (count_ == 0) return 0;
  percentile = std::min(100.0, std::max(0.0, percentile));
  // The rank of the wanted value, 1-based: ceil(p% of count), at least 1.
  uint64_t rank = static_cast<uint64_t>(
      std::ceil(percentile / 100.0 * static_cast<double>(count_)));
  rank = std::max<uint64_t>(1, std::min(rank, count_));
  uint64_t seen = 0;
  for (int i = 0; i < kBucketCount; ++i) {
    seen += buckets_[i];
    if (seen >= rank) return std::min(BucketUpperBound(i), max_);
  }
  return max_;
}

}  // namespace bench
}  // namespace kv
