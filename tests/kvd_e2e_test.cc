// Every RPC and every error, through the real kvd binary, over TCP (port 0)
// and over a unix socket.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/client_context.h"
#include "gtest/gtest.h"
#include "tests/kv_test_client.h"
#include "tests/kvd_process.h"

namespace kv::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

enum class Transport { kTcp, kUnix };

class KvdEndToEndTest : public ::testing::TestWithParam<Transport> {
 protected:
  void SetUp() override {
    const std::string dir =
        NewTempDir(GetParam() == Transport::kTcp ? "e2e_tcp" : "e2e_unix");
    WriteFile(dir + "/kvd.toml", R"(
[key_value_store.cache]
type = "memory"

# Its parent is a regular file, so this store can never open: IO errors.
[key_value_store.broken]
type = "sqlite"
path = "/dev/null/broken.db"
)");
    // Bazel's TEST_TMPDIR is too deep for a unix socket path (107 bytes).
    const std::string listen =
        GetParam() == Transport::kTcp
            ? "127.0.0.1:0"
            : absl::StrCat("unix:", NewShortTempDir(), "/kvd.sock");
    auto kvd = KvdProcess::Start({"--listen=" + listen,
                                  "--config=" + dir + "/kvd.toml",
                                  "--data-dir=" + dir + "/data"});
    ASSERT_TRUE(kvd.ok()) << kvd.status();
    kvd_ = *std::move(kvd);
    client_ = std::make_unique<KvTestClient>(kvd_->NewChannel());
  }

  uint32_t OpenOrDie(const std::string& name) {
    uint32_t store = 0;
    CallResult result = client_->Open(name, &store);
    EXPECT_TRUE(result.ok()) << result.status.error_message();
    return store;
  }

  std::unique_ptr<KvdProcess> kvd_;
  std::unique_ptr<KvTestClient> client_;
};

// Checks a failed call's gRPC code, ErrorCode trailer and message.
void ExpectError(const CallResult& result, grpc::StatusCode code,
                 v1::ErrorCode error_code, const std::string& message_part) {
  EXPECT_EQ(result.status.error_code(), code) << result.status.error_message();
  EXPECT_EQ(result.error_code, error_code)
      << v1::ErrorCode_Name(result.error_code);
  EXPECT_THAT(result.status.error_message(), HasSubstr(message_part));
}

TEST_P(KvdEndToEndTest, PrintsWhereTheDataLives) {
  EXPECT_THAT(kvd_->stdout_text(), HasSubstr("store \"default\": sqlite at "));
  EXPECT_THAT(kvd_->stdout_text(), HasSubstr("/data/default.db"));
  EXPECT_THAT(kvd_->stdout_text(),
              HasSubstr("store \"broken\": sqlite, UNAVAILABLE"));
}

TEST_P(KvdEndToEndTest, EveryRpcWorks) {
  const uint32_t store = OpenOrDie("default");
  EXPECT_NE(store, 0u);
  const std::string binary("\0\x01zero\0bytes\xFF", 13);
  ASSERT_TRUE(client_->Set(store, "b", binary).ok());
  ASSERT_TRUE(client_->Set(store, "a", "first").ok());
  ASSERT_TRUE(client_->Set(store, "a", "second").ok());  // Overwrites.
  ASSERT_TRUE(
      client_->Set(store, "\xC3\xA9t\xC3\xA9 \xF0\x9F\x8C\x9E", "").ok());

  std::string value;
  ASSERT_TRUE(client_->Get(store, "a", &value).ok());
  EXPECT_EQ(value, "second");
  ASSERT_TRUE(client_->Get(store, "b", &value).ok());
  EXPECT_EQ(value, binary);

  bool exists = false;
  ASSERT_TRUE(client_->Exists(store, "a", &exists).ok());
  EXPECT_TRUE(exists);
  ASSERT_TRUE(client_->Exists(store, "zzz", &exists).ok());
  EXPECT_FALSE(exists);

  std::vector<std::string> keys;
  ASSERT_TRUE(client_->GetKeys(store, &keys).ok());
  EXPECT_THAT(keys,
              ElementsAre("a", "b", "\xC3\xA9t\xC3\xA9 \xF0\x9F\x8C\x9E"));

  ASSERT_TRUE(client_->Delete(store, "a").ok());
  ASSERT_TRUE(client_->Delete(store, "a").ok());  // Missing key: no error.
  ASSERT_TRUE(client_->Exists(store, "a", &exists).ok());
  EXPECT_FALSE(exists);
  EXPECT_TRUE(client_->Close(store).ok());
}

