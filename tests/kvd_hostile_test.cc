// Hostile calls against a real kvd, on every backend: each gets a precise
// error (or, for strange but valid keys, exact storage) and does no damage.
//
// One kvd serves a "hostile" store and a "sentinel" store per backend:
// SQLite, memory, Redis (both stores in one Redis database) and PostgreSQL
// (both in one table), on servers the test starts. The sentinels are filled
// before any test runs; after the last one, the environment checks that
// every sentinel holds exactly what it did, that health is SERVING, and that
// kvd still stops cleanly on SIGTERM.
//
// A second kvd, configured with [[client]] tokens and grants, takes the
// hostile callers of identity: missing, malformed, unknown and revoked
// tokens, another client's handles, stores outside the grants, writes
// through a read-only grant, and one client filling its handle table. Its
// sentinels are checked after the last test in the same way.

#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/client_context.h"
#include "gtest/gtest.h"
#include "kv/v1/kv.pb.h"
#include "store/testing/postgres_server.h"
#include "store/testing/redis_server.h"
#include "tests/kv_test_client.h"
#include "tests/kvd_process.h"
#include "tests/raw_call.h"

namespace kv::testing {
namespace {

using ::testing::AllOf;
using ::testing::AnyOf;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::UnorderedElementsAreArray;

// The default limits, which this kvd runs with.
constexpr size_t kMaxKeyBytes = 256;
constexpr size_t kMaxValueBytes = 1 << 20;
constexpr size_t kMaxOpenStores = 256;
constexpr size_t kMaxBatchEntries = 1000;
constexpr size_t kMaxBatchBytes = (4 << 20) - (16 << 10);

// One backend under test: the store the hostile calls target and the
// sentinel store that shares its backend.
struct Backend {
  std::string name;     // For test names.
  std::string hostile;  // Store names in kvd's config.
  std::string sentinel;
};

const std::vector<Backend>& Backends() {
  static const auto* backends = new std::vector<Backend>{
      {"sqlite", "default", "sqlite_sentinel"},
      {"memory", "cache", "memory_sentinel"},
      {"redis", "sessions", "redis_sentinel"},
      {"postgres", "orders", "postgres_sentinel"},
  };
  return *backends;
}

// Keys that mean something to a SQL LIKE, a Redis glob, a shell, a path, a
// format string or a C string. Each is a valid key (1 to 256 bytes of
// UTF-8; U+0000 is UTF-8 too) and must be stored as exactly itself.
const std::vector<std::string>& HostileKeys() {
  static const auto* keys = new std::vector<std::string>{
      "%",
      "_",
      "a%",
      "a_",
      "*",
      "a*",
      "?",
      "[a]",
      "[",
      "]",
      "[^a]",
      "..",
      "../../etc/passwd",
      "/",
      "'",
      "\"",
      ";",
      "--",
      "\\",
      "a\\*",
      "' OR '1'='1",
      "'; DROP TABLE kvd_kv; --",
      "%s%n%x",
      std::string("\0", 1),
      std::string("a\0b", 3),
      std::string("a\0", 2),
      "kvd:{redis_sentinel}:a",
      " ",
      "\n",
      "\xF0\x9F\x98\x80",  // U+1F600, a 4-byte sequence.
  };
  return *keys;
}

// Keys a careless pattern would match: every hostile key above, if it were
// a pattern, matches at least one of these.
const std::vector<std::string>& NeighborKeys() {
  static const auto* keys = new std::vector<std::string>{
      "a", "ab", "abc", "a%b", "x_y", "xzy", "etc", "passwd", "1", "b\\c",
  };
  return *keys;
}

std::string SentinelValue(const std::string& store, const std::string& key) {
  return absl::StrCat("sentinel of ", store, ": ", key,
                      std::string("\0\xFF", 2));
}

// Every key the sentinels hold: the neighbors and the hostile keys.
std::vector<std::string> SentinelKeys() {
  std::vector<std::string> keys = NeighborKeys();
  keys.insert(keys.end(), HostileKeys().begin(), HostileKeys().end());
  return keys;
}

// Expects store `name`, opened by `client`, to hold exactly the sentinel
// keys, each with its sentinel value.
void ExpectSentinelIntact(KvTestClient& client, const std::string& name) {
  SCOPED_TRACE(name);
  uint32_t store = 0;
  CallResult open = client.Open(name, &store);
  ASSERT_TRUE(open.ok()) << open.status.error_message();
  std::vector<std::string> keys;
  CallResult listed = client.GetKeys(store, &keys);
  ASSERT_TRUE(listed.ok()) << listed.status.error_message();
  EXPECT_THAT(keys, UnorderedElementsAreArray(SentinelKeys()));
  for (const std::string& key : SentinelKeys()) {
    std::string value;
    CallResult get = client.Get(store, key, &value);
    EXPECT_TRUE(get.ok()) << get.status.error_message();
    EXPECT_EQ(value, SentinelValue(name, key));
  }
  client.Close(store);
}

// Expects kvd's health service to answer SERVING for every service named.
void ExpectServing(const KvdProcess& kvd,
                   const std::vector<std::string>& services) {
  auto health = grpc::health::v1::Health::NewStub(kvd.NewChannel());
  for (const std::string& service : services) {
    grpc::ClientContext context;
    grpc::health::v1::HealthCheckRequest request;
    request.set_service(service);
    grpc::health::v1::HealthCheckResponse response;
    grpc::Status status = health->Check(&context, request, &response);
    EXPECT_TRUE(status.ok()) << service << ": " << status.error_message();
    EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING)
        << service;
  }
}

// Redis, PostgreSQL and kvd for the whole test binary.
class HostileEnvironment : public ::testing::Environment {
 public:
  static HostileEnvironment* instance;

  void SetUp() override {
    auto redis = RedisServer::Launch();
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = *std::move(redis);
    auto postgres = PostgresServer::Create();
    ASSERT_TRUE(postgres.ok()) << postgres.status();
    postgres_ = *std::move(postgres);

    const std::string dir = NewTempDir("hostile");
    WriteFile(dir + "/kvd.toml",
              absl::StrCat(R"(
[key_value_store.sqlite_sentinel]
type = "sqlite"

[key_value_store.cache]
type = "memory"

[key_value_store.memory_sentinel]
type = "memory"
)",
                           RedisStore("sessions"), RedisStore("redis_sentinel"),
                           PostgresStore("orders"),
                           PostgresStore("postgres_sentinel")));
    auto kvd = KvdProcess::Start({"--listen=127.0.0.1:0",
                                  "--config=" + dir + "/kvd.toml",
                                  "--data-dir=" + dir + "/data"});
    ASSERT_TRUE(kvd.ok()) << kvd.status();
    kvd_ = *std::move(kvd);

    KvTestClient client(kvd_->NewChannel());
    for (const Backend& backend : Backends()) {
      uint32_t store = 0;
      ASSERT_TRUE(client.Open(backend.sentinel, &store).ok());
      for (const std::string& key : SentinelKeys()) {
        ASSERT_TRUE(
            client.Set(store, key, SentinelValue(backend.sentinel, key)).ok());
      }
      ASSERT_TRUE(client.Close(store).ok());
    }
  }

  // After every test: the sentinels are intact, health is SERVING, and kvd
  // still shuts down cleanly.
  void TearDown() override {
    if (kvd_ == nullptr) return;
    KvTestClient client(kvd_->NewChannel());
    std::vector<std::string> services = {"", "kv.v1.KeyValue"};
    for (const Backend& backend : Backends()) {
      ExpectSentinelIntact(client, backend.sentinel);
      services.push_back("store:" + backend.hostile);
      services.push_back("store:" + backend.sentinel);
    }
    ExpectServing(*kvd_, services);

    absl::StatusOr<int> exit_code = kvd_->Stop(SIGTERM, absl::Seconds(30));
    ASSERT_TRUE(exit_code.ok()) << exit_code.status();
    EXPECT_EQ(*exit_code, 0);
    kvd_.reset();
  }

  KvdProcess& kvd() { return *kvd_; }

 private:
  std::string RedisStore(const std::string& name) const {
    return absl::StrCat("\n[key_value_store.", name, "]\ntype = \"redis\"\n",
                        "url = \"", redis_->url(), "\"\ntimeout = \"10s\"\n");
  }
  std::string PostgresStore(const std::string& name) const {
    return absl::StrCat("\n[key_value_store.", name,
                        "]\ntype = \"postgres\"\nurl = \"", postgres_->url(),
                        "\"\ntimeout = \"10s\"\n");
  }

  std::unique_ptr<RedisServer> redis_;
  std::unique_ptr<PostgresServer> postgres_;
  std::unique_ptr<KvdProcess> kvd_;
};

HostileEnvironment* HostileEnvironment::instance =
    static_cast<HostileEnvironment*>(
        ::testing::AddGlobalTestEnvironment(new HostileEnvironment));

// Protobuf wire encoding, for requests the generated code would not build.
std::string Varint(uint64_t value) {
  std::string bytes;
  for (; value >= 0x80; value >>= 7) {
    bytes.push_back(static_cast<char>((value & 0x7F) | 0x80));
  }
  bytes.push_back(static_cast<char>(value));
  return bytes;
}
std::string VarintField(int number, uint64_t value) {
  return absl::StrCat(Varint(number << 3), Varint(value));
}
std::string LengthDelimitedField(int number, const std::string& bytes) {
  return absl::StrCat(Varint((number << 3) | 2), Varint(bytes.size()), bytes);
}

// Checks a failed call's gRPC code, ErrorCode trailer and message.
void ExpectError(const CallResult& result, grpc::StatusCode code,
                 v1::ErrorCode error_code,
                 const std::vector<std::string>& message_parts) {
  EXPECT_EQ(result.status.error_code(), code) << result.status.error_message();
  EXPECT_EQ(result.error_code, error_code)
      << v1::ErrorCode_Name(result.error_code);
  for (const std::string& part : message_parts) {
    EXPECT_THAT(result.status.error_message(), HasSubstr(part));
  }
}

