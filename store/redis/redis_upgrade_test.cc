// Stores written by earlier kvd versions, under the current driver. The
// tests write each old layout straight into Redis, as the old driver did,
// then use the new driver on it:
// - before revisions: every key a plain Redis string at kvd:{NAME}:K, and
//   no revision counter. Every key reads, gets a revision when first
//   touched (the lazy upgrade), and takes every kind of write;
// - before the indexes (the previous kvd): hashes {v, r} and the counter,
//   but no #keys, #expiry or layout marker. The first open indexes every
//   key (redis_layout_upgrade.h); listing, writes and ttls then work, and
//   the marker spares later opens the scan.

#include <algorithm>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/driver.h"
#include "store/redis/redis_test_util.h"
#include "store/testing/redis_server.h"
#include "store/testing/status_matchers.h"
#include "store/write_errors.h"

namespace kv {
namespace {

using ::kv::redis_test::CounterKey;
using ::kv::redis_test::IndexKey;
using ::kv::redis_test::LayoutKey;
using ::kv::redis_test::ListAll;
using ::kv::redis_test::OpenStore;
using ::kv::redis_test::RedisKey;
using ::kv::redis_test::ValueOf;
using ::kv::testing::IsOk;
using ::kv::testing::IsOkAndHolds;
using ::kv::testing::RedisServer;
using ::kv::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Optional;

class OldLayoutTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<RedisServer>> server = RedisServer::Launch();
    ASSERT_THAT(server, IsOk());
    server_ = *std::move(server);
  }

  // Writes `key` = `value` in the old layout, as the old driver's Set did.
  void WriteOld(const std::string& key, const std::string& value) {
    ASSERT_THAT(server_->Command({"SET", RedisKey(kStore, key), value}),
                IsOkAndHolds("OK"));
  }

  std::string TypeOf(const std::string& key) {
    absl::StatusOr<std::string> type =
        server_->Command({"TYPE", RedisKey(kStore, key)});
    EXPECT_THAT(type, IsOk());
    return type.ok() ? *type : "";
  }

  uint64_t RevisionOf(Driver& driver, const std::string& key) {
    absl::StatusOr<Versioned> got = driver.Get(key);
    EXPECT_THAT(got, IsOk());
    return got.ok() ? got->revision : 0;
  }

  static constexpr char kStore[] = "legacy";
  std::unique_ptr<RedisServer> server_;
};

TEST_F(OldLayoutTest, OldKeysReadAndGetRevisions) {
  const std::string binary("a\0b\xff", 4);
  WriteOld("a", "1");
  WriteOld("b", "two");
  WriteOld("bin", binary);
  WriteOld("empty", "");
  std::unique_ptr<Driver> driver = OpenStore(*server_, kStore);
  ASSERT_NE(driver, nullptr);

  // Exists and ListKeys read either layout and change nothing.
  EXPECT_THAT(driver->Exists("a"), IsOkAndHolds(true));
  EXPECT_THAT(ListAll(*driver), ElementsAre("a", "b", "bin", "empty"));
  EXPECT_EQ(TypeOf("a"), "string");
  EXPECT_THAT(driver->CurrentRevision(), IsOkAndHolds(0u));

  // Get upgrades the key: a fresh revision, kept from then on.
  absl::StatusOr<Versioned> a = driver->Get("a");
  ASSERT_THAT(a, IsOk());
  EXPECT_EQ(a->value, "1");
  EXPECT_GT(a->revision, 0u);
  EXPECT_EQ(TypeOf("a"), "hash");
  EXPECT_EQ(RevisionOf(*driver, "a"), a->revision);
  EXPECT_THAT(driver->CurrentRevision(), IsOkAndHolds(a->revision));
  EXPECT_THAT(ValueOf(*driver, "bin"), IsOkAndHolds(binary));
  EXPECT_THAT(ValueOf(*driver, "empty"), IsOkAndHolds(""));

  // GetMany upgrades too, in one snapshot, and reports missing keys.
  absl::StatusOr<std::vector<absl::optional<Versioned>>> many =
      driver->GetMany({"b", "missing", "a"});
  ASSERT_THAT(many, IsOk());
  ASSERT_EQ(many->size(), 3u);
  ASSERT_TRUE((*many)[0].has_value());
  EXPECT_EQ((*many)[0]->value, "two");
  EXPECT_GT((*many)[0]->revision, a->revision);
  EXPECT_FALSE((*many)[1].has_value());
  ASSERT_TRUE((*many)[2].has_value());
  EXPECT_EQ((*many)[2]->revision, a->revision);
  EXPECT_EQ(TypeOf("b"), "hash");
  EXPECT_EQ(RevisionOf(*driver, "b"), (*many)[0]->revision);

  // The counter is internal: never listed.
  EXPECT_THAT(server_->Command({"EXISTS", CounterKey(kStore)}),
              IsOkAndHolds("1"));
  EXPECT_THAT(ListAll(*driver), ElementsAre("a", "b", "bin", "empty"));
}

