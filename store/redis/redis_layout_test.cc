// What the Redis driver leaves in Redis: one hash {v, r} per key (with
// Redis's own expiry when it has a ttl), one revision counter, the ordered
// index #keys and the expiry index #expiry per store, and the layout marker;
// nothing outside the store's hash tag, and nothing at all for a write that
// fails or changes nothing.

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"
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
using ::kv::redis_test::ExpiryKey;
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
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class RedisLayoutTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<RedisServer>> server = RedisServer::Launch();
    ASSERT_THAT(server, IsOk());
    server_ = *std::move(server);
    driver_ = OpenStore(*server_, kStore);
    ASSERT_NE(driver_, nullptr);
  }

  absl::StatusOr<std::string> Redis(const std::vector<std::string>& args) {
    return server_->Command(args);
  }

  // Every Redis key in the database, sorted.
  std::vector<std::string> AllRedisKeys() {
    absl::StatusOr<std::string> keys = Redis({"KEYS", "*"});
    EXPECT_THAT(keys, IsOk());
    if (!keys.ok() || keys->empty()) return {};
    std::vector<std::string> split = absl::StrSplit(*keys, '\n');
    std::sort(split.begin(), split.end());
    return split;
  }

  static constexpr char kStore[] = "shape";
  std::unique_ptr<RedisServer> server_;
  std::unique_ptr<Driver> driver_;
};

TEST_F(RedisLayoutTest, DeletesOfAbsentKeysWriteNothing) {
  EXPECT_THAT(driver_->Delete("absent"), IsOkAndHolds(0u));
  EXPECT_THAT(driver_->Write({Mutation::Delete("absent", 0),
                              Mutation::Delete("also absent")}),
              IsOk());
  // Only the layout marker, which the open set.
  EXPECT_THAT(AllRedisKeys(), ElementsAre(LayoutKey(kStore)));
  EXPECT_THAT(driver_->CurrentRevision(), IsOkAndHolds(0u));

  ASSERT_THAT(driver_->Set("k", "v"), IsOk());
  ASSERT_THAT(driver_->Delete("k"), IsOk());
  EXPECT_THAT(driver_->Delete("k"), IsOkAndHolds(0u));
  EXPECT_THAT(Redis({"GET", CounterKey(kStore)}), IsOkAndHolds("2"));
  // An emptied index is no key at all (Redis removes an empty sorted set).
  EXPECT_THAT(AllRedisKeys(),
              ElementsAre(LayoutKey(kStore), CounterKey(kStore)));
}

