#include "store/counter_value.h"

#include <cstdint>
#include <limits>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/write_errors.h"

namespace kv {
namespace {

using ::testing::Optional;

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

TEST(ParseCounterTest, AcceptsCanonicalText) {
  EXPECT_THAT(ParseCounter("0"), Optional(0));
  EXPECT_THAT(ParseCounter("7"), Optional(7));
  EXPECT_THAT(ParseCounter("-12"), Optional(-12));
  EXPECT_THAT(ParseCounter("9223372036854775807"), Optional(kMax));
  EXPECT_THAT(ParseCounter("-9223372036854775808"), Optional(kMin));
}

TEST(ParseCounterTest, RefusesEverythingElse) {
  for (const char* text :
       {"", "-", "+1", "01", "-0", "-01", " 1", "1 ", "1.0", "1e3", "0x10",
        "abc", "9223372036854775808", "-9223372036854775809",
        "99999999999999999999", "1\n"}) {
    EXPECT_EQ(ParseCounter(text), absl::nullopt) << '"' << text << '"';
  }
  EXPECT_EQ(ParseCounter(std::string("1\0", 2)), absl::nullopt);
}

TEST(FormatCounterTest, RoundTrips) {
  for (int64_t value : {int64_t{0}, int64_t{-1}, int64_t{42}, kMax, kMin}) {
    EXPECT_THAT(ParseCounter(FormatCounter(value)), Optional(value));
  }
}

TEST(IncrementedCounterTest, MissingCountsAsZero) {
  EXPECT_EQ(*IncrementedCounter(nullptr, 5, 0, "k"), 5);
  EXPECT_EQ(*IncrementedCounter(nullptr, -5, 0, "k"), -5);
}

TEST(IncrementedCounterTest, AddsToStoredValue) {
  std::string stored = "40";
  EXPECT_EQ(*IncrementedCounter(&stored, 2, 0, "k"), 42);
}

TEST(IncrementedCounterTest, NonIntegerIsNotAnInteger) {
  std::string stored = "forty";
  absl::StatusOr<int64_t> result = IncrementedCounter(&stored, 1, 3, "k");
  EXPECT_TRUE(IsNotAnInteger(result.status())) << result.status();
  EXPECT_THAT(FailedMutationIndex(result.status()), Optional(3u));
}

TEST(IncrementedCounterTest, OverflowBothWaysIsAnError) {
  std::string max = FormatCounter(kMax);
  std::string min = FormatCounter(kMin);
  EXPECT_TRUE(
      IsIncrementOverflow(IncrementedCounter(&max, 1, 0, "k").status()));
  EXPECT_TRUE(
      IsIncrementOverflow(IncrementedCounter(&min, -1, 0, "k").status()));
  EXPECT_EQ(*IncrementedCounter(nullptr, kMin, 0, "k"), kMin);
  EXPECT_EQ(*IncrementedCounter(&max, kMin, 0, "k"), -1);
}

}  // namespace
}  // namespace kv