TEST_F(OldLayoutTest, OldKeysTakeEveryKindOfWrite) {
  WriteOld("create_only", "x");
  WriteOld("cas", "x");
  WriteOld("counter", "41");
  WriteOld("text", "hello");
  WriteOld("deleted", "x");
  WriteOld("stale_delete", "x");
  WriteOld("overwritten", "x");
  std::unique_ptr<Driver> driver = OpenStore(*server_, kStore);
  ASSERT_NE(driver, nullptr);

  // Create-only on an old key fails, and names the revision the upgrade
  // gave it, which a retry can then use.
  absl::StatusOr<MutationResults> create =
      driver->Write({Mutation::Set("create_only", "y", 0)});
  absl::optional<uint64_t> current = ConditionFailedRevision(create.status());
  ASSERT_TRUE(current.has_value()) << create.status();
  EXPECT_GT(*current, 0u);
  EXPECT_THAT(ValueOf(*driver, "create_only"), IsOkAndHolds("x"));
  EXPECT_EQ(RevisionOf(*driver, "create_only"), *current);
  absl::StatusOr<MutationResults> retried =
      driver->Write({Mutation::Set("create_only", "y", *current)});
  ASSERT_THAT(retried, IsOk());
  EXPECT_GT(retried->front().revision, *current);
  EXPECT_THAT(ValueOf(*driver, "create_only"), IsOkAndHolds("y"));

  // Compare-and-swap with the revision a Get gave.
  const uint64_t cas = RevisionOf(*driver, "cas");
  ASSERT_THAT(driver->Write({Mutation::Set("cas", "z", cas)}), IsOk());
  EXPECT_THAT(ValueOf(*driver, "cas"), IsOkAndHolds("z"));

  // Increment of an old counter, and of old text.
  absl::StatusOr<MutationResults> incremented =
      driver->Write({Mutation::Increment("counter", 1)});
  ASSERT_THAT(incremented, IsOk());
  EXPECT_EQ(incremented->front().value, 42);
  EXPECT_THAT(ValueOf(*driver, "counter"), IsOkAndHolds("42"));
  absl::StatusOr<MutationResults> text =
      driver->Write({Mutation::Increment("text", 1)});
  EXPECT_TRUE(IsNotAnInteger(text.status())) << text.status();
  EXPECT_THAT(ValueOf(*driver, "text"), IsOkAndHolds("hello"));

  // Delete, unconditional and with a stale revision.
  absl::StatusOr<uint64_t> deleted = driver->Delete("deleted");
  ASSERT_THAT(deleted, IsOk());
  EXPECT_GT(*deleted, 0u);
  EXPECT_THAT(driver->Exists("deleted"), IsOkAndHolds(false));
  absl::StatusOr<MutationResults> stale =
      driver->Write({Mutation::Delete("stale_delete", 1)});
  EXPECT_TRUE(ConditionFailedRevision(stale.status()).has_value())
      << stale.status();
  EXPECT_THAT(ValueOf(*driver, "stale_delete"), IsOkAndHolds("x"));

  // An unconditional Set leaves the new layout and nothing else.
  absl::StatusOr<uint64_t> overwritten = driver->Set("overwritten", "new");
  ASSERT_THAT(overwritten, IsOk());
  EXPECT_THAT(server_->Command({"HGETALL", RedisKey(kStore, "overwritten")}),
              IsOkAndHolds(absl::StrCat("v\nnew\nr\n", *overwritten)));

  EXPECT_THAT(ListAll(*driver),
              ElementsAre("cas", "counter", "create_only", "overwritten",
                          "stale_delete", "text"));
}

