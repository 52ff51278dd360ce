#include "tests/prometheus_text.h"

#include <cmath>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace kv::testing {
namespace {

absl::Status Malformed(absl::string_view line, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("bad exposition line (", why, "): ", line));
}

// Parses `label="value",...` up to the closing brace into `labels`; leaves
// `rest` after the brace.
absl::Status ParseLabels(absl::string_view line, absl::string_view& rest,
                         std::map<std::string, std::string>& labels) {
  while (true) {
    if (rest.empty()) return Malformed(line, "unterminated labels");
    if (rest.front() == '}') {
      rest.remove_prefix(1);
      return absl::OkStatus();
    }
    const size_t equals = rest.find("=\"");
    if (equals == absl::string_view::npos) {
      return Malformed(line, "label without =\"");
    }
    const std::string name(rest.substr(0, equals));
    rest.remove_prefix(equals + 2);
    std::string value;
    while (true) {
      if (rest.empty()) return Malformed(line, "unterminated label value");
      const char c = rest.front();
      rest.remove_prefix(1);
      if (c == '"') break;
      if (c == '\\' && !rest.empty()) {
        const char escaped = rest.front();
        rest.remove_prefix(1);
        value.push_back(escaped == 'n' ? '\n' : escaped);
      } else {
        value.push_back(c);
      }
    }
    labels[name] = value;
    if (!rest.empty() && rest.front() == ',') rest.remove_prefix(1);
  }
}

}  // namespace

absl::StatusOr<std::vector<PrometheusSample>> ParsePrometheusText(
    const std::string& text) {
  std::vector<PrometheusSample> samples;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (line.empty() || line.front() == '#') continue;
    PrometheusSample sample;
    const size_t name_end = line.find_first_of("{ ");
    if (name_end == absl::string_view::npos) {
      return Malformed(line, "no value");
    }
    sample.name = std::string(line.substr(0, name_end));
    absl::string_view rest = line.substr(name_end);
    if (rest.front() == '{') {
      rest.remove_prefix(1);
      absl::Status labels = ParseLabels(line, rest, sample.labels);
      if (!labels.ok()) return labels;
    }
    std::vector<absl::string_view> fields =
        absl::StrSplit(rest, ' ', absl::SkipEmpty());
    if (fields.empty()) return Malformed(line, "no value");
    const absl::string_view value = fields[0];
    if (value == "+Inf") {
      sample.value = HUGE_VAL;
    } else if (!absl::SimpleAtod(value, &sample.value)) {
      return Malformed(line, "value is not a number");
    }
    samples.push_back(std::move(sample));
  }
  return samples;
}

absl::optional<double> FindSample(
    const std::vector<PrometheusSample>& samples, const std::string& name,
    const std::map<std::string, std::string>& labels) {
  for (const PrometheusSample& sample : samples) {
    if (sample.name == name && sample.labels == labels) return sample.value;
  }
  return absl::nullopt;
}

}  // namespace kv::testing
