// The conformance tests of revisions, conditional writes, increments and
// atomic batches: what Driver::Write, GetMany and CurrentRevision promise.

#include <cstdint>
#include <limits>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/optional.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/driver.h"
#include "store/testing/driver_conformance.h"
#include "store/testing/status_matchers.h"
#include "store/write_errors.h"

namespace kv::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::Optional;

constexpr int64_t kMaxInt = std::numeric_limits<int64_t>::max();
constexpr int64_t kMinInt = std::numeric_limits<int64_t>::min();

// The revision of a one-mutation write. Fails the test on error.
uint64_t Written(absl::StatusOr<MutationResults> results) {
  EXPECT_THAT(results, IsOk());
  if (!results.ok()) return 0;
  EXPECT_EQ(results->size(), 1u);
  return results->front().revision;
}

// Checks `status` is a failed condition on mutation `index` reporting
// `current` as the key's revision.
void ExpectConditionFailed(const absl::Status& status, size_t index,
                           uint64_t current) {
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kAborted));
  EXPECT_THAT(ConditionFailedRevision(status), Optional(current)) << status;
  EXPECT_THAT(FailedMutationIndex(status), Optional(index)) << status;
}

// --- Revisions ---

TEST_P(DriverConformanceTest, NewStoreIsAtRevisionZero) {
  EXPECT_EQ(StoreRevision(), 0u);
}

TEST_P(DriverConformanceTest, EveryWriteGetsAHigherRevision) {
  uint64_t a1 = Written(driver().Write({Mutation::Set("a", "1")}));
  EXPECT_GT(a1, 0u);
  EXPECT_GE(StoreRevision(), a1);
  uint64_t a2 = Written(driver().Write({Mutation::Set("a", "2")}));
  EXPECT_GT(a2, a1);
  uint64_t b = Written(driver().Write({Mutation::Set("b", "1")}));
  EXPECT_GT(b, a2);
  uint64_t counter = Written(driver().Write({Mutation::Increment("c", 1)}));
  EXPECT_GT(counter, b);
  uint64_t deleted = Written(driver().Write({Mutation::Delete("a")}));
  EXPECT_GT(deleted, counter);
  EXPECT_GE(StoreRevision(), deleted);
  // A key carries the revision of the write that last changed it.
  EXPECT_EQ(RevisionOf("b"), b);
  EXPECT_EQ(RevisionOf("c"), counter);
  EXPECT_EQ(RevisionOf("a"), 0u);
  // Set and Delete return the same revisions.
  absl::StatusOr<uint64_t> set = driver().Set("b", "2");
  ASSERT_THAT(set, IsOk());
  EXPECT_GT(*set, deleted);
  EXPECT_EQ(RevisionOf("b"), *set);
}

TEST_P(DriverConformanceTest, DeleteOfAbsentKeyWritesNothing) {
  ASSERT_THAT(driver().Set("present", "v"), IsOk());
  const uint64_t before = StoreRevision();
  EXPECT_THAT(driver().Delete("absent"), IsOkAndHolds(0u));
  EXPECT_EQ(StoreRevision(), before);
}

TEST_P(DriverConformanceTest, RevisionsAreNotReusedAfterDelete) {
  uint64_t first = Written(driver().Write({Mutation::Set("k", "v")}));
  uint64_t deleted = Written(driver().Write({Mutation::Delete("k")}));
  uint64_t again = Written(driver().Write({Mutation::Set("k", "v")}));
  EXPECT_GT(deleted, first);
  EXPECT_GT(again, deleted);
  EXPECT_EQ(RevisionOf("k"), again);
}

TEST_P(DriverConformanceTest, GetReturnsTheRevision) {
  uint64_t written = Written(driver().Write({Mutation::Set("k", "value")}));
  absl::StatusOr<Versioned> got = driver().Get("k");
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->value, "value");
  EXPECT_EQ(got->revision, written);
}

// --- Conditional writes ---

TEST_P(DriverConformanceTest, SetWithMatchingRevisionApplies) {
  uint64_t first = Written(driver().Write({Mutation::Set("k", "1")}));
  uint64_t second = Written(driver().Write({Mutation::Set("k", "2", first)}));
  EXPECT_GT(second, first);
  EXPECT_THAT(GetValue("k"), IsOkAndHolds("2"));
}