// A batch that fails leaves every value as it was; keys it upgraded on the
// way keep their values and read as before.
TEST_F(OldLayoutTest, FailedBatchOverOldKeysChangesNoValue) {
  WriteOld("a", "1");
  WriteOld("b", "2");
  std::unique_ptr<Driver> driver = OpenStore(*server_, kStore);
  ASSERT_NE(driver, nullptr);
  absl::StatusOr<MutationResults> results =
      driver->Write({Mutation::Set("a", "new"), Mutation::Increment("b", 1),
                     Mutation::Set("c", "new", 12345)});
  ASSERT_TRUE(ConditionFailedRevision(results.status()).has_value())
      << results.status();
  EXPECT_THAT(FailedMutationIndex(results.status()), Optional(2u));
  EXPECT_THAT(ValueOf(*driver, "a"), IsOkAndHolds("1"));
  EXPECT_THAT(ValueOf(*driver, "b"), IsOkAndHolds("2"));
  EXPECT_THAT(driver->Exists("c"), IsOkAndHolds(false));
  EXPECT_THAT(ListAll(*driver), ElementsAre("a", "b"));
}

// Many readers, through two drivers (two kvd processes), reach one old key
// at once: it is upgraded once, and all of them see the same revision.
TEST_F(OldLayoutTest, ConcurrentFirstReadsAgreeOnTheRevision) {
  constexpr int kKeys = 20;
  constexpr int kThreads = 8;
  std::vector<std::string> keys;
  for (int i = 0; i < kKeys; ++i) {
    keys.push_back(absl::StrCat("k", i));
    WriteOld(keys.back(), absl::StrCat("value ", i));
  }
  std::unique_ptr<Driver> first = OpenStore(*server_, kStore);
  std::unique_ptr<Driver> second = OpenStore(*server_, kStore);
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  absl::Mutex mutex;
  std::vector<std::set<uint64_t>> seen(kKeys);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    Driver* driver = t % 2 == 0 ? first.get() : second.get();
    threads.emplace_back([&, driver, t] {
      for (int i = 0; i < kKeys; ++i) {
        absl::StatusOr<uint64_t> revision;
        if (t % 4 < 2) {
          absl::StatusOr<Versioned> got = driver->Get(keys[i]);
          ASSERT_THAT(got, IsOk());
          EXPECT_EQ(got->value, absl::StrCat("value ", i));
          revision = got->revision;
        } else {
          absl::StatusOr<std::vector<absl::optional<Versioned>>> got =
              driver->GetMany({keys[i]});
          ASSERT_THAT(got, IsOk());
          ASSERT_TRUE((*got)[0].has_value());
          revision = (*got)[0]->revision;
        }
        absl::MutexLock lock(&mutex);
        seen[i].insert(*revision);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  std::set<uint64_t> distinct;
  for (int i = 0; i < kKeys; ++i) {
    EXPECT_EQ(seen[i].size(), 1u) << keys[i] << " got several revisions";
    distinct.insert(*seen[i].begin());
  }
  EXPECT_EQ(distinct.size(), static_cast<size_t>(kKeys));
  EXPECT_THAT(first->CurrentRevision(), IsOkAndHolds(kKeys));
}

// A key of another Redis type is not mistaken for an old string: it stays
// as it is and calls on it fail with WRONGTYPE.
TEST_F(OldLayoutTest, OtherRedisTypesAreNotUpgraded) {
  ASSERT_THAT(server_->Command({"RPUSH", RedisKey(kStore, "list"), "x"}),
              IsOk());
  std::unique_ptr<Driver> driver = OpenStore(*server_, kStore);
  ASSERT_NE(driver, nullptr);
  EXPECT_THAT(driver->Get("list"),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("WRONGTYPE")));
  EXPECT_THAT(driver->GetMany({"list"}),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("WRONGTYPE")));
  EXPECT_THAT(driver->Set("list", "v"),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("WRONGTYPE")));
  EXPECT_EQ(TypeOf("list"), "list");
  EXPECT_THAT(driver->CurrentRevision(), IsOkAndHolds(0u));
}

