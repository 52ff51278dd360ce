#include "store/testing/status_matchers.h"

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kv::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

TEST(StatusMatchersTest, IsOk) {
  EXPECT_THAT(absl::OkStatus(), IsOk());
  EXPECT_THAT(absl::StatusOr<int>(1), IsOk());
  EXPECT_THAT(absl::NotFoundError("x"), Not(IsOk()));
  EXPECT_THAT(absl::StatusOr<int>(absl::InternalError("x")), Not(IsOk()));
}

TEST(StatusMatchersTest, IsOkAndHolds) {
  absl::StatusOr<std::string> value = std::string("value");
  EXPECT_THAT(value, IsOkAndHolds("value"));
  EXPECT_THAT(value, IsOkAndHolds(StartsWith("val")));
  EXPECT_THAT(value, Not(IsOkAndHolds("other")));
  absl::StatusOr<std::string> error = absl::NotFoundError("gone");
  EXPECT_THAT(error, Not(IsOkAndHolds("value")));
}

TEST(StatusMatchersTest, StatusIs) {
  absl::Status status = absl::NotFoundError("key \"k\" not found");
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(status,
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("\"k\"")));
  EXPECT_THAT(status, Not(StatusIs(absl::StatusCode::kInternal)));
  EXPECT_THAT(status,
              Not(StatusIs(absl::StatusCode::kNotFound, HasSubstr("other"))));
  EXPECT_THAT(absl::StatusOr<int>(absl::UnavailableError("down")),
              StatusIs(absl::StatusCode::kUnavailable, "down"));
  EXPECT_THAT(absl::OkStatus(), StatusIs(absl::StatusCode::kOk));
}

TEST(StatusMatchersTest, ExplainsAMismatch) {
  ::testing::StringMatchResultListener listener;
  EXPECT_FALSE(::testing::ExplainMatchResult(
      IsOk(), absl::NotFoundError("gone"), &listener));
  EXPECT_THAT(listener.str(), HasSubstr("gone"));
}

}  // namespace
}  // namespace kv::testing
