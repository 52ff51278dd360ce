#include "tools/kvctl/json_output.h"

#include <string>

#include "absl/status/status.h"
#include "clients/cpp/error_code.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tools/kvctl/call_status.h"

namespace kv::kvctl {
namespace {

using Json = nlohmann::json;

TEST(JsonLineTest, OneLineEndingInNewline) {
  const std::string line = JsonLine(Json{{"keys", {"a\nb", "clé"}}});
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  EXPECT_EQ(Json::parse(line)["keys"][0], "a\nb");
  EXPECT_EQ(Json::parse(line)["keys"][1], "clé");
}

TEST(JsonLineTest, InvalidUtf8IsReplacedNotFatal) {
  const std::string line = JsonLine(Json{{"k", std::string("a\xff")}});
  EXPECT_EQ(Json::parse(line)["k"], "a\xef\xbf\xbd");
}

TEST(AddValueTest, Utf8TextWithZeroBytesIsTextAndBase64) {
  Json document;
  AddValue(std::string("a\0b", 3), document);
  const Json parsed = Json::parse(JsonLine(document));
  EXPECT_EQ(parsed["value"].get<std::string>(), std::string("a\0b", 3));
  EXPECT_EQ(parsed["value_base64"], "YQBi");
}

TEST(AddValueTest, NonUtf8IsNullWithBase64) {
  Json document;
  AddValue(std::string("\xff\x00\xfe", 3), document);
  const Json parsed = Json::parse(JsonLine(document));
  EXPECT_TRUE(parsed["value"].is_null());
  EXPECT_EQ(parsed["value_base64"], "/wD+");
}

TEST(AddValueTest, EmptyValue) {
  Json document;
  AddValue("", document);
  EXPECT_EQ(document["value"], "");
  EXPECT_EQ(document["value_base64"], "");
}

TEST(ErrorJsonTest, CallErrorCarriesErrorCodeGrpcCodeAndServerMessage) {
  absl::Status from_store = absl::NotFoundError("NO_SUCH_KEY: key \"k\"");
  kvd::AttachErrorCode(from_store, v1::ERROR_CODE_NO_SUCH_KEY);
  const absl::Status error = CallError("get \"k\"", from_store);
  const Json document =
      Json::parse(JsonLine(ErrorJson(error, ExitCode::kNotFound)))["error"];
  EXPECT_EQ(document["error_code"], "NO_SUCH_KEY");
  EXPECT_EQ(document["grpc_code"], "NOT_FOUND");
  EXPECT_EQ(document["server_message"], "NO_SUCH_KEY: key \"k\"");
  EXPECT_EQ(document["message"], std::string(error.message()));
  EXPECT_EQ(document["exit_code"], 1);
}

TEST(ErrorJsonTest, FailedConditionCarriesTheCurrentRevision) {
  absl::Status from_store = absl::AbortedError("CONDITION_FAILED: k");
  kvd::AttachErrorCode(from_store, v1::ERROR_CODE_CONDITION_FAILED);
  kvd::AttachCurrentRevision(from_store, 12);
  const Json document = ErrorJson(CallError("set \"k\"", from_store),
                                  ExitCode::kConditionFailed)["error"];
  EXPECT_EQ(document["error_code"], "CONDITION_FAILED");
  EXPECT_EQ(document["current_revision"], 12);
  EXPECT_EQ(document["exit_code"], 7);
}

TEST(ErrorJsonTest, TransportErrorHasNoErrorCode) {
  const absl::Status error =
      CallError("open store \"default\"", absl::UnavailableError("refused"));
  const Json document = ErrorJson(error, ExitCode::kUnreachable)["error"];
  EXPECT_TRUE(document["error_code"].is_null());
  EXPECT_EQ(document["grpc_code"], "UNAVAILABLE");
  EXPECT_EQ(document["server_message"], "refused");
  EXPECT_EQ(document["exit_code"], 4);
}

TEST(ErrorJsonTest, LocalErrorHasOnlyMessageAndExitCode) {
  const Json document = ErrorJson(absl::NotFoundError("cannot open \"f\""),
                                  ExitCode::kLocalIo)["error"];
  EXPECT_EQ(document["message"], "cannot open \"f\"");
  EXPECT_EQ(document["exit_code"], 5);
  EXPECT_TRUE(document["error_code"].is_null());
  EXPECT_TRUE(document["grpc_code"].is_null());
  EXPECT_TRUE(document["server_message"].is_null());
  EXPECT_TRUE(document["current_revision"].is_null());
}

}  // namespace
}  // namespace kv::kvctl
