#include "clients/cpp/store.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <future>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/synchronization/notification.h"
#include "clients/cpp/fake_key_value.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kvd {
namespace {

TEST(StoreTest, RoundTripOverAChannel) {
  FakeKeyValueServer server;
  absl::StatusOr<Store> store = Store::Open("default", server.channel());
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_TRUE(store->Set("k", "v").ok());
  EXPECT_EQ(*store->Get("k"), "v");
  EXPECT_TRUE(*store->Exists("k"));
  EXPECT_THAT(*store->GetKeys(), ::testing::ElementsAre("k"));
  ASSERT_TRUE(store->Delete("k").ok());
  EXPECT_TRUE(IsNoSuchKey(store->Get("k").status()));
  ASSERT_TRUE(store->Close().ok());
  EXPECT_EQ(server.service().open_handles(), 0);
}

TEST(StoreTest, TokenIsSentAsBearerAuthorization) {
  FakeKeyValueServer server;
  Options options;
  options.token = "s3cret";
  absl::StatusOr<Store> store =
      Store::Open("default", server.channel(), options);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ(server.service().last_authorization(), "Bearer s3cret");
  ASSERT_TRUE(store->Set("k", "v").ok());
  EXPECT_EQ(server.service().last_authorization(), "Bearer s3cret");
}

TEST(StoreTest, NoTokenNoAuthorization) {
  FakeKeyValueServer server;
  absl::StatusOr<Store> store = Store::Open("default", server.channel());
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ(server.service().last_authorization(), "");
}

TEST(StoreTest, UnknownStoreIsNoSuchStore) {
  FakeKeyValueServer server;
  absl::StatusOr<Store> store = Store::Open("x", server.channel());
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(IsNoSuchStore(store.status()));
}

TEST(StoreTest, CallOptionsTimeoutOverridesTheStoreDefault) {
  FakeKeyValueServer server;
  Options options;
  options.timeout = absl::Seconds(10);
  absl::StatusOr<Store> store =
      Store::Open("default", server.channel(), options);
  ASSERT_TRUE(store.ok()) << store.status();

  const absl::Time start = absl::Now();
  ASSERT_TRUE(store->Set("k", "v").ok());
  // The store's 10 s, counted from when the call started.
  // (The deadline travels as a timeout, rounded: allow a second.)
  EXPECT_GE(server.service().last_deadline(), start + absl::Seconds(9));
  EXPECT_LE(server.service().last_deadline(), absl::Now() + absl::Seconds(11));

  CallOptions hour;
  hour.timeout = absl::Hours(1);
  const absl::Time before = absl::Now();
  ASSERT_TRUE(store->Get("k", hour).ok());
  EXPECT_GE(server.service().last_deadline(), before + absl::Minutes(59));

  std::promise<absl::StatusOr<bool>> exists;
  store->ExistsAsync(
      "k", [&](absl::StatusOr<bool> result) { exists.set_value(result); },
      hour);
  ASSERT_TRUE(exists.get_future().get().ok());
  EXPECT_GE(server.service().last_deadline(), before + absl::Minutes(59));
}

TEST(StoreTest, NonPositiveCallTimeoutIsRefusedWithoutACall) {
  FakeKeyValueServer server;
  absl::StatusOr<Store> store = Store::Open("default", server.channel());
  ASSERT_TRUE(store.ok()) << store.status();
  CallOptions zero;
  zero.timeout = absl::ZeroDuration();
  absl::Status status = store->Set("k", "v", zero);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()),
              ::testing::HasSubstr("CallOptions::timeout must be positive"));

  std::promise<absl::Status> async;
  store->SetAsync(
      "k", "v", [&](absl::Status s) { async.set_value(s); }, zero);
  EXPECT_EQ(async.get_future().get().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(server.service().set_calls(), 0);

  // A refused Close leaves the handle open.
  EXPECT_EQ(store->Close(zero).code(), absl::StatusCode::kInvalidArgument);
  std::promise<absl::Status> close_async;
  store->CloseAsync([&](absl::Status s) { close_async.set_value(s); }, zero);
  EXPECT_EQ(close_async.get_future().get().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_NE(store->handle(), 0u);
  EXPECT_EQ(server.service().open_handles(), 1);
}

TEST(StoreTest, AsyncRoundTrip) {
  FakeKeyValueServer server;
  std::promise<absl::StatusOr<Store>> opened;
  Store::OpenAsync(
      "default", server.channel(), Options{},
      [&](absl::StatusOr<Store> s) { opened.set_value(std::move(s)); });
  absl::StatusOr<Store> store = opened.get_future().get();
  ASSERT_TRUE(store.ok()) << store.status();

  std::promise<absl::Status> set;
  store->SetAsync("k", "v", [&](absl::Status s) { set.set_value(s); });
  ASSERT_TRUE(set.get_future().get().ok());
  std::promise<absl::StatusOr<std::string>> got;
  store->GetAsync("k",
                  [&](absl::StatusOr<std::string> v) { got.set_value(v); });
  EXPECT_EQ(*got.get_future().get(), "v");
  std::promise<absl::StatusOr<std::vector<std::string>>> keys;
  store->GetKeysAsync(
      [&](absl::StatusOr<std::vector<std::string>> k) { keys.set_value(k); });
  EXPECT_THAT(*keys.get_future().get(), ::testing::ElementsAre("k"));
  std::promise<absl::Status> deleted;
  store->DeleteAsync("k", [&](absl::Status s) { deleted.set_value(s); });
  ASSERT_TRUE(deleted.get_future().get().ok());
  std::promise<absl::StatusOr<std::string>> missing;
  store->GetAsync("k",
                  [&](absl::StatusOr<std::string> v) { missing.set_value(v); });
  EXPECT_TRUE(IsNoSuchKey(missing.get_future().get().status()));
  std::promise<absl::Status> closed;
  store->CloseAsync([&](absl::Status s) { closed.set_value(s); });
  ASSERT_TRUE(closed.get_future().get().ok());
  EXPECT_EQ(store->handle(), 0u);
  EXPECT_EQ(server.service().open_handles(), 0);
}

// The destructor hands the Close to gRPC and returns: with kvd's Close
// held, it still returns, and the Close arrives afterwards. (A destructor
// that waited for the answer would wait, with this store's 1 h timeout,
// until the bounded wait below failed.)
TEST(StoreTest, DestructorDoesNotWaitForClose) {
  FakeKeyValueServer server;
  Options options;
  options.timeout = absl::Hours(1);
  absl::StatusOr<Store> store =
      Store::Open("default", server.channel(), options);
  ASSERT_TRUE(store.ok()) << store.status();
  server.service().HoldCloses(true);
  absl::Notification destroyed;
  std::thread destroyer([&] {
    { absl::StatusOr<Store> dying = std::move(store); }
    destroyed.Notify();
  });
  const bool returned =
      destroyed.WaitForNotificationWithTimeout(absl::Seconds(30));
  EXPECT_TRUE(server.service().WaitForCloseCalls(1, absl::Seconds(30)));
  server.service().HoldCloses(false);
  destroyer.join();
  EXPECT_TRUE(returned) << "~Store waited for kvd's answer to Close";
}

TEST(StoreTest, ConcurrentCallsOnOneStore) {
  FakeKeyValueServer server;
  absl::StatusOr<Store> store = Store::Open("default", server.channel());
  ASSERT_TRUE(store.ok()) << store.status();
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      const std::string key = "k" + std::to_string(t);
      for (int i = 0; i < 50; ++i) {
        EXPECT_TRUE(store->Set(key, std::to_string(i)).ok());
        EXPECT_EQ(*store->Get(key), std::to_string(i));
        std::promise<absl::StatusOr<bool>> exists;
        store->ExistsAsync(
            key, [&](absl::StatusOr<bool> e) { exists.set_value(e); });
        EXPECT_TRUE(*exists.get_future().get());
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_THAT(*store->GetKeys(), ::testing::SizeIs(8));
}

// Calls racing with Close either complete or fail with IsInvalidStore.
TEST(StoreTest, CloseRacingWithCalls) {
  FakeKeyValueServer server;
  absl::StatusOr<Store> store = Store::Open("default", server.channel());
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_TRUE(store->Set("k", "v").ok());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        absl::StatusOr<std::string> value = store->Get("k");
        if (value.ok()) {
          EXPECT_EQ(*value, "v");
        } else {
          EXPECT_TRUE(IsInvalidStore(value.status())) << value.status();
        }
      }
    });
  }
  EXPECT_TRUE(store->Close().ok());
  for (std::thread& thread : threads) thread.join();
  EXPECT_TRUE(IsInvalidStore(store->Get("k").status()));
  EXPECT_EQ(server.service().close_calls(), 1);
}

