#ifndef KV_STORE_TESTING_DRIVER_CONFORMANCE_H_
#define KV_STORE_TESTING_DRIVER_CONFORMANCE_H_

// The conformance suite: the definition of "a Driver works". Every driver,
// and every adapter that presents a remote store as a kv::Driver (e.g. a
// client of a running kvd), passes it unchanged.
//
// To run it against a driver, depend on //store/testing:driver_conformance
// and instantiate the suite once per configuration, in the driver's test.
// The suite name must be unqualified in INSTANTIATE_TEST_SUITE_P, hence the
// using-declaration:
//
//   using ::kv::testing::DriverConformanceTest;
//   using ::kv::testing::DriverFactoryParam;
//   using ::kv::testing::DriverFactoryParamName;
//
//   absl::StatusOr<std::unique_ptr<kv::Driver>> OpenFreshSqlite();
//
//   INSTANTIATE_TEST_SUITE_P(
//       Sqlite, DriverConformanceTest,
//       ::testing::Values(DriverFactoryParam{"sqlite", &OpenFreshSqlite}),
//       DriverFactoryParamName);
//
// A backend that may be absent (a Redis or PostgreSQL server given by an
// environment variable) passes `::testing::ValuesIn(params)` with an empty
// vector when it is not configured; the suite then reports no tests for it
// rather than failing.

#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "store/driver.h"
#include "store/testing/fake_clock.h"

namespace kv::testing {

// One configuration of a driver under test.
struct DriverFactoryParam {
  // Names the configuration in test names, e.g. "sqlite" or "sqlite_os".
  // Letters, digits and underscores only (a gtest requirement).
  std::string name;

  // Returns a driver over a new, empty store that no other test uses. Called
  // once per test, before the test body, and the driver is destroyed after
  // it. The driver owns whatever the store needs (a temporary directory, a
  // server, a connection) or the factory keeps it alive for the process.
  // An error fails the test with the factory's message.
  std::function<absl::StatusOr<std::unique_ptr<Driver>>()> open;

  // Opens another driver over the store the last `open` call created, as a
  // restarted kvd, or a second kvd process sharing the backend, would. Empty
  // for a driver whose data does not outlive it (memory); such a driver is
  // not instantiated in PersistentDriverConformanceTest.
  std::function<absl::StatusOr<std::unique_ptr<Driver>>()> reopen;

  // The clock the factory's drivers judge expiry by (their StoreSpec::clock),
  // for a driver whose own clock decides (SQLite, memory); the expiry tests
  // then move it by hand and never sleep, and ClockControlledExpiryTest
  // checks expiry to the millisecond. Null for a driver whose server's clock
  // decides (Redis, PostgreSQL): the tests then use short ttls and wait, up
  // to a bound, for the server to expire the key. Lives for the process.
  FakeClock* clock = nullptr;
};

// Makes gtest print a parameter by its name instead of as raw bytes.
void PrintTo(const DriverFactoryParam& param, std::ostream* os);

// Test-name generator for INSTANTIATE_TEST_SUITE_P: uses `param.name`.
std::string DriverFactoryParamName(
    const ::testing::TestParamInfo<DriverFactoryParam>& info);

// The fixture of every conformance test. Drivers may add their own TEST_Ps
// on it, but driver-specific behaviour belongs in the driver's own test.
class DriverConformanceTest
    : public ::testing::TestWithParam<DriverFactoryParam> {
 protected:
  void SetUp() override;

  Driver& driver() { return *driver_; }

  // Every key ListKeys visits, in visiting order. Fails the test on error.
  std::vector<std::string> ListAllKeys();

  // The value under `key` without its revision.
  absl::StatusOr<std::string> GetValue(absl::string_view key);

  // The revision of `key`, 0 if absent. Fails the test on error.
  uint64_t RevisionOf(absl::string_view key);

  // The store's current revision. Fails the test on error.
  uint64_t StoreRevision();

  // Opens another driver over this test's store (GetParam().reopen, which
  // must be set).
  absl::StatusOr<std::unique_ptr<Driver>> OpenAnother();

  // Replaces the driver with one reopened over the same store, as a restart.
  void Restart();

  // One ListKeyPage call. Fails the test on error.
  KeyPage Page(absl::string_view prefix, absl::string_view after, size_t limit);

  // Every key with `prefix`, read in pages of `page_size`, checking each
  // page against the KeyPage contract. Fails the test on error.
  std::vector<std::string> ListByPages(absl::string_view prefix,
                                       size_t page_size);

  // A ttl for keys a test lets expire: 10 s on a controlled clock, else
  // 50 ms (the server's clock must pass it).
  absl::Duration ShortTtl() const;

  // Makes time pass until `key`, written with ShortTtl(), has expired: moves
  // the controlled clock on by ShortTtl(), or else waits (at most 30 s) until
  // the driver reports the key absent. Fails the test if it never expires.
  void LetExpire(absl::string_view key);

 private:
  std::unique_ptr<Driver> driver_;
};

// The conformance tests that need the data to outlive a driver: restarts and
// two drivers over one backend. Instantiated like DriverConformanceTest, with
// the params whose `reopen` is set.
class PersistentDriverConformanceTest : public DriverConformanceTest {};

// The expiry tests that need a controlled clock: instantiated with the params
// whose `clock` is set.
class ClockControlledExpiryTest : public DriverConformanceTest {};

}  // namespace kv::testing

#endif  // KV_STORE_TESTING_DRIVER_CONFORMANCE_H_
