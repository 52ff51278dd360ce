// PostgreSQL stores through the real kvd binary and a private PostgreSQL
// server: two kvd processes sharing one store, a PostgreSQL that is down
// when kvd starts, and one that dies while kvd serves.

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/testing/postgres_server.h"
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
using ::testing::HasSubstr;
using ::testing::Not;

// One PostgreSQL server for the binary: it takes seconds to start. Tests
// that stop it leave it running again.
class PostgresEndToEndTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<std::unique_ptr<PostgresServer>> server =
        PostgresServer::Create();
    if (server.ok()) {
      server_ = server->release();
    } else {
      *startup_error_ = server.status();
    }
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(server_, nullptr)
        << "cannot start PostgreSQL: " << *startup_error_;
    if (!server_->running()) {
      ASSERT_TRUE(server_->Start().ok());
    }
  }

  // Starts kvd on a free port with store "orders" on the server, in a
  // directory of its own named `dir_name`.
  std::unique_ptr<KvdProcess> StartKvd(const std::string& dir_name) {
    const std::string dir = NewTempDir(dir_name);
    WriteFile(dir + "/kvd.toml", absl::StrCat("[key_value_store.orders]\n"
                                              "type = \"postgres\"\n"
                                              "url = \"",
                                              server_->url(),
                                              "\"\n"
                                              "timeout = \"2s\"\n"
                                              "pool_size = 4\n"));
    absl::StatusOr<std::unique_ptr<KvdProcess>> kvd = KvdProcess::Start(
        {"--listen=127.0.0.1:0", "--config=" + dir + "/kvd.toml",
         "--data-dir=" + dir + "/data"});
    EXPECT_TRUE(kvd.ok()) << kvd.status();
    return kvd.ok() ? *std::move(kvd) : nullptr;
  }

  static PostgresServer* server_;
  static absl::Status* startup_error_;
};

PostgresServer* PostgresEndToEndTest::server_ = nullptr;
absl::Status* PostgresEndToEndTest::startup_error_ = new absl::Status();

auto HidesPassword() {
  return AllOf(Not(HasSubstr(PostgresServer::kPassword)),
               Not(HasSubstr(PostgresServer::kEncodedPassword)));
}

uint32_t OpenOrDie(KvTestClient& client, const std::string& name) {
  uint32_t store = 0;
  CallResult result = client.Open(name, &store);
  EXPECT_TRUE(result.ok()) << name << ": " << result.status.error_message();
  return store;
}

// Checks a call that failed because PostgreSQL is unavailable.
void ExpectUnavailable(const CallResult& result) {
  EXPECT_EQ(result.status.error_code(), grpc::UNAVAILABLE)
      << result.status.error_message();
  EXPECT_EQ(result.error_code, v1::ERROR_CODE_IO)
      << v1::ErrorCode_Name(result.error_code);
  EXPECT_THAT(result.status.error_message(),
              AllOf(HasSubstr("store \"orders\""), HasSubstr("PostgreSQL"),
                    HidesPassword()));
}

// (a) Two kvd processes, one database: what one writes the other reads, a
// delete through either is seen by both, and revisions, conditions and
// counters are the store's (ExpectSharedRevisions).
TEST_F(PostgresEndToEndTest, TwoKvdsShareAStore) {
  std::unique_ptr<KvdProcess> first = StartKvd("first");
  std::unique_ptr<KvdProcess> second = StartKvd("second");
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  EXPECT_THAT(
      first->stdout_text(),
      AllOf(HasSubstr(absl::StrCat("store \"orders\": postgres at "
                                   "postgresql://kvd_test:***@127.0.0.1:",
                                   server_->port(), "/kvd")),
            HidesPassword()));

  KvTestClient one(first->NewChannel());
  KvTestClient two(second->NewChannel());
  const uint32_t in_one = OpenOrDie(one, "orders");
  const uint32_t in_two = OpenOrDie(two, "orders");
  const std::string binary("\0\x01\xFFpaid", 7);
  ASSERT_TRUE(one.Set(in_one, "order:1", binary).ok());
  std::string value;
  CallResult got = two.Get(in_two, "order:1", &value);
  ASSERT_TRUE(got.ok()) << got.status.error_message();
  EXPECT_EQ(value, binary);
  std::vector<std::string> keys;
  ASSERT_TRUE(two.GetKeys(in_two, &keys).ok());
  EXPECT_THAT(keys, ::testing::Contains("order:1"));

  ASSERT_TRUE(two.Delete(in_two, "order:1").ok());
  bool exists = true;
  ASSERT_TRUE(one.Exists(in_one, "order:1", &exists).ok());
  EXPECT_FALSE(exists);
  CallResult gone = one.Get(in_one, "order:1", nullptr);
  EXPECT_EQ(gone.status.error_code(), grpc::NOT_FOUND);
  EXPECT_EQ(gone.error_code, v1::ERROR_CODE_NO_SUCH_KEY);

  ExpectSharedRevisions(one, in_one, two, in_two);
}

