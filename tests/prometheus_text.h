#ifndef KV_TESTS_PROMETHEUS_TEXT_H_
#define KV_TESTS_PROMETHEUS_TEXT_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/optional.h"

namespace kv::testing {

// One sample of Prometheus' text exposition format:
//   name{label="value",...} 42
struct PrometheusSample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

// Parses exposition text (comments skipped, label values unescaped), or
// explains the first line it cannot read.
absl::StatusOr<std::vector<PrometheusSample>> ParsePrometheusText(
    const std::string& text);

// The value of the sample named `name` whose labels are exactly `labels`.
absl::optional<double> FindSample(
    const std::vector<PrometheusSample>& samples, const std::string& name,
    const std::map<std::string, std::string>& labels);

}  // namespace kv::testing

#endif  // KV_TESTS_PROMETHEUS_TEXT_H_
