// End to end: `kvctl health` against a real kvd, over a unix socket with a
// token, over TLS, during a drain (NOT_SERVING) and with kvd gone.

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/kvd_process.h"
#include "tests/test_pki.h"

extern char** environ;

namespace kv::kvctl {
namespace {

using Json = nlohmann::json;
using ::testing::HasSubstr;

constexpr char kToken[] = "health-test-token-8c1f0e";

std::string KvctlBinaryPath() {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  return absl::StrCat(srcdir ? srcdir : ".", "/", workspace ? workspace : "kvd",
                      "/tools/kvctl/kvctl");
}

std::string ReadFileText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

struct KvctlRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs kvctl with `args` to completion, output collected in `dir`.
KvctlRun Kvctl(const std::string& dir, std::vector<std::string> args) {
  args.insert(args.begin(), KvctlBinaryPath());
  const std::string out_path = dir + "/out";
  const std::string err_path = dir + "/err";
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = -1;
  const int spawned =
      posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  KvctlRun run;
  if (spawned != 0) {
    ADD_FAILURE() << "cannot run " << argv[0] << ": errno " << spawned;
    return run;
  }
  int status = 0;
  waitpid(pid, &status, 0);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  run.out = ReadFileText(out_path);
  run.err = ReadFileText(err_path);
  return run;
}

// A kvd with one [[client]], on a unix socket.
class KvctlHealthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::NewShortTempDir();
    token_file_ = dir_ + "/client.token";
    testing::WriteFile(token_file_, std::string(kToken) + "\n");
    chmod(token_file_.c_str(), 0600);
    testing::WriteFile(dir_ + "/kvd.toml",
                       "[[client]]\nname = \"ops\"\ntoken_file = \"" +
                           token_file_ +
                           "\"\nkey_value_stores = [\"default\"]\n");
    auto kvd = testing::KvdProcess::Start(
        {"--listen=unix:" + dir_ + "/kvd.sock",
         "--config=" + dir_ + "/kvd.toml", "--data-dir=" + dir_ + "/data",
         "--drain-delay=60s", "--shutdown-timeout=90s"});
    ASSERT_TRUE(kvd.ok()) << kvd.status();
    kvd_ = *std::move(kvd);
  }

  KvctlRun Health(std::vector<std::string> args) {
    std::vector<std::string> all = {"--addr",       kvd_->address(),
                                    "--token-file", token_file_,
                                    "--timeout",    "10s"};
    all.insert(all.end(), args.begin(), args.end());
    return Kvctl(dir_, all);
  }

  std::string dir_;
  std::string token_file_;
  std::unique_ptr<testing::KvdProcess> kvd_;
};

TEST_F(KvctlHealthTest, ServingServicesExitZero) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"health"},
        {"health", "--service", ""},
        {"health", "--service", "kvd.ready"},
        {"health", "--service", "store:default"}}) {
    KvctlRun run = Health(args);
    EXPECT_EQ(run.exit_code, 0) << args.back() << ": " << run.err;
    EXPECT_EQ(run.out, "SERVING\n") << args.back();
    EXPECT_EQ(run.err, "");
  }
  KvctlRun run = Health({"--json", "health", "--service", "kvd.ready"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  const Json document = Json::parse(run.out);
  EXPECT_EQ(document, Json({{"service", "kvd.ready"}, {"status", "SERVING"}}));
  // A token is not needed for health, as for Kubernetes' probes.
  run = Kvctl(dir_, {"--addr", kvd_->address(), "health"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
}

TEST_F(KvctlHealthTest, AnUnknownServiceIsServiceUnknownAndExitsThree) {
  for (const char* service : {"no.such.service", "store:nope"}) {
    KvctlRun run = Health({"health", "--service", service});
    EXPECT_EQ(run.exit_code, 3) << service << ": " << run.err;
    EXPECT_EQ(run.out, "SERVICE_UNKNOWN\n") << service;
    run = Health({"--json", "health", "--service", service});
    EXPECT_EQ(run.exit_code, 3);
    EXPECT_EQ(Json::parse(run.out),
              Json({{"service", service}, {"status", "SERVICE_UNKNOWN"}}));
  }
}

TEST_F(KvctlHealthTest, ReadinessIsNotServingWhileDrainingAndExitsOne) {
  kvd_->Signal(SIGTERM);
  // A bounded wait for the drain to begin, not a timing assertion.
  KvctlRun run;
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  do {
    run = Health({"health", "--service", "kvd.ready"});
    if (run.out == "NOT_SERVING\n") break;
    absl::SleepFor(absl::Milliseconds(20));
  } while (absl::Now() < deadline);
  EXPECT_EQ(run.out, "NOT_SERVING\n") << run.err;
  EXPECT_EQ(run.exit_code, 1);
  run = Health({"--json", "health", "--service", "kvd.ready"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(Json::parse(run.out),
            Json({{"service", "kvd.ready"}, {"status", "NOT_SERVING"}}));
  // The server as a whole still answers during the drain delay.
  EXPECT_EQ(Health({"health"}).exit_code, 0);
  EXPECT_EQ(kvd_->Stop(SIGINT, absl::Seconds(30)).value_or(-1), 0);

  run = Health({"health"});
  EXPECT_EQ(run.exit_code, 4) << run.out;
  EXPECT_EQ(run.out, "");
  EXPECT_THAT(run.err, HasSubstr("kvctl: health check of service \"\": "));
  run = Health({"--json", "health"});
  EXPECT_EQ(run.exit_code, 4);
  EXPECT_EQ(Json::parse(run.err)["error"]["exit_code"], 4);
}

TEST(KvctlHealthTlsTest, WorksOverTls) {
  const std::string dir = testing::NewTempDir("kvctl_health_tls");
  absl::StatusOr<testing::TestPki> pki = testing::TestPki::Create(dir);
  ASSERT_TRUE(pki.ok()) << pki.status();
  auto kvd = testing::KvdProcess::Start(
      {"--listen=127.0.0.1:0", "--data-dir=" + dir + "/data",
       "--tls-cert=" + pki->server_cert(), "--tls-key=" + pki->server_key()});
  ASSERT_TRUE(kvd.ok()) << kvd.status();
  KvctlRun run =
      Kvctl(dir, {"--addr", (*kvd)->address(), "--tls-ca", pki->ca_cert(),
                  "health", "--service", "store:default"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, "SERVING\n");
  // Plaintext against the TLS port is not an answer.
  run = Kvctl(dir, {"--addr", (*kvd)->address(), "--timeout", "3s", "health"});
  EXPECT_EQ(run.exit_code, 4) << run.out;
}

}  // namespace
}  // namespace kv::kvctl