// A client on kvd, and the handles it opens, all closed at the end of the
// test: every caller is the same principal, so a leaked handle would count
// against the next test's table.
class HostileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    channel_ = HostileEnvironment::instance->kvd().NewChannel();
    client_ = std::make_unique<KvTestClient>(channel_);
  }
  void TearDown() override {
    for (uint32_t handle : opened_) client_->Close(handle);
  }

  uint32_t OpenOrDie(const std::string& name) {
    uint32_t store = 0;
    CallResult result = client_->Open(name, &store);
    EXPECT_TRUE(result.ok()) << name << ": " << result.status.error_message();
    opened_.push_back(store);
    return store;
  }

  RawCallResult Raw(const std::string& rpc, const std::string& bytes) {
    return RawUnaryCall(*channel_, KeyValueMethod(rpc), bytes);
  }

  // The keys of `store`, which must list.
  std::vector<std::string> KeysOf(uint32_t store) {
    std::vector<std::string> keys;
    CallResult result = client_->GetKeys(store, &keys);
    EXPECT_TRUE(result.ok()) << result.status.error_message();
    return keys;
  }

  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<KvTestClient> client_;
  std::vector<uint32_t> opened_;
};

// A test per backend, on its hostile store, which it leaves empty.
class HostileBackendTest : public HostileTest,
                           public ::testing::WithParamInterface<Backend> {
 protected:
  void SetUp() override {
    HostileTest::SetUp();
    store_ = OpenOrDie(GetParam().hostile);
    for (const std::string& key : KeysOf(store_)) client_->Delete(store_, key);
  }
  void TearDown() override {
    for (const std::string& key : KeysOf(store_)) client_->Delete(store_, key);
    HostileTest::TearDown();
  }

  uint32_t store_ = 0;
};

// Each hostile key, with only the neighbors beside it: Set, Get, Exists and
// GetKeys see exactly that key, and Delete removes it and nothing else.
TEST_P(HostileBackendTest, StrangeKeysAreStoredExactlyAndMatchNothingElse) {
  for (const std::string& key : NeighborKeys()) {
    ASSERT_TRUE(client_->Set(store_, key, "neighbor " + key).ok());
  }
  for (const std::string& key : HostileKeys()) {
    SCOPED_TRACE(absl::StrCat("key \"", absl::CHexEscape(key), "\""));
    // Before it is set, nothing answers for it: not a pattern match.
    bool exists = true;
    ASSERT_TRUE(client_->Exists(store_, key, &exists).ok());
    EXPECT_FALSE(exists);
    std::string value;
    EXPECT_EQ(client_->Get(store_, key, &value).error_code,
              v1::ERROR_CODE_NO_SUCH_KEY);
    ASSERT_TRUE(client_->Delete(store_, key).ok());
    EXPECT_THAT(KeysOf(store_), UnorderedElementsAreArray(NeighborKeys()));

    const std::string stored = "value of " + key;
    ASSERT_TRUE(client_->Set(store_, key, stored).ok());
    CallResult get = client_->Get(store_, key, &value);
    ASSERT_TRUE(get.ok()) << get.status.error_message();
    EXPECT_EQ(value, stored);
    ASSERT_TRUE(client_->Exists(store_, key, &exists).ok());
    EXPECT_TRUE(exists);
    std::vector<std::string> expected = NeighborKeys();
    expected.push_back(key);
    EXPECT_THAT(KeysOf(store_), UnorderedElementsAreArray(expected));

    ASSERT_TRUE(client_->Delete(store_, key).ok());
    EXPECT_EQ(client_->Get(store_, key, &value).error_code,
              v1::ERROR_CODE_NO_SUCH_KEY);
    EXPECT_THAT(KeysOf(store_), UnorderedElementsAreArray(NeighborKeys()));
  }
  for (const std::string& key : NeighborKeys()) {
    std::string value;
    ASSERT_TRUE(client_->Get(store_, key, &value).ok()) << key;
    EXPECT_EQ(value, "neighbor " + key);
  }
}

// All hostile keys at once, then deleted one by one: each Delete removes
// exactly one key.
TEST_P(HostileBackendTest, DeletingStrangeKeysRemovesOneKeyEach) {
  std::vector<std::string> left = HostileKeys();
  for (const std::string& key : left) {
    ASSERT_TRUE(client_->Set(store_, key, key).ok());
  }
  EXPECT_THAT(KeysOf(store_), UnorderedElementsAreArray(left));
  while (!left.empty()) {
    const std::string key = left.back();
    left.pop_back();
    ASSERT_TRUE(client_->Delete(store_, key).ok());
    EXPECT_THAT(KeysOf(store_), UnorderedElementsAreArray(left))
        << "after deleting \"" << absl::CHexEscape(key) << "\"";
  }
}

// Keys and values at their limits are stored; one byte more is refused with
// a message giving the size and the limit, and stores nothing.
TEST_P(HostileBackendTest, OversizeKeysAndValuesAreRefused) {
  const std::string longest_key(kMaxKeyBytes, 'k');
  const std::string largest_value(kMaxValueBytes, '\xAB');
  ASSERT_TRUE(client_->Set(store_, longest_key, largest_value).ok());
  std::string value;
  ASSERT_TRUE(client_->Get(store_, longest_key, &value).ok());
  EXPECT_EQ(value, largest_value);

  const std::string too_long(kMaxKeyBytes + 1, 'k');
  for (const CallResult& result : {client_->Set(store_, too_long, "v"),
                                   client_->Get(store_, too_long, &value),
                                   client_->Exists(store_, too_long, nullptr),
                                   client_->Delete(store_, too_long)}) {
    ExpectError(result, grpc::INVALID_ARGUMENT, v1::ERROR_CODE_IO,
                {"is 257 bytes, over the limit of 256 (limits.max_key_bytes)"});
  }
  ExpectError(client_->Set(store_, "big", std::string(kMaxValueBytes + 1, 'v')),
              grpc::INVALID_ARGUMENT, v1::ERROR_CODE_IO,
              {"the value for key \"big\" is 1048577 bytes, over the limit of "
               "1048576 (limits.max_value_bytes)"});
  EXPECT_THAT(KeysOf(store_), UnorderedElementsAreArray({longest_key}));
}

// Invalid UTF-8 in a key is refused naming the field and the byte, on every
// method that takes a key, and stores nothing.
TEST_P(HostileBackendTest, InvalidUtf8KeysAreRefusedNamingTheField) {
  const std::vector<std::string> bad_keys = {
      "\xFF", "a\xC3", "\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80"};
  for (const std::string& key : bad_keys) {
    for (const std::string rpc : {"Set", "Get", "Delete", "Exists"}) {
      SCOPED_TRACE(absl::StrCat(rpc, " \"", absl::CHexEscape(key), "\""));
      // Encoded by hand: protobuf would log an error serializing these.
      std::string bytes =
          absl::StrCat(VarintField(1, store_), LengthDelimitedField(2, key));
      if (rpc == "Set") absl::StrAppend(&bytes, LengthDelimitedField(3, "v"));
      ExpectError(Raw(rpc, bytes), grpc::INVALID_ARGUMENT, v1::ERROR_CODE_IO,
                  {absl::StrCat("field \"key\" of kv.v1.", rpc, "Request"),
                   "is not valid UTF-8 (at byte"});
    }
  }
  EXPECT_TRUE(KeysOf(store_).empty());
}

// `count` distinct keys "NAME-00000", "NAME-00001", ...
std::vector<std::string> NumberedKeys(const std::string& name, int count) {
  std::vector<std::string> keys;
  keys.reserve(count);
  for (int i = 0; i < count; ++i) {
    keys.push_back(absl::StrFormat("%s-%05d", name, i));
  }
  return keys;
}

std::vector<v1::SetEntry> EntriesFor(const std::vector<std::string>& keys,
                                     const std::string& value) {
  std::vector<v1::SetEntry> entries;
  entries.reserve(keys.size());
  for (const std::string& key : keys) {
    entries.push_back(MakeSetEntry(key, value));
  }
  return entries;
}

// A batch of exactly the entry limit is served; one entry more, and a
// 10,000-entry batch, are refused on all three batch methods with a message
// that names the limit, and apply nothing. kvd serves on afterwards.
TEST_P(HostileBackendTest, BatchesOverTheEntryLimitAreRefusedNamingIt) {
  const std::vector<std::string> at_limit =
      NumberedKeys("limit", static_cast<int>(kMaxBatchEntries));
  std::vector<uint64_t> revisions;
  CallResult set =
      client_->SetMany(store_, EntriesFor(at_limit, "v"), &revisions);
  ASSERT_TRUE(set.ok()) << set.status.error_message();
  ASSERT_EQ(revisions.size(), kMaxBatchEntries);
  EXPECT_TRUE(std::is_sorted(revisions.begin(), revisions.end()));
  std::vector<v1::Entry> entries;
  CallResult get = client_->GetMany(store_, at_limit, &entries);
  ASSERT_TRUE(get.ok()) << get.status.error_message();
  ASSERT_EQ(entries.size(), kMaxBatchEntries);
  for (size_t i = 0; i < entries.size(); ++i) {
    EXPECT_EQ(entries[i].key(), at_limit[i]);
    EXPECT_TRUE(entries[i].found());
    EXPECT_EQ(entries[i].revision(), revisions[i]);
  }

  for (int count : {static_cast<int>(kMaxBatchEntries) + 1, 10000}) {
    SCOPED_TRACE(absl::StrCat(count, " entries"));
    const std::vector<std::string> keys = NumberedKeys("over", count);
    const std::string limit =
        absl::StrCat("has ", count,
                     " entries, over the limit of 1000 "
                     "(limits.max_batch_entries); split the batch");
    ExpectError(client_->SetMany(store_, EntriesFor(keys, "v"), &revisions),
                grpc::INVALID_ARGUMENT, v1::ERROR_CODE_IO,
                {"IO: SetMany " + limit});
    EXPECT_TRUE(revisions.empty());
    ExpectError(client_->GetMany(store_, keys, &entries),
                grpc::INVALID_ARGUMENT, v1::ERROR_CODE_IO,
                {"IO: GetMany " + limit});
    // Over the limit even though most of its keys are there to delete.
    std::vector<std::string> deletes = at_limit;
    for (const std::string& key :
         NumberedKeys("over", count - static_cast<int>(kMaxBatchEntries))) {
      deletes.push_back(key);
    }
    ExpectError(client_->DeleteMany(store_, deletes, &revisions),
                grpc::INVALID_ARGUMENT, v1::ERROR_CODE_IO,
                {"IO: DeleteMany " + limit});
    EXPECT_EQ(KeysOf(store_).size(), kMaxBatchEntries)
        << "a refused batch changed the store";
  }
  ExpectServing(HostileEnvironment::instance->kvd(),
                {"kv.v1.KeyValue", "store:" + GetParam().hostile});
  CallResult deleted = client_->DeleteMany(store_, at_limit, &revisions);
  ASSERT_TRUE(deleted.ok()) << deleted.status.error_message();
  EXPECT_TRUE(KeysOf(store_).empty());
}

