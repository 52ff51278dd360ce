// The conformance tests of expiry: what a kSet's ttl, Versioned::expire_time
// and ReclaimExpired promise (store/driver.h, "Expiry").

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/driver.h"
#include "store/testing/driver_conformance.h"
#include "store/testing/status_matchers.h"
#include "store/write_errors.h"

namespace kv::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::Optional;

absl::Status SetWithTtl(Driver& driver, absl::string_view key,
                        absl::string_view value, absl::Duration ttl) {
  return driver.Write({Mutation::Set(key, value, absl::nullopt, ttl)}).status();
}

// The instant expiry times are compared against: the controlled clock, or
// this machine's (the servers under test run on 127.0.0.1, so their clocks
// are this machine's).
absl::Time Now(const DriverFactoryParam& param) {
  return param.clock != nullptr ? param.clock->Now() : absl::Now();
}

// Reclaims until the driver reports nothing left; returns the total.
size_t ReclaimAll(Driver& driver, size_t batch) {
  size_t total = 0;
  for (int rounds = 0; rounds < 100000; ++rounds) {
    absl::StatusOr<size_t> reclaimed = driver.ReclaimExpired(batch);
    EXPECT_THAT(reclaimed, IsOk());
    if (!reclaimed.ok()) return total;
    EXPECT_LE(*reclaimed, batch);
    total += *reclaimed;
    if (*reclaimed < batch) return total;
  }
  ADD_FAILURE() << "ReclaimExpired never ran out";
  return total;
}

TEST_P(DriverConformanceTest, KeyWithoutTtlNeverExpires) {
  ASSERT_THAT(driver().Set("k", "v"), IsOk());
  absl::StatusOr<Versioned> got = driver().Get("k");
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->expire_time, absl::InfiniteFuture());
}

TEST_P(DriverConformanceTest, GetReportsTheExpireTime) {
  const absl::Time before = Now(GetParam());
  ASSERT_THAT(SetWithTtl(driver(), "k", "v", absl::Hours(1)), IsOk());
  const absl::Time after = Now(GetParam());
  absl::StatusOr<Versioned> got = driver().Get("k");
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->value, "v");
  // Millisecond precision: truncation may put it up to 1 ms before.
  EXPECT_GE(got->expire_time, before + absl::Hours(1) - absl::Milliseconds(1));
  EXPECT_LE(got->expire_time, after + absl::Hours(1));
  EXPECT_EQ(got->expire_time,
            absl::FromUnixMillis(absl::ToUnixMillis(got->expire_time)))
      << "not a whole millisecond";

  absl::StatusOr<std::vector<absl::optional<Versioned>>> many =
      driver().GetMany({"k"});
  ASSERT_THAT(many, IsOk());
  ASSERT_TRUE((*many)[0].has_value());
  EXPECT_EQ((*many)[0]->expire_time, got->expire_time);
}

TEST_P(DriverConformanceTest, PlainSetClearsTheExpiry) {
  ASSERT_THAT(SetWithTtl(driver(), "k", "v1", ShortTtl()), IsOk());
  ASSERT_THAT(driver().Set("k", "v2"), IsOk());
  absl::StatusOr<Versioned> got = driver().Get("k");
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->expire_time, absl::InfiniteFuture());
  // Still there once the old ttl has passed. (The key does not expire, so
  // LetExpire's wait would run out: pass the time with a sibling instead.)
  ASSERT_THAT(SetWithTtl(driver(), "witness", "w", ShortTtl()), IsOk());
  LetExpire("witness");
  EXPECT_THAT(GetValue("k"), IsOkAndHolds("v2"));
  EXPECT_EQ(ReclaimAll(driver(), 100), 1u);  // Only the witness.
  EXPECT_THAT(GetValue("k"), IsOkAndHolds("v2"));
}

TEST_P(DriverConformanceTest, SetWithTtlReplacesTheExpiry) {
  ASSERT_THAT(driver().Set("k", "v1"), IsOk());
  ASSERT_THAT(SetWithTtl(driver(), "k", "v2", absl::Hours(2)), IsOk());
  ASSERT_THAT(SetWithTtl(driver(), "k", "v3", absl::Hours(1)), IsOk());
  absl::StatusOr<Versioned> got = driver().Get("k");
  ASSERT_THAT(got, IsOk());
  EXPECT_LE(got->expire_time, Now(GetParam()) + absl::Hours(1));
  EXPECT_GT(got->expire_time, Now(GetParam()) + absl::Minutes(59));
}

