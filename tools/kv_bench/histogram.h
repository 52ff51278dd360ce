#ifndef KV_TOOLS_KV_BENCH_HISTOGRAM_H_
#define KV_TOOLS_KV_BENCH_HISTOGRAM_H_

#include <cstdint>
#include <vector>

namespace kv {
namespace bench {

// A latency histogram in nanoseconds with log-linear buckets, in the manner
// of HdrHistogram: values below 128 ns are exact; above, each power of two is
// split into 64 equal buckets, so a reported value is within 1/64 (1.6%) of
// the true one. Recording is O(1) and allocation free; the bucket array is
// fixed (about 18 KB) and covers values up to 2^41 ns (about 36 minutes);
// larger values are clamped to the last bucket.
//
// Not thread-safe: give each recording thread (or each closed-loop slot) its
// own histogram and Merge() them afterwards.
class Histogram {
 public:
  Histogram();

  void Record(uint64_t nanos);
  void Merge(const Histogram& other);

  uint64_t count() const { return count_; }
  uint64_t min() const { return count_ == 0 ? 0 : min_; }
  uint64_t max() const { return max_; }
  double Mean() const;

  // The value at `percentile` (0 < percentile <= 100): the smallest recorded
  // value v such that at least `percentile`% of the values are <= v, reported
  // as the upper bound of v's bucket (never above max()). 0 if empty.
  uint64_t ValueAtPercentile(double percentile) const;

  // Exposed for tests: the bucket a value falls in, and the largest value
  // that bucket holds.
  static int BucketIndex(uint64_t nanos);
  static uint64_t BucketUpperBound(int index);
  static int BucketCount();

 private:
  std::vector<uint64_t> buckets_;
  uint64_t count_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
  long double sum_ = 0;
};

}  // namespace bench
}  // namespace kv

#endif  // KV_TOOLS_KV_BENCH_HISTOGRAM_H_
