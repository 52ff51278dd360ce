// clients/SCENARIO.md, row by row, through the C++ client's async API (the
// *Async methods, on gRPC's callback API) against the kvd that
// clients/testing/with_kvd.sh started (KVD_ADDR). Each step waits for its
// callback; row 20 starts all 300 opens at once and then waits for them.

#include <functional>
#include <future>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "clients/cpp/store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kvd {
namespace {

using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

const std::string kPrefix = "scenario-cpp-async/";

std::string Bytes(std::initializer_list<int> bytes) {
  std::string result;
  for (int b : bytes) result.push_back(static_cast<char>(b));
  return result;
}

std::string Mebibyte(size_t extra = 0) {
  std::string value((1 << 20) + extra, '\0');
  for (size_t i = 0; i < value.size(); ++i)
    value[i] = static_cast<char>(i % 251);
  return value;
}

// Starts an async call with a callback that fulfils a future; returns the
// future. `start` receives the callback.
template <typename T>
std::future<T> Start(const std::function<void(std::function<void(T)>)>& start) {
  auto promise = std::make_shared<std::promise<T>>();
  std::future<T> future = promise->get_future();
  start([promise](T result) { promise->set_value(std::move(result)); });
  return future;
}

std::future<absl::StatusOr<Store>> OpenAsync(const std::string& name) {
  return Start<absl::StatusOr<Store>>([&](Store::Callback<Store> done) {
    Store::OpenAsync(name, Options{}, std::move(done));
  });
}

absl::StatusOr<std::string> Get(Store& store, const std::string& key) {
  return Start<absl::StatusOr<std::string>>(
             [&](Store::Callback<std::string> done) {
               store.GetAsync(key, std::move(done));
             })
      .get();
}

absl::Status Set(Store& store, const std::string& key,
                 const std::string& value) {
  return Start<absl::Status>([&](Store::StatusCallback done) {
           store.SetAsync(key, value, std::move(done));
         })
      .get();
}

absl::Status Delete(Store& store, const std::string& key) {
  return Start<absl::Status>([&](Store::StatusCallback done) {
           store.DeleteAsync(key, std::move(done));
         })
      .get();
}

absl::StatusOr<bool> Exists(Store& store, const std::string& key) {
  return Start<absl::StatusOr<bool>>([&](Store::Callback<bool> done) {
           store.ExistsAsync(key, std::move(done));
         })
      .get();
}

absl::StatusOr<std::vector<std::string>> GetKeys(Store& store) {
  return Start<absl::StatusOr<std::vector<std::string>>>(
             [&](Store::Callback<std::vector<std::string>> done) {
               store.GetKeysAsync(std::move(done));
             })
      .get();
}

absl::Status Close(Store& store) {
  return Start<absl::Status>([&](Store::StatusCallback done) {
           store.CloseAsync(std::move(done));
         })
      .get();
}

void ExpectError(const absl::Status& status, kv::v1::ErrorCode code,
                 absl::StatusCode canonical) {
  EXPECT_EQ(ErrorCodeOf(status), code) << status;
  EXPECT_EQ(status.code(), canonical) << status;
}

TEST(ScenarioAsyncTest, EveryRow) {
  // 1
  absl::StatusOr<Store> opened = OpenAsync("default").get();
  ASSERT_TRUE(opened.ok()) << opened.status();
  Store store = *std::move(opened);
  EXPECT_NE(store.handle(), 0u);
  // 2, 3
  ASSERT_TRUE(Set(store, kPrefix + "plain", "hello").ok());
  EXPECT_EQ(*Get(store, kPrefix + "plain"), "hello");
  ASSERT_TRUE(Set(store, kPrefix + "plain", "again").ok());
  EXPECT_EQ(*Get(store, kPrefix + "plain"), "again");
  // 4, 5, 6, 7
  const std::string binary = Bytes({0x00, 0x01, 0x00, 0xFF, 0x00});
  ASSERT_TRUE(Set(store, kPrefix + "binary", binary).ok());
  EXPECT_EQ(*Get(store, kPrefix + "binary"), binary);
  ASSERT_TRUE(Set(store, kPrefix + "empty", "").ok());
  EXPECT_EQ(*Get(store, kPrefix + "empty"), "");
  ASSERT_TRUE(Set(store, kPrefix + "big", Mebibyte()).ok());
  EXPECT_EQ(*Get(store, kPrefix + "big"), Mebibyte());
  const std::string utf8_key = kPrefix + "ключ/キー/🔑";
  ASSERT_TRUE(Set(store, utf8_key, "utf8").ok());
  EXPECT_EQ(*Get(store, utf8_key), "utf8");
  // 8
  EXPECT_TRUE(*Exists(store, kPrefix + "plain"));
  EXPECT_FALSE(*Exists(store, kPrefix + "missing"));
  // 9
  absl::Status missing = Get(store, kPrefix + "missing").status();
  ExpectError(missing, kv::v1::ERROR_CODE_NO_SUCH_KEY,
              absl::StatusCode::kNotFound);
  EXPECT_TRUE(IsNoSuchKey(missing));
  EXPECT_THAT(std::string(missing.message()), HasSubstr("missing"));
  // 10
  ASSERT_TRUE(Delete(store, kPrefix + "plain").ok());
  EXPECT_FALSE(*Exists(store, kPrefix + "plain"));
  EXPECT_TRUE(Delete(store, kPrefix + "plain").ok());
  // 11
  absl::StatusOr<std::vector<std::string>> keys = GetKeys(store);
  ASSERT_TRUE(keys.ok()) << keys.status();
  std::vector<std::string> mine;
  for (const std::string& key : *keys) {
    if (key.rfind(kPrefix, 0) == 0) mine.push_back(key);
  }
  EXPECT_THAT(mine, UnorderedElementsAre(kPrefix + "big", kPrefix + "binary",
                                         kPrefix + "empty", utf8_key));
  // 12: C++ has no natural JSON type; the C++ client offers no JSON helpers.
  // 13
  {
    absl::StatusOr<Store> mem = OpenAsync("mem").get();
    ASSERT_TRUE(mem.ok()) << mem.status();
    ExpectError(Get(*mem, kPrefix + "big").status(),
                kv::v1::ERROR_CODE_NO_SUCH_KEY, absl::StatusCode::kNotFound);
    ASSERT_TRUE(Close(*mem).ok());  // Row 20 counts kvd's handles.
  }
  // 14
  ExpectError(OpenAsync("no-such-store").get().status(),
              kv::v1::ERROR_CODE_NO_SUCH_STORE, absl::StatusCode::kNotFound);
  // 15
  absl::Status broken = OpenAsync("broken").get().status();
  ExpectError(broken, kv::v1::ERROR_CODE_IO, absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(broken.message()), HasSubstr("broken"));
  // 16, 17
  ExpectError(Set(store, kPrefix + std::string(257, 'k'), "v"),
              kv::v1::ERROR_CODE_IO, absl::StatusCode::kInvalidArgument);
  ExpectError(Set(store, kPrefix + "too-big", Mebibyte(1)),
              kv::v1::ERROR_CODE_IO, absl::StatusCode::kInvalidArgument);
  // 18, 19
  ASSERT_TRUE(Close(store).ok());
  ExpectError(Get(store, kPrefix + "big").status(),
              kv::v1::ERROR_CODE_INVALID_STORE,
              absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Close(store).ok());
  // 20: the opens run concurrently, so which ones kvd refuses is not fixed;
  // exactly 256 succeed and the other 44 are STORE_TABLE_FULL.
  std::vector<std::future<absl::StatusOr<Store>>> pending;
  for (int i = 1; i <= 300; ++i) pending.push_back(OpenAsync("default"));
  std::vector<Store> held;
  int table_full = 0;
  for (auto& future : pending) {
    absl::StatusOr<Store> result = future.get();
    if (result.ok()) {
      held.push_back(*std::move(result));
    } else {
      ExpectError(result.status(), kv::v1::ERROR_CODE_STORE_TABLE_FULL,
                  absl::StatusCode::kResourceExhausted);
      ++table_full;
    }
  }
  EXPECT_EQ(held.size(), 256u);
  EXPECT_EQ(table_full, 44);
  // 21
  std::vector<std::future<absl::Status>> closing;
  for (Store& held_store : held) {
    closing.push_back(Start<absl::Status>([&](Store::StatusCallback done) {
      held_store.CloseAsync(std::move(done));
    }));
  }
  for (auto& future : closing) EXPECT_TRUE(future.get().ok());
  EXPECT_TRUE(OpenAsync("default").get().ok());
}

}  // namespace
}  // namespace kvd