TEST_P(DriverConformanceTest, IncrementKeepsTheExpiry) {
  ASSERT_THAT(SetWithTtl(driver(), "n", "5", absl::Hours(1)), IsOk());
  absl::StatusOr<Versioned> before = driver().Get("n");
  ASSERT_THAT(before, IsOk());
  absl::StatusOr<MutationResults> incremented =
      driver().Write({Mutation::Increment("n", 2)});
  ASSERT_THAT(incremented, IsOk());
  EXPECT_EQ(incremented->front().value, 7);
  absl::StatusOr<Versioned> after = driver().Get("n");
  ASSERT_THAT(after, IsOk());
  EXPECT_EQ(after->value, "7");
  EXPECT_EQ(after->expire_time, before->expire_time);
  EXPECT_NE(after->expire_time, absl::InfiniteFuture());
}

TEST_P(DriverConformanceTest, ExpiredKeyIsAbsentToEveryRead) {
  ASSERT_THAT(driver().Set("a", "permanent"), IsOk());
  ASSERT_THAT(SetWithTtl(driver(), "b", "short", ShortTtl()), IsOk());
  ASSERT_THAT(SetWithTtl(driver(), "c", "long", absl::Hours(1)), IsOk());
  const uint64_t revision = StoreRevision();
  LetExpire("b");

  EXPECT_THAT(driver().Get("b"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(driver().Exists("b"), IsOkAndHolds(false));
  absl::StatusOr<std::vector<absl::optional<Versioned>>> many =
      driver().GetMany({"a", "b", "c"});
  ASSERT_THAT(many, IsOk());
  EXPECT_TRUE((*many)[0].has_value());
  EXPECT_FALSE((*many)[1].has_value());
  EXPECT_TRUE((*many)[2].has_value());
  EXPECT_THAT(ListAllKeys(), ElementsAre("a", "c"));
  EXPECT_THAT(ListByPages("", 1), ElementsAre("a", "c"));
  EXPECT_EQ(RevisionOf("b"), 0u);
  // Expiry is not a write.
  EXPECT_EQ(StoreRevision(), revision);
}

TEST_P(DriverConformanceTest, ExpiredKeyIsAbsentToConditions) {
  ASSERT_THAT(SetWithTtl(driver(), "k", "old", ShortTtl()), IsOk());
  const uint64_t old_revision = RevisionOf("k");
  LetExpire("k");

  // The old revision no longer matches: the key's revision counts as 0.
  absl::Status stale =
      driver().Write({Mutation::Set("k", "x", old_revision)}).status();
  EXPECT_THAT(stale, StatusIs(absl::StatusCode::kAborted));
  EXPECT_THAT(ConditionFailedRevision(stale), Optional(uint64_t{0}));
  EXPECT_THAT(driver().Write({Mutation::Delete("k", old_revision)}).status(),
              StatusIs(absl::StatusCode::kAborted));

  // Create-only succeeds, and the new key does not expire.
  absl::StatusOr<MutationResults> created =
      driver().Write({Mutation::Set("k", "new", uint64_t{0})});
  ASSERT_THAT(created, IsOk());
  EXPECT_GT(created->front().revision, old_revision);
  absl::StatusOr<Versioned> got = driver().Get("k");
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->value, "new");
  EXPECT_EQ(got->expire_time, absl::InfiniteFuture());
}

TEST_P(DriverConformanceTest, DeleteOfExpiredKeyDeletesNothing) {
  ASSERT_THAT(SetWithTtl(driver(), "k", "v", ShortTtl()), IsOk());
  LetExpire("k");
  const uint64_t revision = StoreRevision();
  EXPECT_THAT(driver().Delete("k"), IsOkAndHolds(uint64_t{0}));
  EXPECT_EQ(StoreRevision(), revision);
}

TEST_P(DriverConformanceTest, IncrementOfExpiredKeyStartsFromZero) {
  ASSERT_THAT(SetWithTtl(driver(), "n", "41", ShortTtl()), IsOk());
  LetExpire("n");
  absl::StatusOr<MutationResults> incremented =
      driver().Write({Mutation::Increment("n", 1)});
  ASSERT_THAT(incremented, IsOk());
  EXPECT_EQ(incremented->front().value, 1);
  absl::StatusOr<Versioned> got = driver().Get("n");
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->value, "1");
  EXPECT_EQ(got->expire_time, absl::InfiniteFuture());
  // Nor does an expired non-integer stop it.
  ASSERT_THAT(SetWithTtl(driver(), "text", "not a number", ShortTtl()), IsOk());
  LetExpire("text");
  EXPECT_THAT(driver().Write({Mutation::Increment("text", 5)}), IsOk());
}

