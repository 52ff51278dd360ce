// The Redis driver's Lua scripts: loaded again when Redis has forgotten
// them (NOSCRIPT after SCRIPT FLUSH or a Redis restart), and an increment
// that agrees exactly with store/counter_value.h, the definition every
// driver shares, on values and deltas around every edge.

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/counter_value.h"
#include "store/driver.h"
#include "store/redis/redis_test_util.h"
#include "store/testing/redis_server.h"
#include "store/testing/status_matchers.h"
#include "store/write_errors.h"

namespace kv {
namespace {

using ::kv::redis_test::OpenStore;
using ::kv::redis_test::RedisKey;
using ::kv::redis_test::ValueOf;
using ::kv::testing::IsOk;
using ::kv::testing::IsOkAndHolds;
using ::kv::testing::RedisServer;
using ::kv::testing::RedisServerOptions;

// How many scripts Redis holds in its script cache (INFO memory).
int CachedScripts(const RedisServer& server) {
  absl::StatusOr<std::string> info = server.Command({"INFO", "memory"});
  EXPECT_THAT(info, IsOk());
  if (!info.ok()) return -1;
  for (absl::string_view line : absl::StrSplit(*info, '\n')) {
    line = absl::StripTrailingAsciiWhitespace(line);
    if (absl::ConsumePrefix(&line, "number_of_cached_scripts:")) {
      int count = -1;
      EXPECT_TRUE(absl::SimpleAtoi(line, &count)) << line;
      return count;
    }
  }
  ADD_FAILURE() << "INFO memory has no number_of_cached_scripts";
  return -1;
}

TEST(RedisScriptsTest, LoadedAgainAfterScriptFlush) {
  absl::StatusOr<std::unique_ptr<RedisServer>> server = RedisServer::Launch();
  ASSERT_THAT(server, IsOk());
  // An old-layout key, for the open's layout upgrade to index, and for the
  // read script to upgrade after the flush.
  ASSERT_THAT((*server)->Command({"SET", RedisKey("flushed", "old"), "o"}),
              IsOk());
  std::unique_ptr<Driver> driver = OpenStore(**server, "flushed");
  ASSERT_NE(driver, nullptr);
  // Loaded on first use only: so far the index script, which the open's
  // layout upgrade ran.
  EXPECT_EQ(CachedScripts(**server), 1);
  ASSERT_THAT(driver->Set("a", "1"), IsOk());
  ASSERT_THAT(driver->GetMany({"a"}), IsOk());
  EXPECT_EQ(CachedScripts(**server), 3);

  ASSERT_THAT((*server)->Command({"SCRIPT", "FLUSH"}), IsOk());
  ASSERT_EQ(CachedScripts(**server), 0);
  // Each script's first EVALSHA now answers NOSCRIPT; the driver loads it
  // again and retries, and the caller sees only success.
  absl::StatusOr<MutationResults> written =
      driver->Write({Mutation::Set("b", "2"), Mutation::Increment("n", 7)});
  ASSERT_THAT(written, IsOk());
  EXPECT_EQ((*written)[1].value, 7);
  absl::StatusOr<std::vector<absl::optional<Versioned>>> read =
      driver->GetMany({"a", "b", "n"});
  ASSERT_THAT(read, IsOk());
  ASSERT_TRUE((*read)[1].has_value());
  EXPECT_EQ((*read)[1]->value, "2");
  EXPECT_EQ((*read)[1]->revision, (*written)[0].revision);
  absl::StatusOr<Versioned> old = driver->Get("old");
  ASSERT_THAT(old, IsOk());
  EXPECT_EQ(old->value, "o");
  EXPECT_GT(old->revision, (*written)[1].revision);
  EXPECT_EQ(CachedScripts(**server), 2);  // Get is the read script too.
  absl::StatusOr<KeyPage> page = driver->ListKeyPage({"", "", 10});
  ASSERT_THAT(page, IsOk());
  EXPECT_THAT(page->keys, ::testing::ElementsAre("a", "b", "n", "old"));
  EXPECT_THAT(driver->ReclaimExpired(10), IsOkAndHolds(0u));
  EXPECT_EQ(CachedScripts(**server), 4);
}

// Redis keeps no scripts across a restart, but keeps the data (with its
// append-only file): revisions carry on from where they were, never
// repeating, through the same driver and through a new one.
TEST(RedisScriptsTest, RevisionsCarryOnAcrossARedisRestart) {
  RedisServerOptions options;
  options.persistent = true;
  absl::StatusOr<std::unique_ptr<RedisServer>> server =
      RedisServer::Launch(options);
  ASSERT_THAT(server, IsOk());
  std::unique_ptr<Driver> driver = OpenStore(**server, "restarted");
  ASSERT_NE(driver, nullptr);
  absl::StatusOr<uint64_t> a = driver->Set("a", "1");
  ASSERT_THAT(a, IsOk());
  absl::StatusOr<MutationResults> n =
      driver->Write({Mutation::Increment("n", 5)});
  ASSERT_THAT(n, IsOk());
  ASSERT_THAT(driver->Delete("a"), IsOk());
  absl::StatusOr<uint64_t> before = driver->CurrentRevision();
  ASSERT_THAT(before, IsOk());

  ASSERT_THAT((*server)->Stop(), IsOk());
  ASSERT_THAT((*server)->Start(), IsOk());
  ASSERT_EQ(CachedScripts(**server), 0);

  EXPECT_THAT(driver->CurrentRevision(), IsOkAndHolds(*before));
  absl::StatusOr<Versioned> counter = driver->Get("n");
  ASSERT_THAT(counter, IsOk());
  EXPECT_EQ(counter->value, "5");
  EXPECT_EQ(counter->revision, n->front().revision);
  absl::StatusOr<MutationResults> again =
      driver->Write({Mutation::Increment("n", 1)});
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->front().value, 6);
  EXPECT_GT(again->front().revision, *before);

