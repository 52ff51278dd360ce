#include "tools/kvctl/commands.h"

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "clients/cpp/fake_key_value.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tools/kvctl/key_listing.h"

namespace kv::kvctl {
namespace {

using ::testing::HasSubstr;

// Everything written to a temporary stream.
std::string Contents(std::FILE* file) {
  std::fflush(file);
  std::rewind(file);
  std::string text;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), file)) > 0) {
    text.append(buffer, n);
  }
  return text;
}

class CommandsTest : public ::testing::Test {
 protected:
  CommandsTest() {
    env_.channel = server_.channel();
    env_.store = "default";
    env_.options.timeout = absl::Seconds(10);
    env_.out_is_terminal = false;
    Reset();
  }
  ~CommandsTest() override { Close(); }

  // Fresh empty streams.
  void Reset() {
    Close();
    env_.in = std::tmpfile();
    env_.out = std::tmpfile();
    env_.err = std::tmpfile();
  }
  void Close() {
    for (std::FILE* f : {env_.in, env_.out, env_.err}) {
      if (f != nullptr) std::fclose(f);
    }
  }

  std::string out() { return Contents(env_.out); }
  std::string err() { return Contents(env_.err); }

  kvd::FakeKeyValueServer server_;
  CommandEnv env_{};
};

TEST_F(CommandsTest, SetThenGetWritesExactBytes) {
  const std::string binary("x\0y", 3);
  ASSERT_EQ(RunSet(env_, "k", {ValueSource::Kind::kLiteral, binary}),
            ExitCode::kSuccess);
  ASSERT_EQ(RunGet(env_, "k"), ExitCode::kSuccess);
  EXPECT_EQ(out(), binary);
  EXPECT_EQ(err(), "");
  EXPECT_EQ(server_.service().open_handles(), 0);
}

TEST_F(CommandsTest, TokenReachesTheServerAsBearerAuthorization) {
  env_.options.token = "t0ken";
  ASSERT_EQ(RunKeys(env_), ExitCode::kSuccess);
  EXPECT_EQ(server_.service().last_authorization(), "Bearer t0ken");
}

TEST_F(CommandsTest, GetOnATerminalAddsANewline) {
  ASSERT_EQ(RunSet(env_, "k", {ValueSource::Kind::kLiteral, "v"}),
            ExitCode::kSuccess);
  env_.out_is_terminal = true;
  ASSERT_EQ(RunGet(env_, "k"), ExitCode::kSuccess);
  EXPECT_EQ(out(), "v\n");
}

TEST_F(CommandsTest, SetFromStdin) {
  const std::string binary("\0\0\xfe", 3);
  std::fwrite(binary.data(), 1, binary.size(), env_.in);
  std::rewind(env_.in);
  ASSERT_EQ(RunSet(env_, "k", {ValueSource::Kind::kStdin, ""}),
            ExitCode::kSuccess);
  ASSERT_EQ(RunGet(env_, "k"), ExitCode::kSuccess);
  EXPECT_EQ(out(), binary);
}

TEST_F(CommandsTest, SetFromMissingFileIsLocalIoAndOpensNothing) {
  EXPECT_EQ(RunSet(env_, "k", {ValueSource::Kind::kFile, "/no/such/file"}),
            ExitCode::kLocalIo);
  EXPECT_THAT(err(), HasSubstr("kvctl: cannot open \"/no/such/file\""));
  EXPECT_EQ(server_.service().close_calls(), 0);
}

TEST_F(CommandsTest, GetMissingKeyExitsNotFoundWithOneLine) {
  EXPECT_EQ(RunGet(env_, "nope"), ExitCode::kNotFound);
  EXPECT_EQ(out(), "");
  const std::string message = err();
  EXPECT_THAT(message, HasSubstr("kvctl: get \"nope\" from store \"default\": "
                                 "NO_SUCH_KEY"));
  EXPECT_THAT(message, HasSubstr("(NOT_FOUND)\n"));
  EXPECT_EQ(message.find('\n'), message.size() - 1);
}