// --- The previous layout: hashes and a counter, no index ---

class PreviousLayoutTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<RedisServer>> server = RedisServer::Launch();
    ASSERT_THAT(server, IsOk());
    server_ = *std::move(server);
  }

  absl::StatusOr<std::string> Redis(const std::vector<std::string>& args) {
    return server_->Command(args);
  }

  // Writes `key` = `value` as the previous kvd's write script did for a Set
  // that took revision `revision` (HSET of v and r, INCRBY of the counter).
  void WritePrevious(const std::string& key, const std::string& value,
                     uint64_t revision) {
    ASSERT_THAT(Redis({"HSET", RedisKey(kStore, key), "v", value, "r",
                       absl::StrCat(revision)}),
                IsOk());
    ASSERT_THAT(Redis({"SET", CounterKey(kStore), absl::StrCat(revision)}),
                IsOk());
  }

  // How many SCANs the server has run (INFO commandstats).
  int64_t Scans() {
    absl::StatusOr<std::string> info = Redis({"INFO", "commandstats"});
    EXPECT_THAT(info, IsOk());
    if (!info.ok()) return -1;
    for (absl::string_view line : absl::StrSplit(*info, '\n')) {
      if (!absl::ConsumePrefix(&line, "cmdstat_scan:calls=")) continue;
      int64_t calls = 0;
      EXPECT_TRUE(absl::SimpleAtoi(line.substr(0, line.find(',')), &calls))
          << line;
      return calls;
    }
    return 0;  // Not listed: never run.
  }

  // Every key, read by ListKeyPage in pages of `page_size`.
  std::vector<std::string> ListByPages(Driver& driver, size_t page_size) {
    std::vector<std::string> keys;
    std::string after;
    while (true) {
      absl::StatusOr<KeyPage> page =
          driver.ListKeyPage(KeyPageRequest{"", after, page_size});
      EXPECT_THAT(page, IsOk());
      if (!page.ok()) return keys;
      keys.insert(keys.end(), page->keys.begin(), page->keys.end());
      if (!page->more) return keys;
      after = page->keys.back();
    }
  }

  static constexpr char kStore[] = "previous";
  std::unique_ptr<RedisServer> server_;
};

