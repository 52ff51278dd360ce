// clients/SCENARIO.md, row by row, through the C++ client against the kvd
// that clients/testing/with_kvd.sh started (KVD_ADDR).

#include <string>
#include <vector>

#include "clients/cpp/store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kvd {
namespace {

using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

const std::string kPrefix = "scenario-cpp/";

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

Store OpenOrDie(const std::string& name) {
  absl::StatusOr<Store> store = Store::Open(name);
  EXPECT_TRUE(store.ok()) << store.status();
  return *std::move(store);
}

void ExpectError(const absl::Status& status, kv::v1::ErrorCode code,
                 absl::StatusCode canonical) {
  EXPECT_EQ(ErrorCodeOf(status), code) << status;
  EXPECT_EQ(status.code(), canonical) << status;
}

TEST(ScenarioTest, EveryRow) {
  // 1
  Store store = OpenOrDie("default");
  EXPECT_NE(store.handle(), 0u);
  // 2, 3
  ASSERT_TRUE(store.Set(kPrefix + "plain", "hello").ok());
  EXPECT_EQ(*store.Get(kPrefix + "plain"), "hello");
  ASSERT_TRUE(store.Set(kPrefix + "plain", "again").ok());
  EXPECT_EQ(*store.Get(kPrefix + "plain"), "again");
  // 4, 5, 6, 7
  const std::string binary = Bytes({0x00, 0x01, 0x00, 0xFF, 0x00});
  ASSERT_TRUE(store.Set(kPrefix + "binary", binary).ok());
  EXPECT_EQ(*store.Get(kPrefix + "binary"), binary);
  ASSERT_TRUE(store.Set(kPrefix + "empty", "").ok());
  EXPECT_EQ(*store.Get(kPrefix + "empty"), "");
  ASSERT_TRUE(store.Set(kPrefix + "big", Mebibyte()).ok());
  EXPECT_EQ(*store.Get(kPrefix + "big"), Mebibyte());
  const std::string utf8_key = kPrefix + "ключ/キー/🔑";
  ASSERT_TRUE(store.Set(utf8_key, "utf8").ok());
  EXPECT_EQ(*store.Get(utf8_key), "utf8");
  // 8
  EXPECT_TRUE(*store.Exists(kPrefix + "plain"));
  EXPECT_FALSE(*store.Exists(kPrefix + "missing"));
  // 9
  absl::Status missing = store.Get(kPrefix + "missing").status();
  ExpectError(missing, kv::v1::ERROR_CODE_NO_SUCH_KEY,
              absl::StatusCode::kNotFound);
  EXPECT_TRUE(IsNoSuchKey(missing));
  EXPECT_THAT(std::string(missing.message()), HasSubstr("missing"));
  // 10
  ASSERT_TRUE(store.Delete(kPrefix + "plain").ok());
  EXPECT_FALSE(*store.Exists(kPrefix + "plain"));
  EXPECT_TRUE(store.Delete(kPrefix + "plain").ok());
  // 11
  absl::StatusOr<std::vector<std::string>> keys = store.GetKeys();
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
    Store mem = OpenOrDie("mem");
    ExpectError(mem.Get(kPrefix + "big").status(),
                kv::v1::ERROR_CODE_NO_SUCH_KEY, absl::StatusCode::kNotFound);
    // Closed now, not by the destructor in the background: row 20 counts
    // the handles kvd holds.
    ASSERT_TRUE(mem.Close().ok());
  }
  // 14
  ExpectError(Store::Open("no-such-store").status(),
              kv::v1::ERROR_CODE_NO_SUCH_STORE, absl::StatusCode::kNotFound);
  // 15
  absl::Status broken = Store::Open("broken").status();
  ExpectError(broken, kv::v1::ERROR_CODE_IO, absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(broken.message()), HasSubstr("broken"));
  // 16, 17
  ExpectError(store.Set(kPrefix + std::string(257, 'k'), "v"),
              kv::v1::ERROR_CODE_IO, absl::StatusCode::kInvalidArgument);
  ExpectError(store.Set(kPrefix + "too-big", Mebibyte(1)),
              kv::v1::ERROR_CODE_IO, absl::StatusCode::kInvalidArgument);
  // 18, 19: a copy of the handle number stands for a caller that kept it.
  const uint32_t closed_handle = store.handle();
  ASSERT_TRUE(store.Close().ok());
  ExpectError(store.Get(kPrefix + "big").status(),
              kv::v1::ERROR_CODE_INVALID_STORE,
              absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(store.Close().ok());
  EXPECT_NE(closed_handle, 0u);
  // 20
  std::vector<Store> held;
  for (int i = 1; i <= 300; ++i) {
    absl::StatusOr<Store> opened = Store::Open("default");
    if (i <= 256) {
      ASSERT_TRUE(opened.ok()) << "open " << i << ": " << opened.status();
      held.push_back(*std::move(opened));
    } else {
      ExpectError(opened.status(), kv::v1::ERROR_CODE_STORE_TABLE_FULL,
                  absl::StatusCode::kResourceExhausted);
    }
  }
  // 21
  for (Store& held_store : held) ASSERT_TRUE(held_store.Close().ok());
  EXPECT_TRUE(Store::Open("default").ok());
}

}  // namespace
}  // namespace kvd
