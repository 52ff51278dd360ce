#include "clients/cpp/update_retry.h"

#include <algorithm>
#include <memory>
#include <random>
#include <utility>

#include "absl/strings/str_cat.h"
#include "clients/cpp/error_code.h"

namespace kvd {
namespace internal {
namespace {

bool IsConflict(const absl::Status& status) {
  return ErrorCodeOf(status) == kv::v1::ERROR_CODE_CONDITION_FAILED;
}

// The state of one RunUpdateAsync, shared by its continuations.
struct AsyncUpdate : std::enable_shared_from_this<AsyncUpdate> {
  AsyncUpdateSteps steps;
  UpdateFunction fn;
  int max_attempts = 0;
  std::function<void(absl::StatusOr<uint64_t>)> done;
  int attempt = 0;

  void Attempt() {
    ++attempt;
    steps.read([self = shared_from_this()](absl::StatusOr<UpdateRead> read) {
      if (!read.ok()) return self->done(read.status());
      absl::StatusOr<std::string> value = self->fn(read->value);
      if (!value.ok()) return self->done(value.status());
      self->steps.write(*std::move(value), read->revision,
                        [self](absl::StatusOr<uint64_t> written) {
                          self->AfterWrite(std::move(written));
                        });
    });
  }

  void AfterWrite(absl::StatusOr<uint64_t> written) {
    if (written.ok() || !IsConflict(written.status()) ||
        attempt >= max_attempts) {
      return done(std::move(written));
    }
    steps.schedule(UpdateBackoff(attempt, steps.random()),
                   [self = shared_from_this()] { self->Attempt(); });
  }
};

}  // namespace

absl::Duration UpdateBackoffCap(int retry) {
  // 10 ms * 2^6 = 640 ms is the last cap under 1 s; stop doubling there so
  // the shift never overflows.
  const int doublings = std::min(std::max(retry, 1) - 1, 7);
  return std::min(kUpdateFirstBackoff * (int64_t{1} << doublings),
                  kUpdateMaxBackoff);
}

absl::Duration UpdateBackoff(int retry, double uniform) {
  return UpdateBackoffCap(retry) * std::clamp(uniform, 0.0, 1.0);
}

double UniformRandom() {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(generator);
}

absl::Status CheckUpdateAttempts(int max_attempts) {
  if (max_attempts >= 1) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("kvd::Store::Update: max_attempts must be at least 1, got ",
                   max_attempts));
}

absl::StatusOr<uint64_t> RunUpdate(const UpdateSteps& steps,
                                   const UpdateFunction& fn, int max_attempts) {
  if (absl::Status valid = CheckUpdateAttempts(max_attempts); !valid.ok()) {
    return valid;
  }
  for (int attempt = 1;; ++attempt) {
    absl::StatusOr<UpdateRead> read = steps.read();
    if (!read.ok()) return read.status();
    absl::StatusOr<std::string> value = fn(read->value);
    if (!value.ok()) return value.status();
    absl::StatusOr<uint64_t> written = steps.write(*value, read->revision);
    if (written.ok() || !IsConflict(written.status()) ||
        attempt >= max_attempts) {
      return written;
    }
    steps.sleep(UpdateBackoff(attempt, steps.random()));
  }
}

void RunUpdateAsync(AsyncUpdateSteps steps, UpdateFunction fn, int max_attempts,
                    std::function<void(absl::StatusOr<uint64_t>)> done) {
  if (absl::Status valid = CheckUpdateAttempts(max_attempts); !valid.ok()) {
    return done(valid);
  }
  auto update = std::make_shared<AsyncUpdate>();
  update->steps = std::move(steps);
  update->fn = std::move(fn);
  update->max_attempts = max_attempts;
  update->done = std::move(done);
  update->Attempt();
}

}  // namespace internal
}  // namespace kvd
