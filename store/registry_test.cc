#include "store/registry.h"

#include <algorithm>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/driver.h"
#include "store/testing/status_matchers.h"

namespace kv {
namespace {

using ::kv::testing::IsOk;
using ::kv::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsSupersetOf;

// A driver that only remembers the spec it was opened with.
class SpecDriver : public Driver {
 public:
  explicit SpecDriver(StoreSpec spec) : spec_(std::move(spec)) {}

  absl::StatusOr<Versioned> Get(absl::string_view key) override {
    return absl::NotFoundError("empty");
  }
  absl::StatusOr<std::vector<absl::optional<Versioned>>> GetMany(
      absl::Span<const absl::string_view> keys) override {
    return std::vector<absl::optional<Versioned>>(keys.size());
  }
  absl::StatusOr<MutationResults> Write(
      absl::Span<const Mutation> mutations) override {
    return MutationResults(mutations.size());
  }
  absl::StatusOr<bool> Exists(absl::string_view) override { return false; }
  absl::StatusOr<uint64_t> CurrentRevision() override { return 0; }
  absl::StatusOr<KeyPage> ListKeyPage(const KeyPageRequest&) override {
    return KeyPage();
  }
  absl::StatusOr<size_t> ReclaimExpired(size_t) override { return 0; }
  std::string Location() const override { return spec_.options.at("where"); }

  const StoreSpec& spec() const { return spec_; }

 private:
  StoreSpec spec_;
};

DriverType SpecDriverType() {
  DriverType type;
  type.description = "remembers its spec";
  type.fields = {"where"};
  type.open =
      [](const StoreSpec& spec) -> absl::StatusOr<std::unique_ptr<Driver>> {
    if (spec.options.count("where") == 0) {
      return absl::InvalidArgumentError("where is required");
    }
    return std::make_unique<SpecDriver>(spec);
  };
  return type;
}

// Registered the way drivers do it: from a static initializer.
const bool kRegistered =
    RegisterDriverType("registry_test_spec", SpecDriverType());

TEST(RegistryTest, FindsRegisteredType) {
  ASSERT_TRUE(kRegistered);
  const DriverType* type = FindDriverType("registry_test_spec");
  ASSERT_NE(type, nullptr);
  EXPECT_EQ(type->description, "remembers its spec");
  EXPECT_THAT(type->fields, ElementsAre("where"));
}

TEST(RegistryTest, FindUnknownTypeReturnsNull) {
  EXPECT_EQ(FindDriverType("no_such_type"), nullptr);
  EXPECT_EQ(FindDriverType(""), nullptr);
}

TEST(RegistryTest, RegisteredTypesAreSorted) {
  RegisterDriverType("registry_test_b", SpecDriverType());
  RegisterDriverType("registry_test_a", SpecDriverType());
  std::vector<std::string> names = RegisteredDriverTypes();
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  EXPECT_THAT(names, IsSupersetOf({"registry_test_a", "registry_test_b",
                                   "registry_test_spec"}));
}

TEST(RegistryTest, OpenDriverPassesTheSpecThrough) {
  StoreSpec spec;
  spec.name = "orders";
  spec.type = "registry_test_spec";
  spec.options = {{"where", "/somewhere"}};
  spec.data_dir = "/data";
  spec.base_dir = "/config";
  absl::StatusOr<std::unique_ptr<Driver>> driver = OpenDriver(spec);
  ASSERT_THAT(driver, IsOk());
  EXPECT_EQ((*driver)->Location(), "/somewhere");
  const StoreSpec& seen = static_cast<SpecDriver&>(**driver).spec();
  EXPECT_EQ(seen.name, "orders");
  EXPECT_EQ(seen.data_dir, "/data");
  EXPECT_EQ(seen.base_dir, "/config");
}

TEST(RegistryTest, OpenDriverReturnsTheDriversError) {
  StoreSpec spec;
  spec.name = "orders";
  spec.type = "registry_test_spec";
  EXPECT_THAT(OpenDriver(spec), StatusIs(absl::StatusCode::kInvalidArgument,
                                         HasSubstr("where is required")));
}

TEST(RegistryTest, OpenDriverOfUnknownTypeNamesStoreAndKnownTypes) {
  StoreSpec spec;
  spec.name = "orders";
  spec.type = "mongo";
  EXPECT_THAT(OpenDriver(spec),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("store \"orders\""),
                             HasSubstr("unknown type \"mongo\""),
                             HasSubstr("registry_test_spec"))));
}

TEST(RegistryTest, OpenDriverRejectsANullDriver) {
  DriverType type;
  type.open = [](const StoreSpec&) -> absl::StatusOr<std::unique_ptr<Driver>> {
    return std::unique_ptr<Driver>();
  };
  RegisterDriverType("registry_test_null", std::move(type));
  StoreSpec spec;
  spec.name = "s";
  spec.type = "registry_test_null";
  EXPECT_THAT(OpenDriver(spec), StatusIs(absl::StatusCode::kInternal));
}

TEST(RegistryDeathTest, RegisteringANameTwiceAborts) {
  EXPECT_DEATH(RegisterDriverType("registry_test_spec", SpecDriverType()),
               "registry_test_spec\" is registered twice");
}

TEST(RegistryTest, ConcurrentRegistrationAndLookup) {
  constexpr int kThreads = 8;
  constexpr int kTypesPerThread = 50;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t] {
      for (int i = 0; i < kTypesPerThread; ++i) {
        std::string name = absl::StrCat("registry_test_concurrent_", t, "_", i);
        RegisterDriverType(name, SpecDriverType());
        const DriverType* type = FindDriverType(name);
        ASSERT_NE(type, nullptr);
        EXPECT_EQ(type->description, "remembers its spec");
        EXPECT_NE(FindDriverType("registry_test_spec"), nullptr);
        RegisteredDriverTypes();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_GE(RegisteredDriverTypes().size(), kThreads * kTypesPerThread);
}

}  // namespace
}  // namespace kv
