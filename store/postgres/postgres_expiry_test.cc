// Expiry checked against what PostgreSQL holds and does: the expires_at
// column, the server's clock (never kvd's) judging it, writes that wait for
// another writer's row lock across a key's expiry, and ReclaimExpired racing
// writers. The behaviour every driver shares is in the conformance suite
// (postgres_driver_test); the plans are in postgres_plans_test.

#include <postgresql/libpq-fe.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/driver.h"
#include "store/postgres/postgres_statements.h"
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
using ::kv::postgres_test::SqlBytea;
using ::kv::postgres_test::SqlText;
using ::kv::postgres_test::ValueOf;
using ::kv::testing::IsOk;
using ::kv::testing::IsOkAndHolds;
using ::kv::testing::PostgresServer;
using ::kv::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::Optional;

class PostgresExpiryTest : public ServerTest {
 protected:
  // The server's clock, as the driver reads it: Unix milliseconds.
  int64_t ServerNow() {
    absl::StatusOr<std::string> now =
        server_->Query(absl::StrCat("SELECT ", postgres::kNowMillisSql));
    EXPECT_THAT(now, IsOk());
    int64_t millis = 0;
    EXPECT_TRUE(now.ok() && absl::SimpleAtoi(*now, &millis));
    return millis;
  }

  // The expires_at column of `key` in `store` of `table`: "" for NULL.
  absl::StatusOr<std::string> StoredExpiry(absl::string_view table,
                                           absl::string_view store,
                                           absl::string_view key) {
    return server_->Query(absl::StrCat(
        "SELECT coalesce(expires_at::text, '') FROM ", table,
        " WHERE store = ", SqlText(store), " AND key = ", SqlBytea(key)));
  }
};

// The expiry kvd stores is the server's clock at the write + the ttl, in
// Unix milliseconds, on both write paths; a plain Set stores NULL.
TEST_F(PostgresExpiryTest, ExpiryIsTheServersClockPlusTheTtl) {
  const StoreSpec spec = Spec("server_now", "kvd_kv");
  std::unique_ptr<Driver> driver = OpenOrDie(spec);
  ASSERT_NE(driver, nullptr);
  auto stored_millis = [&](absl::string_view key) -> int64_t {
    absl::StatusOr<std::string> stored = StoredExpiry("kvd_kv", spec.name, key);
    EXPECT_THAT(stored, IsOk());
    int64_t millis = -1;
    EXPECT_TRUE(stored.ok() && absl::SimpleAtoi(*stored, &millis))
        << key << ": " << stored.value_or("(error)");
    return millis;
  };
  constexpr int64_t kHour = 3600 * 1000;
  int64_t before = ServerNow();
  // A batch: one transaction.
  ASSERT_THAT(
      driver->Write({Mutation::Set("a", "1", absl::nullopt, absl::Hours(1)),
                     Mutation::Set("b", "2", absl::nullopt, absl::Hours(1)),
                     Mutation::Set("c", "3")}),
      IsOk());
  int64_t after = ServerNow();
  for (absl::string_view key : {"a", "b"}) {
    SCOPED_TRACE(key);
    const int64_t expires_at = stored_millis(key);
    EXPECT_GE(expires_at, before + kHour);
    EXPECT_LE(expires_at, after + kHour);
  }
  EXPECT_THAT(StoredExpiry("kvd_kv", spec.name, "c"), IsOkAndHolds(""));
  absl::StatusOr<Versioned> got = driver->Get("a");
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->expire_time, absl::FromUnixMillis(stored_millis("a")));

  // One key: one statement.
  before = ServerNow();
  ASSERT_THAT(driver->Write({Mutation::Set("c", "4", absl::nullopt,
                                           absl::Milliseconds(1500))}),
              IsOk());
  after = ServerNow();
  const int64_t expires_at = stored_millis("c");
  EXPECT_GE(expires_at, before + 1500);
  EXPECT_LE(expires_at, after + 1500);
  ASSERT_THAT(driver->Set("c", "5"), IsOk());
  EXPECT_THAT(StoredExpiry("kvd_kv", spec.name, "c"), IsOkAndHolds(""));
}