// A port nobody listens on: bound, then closed (nothing else binds it in
// between on a test's loopback, short of a port-0 race we accept).
int ClosedPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), length), 0);
  EXPECT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
  close(fd);
  return ntohs(address.sin_port);
}

void ExpectCannotReach(const std::string& address) {
  Options options;
  options.address = address;
  absl::StatusOr<Store> store = Store::Open("default", options);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(store.status().message()),
              ::testing::HasSubstr("cannot reach kvd at " + address + ": "));

  std::promise<absl::StatusOr<Store>> async;
  Store::OpenAsync("default", options, [&](absl::StatusOr<Store> s) {
    async.set_value(std::move(s));
  });
  absl::StatusOr<Store> async_store = async.get_future().get();
  ASSERT_FALSE(async_store.ok());
  EXPECT_THAT(std::string(async_store.status().message()),
              ::testing::HasSubstr("cannot reach kvd at " + address + ": "));
}

TEST(StoreTest, UnreachableTcpAddressIsNamed) {
  ExpectCannotReach("127.0.0.1:" + std::to_string(ClosedPort()));
}

TEST(StoreTest, MissingUnixSocketIsNamed) {
  // Under /tmp: a unix socket path has at most 107 bytes.
  char dir[] = "/tmp/kvd-store-test.XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  ExpectCannotReach(std::string("unix:") + dir + "/no-kvd-here.sock");
  rmdir(dir);
}

// gRPC cannot even make a channel for this one (over 107 bytes); the error
// still names it.
TEST(StoreTest, OverlongUnixSocketPathIsNamed) {
  Options options;
  options.address = "unix:/tmp/" + std::string(120, 'x') + ".sock";
  absl::StatusOr<Store> store = Store::Open("default", options);
  ASSERT_FALSE(store.ok());
  EXPECT_THAT(std::string(store.status().message()),
              ::testing::HasSubstr("cannot reach kvd at " + options.address));
}

}  // namespace
}  // namespace kvd
