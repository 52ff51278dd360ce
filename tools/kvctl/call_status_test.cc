#include "tools/kvctl/call_status.h"

#include "clients/cpp/error_code.h"
#include "gtest/gtest.h"

namespace kv::kvctl {
namespace {

TEST(QuoteTest, QuotesAndEscapes) {
  EXPECT_EQ(Quote("k"), "\"k\"");
  EXPECT_EQ(Quote("a\nb"), "\"a\\nb\"");
  EXPECT_EQ(Quote("say \"hi\""), "\"say \\\"hi\\\"\"");
}

TEST(CallErrorTest, MessageNamesActionServerMessageAndGrpcCode) {
  absl::Status from_store =
      absl::NotFoundError("NO_SUCH_KEY: key \"k\" is not in the store");
  kvd::AttachErrorCode(from_store, v1::ERROR_CODE_NO_SUCH_KEY);
  const absl::Status error =
      CallError("get \"k\" from store \"default\"", from_store);
  EXPECT_EQ(error.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(error.message(),
            "get \"k\" from store \"default\": NO_SUCH_KEY: key \"k\" is not "
            "in the store (NOT_FOUND)");
  EXPECT_EQ(kvd::ErrorCodeOf(error), v1::ERROR_CODE_NO_SUCH_KEY);
  EXPECT_EQ(ServerMessageOf(error),
            "NO_SUCH_KEY: key \"k\" is not in the store");
}

TEST(CallErrorTest, KeepsTheGrpcCode) {
  const absl::Status error =
      CallError("open store \"default\"", absl::UnavailableError("down"));
  EXPECT_EQ(error.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(error.message(), "open store \"default\": down (UNAVAILABLE)");
  EXPECT_EQ(kvd::ErrorCodeOf(error), v1::ERROR_CODE_UNSPECIFIED);
}

TEST(CallErrorTest, EmptyMessageIsExplained) {
  const absl::Status error =
      CallError("open store \"default\"", absl::UnknownError(""));
  EXPECT_EQ(error.message(),
            "open store \"default\": no message from the server (UNKNOWN)");
}

TEST(CallErrorTest, EmptyServerMessageIsKeptEmpty) {
  const absl::Status error =
      CallError("open store \"default\"", absl::UnknownError(""));
  EXPECT_EQ(ServerMessageOf(error), "");
}

TEST(ServerMessageOfTest, NoneForALocalError) {
  EXPECT_EQ(ServerMessageOf(absl::NotFoundError("cannot open \"f\"")),
            std::nullopt);
  EXPECT_EQ(ServerMessageOf(absl::OkStatus()), std::nullopt);
}

TEST(RewordedTest, KeepsCodeAndPayloads) {
  absl::Status from_store = absl::NotFoundError("NO_SUCH_STORE: x");
  kvd::AttachErrorCode(from_store, v1::ERROR_CODE_NO_SUCH_STORE);
  const absl::Status error =
      Reworded(CallError("open store \"x\"", from_store), "line 2: more");
  EXPECT_EQ(error.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(error.message(), "line 2: more");
  EXPECT_EQ(kvd::ErrorCodeOf(error), v1::ERROR_CODE_NO_SUCH_STORE);
  EXPECT_EQ(ServerMessageOf(error), "NO_SUCH_STORE: x");
}

}  // namespace
}  // namespace kv::kvctl
