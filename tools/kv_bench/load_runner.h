#ifndef KV_TOOLS_KV_BENCH_LOAD_RUNNER_H_
#define KV_TOOLS_KV_BENCH_LOAD_RUNNER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tools/kv_bench/histogram.h"
#include "tools/kv_bench/key_chooser.h"
#include "tools/kv_bench/target.h"

namespace kv {
namespace bench {

// What to run: one operation, or a mix of Get and Set.
struct Workload {
  Operation operation = Operation::kGet;
  // If true, each call is a Get with probability `read_fraction`, else a Set
  // (`operation` is ignored).
  bool mixed = false;
  double read_fraction = 0.9;
};

struct LoadOptions {
  Workload workload;
  int depth = 1;  // calls in flight (closed loop: one per slot)
  KeyDistribution distribution = KeyDistribution::kUniform;
  uint64_t key_count = 1000;
  double zipf_exponent = 1.01;
  uint64_t seed = 1;
  std::string value;  // what Set writes
  absl::Duration warmup = absl::Seconds(1);
  absl::Duration duration = absl::Seconds(5);
  // How long to wait for the calls still in flight at the end.
  absl::Duration drain_timeout = absl::Seconds(60);
};

struct LoadResult {
  absl::Duration measured;   // the measurement window
  uint64_t calls = 0;        // calls completed in the window, errors included
  uint64_t error_calls = 0;  // of which failed
  uint64_t keys_listed = 0;  // keys returned by the window's kList calls
  Histogram latency;         // every call completed in the window
  std::map<std::string, uint64_t> errors;  // label -> count
  double CallsPerSecond() const;
};

// Runs `options.depth` closed-loop slots against `target` (already
// Prepare()d for that many slots) for warm-up plus duration, and measures
// the calls that complete within the duration window. Fails if the target
// does not support the operation or calls do not drain in time.
absl::StatusOr<LoadResult> RunLoad(Target& target, const LoadOptions& options);

// Writes keys 0 .. key_count-1 with `value`, `depth` at a time; calls
// `progress(written)` about once a second. Fails on the first error.
absl::Status Preload(Target& target, uint64_t key_count,
                     const std::string& value, int depth,
                     const std::function<void(uint64_t)>& progress);

}  // namespace bench
}  // namespace kv

#endif  // KV_TOOLS_KV_BENCH_LOAD_RUNNER_H_
