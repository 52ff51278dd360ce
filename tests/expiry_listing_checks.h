#ifndef KV_TESTS_EXPIRY_LISTING_CHECKS_H_
#define KV_TESTS_EXPIRY_LISTING_CHECKS_H_

// Expiry and paged listing through a real kvd, the same checks on every
// backend (SQLite, Redis, PostgreSQL): each backend's test supplies an
// ExpiryListingBackend and calls these from its TESTs.
//
// No check asserts how fast anything is. Waits are bounded (poll until,
// with a deadline); the one place a check insists on "at once" is expiry
// itself: once the clock has passed a key's expire_time, every read must
// already treat it as absent (the API's guarantee), so those reads are made
// once, not polled.

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "tests/kv_test_client.h"
#include "tests/kvd_process.h"

namespace kv::testing {

// The stores every backend's runtime config defines, each used by one
// check so that checks do not see each other's keys.
inline constexpr char kExpiryStore[] = "expiry";
inline constexpr char kSweepStore[] = "sweep";
inline constexpr char kListingStore[] = "listing";
inline constexpr char kTokensStore[] = "tokens";
inline constexpr char kOtherTokensStore[] = "tokens_other";

// A backend under test.
class ExpiryListingBackend {
 public:
  virtual ~ExpiryListingBackend() = default;

  // The runtime config of a kvd serving the five stores above on this
  // backend. Two kvd processes started with it serve the same data.
  virtual std::string Config() const = 0;

  // How many keys of `store` the backend itself holds, expired or not: the
  // rows of its table (SQLite, PostgreSQL), or the entries of its key index
  // (Redis). What the background sweeper must bring down.
  virtual absl::StatusOr<int64_t> StoredKeys(
      const std::string& store) const = 0;
};

// Starts kvd on 127.0.0.1, a free port, with `backend`'s config, in a fresh
// directory named `dir_name`. Fails the test (and returns null) if it does
// not start.
std::unique_ptr<KvdProcess> StartKvdOn(const ExpiryListingBackend& backend,
                                       const std::string& dir_name);

// Opens `name`, failing the test if it cannot.
uint32_t OpenOrFail(KvTestClient& client, const std::string& name);

// Keys set with a 200 ms ttl (Set and SetMany) are reported with their
// expire_time while they live, and once the clock passes it they are absent
// from Get (NO_SUCH_KEY), Exists, GetMany, GetKeys and ListKeys; a key
// without ttl beside them stays, with no expire_time. Store kExpiryStore.
void ExpectShortTtlGoneOnEveryReadPath(KvTestClient& client);

// A Set without ttl clears an expiry; Increment keeps it; Increment on an
// expired key starts from 0 with no expiry; a condition sees an expired key
// as absent (revision 0). Store kExpiryStore.
void ExpectTtlClearedBySetKeptByIncrement(KvTestClient& client);

// ttl 0, negative, 0.5 ms and over the store's max_ttl are IO with
// INVALID_ARGUMENT naming the ttl, in Set and in SetMany, and write nothing;
// 1 ms and exactly max_ttl are accepted. Store kExpiryStore.
void ExpectInvalidTtlsRefused(KvTestClient& client);

// 1,000 keys set with a short ttl are removed from the backend itself (the
// count of StoredKeys goes back to the permanent keys beside them) by kvd's
// background sweeper, with no client call in the meantime. Store
// kSweepStore.
void ExpectSweeperReclaims(const ExpiryListingBackend& backend,
                           KvTestClient& client);

// A listing of 200,000 keys in pages of 1,000, while 4 writer threads (each
// on a channel of its own) set and delete other keys interleaved between
// them in byte order, returns every stable key exactly once, all keys in
// strictly ascending order. The listing waits, every 10 pages, until every
// writer has written again, so writes do land during it. Store
// kListingStore.
void ExpectListingUnderWritersReturnsStableKeysOnce(const KvdProcess& kvd);

// A page token used with another store or another prefix, and tokens that
// are not kvd's, are IO with INVALID_ARGUMENT naming the page_token; a
// negative page_size likewise names page_size. Stores kTokensStore and
// kOtherTokensStore.
void ExpectForeignAndGarbageTokensRefused(KvTestClient& client);

// A listing's first page through `before`, the rest through `after` (a
// restarted kvd, or another kvd on the same backend): every key of the
// prefix exactly once, in order. Fills kTokensStore through `before`.
// Returns the token of the first page, so the caller can restart kvd in
// between: call FirstPageOfTokens, then ExpectTokenContinues.
std::string FirstPageOfTokens(KvTestClient& before);
void ExpectTokenContinues(KvTestClient& after, const std::string& token);

// The fixture of every backend's test: a kvd on backend(), started fresh for
// each test, and a client of it. A backend's test derives from it, returns
// its backend from backend(), and calls the checks above from its TEST_Fs.
class ExpiryListingTest : public ::testing::Test {
 protected:
  // The backend under test, alive for the whole test; null if it could not
  // be started (the test then fails).
  virtual const ExpiryListingBackend* backend() = 0;

  void SetUp() override;

  // FirstPageOfTokens through this kvd, a clean stop and a restart of kvd
  // on the same backend, then ExpectTokenContinues through the new kvd.
  void ExpectTokenSurvivesARestart();

  // FirstPageOfTokens through this kvd, then ExpectTokenContinues through a
  // second kvd serving the same backend at the same time.
  void ExpectTokenWorksOnASecondKvd();

  std::unique_ptr<KvdProcess> kvd_;
  std::unique_ptr<KvTestClient> client_;
};

}  // namespace kv::testing

#endif  // KV_TESTS_EXPIRY_LISTING_CHECKS_H_
