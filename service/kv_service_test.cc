#include "service/kv_service.h"

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/errors/kv_error.h"
#include "service/list_operations.h"
#include "service/read_operations.h"
#include "service/session_operations.h"
#include "service/write_operations.h"
#include "store/testing/status_matchers.h"

namespace kv {
namespace {

using ::kv::testing::IsOk;
using ::kv::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

StoreSpec Spec(const std::string& name, const std::string& type,
               std::map<std::string, std::string> options = {}) {
  StoreSpec spec;
  spec.name = name;
  spec.type = type;
  spec.options = std::move(options);
  spec.data_dir = ::testing::TempDir();
  spec.base_dir = ::testing::TempDir();
  return spec;
}

class KeyValueServiceTest : public ::testing::Test {
 protected:
  KeyValueServiceTest()
      : catalog_(Specs()),
        service_(Opened(&catalog_), SmallLimits(), 1,
                 [this](const std::string& service, bool serving) {
                   health_[service] = serving;
                 }) {}

  static std::vector<StoreSpec> Specs() {
    return {Spec("default", "memory"), Spec("other", "memory"),
            Spec("broken", "sqlite", {{"path", "/dev/null/x.db"}})};
  }

  // Opens the catalog's stores before the service reads their state.
  static StoreCatalog* Opened(StoreCatalog* catalog) {
    catalog->OpenAll();
    return catalog;
  }

  static Limits SmallLimits() {
    Limits limits;
    limits.max_open_stores = 4;
    limits.max_get_keys_bytes = 64 << 10;
    return limits;
  }

  uint32_t Open(const std::string& name) {
    v1::OpenRequest request;
    request.set_name(name);
    absl::StatusOr<v1::OpenResponse> response =
        service_.Run(operations::kOpen, "", request);
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? response->store() : 0;
  }

  absl::Status Set(uint32_t store, const std::string& key,
                   const std::string& value) {
    v1::SetRequest request;
    request.set_store(store);
    request.set_key(key);
    request.set_value(value);
    return service_.Run(operations::kSet, "", request).status();
  }

  absl::StatusOr<std::string> Get(uint32_t store, const std::string& key) {
    v1::GetRequest request;
    request.set_store(store);
    request.set_key(key);
    absl::StatusOr<v1::GetResponse> response =
        service_.Run(operations::kGet, "", request);
    if (!response.ok()) return response.status();
    return response->value();
  }

  absl::StatusOr<std::vector<std::string>> Keys(uint32_t store) {
    v1::GetKeysRequest request;
    request.set_store(store);
    absl::StatusOr<v1::GetKeysResponse> response =
        service_.Run(operations::kGetKeys, "", request);
    if (!response.ok()) return response.status();
    return std::vector<std::string>(response->keys().begin(),
                                    response->keys().end());
  }

  StoreCatalog catalog_;
  std::map<std::string, bool> health_;
  KeyValueService service_;
};

TEST_F(KeyValueServiceTest, SetGetExistsDeleteGetKeys) {
  uint32_t store = Open("default");
  ASSERT_NE(store, 0u);
  ASSERT_THAT(Set(store, "b", "2"), IsOk());
  ASSERT_THAT(Set(store, "a", std::string("\0x", 2)), IsOk());
  EXPECT_EQ(*Get(store, "a"), std::string("\0x", 2));
  EXPECT_THAT(*Keys(store), ElementsAre("a", "b"));

  v1::ExistsRequest exists;
  exists.set_store(store);
  exists.set_key("a");
  EXPECT_TRUE(service_.Run(operations::kExists, "", exists)->exists());

  v1::DeleteRequest del;
  del.set_store(store);
  del.set_key("a");
  ASSERT_THAT(service_.Run(operations::kDelete, "", del).status(), IsOk());
  EXPECT_FALSE(service_.Run(operations::kExists, "", exists)->exists());
  // Deleting a missing key is not an error.
  EXPECT_THAT(service_.Run(operations::kDelete, "", del).status(), IsOk());
}

TEST_F(KeyValueServiceTest, StoresAreSeparate) {
  uint32_t first = Open("default");
  uint32_t second = Open("other");
  ASSERT_THAT(Set(first, "k", "1"), IsOk());
  EXPECT_EQ(ErrorCodeOf(Get(second, "k").status()), v1::ERROR_CODE_NO_SUCH_KEY);
}

TEST_F(KeyValueServiceTest, MissingKeyIsNoSuchKeyNamingStoreAndKey) {
  absl::Status status = Get(Open("default"), "ghost").status();
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kNotFound,
                               HasSubstr("key \"ghost\" does not exist in "
                                         "store \"default\"")));
  EXPECT_EQ(ErrorCodeOf(status), v1::ERROR_CODE_NO_SUCH_KEY);
}

