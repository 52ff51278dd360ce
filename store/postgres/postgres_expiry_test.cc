// Expiry and paged listing checked against what PostgreSQL holds and how it
// runs the driver's statements: the expires_at column and its index, the
// server's clock, the upgrade of a table written by the kvd before expiry,
// and the plans of ListKeyPage and ReclaimExpired. The behaviour every
// driver shares is in the conformance suite (postgres_driver_test).

#include <postgresql/libpq-fe.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/barrier.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/driver.h"
#include "store/postgres/postgres_driver.h"
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
using ::kv::postgres_test::ValueOf;
using ::kv::testing::IsOk;
using ::kv::testing::IsOkAndHolds;
using ::kv::testing::PostgresServer;
using ::kv::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Optional;

// `text` as an SQL string literal.
std::string Literal(absl::string_view text) {
  return absl::StrCat("'", absl::StrReplaceAll(text, {{"'", "''"}}), "'");
}

// `bytes` as an SQL bytea literal.
std::string ByteaLiteral(absl::string_view bytes) {
  return absl::StrCat("'\\x", absl::BytesToHexString(bytes), "'::bytea");
}

// Every `"NAME": N` number in a JSON plan, e.g. each node's "Actual Rows".
std::vector<int64_t> JsonNumbers(absl::string_view json,
                                 absl::string_view name) {
  std::vector<int64_t> numbers;
  const std::string needle = absl::StrCat("\"", name, "\": ");
  for (size_t at = json.find(needle); at != absl::string_view::npos;
       at = json.find(needle, at + 1)) {
    absl::string_view rest = json.substr(at + needle.size());
    const size_t end = rest.find_first_not_of("0123456789.");
    int64_t number = 0;
    double real = 0;
    if (absl::SimpleAtoi(rest.substr(0, end), &number)) {
      numbers.push_back(number);
    } else if (absl::SimpleAtod(rest.substr(0, end), &real)) {
      numbers.push_back(static_cast<int64_t>(real));
    }
  }
  return numbers;
}

class PostgresExpiryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<PostgresServer*> server = Server();
    ASSERT_THAT(server, IsOk());
    server_ = *server;
    ASSERT_TRUE(server_->running());
  }

  StoreSpec Spec(absl::string_view prefix, absl::string_view table) {
    StoreSpec spec = PostgresSpec(server_->url(), FreshStoreName(prefix));
    spec.options["table"] = std::string(table);
    return spec;
  }

  std::unique_ptr<Driver> OpenOrDie(const StoreSpec& spec) {
    absl::StatusOr<std::unique_ptr<Driver>> driver = OpenDriver(spec);
    EXPECT_THAT(driver, IsOk());
    return driver.ok() ? *std::move(driver) : nullptr;
  }

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
        " WHERE store = ", Literal(store), " AND key = ", ByteaLiteral(key)));
  }

  // The definitions of the indexes of `table` other than its primary key.
  absl::StatusOr<std::string> SecondaryIndexes(absl::string_view table) {
    return server_->Query(absl::StrCat(
        "SELECT coalesce(string_agg(pg_get_indexdef(indexrelid), '; '), '') "
        "FROM pg_index WHERE indrelid = ",
        Literal(table), "::regclass AND NOT indisprimary"));
  }

  // The JSON plan PostgreSQL runs statement `id` on `table` with, given
  // `args` (SQL literals): as the generic plan a prepared statement
  // settles on after five runs, or as a plan for these values. With
  // `analyze` the statement runs, and the plan has "Actual Rows".
  absl::StatusOr<std::string> Plan(postgres::StatementId id,
                                   absl::string_view table,
                                   const std::vector<std::string>& args,
                                   bool generic, bool analyze) {
    const postgres::StatementDef& statement = postgres::Statement(id);
    std::vector<std::string> types;
    for (int i = 0; i < statement.params; ++i) {
      switch (statement.types[i]) {
        case postgres::kTextOid:
          types.push_back("text");
          break;
        case postgres::kByteaOid:
          types.push_back("bytea");
          break;
        case postgres::kBigintOid:
          types.push_back("bigint");
          break;
        default:
          types.push_back("bytea[]");
          break;
      }
    }
    return server_->Query(absl::StrCat(
        "PREPARE kvd_plan(", absl::StrJoin(types, ", "), ") AS ",
        postgres::StatementSql(id, absl::StrCat("\"", table, "\""), ""),
        "; SET plan_cache_mode = ",
        generic ? "force_generic_plan" : "force_custom_plan",
        "; EXPLAIN (FORMAT JSON", analyze ? ", ANALYZE" : "",
        ") EXECUTE kvd_plan(", absl::StrJoin(args, ", "), ")"));
  }

  PostgresServer* server_ = nullptr;
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
      "UPDATE kvd_kv SET value = value WHERE store = ", Literal(spec.name),
      " AND key IN ('n', 'd')")));
  ASSERT_TRUE(exec(
      absl::StrCat("SELECT 1 FROM kvd_kv WHERE store = ", Literal(spec.name),
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
                                    " WHERE store = ", Literal(spec.name),
                                    " AND key = ", ByteaLiteral(key))),
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

// The listing statement is a range scan of the primary key that reads the
// page and no more, on a store of 20,000 keys among another store's
// 20,000, as the generic plan of the prepared statement and as a custom
// one.
TEST_F(PostgresExpiryTest, ListKeyPageIsAnIndexRangeScanOfThePage) {
  const std::string table = "plan_list_kv";
  const StoreSpec spec = Spec("plan_list", table);
  const StoreSpec other = Spec("plan_other", table);
  std::unique_ptr<Driver> driver = OpenOrDie(spec);
  ASSERT_NE(driver, nullptr);
  ASSERT_NE(OpenOrDie(other), nullptr);
  for (const StoreSpec* store : {&spec, &other}) {
    ASSERT_THAT(
        server_->Query(absl::StrCat(
            "INSERT INTO ", table, " (store, key, value, revision) SELECT ",
            Literal(store->name),
            ", convert_to('user/' || lpad(i::text, 5, '0'), 'UTF8'), 'v', "
            "nextval((SELECT 'kvd_rev_' || id FROM kvd_sequences WHERE "
            "table_name = ",
            Literal(table), " AND store = ", Literal(store->name),
            ")) FROM generate_series(0, 19999) AS i")),
        IsOk());
  }
  ASSERT_THAT(server_->Query(absl::StrCat("ANALYZE ", table)), IsOk());

  constexpr int kLimit = 100;
  for (bool generic : {true, false}) {
    SCOPED_TRACE(generic ? "generic plan" : "custom plan");
    // Keys after user/12345 that start with user/1: a page from the middle.
    absl::StatusOr<std::string> plan = Plan(
        postgres::kListPage, table,
        {Literal(spec.name), ByteaLiteral("user/12345"), ByteaLiteral("user/1"),
         ByteaLiteral("user/2"), absl::StrCat(kLimit + 1)},
        generic, /*analyze=*/true);
    ASSERT_THAT(plan, IsOk());
    EXPECT_THAT(
        *plan, HasSubstr(absl::StrCat("\"Index Name\": \"", table, "_pkey\"")));
    EXPECT_THAT(*plan, HasSubstr("\"Index Cond\": \"((store = "));
    EXPECT_THAT(*plan, Not(HasSubstr("Seq Scan")));
    EXPECT_THAT(*plan, Not(HasSubstr("\"Sort\"")));
    std::vector<int64_t> rows = JsonNumbers(*plan, "Actual Rows");
    ASSERT_FALSE(rows.empty()) << *plan;
    EXPECT_EQ(*std::max_element(rows.begin(), rows.end()), kLimit + 1) << *plan;

    // A prefix with no end: the scan runs from the lower bound, as far as
    // the page.
    plan = Plan(postgres::kListPageToEnd, table,
                {Literal(spec.name), ByteaLiteral("user/19950"),
                 ByteaLiteral(""), absl::StrCat(kLimit + 1)},
                generic, /*analyze=*/true);
    ASSERT_THAT(plan, IsOk());
    EXPECT_THAT(
        *plan, HasSubstr(absl::StrCat("\"Index Name\": \"", table, "_pkey\"")));
    EXPECT_THAT(*plan, Not(HasSubstr("Seq Scan")));
    EXPECT_THAT(*plan, Not(HasSubstr("\"Sort\"")));
    rows = JsonNumbers(*plan, "Actual Rows");
    ASSERT_FALSE(rows.empty()) << *plan;
    EXPECT_EQ(*std::max_element(rows.begin(), rows.end()), 49) << *plan;
  }

  // And the driver's answer for the same page.
  KeyPageRequest request;
  request.prefix = "user/1";
  request.after = "user/12345";
  request.limit = kLimit;
  absl::StatusOr<KeyPage> page = driver->ListKeyPage(request);
  ASSERT_THAT(page, IsOk());
  ASSERT_EQ(page->keys.size(), static_cast<size_t>(kLimit));
  EXPECT_EQ(page->keys.front(), "user/12346");
  EXPECT_EQ(page->keys.back(), "user/12445");
  EXPECT_TRUE(page->more);
}

// ReclaimExpired finds expired rows through the expiry index, however many
// live rows the store has, deletes at most its batch, soonest first.
TEST_F(PostgresExpiryTest, ReclaimUsesTheExpiryIndex) {
  const std::string table = "plan_reclaim_kv";
  const StoreSpec spec = Spec("plan_reclaim", table);
  std::unique_ptr<Driver> driver = OpenOrDie(spec);
  ASSERT_NE(driver, nullptr);
  // 20,000 live keys (half of them with an expiry an hour away) and 50
  // expired ones.
  ASSERT_THAT(
      server_->Query(absl::StrCat(
          "INSERT INTO ", table,
          " (store, key, value, revision, expires_at) SELECT ",
          Literal(spec.name),
          ", convert_to('k' || lpad(i::text, 5, '0'), 'UTF8'), 'v', i + 1, "
          "CASE WHEN i % 2 = 0 THEN NULL WHEN i < 100 THEN i "
          "ELSE (extract(epoch FROM now()) * 1000)::bigint + 3600000 END "
          "FROM generate_series(0, 19999) AS i")),
      IsOk());
  ASSERT_THAT(server_->Query(absl::StrCat("ANALYZE ", table)), IsOk());
  absl::StatusOr<std::string> index = server_->Query(absl::StrCat(
      "SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid = ",
      Literal(table), "::regclass AND NOT indisprimary"));
  ASSERT_THAT(index, IsOk());
  ASSERT_FALSE(index->empty());
  for (bool generic : {true, false}) {
    SCOPED_TRACE(generic ? "generic plan" : "custom plan");
    absl::StatusOr<std::string> plan =
        Plan(postgres::kReclaimExpired, table, {Literal(spec.name), "10"},
             generic, /*analyze=*/false);
    ASSERT_THAT(plan, IsOk());
    EXPECT_THAT(*plan,
                HasSubstr(absl::StrCat("\"Index Name\": \"", *index, "\"")));
    EXPECT_THAT(*plan, Not(HasSubstr("Seq Scan")));
  }
  EXPECT_THAT(driver->ReclaimExpired(10), IsOkAndHolds(size_t{10}));
  // The ten soonest: k00001, k00003, ..., k00019.
  EXPECT_THAT(
      server_->Query(absl::StrCat("SELECT min(convert_from(key, 'UTF8')) FROM ",
                                  table, " WHERE expires_at < 1000")),
      IsOkAndHolds("k00021"));
  EXPECT_THAT(driver->ReclaimExpired(100), IsOkAndHolds(size_t{40}));
  EXPECT_THAT(driver->ReclaimExpired(100), IsOkAndHolds(size_t{0}));
  EXPECT_THAT(server_->Query(absl::StrCat("SELECT count(*) FROM ", table)),
              IsOkAndHolds("19950"));
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
      Literal(spec.name), " AND key = 'k'")));

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