// A write that waits for another writer's row lock judges the key by the
// server's clock when it gets the row, not when it started: a key that
// expired while it waited is absent to it. (Judged at the write's start, an
// increment would add to a counter that has already expired, a stale
// condition would pass, and a delete would take a revision.)
TEST_F(PostgresExpiryTest, AWriteThatWaitedJudgesTheKeyWhenItGetsIt) {
  const StoreSpec spec = Spec("lock_wait", "kvd_kv");
  std::unique_ptr<Driver> driver = OpenOrDie(spec);
  ASSERT_NE(driver, nullptr);
  // Expire 3 s from now: time enough for the writes below to queue.
  for (absl::string_view key : {"n", "k", "d"}) {
    ASSERT_THAT(driver->Write({Mutation::Set(key, "41", absl::nullopt,
                                             absl::Seconds(3))}),
                IsOk());
  }
  const uint64_t k_revision = driver->Get("k")->revision;
  const int64_t expires_at = ServerNow() + 3000;
  const uint64_t revision_before = driver->CurrentRevision().value_or(0);

  // Another kvd's transaction holds the three rows: it has written n and d
  // (as an increment would: the expiry kept) and only locked k (as a
  // conditional write that will fail does).
  std::unique_ptr<PGconn, void (*)(PGconn*)> holder(
      PQconnectdb(server_->url().c_str()), &PQfinish);
  ASSERT_EQ(PQstatus(holder.get()), CONNECTION_OK)
      << PQerrorMessage(holder.get());
  auto exec = [&](const std::string& sql) {
    std::unique_ptr<PGresult, void (*)(PGresult*)> result(
        PQexec(holder.get(), sql.c_str()), &PQclear);
    const ExecStatusType status = PQresultStatus(result.get());
    return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
  };
  ASSERT_TRUE(exec("BEGIN"));
  ASSERT_TRUE(exec(absl::StrCat(
      "UPDATE kvd_kv SET value = value WHERE store = ", SqlText(spec.name),
      " AND key IN ('n', 'd')")));
  ASSERT_TRUE(exec(
      absl::StrCat("SELECT 1 FROM kvd_kv WHERE store = ", SqlText(spec.name),
                   " AND key = 'k' FOR UPDATE")));

  // An increment (one statement), a stale conditional set (a transaction)
  // and a delete (one statement) queue for the rows.
  absl::StatusOr<MutationResults> incremented = absl::UnknownError("");
  absl::Status conditional = absl::UnknownError("");
  absl::StatusOr<uint64_t> deleted = absl::UnknownError("");
  std::vector<std::thread> writers;
  writers.emplace_back(
      [&] { incremented = driver->Write({Mutation::Increment("n", 1)}); });
  writers.emplace_back([&] {
    conditional = driver->Write({Mutation::Set("k", "x", k_revision)}).status();
  });
  writers.emplace_back([&] { deleted = driver->Delete("d"); });
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  std::string waiting;
  while (absl::Now() < deadline) {
    absl::StatusOr<std::string> count = server_->Query(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = "
        "'kvd' AND wait_event_type = 'Lock'");
    ASSERT_THAT(count, IsOk());
    waiting = *count;
    if (waiting == "3") break;
    absl::SleepFor(absl::Milliseconds(5));
  }
  // All three started before the keys expired (else this test shows
  // nothing); then let the server's clock pass the expiry, and release.
  const bool queued_in_time = waiting == "3" && ServerNow() < expires_at;
  while (absl::Now() < deadline && ServerNow() <= expires_at) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_TRUE(exec("COMMIT"));
  for (std::thread& writer : writers) writer.join();
  ASSERT_TRUE(queued_in_time) << waiting << " writes were waiting in time";

  ASSERT_THAT(incremented, IsOk());
  EXPECT_EQ(incremented->front().value, 1);
  absl::StatusOr<Versioned> n = driver->Get("n");
  ASSERT_THAT(n, IsOk());
  EXPECT_EQ(n->value, "1");
  EXPECT_EQ(n->expire_time, absl::InfiniteFuture());
  EXPECT_THAT(ConditionFailedRevision(conditional), Optional(uint64_t{0}));
  EXPECT_THAT(deleted, IsOkAndHolds(uint64_t{0}));
  // Only the increment wrote.
  EXPECT_THAT(driver->CurrentRevision(),
              IsOkAndHolds(incremented->front().revision));
  EXPECT_GT(incremented->front().revision, revision_before);
}

