#include "service/errors/kv_error.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kv {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST(KvErrorTest, MessageStartsWithShortNameAndCarriesCode) {
  absl::Status status = NoSuchKeyError("orders", "a/b");
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(status.message()), StartsWith("NO_SUCH_KEY: "));
  EXPECT_THAT(std::string(status.message()), HasSubstr("\"a/b\""));
  EXPECT_THAT(std::string(status.message()), HasSubstr("\"orders\""));
  EXPECT_EQ(ErrorCodeOf(status), v1::ERROR_CODE_NO_SUCH_KEY);
}

TEST(KvErrorTest, EachConstructorHasTheDesignedCodes) {
  struct Case {
    absl::Status status;
    absl::StatusCode canonical;
    v1::ErrorCode code;
  };
  const Case cases[] = {
      {NoSuchStoreError("x"), absl::StatusCode::kNotFound,
       v1::ERROR_CODE_NO_SUCH_STORE},
      {AccessDeniedError("x"), absl::StatusCode::kPermissionDenied,
       v1::ERROR_CODE_ACCESS_DENIED},
      {InvalidStoreError(7, "is not open"),
       absl::StatusCode::kFailedPrecondition, v1::ERROR_CODE_INVALID_STORE},
      {StoreTableFullError(256), absl::StatusCode::kResourceExhausted,
       v1::ERROR_CODE_STORE_TABLE_FULL},
      {InvalidRequestError("bad"), absl::StatusCode::kInvalidArgument,
       v1::ERROR_CODE_IO},
      {BackendError("s", "get", absl::UnavailableError("down")),
       absl::StatusCode::kUnavailable, v1::ERROR_CODE_IO},
      {BackendError("s", "get", absl::DataLossError("corrupt")),
       absl::StatusCode::kInternal, v1::ERROR_CODE_IO},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(c.status.code(), c.canonical) << c.status;
    EXPECT_EQ(ErrorCodeOf(c.status), c.code) << c.status;
    EXPECT_THAT(std::string(c.status.message()),
                StartsWith(std::string(ShortName(c.code))))
        << c.status;
  }
}

TEST(KvErrorTest, PlainStatusHasNoErrorCode) {
  EXPECT_EQ(ErrorCodeOf(absl::OkStatus()), v1::ERROR_CODE_UNSPECIFIED);
  EXPECT_EQ(ErrorCodeOf(absl::InternalError("x")), v1::ERROR_CODE_UNSPECIFIED);
}

TEST(KvErrorTest, QuoteEscapesUnprintableBytes) {
  EXPECT_EQ(Quote("plain key"), "\"plain key\"");
  EXPECT_EQ(Quote(absl::string_view("a\0z\n\"", 5)), "\"a\\x00z\\n\\\"\"");
}

TEST(KvErrorTest, QuoteCutsLongTextAndGivesItsSize) {
  EXPECT_EQ(Quote(std::string(kMaxQuotedBytes, 'k')),
            absl::StrCat("\"", std::string(kMaxQuotedBytes, 'k'), "\""));
  EXPECT_EQ(Quote(std::string(10000, 'n')),
            absl::StrCat("\"", std::string(kMaxQuotedBytes, 'n'),
                         "...\" (10000 bytes)"));
}

TEST(KvErrorTest, BackendErrorNamesTheStoreOnce) {
  absl::Status status = BackendError(
      "orders", "open",
      absl::UnavailableError("store \"orders\": cannot open /x.db"));
  EXPECT_EQ(status.message(),
            "IO: store \"orders\": open failed: cannot open /x.db");
}

TEST(KvErrorTest, BackendErrorNamesStoreActionAndCause) {
  absl::Status status =
      BackendError("orders", "set key \"k\"", absl::UnavailableError("gone"));
  EXPECT_EQ(status.message(),
            "IO: store \"orders\": set key \"k\" failed: gone");
}

}  // namespace
}  // namespace kv
