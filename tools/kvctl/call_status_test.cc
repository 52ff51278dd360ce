#include "tools/kvctl/call_status.h"

#include "gtest/gtest.h"

namespace kv::kvctl {
namespace {

TEST(QuoteTest, QuotesAndEscapes) {
  EXPECT_EQ(Quote("k"), "\"k\"");
  EXPECT_EQ(Quote("a\nb"), "\"a\\nb\"");
  EXPECT_EQ(Quote("say \"hi\""), "\"say \\\"hi\\\"\"");
}

TEST(CallErrorTest, MessageNamesActionServerMessageAndGrpcCode) {
  const absl::Status error =
      CallError("get \"k\" from store \"default\"",
                grpc::Status(grpc::StatusCode::NOT_FOUND,
                             "NO_SUCH_KEY: key \"k\" is not in the store"),
                v1::ERROR_CODE_NO_SUCH_KEY);
  EXPECT_EQ(error.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(error.message(),
            "get \"k\" from store \"default\": NO_SUCH_KEY: key \"k\" is not "
            "in the store (NOT_FOUND)");
  EXPECT_EQ(AttachedErrorCode(error), v1::ERROR_CODE_NO_SUCH_KEY);
}

TEST(CallErrorTest, KeepsTheGrpcCode) {
  const absl::Status error =
      CallError("open store \"default\"",
                grpc::Status(grpc::StatusCode::UNAVAILABLE, "down"),
                v1::ERROR_CODE_UNSPECIFIED);
  EXPECT_EQ(error.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(error.message(), "open store \"default\": down (UNAVAILABLE)");
  EXPECT_EQ(AttachedErrorCode(error), v1::ERROR_CODE_UNSPECIFIED);
}

TEST(AttachedErrorCodeTest, PlainStatusHasNone) {
  EXPECT_EQ(AttachedErrorCode(absl::OkStatus()), v1::ERROR_CODE_UNSPECIFIED);
  EXPECT_EQ(AttachedErrorCode(absl::NotFoundError("x")),
            v1::ERROR_CODE_UNSPECIFIED);
}

}  // namespace
}  // namespace kv::kvctl