TEST_P(DriverConformanceTest, SetWithStaleRevisionFailsAndChangesNothing) {
  uint64_t first = Written(driver().Write({Mutation::Set("k", "1")}));
  uint64_t second = Written(driver().Write({Mutation::Set("k", "2")}));
  absl::StatusOr<MutationResults> stale =
      driver().Write({Mutation::Set("k", "3", first)});
  ExpectConditionFailed(stale.status(), 0, second);
  EXPECT_THAT(GetValue("k"), IsOkAndHolds("2"));
  EXPECT_EQ(RevisionOf("k"), second);
}

TEST_P(DriverConformanceTest, ConditionOnAbsentKeyReportsRevisionZero) {
  absl::StatusOr<MutationResults> result =
      driver().Write({Mutation::Set("k", "v", 7)});
  ExpectConditionFailed(result.status(), 0, 0);
  EXPECT_THAT(driver().Exists("k"), IsOkAndHolds(false));
}

TEST_P(DriverConformanceTest, CreateOnlyAppliesToAbsentKeyOnly) {
  uint64_t created = Written(driver().Write({Mutation::Set("k", "1", 0)}));
  EXPECT_GT(created, 0u);
  absl::StatusOr<MutationResults> again =
      driver().Write({Mutation::Set("k", "2", 0)});
  ExpectConditionFailed(again.status(), 0, created);
  EXPECT_THAT(GetValue("k"), IsOkAndHolds("1"));
  // After a delete the key is absent again.
  ASSERT_THAT(driver().Delete("k"), IsOk());
  EXPECT_GT(Written(driver().Write({Mutation::Set("k", "3", 0)})), created);
}

// A value that changed and changed back still has a new revision: a check
// against the old revision fails (no ABA).
TEST_P(DriverConformanceTest, ValueChangedAndBackStillFailsTheCondition) {
  uint64_t first = Written(driver().Write({Mutation::Set("k", "x")}));
  ASSERT_THAT(driver().Set("k", "y"), IsOk());
  uint64_t back = Written(driver().Write({Mutation::Set("k", "x")}));
  absl::StatusOr<MutationResults> result =
      driver().Write({Mutation::Set("k", "z", first)});
  ExpectConditionFailed(result.status(), 0, back);
  EXPECT_THAT(GetValue("k"), IsOkAndHolds("x"));
}

TEST_P(DriverConformanceTest, DeleteWithStaleRevisionFails) {
  uint64_t first = Written(driver().Write({Mutation::Set("k", "1")}));
  uint64_t second = Written(driver().Write({Mutation::Set("k", "2")}));
  absl::StatusOr<MutationResults> stale =
      driver().Write({Mutation::Delete("k", first)});
  ExpectConditionFailed(stale.status(), 0, second);
  EXPECT_THAT(GetValue("k"), IsOkAndHolds("2"));
  uint64_t deleted = Written(driver().Write({Mutation::Delete("k", second)}));
  EXPECT_GT(deleted, second);
  EXPECT_THAT(driver().Exists("k"), IsOkAndHolds(false));
}

TEST_P(DriverConformanceTest, DeleteIfAbsent) {
  // if_revision 0 on an absent key holds, and deletes nothing.
  EXPECT_EQ(Written(driver().Write({Mutation::Delete("k", 0)})), 0u);
  uint64_t set = Written(driver().Write({Mutation::Set("k", "v")}));
  absl::StatusOr<MutationResults> present =
      driver().Write({Mutation::Delete("k", 0)});
  ExpectConditionFailed(present.status(), 0, set);
  EXPECT_THAT(driver().Exists("k"), IsOkAndHolds(true));
}

// --- Increment ---

TEST_P(DriverConformanceTest, IncrementOfMissingKeyStartsAtZero) {
  absl::StatusOr<MutationResults> results =
      driver().Write({Mutation::Increment("n", 5)});
  ASSERT_THAT(results, IsOk());
  EXPECT_EQ(results->front().value, 5);
  EXPECT_GT(results->front().revision, 0u);
  EXPECT_THAT(GetValue("n"), IsOkAndHolds("5"));
  EXPECT_EQ(RevisionOf("n"), results->front().revision);
}

