#include "service/store_health.h"

#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/errors/kv_error.h"

namespace kv {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

class StoreHealthTest : public ::testing::Test {
 protected:
  std::vector<std::pair<std::string, bool>> published_;
  StoreHealth health_{{"default", "orders"},
                      [this](const std::string& service, bool serving) {
                        published_.emplace_back(service, serving);
                      }};
};

TEST_F(StoreHealthTest, PublishesEveryStoreAsServingAtStart) {
  EXPECT_THAT(published_, ElementsAre(Pair("store:default", true),
                                      Pair("store:orders", true)));
}

TEST_F(StoreHealthTest, OnlyUnavailableBackendsMakeAStoreUnhealthy) {
  published_.clear();
  health_.Report("orders", NoSuchKeyError("orders", "k"));
  health_.Report("orders", InvalidRequestError("bad key"));
  health_.Report("orders",
                 BackendError("orders", "get", absl::InternalError("corrupt")));
  EXPECT_TRUE(published_.empty());
  EXPECT_TRUE(health_.IsHealthy("orders"));

  health_.Report("orders", BackendError("orders", "get",
                                        absl::UnavailableError("refused")));
  EXPECT_FALSE(health_.IsHealthy("orders"));
  EXPECT_TRUE(health_.IsHealthy("default"));
  EXPECT_THAT(published_, ElementsAre(Pair("store:orders", false)));
}

TEST_F(StoreHealthTest, PublishesOnlyChanges) {
  published_.clear();
  const absl::Status down =
      BackendError("orders", "get", absl::UnavailableError("refused"));
  health_.Report("orders", down);
  health_.Report("orders", down);
  health_.Report("orders", absl::OkStatus());
  health_.Report("orders", absl::OkStatus());
  health_.Report("unknown", down);
  EXPECT_THAT(published_, ElementsAre(Pair("store:orders", false),
                                      Pair("store:orders", true)));
}

}  // namespace
}  // namespace kv