// A failed condition, a non-integer and an overflow each leave Redis
// exactly as it was: no key, no field, no counter move.
TEST_F(RedisLayoutTest, FailedWritesChangeNothingInRedis) {
  ASSERT_THAT(driver_->Set("text", "hello"), IsOk());
  ASSERT_THAT(driver_->Set("max", "9223372036854775807"), IsOk());
  const std::vector<std::string> before = AllRedisKeys();
  const absl::StatusOr<std::string> counter =
      Redis({"GET", CounterKey(kStore)});
  ASSERT_THAT(counter, IsOkAndHolds("2"));

  EXPECT_THAT(driver_->Write({Mutation::Set("new", "v"),
                              Mutation::Set("text", "v", 1000)}),
              StatusIs(absl::StatusCode::kAborted));
  EXPECT_THAT(driver_->Write({Mutation::Increment("fresh", 1),
                              Mutation::Increment("text", 1)}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(
      driver_->Write({Mutation::Delete("text"), Mutation::Increment("max", 1)}),
      StatusIs(absl::StatusCode::kOutOfRange));

  EXPECT_EQ(AllRedisKeys(), before);
  EXPECT_THAT(Redis({"GET", CounterKey(kStore)}), IsOkAndHolds(*counter));
  EXPECT_THAT(Redis({"HGETALL", RedisKey(kStore, "text")}),
              IsOkAndHolds("v\nhello\nr\n1"));
}

// Every Redis key the driver creates carries the store's hash tag, so one
// Redis Cluster slot holds the whole store (issue 18 relies on it).
TEST_F(RedisLayoutTest, EveryRedisKeyIsInTheStoresHashTag) {
  ASSERT_THAT(driver_->Set("a", "1"), IsOk());
  ASSERT_THAT(
      driver_->Write({Mutation::Set("b", "2"), Mutation::Increment("n", 3),
                      Mutation::Delete("a"),
                      Mutation::Set("e", "4", absl::nullopt, absl::Hours(1))}),
      IsOk());
  ASSERT_THAT(driver_->GetMany({"a", "b", "n"}), IsOk());
  ASSERT_THAT(driver_->CurrentRevision(), IsOk());
  ASSERT_THAT(driver_->ListKeyPage(KeyPageRequest{"", "", 10}), IsOk());
  ASSERT_THAT(driver_->ReclaimExpired(10), IsOk());
  const std::vector<std::string> keys = AllRedisKeys();
  EXPECT_THAT(
      keys, ElementsAre(ExpiryKey(kStore), IndexKey(kStore), LayoutKey(kStore),
                        CounterKey(kStore), RedisKey(kStore, "b"),
                        RedisKey(kStore, "e"), RedisKey(kStore, "n")));
  for (const std::string& key : keys) {
    // Redis Cluster hashes the text between the first '{' and the next '}'.
    const size_t open = key.find('{');
    ASSERT_NE(open, std::string::npos) << key;
    EXPECT_EQ(key.substr(open + 1, key.find('}', open) - open - 1), kStore)
        << key;
  }
}

// Revisions are decimal text from end to end, so they stay exact past
// 2^53, where a Lua number (a double) would round, and across a carry into
// a new digit.
TEST_F(RedisLayoutTest, RevisionsStayExactPastTwoToThe53) {
  ASSERT_THAT(Redis({"SET", CounterKey(kStore), "9007199254740992"}), IsOk());
  EXPECT_THAT(driver_->Set("a", "1"), IsOkAndHolds(9007199254740993u));
  ASSERT_THAT(Redis({"SET", CounterKey(kStore), "999999999999999998"}), IsOk());
  absl::StatusOr<MutationResults> results =
      driver_->Write({Mutation::Set("b", "1"), Mutation::Increment("c", 1),
                      Mutation::Delete("a")});
  ASSERT_THAT(results, IsOk());
  EXPECT_EQ((*results)[0].revision, 999999999999999999u);
  EXPECT_EQ((*results)[1].revision, 1000000000000000000u);
  EXPECT_EQ((*results)[2].revision, 1000000000000000001u);
  EXPECT_THAT(driver_->CurrentRevision(), IsOkAndHolds(1000000000000000001u));
  EXPECT_THAT(Redis({"HGET", RedisKey(kStore, "c"), "r"}),
              IsOkAndHolds("1000000000000000000"));
  absl::StatusOr<Versioned> c = driver_->Get("c");
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->revision, 1000000000000000000u);
}

// A hash that kvd did not write under the store's prefix is never misread
// or overwritten: with neither of kvd's fields v and r it holds no kvd value
// (reads see it absent, as Get's one HMGET cannot tell it from a missing
// key); with one of them it is reported; writes refuse it either way.
TEST_F(RedisLayoutTest, ForeignHashIsInternal) {
  ASSERT_THAT(Redis({"HSET", RedisKey(kStore, "h"), "name", "x"}), IsOk());
  ASSERT_THAT(Redis({"HSET", RedisKey(kStore, "v_only"), "v", "x"}), IsOk());
  const auto not_kvd =
      StatusIs(absl::StatusCode::kInternal,
               AllOf(HasSubstr("store \"shape\""), HasSubstr("key \"h\""),
                     HasSubstr("not written by kvd")));
  EXPECT_THAT(driver_->Get("h"), StatusIs(absl::StatusCode::kNotFound));
  absl::StatusOr<std::vector<absl::optional<Versioned>>> many =
      driver_->GetMany({"h"});
  ASSERT_THAT(many, IsOk());
  EXPECT_FALSE(many->front().has_value());
  EXPECT_THAT(driver_->Get("v_only"), StatusIs(absl::StatusCode::kInternal,
                                               HasSubstr("key \"v_only\"")));
  EXPECT_THAT(
      driver_->GetMany({"v_only"}),
      StatusIs(absl::StatusCode::kInternal, HasSubstr("key \"v_only\"")));
  EXPECT_THAT(driver_->Set("h", "v"), not_kvd);
  EXPECT_THAT(driver_->Write({Mutation::Increment("h", 1)}), not_kvd);
  EXPECT_THAT(Redis({"HGETALL", RedisKey(kStore, "h")}),
              IsOkAndHolds("name\nx"));
  EXPECT_THAT(driver_->Exists("h"), IsOkAndHolds(true));
  // Written around kvd after the store was indexed: not in #keys, so not
  // listed (a listing reads the index, never the database).
  EXPECT_THAT(ListAll(*driver_), IsEmpty());
}

// A counter that does not hold a revision stops writes before they apply
// anything, with a message naming it.
TEST_F(RedisLayoutTest, DamagedCounterStopsWrites) {
  ASSERT_THAT(driver_->Set("a", "1"), IsOk());
  ASSERT_THAT(Redis({"SET", CounterKey(kStore), "-5"}), IsOk());
  const auto damaged =
      StatusIs(absl::StatusCode::kInternal,
               AllOf(HasSubstr("store \"shape\""),
                     HasSubstr(absl::StrCat("revision counter \"",
                                            CounterKey(kStore), "\"")),
                     HasSubstr("does not hold a revision")));
  EXPECT_THAT(driver_->Set("a", "2"), damaged);
  EXPECT_THAT(driver_->CurrentRevision(), damaged);
  EXPECT_THAT(ValueOf(*driver_, "a"), IsOkAndHolds("1"));
  EXPECT_THAT(driver_->Exists("b"), IsOkAndHolds(false));
}

// The ordered index holds exactly the store's keys, score 0, member the
// key's bytes; the expiry index exactly those that expire, scored by the
// same Unix ms as the key's own PEXPIRETIME, which its hash's field e also
// holds (so a Get is one HMGET); the marker the layout version.
TEST_F(RedisLayoutTest, IndexesFollowEveryWrite) {
  EXPECT_THAT(Redis({"GET", LayoutKey(kStore)}), IsOkAndHolds("2"));
  const std::string zero_byte("z\0", 2);
  ASSERT_THAT(driver_->Write(
                  {Mutation::Set("a", "1"),
                   Mutation::Set("t", "2", absl::nullopt, absl::Hours(1)),
                   Mutation::Increment("n", 1), Mutation::Set(zero_byte, "3")}),
              IsOk());
  EXPECT_THAT(
      Redis({"ZRANGE", IndexKey(kStore), "0", "-1", "WITHSCORES"}),
      IsOkAndHolds(absl::StrCat("a\n0\nn\n0\nt\n0\n", zero_byte, "\n0")));
  absl::StatusOr<Versioned> t = driver_->Get("t");
  ASSERT_THAT(t, IsOk());
  const std::string at = absl::StrCat(absl::ToUnixMillis(t->expire_time));
  EXPECT_THAT(Redis({"PEXPIRETIME", RedisKey(kStore, "t")}), IsOkAndHolds(at));
  EXPECT_THAT(Redis({"HGET", RedisKey(kStore, "t"), "e"}), IsOkAndHolds(at));
  EXPECT_THAT(Redis({"HEXISTS", RedisKey(kStore, "a"), "e"}),
              IsOkAndHolds("0"));
  EXPECT_THAT(Redis({"ZRANGE", ExpiryKey(kStore), "0", "-1", "WITHSCORES"}),
              IsOkAndHolds(absl::StrCat("t\n", at)));

  // An increment keeps the expiry, in the key and in the index.
  ASSERT_THAT(
      driver_->Write({Mutation::Set("t", "5", absl::nullopt, absl::Hours(1))}),
      IsOk());
  absl::StatusOr<std::string> before =
      Redis({"PEXPIRETIME", RedisKey(kStore, "t")});
  ASSERT_THAT(before, IsOk());
  ASSERT_THAT(driver_->Write({Mutation::Increment("t", 1)}), IsOk());
  EXPECT_THAT(Redis({"PEXPIRETIME", RedisKey(kStore, "t")}),
              IsOkAndHolds(*before));
  EXPECT_THAT(Redis({"HGET", RedisKey(kStore, "t"), "e"}),
              IsOkAndHolds(*before));
  EXPECT_THAT(Redis({"ZSCORE", ExpiryKey(kStore), "t"}), IsOkAndHolds(*before));

  // A plain set clears it from both; a delete takes the key out of #keys.
  ASSERT_THAT(driver_->Set("t", "6"), IsOk());
  EXPECT_THAT(Redis({"PEXPIRETIME", RedisKey(kStore, "t")}),
              IsOkAndHolds("-1"));
  EXPECT_THAT(Redis({"HEXISTS", RedisKey(kStore, "t"), "e"}),
              IsOkAndHolds("0"));
  EXPECT_THAT(Redis({"EXISTS", ExpiryKey(kStore)}), IsOkAndHolds("0"));
  ASSERT_THAT(driver_->Write({Mutation::Delete("a"), Mutation::Delete("n")}),
              IsOk());
  EXPECT_THAT(Redis({"ZRANGE", IndexKey(kStore), "0", "-1"}),
              IsOkAndHolds(absl::StrCat("t\n", zero_byte)));
}

// The expiry is the server's: TIME at the write + ttl, to the millisecond.
TEST_F(RedisLayoutTest, ExpiryCountsFromTheServersTime) {
  auto server_ms = [&]() -> int64_t {
    absl::StatusOr<std::string> time = Redis({"TIME"});
    EXPECT_THAT(time, IsOk());
    if (!time.ok()) return 0;
    std::vector<std::string> parts = absl::StrSplit(*time, '\n');
    int64_t seconds = 0, micros = 0;
    EXPECT_EQ(parts.size(), 2u);
    EXPECT_TRUE(parts.size() == 2 && absl::SimpleAtoi(parts[0], &seconds) &&
                absl::SimpleAtoi(parts[1], &micros));
    return seconds * 1000 + micros / 1000;
  };
  const int64_t before = server_ms();
  ASSERT_THAT(driver_->Write(
                  {Mutation::Set("k", "v", absl::nullopt, absl::Seconds(90))}),
              IsOk());
  const int64_t after = server_ms();
  absl::StatusOr<Versioned> got = driver_->Get("k");
  ASSERT_THAT(got, IsOk());
  EXPECT_GE(absl::ToUnixMillis(got->expire_time), before + 90000);
  EXPECT_LE(absl::ToUnixMillis(got->expire_time), after + 90000);
}

// Redis frees an expired value by itself; its index entries stay, unseen by
// every read, until ReclaimExpired removes them, moving no revision.
TEST_F(RedisLayoutTest, ReclaimRemovesTheIndexEntriesOfExpiredKeys) {
  ASSERT_THAT(driver_->Set("kept", "v"), IsOk());
  ASSERT_THAT(driver_->Write({Mutation::Set("gone", "v", absl::nullopt,
                                            absl::Milliseconds(20))}),
              IsOk());
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (Redis({"EXISTS", RedisKey(kStore, "gone")}).value_or("") != "0") {
    ASSERT_LT(absl::Now(), deadline) << "the key never expired";
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_THAT(Redis({"ZSCORE", IndexKey(kStore), "gone"}), IsOkAndHolds("0"));
  EXPECT_THAT(Redis({"ZCARD", ExpiryKey(kStore)}), IsOkAndHolds("1"));
  EXPECT_THAT(ListAll(*driver_), ElementsAre("kept"));
  absl::StatusOr<uint64_t> revision = driver_->CurrentRevision();
  ASSERT_THAT(revision, IsOk());

  EXPECT_THAT(driver_->ReclaimExpired(10), IsOkAndHolds(1u));
  EXPECT_THAT(Redis({"ZRANGE", IndexKey(kStore), "0", "-1"}),
              IsOkAndHolds("kept"));
  EXPECT_THAT(Redis({"EXISTS", ExpiryKey(kStore)}), IsOkAndHolds("0"));
  EXPECT_THAT(driver_->ReclaimExpired(10), IsOkAndHolds(0u));
  EXPECT_THAT(driver_->CurrentRevision(), IsOkAndHolds(*revision));
}

// Entries a client other than kvd made stale: a key made permanent, or given
// another expiry, loses its #expiry entry and stays listed, uncounted; a key
// deleted around kvd loses both entries and counts.
TEST_F(RedisLayoutTest, ReclaimDropsStaleExpiryEntries) {
  for (const char* key : {"persisted", "moved", "deleted"}) {
    ASSERT_THAT(driver_->Write(
                    {Mutation::Set(key, "v", absl::nullopt, absl::Hours(1))}),
                IsOk());
    // Due now, as far as the index knows.
    ASSERT_THAT(Redis({"ZADD", ExpiryKey(kStore), "1", key}), IsOk());
  }
  ASSERT_THAT(Redis({"PERSIST", RedisKey(kStore, "persisted")}), IsOk());
  ASSERT_THAT(Redis({"PEXPIRE", RedisKey(kStore, "moved"), "7200000"}), IsOk());
  ASSERT_THAT(Redis({"DEL", RedisKey(kStore, "deleted")}), IsOk());

  EXPECT_THAT(driver_->ReclaimExpired(10), IsOkAndHolds(1u));
  EXPECT_THAT(Redis({"EXISTS", ExpiryKey(kStore)}), IsOkAndHolds("0"));
  EXPECT_THAT(Redis({"ZRANGE", IndexKey(kStore), "0", "-1"}),
              IsOkAndHolds("moved\npersisted"));
  EXPECT_THAT(ListAll(*driver_), ElementsAre("moved", "persisted"));
}

// The list script checks each key exists, so a key deleted around kvd (a
// DEL, an eviction) is not listed even though its index entry remains.
TEST_F(RedisLayoutTest, KeyDeletedAroundKvdIsNotListed) {
  for (const char* key : {"a", "b", "c"}) {
    ASSERT_THAT(driver_->Set(key, "v"), IsOk());
  }
  ASSERT_THAT(Redis({"DEL", RedisKey(kStore, "b")}), IsOk());
  EXPECT_THAT(Redis({"ZCARD", IndexKey(kStore)}), IsOkAndHolds("3"));
  EXPECT_THAT(ListAll(*driver_), ElementsAre("a", "c"));
  // A delete through kvd of the key already gone clears the entry.
  EXPECT_THAT(driver_->Delete("b"), IsOkAndHolds(0u));
  EXPECT_THAT(Redis({"ZRANGE", IndexKey(kStore), "0", "-1"}),
              IsOkAndHolds("a\nc"));
}

// More unreclaimed entries than one list script call examines between two
// live keys: the page goes on in further calls and is still exact.
TEST_F(RedisLayoutTest, PagesCrossALongRunOfExpiredEntries) {
  std::vector<std::string> names;
  for (int i = 0; i < 2500; ++i) names.push_back(absl::StrCat("m", 10000 + i));
  std::vector<Mutation> batch = {Mutation::Set("a", "v"),
                                 Mutation::Set("z", "v")};
  for (const std::string& name : names) {
    batch.push_back(
        Mutation::Set(name, "v", absl::nullopt, absl::Milliseconds(50)));
  }
  ASSERT_THAT(driver_->Write(batch), IsOk());
  // One write, one TIME: they all expire at the same millisecond.
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (Redis({"EXISTS", RedisKey(kStore, names.back())}).value_or("") !=
         "0") {
    ASSERT_LT(absl::Now(), deadline) << "the keys never expired";
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_THAT(Redis({"ZCARD", IndexKey(kStore)}), IsOkAndHolds("2502"));

  absl::StatusOr<KeyPage> first = driver_->ListKeyPage({"", "", 1});
  ASSERT_THAT(first, IsOk());
  EXPECT_THAT(first->keys, ElementsAre("a"));
  EXPECT_TRUE(first->more);
  absl::StatusOr<KeyPage> second = driver_->ListKeyPage({"", "a", 1});
  ASSERT_THAT(second, IsOk());
  EXPECT_THAT(second->keys, ElementsAre("z"));
  EXPECT_FALSE(second->more);
  absl::StatusOr<KeyPage> within = driver_->ListKeyPage({"m", "", 100});
  ASSERT_THAT(within, IsOk());
  EXPECT_THAT(within->keys, IsEmpty());
  EXPECT_FALSE(within->more);
}

}  // namespace
}  // namespace kv