TEST_P(DriverConformanceTest, IncrementStoresCanonicalDecimalText) {
  ASSERT_THAT(driver().Write({Mutation::Increment("n", -12)}), IsOk());
  EXPECT_THAT(GetValue("n"), IsOkAndHolds("-12"));
  absl::StatusOr<MutationResults> up =
      driver().Write({Mutation::Increment("n", 12)});
  ASSERT_THAT(up, IsOk());
  EXPECT_EQ(up->front().value, 0);
  EXPECT_THAT(GetValue("n"), IsOkAndHolds("0"));
  ASSERT_THAT(driver().Write({Mutation::Increment("zero", 0)}), IsOk());
  EXPECT_THAT(GetValue("zero"), IsOkAndHolds("0"));
}

TEST_P(DriverConformanceTest, IncrementAddsToAValueWrittenBySet) {
  ASSERT_THAT(driver().Set("n", "41"), IsOk());
  uint64_t before = RevisionOf("n");
  absl::StatusOr<MutationResults> results =
      driver().Write({Mutation::Increment("n", 1)});
  ASSERT_THAT(results, IsOk());
  EXPECT_EQ(results->front().value, 42);
  EXPECT_GT(results->front().revision, before);
  EXPECT_THAT(GetValue("n"), IsOkAndHolds("42"));
}

TEST_P(DriverConformanceTest, IncrementOfNonIntegerFailsAndLeavesTheValue) {
  for (const std::string& value :
       {std::string("abc"), std::string(""), std::string("01"),
        std::string("+1"), std::string(" 1"), std::string("1 "),
        std::string("1.5"), std::string("-0"), std::string("1e3"),
        std::string("9223372036854775808"), std::string("4\0002", 3)}) {
    SCOPED_TRACE(absl::StrCat("value \"", value, "\""));
    ASSERT_THAT(driver().Set("n", value), IsOk());
    const uint64_t revision = RevisionOf("n");
    absl::StatusOr<MutationResults> results =
        driver().Write({Mutation::Increment("n", 1)});
    EXPECT_TRUE(IsNotAnInteger(results.status())) << results.status();
    EXPECT_THAT(FailedMutationIndex(results.status()), Optional(0u));
    EXPECT_THAT(GetValue("n"), IsOkAndHolds(value));
    EXPECT_EQ(RevisionOf("n"), revision);
  }
}

TEST_P(DriverConformanceTest, IncrementOverflowFailsBothWays) {
  ASSERT_THAT(driver().Set("max", "9223372036854775807"), IsOk());
  ASSERT_THAT(driver().Set("min", "-9223372036854775808"), IsOk());
  const uint64_t max_revision = RevisionOf("max");
  absl::StatusOr<MutationResults> up =
      driver().Write({Mutation::Increment("max", 1)});
  EXPECT_TRUE(IsIncrementOverflow(up.status())) << up.status();
  absl::StatusOr<MutationResults> down =
      driver().Write({Mutation::Increment("min", -1)});
  EXPECT_TRUE(IsIncrementOverflow(down.status())) << down.status();
  EXPECT_THAT(GetValue("max"), IsOkAndHolds("9223372036854775807"));
  EXPECT_THAT(GetValue("min"), IsOkAndHolds("-9223372036854775808"));
  EXPECT_EQ(RevisionOf("max"), max_revision);
  // The extremes themselves are reachable.
  absl::StatusOr<MutationResults> to_min =
      driver().Write({Mutation::Increment("fresh", kMinInt)});
  ASSERT_THAT(to_min, IsOk());
  EXPECT_EQ(to_min->front().value, kMinInt);
  absl::StatusOr<MutationResults> across =
      driver().Write({Mutation::Increment("fresh", kMaxInt)});
  ASSERT_THAT(across, IsOk());
  EXPECT_EQ(across->front().value, -1);
}

// --- Batches ---

