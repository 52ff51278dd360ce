#include "service/config/config.h"

#include <sys/stat.h>

#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
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
max_batch_entries = 50
max_batch_bytes = 8388608
)");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->listen, "unix:/run/kvd.sock");
  EXPECT_EQ(config->worker_threads, 4);
  EXPECT_EQ(config->limits.max_key_bytes, 1024u);
  EXPECT_EQ(config->limits.max_value_bytes, 4194304u);
  EXPECT_EQ(config->limits.max_open_stores, 16u);
  EXPECT_EQ(config->limits.idle_timeout, absl::Seconds(90));
  EXPECT_EQ(config->limits.max_get_keys_bytes, 1048576u);
  EXPECT_EQ(config->limits.max_batch_entries, 50u);
  EXPECT_EQ(config->limits.max_batch_bytes, 8388608u);
}

TEST(ConfigTest, BatchLimitsHaveDefaults) {
  absl::StatusOr<RuntimeConfig> config = Parse("");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->limits.max_batch_entries, 1000u);
  EXPECT_EQ(config->limits.max_batch_bytes, (4u << 20) - (16u << 10));
}

TEST(ConfigTest, DefaultBatchBytesGrowWithTheValueLimit) {
  absl::StatusOr<RuntimeConfig> config =
      Parse("[limits]\nmax_value_bytes = 8388608\n");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->limits.max_batch_bytes, 8388608u + 256u);
}

TEST(ConfigTest, BatchBytesBelowOneLargestEntryIsAnError) {
  EXPECT_THAT(ErrorOf("[limits]\nmax_batch_bytes = 1000\n"),
              HasSubstr("\"max_batch_bytes\" is 1000; it must be between"));
  EXPECT_THAT(ErrorOf("[limits]\nmax_batch_entries = 0\n"),
              HasSubstr("\"max_batch_entries\" is 0"));
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

// A token file for client tests, mode 0600 unless told.
std::string TokenFile(const std::string& name, const std::string& token,
                      mode_t mode = 0600) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path, std::ios::trunc) << token << "\n";
  chmod(path.c_str(), mode);
  return path;
}

TEST(ConfigTest, ReadsClientsWithTheirGrants) {
  const std::string checkout = TokenFile("checkout", "checkout-token");
  absl::StatusOr<RuntimeConfig> config = Parse(R"(
[key_value_store.orders]
type = "memory"

[key_value_store.catalog]
type = "memory"

[[client]]
name = "checkout"
token_file = ")" + checkout + R"("
key_value_stores = ["default", "orders"]
read_only_stores = ["catalog"]

[[client]]
name = "reports"
certificate_identity = "reports.example"
read_only_stores = ["orders"]

[[client]]
name = "relative"
token_file = "tokens/relative"
)");
  // The relative token file does not exist under /etc/kvd: refused, naming
  // the resolved path.
  EXPECT_THAT(config, StatusIs(absl::StatusCode::kInvalidArgument,
                               AllOf(StartsWith("kvd.toml:19: [[client]] "
                                                "\"relative\" token_file: "),
                                     HasSubstr("/etc/kvd/tokens/relative"))));

  config = Parse(R"(
[key_value_store.orders]
type = "memory"

[[client]]
name = "checkout"
token_file = ")" +
                 checkout + R"("
key_value_stores = ["default", "orders"]

[[client]]
name = "reports"
certificate_identity = "reports.example"
read_only_stores = ["orders"]
)");
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_EQ(config->clients.size(), 2u);
  EXPECT_EQ(config->clients[0].name, "checkout");
  EXPECT_EQ(config->clients[0].token_file, checkout);
  EXPECT_EQ(config->clients[0].where, "kvd.toml:5");
  EXPECT_THAT(config->clients[0].key_value_stores,
              ::testing::ElementsAre("default", "orders"));
  EXPECT_EQ(config->clients[1].certificate_identity, "reports.example");
  EXPECT_THAT(config->clients[1].read_only_stores,
              ::testing::ElementsAre("orders"));
}

