#include "tools/kv_bench/kvd_target.h"

#include <cstdint>

#include "gtest/gtest.h"

namespace kv {
namespace bench {
namespace {

TEST(InExpiringFractionTest, NoneAndAll) {
  for (uint64_t index = 0; index < 1000; ++index) {
    EXPECT_FALSE(InExpiringFraction(index, 0.0)) << index;
    EXPECT_TRUE(InExpiringFraction(index, 1.0)) << index;
  }
}

// Half of the keys, spread over the key space: about half of every
// thousand consecutive keys, not one range of them.
TEST(InExpiringFractionTest, HalfIsSpreadOverTheKeySpace) {
  uint64_t total = 0;
  for (uint64_t start = 0; start < 100000; start += 1000) {
    uint64_t chosen = 0;
    for (uint64_t index = start; index < start + 1000; ++index) {
      chosen += InExpiringFraction(index, 0.5) ? 1 : 0;
    }
    EXPECT_GT(chosen, 400u) << "keys " << start << "...";
    EXPECT_LT(chosen, 600u) << "keys " << start << "...";
    total += chosen;
  }
  EXPECT_GT(total, 49000u);
  EXPECT_LT(total, 51000u);
}

TEST(InExpiringFractionTest, IsAFixedChoice) {
  for (uint64_t index = 0; index < 1000; ++index) {
    EXPECT_EQ(InExpiringFraction(index, 0.3), InExpiringFraction(index, 0.3));
    // A key chosen for a fraction is chosen for every larger one.
    if (InExpiringFraction(index, 0.3)) {
      EXPECT_TRUE(InExpiringFraction(index, 0.5));
    }
  }
}

}  // namespace
}  // namespace bench
}  // namespace kv
