#include "service/expiry_sweeper.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/store_catalog.h"
#include "store/driver.h"
#include "store/testing/fake_clock.h"
#include "store/testing/status_matchers.h"

namespace kv {
namespace {

using ::kv::testing::FakeClock;
using ::kv::testing::IsOk;
using ::kv::testing::IsOkAndHolds;

class ExpirySweeperTest : public ::testing::Test {
 protected:
  ExpirySweeperTest() : catalog_({Spec("a"), Spec("b")}) { catalog_.OpenAll(); }

  StoreSpec Spec(const std::string& name) {
    StoreSpec spec;
    spec.name = name;
    spec.type = "memory";
    spec.clock = &clock_;
    return spec;
  }

  Driver& Store(const std::string& name) {
    absl::StatusOr<Driver*> driver = catalog_.Find(name);
    EXPECT_THAT(driver, IsOk());
    return **driver;
  }

  // Writes `count` keys that expire in 1 s and one that never does.
  void Fill(const std::string& store, int count) {
    std::vector<std::string> keys;
    for (int i = 0; i < count; ++i) keys.push_back(absl::StrCat("k", i));
    for (const std::string& key : keys) {
      ASSERT_THAT(Store(store).Write({Mutation::Set(key, "v", absl::nullopt,
                                                    absl::Seconds(1))}),
                  IsOk());
    }
    ASSERT_THAT(Store(store).Set("permanent", "v"), IsOk());
  }

  FakeClock clock_;
  StoreCatalog catalog_;
};

TEST_F(ExpirySweeperTest, NothingExpiredNothingReclaimed) {
  Fill("a", 10);
  ExpirySweeper sweeper(catalog_, {});
  bool more = true;
  EXPECT_EQ(sweeper.SweepOnce(&more), 0u);
  EXPECT_FALSE(more);
  EXPECT_THAT(Store("a").Exists("k0"), IsOkAndHolds(true));
}

TEST_F(ExpirySweeperTest, RoundsReclaimEveryStoreInBoundedBatches) {
  Fill("a", 250);
  Fill("b", 30);
  clock_.Advance(absl::Seconds(1));
  ExpirySweeper::Options options;
  options.batch_size = 100;
  options.max_batches = 2;
  ExpirySweeper sweeper(catalog_, options);

  bool more = false;
  // Store a gives at most 2 x 100 per round; b all its 30.
  EXPECT_EQ(sweeper.SweepOnce(&more), 230u);
  EXPECT_TRUE(more);
  EXPECT_EQ(sweeper.SweepOnce(&more), 50u);
  EXPECT_FALSE(more);
  EXPECT_EQ(sweeper.reclaimed(), 280u);
  EXPECT_THAT(sweeper.ReclaimedByStore(),
              ::testing::ElementsAre(::testing::Pair("a", 250u),
                                     ::testing::Pair("b", 30u)));
  EXPECT_THAT(Store("a").ReclaimExpired(10), IsOkAndHolds(size_t{0}));
  EXPECT_THAT(Store("a").Exists("permanent"), IsOkAndHolds(true));
  EXPECT_THAT(Store("b").Exists("permanent"), IsOkAndHolds(true));
}

TEST_F(ExpirySweeperTest, ThreadReclaimsWithoutBeingAsked) {
  Fill("a", 50);
  clock_.Advance(absl::Seconds(1));
  ExpirySweeper::Options options;
  options.interval = absl::Milliseconds(5);
  options.batch_size = 7;
  ExpirySweeper sweeper(catalog_, options);
  sweeper.Start();
  // A bounded wait for the background thread; no assertion on its speed.
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (sweeper.reclaimed() < 50 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  sweeper.Stop();
  EXPECT_EQ(sweeper.reclaimed(), 50u);
  EXPECT_THAT(Store("a").ReclaimExpired(10), IsOkAndHolds(size_t{0}));
}

TEST_F(ExpirySweeperTest, StopWithoutStartAndTwiceIsFine) {
  ExpirySweeper sweeper(catalog_, {});
  sweeper.Stop();
  sweeper.Stop();
}

TEST_F(ExpirySweeperTest, ClosedStoresAreSkipped) {
  Fill("a", 5);
  clock_.Advance(absl::Seconds(1));
  catalog_.CloseAll();
  ExpirySweeper sweeper(catalog_, {});
  EXPECT_EQ(sweeper.SweepOnce(), 0u);
}

}  // namespace
}  // namespace kv
