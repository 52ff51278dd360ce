#include "clients/cpp/store.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <functional>
#include <future>
#include <optional>
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

TEST(StoreTest, RevisionsAndConditionalWrites) {
  FakeKeyValueServer server;
  absl::StatusOr<Store> store = Store::Open("default", server.channel());
  ASSERT_TRUE(store.ok()) << store.status();
  absl::StatusOr<uint64_t> r1 = store->SetIf("k", "a", std::nullopt);
  ASSERT_TRUE(r1.ok()) << r1.status();
  EXPECT_GT(*r1, 0u);
  absl::StatusOr<Versioned> entry = store->GetEntry("k");
  ASSERT_TRUE(entry.ok()) << entry.status();
  EXPECT_EQ(entry->value, "a");
  EXPECT_EQ(entry->revision, *r1);

  absl::StatusOr<uint64_t> r2 = store->SetIf("k", "b", *r1);
  ASSERT_TRUE(r2.ok()) << r2.status();
  EXPECT_GT(*r2, *r1);
  absl::Status stale = store->SetIf("k", "c", *r1).status();
  EXPECT_TRUE(IsConditionFailed(stale)) << stale;
  EXPECT_EQ(stale.code(), absl::StatusCode::kAborted);
  EXPECT_EQ(CurrentRevisionOf(stale), *r2);
  EXPECT_EQ(*store->Get("k"), "b");

  EXPECT_TRUE(store->SetIfAbsent("new", "x").ok());
  absl::Status present = store->SetIfAbsent("new", "y").status();
  EXPECT_TRUE(IsConditionFailed(present)) << present;

  EXPECT_TRUE(IsConditionFailed(store->DeleteIf("k", *r1).status()));
  absl::StatusOr<uint64_t> deleted = store->DeleteIf("k", *r2);
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_GT(*deleted, *r2);
  EXPECT_EQ(*store->DeleteIf("never-there", std::nullopt), 0u);
  EXPECT_TRUE(IsNoSuchKey(store->GetEntry("k").status()));
}

