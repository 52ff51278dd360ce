#ifndef KV_STORE_POSTGRES_POSTGRES_TEST_ENV_H_
#define KV_STORE_POSTGRES_POSTGRES_TEST_ENV_H_

// What the postgres driver's tests share: one private PostgreSQL server per
// test binary (a gtest Environment that linking this library registers),
// and specs of fresh stores on it.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "gtest/gtest.h"
#include "store/driver.h"
#include "store/registry.h"
#include "store/testing/postgres_server.h"

namespace kv::postgres_test {

// The binary's server, started before the first test; the error it failed
// with otherwise. Tests that stop it start it again before they end.
absl::StatusOr<::kv::testing::PostgresServer*> Server();

// A store name no other test uses: `prefix`, "_", a number.
std::string FreshStoreName(absl::string_view prefix);

// A "postgres" spec for store `name` at `url`, with a timeout generous
// enough for sanitizer builds (tests of the deadline set less).
StoreSpec PostgresSpec(const std::string& url, const std::string& name);

// The spec of a fresh store on Server().
absl::StatusOr<StoreSpec> FreshSpec(absl::string_view prefix = "test");

// `text` as an SQL string literal, for statements a test runs itself.
std::string SqlText(absl::string_view text);

// `bytes` as an SQL bytea literal ('\x...'::bytea).
std::string SqlBytea(absl::string_view bytes);

// The value of `key` without its revision.
absl::StatusOr<std::string> ValueOf(Driver& driver, absl::string_view key);

// The fixture of the driver's own tests: the binary's server, and fresh
// stores on it.
class ServerTest : public ::testing::Test {
 protected:
  // Fails the test unless Server() is up.
  void SetUp() override;

  // The driver of `spec`; null (and the test failed) if it cannot open.
  std::unique_ptr<Driver> OpenOrDie(const StoreSpec& spec);

  // The spec of a fresh store named `prefix`_N, in `table` (the default
  // table if empty).
  StoreSpec Spec(absl::string_view prefix = "test",
                 absl::string_view table = "");

  ::kv::testing::PostgresServer* server_ = nullptr;
};

}  // namespace kv::postgres_test

#endif  // KV_STORE_POSTGRES_POSTGRES_TEST_ENV_H_