TEST_F(KeyValueServiceTest, UndefinedStoreIsNoSuchStore) {
  v1::OpenRequest request;
  request.set_name("nope");
  absl::Status status = service_.Run(operations::kOpen, "", request).status();
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kNotFound,
                               HasSubstr("store \"nope\" is not defined")));
  EXPECT_EQ(ErrorCodeOf(status), v1::ERROR_CODE_NO_SUCH_STORE);
}

TEST_F(KeyValueServiceTest, StoreHealthFollowsBackendAvailability) {
  EXPECT_TRUE(health_.at("store:default"));
  EXPECT_TRUE(health_.at("store:other"));
  EXPECT_FALSE(health_.at("store:broken"));
  EXPECT_FALSE(service_.IsStoreHealthy("broken"));
  EXPECT_TRUE(service_.IsStoreHealthy("default"));
}

TEST_F(KeyValueServiceTest, StoreThatCannotOpenIsIoUnavailable) {
  v1::OpenRequest request;
  request.set_name("broken");
  absl::Status status = service_.Run(operations::kOpen, "", request).status();
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kUnavailable,
                               HasSubstr("store \"broken\"")));
  EXPECT_THAT(std::string(status.message()), HasSubstr("/dev/null/x.db"));
  EXPECT_EQ(ErrorCodeOf(status), v1::ERROR_CODE_IO);
}

TEST_F(KeyValueServiceTest, UnsetClosedAndUnknownHandlesAreInvalidStore) {
  EXPECT_EQ(ErrorCodeOf(Get(0, "k").status()), v1::ERROR_CODE_INVALID_STORE);
  EXPECT_EQ(ErrorCodeOf(Get(123456, "k").status()),
            v1::ERROR_CODE_INVALID_STORE);
  uint32_t store = Open("default");
  v1::CloseRequest close;
  close.set_store(store);
  ASSERT_THAT(service_.Run(operations::kClose, "", close).status(), IsOk());
  EXPECT_THAT(service_.Run(operations::kClose, "", close).status(),
              IsOk());  // No-op.
  absl::Status status = Set(store, "k", "v");
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(ErrorCodeOf(status), v1::ERROR_CODE_INVALID_STORE);
}

TEST_F(KeyValueServiceTest, HandlesBelongToTheirPrincipal) {
  uint32_t store = Open("default");
  v1::GetRequest request;
  request.set_store(store);
  request.set_key("k");
  EXPECT_EQ(
      ErrorCodeOf(
          service_.Run(operations::kGet, "someone-else", request).status()),
      v1::ERROR_CODE_INVALID_STORE);
}

TEST_F(KeyValueServiceTest, OneOpenPastTheLimitIsStoreTableFull) {
  for (int i = 0; i < 4; ++i) Open("default");
  v1::OpenRequest request;
  request.set_name("default");
  absl::Status status = service_.Run(operations::kOpen, "", request).status();
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(ErrorCodeOf(status), v1::ERROR_CODE_STORE_TABLE_FULL);
}

TEST_F(KeyValueServiceTest, BadKeysAndValuesAreInvalidArgument) {
  uint32_t store = Open("default");
  EXPECT_THAT(Set(store, "", "v"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Set(store, std::string(257, 'k'), "v"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Set(store, "k", std::string((1 << 20) + 1, 'v')),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("over the limit of 1048576")));
  EXPECT_THAT(Get(store, "\xFF"), StatusIs(absl::StatusCode::kInvalidArgument,
                                           HasSubstr("not valid UTF-8")));
  EXPECT_THAT(Set(store, "k", std::string(1 << 20, 'v')), IsOk());
}

TEST_F(KeyValueServiceTest, GetKeysPastTheResponseLimitSaysWhatToDo) {
  uint32_t store = Open("default");
  // 64 KiB limit; 2,000 keys of 40 bytes need about 90 KiB.
  for (int i = 0; i < 2000; ++i) {
    ASSERT_THAT(Set(store, absl::StrCat(std::string(34, 'k'), 100000 + i), ""),
                IsOk());
  }
  absl::Status status = Keys(store).status();
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kResourceExhausted,
                               HasSubstr("limits.max_get_keys_bytes")));
  EXPECT_EQ(ErrorCodeOf(status), v1::ERROR_CODE_IO);
}