TEST(StoreTest, IncrementAndItsErrors) {
  FakeKeyValueServer server;
  absl::StatusOr<Store> store = Store::Open("default", server.channel());
  ASSERT_TRUE(store.ok()) << store.status();
  absl::StatusOr<Counter> one = store->Increment("n");
  ASSERT_TRUE(one.ok()) << one.status();
  EXPECT_EQ(one->value, 1);
  absl::StatusOr<Counter> down = store->Increment("n", -8);
  ASSERT_TRUE(down.ok()) << down.status();
  EXPECT_EQ(down->value, -7);
  EXPECT_GT(down->revision, one->revision);
  EXPECT_EQ(*store->Get("n"), "-7");

  ASSERT_TRUE(store->Set("text", "abc").ok());
  absl::Status text = store->Increment("text").status();
  EXPECT_TRUE(IsNotAnInteger(text)) << text;
  EXPECT_EQ(text.code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(store->Set("max", "9223372036854775807").ok());
  absl::Status max = store->Increment("max").status();
  EXPECT_TRUE(IsIncrementOutOfRange(max)) << max;
  EXPECT_EQ(max.code(), absl::StatusCode::kOutOfRange);
}

TEST(StoreTest, Batches) {
  FakeKeyValueServer server;
  absl::StatusOr<Store> store = Store::Open("default", server.channel());
  ASSERT_TRUE(store.ok()) << store.status();
  absl::StatusOr<std::vector<uint64_t>> written =
      store->SetMany({{"m1", "1"}, {"m2", "2"}});
  ASSERT_TRUE(written.ok()) << written.status();
  ASSERT_EQ(written->size(), 2u);
  EXPECT_LT((*written)[0], (*written)[1]);

  absl::StatusOr<std::vector<Entry>> entries =
      store->GetMany({"m2", "absent", "m1"});
  ASSERT_TRUE(entries.ok()) << entries.status();
  ASSERT_EQ(entries->size(), 3u);
  EXPECT_EQ((*entries)[0].key, "m2");
  EXPECT_TRUE((*entries)[0].found);
  EXPECT_EQ((*entries)[0].value, "2");
  EXPECT_EQ((*entries)[0].revision, (*written)[1]);
  EXPECT_FALSE((*entries)[1].found);
  EXPECT_EQ((*entries)[1].revision, 0u);
  EXPECT_EQ((*entries)[2].value, "1");

  absl::Status failed =
      store->SetMany({{"m1", "x"}, {"m2", "y", (*written)[0]}}).status();
  EXPECT_TRUE(IsConditionFailed(failed)) << failed;
  EXPECT_EQ(CurrentRevisionOf(failed), (*written)[1]);
  EXPECT_EQ(FailedIndexOf(failed), 1u);
  EXPECT_EQ(*store->Get("m1"), "1");

  absl::StatusOr<std::vector<uint64_t>> deleted =
      store->DeleteMany({"m1", "absent", "m2"});
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  ASSERT_EQ(deleted->size(), 3u);
  EXPECT_GT((*deleted)[0], 0u);
  EXPECT_EQ((*deleted)[1], 0u);
  EXPECT_GT((*deleted)[2], (*deleted)[0]);
  EXPECT_FALSE(*store->Exists("m1"));
}

TEST(StoreTest, Describe) {
  FakeKeyValueServer server;
  absl::StatusOr<Store> store = Store::Open("default", server.channel());
  ASSERT_TRUE(store.ok()) << store.status();
  const uint64_t revision = *store->SetIf("k", "v", std::nullopt);
  absl::StatusOr<StoreInfo> info = store->Describe();
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->name, "default");
  EXPECT_EQ(info->driver, "memory");
  EXPECT_EQ(info->durability, kv::v1::DURABILITY_NONE);
  EXPECT_EQ(info->max_key_bytes, 256u);
  EXPECT_EQ(info->max_value_bytes, 1u << 20);
  EXPECT_EQ(info->max_batch_entries, 1000u);
  EXPECT_EQ(info->revision, revision);
  EXPECT_TRUE(info->Has(kv::v1::CAPABILITY_INCREMENT));
  EXPECT_FALSE(info->Has(kv::v1::CAPABILITY_UNSPECIFIED));
  EXPECT_FALSE(info->read_only);
}

// f(absent) = "start", f(v) = v + "!".
absl::StatusOr<std::string> Exclaim(const std::optional<std::string>& value) {
  return value.has_value() ? *value + "!" : "start";
}