// A SetMany whose keys and values pass limits.max_batch_bytes is refused
// naming the limit and the entry that passed it, and applies nothing; a
// GetMany whose values would pass it is RESOURCE_EXHAUSTED naming the same.
TEST_P(HostileBackendTest, BatchesOverTheByteLimitAreRefusedNamingIt) {
  const std::string mebibyte(kMaxValueBytes, '\x5A');
  const std::vector<std::string> keys = NumberedKeys("big", 4);
  // 4 MiB of values: past the limit at the fourth entry, within gRPC's.
  ExpectError(
      client_->SetMany(store_, EntriesFor(keys, mebibyte), nullptr),
      grpc::INVALID_ARGUMENT, v1::ERROR_CODE_IO,
      {absl::StrCat("IO: SetMany has more than ", kMaxBatchBytes,
                    " bytes of keys and values (limits.max_batch_bytes), "
                    "reached at entry 3; split the batch")});
  EXPECT_TRUE(KeysOf(store_).empty());

  // Three fit in a batch, and in a GetMany; with the fourth, the response
  // would not.
  const std::vector<std::string> three(keys.begin(), keys.begin() + 3);
  ASSERT_TRUE(
      client_->SetMany(store_, EntriesFor(three, mebibyte), nullptr).ok());
  ASSERT_TRUE(client_->Set(store_, keys[3], mebibyte).ok());
  std::vector<v1::Entry> entries;
  CallResult get = client_->GetMany(store_, three, &entries);
  ASSERT_TRUE(get.ok()) << get.status.error_message();
  ASSERT_EQ(entries.size(), 3u);
  for (const v1::Entry& entry : entries) EXPECT_EQ(entry.value(), mebibyte);
  ExpectError(client_->GetMany(store_, keys, &entries),
              grpc::RESOURCE_EXHAUSTED, v1::ERROR_CODE_IO,
              {absl::StrCat("store \"", GetParam().hostile,
                            "\": GetMany of 4 "
                            "keys: the values pass ",
                            kMaxBatchBytes,
                            " bytes (limits.max_batch_bytes) at entry 3 "
                            "(key \"big-00003\"); ask for fewer keys per "
                            "call")});
  ASSERT_TRUE(client_->DeleteMany(store_, keys, nullptr).ok());
}

// A key twice in one batch is refused naming the key and both entries, on
// all three batch methods, and nothing applies. Keys that only look alike
// (a NUL after them, another case, another Unicode normalization) are
// different keys, not duplicates.
TEST_P(HostileBackendTest, DuplicateKeysInABatchAreRefusedAndApplyNothing) {
  ASSERT_TRUE(client_->Set(store_, "p", "kept").ok());
  ASSERT_TRUE(client_->Set(store_, "q", "kept").ok());
  const std::string twice =
      "twice (entries 0 and 2); each key may appear once in a batch";
  ExpectError(client_->SetMany(store_,
                               {MakeSetEntry("a", "1"), MakeSetEntry("b", "2"),
                                MakeSetEntry("a", "3")},
                               nullptr),
              grpc::INVALID_ARGUMENT, v1::ERROR_CODE_IO,
              {"IO: SetMany has key \"a\" " + twice});
  ExpectError(client_->GetMany(store_, {"p", "q", "p"}, nullptr),
              grpc::INVALID_ARGUMENT, v1::ERROR_CODE_IO,
              {"IO: GetMany has key \"p\" " + twice});
  ExpectError(client_->DeleteMany(store_, {"q", "p", "q"}, nullptr),
              grpc::INVALID_ARGUMENT, v1::ERROR_CODE_IO,
              {"IO: DeleteMany has key \"q\" " + twice});
  // A NUL inside the key, and the duplicate far from the first.
  std::vector<std::string> far = NumberedKeys("far", 500);
  far.push_back(std::string("n\0ul", 4));
  far.push_back("far-00000");
  ExpectError(client_->SetMany(store_, EntriesFor(far, "v"), nullptr),
              grpc::INVALID_ARGUMENT, v1::ERROR_CODE_IO,
              {"IO: SetMany has key \"far-00000\" twice (entries 0 and 501)"});
  EXPECT_THAT(KeysOf(store_), UnorderedElementsAreArray({"p", "q"}));
  std::string value;
  ASSERT_TRUE(client_->Get(store_, "p", &value).ok());
  EXPECT_EQ(value, "kept");

  const std::vector<std::string> alike = {
      "a", std::string("a\0", 2), "A", "\xC3\xA9", "e\xCC\x81", "a "};
  std::vector<uint64_t> revisions;
  CallResult set = client_->SetMany(store_, EntriesFor(alike, "x"), &revisions);
  ASSERT_TRUE(set.ok()) << set.status.error_message();
  EXPECT_EQ(revisions.size(), alike.size());
  std::vector<v1::Entry> entries;
  ASSERT_TRUE(client_->GetMany(store_, alike, &entries).ok());
  ASSERT_EQ(entries.size(), alike.size());
  for (size_t i = 0; i < alike.size(); ++i) {
    EXPECT_EQ(entries[i].key(), alike[i]);
    EXPECT_EQ(entries[i].revision(), revisions[i]);
  }
  ASSERT_TRUE(client_->DeleteMany(store_, alike, &revisions).ok());
  for (uint64_t revision : revisions) EXPECT_GT(revision, 0u);
}

// Every hostile key and neighbor in one SetMany, read back with GetMany in
// reverse order: exact keys, values and order; a pattern-like key that is
// not there is not found, whatever it would match.
TEST_P(HostileBackendTest, StrangeKeysRoundTripThroughBatches) {
  std::vector<std::string> keys = SentinelKeys();
  std::vector<v1::SetEntry> batch;
  for (const std::string& key : keys) {
    batch.push_back(MakeSetEntry(key, "batch value of " + key));
  }
  ASSERT_TRUE(client_->SetMany(store_, batch, nullptr).ok());
  std::reverse(keys.begin(), keys.end());
  keys.push_back("a%b_*");  // Absent; a pattern for several present keys.
  std::vector<v1::Entry> entries;
  CallResult get = client_->GetMany(store_, keys, &entries);
  ASSERT_TRUE(get.ok()) << get.status.error_message();
  ASSERT_EQ(entries.size(), keys.size());
  for (size_t i = 0; i + 1 < keys.size(); ++i) {
    SCOPED_TRACE(absl::CHexEscape(keys[i]));
    EXPECT_EQ(entries[i].key(), keys[i]);
    EXPECT_TRUE(entries[i].found());
    EXPECT_EQ(entries[i].value(), "batch value of " + keys[i]);
  }
  EXPECT_FALSE(entries.back().found());
  EXPECT_EQ(entries.back().revision(), 0u);
  keys.pop_back();
  ASSERT_TRUE(client_->DeleteMany(store_, keys, nullptr).ok());
  EXPECT_TRUE(KeysOf(store_).empty());
}

// Increments a client cannot mean: an empty, oversize or non-UTF-8 key, in
// the request or in a batch; each refused naming what was wrong, storing
// nothing.
TEST_P(HostileBackendTest, MalformedIncrementsAreRefusedPrecisely) {
  int64_t value = 0;
  ExpectError(client_->Increment(store_, "", 1, &value), grpc::INVALID_ARGUMENT,
              v1::ERROR_CODE_IO,
              {"IO: the key is empty; keys are 1 or more bytes"});
  ExpectError(
      client_->Increment(store_, std::string(kMaxKeyBytes + 1, 'k'), 1, &value),
      grpc::INVALID_ARGUMENT, v1::ERROR_CODE_IO,
      {"is 257 bytes, over the limit of 256 (limits.max_key_bytes)"});
  for (const std::string& key :
       {std::string("\xFF"), std::string("a\xC3"), std::string("\xED\xA0\x80"),
        std::string("\xF4\x90\x80\x80")}) {
    SCOPED_TRACE(absl::CHexEscape(key));
    ExpectError(Raw("Increment", absl::StrCat(VarintField(1, store_),
                                              LengthDelimitedField(2, key),
                                              VarintField(3, 1))),
                grpc::INVALID_ARGUMENT, v1::ERROR_CODE_IO,
                {"field \"key\" of kv.v1.IncrementRequest is not valid UTF-8 "
                 "(at byte"});
    ExpectError(Raw("GetMany", absl::StrCat(VarintField(1, store_),
                                            LengthDelimitedField(2, "ok"),
                                            LengthDelimitedField(2, key))),
                grpc::INVALID_ARGUMENT, v1::ERROR_CODE_IO,
                {"field \"keys[1]\" of kv.v1.GetManyRequest is not valid "
                 "UTF-8 (at byte"});
    ExpectError(Raw("DeleteMany", absl::StrCat(VarintField(1, store_),
                                               LengthDelimitedField(2, key))),
                grpc::INVALID_ARGUMENT, v1::ERROR_CODE_IO,
                {"field \"keys[0]\" of kv.v1.DeleteManyRequest is not valid "
                 "UTF-8 (at byte"});
    // In a SetEntry, a nested message: kvd names the entry and its field.
    ExpectError(
        Raw("SetMany",
            absl::StrCat(VarintField(1, store_),
                         LengthDelimitedField(
                             2, absl::StrCat(LengthDelimitedField(1, key),
                                             LengthDelimitedField(2, "v"))))),
        grpc::INVALID_ARGUMENT, v1::ERROR_CODE_IO,
        {"field \"entries[0].key\" of kv.v1.SetManyRequest is not valid "
         "UTF-8 (at byte"});
  }
  EXPECT_TRUE(KeysOf(store_).empty());
}

