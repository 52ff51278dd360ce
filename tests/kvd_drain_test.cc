// kvd's readiness and graceful drain, through the real kvd process and the
// standard gRPC health protocol that Kubernetes' probes speak:
//   - readiness ("kvd.ready") is NOT_SERVING until every store has opened,
//     while liveness ("") is SERVING;
//   - on SIGTERM readiness turns NOT_SERVING at once, calls are still served
//     for --drain-delay, then refused with UNAVAILABLE, and kvd exits 0;
//   - SIGINT and a second SIGTERM skip the drain delay;
//   - drain timings that do not fit the deadline stop startup.

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "tests/kv_test_client.h"
#include "tests/kvd_process.h"

namespace kv::testing {
namespace {

using ::grpc::health::v1::HealthCheckRequest;
using ::grpc::health::v1::HealthCheckResponse;
using ::testing::HasSubstr;

constexpr char kReadiness[] = "kvd.ready";
constexpr char kLiveness[] = "";

// The status of `service` as a kubelet's gRPC probe sees it; UNKNOWN if the
// call itself fails.
HealthCheckResponse::ServingStatus Probe(KvdProcess& kvd,
                                         const std::string& service) {
  auto health = grpc::health::v1::Health::NewStub(kvd.NewChannel());
  HealthCheckRequest request;
  request.set_service(service);
  HealthCheckResponse response;
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  grpc::Status status = health->Check(&context, request, &response);
  return status.ok() ? response.status() : HealthCheckResponse::UNKNOWN;
}

// Probes `service` until it reports `want`; false after a 30 s hang guard.
bool ProbeUntil(KvdProcess& kvd, const std::string& service,
                HealthCheckResponse::ServingStatus want) {
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (absl::Now() < deadline) {
    if (Probe(kvd, service) == want) return true;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return false;
}

std::unique_ptr<KvdProcess> StartOrDie(const std::vector<std::string>& args) {
  auto kvd = KvdProcess::Start(args);
  EXPECT_TRUE(kvd.ok()) << kvd.status();
  return kvd.ok() ? *std::move(kvd) : nullptr;
}

TEST(KvdDrainTest, ReadinessWaitsUntilEveryStoreHasOpened) {
  const std::string dir = NewTempDir("readiness");
  // The "late" store's directory is blocked by a regular file, so it cannot
  // open, as with a volume that is not mounted yet.
  WriteFile(dir + "/blocker", "not a directory");
  WriteFile(dir + "/kvd.toml", absl::StrCat("[key_value_store.default]\n"
                                            "type = \"sqlite\"\n"
                                            "[key_value_store.late]\n"
                                            "type = \"sqlite\"\n"
                                            "path = \"",
                                            dir, "/blocker/late.db\"\n"));
  auto kvd =
      StartOrDie({"--listen=127.0.0.1:0", "--config=" + dir + "/kvd.toml",
                  "--data-dir=" + dir + "/data"});
  ASSERT_NE(kvd, nullptr);

  EXPECT_EQ(Probe(*kvd, kLiveness), HealthCheckResponse::SERVING);
  EXPECT_EQ(Probe(*kvd, kReadiness), HealthCheckResponse::NOT_SERVING);
  EXPECT_EQ(Probe(*kvd, "store:late"), HealthCheckResponse::NOT_SERVING);
  EXPECT_EQ(Probe(*kvd, "store:default"), HealthCheckResponse::SERVING);
  // The stores that did open serve meanwhile.
  KvTestClient client(kvd->NewChannel());
  uint32_t store = 0;
  ASSERT_TRUE(client.Open("default", &store).ok());
  EXPECT_TRUE(client.Set(store, "k", "v").ok());

  // Unblock it: kvd retries in the background, with no call to "late".
  ASSERT_EQ(unlink((dir + "/blocker").c_str()), 0);
  EXPECT_TRUE(ProbeUntil(*kvd, kReadiness, HealthCheckResponse::SERVING));
  EXPECT_EQ(Probe(*kvd, "store:late"), HealthCheckResponse::SERVING);
  ASSERT_TRUE(client.Open("late", &store).ok());
  EXPECT_TRUE(client.Set(store, "k", "v").ok());
  EXPECT_EQ(*kvd->Stop(SIGINT, absl::Seconds(30)), 0);
}

TEST(KvdDrainTest, SigtermFlipsReadinessFirstServesForTheDelayThenRefuses) {
  const std::string dir = NewTempDir("drain");
  constexpr absl::Duration kDrainDelay = absl::Seconds(6);
  auto kvd = StartOrDie({"--listen=127.0.0.1:0", "--data-dir=" + dir,
                         "--drain-delay=6s", "--shutdown-grace=5s",
                         "--shutdown-timeout=25s"});
  ASSERT_NE(kvd, nullptr);
  ASSERT_TRUE(ProbeUntil(*kvd, kReadiness, HealthCheckResponse::SERVING));
  KvTestClient client(kvd->NewChannel());
  uint32_t store = 0;
  ASSERT_TRUE(client.Open("default", &store).ok());

  const absl::Time signalled = absl::Now();
  kvd->Signal(SIGTERM);
  ASSERT_TRUE(ProbeUntil(*kvd, kReadiness, HealthCheckResponse::NOT_SERVING));
  // Not ready, yet alive and still serving.
  EXPECT_EQ(Probe(*kvd, kLiveness), HealthCheckResponse::SERVING);
  EXPECT_EQ(Probe(*kvd, "kv.v1.KeyValue"), HealthCheckResponse::SERVING);

  // Calls keep succeeding until kvd refuses one; every refusal is
  // UNAVAILABLE (or CANCELLED by gRPC core for a call racing the close).
  int served_while_not_ready = 0;
  CallResult refused;
  const absl::Time hang_guard = signalled + absl::Seconds(60);
  for (int i = 0; absl::Now() < hang_guard; ++i) {
    CallResult result = client.Set(store, absl::StrCat("k", i), "v");
    if (!result.ok()) {
      refused = result;
      break;
    }
    ++served_while_not_ready;
    absl::SleepFor(absl::Milliseconds(10));
  }
  const absl::Duration until_refused = absl::Now() - signalled;
  std::printf("served %d calls after readiness flipped; refused after %s\n",
              served_while_not_ready,
              absl::FormatDuration(until_refused).c_str());
  EXPECT_GT(served_while_not_ready, 0);
  ASSERT_FALSE(refused.ok()) << "kvd never refused a call";
  EXPECT_THAT(refused.status.error_code(),
              ::testing::AnyOf(grpc::UNAVAILABLE, grpc::CANCELLED))
      << refused.status.error_message();
  // A lower bound only, so a slow machine cannot fail it.
  EXPECT_GE(until_refused, kDrainDelay);
  absl::StatusOr<int> exit_code = kvd->WaitForExit(absl::Seconds(25));
  ASSERT_TRUE(exit_code.ok()) << exit_code.status();
  EXPECT_EQ(*exit_code, 0);
}

TEST(KvdDrainTest, SigintSkipsTheDrainDelay) {
  auto kvd =
      StartOrDie({"--listen=127.0.0.1:0", "--data-dir=" + NewTempDir("sigint"),
                  "--drain-delay=120s", "--shutdown-timeout=150s"});
  ASSERT_NE(kvd, nullptr);
  // Well under the two-minute delay.
  EXPECT_EQ(*kvd->Stop(SIGINT, absl::Seconds(30)), 0);
}

TEST(KvdDrainTest, SecondSigtermEndsTheDrainDelay) {
  auto kvd = StartOrDie({"--listen=127.0.0.1:0",
                         "--data-dir=" + NewTempDir("second_sigterm"),
                         "--drain-delay=120s", "--shutdown-timeout=150s"});
  ASSERT_NE(kvd, nullptr);
  kvd->Signal(SIGTERM);
  ASSERT_TRUE(ProbeUntil(*kvd, kReadiness, HealthCheckResponse::NOT_SERVING));
  EXPECT_EQ(*kvd->Stop(SIGTERM, absl::Seconds(30)), 0);
}

TEST(KvdDrainTest, HealthListenerServesProbesButNotTheApi) {
  const std::string socket_dir = NewShortTempDir();
  auto kvd = StartOrDie({"--listen=unix:" + socket_dir + "/kvd.sock",
                         "--health-listen=127.0.0.1:0",
                         "--data-dir=" + NewTempDir("health_listen")});
  ASSERT_NE(kvd, nullptr);
  const std::string text = kvd->stdout_text();
  const std::string prefix = "health probes on ";
  const size_t at = text.find(prefix);
  ASSERT_NE(at, std::string::npos) << text;
  const size_t start = at + prefix.size();
  const std::string probe_address =
      text.substr(start, text.find('\n', start) - start);
  std::shared_ptr<grpc::Channel> probes =
      grpc::CreateChannel(probe_address, grpc::InsecureChannelCredentials());

  auto health = grpc::health::v1::Health::NewStub(probes);
  for (const std::string service :
       {kLiveness, kReadiness, "kv.v1.KeyValue", "store:default"}) {
    HealthCheckRequest request;
    request.set_service(service);
    HealthCheckResponse response;
    grpc::ClientContext context;
    ASSERT_TRUE(health->Check(&context, request, &response).ok()) << service;
    EXPECT_EQ(response.status(), HealthCheckResponse::SERVING) << service;
  }
  // The KeyValue API is not served there.
  KvTestClient probe_client(probes);
  uint32_t store = 0;
  EXPECT_EQ(probe_client.Open("default", &store).status.error_code(),
            grpc::UNIMPLEMENTED);
  // Readiness turns off on both listeners.
  kvd->Signal(SIGTERM);
  ASSERT_TRUE(ProbeUntil(*kvd, kReadiness, HealthCheckResponse::NOT_SERVING));
  HealthCheckRequest request;
  request.set_service(kReadiness);
  HealthCheckResponse response;
  grpc::ClientContext context;
  ASSERT_TRUE(health->Check(&context, request, &response).ok());
  EXPECT_EQ(response.status(), HealthCheckResponse::NOT_SERVING);
  EXPECT_EQ(*kvd->Stop(SIGTERM, absl::Seconds(30)), 0);
}

TEST(KvdDrainTest, DrainTimesThatExceedTheDeadlineStopStartup) {
  absl::StatusOr<KvdRun> run = RunKvd(
      {"--listen=127.0.0.1:0", "--data-dir=" + NewTempDir("bad_times"),
       "--drain-delay=5s", "--shutdown-grace=10s", "--shutdown-timeout=15s"});
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->exit_code, 2);
  EXPECT_THAT(run->output,
              HasSubstr("--drain-delay (5s) plus --shutdown-grace (10s) must "
                        "be less than --shutdown-timeout (15s)"));
}

TEST(KvdDrainTest, HelpNamesTheDrainFlags) {
  absl::StatusOr<KvdRun> run = RunKvd({"--help"});
  ASSERT_TRUE(run.ok()) << run.status();
  for (const char* flag :
       {"--drain-delay", "--shutdown-grace", "--shutdown-timeout"}) {
    EXPECT_THAT(run->output, HasSubstr(flag));
  }
}

}  // namespace
}  // namespace kv::testing