TEST(StoreTest, UpdateRetriesAConflictingWrite) {
  FakeKeyValueServer server;
  absl::StatusOr<Store> store = Store::Open("default", server.channel());
  ASSERT_TRUE(store.ok()) << store.status();
  absl::StatusOr<uint64_t> first = store->Update("u", Exclaim);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(*store->Get("u"), "start");

  // On its first call only, f writes the key behind the update's back.
  int calls = 0;
  auto interfering = [&](const std::optional<std::string>& value)
      -> absl::StatusOr<std::string> {
    if (++calls == 1) {
      EXPECT_TRUE(store->Set("u", "other").ok());
    }
    return Exclaim(value);
  };
  absl::Status exhausted = store->Update("u", interfering, 1).status();
  EXPECT_TRUE(IsConditionFailed(exhausted)) << exhausted;
  EXPECT_EQ(calls, 1);
  calls = 0;
  absl::StatusOr<uint64_t> retried = store->Update("u", interfering, 3);
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(calls, 2);
  EXPECT_GT(*retried, *first);
  EXPECT_EQ(*store->Get("u"), "other!");

  absl::Status from_f = store
                            ->Update("u",
                                     [](const std::optional<std::string>&)
                                         -> absl::StatusOr<std::string> {
                                       return absl::CancelledError("f says no");
                                     })
                            .status();
  EXPECT_EQ(from_f, absl::CancelledError("f says no"));
  EXPECT_EQ(store->Update("u", Exclaim, 0).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// Waits for an async call's result.
template <typename T>
T Await(const std::function<void(std::function<void(T)>)>& start) {
  std::promise<T> promise;
  start([&](T result) { promise.set_value(std::move(result)); });
  return promise.get_future().get();
}

TEST(StoreTest, AsyncRevisionsCountersBatchesAndDescribe) {
  FakeKeyValueServer server;
  absl::StatusOr<Store> store = Store::Open("default", server.channel());
  ASSERT_TRUE(store.ok()) << store.status();
  using Revision = absl::StatusOr<uint64_t>;
  const Revision r1 = Await<Revision>([&](auto done) {
    store->SetIfAsync("k", "a", std::nullopt, std::move(done));
  });
  ASSERT_TRUE(r1.ok()) << r1.status();
  const absl::StatusOr<Versioned> entry = Await<absl::StatusOr<Versioned>>(
      [&](auto done) { store->GetEntryAsync("k", std::move(done)); });
  EXPECT_EQ(entry->revision, *r1);
  const Revision absent = Await<Revision>(
      [&](auto done) { store->SetIfAbsentAsync("k", "b", std::move(done)); });
  EXPECT_EQ(CurrentRevisionOf(absent.status()), *r1);
  const Revision deleted = Await<Revision>(
      [&](auto done) { store->DeleteIfAsync("k", *r1, std::move(done)); });
  EXPECT_GT(*deleted, *r1);
  const absl::StatusOr<Counter> counter = Await<absl::StatusOr<Counter>>(
      [&](auto done) { store->IncrementAsync("n", -3, std::move(done)); });
  EXPECT_EQ(counter->value, -3);

  using Revisions = absl::StatusOr<std::vector<uint64_t>>;
  const Revisions set = Await<Revisions>([&](auto done) {
    store->SetManyAsync({{"a", "1"}, {"b", "2"}}, std::move(done));
  });
  EXPECT_THAT(*set, ::testing::SizeIs(2));
  const absl::StatusOr<std::vector<Entry>> got =
      Await<absl::StatusOr<std::vector<Entry>>>([&](auto done) {
        store->GetManyAsync({"b", "zz"}, std::move(done));
      });
  ASSERT_THAT(*got, ::testing::SizeIs(2));
  EXPECT_EQ((*got)[0].value, "2");
  EXPECT_FALSE((*got)[1].found);
  const Revisions gone = Await<Revisions>([&](auto done) {
    store->DeleteManyAsync({"a", "zz"}, std::move(done));
  });
  EXPECT_THAT(*gone, ::testing::ElementsAre(::testing::Gt(0u), 0u));
  const absl::StatusOr<StoreInfo> info = Await<absl::StatusOr<StoreInfo>>(
      [&](auto done) { store->DescribeAsync(std::move(done)); });
  EXPECT_EQ(info->revision, (*gone)[0]);
}

TEST(StoreTest, UpdateAsyncRetriesAConflictingWrite) {
  FakeKeyValueServer server;
  absl::StatusOr<Store> store = Store::Open("default", server.channel());
  ASSERT_TRUE(store.ok()) << store.status();
  using Revision = absl::StatusOr<uint64_t>;
  const Revision first = Await<Revision>([&](auto done) {
    store->UpdateAsync("u", Exclaim, 10, std::move(done));
  });
  ASSERT_TRUE(first.ok()) << first.status();
  // The interfering write is a second store's, started from f on a gRPC
  // thread; f waits for it, briefly blocking that thread (a test only).
  absl::StatusOr<Store> other = Store::Open("default", server.channel());
  ASSERT_TRUE(other.ok()) << other.status();
  std::atomic<int> calls{0};
  auto interfering = [&](const std::optional<std::string>& value)
      -> absl::StatusOr<std::string> {
    if (++calls == 1) {
      EXPECT_TRUE(other->Set("u", "other").ok());
    }
    return Exclaim(value);
  };
  const Revision exhausted = Await<Revision>([&](auto done) {
    store->UpdateAsync("u", interfering, 1, std::move(done));
  });
  EXPECT_TRUE(IsConditionFailed(exhausted.status())) << exhausted.status();
  calls = 0;
  const Revision retried = Await<Revision>([&](auto done) {
    store->UpdateAsync("u", interfering, 3, std::move(done));
  });
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(calls.load(), 2);
  EXPECT_EQ(*store->Get("u"), "other!");
}

TEST(StoreTest, NewCallsTakeCallOptions) {
  FakeKeyValueServer server;
  absl::StatusOr<Store> store = Store::Open("default", server.channel());
  ASSERT_TRUE(store.ok()) << store.status();
  CallOptions hour;
  hour.timeout = absl::Hours(1);
  const absl::Time before = absl::Now();
  ASSERT_TRUE(store->Increment("n", 1, hour).ok());
  EXPECT_GE(server.service().last_deadline(), before + absl::Minutes(59));
  ASSERT_TRUE(store->Describe(hour).ok());
  EXPECT_GE(server.service().last_deadline(), before + absl::Minutes(59));
  ASSERT_TRUE(store->Update("u", Exclaim, 10, hour).ok());
  EXPECT_GE(server.service().last_deadline(), before + absl::Minutes(59));

  CallOptions zero;
  zero.timeout = absl::ZeroDuration();
  EXPECT_EQ(store->SetIf("k", "v", std::nullopt, zero).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store->SetMany({{"k", "v"}}, zero).status().code(),
            absl::StatusCode::kInvalidArgument);
  const absl::StatusOr<uint64_t> async = Await<absl::StatusOr<uint64_t>>(
      [&](auto done) { store->UpdateAsync("k", Exclaim, 10, done, zero); });
  EXPECT_EQ(async.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(server.service().set_calls(), 1);  // Update's, with `hour`.
  EXPECT_TRUE(IsNoSuchKey(store->Get("k").status()));
}

using std::chrono::milliseconds;
using std::chrono::seconds;

// The fake's clock as a system_clock time, to compare with expire times.
std::chrono::system_clock::time_point FakeNow(FakeKeyValueServer& server) {
  return absl::ToChronoTime(server.service().Now());
}

TEST(StoreTest, SetWithATtlExpiresByTheServersClock) {
  FakeKeyValueServer server;
  absl::StatusOr<Store> store = Store::Open("default", server.channel());
  ASSERT_TRUE(store.ok()) << store.status();
  const auto before = FakeNow(server);
  ASSERT_TRUE(store->Set("k", "v", seconds(30)).ok());
  const auto after = FakeNow(server);
  absl::StatusOr<Versioned> entry = store->GetEntry("k");
  ASSERT_TRUE(entry.ok()) << entry.status();
  ASSERT_TRUE(entry->expire_time.has_value());
  EXPECT_GE(*entry->expire_time, before + seconds(30) - milliseconds(1));
  EXPECT_LE(*entry->expire_time, after + seconds(30));

  server.service().AdvanceClock(absl::Seconds(31));
  EXPECT_TRUE(IsNoSuchKey(store->Get("k").status()));
  EXPECT_FALSE(*store->Exists("k"));
}

TEST(StoreTest, APlainSetClearsTheExpiryAndIncrementKeepsIt) {
  FakeKeyValueServer server;
  absl::StatusOr<Store> store = Store::Open("default", server.channel());
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_TRUE(store->Set("k", "v", milliseconds(1500)).ok());
  ASSERT_TRUE(store->Set("k", "w").ok());
  EXPECT_EQ(store->GetEntry("k")->expire_time, std::nullopt);
  server.service().AdvanceClock(absl::Seconds(2));
  EXPECT_EQ(*store->Get("k"), "w");

  ASSERT_TRUE(store->Set("n", "1", seconds(10)).ok());
  const ExpireTime expires = store->GetEntry("n")->expire_time;
  ASSERT_TRUE(expires.has_value());
  ASSERT_TRUE(store->Increment("n", 1).ok());
  EXPECT_EQ(store->GetEntry("n")->expire_time, expires);
}

TEST(StoreTest, EverySetFormTakesATtl) {
  FakeKeyValueServer server;
  absl::StatusOr<Store> store = Store::Open("default", server.channel());
  ASSERT_TRUE(store.ok()) << store.status();
  absl::StatusOr<uint64_t> created =
      store->SetIfAbsent("lock", "me", seconds(5));
  ASSERT_TRUE(created.ok()) << created.status();
  absl::StatusOr<uint64_t> renewed =
      store->SetIf("lock", "me", *created, seconds(5));
  ASSERT_TRUE(renewed.ok()) << renewed.status();
  absl::StatusOr<std::vector<uint64_t>> batch =
      store->SetMany({{"a", "1", std::nullopt, seconds(5)}, {"b", "2"}});
  ASSERT_TRUE(batch.ok()) << batch.status();
  absl::StatusOr<std::vector<Entry>> entries =
      store->GetMany({"lock", "a", "b"});
  ASSERT_TRUE(entries.ok()) << entries.status();
  EXPECT_TRUE((*entries)[0].expire_time.has_value());
  EXPECT_TRUE((*entries)[1].expire_time.has_value());
  EXPECT_FALSE((*entries)[2].expire_time.has_value());

  // An expired key is absent to a create-only write.
  server.service().AdvanceClock(absl::Seconds(6));
  absl::StatusOr<uint64_t> again = store->SetIfAbsent("lock", "you");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_THAT(*store->GetMany({"a", "b"}),
              ::testing::ElementsAre(::testing::Field(&Entry::found, false),
                                     ::testing::Field(&Entry::found, true)));
}

TEST(StoreTest, ATtlOutOfRangeIsRefusedByKvd) {
  FakeKeyValueServer server;
  absl::StatusOr<Store> store = Store::Open("default", server.channel());
  ASSERT_TRUE(store.ok()) << store.status();
  for (Ttl ttl : {Ttl(milliseconds(0)), Ttl(milliseconds(-5)),
                  Ttl(std::chrono::microseconds(500)),
                  Ttl(std::chrono::hours(24 * 3651))}) {
    absl::Status status = store->Set("k", "v", ttl);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
    EXPECT_EQ(ErrorCodeOf(status), kv::v1::ERROR_CODE_IO) << status;
  }
  EXPECT_FALSE(*store->Exists("k"));
}

TEST(StoreTest, AsyncSetFormsTakeATtl) {
  FakeKeyValueServer server;
  absl::StatusOr<Store> store = Store::Open("default", server.channel());
  ASSERT_TRUE(store.ok()) << store.status();
  using Revision = absl::StatusOr<uint64_t>;
  std::promise<absl::Status> set;
  store->SetAsync("s", "v", seconds(5),
                  [&](absl::Status status) { set.set_value(status); });
  ASSERT_TRUE(set.get_future().get().ok());
  const Revision created = Await<Revision>([&](auto done) {
    store->SetIfAbsentAsync("c", "v", seconds(5), std::move(done));
  });
  ASSERT_TRUE(created.ok()) << created.status();
  const Revision updated = Await<Revision>([&](auto done) {
    store->SetIfAsync("c", "w", *created, seconds(5), std::move(done));
  });
  ASSERT_TRUE(updated.ok()) << updated.status();
  const absl::StatusOr<Versioned> entry = Await<absl::StatusOr<Versioned>>(
      [&](auto done) { store->GetEntryAsync("c", std::move(done)); });
  ASSERT_TRUE(entry.ok()) << entry.status();
  EXPECT_TRUE(entry->expire_time.has_value());
  server.service().AdvanceClock(absl::Seconds(5));
  EXPECT_FALSE(*store->Exists("s"));
  EXPECT_FALSE(*store->Exists("c"));
}

TEST(StoreTest, DescribeReportsTheTtlAndPageLimits) {
  FakeKeyValueServer server;
  absl::StatusOr<Store> store = Store::Open("default", server.channel());
  ASSERT_TRUE(store.ok()) << store.status();
  absl::StatusOr<StoreInfo> info = store->Describe();
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->max_ttl, std::chrono::hours(24 * 3650));
  EXPECT_EQ(info->max_page_size, 10000u);
  EXPECT_TRUE(info->Has(kv::v1::CAPABILITY_TTL));
  EXPECT_TRUE(info->Has(kv::v1::CAPABILITY_LIST_PAGES));
}

// Five keys under "p/" (and two that are not), for the listing tests.
void SetListingKeys(Store& store) {
  for (const char* key : {"o", "p/1", "p/2", "p/3", "p/4", "p/5", "q"}) {
    ASSERT_TRUE(store.Set(key, "v").ok());
  }
}

TEST(StoreTest, ListKeysPageGivesOnePageAndItsToken) {
  FakeKeyValueServer server;
  absl::StatusOr<Store> store = Store::Open("default", server.channel());
  ASSERT_TRUE(store.ok()) << store.status();
  SetListingKeys(*store);
  absl::StatusOr<KeyPage> first = store->ListKeysPage("p/", 2, "");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_THAT(first->keys, ::testing::ElementsAre("p/1", "p/2"));
  ASSERT_FALSE(first->next_page_token.empty());
  const kv::v1::ListKeysRequest sent =
      server.service().last_list_keys_request();
  EXPECT_EQ(sent.store(), store->handle());
  EXPECT_EQ(sent.prefix(), "p/");
  EXPECT_EQ(sent.page_size(), 2);
  EXPECT_EQ(sent.page_token(), "");

  absl::StatusOr<KeyPage> second =
      store->ListKeysPage("p/", 2, first->next_page_token);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_THAT(second->keys, ::testing::ElementsAre("p/3", "p/4"));
  absl::StatusOr<KeyPage> last =
      store->ListKeysPage("p/", 2, second->next_page_token);
  ASSERT_TRUE(last.ok()) << last.status();
  EXPECT_THAT(last->keys, ::testing::ElementsAre("p/5"));
  EXPECT_EQ(last->next_page_token, "");

  absl::StatusOr<KeyPage> all = store->ListKeysPage("", 0, "");
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_THAT(all->keys, ::testing::SizeIs(7));
  EXPECT_EQ(all->next_page_token, "");
}

TEST(StoreTest, ListKeysPageSurfacesABadTokenAndPageSize) {
  FakeKeyValueServer server;
  absl::StatusOr<Store> store = Store::Open("default", server.channel());
  ASSERT_TRUE(store.ok()) << store.status();
  SetListingKeys(*store);
  const std::string token = store->ListKeysPage("p/", 2, "")->next_page_token;
  for (const auto& [prefix, bad_token] :
       {std::pair<std::string, std::string>{"q", token},
        {"p/", "not-a-token"}}) {
    absl::Status status = store->ListKeysPage(prefix, 2, bad_token).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
    EXPECT_EQ(ErrorCodeOf(status), kv::v1::ERROR_CODE_IO) << status;
  }
  EXPECT_EQ(store->ListKeysPage("", -1, "").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(StoreTest, ListKeysFetchesThePageAfterOnlyWhenItIsReached) {
  FakeKeyValueServer server;
  absl::StatusOr<Store> store = Store::Open("default", server.channel());
  ASSERT_TRUE(store.ok()) << store.status();
  SetListingKeys(*store);
  // The ListKeys calls made by the time each key was given to fn.
  std::vector<std::string> keys;
  std::vector<int> calls_seen;
  const int calls_before = server.service().list_keys_calls();
  absl::Status status = store->ListKeys("p/", 2, [&](std::string_view key) {
    keys.emplace_back(key);
    calls_seen.push_back(server.service().list_keys_calls() - calls_before);
    return true;
  });
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_THAT(keys, ::testing::ElementsAre("p/1", "p/2", "p/3", "p/4", "p/5"));
  EXPECT_THAT(calls_seen, ::testing::ElementsAre(1, 1, 2, 2, 3));
}

TEST(StoreTest, ListKeysStopsWhenFnSaysSo) {
  FakeKeyValueServer server;
  absl::StatusOr<Store> store = Store::Open("default", server.channel());
  ASSERT_TRUE(store.ok()) << store.status();
  SetListingKeys(*store);
  for (int stop_after : {1, 2, 3}) {
    const int calls_before = server.service().list_keys_calls();
    int taken = 0;
    absl::Status status = store->ListKeys(
        "p/", 2, [&](std::string_view) { return ++taken < stop_after; });
    ASSERT_TRUE(status.ok()) << status;
    EXPECT_EQ(taken, stop_after);
    // Keys 1 and 2 are page 1; key 3 needs page 2; nothing beyond.
    EXPECT_EQ(server.service().list_keys_calls() - calls_before,
              stop_after <= 2 ? 1 : 2)
        << "stopping after key " << stop_after;
  }
}

TEST(StoreTest, ListKeysEndsWithAFailedPagesError) {
  FakeKeyValueServer server;
  absl::StatusOr<Store> store = Store::Open("default", server.channel());
  ASSERT_TRUE(store.ok()) << store.status();
  SetListingKeys(*store);
  std::vector<std::string> keys;
  int pages = 0;
  absl::Status status = store->ListKeys("p/", 2, [&](std::string_view key) {
    keys.emplace_back(key);
    // After the first page's keys: the next page fails.
    if (keys.size() == 2 && pages++ == 0) {
      server.service().FailNextCall(
          grpc::Status(grpc::StatusCode::UNAVAILABLE, "IO: backend down"),
          "ERROR_CODE_IO", "ListKeys");
    }
    return true;
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_EQ(ErrorCodeOf(status), kv::v1::ERROR_CODE_IO);
  EXPECT_THAT(keys, ::testing::ElementsAre("p/1", "p/2"));
}

TEST(StoreTest, ListKeysSkipsExpiredKeys) {
  FakeKeyValueServer server;
  absl::StatusOr<Store> store = Store::Open("default", server.channel());
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_TRUE(store->Set("a", "v", seconds(1)).ok());
  ASSERT_TRUE(store->Set("b", "v").ok());
  server.service().AdvanceClock(absl::Seconds(1));
  std::vector<std::string> keys;
  ASSERT_TRUE(store
                  ->ListKeys("", 0,
                             [&](std::string_view key) {
                               keys.emplace_back(key);
                               return true;
                             })
                  .ok());
  EXPECT_THAT(keys, ::testing::ElementsAre("b"));
}

TEST(StoreTest, AsyncListKeysIsLazyToo) {
  FakeKeyValueServer server;
  absl::StatusOr<Store> store = Store::Open("default", server.channel());
  ASSERT_TRUE(store.ok()) << store.status();
  SetListingKeys(*store);
  const absl::StatusOr<KeyPage> page =
      Await<absl::StatusOr<KeyPage>>([&](auto done) {
        store->ListKeysPageAsync("p/", 3, "", std::move(done));
      });
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_THAT(page->keys, ::testing::ElementsAre("p/1", "p/2", "p/3"));
  EXPECT_FALSE(page->next_page_token.empty());

  // fn runs on gRPC threads, one page after another, never at once.
  std::vector<std::string> keys;
  std::vector<int> calls_seen;
  const int calls_before = server.service().list_keys_calls();
  const absl::Status all = Await<absl::Status>([&](auto done) {
    store->ListKeysAsync(
        "p/", 2,
        [&](std::string_view key) {
          keys.emplace_back(key);
          calls_seen.push_back(server.service().list_keys_calls() -
                               calls_before);
          return true;
        },
        std::move(done));
  });
  ASSERT_TRUE(all.ok()) << all;
  EXPECT_THAT(keys, ::testing::ElementsAre("p/1", "p/2", "p/3", "p/4", "p/5"));
  EXPECT_THAT(calls_seen, ::testing::ElementsAre(1, 1, 2, 2, 3));

  const int before_stop = server.service().list_keys_calls();
  const absl::Status stopped = Await<absl::Status>([&](auto done) {
    store->ListKeysAsync(
        "p/", 2, [](std::string_view) { return false; }, std::move(done));
  });
  EXPECT_TRUE(stopped.ok()) << stopped;
  EXPECT_EQ(server.service().list_keys_calls() - before_stop, 1);

  server.service().FailNextCall(
      grpc::Status(grpc::StatusCode::UNAVAILABLE, "IO: backend down"),
      "ERROR_CODE_IO", "ListKeys");
  const absl::Status failed = Await<absl::Status>([&](auto done) {
    store->ListKeysAsync(
        "p/", 2, [](std::string_view) { return true; }, std::move(done));
  });
  EXPECT_EQ(ErrorCodeOf(failed), kv::v1::ERROR_CODE_IO) << failed;
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
