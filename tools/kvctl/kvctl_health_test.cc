// End to end: `kvctl health` against a real kvd, over a unix socket with a
// token, over TLS, during a drain (NOT_SERVING) and with kvd gone.

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/kvd_process.h"
#include "tests/test_pki.h"
#include "tools/kvctl/kvctl_runner.h"

namespace kv::kvctl {
namespace {

using Json = nlohmann::json;
using ::testing::HasSubstr;

constexpr char kToken[] = "health-test-token-8c1f0e";

// Runs kvctl with `args` to completion, output collected in `dir`.
KvctlRun Kvctl(const std::string& dir, std::vector<std::string> args) {
  args.insert(args.begin(), KvctlBinaryPath());
  return RunKvctl(std::move(args), dir);
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
