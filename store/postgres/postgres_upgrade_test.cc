// Tables written by earlier kvds, opened by this one: schema version 1
// (before revisions) and 2 (before expiry) are upgraded in place, safely
// when several kvd processes open them at once, and the stores they hold
// then work as any other: values, revisions, conditions, listing, expiry.

#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/barrier.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
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
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Optional;

class PostgresUpgradeTest : public ServerTest {
 protected:
  // The revision sequence kvd_sequences names for `store` in `table`.
  std::string SequenceOf(absl::string_view store, absl::string_view table) {
    absl::StatusOr<std::string> name = server_->Query(absl::StrCat(
        "SELECT 'kvd_rev_' || id FROM kvd_sequences WHERE table_name = ",
        SqlText(table), " AND store = ", SqlText(store)));
    EXPECT_THAT(name, IsOk());
    return name.ok() ? *name : "";
  }

  // The definitions of the indexes of `table` other than its primary key.
  absl::StatusOr<std::string> SecondaryIndexes(absl::string_view table) {
    return server_->Query(absl::StrCat(
        "SELECT coalesce(string_agg(pg_get_indexdef(indexrelid), '; '), '') "
        "FROM pg_index WHERE indrelid = ",
        SqlText(table), "::regclass AND NOT indisprimary"));
  }
};

// A table in the layout of schema version 1 (kvd before revisions), with
// rows of two stores, is upgraded when a new kvd opens it: values stay
// readable, every row gets a revision from its store's sequence, and
// conditional writes work on them.
TEST_F(PostgresUpgradeTest, UpgradesATableOfSchemaVersion1) {
  const std::string table = "legacy_kv";
  ASSERT_THAT(server_->Query("CREATE TABLE IF NOT EXISTS kvd_schema "
                             "(table_name text PRIMARY KEY, "
                             "version integer NOT NULL)"),
              IsOk());
  // Exactly what kvd with schema version 1 created and wrote.
  ASSERT_THAT(server_->Query(absl::StrCat(
                  "CREATE TABLE ", table,
                  " (store text NOT NULL, key bytea NOT NULL, "
                  "value bytea NOT NULL, PRIMARY KEY (store, key))")),
              IsOk());
  ASSERT_THAT(server_->Query(absl::StrCat(
                  "INSERT INTO kvd_schema (table_name, version) VALUES (",
                  SqlText(table), ", 1)")),
              IsOk());
  ASSERT_THAT(server_->Query(
                  absl::StrCat("INSERT INTO ", table,
                               " (store, key, value) VALUES "
                               "('old_a', 'x', 'one'), "
                               "('old_a', '\\x00ff'::bytea, '\\x00'::bytea), "
                               "('old_a', 'n', '41'), "
                               "('old_b', 'x', 'of b')")),
              IsOk());

  StoreSpec spec_a = PostgresSpec(server_->url(), "old_a");
  spec_a.options["table"] = table;
  StoreSpec spec_b = PostgresSpec(server_->url(), "old_b");
  spec_b.options["table"] = table;
  // Three kvd processes start at once: one upgrades, the others wait for
  // it under the schema lock and find version 2.
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
  Driver& b = **opened[2];
  EXPECT_THAT(server_->Query(absl::StrCat(
                  "SELECT version FROM kvd_schema WHERE table_name = ",
                  SqlText(table))),
              IsOkAndHolds(absl::StrCat(kPostgresSchemaVersion)));
  EXPECT_THAT(server_->Query(absl::StrCat(
                  "SELECT attnotnull FROM pg_attribute WHERE attrelid = ",
                  SqlText(table), "::regclass AND attname = 'revision'")),
              IsOkAndHolds("t"));

  const std::string binary_key("\0\xff", 2);
  absl::StatusOr<std::vector<absl::optional<Versioned>>> rows =
      a.GetMany({"x", binary_key, "n"});
  ASSERT_THAT(rows, IsOk());
  std::set<uint64_t> revisions;
  for (const absl::optional<Versioned>& row : *rows) {
    ASSERT_TRUE(row.has_value());
    EXPECT_GT(row->revision, 0u);
    revisions.insert(row->revision);
  }
  EXPECT_EQ(revisions.size(), 3u);
  EXPECT_EQ((*rows)[0]->value, "one");
  EXPECT_EQ((*rows)[1]->value, std::string("\0", 1));
  EXPECT_EQ((*rows)[2]->value, "41");
  absl::StatusOr<uint64_t> current = a.CurrentRevision();
  ASSERT_THAT(current, IsOk());
  EXPECT_GE(*current, *revisions.rbegin());
  std::vector<std::string> keys;
  ASSERT_THAT(a.ListKeys([&](absl::string_view key) {
    keys.emplace_back(key);
    return true;
  }),
              IsOk());
  EXPECT_THAT(keys, ElementsAre(binary_key, "n", "x"));

  // Conditional writes against the revisions the upgrade gave.
  const uint64_t x = (*rows)[0]->revision;
  absl::StatusOr<MutationResults> swapped =
      a.Write({Mutation::Set("x", "two", x)});
  ASSERT_THAT(swapped, IsOk());
  EXPECT_GT(swapped->front().revision, *current);
  absl::StatusOr<MutationResults> stale =
      a.Write({Mutation::Set("x", "three", x)});
  EXPECT_THAT(ConditionFailedRevision(stale.status()),
              Optional(swapped->front().revision));
  EXPECT_THAT(
      ConditionFailedRevision(a.Write({Mutation::Set("n", "0", 0)}).status()),
      Optional((*rows)[2]->revision));
  absl::StatusOr<MutationResults> added =
      a.Write({Mutation::Increment("n", 1)});
  ASSERT_THAT(added, IsOk());
  EXPECT_EQ(added->front().value, 42);
  EXPECT_THAT(a.Write({Mutation::Set("new", "v", 0)}), IsOk());

  // What a kvd of version 1 still running would do: its one write
  // statement fails, for a new key and for an existing one alike, so it
  // cannot overwrite a value and leave its revision.
  for (const char* key : {"y", "x"}) {
    EXPECT_THAT(
        server_->Query(absl::StrCat(
            "INSERT INTO ", table, " (store, key, value) VALUES ('old_a', '",
            key,
            "', 'old kvd') "
            "ON CONFLICT (store, key) DO UPDATE SET value = EXCLUDED.value")),
        StatusIs(absl::StatusCode::kInternal,
                 HasSubstr("null value in column \"revision\"")))
        << key;
  }
  EXPECT_THAT(ValueOf(a, "x"), IsOkAndHolds("two"));

  // The other store's rows were upgraded too, with its own sequence.
  absl::StatusOr<Versioned> of_b = b.Get("x");
  ASSERT_THAT(of_b, IsOk());
  EXPECT_EQ(of_b->value, "of b");
  EXPECT_GT(of_b->revision, 0u);
  EXPECT_NE(SequenceOf("old_a", table), SequenceOf("old_b", table));
  EXPECT_THAT(b.CurrentRevision(), IsOkAndHolds(of_b->revision));

  // Opening again upgrades nothing: revisions stay as they are.
  std::unique_ptr<Driver> again = OpenOrDie(spec_a);
  ASSERT_NE(again, nullptr);
  absl::StatusOr<Versioned> x_again = again->Get("x");
  ASSERT_THAT(x_again, IsOk());
  EXPECT_EQ(x_again->revision, swapped->front().revision);
  EXPECT_EQ(x_again->value, "two");
}