// Increments of values that are not canonical int64 text (NOT_AN_INTEGER)
// or whose result leaves int64 (OUT_OF_RANGE): each names the store and the
// key, and leaves the value and its revision as they were.
TEST_P(HostileBackendTest, IncrementsOfNonCountersAndOverflowsChangeNothing) {
  struct Case {
    std::string value;
    int64_t delta;
    grpc::StatusCode code;
    v1::ErrorCode error_code;
    std::string message;
  };
  const std::string not_integer =
      "its value is not a decimal int64 such as \"42\" or \"-7\"";
  const std::string overflow = "the result would not fit in an int64";
  const std::vector<Case> cases = {
      {"abc", 1, grpc::FAILED_PRECONDITION, v1::ERROR_CODE_NOT_AN_INTEGER,
       not_integer},
      {"", 1, grpc::FAILED_PRECONDITION, v1::ERROR_CODE_NOT_AN_INTEGER,
       not_integer},
      {"01", 1, grpc::FAILED_PRECONDITION, v1::ERROR_CODE_NOT_AN_INTEGER,
       not_integer},
      {"+1", 1, grpc::FAILED_PRECONDITION, v1::ERROR_CODE_NOT_AN_INTEGER,
       not_integer},
      {"-0", 1, grpc::FAILED_PRECONDITION, v1::ERROR_CODE_NOT_AN_INTEGER,
       not_integer},
      {" 1", 1, grpc::FAILED_PRECONDITION, v1::ERROR_CODE_NOT_AN_INTEGER,
       not_integer},
      {"1 ", 1, grpc::FAILED_PRECONDITION, v1::ERROR_CODE_NOT_AN_INTEGER,
       not_integer},
      {"1.0", 1, grpc::FAILED_PRECONDITION, v1::ERROR_CODE_NOT_AN_INTEGER,
       not_integer},
      {"0x10", 1, grpc::FAILED_PRECONDITION, v1::ERROR_CODE_NOT_AN_INTEGER,
       not_integer},
      {std::string("1\0", 2), 1, grpc::FAILED_PRECONDITION,
       v1::ERROR_CODE_NOT_AN_INTEGER, not_integer},
      {"\xD9\xA1", 1, grpc::FAILED_PRECONDITION,  // ARABIC-INDIC DIGIT ONE
       v1::ERROR_CODE_NOT_AN_INTEGER, not_integer},
      {"9223372036854775808", -1, grpc::FAILED_PRECONDITION,
       v1::ERROR_CODE_NOT_AN_INTEGER, not_integer},
      {"-9223372036854775809", 1, grpc::FAILED_PRECONDITION,
       v1::ERROR_CODE_NOT_AN_INTEGER, not_integer},
      {"9223372036854775807", 1, grpc::OUT_OF_RANGE,
       v1::ERROR_CODE_OUT_OF_RANGE, overflow},
      {"-9223372036854775808", -1, grpc::OUT_OF_RANGE,
       v1::ERROR_CODE_OUT_OF_RANGE, overflow},
      {"1", INT64_MAX, grpc::OUT_OF_RANGE, v1::ERROR_CODE_OUT_OF_RANGE,
       overflow},
      {"-2", INT64_MIN + 1, grpc::OUT_OF_RANGE, v1::ERROR_CODE_OUT_OF_RANGE,
       overflow},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(
        absl::StrCat("\"", absl::CHexEscape(c.value), "\" + ", c.delta));
    uint64_t revision = 0;
    ASSERT_TRUE(
        client_->Set(store_, "n", c.value, std::nullopt, &revision).ok());
    ExpectError(client_->Increment(store_, "n", c.delta, nullptr), c.code,
                c.error_code,
                {absl::StrCat("store \"", GetParam().hostile, "\""),
                 "cannot increment key \"n\"", c.message});
    std::string value;
    uint64_t after = 0;
    ASSERT_TRUE(client_->Get(store_, "n", &value, &after).ok());
    EXPECT_EQ(value, c.value);
    EXPECT_EQ(after, revision);
  }
  // The extremes themselves are counters.
  int64_t value = 0;
  ASSERT_TRUE(client_->Increment(store_, "min", INT64_MIN, &value).ok());
  EXPECT_EQ(value, INT64_MIN);
  ASSERT_TRUE(client_->Increment(store_, "min", INT64_MAX, &value).ok());
  EXPECT_EQ(value, -1);
  ASSERT_TRUE(client_->DeleteMany(store_, {"n", "min"}, nullptr).ok());
}

// Conditions on revisions no write has reached (the largest uint64, 2^63
// and 2^63 - 1, which a signed 64-bit column cannot hold or barely holds,
// 2^53 + 1, which a double cannot, and the next revision): a clean
// CONDITION_FAILED with the current revision, on present and absent keys,
// in Set, Delete and SetMany; nothing changes.
TEST_P(HostileBackendTest, ConditionsOnHugeRevisionsFailCleanly) {
  uint64_t present = 0;
  ASSERT_TRUE(
      client_->Set(store_, "present", "v", std::nullopt, &present).ok());
  const std::string store = absl::StrCat("store \"", GetParam().hostile, "\"");
  for (uint64_t revision :
       {UINT64_MAX, uint64_t{1} << 63, (uint64_t{1} << 63) - 1,
        (uint64_t{1} << 53) + 1, present + 1}) {
    SCOPED_TRACE(revision);
    const std::string expected =
        absl::StrCat("was expected at revision ", revision, ", but it is ");
    for (const CallResult& result :
         {client_->Set(store_, "present", "w", revision),
          client_->Delete(store_, "present", revision)}) {
      ExpectError(result, grpc::ABORTED, v1::ERROR_CODE_CONDITION_FAILED,
                  {store, "key \"present\" " + expected +
                              absl::StrCat("at revision ", present)});
      EXPECT_EQ(result.current_revision, present);
      EXPECT_EQ(result.failed_index, std::nullopt);
    }
    for (const CallResult& result :
         {client_->Set(store_, "absent", "w", revision),
          client_->Delete(store_, "absent", revision)}) {
      ExpectError(result, grpc::ABORTED, v1::ERROR_CODE_CONDITION_FAILED,
                  {store, "key \"absent\" " + expected + "absent"});
      EXPECT_EQ(result.current_revision, 0u);
    }
    CallResult batch =
        client_->SetMany(store_,
                         {MakeSetEntry("absent", "w", 0),
                          MakeSetEntry("present", "w", revision)},
                         nullptr);
    ExpectError(batch, grpc::ABORTED, v1::ERROR_CODE_CONDITION_FAILED,
                {store, "SetMany entry 1 (key \"present\")",
                 "key \"present\" " + expected});
    EXPECT_EQ(batch.current_revision, present);
    EXPECT_EQ(batch.failed_index, 1u);
  }
  std::string value;
  uint64_t revision = 0;
  ASSERT_TRUE(client_->Get(store_, "present", &value, &revision).ok());
  EXPECT_EQ(value, "v");
  EXPECT_EQ(revision, present);
  EXPECT_THAT(KeysOf(store_), UnorderedElementsAreArray({"present"}));
  // The key is still at its revision, so a condition on it still holds, and
  // the next write is above the store's revision. (The store's revision is
  // not checked to be `present`: on PostgreSQL, batches that failed their
  // condition still used sequence values, which is a gap, not a reuse.)
  v1::DescribeResponse description;
  ASSERT_TRUE(client_->Describe(store_, &description).ok());
  EXPECT_GE(description.revision(), present);
  uint64_t next = 0;
  ASSERT_TRUE(client_->Set(store_, "present", "v2", present, &next).ok());
  EXPECT_GT(next, description.revision());
}

// Every key of the hostile store that starts with `prefix`, through
// ListKeys pages of `page_size`.
std::vector<std::string> ListAll(KvTestClient& client, uint32_t store,
                                 const std::string& prefix, int page_size) {
  std::vector<std::string> all;
  std::string token;
  for (int page = 0; page < 100000; ++page) {
    std::vector<std::string> keys;
    std::string next;
    CallResult listed =
        client.ListKeys(store, prefix, page_size, token, &keys, &next);
    EXPECT_TRUE(listed.ok()) << listed.status.error_message();
    if (!listed.ok()) break;
    EXPECT_LE(keys.size(), static_cast<size_t>(page_size));
    all.insert(all.end(), keys.begin(), keys.end());
    if (next.empty()) break;
    token = std::move(next);
  }
  return all;
}

// Prefixes made of hostile keys (%, _, *, [, \, NUL, quotes, bytes above
// 0x7f) select exactly the keys that start with those bytes, in byte order,
// across pages of 2: no character is a pattern.
TEST_P(HostileBackendTest, ListKeysPrefixesMatchBytesNotPatterns) {
  std::vector<std::string> all = NeighborKeys();
  all.insert(all.end(), HostileKeys().begin(), HostileKeys().end());
  for (const std::string extra :
       {"\xC3\xA9t\xC3\xA9", "\xC3\xA9", "\xC3\xA8", "\xF0\x9F\x98\x81",
        "\xF0\x9F\x98\x80x", "%%", "%a", "__", "*a", "[ab", "\\\\"}) {
    all.push_back(extra);
  }
  std::vector<v1::SetEntry> entries = EntriesFor(all, "v");
  ASSERT_TRUE(client_->SetMany(store_, entries, nullptr).ok());
  std::sort(all.begin(), all.end());
  std::vector<std::string> prefixes = all;
  prefixes.push_back("\xC3\xA9t");
  prefixes.push_back("\xF0\x9F\x98\x80");
  for (const std::string& prefix : prefixes) {
    SCOPED_TRACE(absl::StrCat("prefix \"", absl::CHexEscape(prefix), "\""));
    std::vector<std::string> expected;
    for (const std::string& key : all) {
      if (absl::StartsWith(key, prefix)) expected.push_back(key);
    }
    EXPECT_EQ(ListAll(*client_, store_, prefix, 2), expected);
  }
  EXPECT_EQ(ListAll(*client_, store_, "", 7), all);
}

