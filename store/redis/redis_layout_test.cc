// What the Redis driver leaves in Redis: one hash {v, r} per key, one
// revision counter per store, nothing outside the store's hash tag, and
// nothing at all for a write that fails or changes nothing.

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
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
  EXPECT_THAT(AllRedisKeys(), IsEmpty());
  EXPECT_THAT(driver_->CurrentRevision(), IsOkAndHolds(0u));

  ASSERT_THAT(driver_->Set("k", "v"), IsOk());
  ASSERT_THAT(driver_->Delete("k"), IsOk());
  EXPECT_THAT(driver_->Delete("k"), IsOkAndHolds(0u));
  EXPECT_THAT(Redis({"GET", CounterKey(kStore)}), IsOkAndHolds("2"));
  EXPECT_THAT(AllRedisKeys(), ElementsAre(CounterKey(kStore)));
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
                      Mutation::Delete("a")}),
      IsOk());
  ASSERT_THAT(driver_->GetMany({"a", "b", "n"}), IsOk());
  ASSERT_THAT(driver_->CurrentRevision(), IsOk());
  const std::vector<std::string> keys = AllRedisKeys();
  EXPECT_THAT(keys, ElementsAre(CounterKey(kStore), RedisKey(kStore, "b"),
                                RedisKey(kStore, "n")));
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

// A hash that kvd did not write (no field r) under the store's prefix is
// reported, not misread or overwritten.
TEST_F(RedisLayoutTest, ForeignHashIsInternal) {
  ASSERT_THAT(Redis({"HSET", RedisKey(kStore, "h"), "name", "x"}), IsOk());
  ASSERT_THAT(Redis({"HSET", RedisKey(kStore, "v_only"), "v", "x"}), IsOk());
  const auto not_kvd =
      StatusIs(absl::StatusCode::kInternal,
               AllOf(HasSubstr("store \"shape\""), HasSubstr("key \"h\""),
                     HasSubstr("not written by kvd")));
  // Get is one HMGET of v and r, which cannot tell a hash with neither
  // from no key at all (docs/drivers.md says so); with one of them, it can.
  EXPECT_THAT(driver_->Get("h"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(driver_->Get("v_only"), StatusIs(absl::StatusCode::kInternal,
                                               HasSubstr("key \"v_only\"")));
  EXPECT_THAT(driver_->GetMany({"h"}), not_kvd);
  EXPECT_THAT(driver_->Set("h", "v"), not_kvd);
  EXPECT_THAT(driver_->Write({Mutation::Increment("h", 1)}), not_kvd);
  EXPECT_THAT(Redis({"HGETALL", RedisKey(kStore, "h")}),
              IsOkAndHolds("name\nx"));
  EXPECT_THAT(driver_->Exists("h"), IsOkAndHolds(true));
  EXPECT_THAT(ListAll(*driver_), ElementsAre("h", "v_only"));
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

}  // namespace
}  // namespace kv
