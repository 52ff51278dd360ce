#include "tools/kvctl/describe_output.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kv::kvctl {
namespace {

kvd::StoreInfo SqliteInfo() {
  kvd::StoreInfo info;
  info.name = "default";
  info.driver = "sqlite";
  info.durability = v1::DURABILITY_DISK;
  info.max_key_bytes = 256;
  info.max_value_bytes = 1048576;
  info.max_batch_entries = 1000;
  info.max_batch_bytes = 4194304;
  info.revision = 42;
  info.capabilities = {v1::CAPABILITY_REVISIONS,
                       v1::CAPABILITY_CONDITIONAL_WRITES,
                       v1::CAPABILITY_INCREMENT, v1::CAPABILITY_ATOMIC_BATCHES};
  return info;
}

TEST(DescribeTextTest, OneAlignedLinePerField) {
  EXPECT_EQ(DescribeText(SqliteInfo()),
            "name:          default\n"
            "driver:        sqlite\n"
            "durability:    DISK (an acknowledged write survives a power "
            "loss)\n"
            "revision:      42\n"
            "read-only:     no\n"
            "capabilities:  REVISIONS CONDITIONAL_WRITES INCREMENT "
            "ATOMIC_BATCHES\n"
            "max key:       256 bytes\n"
            "max value:     1048576 bytes\n"
            "max batch:     1000 entries, 4194304 bytes\n");
}

TEST(DescribeTextTest, TtlAndPageLimitsWhenKvdGivesThem) {
  kvd::StoreInfo info = SqliteInfo();
  info.max_ttl = std::chrono::hours(24 * 3650);
  info.max_page_size = 10000;
  EXPECT_THAT(DescribeText(info),
              ::testing::EndsWith("max batch:     1000 entries, 4194304 bytes\n"
                                  "max ttl:       87600h\n"
                                  "max page:      10000 keys\n"));
  const nlohmann::json document = DescribeJson("default", info);
  EXPECT_EQ(document["limits"]["max_ttl_ms"], 315360000000);
  EXPECT_EQ(document["limits"]["max_page_size"], 10000);
}

TEST(DescribeTextTest, UnknownValuesAreNumbers) {
  kvd::StoreInfo info = SqliteInfo();
  info.durability = static_cast<v1::Durability>(77);
  info.capabilities = {static_cast<v1::Capability>(99)};
  info.read_only = true;
  const std::string text = DescribeText(info);
  EXPECT_THAT(text, ::testing::HasSubstr("durability:    77\n"));
  EXPECT_THAT(text, ::testing::HasSubstr("capabilities:  99\n"));
  EXPECT_THAT(text, ::testing::HasSubstr("read-only:     yes\n"));
}

TEST(DescribeJsonTest, NamesWithoutPrefixesAndLimitsAsAnObject) {
  const nlohmann::json document = DescribeJson("default", SqliteInfo());
  EXPECT_EQ(document["store"], "default");
  EXPECT_EQ(document["name"], "default");
  EXPECT_EQ(document["driver"], "sqlite");
  EXPECT_EQ(document["durability"], "DISK");
  EXPECT_EQ(document["revision"], 42);
  EXPECT_EQ(document["read_only"], false);
  EXPECT_EQ(document["capabilities"],
            nlohmann::json({"REVISIONS", "CONDITIONAL_WRITES", "INCREMENT",
                            "ATOMIC_BATCHES"}));
  EXPECT_EQ(document["limits"]["max_key_bytes"], 256);
  EXPECT_EQ(document["limits"]["max_value_bytes"], 1048576);
  EXPECT_EQ(document["limits"]["max_batch_entries"], 1000);
  EXPECT_EQ(document["limits"]["max_batch_bytes"], 4194304);
}

}  // namespace
}  // namespace kv::kvctl
