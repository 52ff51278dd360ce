#include "tools/kvctl/number_args.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kv::kvctl {
namespace {

using ::testing::HasSubstr;

TEST(ParseInt64ArgTest, DecimalIntegersInRange) {
  EXPECT_EQ(*ParseInt64Arg("DELTA", "0"), 0);
  EXPECT_EQ(*ParseInt64Arg("DELTA", "42"), 42);
  EXPECT_EQ(*ParseInt64Arg("DELTA", "-7"), -7);
  EXPECT_EQ(*ParseInt64Arg("DELTA", "010"), 10);
  EXPECT_EQ(*ParseInt64Arg("DELTA", "9223372036854775807"),
            INT64_C(9223372036854775807));
  EXPECT_EQ(*ParseInt64Arg("DELTA", "-9223372036854775808"), INT64_MIN);
}

TEST(ParseInt64ArgTest, AnythingElseNamesWhatAndTheText) {
  for (const char* bad :
       {"", "-", "abc", "1.5", "+1", " 1", "1 ", "0x10", "1e3", "--1",
        "9223372036854775808", "-9223372036854775809"}) {
    absl::StatusOr<int64_t> parsed = ParseInt64Arg("DELTA", bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(parsed.status().message()),
                HasSubstr("DELTA: not a whole number from "
                          "-9223372036854775808 to 9223372036854775807: \"" +
                          std::string(bad) + "\""));
  }
}

TEST(ParseUint64ArgTest, DecimalRevisionsInRange) {
  EXPECT_EQ(*ParseUint64Arg("--if-revision", "0"), 0u);
  EXPECT_EQ(*ParseUint64Arg("--if-revision", "18446744073709551615"),
            UINT64_C(18446744073709551615));
}

TEST(ParseUint64ArgTest, AnythingElseNamesWhatAndTheText) {
  for (const char* bad : {"", "-1", "x", "1.0", "+3", "18446744073709551616"}) {
    absl::StatusOr<uint64_t> parsed = ParseUint64Arg("--if-revision", bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_THAT(std::string(parsed.status().message()),
                HasSubstr("--if-revision: not a whole number from 0 to "
                          "18446744073709551615: \"" +
                          std::string(bad) + "\""));
  }
}

TEST(ParsePositiveArgTest, FromOne) {
  EXPECT_EQ(*ParsePositiveArg("--limit", "1"), 1u);
  EXPECT_EQ(*ParsePositiveArg("--limit", "1000000"), 1000000u);
  for (const char* text : {"0", "-1", "", "1.5", "+3"}) {
    EXPECT_FALSE(ParsePositiveArg("--limit", text).ok()) << text;
  }
  EXPECT_EQ(ParsePositiveArg("--limit", "0").status().message(),
            "--limit: not a whole number from 1 to 18446744073709551615: "
            "\"0\"");
}

TEST(ParsePageSizeArgTest, APositiveInt32) {
  EXPECT_EQ(*ParsePageSizeArg("--page-size", "10000"), 10000u);
  EXPECT_EQ(*ParsePageSizeArg("--page-size", "2147483647"), 2147483647u);
  for (const char* text : {"0", "2147483648", "-5", "x"}) {
    EXPECT_FALSE(ParsePageSizeArg("--page-size", text).ok()) << text;
  }
}

}  // namespace
}  // namespace kv::kvctl
