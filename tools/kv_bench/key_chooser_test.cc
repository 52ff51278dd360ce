#include "tools/kv_bench/key_chooser.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <vector>

#include "gtest/gtest.h"

namespace kv {
namespace bench {
namespace {

TEST(KeyNameTest, FixedWidthAndSortsByIndex) {
  EXPECT_EQ(KeyName(0), "kvbench/0000000000");
  EXPECT_EQ(KeyName(1234567), "kvbench/0001234567");
  EXPECT_LT(KeyName(9), KeyName(10));
}

TEST(KeyNameTest, KeyIndexOfInvertsKeyName) {
  for (uint64_t index : {uint64_t{0}, uint64_t{42}, uint64_t{9999999999}}) {
    EXPECT_EQ(KeyIndexOf(KeyName(index)), index);
  }
  EXPECT_EQ(KeyIndexOf("kvbench/12"), absl::nullopt);
  EXPECT_EQ(KeyIndexOf("other/0000000001"), absl::nullopt);
  EXPECT_EQ(KeyIndexOf("kvbench/00000000x1"), absl::nullopt);
}

TEST(KeyChooserTest, SameSeedSameSequence) {
  for (KeyDistribution d :
       {KeyDistribution::kUniform, KeyDistribution::kZipf}) {
    KeyChooser a(d, 1000, 1.1, 42), b(d, 1000, 1.1, 42), c(d, 1000, 1.1, 43);
    std::vector<uint64_t> sa, sb, sc;
    for (int i = 0; i < 100; ++i) {
      sa.push_back(a.Next());
      sb.push_back(b.Next());
      sc.push_back(c.Next());
    }
    EXPECT_EQ(sa, sb);
    EXPECT_NE(sa, sc);
  }
}

TEST(KeyChooserTest, UniformStaysInRangeAndCoversIt) {
  KeyChooser chooser(KeyDistribution::kUniform, 100, 1.1, 7);
  std::vector<int> counts(100, 0);
  for (int i = 0; i < 100000; ++i) {
    const uint64_t index = chooser.Next();
    ASSERT_LT(index, 100u);
    ++counts[index];
  }
  // Expected 1000 each; a fair generator stays far inside [700, 1300].
  for (int i = 0; i < 100; ++i) {
    EXPECT_GT(counts[i], 700) << i;
    EXPECT_LT(counts[i], 1300) << i;
  }
}

TEST(KeyChooserTest, ScramblingIsAPermutation) {
  for (uint64_t n : {1u, 2u, 10u, 1000u, 1024u, 999983u}) {
    KeyChooser chooser(KeyDistribution::kZipf, n, 1.1, 1);
    if (n > 2000) {
      // Spot check: distinct ranks give distinct indices.
      std::set<uint64_t> seen;
      for (uint64_t rank = 0; rank < 2000; ++rank) {
        seen.insert(chooser.IndexOfRank(rank));
      }
      EXPECT_EQ(seen.size(), 2000u);
      continue;
    }
    std::set<uint64_t> seen;
    for (uint64_t rank = 0; rank < n; ++rank) {
      const uint64_t index = chooser.IndexOfRank(rank);
      ASSERT_LT(index, n);
      seen.insert(index);
    }
    EXPECT_EQ(seen.size(), n) << n;
  }
}

TEST(KeyChooserTest, ZipfFollowsZipfsLaw) {
  // With exponent s, P(rank r) is proportional to (r + 1)^-s: the most
  // popular key is drawn 2^s times as often as the second, and far more
  // often than under uniform choice.
  constexpr uint64_t kKeys = 10000;
  constexpr int kDraws = 200000;
  const double s = 1.2;
  KeyChooser chooser(KeyDistribution::kZipf, kKeys, s, 3);
  std::vector<int> counts(kKeys, 0);
  for (int i = 0; i < kDraws; ++i) {
    const uint64_t index = chooser.Next();
    ASSERT_LT(index, kKeys);
    ++counts[index];
  }
  const int first = counts[chooser.IndexOfRank(0)];
  const int second = counts[chooser.IndexOfRank(1)];
  const int tenth = counts[chooser.IndexOfRank(9)];
  // The normalising constant sum((r + 1)^-1.2) over 10000 ranks is about
  // 4.8, so rank 0 gets about 21% of the draws; uniform would give 0.01%.
  EXPECT_GT(first, kDraws / 6);
  EXPECT_LT(first, kDraws / 3);
  EXPECT_NEAR(static_cast<double>(first) / second, std::pow(2.0, s), 0.25);
  EXPECT_NEAR(static_cast<double>(first) / tenth, std::pow(10.0, s), 3.0);
  // And the most drawn key is rank 0's.
  EXPECT_EQ(std::max_element(counts.begin(), counts.end()) - counts.begin(),
            static_cast<long>(chooser.IndexOfRank(0)));
}

TEST(KeyChooserTest, SingleKeyAlwaysZero) {
  for (KeyDistribution d :
       {KeyDistribution::kUniform, KeyDistribution::kZipf}) {
    KeyChooser chooser(d, 1, 1.1, 5);
    for (int i = 0; i < 100; ++i) EXPECT_EQ(chooser.Next(), 0u);
  }
}

}  // namespace
}  // namespace bench
}  // namespace kv
