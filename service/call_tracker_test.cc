#include "service/call_tracker.h"

#include <thread>

#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace kv {
namespace {

TEST(CallTrackerTest, IdleWhenEveryCallEnded) {
  CallTracker tracker;
  ASSERT_TRUE(tracker.Begin());
  ASSERT_TRUE(tracker.Begin());
  tracker.End();
  EXPECT_FALSE(tracker.WaitUntilIdle(absl::Now()));
  tracker.End();
  EXPECT_TRUE(tracker.WaitUntilIdle(absl::Now()));
}

TEST(CallTrackerTest, DrainingRefusesNewCallsAndWaitsForOldOnes) {
  CallTracker tracker;
  ASSERT_TRUE(tracker.Begin());
  tracker.StartDraining();
  EXPECT_FALSE(tracker.Begin());
  std::thread finisher([&] { tracker.End(); });
  EXPECT_TRUE(tracker.WaitUntilIdle(absl::InfiniteFuture()));
  finisher.join();
}

}  // namespace
}  // namespace kv