TEST_F(CommandsTest, ExistsPrintsAndExits) {
  EXPECT_EQ(RunExists(env_, "k"), ExitCode::kNotFound);
  EXPECT_EQ(out(), "false\n");
  Reset();
  ASSERT_EQ(RunSet(env_, "k", {ValueSource::Kind::kLiteral, ""}),
            ExitCode::kSuccess);
  EXPECT_EQ(RunExists(env_, "k"), ExitCode::kSuccess);
  EXPECT_EQ(out(), "true\n");
}

TEST_F(CommandsTest, DeleteAndKeys) {
  ASSERT_EQ(RunSet(env_, "b", {ValueSource::Kind::kLiteral, "2"}),
            ExitCode::kSuccess);
  ASSERT_EQ(RunSet(env_, "a", {ValueSource::Kind::kLiteral, "1"}),
            ExitCode::kSuccess);
  ASSERT_EQ(RunKeys(env_), ExitCode::kSuccess);
  EXPECT_EQ(out(), "a\nb\n");
  Reset();
  ASSERT_EQ(RunDelete(env_, "a"), ExitCode::kSuccess);
  ASSERT_EQ(RunDelete(env_, "never-set"), ExitCode::kSuccess);
  ASSERT_EQ(RunKeys(env_), ExitCode::kSuccess);
  EXPECT_EQ(out(), "b\n");
}

TEST_F(CommandsTest, UnknownStoreIsRefused) {
  env_.store = "x";
  EXPECT_EQ(RunKeys(env_), ExitCode::kRefused);
  EXPECT_THAT(err(), HasSubstr("kvctl: open store \"x\": NO_SUCH_STORE"));
}

TEST_F(CommandsTest, UnreachableServer) {
  server_.service().FailNextCall(
      grpc::Status(grpc::StatusCode::UNAVAILABLE, "failed to connect"), "");
  EXPECT_EQ(RunGet(env_, "k"), ExitCode::kUnreachable);
  EXPECT_THAT(err(), HasSubstr("failed to connect (UNAVAILABLE)"));
}

TEST_F(CommandsTest, JsonGetOnATerminalAddsNoSecondNewline) {
  ASSERT_EQ(RunSet(env_, "k", {ValueSource::Kind::kLiteral, "v"}),
            ExitCode::kSuccess);
  env_.json = true;
  env_.out_is_terminal = true;
  ASSERT_EQ(RunGet(env_, "k"), ExitCode::kSuccess);
  const std::string text = out();
  ASSERT_EQ(text.find('\n'), text.size() - 1) << text;
  EXPECT_EQ(nlohmann::json::parse(text)["value"], "v");
}

TEST_F(CommandsTest, JsonSetFromMissingFileIsALocalError) {
  env_.json = true;
  EXPECT_EQ(RunSet(env_, "k", {ValueSource::Kind::kFile, "/no/such/file"}),
            ExitCode::kLocalIo);
  EXPECT_EQ(out(), "");
  const nlohmann::json error = nlohmann::json::parse(err())["error"];
  EXPECT_EQ(error["exit_code"], 5);
  EXPECT_THAT(error["message"].get<std::string>(),
              HasSubstr("cannot open \"/no/such/file\""));
  EXPECT_TRUE(error["grpc_code"].is_null());
}

TEST_F(CommandsTest, JsonUnreachableServer) {
  env_.json = true;
  server_.service().FailNextCall(
      grpc::Status(grpc::StatusCode::UNAVAILABLE, "failed to connect"), "");
  EXPECT_EQ(RunGet(env_, "k"), ExitCode::kUnreachable);
  const nlohmann::json error = nlohmann::json::parse(err())["error"];
  EXPECT_EQ(error["grpc_code"], "UNAVAILABLE");
  EXPECT_EQ(error["server_message"], "failed to connect");
  EXPECT_TRUE(error["error_code"].is_null());
}

TEST_F(CommandsTest, GetWithRevisionPrintsItFirst) {
  ASSERT_EQ(RunSet(env_, "k", {ValueSource::Kind::kLiteral, "v"}),
            ExitCode::kSuccess);
  ASSERT_EQ(RunGet(env_, "k", GetOptions{/*revision=*/true}),
            ExitCode::kSuccess);
  EXPECT_EQ(out(), "1\nv");
  Reset();
  env_.json = true;
  ASSERT_EQ(RunGet(env_, "k", GetOptions{/*revision=*/true}),
            ExitCode::kSuccess);
  const nlohmann::json document = nlohmann::json::parse(out());
  EXPECT_EQ(document["revision"], 1);
  EXPECT_EQ(document["value"], "v");
  Reset();
  ASSERT_EQ(RunGet(env_, "k"), ExitCode::kSuccess);
  EXPECT_FALSE(nlohmann::json::parse(out()).contains("revision"));
}

