#include "clients/cpp/store.h"

#include <string>
#include <utility>

#include "clients/cpp/fake_key_value.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kvd {
namespace {

TEST(StoreTest, RoundTripOverAChannel) {
  FakeKeyValueServer server;
  absl::StatusOr<Store> store = Store::Open("default", server.channel());
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_TRUE(store->Set("k", "v").ok());
  EXPECT_EQ(*store->Get("k"), "v");
  EXPECT_TRUE(*store->Exists("k"));
  EXPECT_THAT(*store->GetKeys(), ::testing::ElementsAre("k"));
  ASSERT_TRUE(store->Delete("k").ok());
  EXPECT_TRUE(IsNoSuchKey(store->Get("k").status()));
  ASSERT_TRUE(store->Close().ok());
  EXPECT_EQ(server.service().open_handles(), 0);
}

TEST(StoreTest, TokenIsSentAsBearerAuthorization) {
  FakeKeyValueServer server;
  Options options;
  options.token = "s3cret";
  absl::StatusOr<Store> store =
      Store::Open("default", server.channel(), options);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ(server.service().last_authorization(), "Bearer s3cret");
  ASSERT_TRUE(store->Set("k", "v").ok());
  EXPECT_EQ(server.service().last_authorization(), "Bearer s3cret");
}

TEST(StoreTest, NoTokenNoAuthorization) {
  FakeKeyValueServer server;
  absl::StatusOr<Store> store = Store::Open("default", server.channel());
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ(server.service().last_authorization(), "");
}

TEST(StoreTest, UnknownStoreIsNoSuchStore) {
  FakeKeyValueServer server;
  absl::StatusOr<Store> store = Store::Open("x", server.channel());
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(IsNoSuchStore(store.status()));
}

}  // namespace
}  // namespace kvd
