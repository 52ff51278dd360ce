// kvd as a process: startup errors, clean shutdown, durability across a
// restart and across kill -9, and GetKeys on a large store.

#include <signal.h>

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/kv_test_client.h"
#include "tests/kvd_process.h"

namespace kv::testing {
namespace {

using ::testing::HasSubstr;

std::unique_ptr<KvdProcess> StartOrDie(const std::vector<std::string>& args) {
  auto kvd = KvdProcess::Start(args);
  EXPECT_TRUE(kvd.ok()) << kvd.status();
  return kvd.ok() ? *std::move(kvd) : nullptr;
}

uint32_t OpenOrDie(KvTestClient& client, const std::string& name) {
  uint32_t store = 0;
  CallResult result = client.Open(name, &store);
  EXPECT_TRUE(result.ok()) << result.status.error_message();
  return store;
}

TEST(KvdLifecycleTest, HelpExitsZeroAndNamesTheFlags) {
  absl::StatusOr<KvdRun> run = RunKvd({"--help"});
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->exit_code, 0) << run->output;
  for (const char* flag :
       {"--listen", "--config", "--data-dir", "--log-level"}) {
    EXPECT_THAT(run->output, HasSubstr(flag));
  }
}

TEST(KvdLifecycleTest, BadConfigStopsStartupNamingFileLineAndField) {
  const std::string dir = NewTempDir("bad_config");
  WriteFile(dir + "/kvd.toml",
            "[key_value_store.orders]\ntype = \"sqlite\"\npaht = \"x.db\"\n");
  absl::StatusOr<KvdRun> run =
      RunKvd({"--config=" + dir + "/kvd.toml", "--listen=127.0.0.1:0"});
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->exit_code, 2);
  EXPECT_THAT(run->output, HasSubstr(dir + "/kvd.toml:3:"));
  EXPECT_THAT(run->output, HasSubstr("unknown field \"paht\""));
}

TEST(KvdLifecycleTest, FieldADriverRefusesStopsStartup) {
  const std::string dir = NewTempDir("bad_durability");
  WriteFile(dir + "/kvd.toml",
            "[key_value_store.orders]\ntype = \"sqlite\"\n"
            "durability = \"fast\"\n");
  absl::StatusOr<KvdRun> run =
      RunKvd({"--config=" + dir + "/kvd.toml", "--listen=127.0.0.1:0",
              "--data-dir=" + dir});
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->exit_code, 2);
  EXPECT_THAT(run->output, HasSubstr("bad config"));
  EXPECT_THAT(run->output, HasSubstr("[key_value_store.orders]"));
  EXPECT_THAT(run->output, HasSubstr("durability"));
}

TEST(KvdLifecycleTest, RaisedLimitsRaiseTheMessageLimits) {
  const std::string dir = NewTempDir("raised_limits");
  WriteFile(dir + "/kvd.toml",
            "[limits]\nmax_key_bytes = 1024\nmax_value_bytes = 3145728\n");
  auto kvd = StartOrDie({"--listen=127.0.0.1:0",
                         "--config=" + dir + "/kvd.toml", "--data-dir=" + dir});
  ASSERT_NE(kvd, nullptr);
  KvTestClient client(kvd->NewChannel());
  const uint32_t store = OpenOrDie(client, "default");
  const std::string key(1024, 'k');
  const std::string value(3 << 20, 'v');
  CallResult set = client.Set(store, key, value);
  ASSERT_TRUE(set.ok()) << set.status.error_message();
  std::string read;
  ASSERT_TRUE(client.Get(store, key, &read).ok());
  EXPECT_EQ(read, value);
  CallResult too_big = client.Set(store, "k", value + "!");
  EXPECT_EQ(too_big.status.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_THAT(too_big.status.error_message(),
              HasSubstr("over the limit of 3145728"));
}

TEST(KvdLifecycleTest, MissingConfigFileStopsStartup) {
  absl::StatusOr<KvdRun> run = RunKvd({"--config=/nonexistent/kvd.toml"});
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->exit_code, 2);
  EXPECT_THAT(run->output, HasSubstr("/nonexistent/kvd.toml"));
}

