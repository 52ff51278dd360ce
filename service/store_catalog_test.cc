#include "service/store_catalog.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/errors/kv_error.h"
#include "store/testing/status_matchers.h"

namespace kv {
namespace {

using ::kv::testing::IsOk;
using ::kv::testing::StatusIs;
using ::testing::HasSubstr;

StoreSpec Spec(const std::string& name, const std::string& type,
               const std::string& path = "") {
  StoreSpec spec;
  spec.name = name;
  spec.type = type;
  if (!path.empty()) spec.options["path"] = path;
  spec.data_dir = ::testing::TempDir();
  spec.base_dir = ::testing::TempDir();
  return spec;
}

TEST(StoreCatalogTest, FindsConfiguredStoresOnly) {
  StoreCatalog catalog({Spec("default", "memory")});
  catalog.OpenAll();
  EXPECT_TRUE(catalog.Contains("default"));
  EXPECT_FALSE(catalog.Contains("other"));
  EXPECT_THAT(catalog.Find("default").status(), IsOk());
  absl::Status missing = catalog.Find("other").status();
  EXPECT_EQ(ErrorCodeOf(missing), v1::ERROR_CODE_NO_SUCH_STORE);
}

TEST(StoreCatalogTest, UnopenableStoreIsReportedAndRetriedLater) {
  const std::string dir = ::testing::TempDir() + "/catalog_retry";
  const std::string blocker = dir + "/blocked";
  ASSERT_EQ(
      system(("rm -rf " + dir + " && mkdir -p " + dir + " && touch " + blocker)
                 .c_str()),
      0);
  // The database's parent is a regular file, so the store cannot open.
  StoreCatalog catalog({Spec("s", "sqlite", blocker + "/s.db")},
                       absl::ZeroDuration());
  catalog.OpenAll();
  std::vector<StoreCatalog::StoreState> states = catalog.Describe();
  ASSERT_EQ(states.size(), 1u);
  EXPECT_FALSE(states[0].status.ok());
  absl::Status status = catalog.Find("s").status();
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kUnavailable,
                               HasSubstr("store \"s\"")));
  EXPECT_EQ(ErrorCodeOf(status), v1::ERROR_CODE_IO);

  // Once the cause is gone, the next use opens the store.
  ASSERT_EQ(system(("rm " + blocker).c_str()), 0);
  EXPECT_THAT(catalog.Find("s").status(), IsOk());
  EXPECT_TRUE(catalog.Describe()[0].status.ok());
}

TEST(StoreCatalogTest, SizeBytesListsOpenStoresThatKnowTheirSize) {
  const std::string dir = ::testing::TempDir() + "/catalog_sizes";
  ASSERT_EQ(system(("rm -rf " + dir + " && mkdir -p " + dir).c_str()), 0);
  StoreCatalog catalog({Spec("files", "sqlite", dir + "/files.db"),
                        Spec("cache", "memory"),
                        Spec("broken", "sqlite", "/dev/null/broken.db")});
  catalog.OpenAll();
  std::vector<std::pair<std::string, uint64_t>> sizes = catalog.SizeBytes();
  // Memory stores report no size; a store that is not open is skipped.
  ASSERT_EQ(sizes.size(), 1u);
  EXPECT_EQ(sizes[0].first, "files");
  EXPECT_GT(sizes[0].second, 0u);
}

TEST(StoreCatalogTest, ClosedCatalogRefusesUse) {
  StoreCatalog catalog({Spec("default", "memory")});
  catalog.OpenAll();
  catalog.CloseAll();
  EXPECT_THAT(
      catalog.Find("default").status(),
      StatusIs(absl::StatusCode::kUnavailable, HasSubstr("shutting down")));
}

}  // namespace
}  // namespace kv
