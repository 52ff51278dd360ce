// Expiry and paged listing through the real kvd binary on Redis stores in a
// private redis-server (tests/expiry_listing_checks.h): short ttls on every
// read path, ttl validation, the background sweeper (the ZCARD of each
// store's key index, kvd:{NAME}#keys), a 200,000-key listing under 4
// writers, foreign and garbage page tokens, and a token that survives a kvd
// restart and works on a second kvd sharing the Redis.

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "store/testing/redis_server.h"
#include "tests/expiry_listing_checks.h"
#include "tests/kv_test_client.h"
#include "tests/kvd_process.h"

namespace kv::testing {
namespace {

class RedisBackend : public ExpiryListingBackend {
 public:
  explicit RedisBackend(std::unique_ptr<RedisServer> server)
      : server_(std::move(server)) {}

  std::string Config() const override {
    std::string config;
    for (const char* store : {kExpiryStore, kSweepStore, kListingStore,
                              kTokensStore, kOtherTokensStore}) {
      absl::StrAppend(&config, "[key_value_store.", store,
                      "]\ntype = \"redis\"\nurl = \"", server_->url(),
                      "\"\ntimeout = \"10s\"\n\n");
    }
    return config;
  }

  // Redis frees an expired value itself; what kvd's sweeper must free is
  // the key's entry in the store's ordered index.
  absl::StatusOr<int64_t> StoredKeys(const std::string& store) const override {
    absl::StatusOr<std::string> reply =
        server_->Command({"ZCARD", absl::StrCat("kvd:{", store, "}#keys")});
    if (!reply.ok()) return reply.status();
    int64_t count = 0;
    if (!absl::SimpleAtoi(*reply, &count)) {
      return absl::InternalError(absl::StrCat("ZCARD replied ", *reply));
    }
    return count;
  }

 private:
  std::unique_ptr<RedisServer> server_;
};

// One Redis for the binary, launched from the main thread (a RedisServer
// dies with the thread that launched it).
class RedisEnvironment : public ::testing::Environment {
 public:
  static RedisEnvironment* instance;

  void SetUp() override {
    absl::StatusOr<std::unique_ptr<RedisServer>> redis = RedisServer::Launch();
    ASSERT_TRUE(redis.ok()) << redis.status();
    backend_ = std::make_unique<RedisBackend>(*std::move(redis));
  }
  void TearDown() override { backend_.reset(); }

  RedisBackend* backend() { return backend_.get(); }

 private:
  std::unique_ptr<RedisBackend> backend_;
};

RedisEnvironment* RedisEnvironment::instance = static_cast<RedisEnvironment*>(
    ::testing::AddGlobalTestEnvironment(new RedisEnvironment));

class RedisExpiryListingTest : public ExpiryListingTest {
 protected:
  const ExpiryListingBackend* backend() override {
    return RedisEnvironment::instance->backend();
  }
};

TEST_F(RedisExpiryListingTest, ShortTtlIsGoneOnEveryReadPath) {
  ExpectShortTtlGoneOnEveryReadPath(*client_);
}

TEST_F(RedisExpiryListingTest, SetClearsTtlAndIncrementKeepsIt) {
  ExpectTtlClearedBySetKeptByIncrement(*client_);
}

TEST_F(RedisExpiryListingTest, InvalidTtlsAreRefusedNamingTheTtl) {
  ExpectInvalidTtlsRefused(*client_);
}

TEST_F(RedisExpiryListingTest, SweeperCleansTheKeyIndex) {
  ExpectSweeperReclaims(*backend(), *client_);
}

TEST_F(RedisExpiryListingTest, ListingUnderWritersReturnsStableKeysOnce) {
  ExpectListingUnderWritersReturnsStableKeysOnce(*kvd_);
}

TEST_F(RedisExpiryListingTest, ForeignAndGarbageTokensAreRefused) {
  ExpectForeignAndGarbageTokensRefused(*client_);
}

TEST_F(RedisExpiryListingTest, TokenSurvivesAKvdRestart) {
  ExpectTokenSurvivesARestart();
}

TEST_F(RedisExpiryListingTest, TokenWorksOnASecondKvd) {
  ExpectTokenWorksOnASecondKvd();
}

}  // namespace
}  // namespace kv::testing