// Only the stored expiry and the server's clock decide: a row whose
// expires_at is set to the server's past by hand is absent to every read,
// condition and increment at once, and present again when moved back to
// the future. No kvd clock is involved.
TEST_F(PostgresExpiryTest, TheServersClockDecides) {
  const StoreSpec spec = Spec("server_clock", "kvd_kv");
  std::unique_ptr<Driver> driver = OpenOrDie(spec);
  ASSERT_NE(driver, nullptr);
  ASSERT_THAT(driver->Set("k", "v"), IsOk());
  ASSERT_THAT(driver->Set("n", "7"), IsOk());
  const uint64_t revision = driver->Get("k")->revision;
  auto move_expiry = [&](absl::string_view key, absl::string_view to) {
    ASSERT_THAT(
        server_->Query(absl::StrCat("UPDATE kvd_kv SET expires_at = ", to,
                                    " WHERE store = ", SqlText(spec.name),
                                    " AND key = ", SqlBytea(key))),
        IsOk());
  };
  const std::string past = absl::StrCat(postgres::kNowMillisSql, " - 1");
  const std::string future =
      absl::StrCat(postgres::kNowMillisSql, " + 3600000");

  move_expiry("k", past);
  EXPECT_THAT(driver->Get("k"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(driver->Exists("k"), IsOkAndHolds(false));
  absl::StatusOr<std::vector<absl::optional<Versioned>>> many =
      driver->GetMany({"k", "n"});
  ASSERT_THAT(many, IsOk());
  EXPECT_FALSE((*many)[0].has_value());
  EXPECT_TRUE((*many)[1].has_value());
  KeyPageRequest request;
  request.limit = 10;
  absl::StatusOr<KeyPage> page = driver->ListKeyPage(request);
  ASSERT_THAT(page, IsOk());
  EXPECT_THAT(page->keys, ElementsAre("n"));
  absl::Status stale =
      driver->Write({Mutation::Set("k", "x", revision)}).status();
  EXPECT_THAT(ConditionFailedRevision(stale), Optional(uint64_t{0}));

  move_expiry("k", future);
  EXPECT_THAT(ValueOf(*driver, "k"), IsOkAndHolds("v"));
  EXPECT_EQ(driver->Get("k")->revision, revision);

  // The one-statement increment skips an expired counter; the transaction
  // then starts it from 0, with no expiry.
  move_expiry("n", past);
  absl::StatusOr<MutationResults> added =
      driver->Write({Mutation::Increment("n", 1)});
  ASSERT_THAT(added, IsOk());
  EXPECT_EQ(added->front().value, 1);
  EXPECT_THAT(StoredExpiry("kvd_kv", spec.name, "n"), IsOkAndHolds(""));
  // And keeps the expiry of a live one.
  move_expiry("n", future);
  absl::StatusOr<std::string> kept = StoredExpiry("kvd_kv", spec.name, "n");
  ASSERT_THAT(kept, IsOk());
  ASSERT_THAT(driver->Write({Mutation::Increment("n", 1)}), IsOk());
  EXPECT_THAT(StoredExpiry("kvd_kv", spec.name, "n"), IsOkAndHolds(*kept));
  EXPECT_THAT(ValueOf(*driver, "n"), IsOkAndHolds("2"));
}

// Another kvd's write holds an expired row, making it live again, when
// ReclaimExpired runs: the reclaim passes over the row instead of waiting
// for the write and then deleting what it wrote.
TEST_F(PostgresExpiryTest, ReclaimPassesOverARowAWriterHolds) {
  const StoreSpec spec = Spec("reclaim_held", "kvd_kv");
  std::unique_ptr<Driver> driver = OpenOrDie(spec);
  ASSERT_NE(driver, nullptr);
  ASSERT_THAT(driver->Write({Mutation::Set("k", "short", absl::nullopt,
                                           absl::Milliseconds(1))}),
              IsOk());
  ASSERT_THAT(driver->Write({Mutation::Set("other", "short", absl::nullopt,
                                           absl::Milliseconds(1))}),
              IsOk());
  const absl::Time expiry_deadline = absl::Now() + absl::Seconds(30);
  while (absl::Now() < expiry_deadline && driver->Exists("k").value_or(true)) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  ASSERT_THAT(driver->Exists("k"), IsOkAndHolds(false));

  // The writer: what the driver's one-statement Set runs, in a transaction
  // left open.
  std::unique_ptr<PGconn, void (*)(PGconn*)> writer(
      PQconnectdb(server_->url().c_str()), &PQfinish);
  ASSERT_EQ(PQstatus(writer.get()), CONNECTION_OK)
      << PQerrorMessage(writer.get());
  auto exec = [&](const std::string& sql) {
    std::unique_ptr<PGresult, void (*)(PGresult*)> result(
        PQexec(writer.get(), sql.c_str()), &PQclear);
    return PQresultStatus(result.get()) == PGRES_COMMAND_OK;
  };
  ASSERT_TRUE(exec("BEGIN"));
  ASSERT_TRUE(exec(absl::StrCat(
      "UPDATE kvd_kv SET value = 'live', expires_at = NULL WHERE store = ",
      SqlText(spec.name), " AND key = 'k'")));

  std::atomic<bool> done{false};
  absl::StatusOr<size_t> reclaimed = absl::UnknownError("not run");
  std::thread reclaimer([&] {
    reclaimed = driver->ReclaimExpired(10);
    done = true;
  });
  // Until the reclaim returns, or is seen waiting for the writer's lock
  // (which it must not do: then it would delete the row once the writer
  // commits).
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (!done.load() && absl::Now() < deadline) {
    absl::StatusOr<std::string> waiting = server_->Query(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = "
        "'kvd' AND wait_event_type = 'Lock'");
    ASSERT_THAT(waiting, IsOk());
    if (*waiting != "0") break;
    absl::SleepFor(absl::Milliseconds(5));
  }
  ASSERT_TRUE(exec("COMMIT"));
  reclaimer.join();
  // Only the row no writer held.
  EXPECT_THAT(reclaimed, IsOkAndHolds(size_t{1}));
  EXPECT_THAT(ValueOf(*driver, "k"), IsOkAndHolds("live"));
}

// Writers making keys live again while ReclaimExpired runs, through both
// write paths: no write is lost and no call fails.
TEST_F(PostgresExpiryTest, ReclaimNeverDeletesAKeyAWriterMadeLive) {
  const StoreSpec spec = Spec("reclaim_race", "kvd_kv");
  std::unique_ptr<Driver> driver = OpenOrDie(spec);
  ASSERT_NE(driver, nullptr);
  std::atomic<bool> stop{false};
  std::atomic<int> reclaimed{0};
  std::thread reclaimer([&] {
    while (!stop.load()) {
      absl::StatusOr<size_t> count = driver->ReclaimExpired(5);
      EXPECT_THAT(count, IsOk());
      if (count.ok()) reclaimed += static_cast<int>(*count);
    }
  });
  constexpr int kWriters = 4;
  constexpr int kRounds = 150;
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int round = 0; round < kRounds; ++round) {
        const std::string key = absl::StrCat("w", w, "/", round % 5);
        // Expires at once (1 ms), then becomes permanent: by a plain Set
        // (one statement) or a conditional one (a transaction).
        ASSERT_THAT(driver
                        ->Write({Mutation::Set(key, "short", absl::nullopt,
                                               absl::Milliseconds(1))})
                        .status(),
                    IsOk());
        absl::SleepFor(absl::Milliseconds(2));
        const std::string value = absl::StrCat("kept ", round);
        if (round % 2 == 0) {
          ASSERT_THAT(driver->Set(key, value), IsOk());
        } else {
          ASSERT_THAT(
              driver->Write({Mutation::Set(key, value, uint64_t{0})}).status(),
              IsOk());
        }
        EXPECT_THAT(ValueOf(*driver, key), IsOkAndHolds(value)) << key;
      }
    });
  }
  for (std::thread& writer : writers) writer.join();
  stop = true;
  reclaimer.join();
  for (int w = 0; w < kWriters; ++w) {
    for (int i = 0; i < 5; ++i) {
      EXPECT_THAT(driver->Exists(absl::StrCat("w", w, "/", i)),
                  IsOkAndHolds(true));
    }
  }
  // Not a timing assertion: the reclaimer did find expired rows.
  EXPECT_GT(reclaimed.load(), 0);
}

}  // namespace
}  // namespace kv