TEST_P(DriverConformanceTest, BatchAppliesEveryMutationInOrder) {
  ASSERT_THAT(driver().Set("gone", "v"), IsOk());
  ASSERT_THAT(driver().Set("n", "10"), IsOk());
  absl::StatusOr<MutationResults> results =
      driver().Write({Mutation::Set("a", "1"), Mutation::Set("b", "2", 0),
                      Mutation::Delete("gone"), Mutation::Delete("never"),
                      Mutation::Increment("n", 5)});
  ASSERT_THAT(results, IsOk());
  ASSERT_EQ(results->size(), 5u);
  const MutationResults& r = *results;
  EXPECT_GT(r[0].revision, 0u);
  EXPECT_GT(r[1].revision, r[0].revision);
  EXPECT_GT(r[2].revision, r[1].revision);
  EXPECT_EQ(r[3].revision, 0u);  // Nothing to delete.
  EXPECT_GT(r[4].revision, r[2].revision);
  EXPECT_EQ(r[4].value, 15);
  EXPECT_EQ(RevisionOf("a"), r[0].revision);
  EXPECT_EQ(RevisionOf("b"), r[1].revision);
  EXPECT_EQ(RevisionOf("n"), r[4].revision);
  EXPECT_THAT(ListAllKeys(), ElementsAre("a", "b", "n"));
  EXPECT_GE(StoreRevision(), r[4].revision);
}

TEST_P(DriverConformanceTest, BatchWithFailedConditionAppliesNothing) {
  uint64_t b = Written(driver().Write({Mutation::Set("b", "old")}));
  ASSERT_THAT(driver().Set("c", "old"), IsOk());
  absl::StatusOr<MutationResults> results = driver().Write(
      {Mutation::Set("a", "new"), Mutation::Set("c", "new"),
       Mutation::Set("b", "new", b + 1000), Mutation::Delete("c")});
  ExpectConditionFailed(results.status(), 2, b);
  EXPECT_THAT(driver().Exists("a"), IsOkAndHolds(false));
  EXPECT_THAT(GetValue("b"), IsOkAndHolds("old"));
  EXPECT_THAT(GetValue("c"), IsOkAndHolds("old"));
  EXPECT_EQ(RevisionOf("b"), b);
}

TEST_P(DriverConformanceTest, BatchReportsTheFirstFailingMutation) {
  ASSERT_THAT(driver().Set("x", "1"), IsOk());
  uint64_t y = Written(driver().Write({Mutation::Set("y", "1")}));
  absl::StatusOr<MutationResults> results =
      driver().Write({Mutation::Set("w", "1"), Mutation::Set("y", "2", 0),
                      Mutation::Set("x", "2", 0)});
  ExpectConditionFailed(results.status(), 1, y);
}

TEST_P(DriverConformanceTest, BatchWithNonIntegerIncrementAppliesNothing) {
  ASSERT_THAT(driver().Set("text", "hello"), IsOk());
  absl::StatusOr<MutationResults> results = driver().Write(
      {Mutation::Set("a", "1"), Mutation::Increment("counter", 1),
       Mutation::Increment("text", 1)});
  EXPECT_TRUE(IsNotAnInteger(results.status())) << results.status();
  EXPECT_THAT(FailedMutationIndex(results.status()), Optional(2u));
  EXPECT_THAT(driver().Exists("a"), IsOkAndHolds(false));
  EXPECT_THAT(driver().Exists("counter"), IsOkAndHolds(false));
}

TEST_P(DriverConformanceTest, DeleteBatchRemovesEveryKey) {
  ASSERT_THAT(driver().Set("a", "1"), IsOk());
  ASSERT_THAT(driver().Set("b", "2"), IsOk());
  ASSERT_THAT(driver().Set("keep", "3"), IsOk());
  absl::StatusOr<MutationResults> results =
      driver().Write({Mutation::Delete("a"), Mutation::Delete("missing"),
                      Mutation::Delete("b")});
  ASSERT_THAT(results, IsOk());
  EXPECT_GT((*results)[0].revision, 0u);
  EXPECT_EQ((*results)[1].revision, 0u);
  EXPECT_GT((*results)[2].revision, (*results)[0].revision);
  EXPECT_THAT(ListAllKeys(), ElementsAre("keep"));
}