TEST(ConfigTest, ClientRefusals) {
  const std::string a = TokenFile("a", "token-a");
  const std::string a_again = TokenFile("a-again", "token-a");
  const std::string loose = TokenFile("loose", "token-l", 0644);
  const std::string empty = TokenFile("empty", "");
  EXPECT_THAT(ErrorOf("[[client]]\nname = \"a\"\ntoken_file = \"" + a +
                      "\"\n\n[[client]]\nname = \"b\"\ntoken_file = \"" +
                      a_again + "\"\n"),
              AllOf(StartsWith("kvd.toml:5: [[client]] \"b\""),
                    HasSubstr("same token as [[client]] \"a\" (kvd.toml:1)"),
                    ::testing::Not(HasSubstr("token-a"))));
  EXPECT_THAT(ErrorOf("[[client]]\nname = \"a\"\ntoken_file = \"" + a +
                      "\"\n[[client]]\nname = \"a\"\n"
                      "certificate_identity = \"x\"\n"),
              AllOf(StartsWith("kvd.toml:4: [[client]] name \"a\""),
                    HasSubstr("already used at kvd.toml:1")));
  EXPECT_THAT(ErrorOf("[[client]]\nname = \"a\"\ntoken_file = \"" + a +
                      "\"\nkey_value_stores = [\"default\", \"orders\"]\n"),
              AllOf(StartsWith("kvd.toml:4: [[client]] \"a\" is granted "
                               "store \"orders\", which is not defined"),
                    HasSubstr("(defined: default)")));
  EXPECT_THAT(
      ErrorOf("[[client]]\nname = \"a\"\ntoken_file = \"" + loose + "\"\n"),
      AllOf(StartsWith("kvd.toml:1: [[client]] \"a\" token_file: "),
            HasSubstr(loose), HasSubstr("mode 0644"), HasSubstr("chmod 600")));
  EXPECT_THAT(
      ErrorOf("[[client]]\nname = \"a\"\ntoken_file = \"" + empty + "\"\n"),
      HasSubstr("is empty"));
  EXPECT_THAT(ErrorOf("[[client]]\nname = \"a\"\ntoken_file = \"" +
                      ::testing::TempDir() + "/none\"\n"),
              HasSubstr("No such file"));
  EXPECT_THAT(ErrorOf("[[client]]\nname = \"a\"\n"),
              AllOf(StartsWith("kvd.toml:1:"), HasSubstr("has no credential")));
  EXPECT_THAT(ErrorOf("[[client]]\ntoken_file = \"" + a + "\"\n"),
              HasSubstr("[[client]] needs a \"name\""));
  EXPECT_THAT(ErrorOf("[[client]]\nname = \"a\"\ntoken_file = \"" + a +
                      "\"\nkey_value_stores = [\"default\"]\n"
                      "read_only_stores = [\"default\"]\n"),
              HasSubstr("in both key_value_stores and read_only_stores"));
  EXPECT_THAT(
      ErrorOf("[[client]]\nname = \"a\"\ntoken_file = \"" + a +
              "\"\nstores = [\"default\"]\n"),
      AllOf(StartsWith("kvd.toml:4:"), HasSubstr("unknown field \"stores\"")));
  EXPECT_THAT(ErrorOf("[[client]]\nname = \"a\"\ncertificate_identity = "
                      "\"x\"\n[[client]]\nname = \"b\"\n"
                      "certificate_identity = \"x\"\n"),
              HasSubstr("same certificate_identity as [[client]] \"a\""));
  EXPECT_THAT(ErrorOf("[client]\nname = \"a\"\n"),
              HasSubstr("each written [[client]]"));
}

TEST(ConfigTest, ReadsTlsAndTransportSettings) {
  absl::StatusOr<RuntimeConfig> config = Parse(R"(
[server]
tls_cert = "tls/server.pem"
tls_key = "/secrets/server.key"
tls_client_ca = "ca.pem"
socket_mode = "0600"
max_concurrent_streams = 10
keepalive_time = "30m"
keepalive_timeout = "5s"
min_ping_interval = "1m"
max_ping_strikes = 3
max_connection_idle = "15m"
)");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->tls.cert, "/etc/kvd/tls/server.pem");
  EXPECT_EQ(config->tls.key, "/secrets/server.key");
  EXPECT_EQ(config->tls.client_ca, "/etc/kvd/ca.pem");
  EXPECT_EQ(config->transport.socket_mode, 0600u);
  EXPECT_EQ(config->transport.max_concurrent_streams, 10);
  EXPECT_EQ(config->transport.keepalive_time, absl::Minutes(30));
  EXPECT_EQ(config->transport.keepalive_timeout, absl::Seconds(5));
  EXPECT_EQ(config->transport.min_ping_interval, absl::Minutes(1));
  EXPECT_EQ(config->transport.max_ping_strikes, 3);
  EXPECT_EQ(config->transport.max_connection_idle, absl::Minutes(15));

  config = Parse("[server]\nsocket_mode = 0o640\n");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->transport.socket_mode, 0640u);
  config = Parse("");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->transport.socket_mode, 0660u);
  EXPECT_EQ(config->transport.max_concurrent_streams, 100);
  EXPECT_FALSE(config->tls.enabled());
  EXPECT_TRUE(config->clients.empty());

  EXPECT_THAT(ErrorOf("[server]\nsocket_mode = \"rw\"\n"),
              AllOf(StartsWith("kvd.toml:2:"), HasSubstr("socket_mode")));
  EXPECT_THAT(ErrorOf("[server]\nmax_concurrent_streams = 0\n"),
              HasSubstr("\"max_concurrent_streams\" must be an integer"));
  EXPECT_THAT(ErrorOf("[server]\nkeepalive_time = \"often\"\n"),
              HasSubstr("\"keepalive_time\" must be a positive duration"));
}

TEST(ConfigTest, TokenReloadInterval) {
  absl::StatusOr<RuntimeConfig> config = Parse("");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_FALSE(config->token_reload_interval.has_value());
  config = Parse("[server]\ntoken_reload_interval = \"30s\"\n");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->token_reload_interval, absl::Seconds(30));
  config = Parse("[server]\ntoken_reload_interval = \"0s\"\n");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->token_reload_interval, absl::ZeroDuration());
  for (const char* bad : {"\"often\"", "\"-1s\"", "10", "\"inf\""}) {
    EXPECT_THAT(
        ErrorOf(absl::StrCat("[server]\ntoken_reload_interval = ", bad, "\n")),
        AllOf(StartsWith("kvd.toml:2:"),
              HasSubstr("[server] \"token_reload_interval\" must be a "
                        "duration"),
              HasSubstr("\"0s\" to turn polling off")))
        << bad;
  }
}

TEST(ConfigTest, ExpirySweepInterval) {
  absl::StatusOr<RuntimeConfig> config = Parse("");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_FALSE(config->expiry_sweep_interval.has_value());
  config = Parse("[server]\nexpiry_sweep_interval = \"250ms\"\n");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->expiry_sweep_interval, absl::Milliseconds(250));
  config = Parse("[server]\nexpiry_sweep_interval = \"0s\"\n");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->expiry_sweep_interval, absl::ZeroDuration());
  EXPECT_THAT(ErrorOf("[server]\nexpiry_sweep_interval = \"-1s\"\n"),
              HasSubstr("[server] \"expiry_sweep_interval\" must be a "
                        "duration string such as \"10s\" or \"1m\", or "
                        "\"0s\" to turn reclaiming expired keys off"));
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