// The operations beyond Spin's seven, as SCENARIO.md rows 22-35 use them:
// revisions, conditions, counters and batches on the default SQLite store.
TEST_P(KvdEndToEndTest, RevisionsConditionsCountersAndBatchesWork) {
  const uint32_t store = OpenOrDie("default");
  uint64_t r1 = 0;
  ASSERT_TRUE(client_->Set(store, "rev", "a", std::nullopt, &r1).ok());
  EXPECT_GT(r1, 0u);
  std::string value;
  uint64_t revision = 0;
  ASSERT_TRUE(client_->Get(store, "rev", &value, &revision).ok());
  EXPECT_EQ(value, "a");
  EXPECT_EQ(revision, r1);
  uint64_t r2 = 0;
  ASSERT_TRUE(client_->Set(store, "rev", "b", r1, &r2).ok());
  EXPECT_GT(r2, r1);
  CallResult stale = client_->Set(store, "rev", "c", r1);
  ExpectError(stale, grpc::ABORTED, v1::ERROR_CODE_CONDITION_FAILED,
              absl::StrCat("CONDITION_FAILED: store \"default\": set key "
                           "\"rev\": key \"rev\" was expected at revision ",
                           r1, ", but it is at revision ", r2));
  EXPECT_EQ(stale.current_revision, r2);
  EXPECT_EQ(stale.failed_index, std::nullopt);
  CallResult create_only = client_->Set(store, "rev", "d", 0);
  ExpectError(create_only, grpc::ABORTED, v1::ERROR_CODE_CONDITION_FAILED,
              "was expected absent (revision 0)");
  EXPECT_EQ(create_only.current_revision, r2);
  uint64_t deleted = 0;
  ASSERT_TRUE(client_->Delete(store, "rev", r2, &deleted).ok());
  EXPECT_GT(deleted, r2);
  ASSERT_TRUE(
      client_->Delete(store, "never-there", std::nullopt, &deleted).ok());
  EXPECT_EQ(deleted, 0u);

  int64_t count = 0;
  ASSERT_TRUE(client_->Increment(store, "counter", 5, &count).ok());
  EXPECT_EQ(count, 5);
  ASSERT_TRUE(client_->Increment(store, "counter", -7, &count).ok());
  EXPECT_EQ(count, -2);
  ASSERT_TRUE(client_->Get(store, "counter", &value).ok());
  EXPECT_EQ(value, "-2");
  ASSERT_TRUE(client_->Set(store, "text", "abc").ok());
  ExpectError(client_->Increment(store, "text", 1, nullptr),
              grpc::FAILED_PRECONDITION, v1::ERROR_CODE_NOT_AN_INTEGER,
              "NOT_AN_INTEGER: store \"default\": increment key \"text\" by 1");

  std::vector<uint64_t> revisions;
  ASSERT_TRUE(client_
                  ->SetMany(store,
                            {MakeSetEntry("m1", "1"), MakeSetEntry("m2", "2")},
                            &revisions)
                  .ok());
  ASSERT_EQ(revisions.size(), 2u);
  EXPECT_LT(revisions[0], revisions[1]);
  std::vector<v1::Entry> entries;
  ASSERT_TRUE(client_->GetMany(store, {"m2", "absent", "m1"}, &entries).ok());
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].value(), "2");
  EXPECT_EQ(entries[0].revision(), revisions[1]);
  EXPECT_FALSE(entries[1].found());
  EXPECT_EQ(entries[2].value(), "1");
  EXPECT_EQ(entries[2].revision(), revisions[0]);
  CallResult batch =
      client_->SetMany(store,
                       {MakeSetEntry("m1", "x"), MakeSetEntry("m3", "3", 0),
                        MakeSetEntry("m2", "y", revisions[0])},
                       nullptr);
  ExpectError(batch, grpc::ABORTED, v1::ERROR_CODE_CONDITION_FAILED,
              "SetMany entry 2 (key \"m2\")");
  EXPECT_EQ(batch.current_revision, revisions[1]);
  EXPECT_EQ(batch.failed_index, 2u);
  ASSERT_TRUE(client_->GetMany(store, {"m1", "m3"}, &entries).ok());
  EXPECT_EQ(entries[0].value(), "1");  // Nothing applied.
  EXPECT_FALSE(entries[1].found());
  ASSERT_TRUE(
      client_->DeleteMany(store, {"m1", "absent", "m2"}, &revisions).ok());
  ASSERT_EQ(revisions.size(), 3u);
  EXPECT_GT(revisions[0], 0u);
  EXPECT_EQ(revisions[1], 0u);
  EXPECT_GT(revisions[2], revisions[0]);
}