TEST_P(DriverConformanceTest, ThousandMutationBatch) {
  std::vector<std::string> keys;
  for (int i = 0; i < 1000; ++i)
    keys.push_back(absl::StrCat("batch/", 1000 + i));
  std::vector<Mutation> sets;
  for (const std::string& key : keys) sets.push_back(Mutation::Set(key, key));
  absl::StatusOr<MutationResults> results = driver().Write(sets);
  ASSERT_THAT(results, IsOk());
  ASSERT_EQ(results->size(), keys.size());
  std::set<uint64_t> distinct;
  for (size_t i = 0; i < results->size(); ++i) {
    if (i > 0) {
      EXPECT_GT((*results)[i].revision, (*results)[i - 1].revision);
    }
    distinct.insert((*results)[i].revision);
  }
  EXPECT_EQ(distinct.size(), keys.size());
  std::vector<absl::string_view> views(keys.begin(), keys.end());
  absl::StatusOr<std::vector<absl::optional<Versioned>>> read =
      driver().GetMany(views);
  ASSERT_THAT(read, IsOk());
  ASSERT_EQ(read->size(), keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    ASSERT_TRUE((*read)[i].has_value()) << keys[i];
    EXPECT_EQ((*read)[i]->value, keys[i]);
    EXPECT_EQ((*read)[i]->revision, (*results)[i].revision);
  }
}

// --- GetMany ---

TEST_P(DriverConformanceTest, GetManyReturnsRequestOrderAndMissingKeys) {
  uint64_t a = Written(driver().Write({Mutation::Set("a", "1")}));
  uint64_t b =
      Written(driver().Write({Mutation::Set("b", std::string("\0z", 2))}));
  absl::StatusOr<std::vector<absl::optional<Versioned>>> read =
      driver().GetMany({"b", "missing", "a"});
  ASSERT_THAT(read, IsOk());
  ASSERT_EQ(read->size(), 3u);
  ASSERT_TRUE((*read)[0].has_value());
  EXPECT_EQ((*read)[0]->value, std::string("\0z", 2));
  EXPECT_EQ((*read)[0]->revision, b);
  EXPECT_FALSE((*read)[1].has_value());
  ASSERT_TRUE((*read)[2].has_value());
  EXPECT_EQ((*read)[2]->value, "1");
  EXPECT_EQ((*read)[2]->revision, a);
  absl::StatusOr<std::vector<absl::optional<Versioned>>> none =
      driver().GetMany({});
  ASSERT_THAT(none, IsOk());
  EXPECT_TRUE(none->empty());
}

// A writer keeps setting two keys to the same value in one batch; a reader
// must never see them differ (one snapshot, no batch seen in part).
TEST_P(DriverConformanceTest, GetManyNeverSeesABatchInPart) {
  ASSERT_THAT(
      driver().Write({Mutation::Set("x", "0"), Mutation::Set("y", "0")}),
      IsOk());
  constexpr int kRounds = 300;
  std::thread writer([this] {
    for (int i = 1; i <= kRounds; ++i) {
      std::string value = absl::StrCat(i);
      ASSERT_THAT(driver().Write(
                      {Mutation::Set("x", value), Mutation::Set("y", value)}),
                  IsOk());
    }
  });
  int reads = 0;
  std::string last;
  while (last != absl::StrCat(kRounds) && reads < 100000) {
    absl::StatusOr<std::vector<absl::optional<Versioned>>> read =
        driver().GetMany({"x", "y"});
    ASSERT_THAT(read, IsOk());
    ASSERT_TRUE((*read)[0].has_value() && (*read)[1].has_value());
    ASSERT_EQ((*read)[0]->value, (*read)[1]->value) << "after " << reads;
    last = (*read)[0]->value;
    ++reads;
  }
  writer.join();
}

// --- Contention ---

TEST_P(DriverConformanceTest, ConcurrentIncrementsAreNeverLost) {
  constexpr int kThreads = 8;
  constexpr int kIncrements = 200;
  absl::Mutex mutex;
  std::set<int64_t> values;
  std::set<uint64_t> revisions;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kIncrements; ++i) {
        absl::StatusOr<MutationResults> results =
            driver().Write({Mutation::Increment("counter", 1)});
        ASSERT_THAT(results, IsOk());
        absl::MutexLock lock(&mutex);
        values.insert(results->front().value);
        revisions.insert(results->front().revision);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  const int64_t total = kThreads * kIncrements;
  EXPECT_THAT(GetValue("counter"), IsOkAndHolds(absl::StrCat(total)));
  // Every increment saw a different value: 1 to total, each once.
  ASSERT_EQ(values.size(), static_cast<size_t>(total));
  EXPECT_EQ(*values.begin(), 1);
  EXPECT_EQ(*values.rbegin(), total);
  EXPECT_EQ(revisions.size(), static_cast<size_t>(total));
}

