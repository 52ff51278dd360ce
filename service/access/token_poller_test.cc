#include "service/access/token_poller.h"

#include <atomic>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "spdlog/sinks/ostream_sink.h"
#include "spdlog/spdlog.h"

namespace kv {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

// The clock a test advances: each Tick() lets exactly one WaitFor return
// true. Records the intervals asked for. (CondVars, not Condition-based
// Await, which the TSan build does not model.) It outlives the poller, which
// owns only a ManualTimer pointing at it.
class ManualClock {
 public:
  bool WaitFor(absl::Duration interval) {
    absl::MutexLock lock(&mutex_);
    waits_.push_back(interval);
    changed_.SignalAll();
    while (!stopped_ && ticks_ == 0) changed_.Wait(&mutex_);
    if (stopped_) return false;
    --ticks_;
    return true;
  }
  void Stop() {
    absl::MutexLock lock(&mutex_);
    stopped_ = true;
    changed_.SignalAll();
  }
  // Releases one wait and blocks until the poller waits again, so the poll
  // it triggered has finished.
  void Tick() {
    absl::MutexLock lock(&mutex_);
    const size_t waits_before = waits_.size();
    ++ticks_;
    changed_.SignalAll();
    // The poller may not have reached its first wait yet: then the tick is
    // consumed by that wait, and the poll is over at the wait after it.
    const size_t done_at = waits_before == 0 ? 2 : waits_before + 1;
    while (waits_.size() < done_at) changed_.Wait(&mutex_);
  }
  std::vector<absl::Duration> waits() {
    absl::MutexLock lock(&mutex_);
    return waits_;
  }

 private:
  absl::Mutex mutex_;
  absl::CondVar changed_;
  std::vector<absl::Duration> waits_;
  int ticks_ = 0;
  bool stopped_ = false;
};

class ManualTimer : public PollTimer {
 public:
  explicit ManualTimer(ManualClock* clock) : clock_(clock) {}
  bool WaitFor(absl::Duration interval) override {
    return clock_->WaitFor(interval);
  }
  void Stop() override { clock_->Stop(); }

 private:
  ManualClock* clock_;
};

// Captures kvd's log lines for the test's duration.
class TokenPollerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    previous_ = spdlog::default_logger();
    spdlog::set_default_logger(std::make_shared<spdlog::logger>(
        "test", std::make_shared<spdlog::sinks::ostream_sink_mt>(log_)));
  }
  void TearDown() override { spdlog::set_default_logger(previous_); }
  std::string Log() {
    spdlog::default_logger()->flush();
    return log_.str();
  }

  std::ostringstream log_;
  std::shared_ptr<spdlog::logger> previous_;
};

TEST_F(TokenPollerTest, PollsOncePerIntervalUntilDestroyed) {
  ManualClock manual;
  ManualClock* clock = &manual;
  auto timer = std::make_unique<ManualTimer>(clock);
  std::atomic<int> reloads{0};
  {
    TokenPoller poller(
        absl::Seconds(10),
        [&] {
          ++reloads;
          return absl::OkStatus();
        },
        std::move(timer));
    clock->Tick();
    EXPECT_EQ(reloads.load(), 1);
    clock->Tick();
    clock->Tick();
    EXPECT_EQ(reloads.load(), 3);
  }
  // Destroying the poller ended the wait without another poll.
  EXPECT_EQ(reloads.load(), 3);
  EXPECT_THAT(clock->waits(),
              ElementsAre(absl::Seconds(10), absl::Seconds(10),
                          absl::Seconds(10), absl::Seconds(10)));
}

TEST_F(TokenPollerTest, NoPollBeforeTheFirstInterval) {
  ManualClock clock;
  auto timer = std::make_unique<ManualTimer>(&clock);
  int reloads = 0;
  {
    TokenPoller poller(
        absl::Seconds(1),
        [&] {
          ++reloads;
          return absl::OkStatus();
        },
        std::move(timer));
  }
  EXPECT_EQ(reloads, 0);
}

TEST_F(TokenPollerTest, AFailureIsLoggedOncePerDistinctErrorAndRecovery) {
  ManualClock manual;
  ManualClock* clock = &manual;
  auto timer = std::make_unique<ManualTimer>(clock);
  absl::Mutex mutex;
  absl::Status next = absl::OkStatus();
  TokenPoller poller(
      absl::Seconds(10),
      [&] {
        absl::MutexLock lock(&mutex);
        return next;
      },
      std::move(timer));
  auto set_next = [&](absl::Status status) {
    absl::MutexLock lock(&mutex);
    next = status;
  };
  clock->Tick();
  EXPECT_EQ(Log(), "");
  set_next(absl::InvalidArgumentError("token file /t has mode 0644"));
  clock->Tick();
  clock->Tick();
  clock->Tick();
  std::string log = Log();
  EXPECT_THAT(log, HasSubstr("keeping the previous tokens (will retry every "
                             "10s): token file /t has mode 0644"));
  EXPECT_EQ(log.find("mode 0644"), log.rfind("mode 0644")) << log;
  set_next(absl::InvalidArgumentError("token file /t is empty"));
  clock->Tick();
  EXPECT_THAT(Log(), HasSubstr("token file /t is empty"));
  set_next(absl::OkStatus());
  clock->Tick();
  clock->Tick();
  log = Log();
  EXPECT_THAT(log, HasSubstr("the token files are valid again"));
  EXPECT_EQ(log.find("valid again"), log.rfind("valid again")) << log;
}

TEST_F(TokenPollerTest, RealTimerStopsAWaitAtOnce) {
  // An hour-long interval: destroying the poller must not wait it out (the
  // test's timeout would catch a hang).
  int reloads = 0;
  {
    TokenPoller poller(absl::Hours(1), [&] {
      ++reloads;
      return absl::OkStatus();
    });
  }
  EXPECT_EQ(reloads, 0);
}

}  // namespace
}  // namespace kv
