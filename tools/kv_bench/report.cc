#include "tools/kv_bench/report.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "nlohmann/json.hpp"

namespace kv {
namespace bench {
namespace {

double Micros(uint64_t nanos) { return static_cast<double>(nanos) / 1000.0; }

double KeysListedPerSecond(const LoadResult& result) {
  const double seconds = absl::ToDoubleSeconds(result.measured);
  return seconds > 0 ? static_cast<double>(result.keys_listed) / seconds : 0.0;
}

std::string FormatLatency(uint64_t nanos) {
  if (nanos >= 1000000) return absl::StrFormat("%.2f ms", nanos / 1e6);
  return absl::StrFormat("%.1f us", nanos / 1e3);
}

std::string FormatBytes(size_t bytes) {
  if (bytes >= (1 << 20) && bytes % (1 << 20) == 0) {
    return absl::StrCat(bytes >> 20, " MiB");
  }
  if (bytes >= 1024 && bytes % 1024 == 0)
    return absl::StrCat(bytes >> 10, " KiB");
  return absl::StrCat(bytes, " B");
}

}  // namespace

std::string FormatText(const RunDescription& run, const LoadResult& result) {
  std::string operation = run.operation;
  if (run.operation == "mixed") {
    absl::StrAppend(&operation,
                    absl::StrFormat(" (%.0f%% get)", run.read_fraction * 100));
  }
  const std::string concurrency =
      run.channels > 0 ? absl::StrFormat("%d in flight over %d channel(s)",
                                         run.in_flight, run.channels)
                       : absl::StrFormat("%d thread(s)", run.in_flight);
  std::string text = absl::StrFormat(
      "%s %s%s: %s, %s, %s values, %d keys %s\n", run.target, run.address,
      run.extra.empty() ? "" : " " + run.extra, operation, concurrency,
      FormatBytes(run.value_bytes), run.key_count, run.distribution);
  const Histogram& h = result.latency;
  absl::StrAppend(
      &text,
      absl::StrFormat("  throughput  %.1f RPC/s (%d calls in %.2f s)\n",
                      result.CallsPerSecond(), result.calls,
                      absl::ToDoubleSeconds(result.measured)),
      run.keys_per_call > 1
          ? absl::StrFormat("  keys        %.1f keys/s (%d keys per call)\n",
                            result.CallsPerSecond() * run.keys_per_call,
                            run.keys_per_call)
          : std::string(),
      run.operation == "list"
          ? absl::StrFormat("  keys        %.1f keys/s (pages of %d)\n",
                            KeysListedPerSecond(result), run.page_size)
          : std::string(),
      absl::StrFormat(
          "  latency     p50 %s  p90 %s  p99 %s  p99.9 %s  (min %s, mean %s, "
          "max %s)\n",
          FormatLatency(h.ValueAtPercentile(50)),
          FormatLatency(h.ValueAtPercentile(90)),
          FormatLatency(h.ValueAtPercentile(99)),
          FormatLatency(h.ValueAtPercentile(99.9)), FormatLatency(h.min()),
          FormatLatency(static_cast<uint64_t>(h.Mean())),
          FormatLatency(h.max())),
      absl::StrFormat("  errors      %d", result.error_calls));
  for (const auto& [label, count] : result.errors) {
    absl::StrAppend(&text, absl::StrFormat("  %s: %d", label, count));
  }
  absl::StrAppend(&text, "\n");
  return text;
}

std::string FormatJson(const RunDescription& run, const LoadResult& result) {
  const Histogram& h = result.latency;
  nlohmann::ordered_json json = {
      {"target", run.target},           {"address", run.address},
      {"operation", run.operation},     {"in_flight", run.in_flight},
      {"channels", run.channels},       {"value_bytes", run.value_bytes},
      {"key_count", run.key_count},     {"distribution", run.distribution},
      {"warmup_s", run.warmup_seconds}, {"duration_s", run.duration_seconds},
  };
  if (run.operation == "mixed") json["read_fraction"] = run.read_fraction;
  if (run.distribution == "zipf") json["zipf_exponent"] = run.zipf_exponent;
  if (!run.extra.empty()) json["extra"] = run.extra;
  json["calls"] = result.calls;
  json["rpc_per_s"] = result.CallsPerSecond();
  if (run.keys_per_call > 1) {
    json["keys_per_call"] = run.keys_per_call;
    json["keys_per_s"] = result.CallsPerSecond() * run.keys_per_call;
  }
  if (run.operation == "list") {
    json["page_size"] = run.page_size;
    json["keys_per_s"] = KeysListedPerSecond(result);
  }
  if (!run.ttl.empty()) json["ttl"] = run.ttl;
  if (run.expired_fraction > 0) json["expired_fraction"] = run.expired_fraction;
  json["error_calls"] = result.error_calls;
  json["errors"] = nlohmann::ordered_json::object();
  for (const auto& [label, count] : result.errors) {
    json["errors"][label] = count;
  }
  json["latency_us"] = {
      {"p50", Micros(h.ValueAtPercentile(50))},
      {"p90", Micros(h.ValueAtPercentile(90))},
      {"p99", Micros(h.ValueAtPercentile(99))},
      {"p999", Micros(h.ValueAtPercentile(99.9))},
      {"min", Micros(h.min())},
      {"mean", h.Mean() / 1000.0},
      {"max", Micros(h.max())},
  };
  return json.dump();
}

}  // namespace bench
}  // namespace kv