// Read, add one, write back with if_revision, retry on conflict: eight
// threads doing this on one key lose no update.
TEST_P(DriverConformanceTest, CompareAndSwapLosesNoUpdate) {
  constexpr int kThreads = 8;
  constexpr int kUpdates = 50;
  ASSERT_THAT(driver().Set("cas", "0"), IsOk());
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this] {
      for (int i = 0; i < kUpdates; ++i) {
        for (int attempt = 0;; ++attempt) {
          ASSERT_LT(attempt, 10000) << "no progress";
          absl::StatusOr<Versioned> got = driver().Get("cas");
          ASSERT_THAT(got, IsOk());
          std::string next = absl::StrCat(std::stoll(got->value) + 1);
          absl::StatusOr<MutationResults> written =
              driver().Write({Mutation::Set("cas", next, got->revision)});
          if (written.ok()) break;
          ASSERT_TRUE(ConditionFailedRevision(written.status()).has_value())
              << written.status();
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_THAT(GetValue("cas"), IsOkAndHolds(absl::StrCat(kThreads * kUpdates)));
}

// --- Persistence: restarts and drivers sharing one backend ---

TEST_P(PersistentDriverConformanceTest, RevisionsNeverRepeatAcrossRestart) {
  uint64_t a = Written(driver().Write({Mutation::Set("a", "1")}));
  ASSERT_THAT(driver().Set("b", "1"), IsOk());
  uint64_t deleted = Written(driver().Write({Mutation::Delete("b")}));
  ASSERT_NO_FATAL_FAILURE(Restart());
  EXPECT_GE(StoreRevision(), deleted);
  EXPECT_EQ(RevisionOf("a"), a);
  uint64_t after = Written(driver().Write({Mutation::Set("c", "1")}));
  EXPECT_GT(after, deleted);
  // A condition written before the restart still holds after it.
  EXPECT_GT(Written(driver().Write({Mutation::Set("a", "2", a)})), after);
}

TEST_P(PersistentDriverConformanceTest, TwoDriversShareRevisionsAndCounters) {
  absl::StatusOr<std::unique_ptr<Driver>> other = OpenAnother();
  ASSERT_THAT(other, IsOk());
  constexpr int kThreadsPerDriver = 4;
  constexpr int kIncrements = 100;
  absl::Mutex mutex;
  std::set<uint64_t> revisions;
  std::vector<std::thread> threads;
  for (int t = 0; t < 2 * kThreadsPerDriver; ++t) {
    Driver* target = t % 2 == 0 ? &driver() : other->get();
    threads.emplace_back([&, target] {
      for (int i = 0; i < kIncrements; ++i) {
        absl::StatusOr<MutationResults> results =
            target->Write({Mutation::Increment("shared", 1)});
        ASSERT_THAT(results, IsOk());
        absl::MutexLock lock(&mutex);
        EXPECT_TRUE(revisions.insert(results->front().revision).second)
            << "revision " << results->front().revision << " given twice";
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  const int total = 2 * kThreadsPerDriver * kIncrements;
  EXPECT_THAT(GetValue("shared"), IsOkAndHolds(absl::StrCat(total)));
  // A condition checked through one driver sees the other's writes.
  absl::StatusOr<Versioned> seen = (*other)->Get("shared");
  ASSERT_THAT(seen, IsOk());
  EXPECT_EQ(seen->revision, RevisionOf("shared"));
  uint64_t next =
      Written(driver().Write({Mutation::Set("shared", "x", seen->revision)}));
  absl::StatusOr<MutationResults> stale =
      (*other)->Write({Mutation::Set("shared", "y", seen->revision)});
  ExpectConditionFailed(stale.status(), 0, next);
}

}  // namespace
}  // namespace kv::testing
