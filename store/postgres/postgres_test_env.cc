#include "store/postgres/postgres_test_env.h"

#include <atomic>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gtest/gtest.h"
#include "store/testing/postgres_server.h"

namespace kv::postgres_test {
namespace {

using ::kv::testing::PostgresServer;

// One server for the whole binary: startup takes seconds.
class PostgresEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<PostgresServer>> server =
        PostgresServer::Create();
    if (!server.ok()) {
      status_ = server.status();
      ADD_FAILURE() << "cannot start PostgreSQL: " << status_;
      return;
    }
    server_ = *std::move(server);
  }
  void TearDown() override { server_.reset(); }

  absl::StatusOr<PostgresServer*> server() {
    if (server_ == nullptr) return status_;
    return server_.get();
  }

 private:
  absl::Status status_ = absl::FailedPreconditionError("not started");
  std::unique_ptr<PostgresServer> server_;
};

PostgresEnvironment* const environment = static_cast<PostgresEnvironment*>(
    ::testing::AddGlobalTestEnvironment(new PostgresEnvironment));

}  // namespace

absl::StatusOr<PostgresServer*> Server() { return environment->server(); }

std::string FreshStoreName(absl::string_view prefix) {
  static std::atomic<int> counter{0};
  return absl::StrCat(prefix, "_", counter.fetch_add(1));
}

StoreSpec PostgresSpec(const std::string& url, const std::string& name) {
  StoreSpec spec;
  spec.name = name;
  spec.type = "postgres";
  spec.options["url"] = url;
  spec.options["timeout"] = "10s";
  return spec;
}

absl::StatusOr<StoreSpec> FreshSpec(absl::string_view prefix) {
  absl::StatusOr<PostgresServer*> server = Server();
  if (!server.ok()) return server.status();
  return PostgresSpec((*server)->url(), FreshStoreName(prefix));
}

std::string SqlText(absl::string_view text) {
  return absl::StrCat("'", absl::StrReplaceAll(text, {{"'", "''"}}), "'");
}

std::string SqlBytea(absl::string_view bytes) {
  return absl::StrCat("'\\x", absl::BytesToHexString(bytes), "'::bytea");
}

absl::StatusOr<std::string> ValueOf(Driver& driver, absl::string_view key) {
  absl::StatusOr<Versioned> got = driver.Get(key);
  if (!got.ok()) return got.status();
  return std::move(got->value);
}

void ServerTest::SetUp() {
  absl::StatusOr<::kv::testing::PostgresServer*> server = Server();
  ASSERT_TRUE(server.ok()) << server.status();
  server_ = *server;
  ASSERT_TRUE(server_->running());
}

std::unique_ptr<Driver> ServerTest::OpenOrDie(const StoreSpec& spec) {
  absl::StatusOr<std::unique_ptr<Driver>> driver = OpenDriver(spec);
  EXPECT_TRUE(driver.ok()) << driver.status();
  return driver.ok() ? *std::move(driver) : nullptr;
}

StoreSpec ServerTest::Spec(absl::string_view prefix, absl::string_view table) {
  StoreSpec spec = PostgresSpec(server_->url(), FreshStoreName(prefix));
  if (!table.empty()) spec.options["table"] = std::string(table);
  return spec;
}

}  // namespace kv::postgres_test