TEST_F(CommandsTest, ConditionalSetPrintsTheRevisionWritten) {
  ASSERT_EQ(RunSet(env_, "k", {ValueSource::Kind::kLiteral, "a"}, 0),
            ExitCode::kSuccess);
  EXPECT_EQ(out(), "1\n");
  Reset();
  ASSERT_EQ(RunSet(env_, "k", {ValueSource::Kind::kLiteral, "b"}, 1),
            ExitCode::kSuccess);
  EXPECT_EQ(out(), "2\n");
  Reset();
  // Unconditional: prints nothing, as it always did.
  ASSERT_EQ(RunSet(env_, "k", {ValueSource::Kind::kLiteral, "c"}),
            ExitCode::kSuccess);
  EXPECT_EQ(out(), "");
}

TEST_F(CommandsTest, FailedConditionExitsSevenWithTheCurrentRevision) {
  ASSERT_EQ(RunSet(env_, "k", {ValueSource::Kind::kLiteral, "a"}),
            ExitCode::kSuccess);
  EXPECT_EQ(RunSet(env_, "k", {ValueSource::Kind::kLiteral, "b"}, 0),
            ExitCode::kConditionFailed);
  EXPECT_EQ(out(), "");
  const std::string message = err();
  EXPECT_THAT(message,
              HasSubstr("kvctl: set \"k\" in store \"default\" if absent: "
                        "CONDITION_FAILED"));
  EXPECT_THAT(message, HasSubstr("(ABORTED); current revision 1\n"));
  EXPECT_EQ(message.find('\n'), message.size() - 1);

  Reset();
  EXPECT_EQ(RunDelete(env_, "absent", 4), ExitCode::kConditionFailed);
  EXPECT_THAT(err(), HasSubstr("delete \"absent\" from store \"default\" if "
                               "at revision 4: CONDITION_FAILED"));
  EXPECT_THAT(err(), HasSubstr("; current revision 0: the key is absent\n"));

  Reset();
  env_.json = true;
  EXPECT_EQ(RunSet(env_, "k", {ValueSource::Kind::kLiteral, "b"}, 7),
            ExitCode::kConditionFailed);
  const nlohmann::json error = nlohmann::json::parse(err())["error"];
  EXPECT_EQ(error["exit_code"], 7);
  EXPECT_EQ(error["error_code"], "CONDITION_FAILED");
  EXPECT_EQ(error["grpc_code"], "ABORTED");
  EXPECT_EQ(error["current_revision"], 1);
}

TEST_F(CommandsTest, ConditionalDeletePrintsItsRevision) {
  ASSERT_EQ(RunSet(env_, "k", {ValueSource::Kind::kLiteral, "a"}),
            ExitCode::kSuccess);
  ASSERT_EQ(RunDelete(env_, "k", 1), ExitCode::kSuccess);
  EXPECT_EQ(out(), "2\n");
  Reset();
  ASSERT_EQ(RunDelete(env_, "k", 0), ExitCode::kSuccess);
  EXPECT_EQ(out(), "0\n");
  Reset();
  env_.json = true;
  ASSERT_EQ(RunDelete(env_, "k"), ExitCode::kSuccess);
  const nlohmann::json document = nlohmann::json::parse(out());
  EXPECT_EQ(document["ok"], true);
  EXPECT_EQ(document["revision"], 0);
}

TEST_F(CommandsTest, IncrPrintsTheNewValue) {
  ASSERT_EQ(RunIncr(env_, "n", 1), ExitCode::kSuccess);
  EXPECT_EQ(out(), "1\n");
  Reset();
  ASSERT_EQ(RunIncr(env_, "n", -8), ExitCode::kSuccess);
  EXPECT_EQ(out(), "-7\n");
  Reset();
  env_.json = true;
  ASSERT_EQ(RunIncr(env_, "n", 2), ExitCode::kSuccess);
  const nlohmann::json document = nlohmann::json::parse(out());
  EXPECT_EQ(document["value"], -5);
  EXPECT_EQ(document["revision"], 3);
  EXPECT_EQ(document["key"], "n");
  EXPECT_EQ(document["store"], "default");
}