TEST(KvdLifecycleTest, AddressInUseStopsStartupClearly) {
  const std::string dir = NewTempDir("in_use");
  auto first = StartOrDie({"--listen=127.0.0.1:0", "--data-dir=" + dir});
  ASSERT_NE(first, nullptr);
  absl::StatusOr<KvdRun> run =
      RunKvd({"--listen=" + first->address(), "--data-dir=" + dir + "/second"});
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->exit_code, 2);
  EXPECT_THAT(run->output, HasSubstr("cannot listen on " + first->address()));
}

TEST(KvdLifecycleTest, OverlongUnixSocketPathStopsStartupClearly) {
  absl::StatusOr<KvdRun> run =
      RunKvd({"--listen=unix:/tmp/" + std::string(120, 's'),
              "--data-dir=" + NewTempDir("long_socket")});
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->exit_code, 2);
  EXPECT_THAT(run->output, HasSubstr("over the system's limit of 107"));
}

TEST(KvdLifecycleTest, SigtermExitsZeroAndDataSurvivesRestart) {
  const std::string dir = NewTempDir("restart");
  const std::vector<std::string> args = {"--listen=127.0.0.1:0",
                                         "--data-dir=" + dir};
  {
    auto kvd = StartOrDie(args);
    ASSERT_NE(kvd, nullptr);
    KvTestClient client(kvd->NewChannel());
    const uint32_t store = OpenOrDie(client, "default");
    ASSERT_TRUE(client.Set(store, "survivor", "still here").ok());
    EXPECT_EQ(*kvd->Stop(SIGTERM, absl::Seconds(15)), 0);
  }
  auto kvd = StartOrDie(args);
  ASSERT_NE(kvd, nullptr);
  KvTestClient client(kvd->NewChannel());
  std::string value;
  ASSERT_TRUE(
      client.Get(OpenOrDie(client, "default"), "survivor", &value).ok());
  EXPECT_EQ(value, "still here");
  EXPECT_EQ(*kvd->Stop(SIGINT, absl::Seconds(15)), 0);
}

// Runs four writers of unique keys against a fresh kvd, stops it with
// `signal` while they write, restarts it, and checks that every Set that
// returned OK is there with its value. Returns kvd's exit code.
int StopUnderWritesAndVerify(const std::string& name, int signal) {
  const std::string dir = NewTempDir(name);
  const std::vector<std::string> args = {"--listen=127.0.0.1:0",
                                         "--data-dir=" + dir};
  auto kvd = StartOrDie(args);
  if (kvd == nullptr) return -1;

  absl::Mutex mutex;
  std::map<std::string, std::string> acknowledged;
  std::atomic<int> unexpected_errors{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&, w] {
      KvTestClient client(kvd->NewChannel());
      uint32_t store = 0;
      if (!client.Open("default", &store).ok()) return;
      for (int i = 0;; ++i) {
        const std::string key = absl::StrFormat("w%d-%08d", w, i);
        const std::string value =
            absl::StrCat("value of ", key, " ", std::string(i % 300, 'x'));
        CallResult result = client.Set(store, key, value);
        if (!result.ok()) {
          // A stopping kvd refuses calls it has not accepted: with its own
          // UNAVAILABLE while it drains, and gRPC core cancels streams that
          // reach the transport after shutdown began (CANCELLED, before any
          // handler ran). A call kvd accepted is never failed.
          const grpc::StatusCode code = result.status.error_code();
          if (code != grpc::UNAVAILABLE && code != grpc::CANCELLED) {
            ++unexpected_errors;
            ADD_FAILURE() << "Set " << key << " failed with code " << code
                          << ": " << result.status.error_message();
          }
          return;
        }
        absl::MutexLock lock(&mutex);
        acknowledged[key] = value;
      }
    });
  }
  absl::SleepFor(absl::Seconds(2));
  absl::StatusOr<int> exit_code = kvd->Stop(signal, absl::Seconds(15));
  for (std::thread& writer : writers) writer.join();
  EXPECT_TRUE(exit_code.ok()) << exit_code.status();
  EXPECT_EQ(unexpected_errors.load(), 0);
  EXPECT_GT(acknowledged.size(), 10u) << "too few writes to mean anything";

  kvd = StartOrDie(args);
  if (kvd == nullptr) return -1;
  KvTestClient client(kvd->NewChannel());
  const uint32_t store = OpenOrDie(client, "default");
  for (const auto& [key, expected] : acknowledged) {
    std::string value;
    CallResult result = client.Get(store, key, &value);
    EXPECT_TRUE(result.ok()) << key << ": " << result.status.error_message();
    EXPECT_EQ(value, expected) << key;
    if (!result.ok() || value != expected) break;
  }
  std::printf("signal %d: verified %zu acknowledged sets after restart\n",
              signal, acknowledged.size());
  return exit_code.ok() ? *exit_code : -1;
}