// Describe names each store's driver, durability, limits, revision and
// capabilities.
TEST_P(KvdEndToEndTest, DescribeSaysWhatEachStoreIs) {
  const uint32_t store = OpenOrDie("default");
  uint64_t written = 0;
  ASSERT_TRUE(client_->Set(store, "k", "v", std::nullopt, &written).ok());
  struct Expected {
    std::string name;
    std::string driver;
    v1::Durability durability;
  };
  for (const Expected& expected :
       {Expected{"default", "sqlite", v1::DURABILITY_DISK},
        Expected{"cache", "memory", v1::DURABILITY_NONE}}) {
    SCOPED_TRACE(expected.name);
    v1::DescribeResponse description;
    CallResult described =
        client_->Describe(OpenOrDie(expected.name), &description);
    ASSERT_TRUE(described.ok()) << described.status.error_message();
    EXPECT_EQ(description.name(), expected.name);
    EXPECT_EQ(description.driver(), expected.driver);
    EXPECT_EQ(description.durability(), expected.durability);
    EXPECT_EQ(description.limits().max_key_bytes(), 256u);
    EXPECT_EQ(description.limits().max_value_bytes(), 1u << 20);
    EXPECT_EQ(description.limits().max_batch_entries(), 1000u);
    EXPECT_EQ(description.limits().max_batch_bytes(), (4u << 20) - (16u << 10));
    EXPECT_EQ(description.revision(), expected.name == "default" ? written : 0);
    EXPECT_THAT(
        description.capabilities(),
        ElementsAre(v1::CAPABILITY_REVISIONS, v1::CAPABILITY_CONDITIONAL_WRITES,
                    v1::CAPABILITY_INCREMENT, v1::CAPABILITY_ATOMIC_BATCHES,
                    v1::CAPABILITY_TTL, v1::CAPABILITY_LIST_PAGES));
    EXPECT_EQ(description.limits().max_ttl().seconds(), 3650 * 24 * 3600);
    EXPECT_EQ(description.limits().max_page_size(), 10000u);
    EXPECT_FALSE(description.read_only());
  }
}

TEST_P(KvdEndToEndTest, OneMebibyteValueRoundTrips) {
  const uint32_t store = OpenOrDie("default");
  std::string big(1 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 131);
  ASSERT_TRUE(client_->Set(store, "big", big).ok());
  std::string value;
  ASSERT_TRUE(client_->Get(store, "big", &value).ok());
  EXPECT_EQ(value, big);
}

TEST_P(KvdEndToEndTest, StoresDoNotShareKeys) {
  const uint32_t main_store = OpenOrDie("default");
  const uint32_t cache = OpenOrDie("cache");
  ASSERT_TRUE(client_->Set(cache, "k", "cached").ok());
  ExpectError(client_->Get(main_store, "k", nullptr), grpc::NOT_FOUND,
              v1::ERROR_CODE_NO_SUCH_KEY, "NO_SUCH_KEY");
}

TEST_P(KvdEndToEndTest, MissingKeyIsNoSuchKey) {
  const uint32_t store = OpenOrDie("default");
  ExpectError(client_->Get(store, "ghost", nullptr), grpc::NOT_FOUND,
              v1::ERROR_CODE_NO_SUCH_KEY,
              "NO_SUCH_KEY: key \"ghost\" does not exist in store \"default\"");
}

TEST_P(KvdEndToEndTest, UndefinedStoreIsNoSuchStore) {
  ExpectError(client_->Open("nope", nullptr), grpc::NOT_FOUND,
              v1::ERROR_CODE_NO_SUCH_STORE,
              "NO_SUCH_STORE: store \"nope\" is not defined");
}

TEST_P(KvdEndToEndTest, UnwritableStoreIsIo) {
  ExpectError(client_->Open("broken", nullptr), grpc::UNAVAILABLE,
              v1::ERROR_CODE_IO, "/dev/null/broken.db");
}

TEST_P(KvdEndToEndTest, MissingStoreFieldIsInvalidStore) {
  ExpectError(client_->Get(0, "k", nullptr), grpc::FAILED_PRECONDITION,
              v1::ERROR_CODE_INVALID_STORE, "\"store\" field is unset");
}

TEST_P(KvdEndToEndTest, NeverIssuedHandleIsInvalidStore) {
  ExpectError(client_->Set(987654, "k", "v"), grpc::FAILED_PRECONDITION,
              v1::ERROR_CODE_INVALID_STORE, "store handle 987654 is not open");
}

