#include "service/page_token.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/testing/status_matchers.h"

namespace kv {
namespace {

using ::kv::testing::IsOkAndHolds;
using ::kv::testing::StatusIs;
using ::testing::HasSubstr;

TEST(PageTokenTest, RoundTripsTheLastKey) {
  const std::string token = EncodePageToken("default", "user/", "user/42");
  EXPECT_THAT(DecodePageToken(token, "default", "user/"),
              IsOkAndHolds("user/42"));
}

TEST(PageTokenTest, CarriesAnyBytesAndIsUrlSafe) {
  const std::string key("p\0\xc3\xa9/+=?", 8);
  const std::string token = EncodePageToken("s", "p", key);
  EXPECT_EQ(token.find_first_of("+/="), std::string::npos) << token;
  EXPECT_THAT(DecodePageToken(token, "s", "p"), IsOkAndHolds(key));
}

TEST(PageTokenTest, WorksWithAnEmptyPrefix) {
  EXPECT_THAT(DecodePageToken(EncodePageToken("s", "", "a"), "s", ""),
              IsOkAndHolds("a"));
}

TEST(PageTokenTest, RefusesATokenOfAnotherStore) {
  EXPECT_THAT(
      DecodePageToken(EncodePageToken("a", "", "k"), "b", ""),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("page_token continues a listing of store \"a\", "
                         "not of store \"b\"")));
}

TEST(PageTokenTest, RefusesATokenOfAnotherPrefix) {
  EXPECT_THAT(DecodePageToken(EncodePageToken("s", "x/", "x/1"), "s", "x"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("with prefix \"x/\", not \"x\"")));
  EXPECT_THAT(
      DecodePageToken(EncodePageToken("s", "x", "x1"), "s", ""),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("page_token")));
}

TEST(PageTokenTest, RefusesTokensKvdDidNotIssue) {
  const std::string valid = EncodePageToken("s", "p", "p1");
  std::string raw;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(valid, &raw));
  const std::string wrong_version =
      absl::WebSafeBase64Escape(std::string("\x02") + raw.substr(1));
  const std::string truncated = absl::WebSafeBase64Escape(raw.substr(0, 7));
  const std::string no_key =
      absl::WebSafeBase64Escape(raw.substr(0, raw.size() - 2));
  const std::string key_outside_prefix =
      absl::WebSafeBase64Escape(raw.substr(0, raw.size() - 2) + "q1");
  for (const std::string& token :
       {std::string("not-a-token"), std::string("!!!"), std::string("AA"),
        wrong_version, truncated, no_key, key_outside_prefix, valid + "!",
        valid.substr(1)}) {
    EXPECT_THAT(DecodePageToken(token, "s", "p"),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr("page_token is not a token kvd issued")))
        << token;
  }
}

}  // namespace
}  // namespace kv
