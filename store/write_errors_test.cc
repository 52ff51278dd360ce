#include "store/write_errors.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kv {
namespace {

using ::testing::HasSubstr;
using ::testing::Optional;

TEST(WriteErrorsTest, ConditionFailedCarriesRevisionAndIndex) {
  absl::Status status = ConditionFailedError(2, "k", 5, 7);
  EXPECT_TRUE(absl::IsAborted(status));
  EXPECT_THAT(ConditionFailedRevision(status), Optional(7u));
  EXPECT_THAT(FailedMutationIndex(status), Optional(2u));
  EXPECT_THAT(status.message(), HasSubstr("\"k\""));
  EXPECT_THAT(status.message(), HasSubstr("revision 5"));
  EXPECT_THAT(status.message(), HasSubstr("revision 7"));
}

TEST(WriteErrorsTest, ConditionOnAbsentKeySaysAbsent) {
  absl::Status status = ConditionFailedError(0, "k", 3, 0);
  EXPECT_THAT(ConditionFailedRevision(status), Optional(0u));
  EXPECT_THAT(status.message(), HasSubstr("absent"));
}

TEST(WriteErrorsTest, IntegerErrorsAreRecognised) {
  EXPECT_TRUE(IsNotAnInteger(NotAnIntegerError(0, "k")));
  EXPECT_TRUE(IsIncrementOverflow(IncrementOverflowError(1, "k")));
  EXPECT_THAT(FailedMutationIndex(IncrementOverflowError(1, "k")),
              Optional(1u));
  EXPECT_FALSE(IsNotAnInteger(IncrementOverflowError(1, "k")));
}

TEST(WriteErrorsTest, OtherStatusesMeanNothing) {
  for (const absl::Status& status :
       {absl::OkStatus(), absl::AbortedError("x"),
        absl::FailedPreconditionError("x"), absl::OutOfRangeError("x"),
        absl::UnavailableError("x")}) {
    EXPECT_EQ(ConditionFailedRevision(status), absl::nullopt);
    EXPECT_FALSE(IsNotAnInteger(status));
    EXPECT_FALSE(IsIncrementOverflow(status));
    EXPECT_EQ(FailedMutationIndex(status), absl::nullopt);
  }
}

TEST(WriteErrorsTest, KeysAreEscapedAndCut) {
  absl::Status status =
      ConditionFailedError(0, std::string(1000, 'x') + "\n", 1, 2);
  EXPECT_LT(status.message().size(), 400u);
  EXPECT_THAT(status.message(), HasSubstr("1001 bytes"));
}

}  // namespace
}  // namespace kv