// Grants, with an authorizer built from [[client]] entries directly (config
// refuses a grant to an undefined store; this one grants "ghost" to show
// that existence is checked after the grant).
class GrantedKeyValueServiceTest : public ::testing::Test {
 protected:
  GrantedKeyValueServiceTest()
      : catalog_({Spec("default", "memory"), Spec("other", "memory")}),
        authorizer_(Clients(), nullptr),
        service_(
            Opened(&catalog_), Limits(), 1, [](const std::string&, bool) {},
            &authorizer_) {}

  static std::vector<ClientSpec> Clients() {
    ClientSpec reader;
    reader.name = "reader";
    reader.certificate_identity = "reader.example";
    reader.key_value_stores = {"other", "ghost"};
    reader.read_only_stores = {"default"};
    return {reader};
  }

  static StoreCatalog* Opened(StoreCatalog* catalog) {
    catalog->OpenAll();
    return catalog;
  }

  absl::StatusOr<uint32_t> Open(const std::string& principal,
                                const std::string& name) {
    v1::OpenRequest request;
    request.set_name(name);
    absl::StatusOr<v1::OpenResponse> response =
        service_.Run(operations::kOpen, principal, request);
    if (!response.ok()) return response.status();
    return response->store();
  }

  StoreCatalog catalog_;
  Authorizer authorizer_;
  KeyValueService service_;
};

TEST_F(GrantedKeyValueServiceTest, GrantIsCheckedBeforeExistence) {
  absl::Status denied = Open("reader", "secret").status();
  EXPECT_THAT(denied, StatusIs(absl::StatusCode::kPermissionDenied,
                               HasSubstr("\"secret\"")));
  EXPECT_EQ(ErrorCodeOf(denied), v1::ERROR_CODE_ACCESS_DENIED);
  // Undefined and defined ungranted stores look the same.
  EXPECT_EQ(ErrorCodeOf(Open("nobody", "default").status()),
            v1::ERROR_CODE_ACCESS_DENIED);
  EXPECT_EQ(ErrorCodeOf(Open("reader", "ghost").status()),
            v1::ERROR_CODE_NO_SUCH_STORE);
  EXPECT_THAT(Open("reader", "other").status(), IsOk());
}

TEST_F(GrantedKeyValueServiceTest, ReadOnlyHandleRefusesWritesOnly) {
  absl::StatusOr<uint32_t> writable = Open("reader", "other");
  absl::StatusOr<uint32_t> readable = Open("reader", "default");
  ASSERT_TRUE(writable.ok() && readable.ok());
  v1::SetRequest set;
  set.set_store(*readable);
  set.set_key("k");
  set.set_value("v");
  absl::Status refused = service_.Run(operations::kSet, "reader", set).status();
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kPermissionDenied,
                                HasSubstr("may only read store \"default\"")));
  EXPECT_EQ(ErrorCodeOf(refused), v1::ERROR_CODE_ACCESS_DENIED);
  v1::DeleteRequest del;
  del.set_store(*readable);
  del.set_key("k");
  EXPECT_EQ(
      ErrorCodeOf(service_.Run(operations::kDelete, "reader", del).status()),
      v1::ERROR_CODE_ACCESS_DENIED);

  v1::GetRequest get;
  get.set_store(*readable);
  get.set_key("k");
  EXPECT_EQ(ErrorCodeOf(service_.Run(operations::kGet, "reader", get).status()),
            v1::ERROR_CODE_NO_SUCH_KEY);
  v1::ExistsRequest exists;
  exists.set_store(*readable);
  exists.set_key("k");
  EXPECT_THAT(service_.Run(operations::kExists, "reader", exists).status(),
              IsOk());
  v1::GetKeysRequest keys;
  keys.set_store(*readable);
  EXPECT_THAT(service_.Run(operations::kGetKeys, "reader", keys).status(),
              IsOk());

  set.set_store(*writable);
  EXPECT_THAT(service_.Run(operations::kSet, "reader", set).status(), IsOk());
}

}  // namespace
}  // namespace kv
