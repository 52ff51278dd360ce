#include "service/kvd/shutdown_plan.h"

#include <unistd.h>

#include <cstdio>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "spdlog/spdlog.h"

namespace kv {
namespace {

absl::Status ParseFlag(absl::string_view flag, absl::string_view text,
                       absl::Duration* duration) {
  if (!absl::ParseDuration(std::string(text), duration) ||
      *duration < absl::ZeroDuration() ||
      *duration == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(
        flag, "=", text, " is not a duration such as 10s or 500ms"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ShutdownPlan> ParseShutdownPlan(absl::string_view drain_delay,
                                               absl::string_view grace,
                                               absl::string_view timeout) {
  ShutdownPlan plan;
  absl::Status status =
      ParseFlag("--drain-delay", drain_delay, &plan.drain_delay);
  if (status.ok()) status = ParseFlag("--shutdown-grace", grace, &plan.grace);
  if (status.ok()) {
    status = ParseFlag("--shutdown-timeout", timeout, &plan.timeout);
  }
  if (!status.ok()) return status;
  if (plan.drain_delay + plan.grace >= plan.timeout) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--drain-delay (", absl::FormatDuration(plan.drain_delay),
        ") plus --shutdown-grace (", absl::FormatDuration(plan.grace),
        ") must be less than --shutdown-timeout (",
        absl::FormatDuration(plan.timeout),
        "), which bounds the whole stop including closing the stores"));
  }
  return plan;
}

void ExitIfStillRunningAt(absl::Time deadline, std::string why) {
  std::thread([deadline, why = std::move(why)] {
    absl::SleepFor(deadline - absl::Now());
    spdlog::error("{}", why);
    spdlog::default_logger()->flush();
    std::fprintf(stderr, "kvd: %s\n", why.c_str());
    // _exit: the stop is stuck, so destructors and atexit handlers (which
    // could wait on the same stuck parts) must not run.
    _exit(1);
  }).detach();
}

}  // namespace kv