TEST_P(DriverConformanceTest, BatchEntriesCarryTheirOwnTtl) {
  absl::StatusOr<MutationResults> written =
      driver().Write({Mutation::Set("short", "1", absl::nullopt, ShortTtl()),
                      Mutation::Set("long", "2", absl::nullopt, absl::Hours(1)),
                      Mutation::Set("never", "3")});
  ASSERT_THAT(written, IsOk());
  LetExpire("short");
  absl::StatusOr<std::vector<absl::optional<Versioned>>> many =
      driver().GetMany({"short", "long", "never"});
  ASSERT_THAT(many, IsOk());
  EXPECT_FALSE((*many)[0].has_value());
  ASSERT_TRUE((*many)[1].has_value());
  EXPECT_NE((*many)[1]->expire_time, absl::InfiniteFuture());
  ASSERT_TRUE((*many)[2].has_value());
  EXPECT_EQ((*many)[2]->expire_time, absl::InfiniteFuture());
}

TEST_P(DriverConformanceTest, ReclaimExpiredRemovesOnlyExpiredKeys) {
  constexpr int kExpiring = 25;
  for (int i = 0; i < kExpiring; ++i) {
    ASSERT_THAT(SetWithTtl(driver(), absl::StrCat("gone/", i), "v", ShortTtl()),
                IsOk());
  }
  ASSERT_THAT(driver().Set("kept/plain", "v"), IsOk());
  ASSERT_THAT(SetWithTtl(driver(), "kept/long", "v", absl::Hours(1)), IsOk());
  // Had a short ttl, then a plain set made it permanent.
  ASSERT_THAT(SetWithTtl(driver(), "kept/reset", "v", ShortTtl()), IsOk());
  ASSERT_THAT(driver().Set("kept/reset", "v2"), IsOk());
  // Expires, then an increment creates it again.
  ASSERT_THAT(SetWithTtl(driver(), "kept/reborn", "1", ShortTtl()), IsOk());
  const uint64_t revision_before_expiry = StoreRevision();

  for (int i = 0; i < kExpiring; ++i) LetExpire(absl::StrCat("gone/", i));
  LetExpire("kept/reborn");
  ASSERT_THAT(driver().Write({Mutation::Increment("kept/reborn", 1)}), IsOk());
  const uint64_t revision = StoreRevision();
  EXPECT_GT(revision, revision_before_expiry);

  EXPECT_THAT(driver().ReclaimExpired(10), IsOkAndHolds(size_t{10}));
  EXPECT_EQ(ReclaimAll(driver(), 10), size_t{kExpiring - 10});
  EXPECT_THAT(driver().ReclaimExpired(10), IsOkAndHolds(size_t{0}));

  EXPECT_THAT(ListAllKeys(), ElementsAre("kept/long", "kept/plain",
                                         "kept/reborn", "kept/reset"));
  EXPECT_THAT(GetValue("kept/reborn"), IsOkAndHolds("1"));
  EXPECT_THAT(GetValue("kept/reset"), IsOkAndHolds("v2"));
  EXPECT_EQ(StoreRevision(), revision);  // Reclaiming is not a write.
}

TEST_P(DriverConformanceTest, ReclaimOfAStoreWithNothingExpiredIsANoOp) {
  EXPECT_THAT(driver().ReclaimExpired(100), IsOkAndHolds(size_t{0}));
  ASSERT_THAT(driver().Set("k", "v"), IsOk());
  ASSERT_THAT(SetWithTtl(driver(), "t", "v", absl::Hours(1)), IsOk());
  EXPECT_THAT(driver().ReclaimExpired(100), IsOkAndHolds(size_t{0}));
  EXPECT_THAT(ListAllKeys(), ElementsAre("k", "t"));
}

// --- Across a restart and between drivers sharing a backend ---