// Encodes a google.protobuf.Duration by hand, so that durations protobuf's
// own checks would refuse (out of range, mixed signs) reach kvd as they are.
std::string DurationBytes(int64_t seconds, int32_t nanos) {
  std::string bytes;
  if (seconds != 0) {
    absl::StrAppend(&bytes, VarintField(1, static_cast<uint64_t>(seconds)));
  }
  if (nanos != 0) {
    absl::StrAppend(&bytes,
                    VarintField(2, static_cast<uint64_t>(int64_t{nanos})));
  }
  return bytes;
}

// Absurd ttls in Set and in a SetMany entry: zero (a present, empty
// Duration), under a millisecond, negative, past 10 years, the int64
// extremes, nanos out of range and mixed signs. Each is IO with
// INVALID_ARGUMENT naming the ttl, and nothing is written.
TEST_P(HostileBackendTest, AbsurdTtlsAreRefusedNamingTheTtl) {
  struct Ttl {
    std::string name;
    int64_t seconds;
    int32_t nanos;
  };
  const int64_t kYear = 365 * 86400;
  for (const Ttl& ttl : std::vector<Ttl>{
           {"zero", 0, 0},
           {"1 ns", 0, 1},
           {"-1 ns", 0, -1},
           {"0.5 ms", 0, 500000},
           {"999999 ns", 0, 999999},
           {"-1 s", -1, 0},
           {"-0.5 s", 0, -500000000},
           {"11 years", 11 * kYear, 0},
           {"10,000 years", 10000 * kYear, 0},
           {"int64 max seconds", INT64_MAX, 0},
           {"int64 max seconds and nanos", INT64_MAX, 999999999},
           {"int64 min seconds", INT64_MIN, 0},
           {"int32 min nanos", 0, INT32_MIN},
           {"nanos past a second", 1, 1000000000},
           {"int32 max nanos", 0, INT32_MAX},
           {"mixed signs", 1, -500000000},
           {"mixed signs, negative seconds", -1, 500000000},
       }) {
    SCOPED_TRACE(ttl.name);
    const std::string duration = DurationBytes(ttl.seconds, ttl.nanos);
    ExpectError(Raw("Set", absl::StrCat(VarintField(1, store_),
                                        LengthDelimitedField(2, "absurd"),
                                        LengthDelimitedField(3, "v"),
                                        LengthDelimitedField(5, duration))),
                grpc::INVALID_ARGUMENT, v1::ERROR_CODE_IO, {"ttl"});
    const std::string entry = absl::StrCat(LengthDelimitedField(1, "absurd"),
                                           LengthDelimitedField(2, "v"),
                                           LengthDelimitedField(4, duration));
    ExpectError(Raw("SetMany", absl::StrCat(VarintField(1, store_),
                                            LengthDelimitedField(2, entry))),
                grpc::INVALID_ARGUMENT, v1::ERROR_CODE_IO, {"ttl"});
  }
  EXPECT_TRUE(KeysOf(store_).empty());
}

