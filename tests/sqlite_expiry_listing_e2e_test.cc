// Expiry and paged listing through the real kvd binary on SQLite stores
// (tests/expiry_listing_checks.h): short ttls on every read path, ttl
// validation, the background sweeper (rows counted in the database file),
// a 200,000-key listing under 4 writers, foreign and garbage page tokens,
// and a token that survives a kvd restart.

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "sqlite3.h"
#include "tests/expiry_listing_checks.h"
#include "tests/kv_test_client.h"
#include "tests/kvd_process.h"

namespace kv::testing {
namespace {

// Each store in its own database file under one directory, which every kvd
// of the test binary is configured with.
class SqliteBackend : public ExpiryListingBackend {
 public:
  SqliteBackend() : dir_(NewTempDir("sqlite-stores")) {}

  std::string Config() const override {
    std::string config;
    for (const char* store : {kExpiryStore, kSweepStore, kListingStore,
                              kTokensStore, kOtherTokensStore}) {
      absl::StrAppend(&config, "[key_value_store.", store,
                      "]\ntype = \"sqlite\"\npath = \"", Path(store), "\"\n\n");
    }
    return config;
  }

  // The rows of the store's table, read from the file while kvd runs (WAL
  // lets a reader in beside kvd's writer).
  absl::StatusOr<int64_t> StoredKeys(const std::string& store) const override {
    sqlite3* db = nullptr;
    const std::string path = Path(store);
    int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
    int64_t rows = -1;
    if (rc == SQLITE_OK) {
      sqlite3_busy_timeout(db, 5000);
      sqlite3_stmt* statement = nullptr;
      rc = sqlite3_prepare_v2(db, "SELECT count(*) FROM kv", -1, &statement,
                              nullptr);
      if (rc == SQLITE_OK) {
        rc = sqlite3_step(statement);
        if (rc == SQLITE_ROW) rows = sqlite3_column_int64(statement, 0);
      }
      sqlite3_finalize(statement);
    }
    const std::string error = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    if (rows < 0) {
      return absl::InternalError(absl::StrCat(path, ": ", error));
    }
    return rows;
  }

 private:
  std::string Path(const std::string& store) const {
    return absl::StrCat(dir_, "/", store, ".db");
  }

  std::string dir_;
};

class SqliteExpiryListingTest : public ExpiryListingTest {
 protected:
  static void SetUpTestSuite() { backend_ = new SqliteBackend(); }
  static void TearDownTestSuite() {
    delete backend_;
    backend_ = nullptr;
  }
  const ExpiryListingBackend* backend() override { return backend_; }

  static SqliteBackend* backend_;
};

SqliteBackend* SqliteExpiryListingTest::backend_ = nullptr;

TEST_F(SqliteExpiryListingTest, ShortTtlIsGoneOnEveryReadPath) {
  ExpectShortTtlGoneOnEveryReadPath(*client_);
}

TEST_F(SqliteExpiryListingTest, SetClearsTtlAndIncrementKeepsIt) {
  ExpectTtlClearedBySetKeptByIncrement(*client_);
}

TEST_F(SqliteExpiryListingTest, InvalidTtlsAreRefusedNamingTheTtl) {
  ExpectInvalidTtlsRefused(*client_);
}

TEST_F(SqliteExpiryListingTest, SweeperRemovesExpiredRowsFromTheFile) {
  ExpectSweeperReclaims(*backend(), *client_);
}

TEST_F(SqliteExpiryListingTest, ListingUnderWritersReturnsStableKeysOnce) {
  ExpectListingUnderWritersReturnsStableKeysOnce(*kvd_);
}

TEST_F(SqliteExpiryListingTest, ForeignAndGarbageTokensAreRefused) {
  ExpectForeignAndGarbageTokensRefused(*client_);
}

TEST_F(SqliteExpiryListingTest, TokenSurvivesAKvdRestart) {
  ExpectTokenSurvivesARestart();
}

}  // namespace
}  // namespace kv::testing
