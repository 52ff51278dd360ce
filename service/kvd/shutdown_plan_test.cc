#include "service/kvd/shutdown_plan.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kv {
namespace {

using ::testing::HasSubstr;

TEST(ShutdownPlanTest, ParsesTheThreeDurations) {
  absl::StatusOr<ShutdownPlan> plan = ParseShutdownPlan("5s", "10s", "25s");
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->drain_delay, absl::Seconds(5));
  EXPECT_EQ(plan->grace, absl::Seconds(10));
  EXPECT_EQ(plan->timeout, absl::Seconds(25));
}

TEST(ShutdownPlanTest, DefaultsFitBelowKubernetesGracePeriod) {
  const ShutdownPlan plan;
  EXPECT_LT(plan.drain_delay + plan.grace, plan.timeout);
  EXPECT_LT(plan.timeout, absl::Seconds(30));
  EXPECT_TRUE(ParseShutdownPlan(absl::FormatDuration(plan.drain_delay),
                                absl::FormatDuration(plan.grace),
                                absl::FormatDuration(plan.timeout))
                  .ok());
}

TEST(ShutdownPlanTest, ZeroDelayAndGraceAreAllowed) {
  EXPECT_TRUE(ParseShutdownPlan("0s", "0s", "1s").ok());
}

TEST(ShutdownPlanTest, NamesTheFlagThatIsNotADuration) {
  EXPECT_THAT(ParseShutdownPlan("soon", "10s", "25s").status().message(),
              HasSubstr("--drain-delay=soon is not a duration"));
  EXPECT_THAT(ParseShutdownPlan("5s", "-1s", "25s").status().message(),
              HasSubstr("--shutdown-grace=-1s is not a duration"));
  EXPECT_THAT(ParseShutdownPlan("5s", "10s", "inf").status().message(),
              HasSubstr("--shutdown-timeout=inf is not a duration"));
}

TEST(ShutdownPlanTest, DelayAndGraceMustFitWithinTheTimeout) {
  absl::StatusOr<ShutdownPlan> plan = ParseShutdownPlan("5s", "10s", "15s");
  EXPECT_TRUE(absl::IsInvalidArgument(plan.status()));
  EXPECT_THAT(plan.status().message(),
              HasSubstr("--drain-delay (5s) plus --shutdown-grace (10s) must "
                        "be less than --shutdown-timeout (15s)"));
}

}  // namespace
}  // namespace kv