  ASSERT_THAT((*server)->Stop(), IsOk());
  ASSERT_THAT((*server)->Start(), IsOk());
  std::unique_ptr<Driver> reopened = OpenStore(**server, "restarted");
  ASSERT_NE(reopened, nullptr);
  absl::StatusOr<uint64_t> b = reopened->Set("a", "2");
  ASSERT_THAT(b, IsOk());
  EXPECT_GT(*b, again->front().revision);
  EXPECT_THAT(ValueOf(*reopened, "n"), IsOkAndHolds("6"));
}

// Increment on Redis (HINCRBY, with the overflow check of the write script)
// against IncrementedCounter, on values at and around every edge: canonical
// and not, int64's ends, and past 2^53 where a double would round.
TEST(RedisScriptsTest, IncrementAgreesWithCounterValue) {
  absl::StatusOr<std::unique_ptr<RedisServer>> server = RedisServer::Launch();
  ASSERT_THAT(server, IsOk());
  std::unique_ptr<Driver> driver = OpenStore(**server, "counters");
  ASSERT_NE(driver, nullptr);
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  const std::vector<std::string> values = {
      "0",
      "1",
      "-1",
      "42",
      "9223372036854775807",
      "9223372036854775806",
      "-9223372036854775808",
      "-9223372036854775807",
      "4611686018427387904",
      "9007199254740993",
      "-9007199254740993",
      "1000000000000000000",
      "01",
      "00",
      "-0",
      "-01",
      "+1",
      "1.0",
      "1e3",
      " 1",
      "1 ",
      "1\n",
      "",
      "-",
      "--1",
      "0x1",
      "abc",
      "\xd9\xa1",  // ARABIC-INDIC DIGIT ONE
      "9223372036854775808",
      "-9223372036854775809",
      "99999999999999999999",
      "10000000000000000000",
      std::string("1\0", 2),
  };
  const std::vector<int64_t> deltas = {0,
                                       1,
                                       -1,
                                       2,
                                       -2,
                                       kMax,
                                       kMin,
                                       kMax - 1,
                                       kMin + 1,
                                       9007199254740993,
                                       -9007199254740993,
                                       4611686018427387904};
  for (const std::string& value : values) {
    for (int64_t delta : deltas) {
      SCOPED_TRACE(
          absl::StrCat("value \"", absl::CHexEscape(value), "\" + ", delta));
      ASSERT_THAT(driver->Set("n", value), IsOk());
      absl::StatusOr<int64_t> expected =
          IncrementedCounter(&value, delta, 0, "n");
      absl::StatusOr<MutationResults> got =
          driver->Write({Mutation::Increment("n", delta)});
      if (expected.ok()) {
        ASSERT_THAT(got, IsOk());
        EXPECT_EQ(got->front().value, *expected);
        EXPECT_THAT(ValueOf(*driver, "n"),
                    IsOkAndHolds(FormatCounter(*expected)));
      } else {
        EXPECT_EQ(got.status().code(), expected.status().code())
            << got.status();
        EXPECT_EQ(IsNotAnInteger(got.status()),
                  IsNotAnInteger(expected.status()));
        EXPECT_EQ(IsIncrementOverflow(got.status()),
                  IsIncrementOverflow(expected.status()));
        EXPECT_THAT(ValueOf(*driver, "n"), IsOkAndHolds(value));
      }
    }
  }
  // A missing key counts as 0, at both ends.
  for (int64_t delta : {kMin, kMax, int64_t{0}}) {
    ASSERT_THAT(driver->Delete("n"), IsOk());
    absl::StatusOr<MutationResults> got =
        driver->Write({Mutation::Increment("n", delta)});
    ASSERT_THAT(got, IsOk());
    EXPECT_EQ(got->front().value, delta);
  }
}

}  // namespace
}  // namespace kv
