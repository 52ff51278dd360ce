#include "service/kvd/kvd_flags.h"

#include <stdlib.h>

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/testing/status_matchers.h"

namespace kv {
namespace {

using ::kv::testing::IsOk;
using ::kv::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kVariables[] = {
    "KVD_LISTEN",         "KVD_CONFIG",
    "KVD_DATA_DIR",       "KVD_LOG_LEVEL",
    "KVD_LOG_FORMAT",     "KVD_SHUTDOWN_GRACE",
    "KVD_METRICS_LISTEN", "KVD_TOKEN_RELOAD_INTERVAL",
};

class KvdFlagsTest : public ::testing::Test {
 protected:
  // Each test starts and ends with none of kvd's variables set.
  void SetUp() override { ClearVariables(); }
  void TearDown() override { ClearVariables(); }

  static void ClearVariables() {
    for (const char* name : kVariables) unsetenv(name);
  }

  static absl::StatusOr<KvdFlags> Parse(std::vector<std::string> args) {
    args.insert(args.begin(), "kvd");
    std::vector<const char*> argv;
    for (const std::string& arg : args) argv.push_back(arg.c_str());
    return ParseKvdFlags(static_cast<int>(argv.size()), argv.data());
  }
};

TEST_F(KvdFlagsTest, DefaultsWithNoFlagsOrVariables) {
  absl::StatusOr<KvdFlags> flags = Parse({});
  ASSERT_THAT(flags, IsOk());
  EXPECT_EQ(flags->listen, "");
  EXPECT_EQ(flags->config, "");
  EXPECT_EQ(flags->data_dir, "");
  EXPECT_EQ(flags->log_level, spdlog::level::info);
  EXPECT_EQ(flags->log_format, LogFormat::kText);
  EXPECT_EQ(flags->shutdown.grace, absl::Seconds(10));
  EXPECT_EQ(flags->metrics_listen, "");
  EXPECT_EQ(flags->help, "");
}

TEST_F(KvdFlagsTest, EveryFlagHasAVariable) {
  setenv("KVD_LISTEN", "unix:/run/kvd.sock", 1);
  setenv("KVD_CONFIG", "/etc/kvd.toml", 1);
  setenv("KVD_DATA_DIR", "/var/lib/kvd", 1);
  setenv("KVD_LOG_LEVEL", "debug", 1);
  setenv("KVD_LOG_FORMAT", "json", 1);
  setenv("KVD_SHUTDOWN_GRACE", "3s", 1);
  setenv("KVD_METRICS_LISTEN", "0.0.0.0:9090", 1);
  absl::StatusOr<KvdFlags> flags = Parse({});
  ASSERT_THAT(flags, IsOk());
  EXPECT_EQ(flags->listen, "unix:/run/kvd.sock");
  EXPECT_EQ(flags->config, "/etc/kvd.toml");
  EXPECT_EQ(flags->data_dir, "/var/lib/kvd");
  EXPECT_EQ(flags->log_level, spdlog::level::debug);
  EXPECT_EQ(flags->log_format, LogFormat::kJson);
  EXPECT_EQ(flags->shutdown.grace, absl::Seconds(3));
  EXPECT_EQ(flags->metrics_listen, "0.0.0.0:9090");
}

TEST_F(KvdFlagsTest, FlagWinsOverVariable) {
  setenv("KVD_LISTEN", "127.0.0.1:1111", 1);
  setenv("KVD_LOG_FORMAT", "json", 1);
  // Both spellings of a flag count as given.
  absl::StatusOr<KvdFlags> flags =
      Parse({"--listen=127.0.0.1:2222", "--log-format", "text"});
  ASSERT_THAT(flags, IsOk());
  EXPECT_EQ(flags->listen, "127.0.0.1:2222");
  EXPECT_EQ(flags->log_format, LogFormat::kText);
}

TEST_F(KvdFlagsTest, FlagWinsOverABadVariable) {
  setenv("KVD_LOG_LEVEL", "loud", 1);
  absl::StatusOr<KvdFlags> flags = Parse({"--log-level=warn"});
  ASSERT_THAT(flags, IsOk());
  EXPECT_EQ(flags->log_level, spdlog::level::warn);
}

TEST_F(KvdFlagsTest, EmptyVariableCountsAsUnset) {
  setenv("KVD_LOG_LEVEL", "", 1);
  setenv("KVD_METRICS_LISTEN", "", 1);
  absl::StatusOr<KvdFlags> flags = Parse({});
  ASSERT_THAT(flags, IsOk());
  EXPECT_EQ(flags->log_level, spdlog::level::info);
  EXPECT_EQ(flags->metrics_listen, "");
}

TEST_F(KvdFlagsTest, BadVariableIsNamedInTheError) {
  const struct {
    const char* name;
    const char* value;
    const char* says;
  } cases[] = {
      {"KVD_LOG_LEVEL", "loud", "KVD_LOG_LEVEL=loud is not a log level"},
      {"KVD_LOG_FORMAT", "xml", "KVD_LOG_FORMAT=xml is not a log format"},
      {"KVD_SHUTDOWN_GRACE", "soon", "KVD_SHUTDOWN_GRACE=soon is not a"},
      {"KVD_SHUTDOWN_GRACE", "-1s", "KVD_SHUTDOWN_GRACE=-1s is not a"},
      {"KVD_METRICS_LISTEN", "9090", "KVD_METRICS_LISTEN=9090 is not HOST"},
      {"KVD_METRICS_LISTEN", "host:http", "KVD_METRICS_LISTEN=host:http"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    ClearVariables();
    setenv(c.name, c.value, 1);
    EXPECT_THAT(Parse({}).status(),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         AllOf(HasSubstr(c.says), Not(HasSubstr("--")))));
  }
}

TEST_F(KvdFlagsTest, BadFlagIsNamedInTheError) {
  EXPECT_THAT(Parse({"--log-level=loud"}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("--log-level=loud is not a log level")));
  EXPECT_THAT(Parse({"--metrics-listen", "9090"}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("--metrics-listen=9090 is not HOST:PORT")));
  EXPECT_THAT(Parse({"--no-such-flag"}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("--no-such-flag")));
}

TEST_F(KvdFlagsTest, HelpNamesEveryVariable) {
  absl::StatusOr<KvdFlags> flags = Parse({"--help"});
  ASSERT_THAT(flags, IsOk());
  for (const char* name : kVariables) {
    EXPECT_THAT(flags->help, HasSubstr(name));
  }
  EXPECT_THAT(flags->help, HasSubstr("--metrics-listen"));
  EXPECT_THAT(flags->help, HasSubstr("wins over its variable"));
}

TEST_F(KvdFlagsTest, ExpirySweepIntervalFromFlag) {
  absl::StatusOr<KvdFlags> flags = Parse({});
  ASSERT_TRUE(flags.ok()) << flags.status();
  EXPECT_FALSE(flags->expiry_sweep_interval.has_value());
  flags = Parse({"--expiry-sweep-interval=250ms"});
  ASSERT_TRUE(flags.ok()) << flags.status();
  EXPECT_EQ(flags->expiry_sweep_interval, absl::Milliseconds(250));
  flags = Parse({"--expiry-sweep-interval=0"});
  ASSERT_TRUE(flags.ok()) << flags.status();
  EXPECT_EQ(flags->expiry_sweep_interval, absl::ZeroDuration());
  EXPECT_THAT(Parse({"--expiry-sweep-interval=inf"}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("--expiry-sweep-interval=inf is not a "
                                 "duration such as 10s or 500ms (0 turns "
                                 "reclaiming off)")));
}

TEST_F(KvdFlagsTest, TokenReloadIntervalFromFlagOrVariable) {
  absl::StatusOr<KvdFlags> flags = Parse({});
  ASSERT_TRUE(flags.ok()) << flags.status();
  // Unset: the config file's value or the default applies (main.cc).
  EXPECT_FALSE(flags->token_reload_interval.has_value());
  setenv("KVD_TOKEN_RELOAD_INTERVAL", "1m", 1);
  flags = Parse({});
  ASSERT_TRUE(flags.ok()) << flags.status();
  EXPECT_EQ(flags->token_reload_interval, absl::Minutes(1));
  flags = Parse({"--token-reload-interval=0"});
  ASSERT_TRUE(flags.ok()) << flags.status();
  EXPECT_EQ(flags->token_reload_interval, absl::ZeroDuration());
  EXPECT_THAT(Parse({"--token-reload-interval=soon"}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("--token-reload-interval=soon is not a "
                                 "duration")));
  setenv("KVD_TOKEN_RELOAD_INTERVAL", "-5s", 1);
  EXPECT_THAT(Parse({}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("KVD_TOKEN_RELOAD_INTERVAL=-5s")));
}

}  // namespace
}  // namespace kv
