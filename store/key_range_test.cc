#include "store/key_range.h"

#include <string>

#include "absl/types/optional.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kv {
namespace {

using ::testing::Eq;
using ::testing::Optional;

TEST(PrefixEndTest, IncrementsTheLastByte) {
  EXPECT_THAT(PrefixEnd("user/"), Optional(Eq("user0")));
  EXPECT_THAT(PrefixEnd("a"), Optional(Eq("b")));
}

TEST(PrefixEndTest, DropsTrailingFfBytesFirst) {
  EXPECT_THAT(PrefixEnd(std::string("a\xff\xff", 3)), Optional(Eq("b")));
  EXPECT_THAT(PrefixEnd(std::string("a\xfe", 2)),
              Optional(Eq(std::string("a\xff", 2))));
}

TEST(PrefixEndTest, TreatsBytesAboveSevenFAsUnsigned) {
  // "é" is C3 A9 in UTF-8: the end is C3 AA, above every "é..." key.
  EXPECT_THAT(PrefixEnd("\xc3\xa9"), Optional(Eq("\xc3\xaa")));
}

TEST(PrefixEndTest, PatternCharactersAreOrdinaryBytes) {
  EXPECT_THAT(PrefixEnd("%"), Optional(Eq("&")));
  EXPECT_THAT(PrefixEnd("a_"), Optional(Eq("a`")));
  EXPECT_THAT(PrefixEnd("\\"), Optional(Eq("]")));
  EXPECT_THAT(PrefixEnd("["), Optional(Eq("\\")));
  EXPECT_THAT(PrefixEnd("*"), Optional(Eq("+")));
}

TEST(PrefixEndTest, NoneForEmptyOrAllFf) {
  EXPECT_EQ(PrefixEnd(""), absl::nullopt);
  EXPECT_EQ(PrefixEnd(std::string("\xff\xff", 2)), absl::nullopt);
}

TEST(PrefixEndTest, KeepsZeroBytes) {
  EXPECT_THAT(PrefixEnd(std::string("a\0", 2)),
              Optional(Eq(std::string("a\x01", 2))));
}

}  // namespace
}  // namespace kv
