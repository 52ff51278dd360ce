#include "service/request_validation.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/errors/kv_error.h"
#include "store/testing/status_matchers.h"

namespace kv {
namespace {

using ::kv::testing::IsOk;
using ::kv::testing::StatusIs;
using ::testing::HasSubstr;

TEST(ValidateUtf8Test, AcceptsWellFormedText) {
  EXPECT_THAT(ValidateUtf8(""), IsOk());
  EXPECT_THAT(ValidateUtf8("ascii"), IsOk());
  EXPECT_THAT(ValidateUtf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"),
              IsOk());
  EXPECT_THAT(ValidateUtf8(std::string("nul\0inside", 10)), IsOk());
  EXPECT_THAT(ValidateUtf8("\xF4\x8F\xBF\xBF"), IsOk());  // U+10FFFF
}

TEST(ValidateUtf8Test, RejectsMalformedSequencesAndSaysWhere) {
  EXPECT_THAT(
      ValidateUtf8("ab\xFF"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("at byte 2")));
  EXPECT_FALSE(ValidateUtf8("\xC3").ok());              // truncated
  EXPECT_FALSE(ValidateUtf8("\xC0\xAF").ok());          // overlong '/'
  EXPECT_FALSE(ValidateUtf8("\xE0\x80\xAF").ok());      // overlong
  EXPECT_FALSE(ValidateUtf8("\xED\xA0\x80").ok());      // surrogate
  EXPECT_FALSE(ValidateUtf8("\xF4\x90\x80\x80").ok());  // > U+10FFFF
  EXPECT_FALSE(ValidateUtf8("\x80").ok());              // lone continuation
}

TEST(ValidateKeyTest, EnforcesNonEmptyLimitAndUtf8) {
  EXPECT_THAT(ValidateKey("k", 256), IsOk());
  EXPECT_THAT(ValidateKey(std::string(256, 'k'), 256), IsOk());
  EXPECT_THAT(ValidateKey("", 256),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty")));
  absl::Status too_long = ValidateKey(std::string(257, 'k'), 256);
  EXPECT_THAT(too_long,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("257 bytes, over the limit of 256")));
  EXPECT_EQ(ErrorCodeOf(too_long), v1::ERROR_CODE_IO);
  EXPECT_THAT(ValidateKey("bad\xFF", 256),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not valid UTF-8")));
}

TEST(ValidateValueTest, EnforcesLimit) {
  EXPECT_THAT(ValidateValue("k", 1 << 20, 1 << 20), IsOk());
  EXPECT_THAT(ValidateValue("k", (1 << 20) + 1, 1 << 20),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("1048577 bytes, over the limit of 1048576")));
}

}  // namespace
}  // namespace kv
