#include "service/telemetry/logging.h"

#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "spdlog/sinks/ostream_sink.h"
#include "spdlog/spdlog.h"

namespace kv {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::SizeIs;

// Logs into a string instead of stderr.
class LoggingTest : public ::testing::Test {
 protected:
  void Configure(LogFormat format,
                 spdlog::level::level_enum level = spdlog::level::debug) {
    ConfigureLogging(format, level,
                     std::make_shared<spdlog::sinks::ostream_sink_mt>(out_));
  }

  std::vector<std::string> Lines() {
    spdlog::default_logger()->flush();
    std::vector<std::string> lines = absl::StrSplit(out_.str(), '\n');
    if (!lines.empty() && lines.back().empty()) lines.pop_back();
    return lines;
  }

  std::ostringstream out_;
};

TEST_F(LoggingTest, JsonLinesHaveTimeLevelAndMessage) {
  Configure(LogFormat::kJson);
  spdlog::info("serving {} store(s)", 2);
  spdlog::warn("a \"quoted\"\nmessage\twith \x01 control bytes and \xff");
  std::vector<std::string> lines = Lines();
  ASSERT_THAT(lines, SizeIs(2));
  const nlohmann::json first = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(first["level"], "info");
  EXPECT_EQ(first["msg"], "serving 2 store(s)");
  EXPECT_THAT(
      first["time"].get<std::string>(),
      MatchesRegex("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"
                   "\\.[0-9]{3}Z"));
  // Escaping keeps one event on one line, and invalid UTF-8 does not break
  // the line.
  const nlohmann::json second = nlohmann::json::parse(lines[1]);
  EXPECT_EQ(second["level"], "warning");
  EXPECT_THAT(second["msg"].get<std::string>(),
              HasSubstr("a \"quoted\"\nmessage\twith \x01 control"));
}

TEST_F(LoggingTest, JsonEventFieldsAreMembers) {
  Configure(LogFormat::kJson);
  nlohmann::ordered_json fields;
  fields["method"] = "Get";
  fields["key_bytes"] = 5;
  fields["msg"] = "cannot replace the message";
  LogEvent(spdlog::level::debug, "rpc", fields);
  spdlog::info("a plain line after it has no fields");
  std::vector<std::string> lines = Lines();
  ASSERT_THAT(lines, SizeIs(2));
  const nlohmann::json event = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(event["msg"], "rpc");
  EXPECT_EQ(event["method"], "Get");
  EXPECT_EQ(event["key_bytes"], 5);
  EXPECT_FALSE(nlohmann::json::parse(lines[1]).contains("method"));
}

TEST_F(LoggingTest, TextEventFieldsFollowTheMessage) {
  Configure(LogFormat::kText);
  nlohmann::ordered_json fields;
  fields["method"] = "Get";
  fields["store"] = "";
  fields["note"] = "two words";
  fields["duration_ms"] = 0.5;
  LogEvent(spdlog::level::info, "rpc", fields);
  std::vector<std::string> lines = Lines();
  ASSERT_THAT(lines, SizeIs(1));
  EXPECT_THAT(lines[0],
              HasSubstr("rpc method=Get store=\"\" note=\"two words\" "
                        "duration_ms=0.5"));
}

TEST_F(LoggingTest, EventsBelowTheLevelAreDropped) {
  Configure(LogFormat::kJson, spdlog::level::info);
  LogEvent(spdlog::level::debug, "rpc", nlohmann::ordered_json::object());
  spdlog::debug("nor this");
  EXPECT_THAT(Lines(), SizeIs(0));
}

TEST(ParseLogTest, FormatsAndLevels) {
  EXPECT_EQ(ParseLogFormat("text"), LogFormat::kText);
  EXPECT_EQ(ParseLogFormat("json"), LogFormat::kJson);
  EXPECT_EQ(ParseLogFormat("JSON"), absl::nullopt);
  EXPECT_EQ(ParseLogLevel("debug"), spdlog::level::debug);
  EXPECT_EQ(ParseLogLevel("warn"), spdlog::level::warn);
  EXPECT_EQ(ParseLogLevel("error"), spdlog::level::err);
  EXPECT_EQ(ParseLogLevel("trace"), absl::nullopt);
}

}  // namespace
}  // namespace kv