// A table of schema version 2 (kvd before expiry), written by that kvd,
// with rows of two stores, is upgraded when new kvd processes open it at
// once: one adds the column and the index, the others wait and find
// version 3; values and revisions stay; and the stores then list, expire
// and reclaim as any other.
TEST_F(PostgresUpgradeTest, UpgradesATableOfSchemaVersion2) {
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
                  SqlText(table), ", 2)")),
              IsOk());
  // And what it wrote: each store's sequence, and rows whose revisions came
  // from it (its INSERT ... nextval and UPDATE ... nextval statements).
  auto make_store = [&](absl::string_view store) -> std::string {
    absl::StatusOr<std::string> id = server_->Query(
        absl::StrCat("INSERT INTO kvd_sequences (table_name, store) VALUES (",
                     SqlText(table), ", ", SqlText(store), ") RETURNING id"));
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
            SqlText(row.store), ", ", SqlBytea(row.key), ", ",
            SqlBytea(row.value), ", nextval('",
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
                  SqlText(table))),
              IsOkAndHolds("3"));
  EXPECT_THAT(server_->Query(absl::StrCat(
                  "SELECT format_type(atttypid, NULL) || ' ' || attnotnull "
                  "FROM pg_attribute WHERE attrelid = ",
                  SqlText(table), "::regclass AND attname = 'expires_at'")),
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
