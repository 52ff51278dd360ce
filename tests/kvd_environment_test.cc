// kvd's KVD_* environment variables, through the real binary: they set what
// the flags set, a flag on the command line wins, and a bad value stops
// startup with an error that names the variable.

#include <stdlib.h>

#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/kv_test_client.h"
#include "tests/kvd_process.h"

namespace kv::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Sets environment variables for the kvd processes this test starts (they
// inherit the test's environment) and unsets them when it ends.
class ScopedEnvironment {
 public:
  ScopedEnvironment(
      std::initializer_list<std::pair<std::string, std::string>> vars)
      : vars_(vars) {
    for (const auto& [name, value] : vars_)
      setenv(name.c_str(), value.c_str(), 1);
  }
  ~ScopedEnvironment() {
    for (const auto& [name, value] : vars_) unsetenv(name.c_str());
  }

 private:
  const std::vector<std::pair<std::string, std::string>> vars_;
};

TEST(KvdEnvironmentTest, VariablesConfigureKvd) {
  const std::string dir = NewTempDir("env_all");
  WriteFile(dir + "/kvd.toml", "[key_value_store.cache]\ntype = \"memory\"\n");
  ScopedEnvironment env({{"KVD_LISTEN", "127.0.0.1:0"},
                         {"KVD_CONFIG", dir + "/kvd.toml"},
                         {"KVD_DATA_DIR", dir + "/from-env"},
                         {"KVD_METRICS_LISTEN", "127.0.0.1:0"}});
  auto kvd = KvdProcess::Start({});
  ASSERT_TRUE(kvd.ok()) << kvd.status();
  EXPECT_THAT((*kvd)->address(), HasSubstr("127.0.0.1:"));
  EXPECT_THAT((*kvd)->stdout_text(), HasSubstr("store \"default\": sqlite at " +
                                               dir + "/from-env/default.db"));
  EXPECT_THAT((*kvd)->stdout_text(), HasSubstr("store \"cache\": memory"));
  EXPECT_THAT((*kvd)->stdout_text(),
              HasSubstr("kvd metrics on http://127.0.0.1:"));
  KvTestClient client((*kvd)->NewChannel());
  uint32_t cache = 0;
  ASSERT_TRUE(client.Open("cache", &cache).ok());
  EXPECT_TRUE(client.Set(cache, "k", "v").ok());
}

TEST(KvdEnvironmentTest, FlagWinsOverVariable) {
  const std::string dir = NewTempDir("env_flag_wins");
  // Neither variable could work: the flags must be what kvd uses.
  ScopedEnvironment env({{"KVD_LISTEN", "unix:" + dir + "/missing/kvd.sock"},
                         {"KVD_DATA_DIR", "/dev/null/not-a-dir"}});
  auto kvd = KvdProcess::Start(
      {"--listen=127.0.0.1:0", "--data-dir=" + dir + "/from-flag"});
  ASSERT_TRUE(kvd.ok()) << kvd.status();
  EXPECT_THAT((*kvd)->address(), HasSubstr("127.0.0.1:"));
  EXPECT_THAT((*kvd)->stdout_text(), HasSubstr("store \"default\": sqlite at " +
                                               dir + "/from-flag/default.db"));
  EXPECT_THAT((*kvd)->stdout_text(), Not(HasSubstr("UNAVAILABLE")));
}

TEST(KvdEnvironmentTest, VariableWinsOverConfigFile) {
  const std::string dir = NewTempDir("env_over_config");
  WriteFile(dir + "/kvd.toml",
            "[server]\nlisten = \"unix:" + dir + "/missing/kvd.sock\"\n");
  ScopedEnvironment env({{"KVD_LISTEN", "127.0.0.1:0"}});
  auto kvd = KvdProcess::Start(
      {"--config=" + dir + "/kvd.toml", "--data-dir=" + dir + "/data"});
  ASSERT_TRUE(kvd.ok()) << kvd.status();
  EXPECT_THAT((*kvd)->address(), HasSubstr("127.0.0.1:"));
}

TEST(KvdEnvironmentTest, BadVariableStopsStartupNamingIt) {
  const std::string dir = NewTempDir("env_bad");
  const struct {
    const char* name;
    const char* value;
  } cases[] = {
      {"KVD_LOG_LEVEL", "loud"},
      {"KVD_LOG_FORMAT", "xml"},
      {"KVD_SHUTDOWN_GRACE", "soon"},
      {"KVD_METRICS_LISTEN", "9090"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    ScopedEnvironment env({{c.name, c.value}});
    absl::StatusOr<KvdRun> run =
        RunKvd({"--listen=127.0.0.1:0", "--data-dir=" + dir});
    ASSERT_TRUE(run.ok()) << run.status();
    EXPECT_EQ(run->exit_code, 2) << run->output;
    EXPECT_THAT(run->output,
                HasSubstr(std::string("kvd: ") + c.name + "=" + c.value));
  }
}

TEST(KvdEnvironmentTest, HelpNamesTheVariables) {
  absl::StatusOr<KvdRun> run = RunKvd({"--help"});
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->exit_code, 0);
  for (const char* name :
       {"KVD_LISTEN", "KVD_CONFIG", "KVD_DATA_DIR", "KVD_LOG_LEVEL",
        "KVD_LOG_FORMAT", "KVD_SHUTDOWN_GRACE", "KVD_METRICS_LISTEN"}) {
    EXPECT_THAT(run->output, HasSubstr(name));
  }
}

}  // namespace
}  // namespace kv::testing
