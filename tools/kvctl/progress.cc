#include "tools/kvctl/progress.h"

#include <utility>

#include "absl/strings/str_format.h"
#include "nlohmann/json.hpp"
#include "tools/kvctl/json_output.h"

namespace kv::kvctl {

std::string FormatBytes(uint64_t bytes) {
  constexpr uint64_t kKiB = 1024;
  if (bytes < kKiB) return absl::StrFormat("%d B", bytes);
  const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
  double scaled = static_cast<double>(bytes) / kKiB;
  int unit = 0;
  // Switch units before "1024.0" would be printed.
  while (scaled >= 1023.95 && unit < 3) {
    scaled /= kKiB;
    ++unit;
  }
  return absl::StrFormat("%.1f %s", scaled, units[unit]);
}

Progress::Progress(std::FILE* err, std::string verb, ProgressOptions options)
    : err_(err), verb_(std::move(verb)), options_(std::move(options)) {
  start_ = options_.now();
  last_line_ = start_;
}

double Progress::Rate(absl::Time now) const {
  const double seconds = absl::ToDoubleSeconds(now - start_);
  return seconds > 0 ? static_cast<double>(keys_) / seconds : 0;
}

void Progress::Add(uint64_t bytes) {
  ++keys_;
  bytes_ += bytes;
  if (options_.quiet) return;
  const absl::Time now = options_.now();
  if (now - last_line_ < options_.interval) return;
  last_line_ = now;
  ++lines_;
  if (options_.json) {
    nlohmann::json line{
        {"progress", verb_}, {"keys", keys_}, {"bytes", bytes_}};
    if (options_.show_rate) line["keys_per_second"] = Rate(now);
    absl::FPrintF(err_, "%s", JsonLine(line));
  } else {
    absl::FPrintF(
        err_, "%s %d %s (%s%s)\n", verb_, keys_, keys_ == 1 ? "key" : "keys",
        FormatBytes(bytes_),
        options_.show_rate ? absl::StrFormat(", %.0f keys/s", Rate(now)) : "");
  }
  std::fflush(err_);
}

void Progress::Finish(absl::string_view note) {
  if (options_.quiet || options_.json) return;
  const absl::Time now = options_.now();
  const double seconds = absl::ToDoubleSeconds(now - start_);
  absl::FPrintF(
      err_, "%s %d %s, %s, in %.1f s%s%s\n", verb_, keys_,
      keys_ == 1 ? "key" : "keys", FormatBytes(bytes_), seconds,
      options_.show_rate ? absl::StrFormat(" (%.0f keys/s)", Rate(now)) : "",
      note);
  std::fflush(err_);
}

}  // namespace kv::kvctl
