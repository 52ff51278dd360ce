// Revisions and conditional writes under races between kvd processes,
// checked against what PostgreSQL holds (rows, sequences, settings); the
// upgrade of tables written by earlier kvds is in postgres_upgrade_test.
// The behaviour every driver shares is in the conformance suite
// (postgres_driver_test).

#include <algorithm>
#include <limits>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/barrier.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/optional.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/driver.h"
#include "store/postgres/postgres_driver.h"
#include "store/postgres/postgres_test_env.h"
#include "store/registry.h"
#include "store/testing/postgres_server.h"
#include "store/testing/status_matchers.h"
#include "store/write_errors.h"

namespace kv {
namespace {

using ::kv::postgres_test::FreshStoreName;
using ::kv::postgres_test::PostgresSpec;
using ::kv::postgres_test::Server;
using ::kv::postgres_test::ServerTest;
using ::kv::postgres_test::SqlText;
using ::kv::postgres_test::ValueOf;
using ::kv::testing::IsOk;
using ::kv::testing::IsOkAndHolds;
using ::kv::testing::PostgresServer;
using ::kv::testing::StatusIs;
using ::testing::Optional;

class PostgresRevisionsTest : public ServerTest {
 protected:
  // The revision sequence kvd_sequences names for `store` in `table`.
  std::string SequenceOf(absl::string_view store,
                         absl::string_view table = "kvd_kv") {
    absl::StatusOr<std::string> name = server_->Query(absl::StrCat(
        "SELECT 'kvd_rev_' || id FROM kvd_sequences WHERE table_name = ",
        SqlText(table), " AND store = ", SqlText(store)));
    EXPECT_THAT(name, IsOk());
    return name.ok() ? *name : "";
  }
};

uint64_t Revision(absl::StatusOr<MutationResults> results) {
  EXPECT_THAT(results, IsOk());
  return results.ok() ? results->front().revision : 0;
}

TEST_F(PostgresRevisionsTest, DeletingAnAbsentKeyTakesNoRevision) {
  const StoreSpec spec = Spec("fresh");
  std::unique_ptr<Driver> driver = OpenOrDie(spec);
  ASSERT_NE(driver, nullptr);
  const std::string sequence = SequenceOf(spec.name);
  ASSERT_THAT(sequence, ::testing::StartsWith("kvd_rev_"));
  EXPECT_THAT(driver->CurrentRevision(), IsOkAndHolds(0u));
  EXPECT_THAT(driver->Delete("absent"), IsOkAndHolds(0u));
  EXPECT_EQ(Revision(driver->Write({Mutation::Delete("absent", 0)})), 0u);
  // nextval was never called: the sequence is as created.
  EXPECT_THAT(server_->Query(absl::StrCat("SELECT is_called FROM ", sequence)),
              IsOkAndHolds("f"));
  EXPECT_THAT(driver->CurrentRevision(), IsOkAndHolds(0u));

  absl::StatusOr<uint64_t> set = driver->Set("k", "v");
  ASSERT_THAT(set, IsOk());
  EXPECT_THAT(driver->CurrentRevision(), IsOkAndHolds(*set));
  EXPECT_THAT(driver->Delete("absent"), IsOkAndHolds(0u));
  EXPECT_THAT(driver->CurrentRevision(), IsOkAndHolds(*set));
  EXPECT_THAT(server_->Query(absl::StrCat("SELECT last_value FROM ", sequence)),
              IsOkAndHolds(absl::StrCat(*set)));
  EXPECT_THAT(
      server_->Query(absl::StrCat("SELECT revision FROM kvd_kv WHERE store = ",
                                  SqlText(spec.name), " AND key = 'k'")),
      IsOkAndHolds(absl::StrCat(*set)));
}

// An Increment of an existing key is one SQL statement that reads the
// value as text in SQL; what it must refuse beyond the conformance suite's
// cases: line breaks (which a regular expression's anchors might let pass),
// backslashes (which bytea's escape format doubles), high bytes (which it
// turns into octal escapes) and numbers SQL reads but kvd does not.
TEST_F(PostgresRevisionsTest, IncrementInSqlRefusesWhatIsNotCanonical) {
  std::unique_ptr<Driver> driver = OpenOrDie(Spec("sql_increment"));
  ASSERT_NE(driver, nullptr);
  for (const std::string& value :
       {std::string("1\n"), std::string("\n1"), std::string("12\n"),
        std::string("1\r"), std::string("0\n"), std::string("\\061"),
        std::string("\xd9\xa1"), std::string("1\x80"), std::string("1e2"),
        std::string("0x10"), std::string(" 0"), std::string("NaN"),
        std::string("-"), std::string("1.0"),
        std::string("-9223372036854775809"),
        std::string("10000000000000000000")}) {
    SCOPED_TRACE(absl::CHexEscape(value));
    ASSERT_THAT(driver->Set("n", value), IsOk());
    absl::StatusOr<MutationResults> added =
        driver->Write({Mutation::Increment("n", 1)});
    EXPECT_TRUE(IsNotAnInteger(added.status())) << added.status();
    EXPECT_THAT(ValueOf(*driver, "n"), IsOkAndHolds(value));
  }
  // And what it accepts, at both ends of int64.
  ASSERT_THAT(driver->Set("n", "-9223372036854775807"), IsOk());
  absl::StatusOr<MutationResults> down =
      driver->Write({Mutation::Increment("n", -1)});
  ASSERT_THAT(down, IsOk());
  EXPECT_EQ(down->front().value, std::numeric_limits<int64_t>::min());
  EXPECT_THAT(ValueOf(*driver, "n"), IsOkAndHolds("-9223372036854775808"));
  absl::StatusOr<MutationResults> up = driver->Write(
      {Mutation::Increment("n", std::numeric_limits<int64_t>::max())});
  ASSERT_THAT(up, IsOk());
  EXPECT_EQ(up->front().value, -1);
  EXPECT_THAT(ValueOf(*driver, "n"), IsOkAndHolds("-1"));
  EXPECT_EQ(up->front().revision, driver->Get("n")->revision);
}

// Store names are arbitrary text; each gets a sequence of its own, named by
// number, and writes to one store never move another's revision.
TEST_F(PostgresRevisionsTest, EachStoreHasItsOwnSequenceWhateverItsName) {
  const std::vector<std::string> names = {
      FreshStoreName("o'rders"),
      FreshStoreName("a\"b; DROP TABLE kvd_kv; --"),
      FreshStoreName("\xe6\x97\xa5\xe6\x9c\xac"),
      FreshStoreName(std::string(300, 'x')),
      FreshStoreName("kvd_rev_1"),
      FreshStoreName("Upper Case"),
  };
  std::vector<std::unique_ptr<Driver>> drivers;
  std::set<std::string> sequences;
  for (const std::string& name : names) {
    StoreSpec spec = PostgresSpec(server_->url(), name);
    drivers.push_back(OpenOrDie(spec));
    ASSERT_NE(drivers.back(), nullptr) << name;
    // Opening the store again finds the same sequence.
    ASSERT_NE(OpenOrDie(spec), nullptr) << name;
    sequences.insert(SequenceOf(name));
    EXPECT_THAT(server_->Query(absl::StrCat(
                    "SELECT count(*) FROM kvd_sequences WHERE store = ",
                    SqlText(name))),
                IsOkAndHolds("1"));
  }
  EXPECT_EQ(sequences.size(), names.size());
  for (size_t i = 0; i < drivers.size(); ++i) {
    ASSERT_THAT(drivers[i]->Set("k", names[i]), IsOk());
  }
  std::vector<uint64_t> before;
  for (auto& driver : drivers) {
    absl::StatusOr<uint64_t> revision = driver->CurrentRevision();
    ASSERT_THAT(revision, IsOk());
    before.push_back(*revision);
  }
  for (int i = 0; i < 20; ++i) {
    ASSERT_THAT(drivers[0]->Write({Mutation::Increment("n", 1)}), IsOk());
  }
  EXPECT_THAT(drivers[0]->CurrentRevision(), IsOkAndHolds(before[0] + 20));
  for (size_t i = 1; i < drivers.size(); ++i) {
    EXPECT_THAT(drivers[i]->CurrentRevision(), IsOkAndHolds(before[i]));
    EXPECT_THAT(ValueOf(*drivers[i], "k"), IsOkAndHolds(names[i]));
  }
}

// Several kvd processes (drivers with pools of their own) create one key at
// once with if_revision 0: exactly one wins, and every other is told the
// winner's revision.
TEST_F(PostgresRevisionsTest, CreateOnlyRaceHasExactlyOneWinner) {
  constexpr int kDrivers = 6;
  constexpr int kRounds = 10;
  const StoreSpec spec = Spec("create_race");
  std::vector<std::unique_ptr<Driver>> drivers;
  for (int i = 0; i < kDrivers; ++i) {
    drivers.push_back(OpenOrDie(spec));
    ASSERT_NE(drivers.back(), nullptr);
  }
  for (int round = 0; round < kRounds; ++round) {
    const std::string key = absl::StrCat("key", round);
    absl::Barrier barrier(kDrivers);
    std::vector<absl::StatusOr<MutationResults>> results(
        kDrivers, absl::UnknownError("not run"));
    std::vector<std::thread> threads;
    for (int i = 0; i < kDrivers; ++i) {
      threads.emplace_back([&, i] {
        const std::string value = absl::StrCat("from ", i);
        barrier.Block();
        results[i] = drivers[i]->Write({Mutation::Set(key, value, 0)});
      });
    }
    for (std::thread& thread : threads) thread.join();
    int winner = -1;
    for (int i = 0; i < kDrivers; ++i) {
      if (results[i].ok()) {
        EXPECT_EQ(winner, -1) << "two winners in round " << round;
        winner = i;
      }
    }
    ASSERT_NE(winner, -1) << "no winner in round " << round;
    const uint64_t won = results[winner]->front().revision;
    for (int i = 0; i < kDrivers; ++i) {
      if (i == winner) continue;
      EXPECT_THAT(results[i].status(), StatusIs(absl::StatusCode::kAborted));
      EXPECT_THAT(ConditionFailedRevision(results[i].status()), Optional(won));
      EXPECT_THAT(FailedMutationIndex(results[i].status()), Optional(0u));
    }
    absl::StatusOr<Versioned> stored = drivers[0]->Get(key);
    ASSERT_THAT(stored, IsOk());
    EXPECT_EQ(stored->value, absl::StrCat("from ", winner));
    EXPECT_EQ(stored->revision, won);
  }
}

// Unconditional sets and increments that race to create one key all apply:
// the losers of the insert overwrite (or add to) what the winner wrote.
TEST_F(PostgresRevisionsTest, RacesToCreateAKeyLoseNoWrite) {
  constexpr int kDrivers = 6;
  constexpr int kRounds = 10;
  const StoreSpec spec = Spec("insert_race");
  std::vector<std::unique_ptr<Driver>> drivers;
  for (int i = 0; i < kDrivers; ++i) {
    drivers.push_back(OpenOrDie(spec));
    ASSERT_NE(drivers.back(), nullptr);
  }
  for (int round = 0; round < kRounds; ++round) {
    const std::string set_key = absl::StrCat("set", round);
    const std::string counter_key = absl::StrCat("counter", round);
    absl::Barrier barrier(kDrivers);
    absl::Mutex mutex;
    uint64_t last_set = 0;
    std::string last_value;
    std::set<uint64_t> revisions;
    std::vector<std::thread> threads;
    for (int i = 0; i < kDrivers; ++i) {
      threads.emplace_back([&, i] {
        const std::string value = absl::StrCat("from ", i);
        barrier.Block();
        absl::StatusOr<MutationResults> set =
            drivers[i]->Write({Mutation::Set(set_key, value)});
        absl::StatusOr<MutationResults> added =
            drivers[i]->Write({Mutation::Increment(counter_key, 1)});
        ASSERT_THAT(set, IsOk());
        ASSERT_THAT(added, IsOk());
        absl::MutexLock lock(&mutex);
        EXPECT_TRUE(revisions.insert(set->front().revision).second);
        EXPECT_TRUE(revisions.insert(added->front().revision).second);
        if (set->front().revision > last_set) {
          last_set = set->front().revision;
          last_value = value;
        }
      });
    }
    for (std::thread& thread : threads) thread.join();
    // The key holds the write with the highest revision: a key's revisions
    // grow in the order its writes commit.
    absl::StatusOr<Versioned> stored = drivers[0]->Get(set_key);
    ASSERT_THAT(stored, IsOk());
    EXPECT_EQ(stored->revision, last_set);
    EXPECT_EQ(stored->value, last_value);
    EXPECT_THAT(ValueOf(*drivers[0], counter_key),
                IsOkAndHolds(absl::StrCat(kDrivers)));
  }
}

// Batches that create the same keys in different orders: each takes its
// new keys in key order, so they wait for one another instead of
// deadlocking (a deadlock left, when a key appears between two steps, is
// retried). None fails and none is applied twice.
TEST_F(PostgresRevisionsTest, BatchesCreatingKeysInOppositeOrdersAllApply) {
  constexpr int kDrivers = 4;
  constexpr int kRounds = 10;
  constexpr int kKeys = 4;
  const StoreSpec spec = Spec("batch_orders");
  std::vector<std::unique_ptr<Driver>> drivers;
  for (int i = 0; i < kDrivers; ++i) {
    drivers.push_back(OpenOrDie(spec));
    ASSERT_NE(drivers.back(), nullptr);
  }
  std::mt19937 random(7);
  for (int round = 0; round < kRounds; ++round) {
    std::vector<std::string> keys;
    for (int k = 0; k < kKeys; ++k) {
      keys.push_back(absl::StrCat("r", round, "/k", k));
    }
    std::vector<std::vector<Mutation>> batches(kDrivers);
    for (int i = 0; i < kDrivers; ++i) {
      for (const std::string& key : keys) {
        batches[i].push_back(Mutation::Increment(key, 1));
      }
      if (i == 1) std::reverse(batches[i].begin(), batches[i].end());
      if (i >= 2) std::shuffle(batches[i].begin(), batches[i].end(), random);
    }
    absl::Barrier barrier(kDrivers);
    std::vector<std::thread> threads;
    for (int i = 0; i < kDrivers; ++i) {
      threads.emplace_back([&, i] {
        barrier.Block();
        EXPECT_THAT(drivers[i]->Write(batches[i]), IsOk());
      });
    }
    for (std::thread& thread : threads) thread.join();
    for (const std::string& key : keys) {
      EXPECT_THAT(ValueOf(*drivers[0], key),
                  IsOkAndHolds(absl::StrCat(kDrivers)))
          << key;
    }
  }
}

// An operator who drops a store's sequence does not make revisions repeat:
// the next open creates it again above the store's highest revision.
TEST_F(PostgresRevisionsTest, DroppedSequenceRestartsAboveTheStoresRevisions) {
  const StoreSpec spec = Spec("dropped");
  uint64_t highest = 0;
  {
    std::unique_ptr<Driver> driver = OpenOrDie(spec);
    ASSERT_NE(driver, nullptr);
    for (int i = 0; i < 5; ++i) {
      absl::StatusOr<uint64_t> set = driver->Set(absl::StrCat("k", i), "v");
      ASSERT_THAT(set, IsOk());
      highest = *set;
    }
  }
  ASSERT_THAT(
      server_->Query(absl::StrCat("DROP SEQUENCE ", SequenceOf(spec.name))),
      IsOk());
  std::unique_ptr<Driver> driver = OpenOrDie(spec);
  ASSERT_NE(driver, nullptr);
  EXPECT_THAT(driver->CurrentRevision(), IsOkAndHolds(highest));
  absl::StatusOr<uint64_t> next = driver->Set("k0", "w");
  ASSERT_THAT(next, IsOk());
  EXPECT_GT(*next, highest);
}

// The test server runs with fsync = off (set on its command line, which
// ALTER SYSTEM cannot override), so a commit survives a crash of kvd but
// not of the machine. synchronous_commit is on there: the driver's answer
// comes from fsync.
TEST_F(PostgresRevisionsTest, DurabilityFollowsTheServerSettings) {
  ASSERT_THAT(server_->Query("SHOW fsync"), IsOkAndHolds("off"));
  ASSERT_THAT(server_->Query("SHOW synchronous_commit"), IsOkAndHolds("on"));
  std::unique_ptr<Driver> driver = OpenOrDie(Spec("durability"));
  ASSERT_NE(driver, nullptr);
  EXPECT_EQ(driver->durability(), Driver::Durability::kProcess);
}

}  // namespace
}  // namespace kv
