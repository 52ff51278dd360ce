#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/driver.h"
#include "store/registry.h"
#include "store/testing/driver_conformance.h"
#include "store/testing/status_matchers.h"

namespace kv {
namespace {

using ::kv::testing::ClockControlledExpiryTest;
using ::kv::testing::DriverConformanceTest;
using ::kv::testing::DriverFactoryParam;
using ::kv::testing::DriverFactoryParamName;
using ::kv::testing::FakeClock;
using ::kv::testing::IsOk;
using ::kv::testing::IsOkAndHolds;
using ::kv::testing::StatusIs;

FakeClock& TestClock() {
  static FakeClock* const clock = new FakeClock;
  return *clock;
}

absl::StatusOr<std::unique_ptr<Driver>> OpenMemory() {
  StoreSpec spec;
  spec.name = "conformance";
  spec.type = "memory";
  spec.clock = &TestClock();
  return OpenDriver(spec);
}

DriverFactoryParam MemoryParam() {
  DriverFactoryParam param{"memory", &OpenMemory};
  param.clock = &TestClock();
  return param;
}

INSTANTIATE_TEST_SUITE_P(Memory, DriverConformanceTest,
                         ::testing::Values(MemoryParam()),
                         DriverFactoryParamName);
INSTANTIATE_TEST_SUITE_P(Memory, ClockControlledExpiryTest,
                         ::testing::Values(MemoryParam()),
                         DriverFactoryParamName);

TEST(MemoryDriverTest, IsRegisteredWithoutFields) {
  const DriverType* type = FindDriverType("memory");
  ASSERT_NE(type, nullptr);
  EXPECT_TRUE(type->fields.empty());
  EXPECT_FALSE(type->description.empty());
}

TEST(MemoryDriverTest, StoresDoNotShareData) {
  absl::StatusOr<std::unique_ptr<Driver>> a = OpenMemory();
  absl::StatusOr<std::unique_ptr<Driver>> b = OpenMemory();
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  ASSERT_THAT((*a)->Set("key", "a"), IsOk());
  EXPECT_THAT((*b)->Exists("key"), IsOkAndHolds(false));
  EXPECT_EQ((*a)->Location(), "");
}

TEST(MemoryDriverTest, NotFoundNamesTheStore) {
  absl::StatusOr<std::unique_ptr<Driver>> driver = OpenMemory();
  ASSERT_THAT(driver, IsOk());
  EXPECT_THAT((*driver)->Get("k"),
              StatusIs(absl::StatusCode::kNotFound,
                       ::testing::HasSubstr("store \"conformance\"")));
}

TEST(MemoryDriverTest, VisitMayCallBackIntoTheDriver) {
  absl::StatusOr<std::unique_ptr<Driver>> opened = OpenMemory();
  ASSERT_THAT(opened, IsOk());
  Driver& driver = **opened;
  for (int i = 0; i < 600; ++i) {
    ASSERT_THAT(driver.Set(std::to_string(1000 + i), "v"), IsOk());
  }
  int visited = 0;
  ASSERT_THAT(driver.ListKeys([&](absl::string_view key) {
    ++visited;
    EXPECT_THAT(driver.Exists(key), IsOkAndHolds(true));
    EXPECT_THAT(driver.Delete(key), IsOk());
    return true;
  }),
              IsOk());
  EXPECT_EQ(visited, 600);
  EXPECT_THAT(driver.Exists("1000"), IsOkAndHolds(false));
}

}  // namespace
}  // namespace kv