TEST_P(KvdEndToEndTest, ClosedHandleIsInvalidStoreAndCloseIsIdempotent) {
  const uint32_t store = OpenOrDie("default");
  ASSERT_TRUE(client_->Close(store).ok());
  EXPECT_TRUE(client_->Close(store).ok());
  EXPECT_TRUE(client_->Close(424242).ok());
  ExpectError(client_->Get(store, "k", nullptr), grpc::FAILED_PRECONDITION,
              v1::ERROR_CODE_INVALID_STORE, "is not open");
  ExpectError(client_->GetKeys(store, nullptr), grpc::FAILED_PRECONDITION,
              v1::ERROR_CODE_INVALID_STORE, "is not open");
}

TEST_P(KvdEndToEndTest, TwoHundredFiftySeventhOpenIsStoreTableFull) {
  std::vector<uint32_t> handles;
  for (int i = 0; i < 256; ++i) handles.push_back(OpenOrDie("cache"));
  ExpectError(client_->Open("cache", nullptr), grpc::RESOURCE_EXHAUSTED,
              v1::ERROR_CODE_STORE_TABLE_FULL, "256 open store handles");
  // Closing one makes room for one more.
  ASSERT_TRUE(client_->Close(handles.back()).ok());
  EXPECT_TRUE(client_->Open("cache", nullptr).ok());
}

TEST_P(KvdEndToEndTest, OversizeKeyIsInvalidArgument) {
  const uint32_t store = OpenOrDie("default");
  ExpectError(client_->Set(store, std::string(257, 'k'), "v"),
              grpc::INVALID_ARGUMENT, v1::ERROR_CODE_IO,
              "257 bytes, over the limit of 256");
  EXPECT_TRUE(client_->Set(store, std::string(256, 'k'), "v").ok());
}

TEST_P(KvdEndToEndTest, EmptyKeyIsInvalidArgument) {
  const uint32_t store = OpenOrDie("default");
  ExpectError(client_->Set(store, "", "v"), grpc::INVALID_ARGUMENT,
              v1::ERROR_CODE_IO, "the key is empty");
}

TEST_P(KvdEndToEndTest, OversizeValueIsInvalidArgumentAndNothingIsStored) {
  const uint32_t store = OpenOrDie("default");
  ExpectError(client_->Set(store, "k", std::string((1 << 20) + 1, 'v')),
              grpc::INVALID_ARGUMENT, v1::ERROR_CODE_IO,
              "1048577 bytes, over the limit of 1048576");
  bool exists = true;
  ASSERT_TRUE(client_->Exists(store, "k", &exists).ok());
  EXPECT_FALSE(exists);
}

TEST_P(KvdEndToEndTest, NonUtf8KeyIsInvalidArgumentNamingTheField) {
  const uint32_t store = OpenOrDie("default");
  ExpectError(client_->Set(store, "bad\xFFkey", "v"), grpc::INVALID_ARGUMENT,
              v1::ERROR_CODE_IO,
              "field \"key\" of kv.v1.SetRequest is not valid UTF-8 (at byte "
              "3)");
  ExpectError(client_->Open("\xC0\xAF", nullptr), grpc::INVALID_ARGUMENT,
              v1::ERROR_CODE_IO, "field \"name\" of kv.v1.OpenRequest");
}

TEST_P(KvdEndToEndTest, HealthIsServingAndUnavailableStoresAreNot) {
  auto health = grpc::health::v1::Health::NewStub(kvd_->NewChannel());
  auto status_of = [&](const std::string& service) {
    grpc::ClientContext context;
    grpc::health::v1::HealthCheckRequest request;
    request.set_service(service);
    grpc::health::v1::HealthCheckResponse response;
    grpc::Status status = health->Check(&context, request, &response);
    EXPECT_TRUE(status.ok()) << service << ": " << status.error_message();
    return response.status();
  };
  using grpc::health::v1::HealthCheckResponse;
  EXPECT_EQ(status_of(""), HealthCheckResponse::SERVING);
  EXPECT_EQ(status_of("kv.v1.KeyValue"), HealthCheckResponse::SERVING);
  EXPECT_EQ(status_of("store:default"), HealthCheckResponse::SERVING);
  EXPECT_EQ(status_of("store:cache"), HealthCheckResponse::SERVING);
  EXPECT_EQ(status_of("store:broken"), HealthCheckResponse::NOT_SERVING);
}

INSTANTIATE_TEST_SUITE_P(Transports, KvdEndToEndTest,
                         ::testing::Values(Transport::kTcp, Transport::kUnix),
                         [](const auto& info) {
                           return info.param == Transport::kTcp ? "Tcp"
                                                                : "UnixSocket";
                         });

}  // namespace
}  // namespace kv::testing
