#include "service/expiry_fields.h"

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kv/v1/kv.pb.h"
#include "store/testing/status_matchers.h"

namespace kv {
namespace {

using ::kv::testing::IsOkAndHolds;
using ::kv::testing::StatusIs;
using ::testing::HasSubstr;

const absl::Duration kMax = absl::Hours(24 * 3650);

google::protobuf::Duration Ttl(int64_t seconds, int32_t nanos) {
  google::protobuf::Duration ttl;
  ttl.set_seconds(seconds);
  ttl.set_nanos(nanos);
  return ttl;
}

TEST(RequestedTtlTest, UnsetMeansNever) {
  EXPECT_THAT(RequestedTtl(false, Ttl(0, 0), kMax, "ttl"),
              IsOkAndHolds(absl::InfiniteDuration()));
}

TEST(RequestedTtlTest, TruncatesToWholeMilliseconds) {
  EXPECT_THAT(RequestedTtl(true, Ttl(30, 0), kMax, "ttl"),
              IsOkAndHolds(absl::Seconds(30)));
  EXPECT_THAT(RequestedTtl(true, Ttl(0, 1999999), kMax, "ttl"),
              IsOkAndHolds(absl::Milliseconds(1)));
  EXPECT_THAT(RequestedTtl(true, Ttl(1, 500000000), kMax, "ttl"),
              IsOkAndHolds(absl::Milliseconds(1500)));
}

TEST(RequestedTtlTest, RefusesZeroNegativeAndSubMillisecond) {
  for (const google::protobuf::Duration& ttl :
       {Ttl(0, 0), Ttl(-1, 0), Ttl(0, -5), Ttl(0, 999999), Ttl(0, 500000)}) {
    EXPECT_THAT(
        RequestedTtl(true, ttl, kMax, "ttl"),
        StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("ttl is ")))
        << ttl.DebugString();
  }
  EXPECT_THAT(
      RequestedTtl(true, Ttl(0, 500000), kMax, "ttl"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("at least 1ms")));
}

TEST(RequestedTtlTest, RefusesMoreThanTheMaximum) {
  const int64_t max_seconds = absl::ToInt64Seconds(kMax);
  EXPECT_THAT(RequestedTtl(true, Ttl(max_seconds, 0), kMax, "ttl"),
              IsOkAndHolds(kMax));
  // Over by less than a millisecond: the finer part is dropped first.
  EXPECT_THAT(RequestedTtl(true, Ttl(max_seconds, 999999), kMax, "ttl"),
              IsOkAndHolds(kMax));
  EXPECT_THAT(RequestedTtl(true, Ttl(max_seconds, 1000000), kMax, "ttl"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("the longest is 87600h (3650 days)")));
  EXPECT_THAT(
      RequestedTtl(true, Ttl(INT64_MIN, 0), kMax, "ttl"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("at least 1ms")));
  EXPECT_THAT(RequestedTtl(true, Ttl(INT64_MAX, 0), kMax, "entries[2].ttl"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("entries[2].ttl is")));
}

TEST(RequestedTtlTest, RefusesMalformedDurations) {
  for (const google::protobuf::Duration& ttl :
       {Ttl(1, -1), Ttl(-1, 1), Ttl(0, 1000000000), Ttl(5, -1000000000)}) {
    EXPECT_THAT(RequestedTtl(true, ttl, kMax, "ttl"),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr("not a valid google.protobuf.Duration")))
        << ttl.DebugString();
  }
}

TEST(SetExpireTimeTest, LeavesTheFieldUnsetForNever) {
  v1::GetResponse response;
  SetExpireTime(absl::InfiniteFuture(), response);
  EXPECT_FALSE(response.has_expire_time());
}

TEST(SetExpireTimeTest, KeepsMilliseconds) {
  v1::GetResponse response;
  SetExpireTime(absl::FromUnixMillis(1785000000123), response);
  ASSERT_TRUE(response.has_expire_time());
  EXPECT_EQ(response.expire_time().seconds(), 1785000000);
  EXPECT_EQ(response.expire_time().nanos(), 123000000);
}

TEST(ToTimestampTest, InstantsBefore1970HavePositiveNanos) {
  google::protobuf::Timestamp timestamp;
  ToTimestamp(absl::FromUnixMillis(-1), &timestamp);
  EXPECT_EQ(timestamp.seconds(), -1);
  EXPECT_EQ(timestamp.nanos(), 999000000);
}

}  // namespace
}  // namespace kv
