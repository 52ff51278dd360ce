#include "tools/kvctl/expiry_text.h"

#include <chrono>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kv::kvctl {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;

TEST(ParseTtlTest, ReadsDurationsWithAUnit) {
  EXPECT_EQ(*ParseTtl("--ttl", "30s"), milliseconds(30000));
  EXPECT_EQ(*ParseTtl("--ttl", "1h30m"), milliseconds(5400000));
  EXPECT_EQ(*ParseTtl("--ttl", "1ms"), milliseconds(1));
  EXPECT_EQ(*ParseTtl("--ttl", "1.9ms"), milliseconds(1));  // Truncated.
  EXPECT_EQ(*ParseTtl("--ttl", "87600h"), std::chrono::hours(87600));
}

TEST(ParseTtlTest, RefusesWhatIsNotAPositiveDuration) {
  for (const char* text : {"30", "abc", "", "-5s", "inf", "1 s", "5d"}) {
    absl::StatusOr<milliseconds> ttl = ParseTtl("--ttl", text);
    ASSERT_FALSE(ttl.ok()) << text;
    EXPECT_EQ(ttl.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(ttl.status().message()), HasSubstr("--ttl: "));
  }
  EXPECT_THAT(std::string(ParseTtl("--ttl", "abc").status().message()),
              HasSubstr("not a duration with a unit, such as 500ms, 30s"));
  for (const char* text : {"0s", "0", "999us", "-5s"}) {
    absl::StatusOr<milliseconds> ttl = ParseTtl("--ttl", text);
    ASSERT_FALSE(ttl.ok()) << text;
  }
  EXPECT_THAT(std::string(ParseTtl("--ttl", "0.5ms").status().message()),
              HasSubstr("must be at least 1ms"));
}

TEST(ExpireTimeTest, FormatsRfc3339InUtcWithMilliseconds) {
  const auto time = std::chrono::system_clock::time_point(
      milliseconds(1796175120123));  // 2026-12-02T01:32:00.123Z
  EXPECT_EQ(FormatExpireTime(time), "2026-12-02T01:32:00.123Z");
  EXPECT_EQ(*ParseExpireTime("2026-12-02T01:32:00.123Z"), time);
  EXPECT_EQ(*ParseExpireTime("2026-12-02T02:32:00.123+01:00"), time);
  EXPECT_EQ(FormatExpireTime(std::chrono::system_clock::time_point(
                milliseconds(1796175120000))),
            "2026-12-02T01:32:00.000Z");
}

TEST(ExpireTimeTest, RefusesWhatIsNotRfc3339) {
  for (const char* text : {"", "tomorrow", "2026-12-02", "1796175120"}) {
    absl::StatusOr<std::chrono::system_clock::time_point> time =
        ParseExpireTime(text);
    ASSERT_FALSE(time.ok()) << text;
    EXPECT_THAT(std::string(time.status().message()),
                HasSubstr("not an RFC 3339 time"));
  }
}

}  // namespace
}  // namespace kv::kvctl