TEST(KvdLifecycleTest, KillDashNineLosesNoAcknowledgedSet) {
  EXPECT_EQ(StopUnderWritesAndVerify("kill9", SIGKILL), 128 + SIGKILL);
}

TEST(KvdLifecycleTest, SigtermUnderLoadExitsZeroAndLosesNoAcknowledgedSet) {
  EXPECT_EQ(StopUnderWritesAndVerify("sigterm_load", SIGTERM), 0);
}

// Sets `count` keys "<prefix><number>" through 8 concurrent clients.
void FillStore(KvdProcess& kvd, const std::string& prefix, int first,
               int count) {
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      KvTestClient client(kvd.NewChannel());
      const uint32_t store = OpenOrDie(client, "default");
      for (int i = first + t; i < first + count; i += 8) {
        if (!client.Set(store, absl::StrFormat("%s%07d", prefix, i), "").ok())
          ++failures;
      }
      client.Close(store);
    });
  }
  for (std::thread& thread : threads) thread.join();
  ASSERT_EQ(failures.load(), 0);
}

TEST(KvdLifecycleTest, GetKeysReturnsAHundredThousandKeysOrAClearError) {
  const std::string dir = NewTempDir("many_keys");
  // Durability "os" only to fill the store quickly; listing is the subject.
  WriteFile(dir + "/kvd.toml",
            "[key_value_store.default]\ntype = \"sqlite\"\n"
            "durability = \"os\"\n");
  auto kvd = StartOrDie({"--listen=127.0.0.1:0",
                         "--config=" + dir + "/kvd.toml", "--data-dir=" + dir});
  ASSERT_NE(kvd, nullptr);
  // 100,000 keys of 30 bytes: about 3.6 MB, under gRPC's 4 MiB default.
  const std::string prefix(23, 'k');
  FillStore(*kvd, prefix, 0, 100000);

  // A client with gRPC's default 4 MiB receive limit gets every key.
  KvTestClient client(kvd->NewChannel());
  const uint32_t store = OpenOrDie(client, "default");
  std::vector<std::string> keys;
  CallResult result = client.GetKeys(store, &keys);
  ASSERT_TRUE(result.ok()) << result.status.error_message();
  ASSERT_EQ(keys.size(), 100000u);
  EXPECT_EQ(keys.front(), prefix + "0000000");
  EXPECT_EQ(keys.back(), prefix + "0099999");

  // 20,000 more do not fit: kvd refuses with its own clear error instead of
  // sending a message that client would reject.
  FillStore(*kvd, prefix, 100000, 20000);
  result = client.GetKeys(store, &keys);
  EXPECT_EQ(result.status.error_code(), grpc::RESOURCE_EXHAUSTED);
  EXPECT_EQ(result.error_code, v1::ERROR_CODE_IO);
  EXPECT_THAT(result.status.error_message(),
              HasSubstr("has more keys than fit in one GetKeys response"));
  EXPECT_THAT(result.status.error_message(),
              HasSubstr("limits.max_get_keys_bytes"));
  // The server is still healthy.
  EXPECT_TRUE(client.Set(store, "after", "ok").ok());
}

}  // namespace
}  // namespace kv::testing
