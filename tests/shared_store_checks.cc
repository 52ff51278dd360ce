#include "tests/shared_store_checks.h"

#include <string>

#include "gtest/gtest.h"
#include "kv/v1/kv.pb.h"

namespace kv::testing {

void ExpectSharedRevisions(KvTestClient& one, uint32_t in_one,
                           KvTestClient& two, uint32_t in_two) {
  uint64_t first = 0;
  CallResult created = one.Set(in_one, "cas", "1", 0, &first);
  ASSERT_TRUE(created.ok()) << created.status.error_message();
  std::string value;
  uint64_t seen = 0;
  ASSERT_TRUE(two.Get(in_two, "cas", &value, &seen).ok());
  EXPECT_EQ(value, "1");
  EXPECT_EQ(seen, first);
  CallResult exists = two.Set(in_two, "cas", "again", 0);
  EXPECT_EQ(exists.error_code, v1::ERROR_CODE_CONDITION_FAILED)
      << exists.status.error_message();
  EXPECT_EQ(exists.current_revision, first);

  uint64_t second = 0;
  CallResult swapped = two.Set(in_two, "cas", "2", first, &second);
  ASSERT_TRUE(swapped.ok()) << swapped.status.error_message();
  EXPECT_GT(second, first);
  CallResult stale = one.Set(in_one, "cas", "3", first);
  EXPECT_EQ(stale.status.error_code(), grpc::ABORTED)
      << stale.status.error_message();
  EXPECT_EQ(stale.error_code, v1::ERROR_CODE_CONDITION_FAILED);
  EXPECT_EQ(stale.current_revision, second);
  uint64_t deleted = 0;
  ASSERT_TRUE(one.Delete(in_one, "cas", second, &deleted).ok());
  EXPECT_GT(deleted, second);

  int64_t count = 0;
  ASSERT_TRUE(one.Increment(in_one, "count", 2, &count).ok());
  EXPECT_EQ(count, 2);
  uint64_t counted = 0;
  ASSERT_TRUE(two.Increment(in_two, "count", 3, &count, &counted).ok());
  EXPECT_EQ(count, 5);
  EXPECT_GT(counted, deleted);

  v1::DescribeResponse through_one;
  v1::DescribeResponse through_two;
  ASSERT_TRUE(one.Describe(in_one, &through_one).ok());
  ASSERT_TRUE(two.Describe(in_two, &through_two).ok());
  EXPECT_GE(through_one.revision(), counted);
  EXPECT_EQ(through_one.revision(), through_two.revision());
  ASSERT_TRUE(two.DeleteMany(in_two, {"count"}, nullptr).ok());
}

}  // namespace kv::testing