TEST_F(PreviousLayoutTest, StoreGainsItsIndexOnOpen) {
  // Out of order, with bytes a pattern or a signed compare would get wrong,
  // and two keys from before revisions (plain strings).
  const std::vector<std::string> hashes = {
      "user/2",  "user/10", "a*b", "\xc3\xa9", std::string("n\0ul", 4),
      "counter", "user/1",  "[x]"};
  uint64_t revision = 0;
  for (const std::string& key : hashes) {
    WritePrevious(key, absl::StrCat("value of ", key), ++revision);
  }
  WritePrevious("counter", "41", ++revision);
  ASSERT_THAT(Redis({"SET", RedisKey(kStore, "plain"), "p"}), IsOk());
  ASSERT_THAT(Redis({"SET", RedisKey(kStore, "user/0"), "p"}), IsOk());
  EXPECT_THAT(Redis({"EXISTS", IndexKey(kStore)}), IsOkAndHolds("0"));

  std::unique_ptr<Driver> driver = OpenStore(*server_, kStore);
  ASSERT_NE(driver, nullptr);
  std::vector<std::string> expected = hashes;
  expected.push_back("plain");
  expected.push_back("user/0");
  std::sort(expected.begin(), expected.end());
  EXPECT_THAT(ListByPages(*driver, 1000), ElementsAreArray(expected));
  EXPECT_THAT(ListByPages(*driver, 3), ElementsAreArray(expected));
  EXPECT_THAT(ListAll(*driver), ElementsAreArray(expected));
  absl::StatusOr<KeyPage> users =
      driver->ListKeyPage(KeyPageRequest{"user/", "", 10});
  ASSERT_THAT(users, IsOk());
  EXPECT_THAT(users->keys,
              ElementsAre("user/0", "user/1", "user/10", "user/2"));
  EXPECT_THAT(Redis({"GET", LayoutKey(kStore)}), IsOkAndHolds("2"));
  // The values and revisions are untouched; nothing expires.
  absl::StatusOr<Versioned> first = driver->Get("user/2");
  ASSERT_THAT(first, IsOk());
  EXPECT_EQ(first->value, "value of user/2");
  EXPECT_EQ(first->revision, 1u);
  EXPECT_EQ(first->expire_time, absl::InfiniteFuture());
  EXPECT_THAT(driver->CurrentRevision(), IsOkAndHolds(revision));

  // Every kind of write, and a ttl, on the upgraded store.
  absl::StatusOr<MutationResults> written = driver->Write(
      {Mutation::Set("user/1", "short", absl::nullopt, absl::Milliseconds(50)),
       Mutation::Increment("counter", 1), Mutation::Delete("a*b"),
       Mutation::Set("new", "v", uint64_t{0}),
       Mutation::Set("user/10", "later", uint64_t{2}, absl::Hours(1))});
  ASSERT_THAT(written, IsOk());
  EXPECT_EQ((*written)[0].revision, revision + 1);
  EXPECT_EQ((*written)[1].value, 42);
  absl::StatusOr<Versioned> later = driver->Get("user/10");
  ASSERT_THAT(later, IsOk());
  EXPECT_NE(later->expire_time, absl::InfiniteFuture());
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (driver->Exists("user/1").value_or(true)) {
    ASSERT_LT(absl::Now(), deadline) << "user/1 never expired";
    absl::SleepFor(absl::Milliseconds(10));
  }
  expected.erase(std::find(expected.begin(), expected.end(), "a*b"));
  expected.erase(std::find(expected.begin(), expected.end(), "user/1"));
  expected.push_back("new");
  std::sort(expected.begin(), expected.end());
  EXPECT_THAT(ListByPages(*driver, 2), ElementsAreArray(expected));
  EXPECT_THAT(driver->ReclaimExpired(10), IsOkAndHolds(1u));
  EXPECT_THAT(Redis({"ZCARD", IndexKey(kStore)}),
              IsOkAndHolds(absl::StrCat(expected.size())));
}

// The marker spares every later open the scan: a key written by hand in the
// previous layout after the upgrade is not indexed by the next open (which
// is why an older kvd must not keep writing a store a newer one serves).
TEST_F(PreviousLayoutTest, MarkerMakesTheNextOpenSkipTheScan) {
  WritePrevious("early", "v", 1);
  const int64_t scans_before = Scans();
  std::unique_ptr<Driver> first = OpenStore(*server_, kStore);
  ASSERT_NE(first, nullptr);
  const int64_t scans_after_first = Scans();
  EXPECT_GT(scans_after_first, scans_before);

  WritePrevious("late", "v", 2);
  std::unique_ptr<Driver> second = OpenStore(*server_, kStore);
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(Scans(), scans_after_first);
  EXPECT_THAT(ListAll(*second), ElementsAre("early"));

  // Without the marker, an open scans and indexes again.
  ASSERT_THAT(Redis({"DEL", LayoutKey(kStore)}), IsOk());
  std::unique_ptr<Driver> third = OpenStore(*server_, kStore);
  ASSERT_NE(third, nullptr);
  EXPECT_GT(Scans(), scans_after_first);
  EXPECT_THAT(ListAll(*third), ElementsAre("early", "late"));
  EXPECT_THAT(Redis({"GET", LayoutKey(kStore)}), IsOkAndHolds("2"));
}

