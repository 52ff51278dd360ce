// Redis stores through the real kvd binary and a private redis-server: two
// kvd processes sharing one store, a Redis that is down when kvd starts,
// and a Redis that dies while kvd serves.

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/testing/redis_server.h"
#include "tests/kv_test_client.h"
#include "tests/kvd_process.h"
#include "tests/shared_store_checks.h"

namespace kv::testing {
namespace {

// A bound on how long a failing call may take before the test calls it a
// hang. Deliberately loose: it detects a missing deadline, not slowness
// (tests assert no timings; the driver's own deadline is checked through its
// error message).
constexpr absl::Duration kHangGuard = absl::Seconds(30);

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// A runtime config with one Redis store, `name`, at `url`.
std::string RedisConfig(const std::string& name, const std::string& url) {
  return absl::StrCat("[key_value_store.", name, "]\n", "type = \"redis\"\n",
                      "url = \"", url, "\"\n", "timeout = \"1s\"\n");
}

// Starts kvd on a free port with `config` as its runtime config, in a
// directory of its own named `dir_name`.
std::unique_ptr<KvdProcess> StartKvd(const std::string& dir_name,
                                     const std::string& config) {
  const std::string dir = NewTempDir(dir_name);
  WriteFile(dir + "/kvd.toml", config);
  absl::StatusOr<std::unique_ptr<KvdProcess>> kvd = KvdProcess::Start(
      {"--listen=127.0.0.1:0", "--config=" + dir + "/kvd.toml",
       "--data-dir=" + dir + "/data"});
  EXPECT_TRUE(kvd.ok()) << kvd.status();
  return kvd.ok() ? *std::move(kvd) : nullptr;
}

uint32_t OpenOrDie(KvTestClient& client, const std::string& name) {
  uint32_t store = 0;
  CallResult result = client.Open(name, &store);
  EXPECT_TRUE(result.ok()) << name << ": " << result.status.error_message();
  return store;
}

// Checks a call that failed because Redis is unavailable.
void ExpectUnavailable(const CallResult& result, const std::string& store,
                       const std::string& message_part) {
  EXPECT_EQ(result.status.error_code(), grpc::UNAVAILABLE)
      << result.status.error_message();
  EXPECT_EQ(result.error_code, v1::ERROR_CODE_IO)
      << v1::ErrorCode_Name(result.error_code);
  EXPECT_THAT(result.status.error_message(),
              AllOf(HasSubstr(absl::StrCat("store \"", store, "\"")),
                    HasSubstr(message_part)));
}

// (a) Two kvd processes, one Redis: what one writes the other reads, a
// delete through either is seen by both, and revisions, conditions and
// counters are the store's (ExpectSharedRevisions).
TEST(RedisEndToEndTest, TwoKvdsShareAStore) {
  absl::StatusOr<std::unique_ptr<RedisServer>> redis = RedisServer::Launch();
  ASSERT_TRUE(redis.ok()) << redis.status();
  const std::string config = RedisConfig("shared", (*redis)->url());
  std::unique_ptr<KvdProcess> first = StartKvd("first", config);
  std::unique_ptr<KvdProcess> second = StartKvd("second", config);
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  EXPECT_THAT(
      first->stdout_text(),
      HasSubstr(absl::StrCat("store \"shared\": redis at ", (*redis)->url())));

  KvTestClient one(first->NewChannel());
  KvTestClient two(second->NewChannel());
  const uint32_t in_one = OpenOrDie(one, "shared");
  const uint32_t in_two = OpenOrDie(two, "shared");

  const std::string binary("v\0al\xFFue", 7);
  ASSERT_TRUE(one.Set(in_one, "greeting", binary).ok());
  std::string value;
  CallResult get = two.Get(in_two, "greeting", &value);
  ASSERT_TRUE(get.ok()) << get.status.error_message();
  EXPECT_EQ(value, binary);
  bool exists = false;
  ASSERT_TRUE(two.Exists(in_two, "greeting", &exists).ok());
  EXPECT_TRUE(exists);
  std::vector<std::string> keys;
  ASSERT_TRUE(two.GetKeys(in_two, &keys).ok());
  EXPECT_THAT(keys, ElementsAre("greeting"));

  ASSERT_TRUE(two.Delete(in_two, "greeting").ok());
  get = one.Get(in_one, "greeting", &value);
  EXPECT_EQ(get.status.error_code(), grpc::NOT_FOUND);
  EXPECT_EQ(get.error_code, v1::ERROR_CODE_NO_SUCH_KEY);
  ASSERT_TRUE(one.Exists(in_one, "greeting", &exists).ok());
  EXPECT_FALSE(exists);
  ASSERT_TRUE(one.GetKeys(in_one, &keys).ok());
  EXPECT_THAT(keys, IsEmpty());

  ExpectSharedRevisions(one, in_one, two, in_two);
}

// (b) A Redis that is down when kvd starts: kvd serves the other stores,
// reports this one as unavailable, and picks it up once Redis is there,
// without a restart.
TEST(RedisEndToEndTest, StoreOnStoppedRedisComesBackWithoutRestart) {
  absl::StatusOr<std::unique_ptr<RedisServer>> redis = RedisServer::Launch();
  ASSERT_TRUE(redis.ok()) << redis.status();
  ASSERT_TRUE((*redis)->Stop().ok());
  std::unique_ptr<KvdProcess> kvd =
      StartKvd("stopped", RedisConfig("sessions", (*redis)->url()));
  ASSERT_NE(kvd, nullptr);
  const std::string unreachable = absl::StrCat(
      "cannot reach Redis at ", (*redis)->address(), ": Connection refused");
  EXPECT_THAT(kvd->stdout_text(),
              AllOf(HasSubstr("store \"sessions\": redis, UNAVAILABLE"),
                    HasSubstr(unreachable)));

  KvTestClient client(kvd->NewChannel());
  const uint32_t main_store = OpenOrDie(client, "default");
  ASSERT_TRUE(client.Set(main_store, "k", "v").ok());
  std::string value;
  ASSERT_TRUE(client.Get(main_store, "k", &value).ok());
  EXPECT_EQ(value, "v");

  ExpectUnavailable(client.Open("sessions", nullptr), "sessions", unreachable);

  ASSERT_TRUE((*redis)->Start().ok());
  // kvd retries a failed store at most once a second.
  uint32_t sessions = 0;
  CallResult open;
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  do {
    open = client.Open("sessions", &sessions);
    if (open.ok()) break;
    absl::SleepFor(absl::Milliseconds(200));
  } while (absl::Now() < deadline);
  ASSERT_TRUE(open.ok()) << open.status.error_message();
  ASSERT_TRUE(client.Set(sessions, "user", "alice").ok());
  ASSERT_TRUE(client.Get(sessions, "user", &value).ok());
  EXPECT_EQ(value, "alice");
}

// (c) Redis dies while kvd serves: calls to its store fail fast with
// UNAVAILABLE/IO naming the store, the SQLite store is untouched, and the
// store works again once Redis is back.
TEST(RedisEndToEndTest, RedisKilledDuringCalls) {
  absl::StatusOr<std::unique_ptr<RedisServer>> redis = RedisServer::Launch();
  ASSERT_TRUE(redis.ok()) << redis.status();
  std::unique_ptr<KvdProcess> kvd =
      StartKvd("killed", RedisConfig("sessions", (*redis)->url()));
  ASSERT_NE(kvd, nullptr);
  KvTestClient client(kvd->NewChannel());
  const uint32_t sessions = OpenOrDie(client, "sessions");
  const uint32_t main_store = OpenOrDie(client, "default");
  ASSERT_TRUE(client.Set(sessions, "user", "alice").ok());

  ASSERT_TRUE((*redis)->Stop().ok());
  for (int i = 0; i < 5; ++i) {
    const absl::Time start = absl::Now();
    ExpectUnavailable(client.Set(sessions, "user", "bob"), "sessions",
                      absl::StrCat("Redis at ", (*redis)->address()));
    ExpectUnavailable(client.Get(sessions, "user", nullptr), "sessions",
                      absl::StrCat("Redis at ", (*redis)->address()));
    std::vector<std::string> keys;
    ExpectUnavailable(client.GetKeys(sessions, &keys), "sessions",
                      absl::StrCat("Redis at ", (*redis)->address()));
    EXPECT_LT(absl::Now() - start, kHangGuard);

    const std::string key = absl::StrCat("k", i);
    ASSERT_TRUE(client.Set(main_store, key, "v").ok());
    std::string value;
    ASSERT_TRUE(client.Get(main_store, key, &value).ok());
    EXPECT_EQ(value, "v");
  }

  ASSERT_TRUE((*redis)->Start().ok());  // Empty: it persisted nothing.
  CallResult set = client.Set(sessions, "user", "carol");
  ASSERT_TRUE(set.ok()) << set.status.error_message();
  std::string value;
  ASSERT_TRUE(client.Get(sessions, "user", &value).ok());
  EXPECT_EQ(value, "carol");
}

}  // namespace
}  // namespace kv::testing