// ListKeys with hostile arguments: negative page sizes are refused naming
// page_size; huge ones are lowered to max_page_size; garbage, overlong and
// non-UTF-8 tokens are refused naming page_token without echoing them; a
// prefix over the key limit, or not UTF-8, is refused naming the prefix.
TEST_P(HostileBackendTest, HostileListKeysRequestsAreRefusedPrecisely) {
  v1::DescribeResponse description;
  ASSERT_TRUE(client_->Describe(store_, &description).ok());
  const int max_page = static_cast<int>(description.limits().max_page_size());
  ASSERT_GT(max_page, 0);
  const std::vector<std::string> keys = NumberedKeys("page", max_page + 5);
  for (size_t start = 0; start < keys.size(); start += kMaxBatchEntries) {
    const std::vector<std::string> batch(
        keys.begin() + start,
        keys.begin() + std::min(keys.size(), start + kMaxBatchEntries));
    ASSERT_TRUE(client_->SetMany(store_, EntriesFor(batch, "v"), nullptr).ok());
  }

  std::vector<std::string> page;
  std::string next;
  for (int32_t size : {max_page + 1, INT32_MAX}) {
    SCOPED_TRACE(size);
    CallResult listed = client_->ListKeys(store_, "", size, "", &page, &next);
    ASSERT_TRUE(listed.ok()) << listed.status.error_message();
    EXPECT_EQ(page.size(), static_cast<size_t>(max_page));
    EXPECT_FALSE(next.empty());
  }
  // The default page.
  ASSERT_TRUE(client_->ListKeys(store_, "", 0, "", &page, &next).ok());
  EXPECT_EQ(page.size(), std::min<size_t>(1000, max_page));
  for (int32_t size : {-1, -1000, INT32_MIN}) {
    SCOPED_TRACE(size);
    ExpectError(client_->ListKeys(store_, "", size, "", &page, &next),
                grpc::INVALID_ARGUMENT, v1::ERROR_CODE_IO, {"page_size"});
  }
  for (const std::string& token :
       {std::string("garbage"), std::string(10000, 'x'),
        std::string(size_t{1} << 20, 'A'), std::string("\x01\x02\x7f"),
        std::string("page-00005"), std::string("' OR '1'='1"),
        std::string("%s%n%x"), std::string(1, '\0')}) {
    SCOPED_TRACE(absl::CHexEscape(token.substr(0, 20)));
    CallResult result = client_->ListKeys(store_, "", 10, token, &page, &next);
    ExpectError(result, grpc::INVALID_ARGUMENT, v1::ERROR_CODE_IO,
                {"page_token"});
    EXPECT_LT(result.status.error_message().size(), 4096u);
  }
  ExpectError(client_->ListKeys(store_, std::string(kMaxKeyBytes + 1, 'p'), 10,
                                "", &page, &next),
              grpc::INVALID_ARGUMENT, v1::ERROR_CODE_IO,
              {"prefix", "257 bytes", "256"});
  // The longest prefix is fine, and matches nothing here.
  CallResult longest = client_->ListKeys(store_, std::string(kMaxKeyBytes, 'p'),
                                         10, "", &page, &next);
  ASSERT_TRUE(longest.ok()) << longest.status.error_message();
  EXPECT_TRUE(page.empty());
  for (const std::string bad : {"\xFF", "page\xC3", "\xED\xA0\x80"}) {
    SCOPED_TRACE(absl::CHexEscape(bad));
    ExpectError(
        Raw("ListKeys",
            absl::StrCat(VarintField(1, store_), LengthDelimitedField(2, bad))),
        grpc::INVALID_ARGUMENT, v1::ERROR_CODE_IO,
        {"field \"prefix\" of kv.v1.ListKeysRequest", "is not valid UTF-8"});
    ExpectError(Raw("ListKeys", absl::StrCat(VarintField(1, store_),
                                             LengthDelimitedField(4, bad))),
                grpc::INVALID_ARGUMENT, v1::ERROR_CODE_IO, {"page_token"});
  }

  for (size_t start = 0; start < keys.size(); start += kMaxBatchEntries) {
    const std::vector<std::string> batch(
        keys.begin() + start,
        keys.begin() + std::min(keys.size(), start + kMaxBatchEntries));
    ASSERT_TRUE(client_->DeleteMany(store_, batch, nullptr).ok());
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, HostileBackendTest,
                         ::testing::ValuesIn(Backends()),
                         [](const ::testing::TestParamInfo<Backend>& info) {
                           return info.param.name;
                         });

// 10,000 opens from one client: the first 256 succeed, every other one is
// STORE_TABLE_FULL with the limit in its message; closing frees slots, and
// the server serves on.
TEST_F(HostileTest, TenThousandOpensFillTheTableAndNothingElse) {
  constexpr int kOpens = 10000;
  std::vector<uint32_t> handles;
  int full = 0;
  for (int i = 0; i < kOpens; ++i) {
    uint32_t store = 0;
    CallResult result = client_->Open("default", &store);
    if (result.ok()) {
      handles.push_back(store);
      opened_.push_back(store);
      continue;
    }
    ++full;
    if (result.error_code != v1::ERROR_CODE_STORE_TABLE_FULL || full == 1) {
      ExpectError(result, grpc::RESOURCE_EXHAUSTED,
                  v1::ERROR_CODE_STORE_TABLE_FULL,
                  {"STORE_TABLE_FULL: this client already holds 256 open store "
                   "handles, the limit; Close handles it no longer needs "
                   "(limits.max_open_stores raises the limit)"});
      if (result.error_code != v1::ERROR_CODE_STORE_TABLE_FULL) break;
    }
  }
  EXPECT_EQ(handles.size(), kMaxOpenStores);
  EXPECT_EQ(full, kOpens - static_cast<int>(kMaxOpenStores));
  // Every handle is distinct and works.
  std::vector<uint32_t> sorted = handles;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(std::unique(sorted.begin(), sorted.end()), sorted.end());
  ASSERT_FALSE(handles.empty());
  EXPECT_TRUE(client_->Set(handles.back(), "table", "full").ok());

  // A closed handle frees its slot, and only one.
  ASSERT_TRUE(client_->Close(handles.front()).ok());
  EXPECT_EQ(client_->Set(handles.front(), "k", "v").error_code,
            v1::ERROR_CODE_INVALID_STORE);
  uint32_t reopened = 0;
  ASSERT_TRUE(client_->Open("default", &reopened).ok());
  opened_.push_back(reopened);
  EXPECT_EQ(client_->Open("default", nullptr).error_code,
            v1::ERROR_CODE_STORE_TABLE_FULL);

  for (uint32_t handle : opened_) ASSERT_TRUE(client_->Close(handle).ok());
  opened_.clear();
  const uint32_t store = OpenOrDie("default");
  std::string value;
  ASSERT_TRUE(client_->Get(store, "table", &value).ok());
  EXPECT_EQ(value, "full");
  ASSERT_TRUE(client_->Delete(store, "table").ok());
}

// Opens of names that are not stores, are not valid store names, or are not
// UTF-8: each gets its own precise error and no handle.
TEST_F(HostileTest, OpenOfStrangeNamesIsRefusedPrecisely) {
  for (const std::string& name : std::vector<std::string>{
           "nope", "../default", "default\n", "*", "%", "' OR '1'='1",
           std::string("default\0", 8), std::string(10000, 'n')}) {
    SCOPED_TRACE(absl::CHexEscape(name.substr(0, 32)));
    ExpectError(client_->Open(name, nullptr), grpc::NOT_FOUND,
                v1::ERROR_CODE_NO_SUCH_STORE, {"is not defined"});
  }
  // The message quotes a long name cut short: gRPC clients refuse trailers
  // past 8 KiB, so an echo of the whole name would hide the error.
  ExpectError(client_->Open(std::string(10000, 'n'), nullptr), grpc::NOT_FOUND,
              v1::ERROR_CODE_NO_SUCH_STORE,
              {"store \"nnnn", "nnnn...\" (10000 bytes) is not defined"});
  for (const std::string name : {"\xFF", "defaul\xC3", "\xED\xB0\x80"}) {
    SCOPED_TRACE(absl::CHexEscape(name));
    ExpectError(
        Raw("Open", LengthDelimitedField(1, name)), grpc::INVALID_ARGUMENT,
        v1::ERROR_CODE_IO,
        {"field \"name\" of kv.v1.OpenRequest is not valid UTF-8 (at byte"});
  }
}

// Bytes that are not the request's protobuf message: a precise
// INVALID_ARGUMENT naming the message type, on every method.
TEST_F(HostileTest, MalformedProtobufIsRefusedNamingTheMessage) {
  const std::vector<std::string> garbage = {
      "\xFF",                      // a truncated tag
      "\x08",                      // a tag without its value
      "\x12\x05\x61\x62",          // a length past the end ("ab")
      "\x0A\xFF\xFF\xFF\xFF\x0F",  // a 4 GiB length
      "\x08\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF",  // an 11-byte varint
      std::string("\x00", 1),                              // field number 0
      "\x0F",                                              // wire type 7
      "\x0B",  // a start-group without its end
  };
  for (const std::string rpc :
       {"Open", "Get", "Set", "Delete", "Exists", "GetKeys", "Close",
        "Increment", "GetMany", "SetMany", "DeleteMany", "Describe",
        "ListKeys"}) {
    for (const std::string& bytes : garbage) {
      SCOPED_TRACE(absl::StrCat(rpc, " \"", absl::CHexEscape(bytes), "\""));
      ExpectError(Raw(rpc, bytes), grpc::INVALID_ARGUMENT, v1::ERROR_CODE_IO,
                  {absl::StrCat("the request is not a valid kv.v1.", rpc,
                                "Request protobuf message (")});
    }
  }
  // A method the service does not have.
  EXPECT_EQ(Raw("Scan", "").status.error_code(), grpc::UNIMPLEMENTED);
}

// A message past the server's receive limit is refused by gRPC with
// RESOURCE_EXHAUSTED, and the same channel goes on working. The limit is
// the largest request the limits allow: a batch of limits.max_batch_bytes
// with the framing of limits.max_batch_entries entries, plus 16 KiB (about
// 4.03 MiB by default), so a 2 MiB Set reaches kvd and is refused by the
// value limit instead.
TEST_F(HostileTest, OversizeMessagesAreRefusedAndTheConnectionSurvives) {
  const uint32_t store = OpenOrDie("default");
  v1::SetRequest request;
  request.set_store(store);
  request.set_key("huge");
  for (size_t size : {size_t{5} << 20, size_t{8} << 20}) {
    request.set_value(std::string(size, 'x'));
    RawCallResult result = Raw("Set", request.SerializeAsString());
    EXPECT_EQ(result.status.error_code(), grpc::RESOURCE_EXHAUSTED)
        << result.status.error_message();
    EXPECT_THAT(result.status.error_message(),
                HasSubstr("Received message larger than max"));
  }
  request.set_value(std::string(size_t{2} << 20, 'x'));
  ExpectError(Raw("Set", request.SerializeAsString()), grpc::INVALID_ARGUMENT,
              v1::ERROR_CODE_IO,
              {"the value for key \"huge\" is 2097152 bytes, over the limit "
               "of 1048576 (limits.max_value_bytes)"});
  bool exists = true;
  ASSERT_TRUE(client_->Exists(store, "huge", &exists).ok());
  EXPECT_FALSE(exists);
}

// Handles that were never issued, closed handles, handle 0 and the largest
// uint32: INVALID_STORE on every method but Close, which is a no-op (the
// handle is checked before the condition).
TEST_F(HostileTest, ForgedHandlesAreInvalidStores) {
  const uint32_t closed = OpenOrDie("default");
  ASSERT_TRUE(client_->Close(closed).ok());
  for (uint32_t handle : {0u, closed, closed + 1000, 4294967295u}) {
    SCOPED_TRACE(handle);
    std::string value;
    std::vector<std::string> keys;
    for (const CallResult& result :
         {client_->Get(handle, "k", &value), client_->Set(handle, "k", "v"),
          client_->Delete(handle, "k"), client_->Exists(handle, "k", nullptr),
          client_->GetKeys(handle, &keys),
          client_->Increment(handle, "k", 1, nullptr),
          client_->GetMany(handle, {"k"}, nullptr),
          client_->SetMany(handle, {MakeSetEntry("k", "v")}, nullptr),
          client_->DeleteMany(handle, {"k"}, nullptr),
          client_->Describe(handle, nullptr),
          client_->Set(handle, "k", "v", UINT64_MAX),
          client_->ListKeys(handle, "", 0, "", &keys, nullptr),
          client_->SetWithTtl(handle, "k", "v", std::chrono::seconds(1))}) {
      ExpectError(result, grpc::FAILED_PRECONDITION,
                  v1::ERROR_CODE_INVALID_STORE,
                  {absl::StrCat("store handle ", handle, " ")});
    }
    EXPECT_TRUE(client_->Close(handle).ok());
  }
}

// Client identities: a second kvd with [[client]] entries.
//
//   alpha-client: "alpha" (read-write), "shared" (read-only)
//   beta-client:  "beta" (read-write)
//   seeder:       "shared" (read-write); fills "shared" before the tests,
//                 and is the client whose token one test revokes.
// "secret" and "default" are defined and granted to no one.

constexpr char kAlphaToken[] = "alpha-3c9e61f0b2d84a7e";
constexpr char kBetaToken[] = "beta-8a15d2c7e4f03b96";
constexpr char kSeederToken[] = "seeder-5e0b7c2a9d164f83";

const std::vector<std::string>& AllRpcs() {
  static const auto* rpcs = new std::vector<std::string>{
      "Open",       "Get",      "Set",       "Delete",  "Exists",
      "GetKeys",    "Close",    "Increment", "GetMany", "SetMany",
      "DeleteMany", "Describe", "ListKeys"};
  return *rpcs;
}

// Writes a token file readable by its owner only, as kvd requires.
void WriteToken(const std::string& path, const std::string& token) {
  WriteFile(path, token + "\n");
  ASSERT_EQ(chmod(path.c_str(), 0600), 0) << path;
}

// The second kvd, its token files, and the sentinels in "alpha" (filled by
// alpha-client) and "shared" (filled by the seeder). After the last test,
// both hold exactly what they did, read through alpha-client; health is
// SERVING and kvd stops cleanly.
class AuthEnvironment : public ::testing::Environment {
 public:
  static AuthEnvironment* instance;

  void SetUp() override {
    dir_ = NewTempDir("hostile_auth");
    WriteToken(dir_ + "/alpha.token", kAlphaToken);
    WriteToken(dir_ + "/beta.token", kBetaToken);
    WriteToken(dir_ + "/seeder.token", seeder_token_);
    WriteFile(dir_ + "/kvd.toml", R"(
[key_value_store.alpha]
type = "memory"

[key_value_store.beta]
type = "memory"

[key_value_store.shared]
type = "memory"

[key_value_store.secret]
type = "memory"

[[client]]
name = "alpha-client"
token_file = "alpha.token"
key_value_stores = ["alpha"]
read_only_stores = ["shared"]

[[client]]
name = "beta-client"
token_file = "beta.token"
key_value_stores = ["beta"]

[[client]]
name = "seeder"
token_file = "seeder.token"
key_value_stores = ["shared"]
)");
    // No token polling: the revocation below must come from SIGHUP alone.
    auto kvd = KvdProcess::Start(
        {"--listen=127.0.0.1:0", "--config=" + dir_ + "/kvd.toml",
         "--data-dir=" + dir_ + "/data", "--token-reload-interval=0"});
    ASSERT_TRUE(kvd.ok()) << kvd.status();
    kvd_ = *std::move(kvd);

    KvTestClient alpha(kvd_->NewChannel(), kAlphaToken);
    KvTestClient seeder(kvd_->NewChannel(), seeder_token_);
    for (auto [client, store] :
         {std::pair<KvTestClient*, std::string>{&alpha, "alpha"},
          {&seeder, "shared"}}) {
      uint32_t handle = 0;
      CallResult open = client->Open(store, &handle);
      ASSERT_TRUE(open.ok()) << store << ": " << open.status.error_message();
      for (const std::string& key : SentinelKeys()) {
        ASSERT_TRUE(client->Set(handle, key, SentinelValue(store, key)).ok());
      }
      ASSERT_TRUE(client->Close(handle).ok());
    }
  }

  void TearDown() override {
    if (kvd_ == nullptr) return;
    KvTestClient alpha(kvd_->NewChannel(), kAlphaToken);
    ExpectSentinelIntact(alpha, "alpha");
    ExpectSentinelIntact(alpha, "shared");
    ExpectServing(*kvd_, {"", "kv.v1.KeyValue", "store:alpha", "store:beta",
                          "store:shared", "store:secret"});
    absl::StatusOr<int> exit_code = kvd_->Stop(SIGTERM, absl::Seconds(30));
    ASSERT_TRUE(exit_code.ok()) << exit_code.status();
    EXPECT_EQ(*exit_code, 0);
    kvd_.reset();
  }

  KvdProcess& kvd() { return *kvd_; }
  const std::string& seeder_token() const { return seeder_token_; }

  // Replaces the seeder's token file with `token` and sends SIGHUP; kvd
  // swaps its token table some time after.
  void RotateSeederToken(const std::string& token) {
    WriteToken(dir_ + "/seeder.token", token);
    seeder_token_ = token;
    kvd_->Signal(SIGHUP);
  }

 private:
  std::string dir_;
  std::string seeder_token_ = kSeederToken;
  std::unique_ptr<KvdProcess> kvd_;
};

AuthEnvironment* AuthEnvironment::instance = static_cast<AuthEnvironment*>(
    ::testing::AddGlobalTestEnvironment(new AuthEnvironment));

// Calls `rpc` with a well-formed request (for Open, of "alpha"; otherwise on
// handle `store` and key "k"), sending `authorization` verbatim as the
// "authorization" metadata, or no such metadata if it is nullopt.
CallResult CallWithAuthorization(
    const std::shared_ptr<grpc::Channel>& channel, const std::string& rpc,
    const std::optional<std::string>& authorization, uint32_t store) {
  std::unique_ptr<v1::KeyValue::Stub> stub = v1::KeyValue::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(30));
  if (authorization.has_value()) {
    context.AddMetadata("authorization", *authorization);
  }
  CallResult result;
  if (rpc == "Open") {
    v1::OpenRequest request;
    request.set_name("alpha");
    v1::OpenResponse response;
    result.status = stub->Open(&context, request, &response);
  } else if (rpc == "Get") {
    v1::GetRequest request;
    request.set_store(store);
    request.set_key("k");
    v1::GetResponse response;
    result.status = stub->Get(&context, request, &response);
  } else if (rpc == "Set") {
    v1::SetRequest request;
    request.set_store(store);
    request.set_key("k");
    request.set_value("v");
    v1::SetResponse response;
    result.status = stub->Set(&context, request, &response);
  } else if (rpc == "Delete") {
    v1::DeleteRequest request;
    request.set_store(store);
    request.set_key("k");
    v1::DeleteResponse response;
    result.status = stub->Delete(&context, request, &response);
  } else if (rpc == "Exists") {
    v1::ExistsRequest request;
    request.set_store(store);
    request.set_key("k");
    v1::ExistsResponse response;
    result.status = stub->Exists(&context, request, &response);
  } else if (rpc == "GetKeys") {
    v1::GetKeysRequest request;
    request.set_store(store);
    v1::GetKeysResponse response;
    result.status = stub->GetKeys(&context, request, &response);
  } else if (rpc == "Close") {
    v1::CloseRequest request;
    request.set_store(store);
    v1::CloseResponse response;
    result.status = stub->Close(&context, request, &response);
  } else if (rpc == "Increment") {
    v1::IncrementRequest request;
    request.set_store(store);
    request.set_key("k");
    request.set_delta(1);
    v1::IncrementResponse response;
    result.status = stub->Increment(&context, request, &response);
  } else if (rpc == "GetMany") {
    v1::GetManyRequest request;
    request.set_store(store);
    request.add_keys("k");
    v1::GetManyResponse response;
    result.status = stub->GetMany(&context, request, &response);
  } else if (rpc == "SetMany") {
    v1::SetManyRequest request;
    request.set_store(store);
    *request.add_entries() = MakeSetEntry("k", "v");
    v1::SetManyResponse response;
    result.status = stub->SetMany(&context, request, &response);
  } else if (rpc == "DeleteMany") {
    v1::DeleteManyRequest request;
    request.set_store(store);
    request.add_keys("k");
    v1::DeleteManyResponse response;
    result.status = stub->DeleteMany(&context, request, &response);
  } else if (rpc == "Describe") {
    v1::DescribeRequest request;
    request.set_store(store);
    v1::DescribeResponse response;
    result.status = stub->Describe(&context, request, &response);
  } else if (rpc == "ListKeys") {
    v1::ListKeysRequest request;
    request.set_store(store);
    v1::ListKeysResponse response;
    result.status = stub->ListKeys(&context, request, &response);
  } else {
    ADD_FAILURE() << "no such rpc " << rpc;
  }
  const auto& trailers = context.GetServerTrailingMetadata();
  auto it = trailers.find("kv-error-code");
  if (it != trailers.end()) {
    v1::ErrorCode_Parse(std::string(it->second.data(), it->second.size()),
                        &result.error_code);
  }
  return result;
}