// (b) PostgreSQL is down when kvd starts: kvd serves anyway, reports the
// store, answers it with UNAVAILABLE/IO, and picks it up once PostgreSQL
// is back, without a restart.
TEST_F(PostgresEndToEndTest, DownAtStartupThenUp) {
  ASSERT_TRUE(server_->Stop().ok());
  std::unique_ptr<KvdProcess> kvd = StartKvd("down_at_startup");
  ASSERT_NE(kvd, nullptr);
  EXPECT_THAT(kvd->stdout_text(),
              AllOf(HasSubstr("store \"orders\": postgres, UNAVAILABLE: "),
                    HasSubstr("PostgreSQL 127.0.0.1:"), HidesPassword()));

  KvTestClient client(kvd->NewChannel());
  const uint32_t main_store = OpenOrDie(client, "default");
  ASSERT_TRUE(client.Set(main_store, "k", "sqlite").ok());
  ExpectUnavailable(client.Open("orders", nullptr));

  ASSERT_TRUE(server_->Start().ok());
  // kvd retries at most once a second.
  uint32_t orders = 0;
  const absl::Time deadline = absl::Now() + absl::Seconds(15);
  CallResult opened = client.Open("orders", &orders);
  while (!opened.ok() && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(200));
    opened = client.Open("orders", &orders);
  }
  ASSERT_TRUE(opened.ok()) << opened.status.error_message();
  ASSERT_TRUE(client.Set(orders, "k", "postgres").ok());
  std::string value;
  ASSERT_TRUE(client.Get(orders, "k", &value).ok());
  EXPECT_EQ(value, "postgres");
  ASSERT_TRUE(client.Get(main_store, "k", &value).ok());
  EXPECT_EQ(value, "sqlite");
}

// (c) PostgreSQL dies while calls run through kvd: they fail with
// UNAVAILABLE/IO within the timeout, the SQLite store keeps working, and
// the store works again once PostgreSQL is back.
TEST_F(PostgresEndToEndTest, KilledDuringCalls) {
  std::unique_ptr<KvdProcess> kvd = StartKvd("killed");
  ASSERT_NE(kvd, nullptr);
  KvTestClient client(kvd->NewChannel());
  const uint32_t orders = OpenOrDie(client, "orders");
  const uint32_t main_store = OpenOrDie(client, "default");

  std::atomic<bool> stop{false};
  std::atomic<int> ok_calls{0};
  std::atomic<int> failed_calls{0};
  std::thread writer([&] {
    KvTestClient own(kvd->NewChannel());
    for (int i = 0; !stop.load(); ++i) {
      const absl::Time start = absl::Now();
      CallResult result = own.Set(orders, absl::StrCat("k", i % 20), "v");
      EXPECT_LT(absl::Now() - start, kHangGuard);
      if (result.ok()) {
        ++ok_calls;
      } else {
        ++failed_calls;
        ExpectUnavailable(result);
      }
    }
  });
  absl::SleepFor(absl::Milliseconds(300));
  ASSERT_TRUE(server_->Stop().ok());
  for (int i = 0; i < 10; ++i) {
    const absl::Time start = absl::Now();
    ExpectUnavailable(client.Get(orders, "k1", nullptr));
    EXPECT_LT(absl::Now() - start, kHangGuard);
    CallResult set = client.Set(main_store, absl::StrCat("d", i), "v");
    EXPECT_TRUE(set.ok()) << set.status.error_message();
    std::string value;
    EXPECT_TRUE(client.Get(main_store, absl::StrCat("d", i), &value).ok());
  }
  stop = true;
  writer.join();
  EXPECT_GT(ok_calls.load(), 0);
  EXPECT_GT(failed_calls.load(), 0);

  ASSERT_TRUE(server_->Start().ok());
  std::string value;
  CallResult got = client.Get(orders, "k1", &value);
  EXPECT_TRUE(got.ok()) << got.status.error_message();
  EXPECT_EQ(value, "v");
}

}  // namespace
}  // namespace kv::testing