TEST_P(PersistentDriverConformanceTest, ExpiryOutlivesARestart) {
  ASSERT_THAT(SetWithTtl(driver(), "long", "v", absl::Hours(1)), IsOk());
  ASSERT_THAT(SetWithTtl(driver(), "short", "v", ShortTtl()), IsOk());
  absl::StatusOr<Versioned> before = driver().Get("long");
  ASSERT_THAT(before, IsOk());
  Restart();
  absl::StatusOr<Versioned> after = driver().Get("long");
  ASSERT_THAT(after, IsOk());
  EXPECT_EQ(after->expire_time, before->expire_time);
  LetExpire("short");
  EXPECT_THAT(driver().Get("short"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(ListAllKeys(), ElementsAre("long"));
}

TEST_P(PersistentDriverConformanceTest, AnotherDriverSeesTheSameExpiry) {
  absl::StatusOr<std::unique_ptr<Driver>> other = OpenAnother();
  ASSERT_THAT(other, IsOk());
  ASSERT_THAT(SetWithTtl(driver(), "k", "v", ShortTtl()), IsOk());
  ASSERT_THAT(SetWithTtl(driver(), "long", "v", absl::Hours(1)), IsOk());
  absl::StatusOr<Versioned> mine = driver().Get("long");
  absl::StatusOr<Versioned> theirs = (*other)->Get("long");
  ASSERT_THAT(mine, IsOk());
  ASSERT_THAT(theirs, IsOk());
  EXPECT_EQ(mine->expire_time, theirs->expire_time);
  LetExpire("k");
  EXPECT_THAT((*other)->Exists("k"), IsOkAndHolds(false));
  // The other driver reclaims what this one wrote.
  EXPECT_EQ(ReclaimAll(**other, 10), 1u);
  EXPECT_THAT(ListAllKeys(), ElementsAre("long"));
}

TEST_P(PersistentDriverConformanceTest, ListingResumesAcrossARestart) {
  for (absl::string_view key : {"a", "b", "c", "d"}) {
    ASSERT_THAT(driver().Set(key, "v"), IsOk());
  }
  KeyPage first = Page("", "", 2);
  ASSERT_THAT(first.keys, ElementsAre("a", "b"));
  Restart();
  KeyPage second = Page("", first.keys.back(), 2);
  EXPECT_THAT(second.keys, ElementsAre("c", "d"));
  EXPECT_FALSE(second.more);
}

// --- Expiry to the millisecond, on a clock the test moves ---

TEST_P(ClockControlledExpiryTest, KeyExpiresExactlyAtItsTime) {
  FakeClock& clock = *GetParam().clock;
  ASSERT_THAT(SetWithTtl(driver(), "k", "v", absl::Seconds(10)), IsOk());
  absl::StatusOr<Versioned> got = driver().Get("k");
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->expire_time,
            absl::FromUnixMillis(absl::ToUnixMillis(clock.Now())) +
                absl::Seconds(10));

  clock.Set(got->expire_time - absl::Milliseconds(1));
  EXPECT_THAT(GetValue("k"), IsOkAndHolds("v"));
  EXPECT_THAT(driver().Exists("k"), IsOkAndHolds(true));
  EXPECT_THAT(ListAllKeys(), ElementsAre("k"));
  EXPECT_THAT(driver().ReclaimExpired(10), IsOkAndHolds(size_t{0}));

  clock.Set(got->expire_time);
  EXPECT_THAT(driver().Get("k"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(driver().Exists("k"), IsOkAndHolds(false));
  EXPECT_THAT(ListAllKeys(), ElementsAre());
  absl::StatusOr<std::vector<absl::optional<Versioned>>> many =
      driver().GetMany({"k"});
  ASSERT_THAT(many, IsOk());
  EXPECT_FALSE((*many)[0].has_value());
  EXPECT_THAT(driver().ReclaimExpired(10), IsOkAndHolds(size_t{1}));
}

TEST_P(ClockControlledExpiryTest, TtlCountsFromTheWrite) {
  FakeClock& clock = *GetParam().clock;
  ASSERT_THAT(SetWithTtl(driver(), "k", "v", absl::Milliseconds(1)), IsOk());
  EXPECT_THAT(driver().Exists("k"), IsOkAndHolds(true));
  clock.Advance(absl::Milliseconds(1));
  EXPECT_THAT(driver().Exists("k"), IsOkAndHolds(false));
}

TEST_P(ClockControlledExpiryTest, RewritingBeforeExpiryExtendsIt) {
  FakeClock& clock = *GetParam().clock;
  ASSERT_THAT(SetWithTtl(driver(), "k", "v1", absl::Seconds(10)), IsOk());
  clock.Advance(absl::Seconds(9));
  ASSERT_THAT(SetWithTtl(driver(), "k", "v2", absl::Seconds(10)), IsOk());
  clock.Advance(absl::Seconds(9));
  EXPECT_THAT(GetValue("k"), IsOkAndHolds("v2"));
  clock.Advance(absl::Seconds(1));
  EXPECT_THAT(GetValue("k"), StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace kv::testing