// A client per identity on the second kvd; the handles each test opens are
// closed after it, so that no test fills another's table.
class HostileAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    channel_ = AuthEnvironment::instance->kvd().NewChannel();
    alpha_ = std::make_unique<KvTestClient>(channel_, kAlphaToken);
    beta_ = std::make_unique<KvTestClient>(channel_, kBetaToken);
  }
  void TearDown() override {
    for (auto [client, handle] : opened_) client->Close(handle);
  }

  uint32_t OpenOrDie(KvTestClient& client, const std::string& name) {
    uint32_t store = 0;
    CallResult result = client.Open(name, &store);
    EXPECT_TRUE(result.ok()) << name << ": " << result.status.error_message();
    opened_.emplace_back(&client, store);
    return store;
  }

  // `authorization` on every method (on a handle alpha-client holds) is
  // UNAUTHENTICATED, with no kv-error-code trailer, a message containing
  // `message`, and never `secret`, the token text it carried.
  void ExpectRefusedOnEveryMethod(
      const std::optional<std::string>& authorization,
      const std::string& message, const std::string& secret) {
    const uint32_t store = OpenOrDie(*alpha_, "alpha");
    for (const std::string& rpc : AllRpcs()) {
      SCOPED_TRACE(rpc);
      CallResult result =
          CallWithAuthorization(channel_, rpc, authorization, store);
      ExpectError(result, grpc::UNAUTHENTICATED, v1::ERROR_CODE_UNSPECIFIED,
                  {message});
      if (!secret.empty()) {
        EXPECT_THAT(result.status.error_message(), Not(HasSubstr(secret)));
      }
    }
    // The handle is untouched: the refused Close did not close it.
    std::string value;
    const std::string key = SentinelKeys().front();
    ASSERT_TRUE(alpha_->Get(store, key, &value).ok());
    EXPECT_EQ(value, SentinelValue("alpha", key));
  }

  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<KvTestClient> alpha_;
  std::unique_ptr<KvTestClient> beta_;
  std::vector<std::pair<KvTestClient*, uint32_t>> opened_;
};

TEST_F(HostileAuthTest, MissingAuthorizationIsUnauthenticatedOnEveryMethod) {
  ExpectRefusedOnEveryMethod(
      std::nullopt, "no credential: send authorization: Bearer <token>", "");
}

// Bytes outside printable ASCII are not here: gRPC's client library
// refuses to send such a metadata value (it aborts the call as API misuse),
// so no gRPC client can deliver one; sent by a plain HTTP/2 client (curl),
// kvd answers "unknown token" like any other.
TEST_F(HostileAuthTest, MalformedAuthorizationIsUnauthenticatedOnEveryMethod) {
  constexpr char kMalformed[] =
      "the authorization metadata must be \"Bearer <token>\"";
  struct Case {
    std::string authorization;
    std::string message;
    std::string secret;  // Token text the message must not contain.
  };
  for (const Case& c : std::vector<Case>{
           {"Basic x", kMalformed, ""},
           // A real token, but not as a bearer token.
           {absl::StrCat("Basic ", kAlphaToken), kMalformed, kAlphaToken},
           {kAlphaToken, kMalformed, kAlphaToken},
           {absl::StrCat("Bearer", kAlphaToken), kMalformed, kAlphaToken},
           {"Bearer", kMalformed, ""},
           {"Bearer ", kMalformed, ""},
           {"", kMalformed, ""},
           // A token with a space in it: no token is that.
           {"Bearer  two spaces", "unknown token", "spaces"},
           {absl::StrCat("Bearer ", kAlphaToken, " ", kBetaToken),
            "unknown token", kAlphaToken},
           {absl::StrCat("Bearer ", kAlphaToken, "x"), "unknown token",
            kAlphaToken},
           {"Bearer " + std::string(4 << 10, 't'), "unknown token", "tttt"},
       }) {
    SCOPED_TRACE(absl::StrCat("authorization \"",
                              absl::CHexEscape(c.authorization.substr(0, 64)),
                              "\" (", c.authorization.size(), " bytes)"));
    ExpectRefusedOnEveryMethod(c.authorization, c.message, c.secret);
  }
}

// gRPC refuses request metadata past 8 KiB (its default limit, which kvd
// keeps) before kvd sees the call: a 10 KiB token is refused by the
// transport, RESOURCE_EXHAUSTED or, when gRPC drops that connection,
// UNAVAILABLE; never accepted and never echoed. Each is sent on a
// connection of its own; the others, and kvd, serve on.
TEST_F(HostileAuthTest, TenKibTokenIsRefusedByTheTransportOnEveryMethod) {
  const uint32_t store = OpenOrDie(*alpha_, "alpha");
  const std::string authorization = "Bearer " + std::string(10 << 10, 't');
  for (const std::string& rpc : AllRpcs()) {
    SCOPED_TRACE(rpc);
    CallResult result =
        CallWithAuthorization(AuthEnvironment::instance->kvd().NewChannel(),
                              rpc, authorization, store);
    EXPECT_THAT(result.status.error_code(),
                AnyOf(grpc::RESOURCE_EXHAUSTED, grpc::UNAVAILABLE))
        << result.status.error_message();
    EXPECT_EQ(result.error_code, v1::ERROR_CODE_UNSPECIFIED);
    EXPECT_THAT(result.status.error_message(), Not(HasSubstr("tttt")));
    std::string value;
    const std::string key = SentinelKeys().front();
    CallResult get = alpha_->Get(store, key, &value);
    ASSERT_TRUE(get.ok()) << get.status.error_message();
    EXPECT_EQ(value, SentinelValue("alpha", key));
  }
}

TEST_F(HostileAuthTest, UnknownTokenIsUnauthenticatedOnEveryMethod) {
  ExpectRefusedOnEveryMethod("Bearer stranger-0d9c4e1a77b2", "unknown token",
                             "stranger");
  // A real token's prefix is as unknown as any other.
  ExpectRefusedOnEveryMethod(
      absl::StrCat("Bearer ", std::string(kAlphaToken).substr(0, 12)),
      "unknown token", std::string(kAlphaToken).substr(0, 12));
}

