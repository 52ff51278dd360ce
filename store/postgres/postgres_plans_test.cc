// How PostgreSQL runs the driver's listing and reclaim statements: EXPLAIN
// of the very SQL the driver prepares (postgres_statements), as the generic
// plan a prepared statement settles on and as a custom plan, on stores of
// 20,000 keys. A page must be an index range scan of the primary key that
// reads the page and no more; a reclaim must find expired rows through the
// expiry index.

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/driver.h"
#include "store/postgres/postgres_statements.h"
#include "store/postgres/postgres_test_env.h"
#include "store/registry.h"
#include "store/testing/postgres_server.h"
#include "store/testing/status_matchers.h"

namespace kv {
namespace {

using ::kv::postgres_test::FreshStoreName;
using ::kv::postgres_test::PostgresSpec;
using ::kv::postgres_test::Server;
using ::kv::postgres_test::ServerTest;
using ::kv::postgres_test::SqlBytea;
using ::kv::postgres_test::SqlText;
using ::kv::testing::IsOk;
using ::kv::testing::IsOkAndHolds;
using ::kv::testing::PostgresServer;
using ::testing::HasSubstr;
using ::testing::Not;

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

class PostgresPlansTest : public ServerTest {
 protected:
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
};

// The listing statement is a range scan of the primary key that reads the
// page and no more, on a store of 20,000 keys among another store's
// 20,000, as the generic plan of the prepared statement and as a custom
// one.
TEST_F(PostgresPlansTest, ListKeyPageIsAnIndexRangeScanOfThePage) {
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
            SqlText(store->name),
            ", convert_to('user/' || lpad(i::text, 5, '0'), 'UTF8'), 'v', "
            "nextval((SELECT 'kvd_rev_' || id FROM kvd_sequences WHERE "
            "table_name = ",
            SqlText(table), " AND store = ", SqlText(store->name),
            ")) FROM generate_series(0, 19999) AS i")),
        IsOk());
  }
  ASSERT_THAT(server_->Query(absl::StrCat("ANALYZE ", table)), IsOk());

  constexpr int kLimit = 100;
  for (bool generic : {true, false}) {
    SCOPED_TRACE(generic ? "generic plan" : "custom plan");
    // Keys after user/12345 that start with user/1: a page from the middle.
    absl::StatusOr<std::string> plan =
        Plan(postgres::kListPage, table,
             {SqlText(spec.name), SqlBytea("user/12345"), SqlBytea("user/1"),
              SqlBytea("user/2"), absl::StrCat(kLimit + 1)},
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
                {SqlText(spec.name), SqlBytea("user/19950"), SqlBytea(""),
                 absl::StrCat(kLimit + 1)},
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
TEST_F(PostgresPlansTest, ReclaimUsesTheExpiryIndex) {
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
          SqlText(spec.name),
          ", convert_to('k' || lpad(i::text, 5, '0'), 'UTF8'), 'v', i + 1, "
          "CASE WHEN i % 2 = 0 THEN NULL WHEN i < 100 THEN i "
          "ELSE (extract(epoch FROM now()) * 1000)::bigint + 3600000 END "
          "FROM generate_series(0, 19999) AS i")),
      IsOk());
  ASSERT_THAT(server_->Query(absl::StrCat("ANALYZE ", table)), IsOk());
  absl::StatusOr<std::string> index = server_->Query(absl::StrCat(
      "SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid = ",
      SqlText(table), "::regclass AND NOT indisprimary"));
  ASSERT_THAT(index, IsOk());
  ASSERT_FALSE(index->empty());
  for (bool generic : {true, false}) {
    SCOPED_TRACE(generic ? "generic plan" : "custom plan");
    absl::StatusOr<std::string> plan =
        Plan(postgres::kReclaimExpired, table, {SqlText(spec.name), "10"},
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

}  // namespace
}  // namespace kv
