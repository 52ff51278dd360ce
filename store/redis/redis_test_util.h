#ifndef KV_STORE_REDIS_REDIS_TEST_UTIL_H_
#define KV_STORE_REDIS_REDIS_TEST_UTIL_H_

// Small helpers the Redis driver's tests share: opening a driver on a test
// server, and reading through the Driver interface without revisions.

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "gtest/gtest.h"
#include "store/driver.h"
#include "store/registry.h"
#include "store/testing/redis_server.h"

namespace kv::redis_test {

inline StoreSpec RedisSpec(const std::string& name, const std::string& url) {
  StoreSpec spec;
  spec.name = name;
  spec.type = "redis";
  spec.options["url"] = url;
  return spec;
}

// A driver for store `name` on `server`'s database `db`, or a test failure
// and nullptr.
inline std::unique_ptr<Driver> OpenStore(const testing::RedisServer& server,
                                         const std::string& name, int db = 0) {
  absl::StatusOr<std::unique_ptr<Driver>> driver =
      OpenDriver(RedisSpec(name, server.url(db)));
  EXPECT_TRUE(driver.ok()) << driver.status();
  return driver.ok() ? *std::move(driver) : nullptr;
}

// The Redis key of `key` in store `name`: what the driver uses.
inline std::string RedisKey(const std::string& name, absl::string_view key) {
  return absl::StrCat("kvd:{", name, "}:", key);
}

inline std::string CounterKey(const std::string& name) {
  return absl::StrCat("kvd:{", name, "}#revision");
}

// The store's ordered index, expiry index and layout marker.
inline std::string IndexKey(const std::string& name) {
  return absl::StrCat("kvd:{", name, "}#keys");
}
inline std::string ExpiryKey(const std::string& name) {
  return absl::StrCat("kvd:{", name, "}#expiry");
}
inline std::string LayoutKey(const std::string& name) {
  return absl::StrCat("kvd:{", name, "}#layout");
}

// The value under `key`, without its revision.
inline absl::StatusOr<std::string> ValueOf(Driver& driver,
                                           absl::string_view key) {
  absl::StatusOr<Versioned> got = driver.Get(key);
  if (!got.ok()) return got.status();
  return std::move(got->value);
}

// Every key ListKeys visits, in order; a test failure on error.
inline std::vector<std::string> ListAll(Driver& driver) {
  std::vector<std::string> keys;
  absl::Status status = driver.ListKeys([&keys](absl::string_view key) {
    keys.emplace_back(key);
    return true;
  });
  EXPECT_TRUE(status.ok()) << status;
  return keys;
}

}  // namespace kv::redis_test

#endif  // KV_STORE_REDIS_REDIS_TEST_UTIL_H_