TEST_F(HostileAuthTest, RevokedTokenIsUnauthenticatedOnEveryMethod) {
  AuthEnvironment& env = *AuthEnvironment::instance;
  const std::string revoked = env.seeder_token();
  KvTestClient old_seeder(channel_, revoked);
  uint32_t store = 0;  // Closed at the end, with the new token.
  ASSERT_TRUE(old_seeder.Open("shared", &store).ok());

  const std::string fresh = absl::StrCat(revoked, "-next");
  env.RotateSeederToken(fresh);
  // Poll until the reload has happened: a hang guard, not a timing check.
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  CallResult open;
  do {
    absl::SleepFor(absl::Milliseconds(20));
    uint32_t handle = 0;
    open = old_seeder.Open("shared", &handle);
    // Still the old table: close the handle it gave.
    if (open.ok()) old_seeder.Close(handle);
  } while (open.status.error_code() != grpc::UNAUTHENTICATED &&
           absl::Now() < deadline);
  ASSERT_EQ(open.status.error_code(), grpc::UNAUTHENTICATED)
      << "kvd still accepts the revoked token 60 s after SIGHUP";

  for (const std::string& rpc : AllRpcs()) {
    SCOPED_TRACE(rpc);
    CallResult result = CallWithAuthorization(
        channel_, rpc, absl::StrCat("Bearer ", revoked), store);
    ExpectError(result, grpc::UNAUTHENTICATED, v1::ERROR_CODE_UNSPECIFIED,
                {"unknown token"});
    EXPECT_THAT(result.status.error_message(), Not(HasSubstr(revoked)));
  }
  // The client itself is not revoked: its new token works, on its handle.
  KvTestClient seeder(channel_, fresh);
  std::string value;
  const std::string key = SentinelKeys().front();
  ASSERT_TRUE(seeder.Get(store, key, &value).ok());
  EXPECT_EQ(value, SentinelValue("shared", key));
  ASSERT_TRUE(seeder.Close(store).ok());
}

TEST_F(HostileAuthTest, AnotherClientsHandleLooksNeverIssued) {
  const uint32_t theirs = OpenOrDie(*alpha_, "alpha");
  const uint32_t never_issued = theirs + 100000;
  for (const std::string rpc :
       {"Get", "Set", "Delete", "Exists", "GetKeys", "Increment", "GetMany",
        "SetMany", "DeleteMany", "Describe", "ListKeys"}) {
    SCOPED_TRACE(rpc);
    CallResult stolen = CallWithAuthorization(
        channel_, rpc, "Bearer " + std::string(kBetaToken), theirs);
    CallResult forged = CallWithAuthorization(
        channel_, rpc, "Bearer " + std::string(kBetaToken), never_issued);
    ExpectError(stolen, grpc::FAILED_PRECONDITION, v1::ERROR_CODE_INVALID_STORE,
                {absl::StrCat("store handle ", theirs, " "), "is not open"});
    ExpectError(forged, grpc::FAILED_PRECONDITION, v1::ERROR_CODE_INVALID_STORE,
                {absl::StrCat("store handle ", never_issued, " ")});
    // The same words but for the number: nothing tells B the handle is live.
    EXPECT_EQ(absl::StrReplaceAll(stolen.status.error_message(),
                                  {{std::to_string(theirs), "N"}}),
              absl::StrReplaceAll(forged.status.error_message(),
                                  {{std::to_string(never_issued), "N"}}));
    EXPECT_THAT(stolen.status.error_message(),
                AllOf(Not(HasSubstr("alpha")), Not(HasSubstr(kAlphaToken))));
  }
  // B's Close of it is the no-op of closing an unknown handle.
  EXPECT_TRUE(beta_->Close(theirs).ok());
  EXPECT_TRUE(beta_->Close(never_issued).ok());
  std::vector<std::string> keys;
  ASSERT_TRUE(alpha_->GetKeys(theirs, &keys).ok());
  EXPECT_THAT(keys, UnorderedElementsAreArray(SentinelKeys()));
  const std::string key = SentinelKeys().front();
  std::string value;
  ASSERT_TRUE(alpha_->Get(theirs, key, &value).ok());
  EXPECT_EQ(value, SentinelValue("alpha", key));
}

TEST_F(HostileAuthTest, StoresNotGrantedAreAccessDeniedWhetherOrNotDefined) {
  struct Case {
    KvTestClient* client;
    std::string store;
  };
  const std::vector<Case> cases = {
      {alpha_.get(), "beta"},           // another client's store
      {alpha_.get(), "secret"},         // defined, granted to no one
      {alpha_.get(), "default"},        // always defined, not granted
      {alpha_.get(), "no-such-store"},  // not defined
      {alpha_.get(), "ALPHA"},          // names match exactly
      {alpha_.get(), "alpha "},
      {alpha_.get(), "../alpha"},
      {alpha_.get(), "*"},
      {beta_.get(), "alpha"},
      {beta_.get(), "shared"},
      {beta_.get(), "nope"},
  };
  std::vector<std::string> messages;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.store);
    uint32_t store = 0;
    CallResult result = c.client->Open(c.store, &store);
    ExpectError(result, grpc::PERMISSION_DENIED, v1::ERROR_CODE_ACCESS_DENIED,
                {absl::StrCat("\"", c.store, "\"")});
    EXPECT_EQ(store, 0u);
    // Whether the store exists changes nothing in the message.
    messages.push_back(
        absl::StrReplaceAll(result.status.error_message(),
                            {{absl::StrCat("\"", c.store, "\""), "\"NAME\""}}));
  }
  for (const std::string& message : messages) {
    EXPECT_EQ(message, messages.front());
  }
}

TEST_F(HostileAuthTest, WritesThroughAReadOnlyGrantAreDeniedAndChangeNothing) {
  const uint32_t store = OpenOrDie(*alpha_, "shared");
  std::vector<std::string> keys = SentinelKeys();
  keys.push_back("a key not there");
  for (const std::string& key : keys) {
    SCOPED_TRACE(absl::CHexEscape(key));
    ExpectError(alpha_->Set(store, key, "overwritten"), grpc::PERMISSION_DENIED,
                v1::ERROR_CODE_ACCESS_DENIED,
                {"this client may only read store \"shared\" (a "
                 "read_only_stores grant), so it cannot set key"});
    ExpectError(alpha_->Delete(store, key), grpc::PERMISSION_DENIED,
                v1::ERROR_CODE_ACCESS_DENIED,
                {"may only read store \"shared\"", "cannot delete key"});
    // Conditions that would hold, and ones that would not: the grant is
    // checked first either way.
    for (uint64_t revision : {uint64_t{0}, UINT64_MAX}) {
      ExpectError(alpha_->Set(store, key, "overwritten", revision),
                  grpc::PERMISSION_DENIED, v1::ERROR_CODE_ACCESS_DENIED,
                  {"may only read store \"shared\"", "cannot set key"});
      ExpectError(alpha_->Delete(store, key, revision), grpc::PERMISSION_DENIED,
                  v1::ERROR_CODE_ACCESS_DENIED,
                  {"may only read store \"shared\"", "cannot delete key"});
    }
    ExpectError(alpha_->Increment(store, key, 1, nullptr),
                grpc::PERMISSION_DENIED, v1::ERROR_CODE_ACCESS_DENIED,
                {"may only read store \"shared\"", "cannot increment key"});
  }
  ExpectError(
      alpha_->SetMany(store,
                      {MakeSetEntry(keys.front(), "overwritten"),
                       MakeSetEntry(keys.back(), "new")},
                      nullptr),
      grpc::PERMISSION_DENIED, v1::ERROR_CODE_ACCESS_DENIED,
      {"may only read store \"shared\"", "cannot SetMany of 2 entries"});
  ExpectError(alpha_->DeleteMany(store, keys, nullptr), grpc::PERMISSION_DENIED,
              v1::ERROR_CODE_ACCESS_DENIED,
              {"may only read store \"shared\"",
               absl::StrCat("cannot DeleteMany of ", keys.size(), " keys")});
  // Reads through the grant work, and Describe says it is read-only.
  std::vector<v1::Entry> entries;
  ASSERT_TRUE(alpha_->GetMany(store, SentinelKeys(), &entries).ok());
  ASSERT_EQ(entries.size(), SentinelKeys().size());
  for (const v1::Entry& entry : entries) {
    EXPECT_EQ(entry.value(), SentinelValue("shared", entry.key()));
  }
  v1::DescribeResponse description;
  ASSERT_TRUE(alpha_->Describe(store, &description).ok());
  EXPECT_TRUE(description.read_only());
  EXPECT_EQ(description.name(), "shared");
  ExpectSentinelIntact(*alpha_, "shared");
}

TEST_F(HostileAuthTest, ThreeHundredOpensFillOnlyThatClientsTable) {
  int opened = 0;
  int full = 0;
  for (int i = 0; i < 300; ++i) {
    uint32_t store = 0;
    CallResult result = alpha_->Open("alpha", &store);
    if (result.ok()) {
      opened_.emplace_back(alpha_.get(), store);
      ++opened;
      continue;
    }
    ++full;
    ExpectError(result, grpc::RESOURCE_EXHAUSTED,
                v1::ERROR_CODE_STORE_TABLE_FULL,
                {"this client already holds 256 open store handles"});
    if (result.error_code != v1::ERROR_CODE_STORE_TABLE_FULL) break;
  }
  EXPECT_EQ(opened, static_cast<int>(kMaxOpenStores));
  EXPECT_EQ(full, 300 - static_cast<int>(kMaxOpenStores));

  // B's table is its own.
  const uint32_t beta = OpenOrDie(*beta_, "beta");
  ASSERT_TRUE(beta_->Set(beta, "k", "v").ok());
  std::string value;
  ASSERT_TRUE(beta_->Get(beta, "k", &value).ok());
  EXPECT_EQ(value, "v");
  ASSERT_TRUE(beta_->Delete(beta, "k").ok());
  // A's full table still serves the handles it holds.
  ASSERT_FALSE(opened_.empty());
  std::vector<std::string> keys;
  ASSERT_TRUE(alpha_->GetKeys(opened_.front().second, &keys).ok());
  EXPECT_THAT(keys, UnorderedElementsAreArray(SentinelKeys()));
}

}  // namespace
}  // namespace kv::testing
