#ifndef KV_TOOLS_KV_BENCH_REPORT_H_
#define KV_TOOLS_KV_BENCH_REPORT_H_

#include <string>

#include "tools/kv_bench/load_runner.h"

namespace kv {
namespace bench {

// What was run, for the report.
struct RunDescription {
  std::string target;        // "kvd", "etcd" or "sqlite-raw"
  std::string address;       // server address, or the SQLite file
  std::string operation;     // get, set, mixed, exists, get_keys, noop
  double read_fraction = 0;  // for mixed
  int in_flight = 0;
  int channels = 0;
  size_t value_bytes = 0;
  uint64_t key_count = 0;
  std::string distribution;  // uniform or zipf
  double zipf_exponent = 0;
  double warmup_seconds = 0;
  double duration_seconds = 0;
  std::string extra;  // target specifics, e.g. "serializable", "batch=100"
  // Keys each call reads or writes: the batch size of get_many and
  // set_many, else 1 (get_keys: 0, it lists the whole store).
  int keys_per_call = 1;
  // list: the page_size asked for (keys/s counts the keys returned).
  int page_size = 0;
  // set: the ttl every Set carried, e.g. "1h"; empty for none.
  std::string ttl;
  // The fraction of the preloaded keys written with a short ttl and waited
  // out before measuring (--expired-fraction).
  double expired_fraction = 0;
};

// A few lines for a person: throughput, latency percentiles, errors.
std::string FormatText(const RunDescription& run, const LoadResult& result);

// One JSON object on one line (keys documented in docs/development.md):
// the run's parameters, "calls", "rpc_per_s", "errors" (label -> count),
// "error_calls", "latency_us" {p50, p90, p99, p999, min, mean, max}; and for
// batch operations "keys_per_call" and "keys_per_s"; for list "page_size"
// and "keys_per_s" (keys returned); "ttl" and "expired_fraction" when set.
std::string FormatJson(const RunDescription& run, const LoadResult& result);

}  // namespace bench
}  // namespace kv

#endif  // KV_TOOLS_KV_BENCH_REPORT_H_
