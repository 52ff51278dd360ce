#include "service/kvd/readiness.h"

#include <atomic>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kv {
namespace {

using ::testing::ElementsAre;

// Records every published state.
class Published {
 public:
  Readiness::Publisher Publisher() {
    return [this](bool ready) {
      absl::MutexLock lock(&mutex_);
      states_.push_back(ready);
    };
  }
  std::vector<bool> states() {
    absl::MutexLock lock(&mutex_);
    return states_;
  }
  // Waits (hang guard: 30 s) until `count` states have been published.
  bool WaitForCount(size_t count) {
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (absl::Now() < deadline) {
      if (states().size() >= count) return true;
      absl::SleepFor(absl::Milliseconds(5));
    }
    return false;
  }

 private:
  absl::Mutex mutex_;
  std::vector<bool> states_;
};

absl::Status NeverCalled(const std::string& store) {
  ADD_FAILURE() << "open_store called for " << store;
  return absl::OkStatus();
}

TEST(ReadinessTest, ReadyAtOnceWhenEveryStoreIsOpen) {
  Published published;
  Readiness readiness({}, NeverCalled, published.Publisher(),
                      absl::Milliseconds(1));
  EXPECT_TRUE(readiness.IsReady());
  EXPECT_THAT(published.states(), ElementsAre(true));
}

TEST(ReadinessTest, DrainingTurnsReadinessOffForGood) {
  Published published;
  Readiness readiness({}, NeverCalled, published.Publisher(),
                      absl::Milliseconds(1));
  readiness.StartDraining();
  readiness.StartDraining();
  EXPECT_FALSE(readiness.IsReady());
  EXPECT_THAT(published.states(), ElementsAre(true, false));
}

TEST(ReadinessTest, RetriesPendingStoresUntilTheyOpen) {
  Published published;
  std::atomic<bool> backend_up{false};
  std::atomic<int> attempts{0};
  Readiness readiness(
      {"orders"},
      [&](const std::string& store) {
        EXPECT_EQ(store, "orders");
        ++attempts;
        return backend_up.load() ? absl::OkStatus()
                                 : absl::UnavailableError("down");
      },
      published.Publisher(), absl::Milliseconds(1));
  EXPECT_FALSE(readiness.IsReady());
  // Fails a few times (hang guard: 30 s), then the backend comes up.
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (attempts.load() < 3 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  ASSERT_GE(attempts.load(), 3);
  EXPECT_THAT(published.states(), ElementsAre(false));
  backend_up = true;
  ASSERT_TRUE(published.WaitForCount(2));
  EXPECT_TRUE(readiness.IsReady());
  EXPECT_THAT(published.states(), ElementsAre(false, true));
}

TEST(ReadinessTest, DrainingBeforeStoresOpenStaysNotReady) {
  Published published;
  std::atomic<int> attempts{0};
  Readiness readiness(
      {"orders"},
      [&](const std::string&) {
        ++attempts;
        return absl::OkStatus();
      },
      published.Publisher(), absl::Hours(1));
  readiness.StartDraining();
  EXPECT_FALSE(readiness.IsReady());
  EXPECT_THAT(published.states(), ElementsAre(false));
  // The destructor stops the retry thread although its wait is an hour.
}

}  // namespace
}  // namespace kv
