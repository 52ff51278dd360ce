#include "service/config.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/testing/status_matchers.h"

namespace kv {
namespace {

using ::kv::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::StartsWith;

absl::StatusOr<RuntimeConfig> Parse(const std::string& text,
                                    const std::string& data_dir = "") {
  return ParseRuntimeConfig(text, "kvd.toml", "/etc/kvd", data_dir);
}

// The error message of parsing `text`, which must fail.
std::string ErrorOf(const std::string& text) {
  absl::StatusOr<RuntimeConfig> config = Parse(text);
  EXPECT_FALSE(config.ok()) << "parsed: " << text;
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(config.status().message());
}

TEST(ConfigTest, NoFileMeansADefaultSqliteStoreInDotKvd) {
  absl::StatusOr<RuntimeConfig> config = LoadRuntimeConfig("", "");
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_EQ(config->stores.size(), 1u);
  EXPECT_EQ(config->stores[0].name, "default");
  EXPECT_EQ(config->stores[0].type, "sqlite");
  EXPECT_EQ(config->stores[0].data_dir, ".kvd");
  EXPECT_EQ(config->limits.max_key_bytes, 256u);
  EXPECT_EQ(config->limits.max_value_bytes, 1u << 20);
  EXPECT_EQ(config->limits.max_open_stores, 256u);
}

TEST(ConfigTest, ReadsStoresInFileOrderWithTheirFields) {
  absl::StatusOr<RuntimeConfig> config = Parse(R"(
[key_value_store.default]
type = "sqlite"
path = "data/default.db"

[key_value_store.cache]
type = "memory"
)");
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_EQ(config->stores.size(), 2u);
  EXPECT_EQ(config->stores[0].name, "default");
  EXPECT_EQ(config->stores[0].options.at("path"), "data/default.db");
  EXPECT_EQ(config->stores[0].base_dir, "/etc/kvd");
  EXPECT_EQ(config->stores[1].name, "cache");
  EXPECT_EQ(config->stores[1].type, "memory");
}

TEST(ConfigTest, AddsDefaultWhenOnlyOtherStoresAreDefined) {
  absl::StatusOr<RuntimeConfig> config =
      Parse("[key_value_store.cache]\ntype = \"memory\"\n");
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_EQ(config->stores.size(), 2u);
  EXPECT_EQ(config->stores[0].name, "default");
  EXPECT_EQ(config->stores[0].type, "sqlite");
}

TEST(ConfigTest, DataDirFlagWinsOverServerTable) {
  const std::string text = "[server]\ndata_dir = \"state\"\n";
  EXPECT_EQ(Parse(text)->stores[0].data_dir, "/etc/kvd/state");
  EXPECT_EQ(Parse(text, "/var/lib/kvd")->stores[0].data_dir, "/var/lib/kvd");
}

TEST(ConfigTest, ReadsServerAndLimits) {
  absl::StatusOr<RuntimeConfig> config = Parse(R"(
[server]
listen = "unix:/run/kvd.sock"
worker_threads = 4

[limits]
max_key_bytes = 1024
max_value_bytes = 4194304
max_open_stores = 16
idle_timeout = "90s"
max_get_keys_bytes = 1048576
)");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->listen, "unix:/run/kvd.sock");
  EXPECT_EQ(config->worker_threads, 4);
  EXPECT_EQ(config->limits.max_key_bytes, 1024u);
  EXPECT_EQ(config->limits.max_value_bytes, 4194304u);
  EXPECT_EQ(config->limits.max_open_stores, 16u);
  EXPECT_EQ(config->limits.idle_timeout, absl::Seconds(90));
  EXPECT_EQ(config->limits.max_get_keys_bytes, 1048576u);
}

TEST(ConfigTest, SyntaxErrorNamesFileLineAndColumn) {
  EXPECT_THAT(ErrorOf("[key_value_store.default]\ntype = \n"),
              StartsWith("kvd.toml:2:"));
}

TEST(ConfigTest, UnknownStoreTypeNamesLineStoreAndKnownTypes) {
  EXPECT_THAT(ErrorOf("\n[key_value_store.orders]\ntype = \"reddis\"\n"),
              AllOf(StartsWith("kvd.toml:3: [key_value_store.orders]"),
                    HasSubstr("\"reddis\" is not a store type"),
                    HasSubstr("memory"), HasSubstr("sqlite")));
}

TEST(ConfigTest, MissingTypeIsAnError) {
  EXPECT_THAT(ErrorOf("[key_value_store.orders]\npath = \"x.db\"\n"),
              AllOf(StartsWith("kvd.toml:1:"), HasSubstr("has no \"type\"")));
}

TEST(ConfigTest, UnknownFieldNamesTheFieldAndTheAllowedOnes) {
  EXPECT_THAT(
      ErrorOf("[key_value_store.default]\ntype = \"sqlite\"\npth = \"x\"\n"),
      AllOf(StartsWith("kvd.toml:3:"), HasSubstr("unknown field \"pth\""),
            HasSubstr("path")));
}

TEST(ConfigTest, ScalarFieldsReachTheDriverAsText) {
  absl::StatusOr<RuntimeConfig> config =
      Parse("[key_value_store.default]\ntype = \"sqlite\"\npath = 3\n");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->stores[0].options.at("path"), "3");
}

TEST(ConfigTest, NonScalarFieldIsAnError) {
  EXPECT_THAT(
      ErrorOf("[key_value_store.default]\ntype = \"sqlite\"\npath = [1]\n"),
      AllOf(StartsWith("kvd.toml:3:"),
            HasSubstr("must be a string, integer or boolean")));
}

TEST(ConfigTest, BadStoreNameIsAnError) {
  EXPECT_THAT(ErrorOf("[key_value_store.\"../etc\"]\ntype = \"memory\"\n"),
              HasSubstr("store names are"));
}

TEST(ConfigTest, UnknownTableIsAnError) {
  EXPECT_THAT(ErrorOf("[key_value_stores.default]\ntype = \"memory\"\n"),
              AllOf(StartsWith("kvd.toml:1:"),
                    HasSubstr("unknown table [key_value_stores]")));
}

TEST(ConfigTest, ClientGrantsAreRefusedUntilSupported) {
  EXPECT_THAT(ErrorOf("[[client]]\nname = \"checkout\"\n"),
              HasSubstr("[[client]] grants are not supported"));
}

TEST(ConfigTest, LimitsMayOnlyBeRaised) {
  EXPECT_THAT(ErrorOf("[limits]\nmax_key_bytes = 100\n"),
              AllOf(StartsWith("kvd.toml:2:"),
                    HasSubstr("\"max_key_bytes\" is 100; it must be between "
                              "256 and")));
  EXPECT_THAT(ErrorOf("[limits]\nmax_value_bytes = 1000\n"),
              HasSubstr("max_value_bytes"));
  EXPECT_THAT(ErrorOf("[limits]\nmax_open_stores = 0\n"),
              HasSubstr("max_open_stores"));
  EXPECT_THAT(ErrorOf("[limits]\nmax_key_bytes = \"big\"\n"),
              HasSubstr("must be an integer"));
}

TEST(ConfigTest, IdleTimeoutMustBeAPositiveDuration) {
  EXPECT_THAT(ErrorOf("[limits]\nidle_timeout = \"soon\"\n"),
              AllOf(StartsWith("kvd.toml:2:"), HasSubstr("idle_timeout")));
  EXPECT_THAT(ErrorOf("[limits]\nidle_timeout = \"-5s\"\n"),
              HasSubstr("positive duration"));
}

TEST(ConfigTest, UnknownLimitOrServerFieldIsAnError) {
  EXPECT_THAT(ErrorOf("[limits]\nmax_keys = 3\n"),
              HasSubstr("unknown field \"max_keys\""));
  EXPECT_THAT(ErrorOf("[server]\nport = 3\n"),
              HasSubstr("unknown field \"port\""));
}

TEST(ConfigTest, MissingFileIsAnErrorNamingIt) {
  EXPECT_THAT(LoadRuntimeConfig("/nonexistent/kvd.toml", ""),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("/nonexistent/kvd.toml")));
}

}  // namespace
}  // namespace kv