TEST_F(CommandsTest, IncrOfTextIsRefused) {
  ASSERT_EQ(RunSet(env_, "t", {ValueSource::Kind::kLiteral, "abc"}),
            ExitCode::kSuccess);
  EXPECT_EQ(RunIncr(env_, "t", 1), ExitCode::kRefused);
  EXPECT_THAT(err(), HasSubstr("kvctl: increment \"t\" by 1 in store "
                               "\"default\": NOT_AN_INTEGER"));
}

TEST_F(CommandsTest, SetWithATtlAndGetShowingTheExpireTime) {
  ASSERT_EQ(RunSet(env_, "k", {ValueSource::Kind::kLiteral, "v"}, std::nullopt,
                   std::chrono::seconds(30)),
            ExitCode::kSuccess);
  EXPECT_EQ(out(), "");
  // Off a terminal the value's bytes alone, as for a key without expiry.
  ASSERT_EQ(RunGet(env_, "k"), ExitCode::kSuccess);
  EXPECT_EQ(out(), "v");
  Reset();
  ASSERT_EQ(RunGet(env_, "k", GetOptions{true, true}), ExitCode::kSuccess);
  EXPECT_THAT(out(), ::testing::MatchesRegex(
                         "1\n20[0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:"
                         "[0-9][0-9]:[0-9][0-9]\\.[0-9][0-9][0-9]Z\nv"));
  Reset();
  env_.out_is_terminal = true;
  ASSERT_EQ(RunGet(env_, "k"), ExitCode::kSuccess);
  EXPECT_THAT(out(), ::testing::MatchesRegex("v\nexpires 20[-0-9T:.]*Z\n"));
  Reset();
  env_.out_is_terminal = false;
  env_.json = true;
  ASSERT_EQ(RunGet(env_, "k"), ExitCode::kSuccess);
  const nlohmann::json document = nlohmann::json::parse(out());
  EXPECT_THAT(document["expire_time"].get<std::string>(),
              ::testing::MatchesRegex("20[-0-9T:.]*Z"));

  server_.service().AdvanceClock(absl::Seconds(30));
  Reset();
  EXPECT_EQ(RunGet(env_, "k"), ExitCode::kNotFound);
}

TEST_F(CommandsTest, KeysWithoutExpiryPrintAsBefore) {
  ASSERT_EQ(RunSet(env_, "k", {ValueSource::Kind::kLiteral, "v"}),
            ExitCode::kSuccess);
  env_.out_is_terminal = true;
  ASSERT_EQ(RunGet(env_, "k"), ExitCode::kSuccess);
  EXPECT_EQ(out(), "v\n");
  Reset();
  ASSERT_EQ(RunGet(env_, "k", GetOptions{false, true}), ExitCode::kSuccess);
  EXPECT_EQ(out(), "never\nv\n");
  Reset();
  env_.json = true;
  ASSERT_EQ(RunGet(env_, "k"), ExitCode::kSuccess);
  EXPECT_FALSE(nlohmann::json::parse(out()).contains("expire_time"));
}

TEST_F(CommandsTest, ATtlKvdRefusesIsAnError) {
  EXPECT_EQ(RunSet(env_, "k", {ValueSource::Kind::kLiteral, "v"}, std::nullopt,
                   std::chrono::hours(24 * 366 * 11)),
            ExitCode::kRefused);
  EXPECT_THAT(err(), HasSubstr("kvctl: set \"k\" in store \"default\": IO: "
                               "ttl"));
}

TEST_F(CommandsTest, Describe) {
  ASSERT_EQ(RunDescribe(env_), ExitCode::kSuccess);
  EXPECT_THAT(out(), HasSubstr("driver:        memory\n"));
  Reset();
  env_.json = true;
  ASSERT_EQ(RunDescribe(env_), ExitCode::kSuccess);
  const nlohmann::json document = nlohmann::json::parse(out());
  EXPECT_EQ(document["durability"], "NONE");
  EXPECT_EQ(document["limits"]["max_batch_entries"], 1000);
}

}  // namespace
}  // namespace kv::kvctl