// A table of schema version 2 (kvd before expiry), written by that kvd,
// with rows of two stores, is upgraded when new kvd processes open it at
// once: one adds the column and the index, the others wait and find
// version 3; values and revisions stay; and the stores then list, expire
// and reclaim as any other.
TEST_F(PostgresExpiryTest, UpgradesATableOfSchemaVersion2) {
  const std::string table = "legacy2_kv";
  // Exactly what kvd with schema version 2 created (the shared tables may
  // exist already, from other tests of this binary).
  ASSERT_THAT(server_->Query("CREATE TABLE IF NOT EXISTS kvd_schema "
                             "(table_name text PRIMARY KEY, "
                             "version integer NOT NULL)"),
              IsOk());
  ASSERT_THAT(server_->Query("CREATE TABLE IF NOT EXISTS kvd_sequences "
                             "(id bigserial PRIMARY KEY, "
                             "table_name text NOT NULL, store text NOT NULL, "
                             "UNIQUE (table_name, store))"),
              IsOk());
  ASSERT_THAT(server_->Query(absl::StrCat(
                  "CREATE TABLE ", table,
                  " (store text NOT NULL, key bytea NOT NULL, "
                  "value bytea NOT NULL, revision bigint NOT NULL, "
                  "PRIMARY KEY (store, key))")),
              IsOk());
  ASSERT_THAT(server_->Query(absl::StrCat(
                  "INSERT INTO kvd_schema (table_name, version) VALUES (",
                  Literal(table), ", 2)")),
              IsOk());
  // And what it wrote: each store's sequence, and rows whose revisions came
  // from it (its INSERT ... nextval and UPDATE ... nextval statements).
  auto make_store = [&](absl::string_view store) -> std::string {
    absl::StatusOr<std::string> id = server_->Query(
        absl::StrCat("INSERT INTO kvd_sequences (table_name, store) VALUES (",
                     Literal(table), ", ", Literal(store), ") RETURNING id"));
    EXPECT_THAT(id, IsOk());
    const std::string sequence = absl::StrCat("kvd_rev_", id.value_or(""));
    EXPECT_THAT(
        server_->Query(absl::StrCat("CREATE SEQUENCE IF NOT EXISTS ", sequence,
                                    " MINVALUE 1 CACHE 1 NO CYCLE")),
        IsOk());
    return sequence;
  };
  const std::string seq_a = make_store("v2_a");
  const std::string seq_b = make_store("v2_b");
  struct Row {
    const char* store;
    std::string key;
    std::string value;
  };
  const std::vector<Row> rows = {
      {"v2_a", "x", "one"},
      {"v2_a", std::string("\0\xff", 2), std::string("\0", 1)},
      {"v2_a", "n", "41"},
      {"v2_a", "tmp/1", "t"},
      {"v2_b", "x", "of b"},
  };
  for (const Row& row : rows) {
    ASSERT_THAT(
        server_->Query(absl::StrCat(
            "INSERT INTO ", table, " (store, key, value, revision) VALUES (",
            Literal(row.store), ", ", ByteaLiteral(row.key), ", ",
            ByteaLiteral(row.value), ", nextval('",
            absl::string_view(row.store) == "v2_a" ? seq_a : seq_b, "'))")),
        IsOk());
  }
  ASSERT_THAT(server_->Query(absl::StrCat(
                  "UPDATE ", table, " SET value = 'uno', revision = nextval('",
                  seq_a, "') WHERE store = 'v2_a' AND key = 'x'")),
              IsOk());
  absl::StatusOr<std::string> x_revision = server_->Query(absl::StrCat(
      "SELECT revision FROM ", table, " WHERE store = 'v2_a' AND key = 'x'"));
  ASSERT_THAT(x_revision, IsOk());

  StoreSpec spec_a = PostgresSpec(server_->url(), "v2_a");
  spec_a.options["table"] = table;
  StoreSpec spec_b = PostgresSpec(server_->url(), "v2_b");
  spec_b.options["table"] = table;
  std::vector<absl::StatusOr<std::unique_ptr<Driver>>> opened;
  for (int i = 0; i < 3; ++i) opened.emplace_back(absl::UnknownError(""));
  {
    absl::Barrier barrier(3);
    std::vector<std::thread> threads;
    for (int i = 0; i < 3; ++i) {
      threads.emplace_back([&, i] {
        barrier.Block();
        opened[i] = OpenDriver(i == 2 ? spec_b : spec_a);
      });
    }
    for (std::thread& thread : threads) thread.join();
  }
  for (auto& driver : opened) ASSERT_THAT(driver, IsOk());
  Driver& a = **opened[0];
  Driver& a_too = **opened[1];
  Driver& b = **opened[2];

  EXPECT_THAT(server_->Query(absl::StrCat(
                  "SELECT version FROM kvd_schema WHERE table_name = ",
                  Literal(table))),
              IsOkAndHolds("3"));
  EXPECT_THAT(server_->Query(absl::StrCat(
                  "SELECT format_type(atttypid, NULL) || ' ' || attnotnull "
                  "FROM pg_attribute WHERE attrelid = ",
                  Literal(table), "::regclass AND attname = 'expires_at'")),
              IsOkAndHolds("bigint false"));
  // One index, however many kvd processes raced to upgrade.
  absl::StatusOr<std::string> indexes = SecondaryIndexes(table);
  ASSERT_THAT(indexes, IsOk());
  EXPECT_THAT(*indexes, HasSubstr("(store, expires_at) WHERE (expires_at IS "
                                  "NOT NULL)"));
  EXPECT_THAT(*indexes, Not(HasSubstr(";")));
  EXPECT_THAT(server_->Query(absl::StrCat("SELECT count(*) FROM ", table,
                                          " WHERE expires_at IS NOT NULL")),
              IsOkAndHolds("0"));

  // Values and revisions as the old kvd left them; nothing expires.
  absl::StatusOr<Versioned> x = a.Get("x");
  ASSERT_THAT(x, IsOk());
  EXPECT_EQ(x->value, "uno");
  EXPECT_EQ(absl::StrCat(x->revision), *x_revision);
  EXPECT_EQ(x->expire_time, absl::InfiniteFuture());
  EXPECT_THAT(ValueOf(b, "x"), IsOkAndHolds("of b"));
  const std::string binary_key("\0\xff", 2);
  std::vector<std::string> keys;
  ASSERT_THAT(a.ListKeys([&](absl::string_view key) {
    keys.emplace_back(key);
    return true;
  }),
              IsOk());
  EXPECT_THAT(keys, ElementsAre(binary_key, "n", "tmp/1", "x"));
  absl::StatusOr<uint64_t> current = a.CurrentRevision();
  ASSERT_THAT(current, IsOk());
  EXPECT_EQ(absl::StrCat(*current), *x_revision);
  absl::StatusOr<MutationResults> added =
      a.Write({Mutation::Increment("n", 1)});
  ASSERT_THAT(added, IsOk());
  EXPECT_EQ(added->front().value, 42);
  EXPECT_GT(added->front().revision, *current);
  EXPECT_THAT(
      ConditionFailedRevision(a.Write({Mutation::Set("x", "x", 0)}).status()),
      Optional(x->revision));

  // An old key given a ttl expires for both drivers of the store, and is
  // reclaimed; the other store is untouched.
  ASSERT_THAT(a.Write({Mutation::Set("tmp/1", "t2", absl::nullopt,
                                     absl::Milliseconds(50))}),
              IsOk());
  ASSERT_THAT(
      a.Write({Mutation::Set("x", "dos", absl::nullopt, absl::Hours(1))}),
      IsOk());
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (absl::Now() < deadline && a_too.Exists("tmp/1").value_or(true)) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_THAT(a_too.Exists("tmp/1"), IsOkAndHolds(false));
  EXPECT_THAT(a.Get("tmp/1"), StatusIs(absl::StatusCode::kNotFound));
  keys.clear();
  ASSERT_THAT(a_too.ListKeys([&](absl::string_view key) {
    keys.emplace_back(key);
    return true;
  }),
              IsOk());
  EXPECT_THAT(keys, ElementsAre(binary_key, "n", "x"));
  EXPECT_NE(a_too.Get("x")->expire_time, absl::InfiniteFuture());
  EXPECT_THAT(b.ReclaimExpired(100), IsOkAndHolds(size_t{0}));
  EXPECT_THAT(a_too.ReclaimExpired(100), IsOkAndHolds(size_t{1}));
  EXPECT_THAT(server_->Query(absl::StrCat("SELECT count(*) FROM ", table,
                                          " WHERE store = 'v2_a'")),
              IsOkAndHolds("3"));

  // Opening again upgrades nothing.
  std::unique_ptr<Driver> again = OpenOrDie(spec_a);
  ASSERT_NE(again, nullptr);
  EXPECT_THAT(SecondaryIndexes(table), IsOkAndHolds(*indexes));
  EXPECT_THAT(ValueOf(*again, "x"), IsOkAndHolds("dos"));
}

}  // namespace
}  // namespace kv
