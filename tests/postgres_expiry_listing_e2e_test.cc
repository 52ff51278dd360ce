// Expiry and paged listing through the real kvd binary on PostgreSQL stores
// in a private PostgreSQL server (tests/expiry_listing_checks.h): short ttls
// on every read path, ttl validation, the background sweeper (rows of the
// store in kvd's table), a 200,000-key listing under 4 writers, foreign and
// garbage page tokens, and a token that survives a kvd restart and works on
// a second kvd sharing the database.

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "store/testing/postgres_server.h"
#include "tests/expiry_listing_checks.h"
#include "tests/kv_test_client.h"
#include "tests/kvd_process.h"

namespace kv::testing {
namespace {

class PostgresBackend : public ExpiryListingBackend {
 public:
  explicit PostgresBackend(std::unique_ptr<PostgresServer> server)
      : server_(std::move(server)) {}

  std::string Config() const override {
    std::string config;
    for (const char* store : {kExpiryStore, kSweepStore, kListingStore,
                              kTokensStore, kOtherTokensStore}) {
      absl::StrAppend(&config, "[key_value_store.", store,
                      "]\ntype = \"postgres\"\nurl = \"", server_->url(),
                      "\"\ntimeout = \"10s\"\npool_size = 4\n\n");
    }
    return config;
  }

  // The store's rows in kvd's table (the default, kvd_kv), expired or not.
  absl::StatusOr<int64_t> StoredKeys(const std::string& store) const override {
    absl::StatusOr<std::string> rows = server_->Query(absl::StrCat(
        "SELECT count(*) FROM kvd_kv WHERE store = '", store, "'"));
    if (!rows.ok()) return rows.status();
    int64_t count = 0;
    if (!absl::SimpleAtoi(*rows, &count)) {
      return absl::InternalError(absl::StrCat("count(*) gave ", *rows));
    }
    return count;
  }

 private:
  std::unique_ptr<PostgresServer> server_;
};

// One PostgreSQL server for the binary: it takes seconds to start.
class PostgresEnvironment : public ::testing::Environment {
 public:
  static PostgresEnvironment* instance;

  void SetUp() override {
    absl::StatusOr<std::unique_ptr<PostgresServer>> server =
        PostgresServer::Create();
    ASSERT_TRUE(server.ok()) << server.status();
    backend_ = std::make_unique<PostgresBackend>(*std::move(server));
  }
  void TearDown() override { backend_.reset(); }

  PostgresBackend* backend() { return backend_.get(); }

 private:
  std::unique_ptr<PostgresBackend> backend_;
};

PostgresEnvironment* PostgresEnvironment::instance =
    static_cast<PostgresEnvironment*>(
        ::testing::AddGlobalTestEnvironment(new PostgresEnvironment));

class PostgresExpiryListingTest : public ExpiryListingTest {
 protected:
  const ExpiryListingBackend* backend() override {
    return PostgresEnvironment::instance->backend();
  }
};

TEST_F(PostgresExpiryListingTest, ShortTtlIsGoneOnEveryReadPath) {
  ExpectShortTtlGoneOnEveryReadPath(*client_);
}

TEST_F(PostgresExpiryListingTest, SetClearsTtlAndIncrementKeepsIt) {
  ExpectTtlClearedBySetKeptByIncrement(*client_);
}

TEST_F(PostgresExpiryListingTest, InvalidTtlsAreRefusedNamingTheTtl) {
  ExpectInvalidTtlsRefused(*client_);
}

TEST_F(PostgresExpiryListingTest, SweeperDeletesExpiredRows) {
  ExpectSweeperReclaims(*backend(), *client_);
}

TEST_F(PostgresExpiryListingTest, ListingUnderWritersReturnsStableKeysOnce) {
  ExpectListingUnderWritersReturnsStableKeysOnce(*kvd_);
}

TEST_F(PostgresExpiryListingTest, ForeignAndGarbageTokensAreRefused) {
  ExpectForeignAndGarbageTokensRefused(*client_);
}

TEST_F(PostgresExpiryListingTest, TokenSurvivesAKvdRestart) {
  ExpectTokenSurvivesARestart();
}

TEST_F(PostgresExpiryListingTest, TokenWorksOnASecondKvd) {
  ExpectTokenWorksOnASecondKvd();
}

}  // namespace
}  // namespace kv::testing