// The upgrade's SCAN matches the store's own keys only: unescaped, "g[x]"'s
// pattern would match the keys of store "gx", and "g*"'s those of every
// "g..." store.
TEST_F(PreviousLayoutTest, UpgradeIndexesOnlyTheStoresOwnKeys) {
  const std::vector<std::string> names = {"g*", "g?", "g[x]", "g\\x", "gx"};
  for (const std::string& name : names) {
    ASSERT_THAT(Redis({"HSET", RedisKey(name, "k"), "v", name, "r", "1"}),
                IsOk());
    ASSERT_THAT(Redis({"HSET", RedisKey(name, name), "v", name, "r", "2"}),
                IsOk());
  }
  for (const std::string& name : names) {
    std::unique_ptr<Driver> driver = OpenStore(*server_, name);
    ASSERT_NE(driver, nullptr);
    std::vector<std::string> expected = {name, "k"};
    std::sort(expected.begin(), expected.end());
    EXPECT_THAT(ListAll(*driver), ElementsAreArray(expected)) << name;
    EXPECT_THAT(Redis({"ZCARD", IndexKey(name)}), IsOkAndHolds("2")) << name;
  }
}

// Two drivers upgrade the store at once (two kvd processes starting
// together) while a third, already upgraded, deletes and adds keys: the
// index ends up exactly the store's keys. A key deleted during a scan is
// not put back into the index, and no key is missed.
TEST_F(PreviousLayoutTest, ConcurrentUpgradesAndWritesLeaveAnExactIndex) {
  constexpr int kKeys = 4000;
  constexpr int kDeleted = 1500;
  std::vector<std::string> keys;
  for (int i = 0; i < kKeys; ++i) keys.push_back(absl::StrFormat("k%05d", i));
  for (int i = 0; i < kKeys; ++i) WritePrevious(keys[i], "v", i + 1);
  std::unique_ptr<Driver> writer = OpenStore(*server_, kStore);
  ASSERT_NE(writer, nullptr);
  // Make the store look not yet upgraded again, while `writer` serves it.
  ASSERT_THAT(Redis({"DEL", LayoutKey(kStore), IndexKey(kStore)}), IsOk());

  std::unique_ptr<Driver> opened[2];
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] { opened[t] = OpenStore(*server_, kStore); });
  }
  std::vector<std::string> added;
  for (int i = 0; i < kDeleted; ++i) {
    EXPECT_THAT(writer->Delete(keys[i]), IsOk());
    if (i % 3 == 0) {
      added.push_back(absl::StrCat("n", i));
      EXPECT_THAT(writer->Set(added.back(), "v"), IsOk());
    }
  }
  for (std::thread& thread : threads) thread.join();
  ASSERT_NE(opened[0], nullptr);
  ASSERT_NE(opened[1], nullptr);

  std::vector<std::string> expected(keys.begin() + kDeleted, keys.end());
  expected.insert(expected.end(), added.begin(), added.end());
  std::sort(expected.begin(), expected.end());
  const std::vector<std::string> listed = ListAll(*opened[0]);
  EXPECT_EQ(listed.size(), expected.size());
  EXPECT_TRUE(listed == expected);
  EXPECT_THAT(Redis({"ZCARD", IndexKey(kStore)}),
              IsOkAndHolds(absl::StrCat(expected.size())));
  EXPECT_THAT(Redis({"GET", LayoutKey(kStore)}), IsOkAndHolds("2"));
}

}  // namespace
}  // namespace kv
