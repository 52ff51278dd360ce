#include "service/handle_table.h"

#include <set>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/errors/kv_error.h"
#include "store/testing/status_matchers.h"

namespace kv {
namespace {

using ::kv::testing::IsOkAndHolds;
using ::kv::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

class HandleTableTest : public ::testing::Test {
 protected:
  absl::Time now_ = absl::FromUnixSeconds(1000);
  HandleTable table_{3, absl::Minutes(10), [this] { return now_; }};
};

TEST_F(HandleTableTest, IssuesNonzeroDistinctHandles) {
  std::set<uint32_t> seen;
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<uint32_t> handle = table_.Open("alice", "default");
    ASSERT_TRUE(handle.ok());
    EXPECT_NE(*handle, 0u);
    EXPECT_TRUE(seen.insert(*handle).second);
  }
}

TEST(HandleTableNumbersTest, HandlesDoNotCountOtherPrincipalsOpens) {
  HandleTable table(1000, absl::Hours(1));
  const uint32_t before = *table.Open("bob", "default");
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(table.Open("alice", "default").ok());
  const uint32_t after = *table.Open("bob", "default");
  // A counter would give after == before + 6 (chance of a match here: 2^-32).
  EXPECT_NE(after - before, 6u);
  // And handles keep being distinct and nonzero over many opens.
  std::set<uint32_t> seen = {before, after};
  for (int i = 0; i < 900; ++i) {
    const uint32_t handle = *table.Open("carol", "default");
    EXPECT_NE(handle, 0u);
    EXPECT_TRUE(seen.insert(handle).second) << handle;
  }
}

TEST_F(HandleTableTest, LookupReturnsTheStore) {
  uint32_t handle = *table_.Open("alice", "orders");
  EXPECT_THAT(table_.Lookup("alice", handle), IsOkAndHolds("orders"));
}

TEST_F(HandleTableTest, HandleZeroIsNeverValid) {
  absl::Status status = table_.Lookup("alice", 0).status();
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kFailedPrecondition,
                               HasSubstr("\"store\" field is unset")));
  EXPECT_EQ(ErrorCodeOf(status), v1::ERROR_CODE_INVALID_STORE);
}

TEST_F(HandleTableTest, AnotherPrincipalsHandleLooksNeverIssued) {
  uint32_t handle = *table_.Open("alice", "default");
  absl::Status stolen = table_.Lookup("bob", handle).status();
  absl::Status never = table_.Lookup("bob", handle + 1000).status();
  EXPECT_EQ(ErrorCodeOf(stolen), v1::ERROR_CODE_INVALID_STORE);
  EXPECT_EQ(stolen.code(), never.code());
  // The messages differ only in the handle number.
  EXPECT_THAT(std::string(stolen.message()), HasSubstr("is not open"));
  EXPECT_THAT(std::string(never.message()), HasSubstr("is not open"));
  table_.Close("bob", handle);  // A no-op: bob does not hold it.
  EXPECT_THAT(table_.Lookup("alice", handle), IsOkAndHolds("default"));
}

TEST_F(HandleTableTest, ClosedHandleIsInvalidAndNotReused) {
  uint32_t handle = *table_.Open("alice", "default");
  table_.Close("alice", handle);
  table_.Close("alice", handle);  // Closing twice is a no-op.
  EXPECT_THAT(table_.Lookup("alice", handle),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_NE(*table_.Open("alice", "default"), handle);
}

TEST_F(HandleTableTest, CapacityIsPerPrincipal) {
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(table_.Open("alice", "default").ok());
  absl::Status full = table_.Open("alice", "default").status();
  EXPECT_THAT(full, StatusIs(absl::StatusCode::kResourceExhausted,
                             HasSubstr("3 open store handles")));
  EXPECT_EQ(ErrorCodeOf(full), v1::ERROR_CODE_STORE_TABLE_FULL);
  EXPECT_TRUE(table_.Open("bob", "default").ok());
  EXPECT_EQ(table_.OpenCount("alice"), 3u);
}

TEST_F(HandleTableTest, ClosingFreesCapacity) {
  uint32_t first = *table_.Open("alice", "default");
  ASSERT_TRUE(table_.Open("alice", "default").ok());
  ASSERT_TRUE(table_.Open("alice", "default").ok());
  table_.Close("alice", first);
  EXPECT_TRUE(table_.Open("alice", "default").ok());
}

TEST_F(HandleTableTest, IdleHandlesAreReclaimed) {
  uint32_t idle = *table_.Open("alice", "default");
  uint32_t busy = *table_.Open("alice", "default");
  now_ += absl::Minutes(6);
  ASSERT_TRUE(table_.Lookup("alice", busy).ok());  // Keeps `busy` alive.
  now_ += absl::Minutes(6);
  EXPECT_THAT(table_.Lookup("alice", idle),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("reclaimed after being idle")));
  EXPECT_THAT(table_.Lookup("alice", busy), IsOkAndHolds("default"));
}

TEST_F(HandleTableTest, FullTableSweepsIdleHandlesBeforeRefusing) {
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(table_.Open("alice", "default").ok());
  now_ += absl::Minutes(11);
  EXPECT_TRUE(table_.Open("alice", "default").ok());
  EXPECT_EQ(table_.OpenCount("alice"), 1u);
}

TEST(HandleTableReadOnlyTest, HandleRemembersItWasOpenedReadOnly) {
  HandleTable table(4, absl::Hours(1));
  absl::StatusOr<uint32_t> reader = table.Open("p", "orders", true);
  absl::StatusOr<uint32_t> writer = table.Open("p", "orders");
  ASSERT_TRUE(reader.ok() && writer.ok());
  absl::StatusOr<HandleTable::OpenHandle> open =
      table.LookupHandle("p", *reader);
  ASSERT_TRUE(open.ok()) << open.status();
  EXPECT_EQ(open->store, "orders");
  EXPECT_TRUE(open->read_only);
  open = table.LookupHandle("p", *writer);
  ASSERT_TRUE(open.ok()) << open.status();
  EXPECT_FALSE(open->read_only);
}

TEST_F(HandleTableTest, OpenCountsCoverEveryPrincipal) {
  ASSERT_TRUE(table_.Open("alice", "default").ok());
  ASSERT_TRUE(table_.Open("alice", "default").ok());
  const uint32_t bobs = *table_.Open("bob", "default");
  table_.Close("bob", bobs);
  EXPECT_THAT(table_.OpenCounts(),
              UnorderedElementsAre(Pair("alice", 2u), Pair("bob", 0u)));
  now_ += absl::Minutes(11);
  EXPECT_THAT(table_.OpenCounts(),
              UnorderedElementsAre(Pair("alice", 0u), Pair("bob", 0u)));
}

}  // namespace
}  // namespace kv
