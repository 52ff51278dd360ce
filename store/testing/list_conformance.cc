// The conformance tests of paged listing: what Driver::ListKeyPage promises.

#include <algorithm>
#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/driver.h"
#include "store/testing/driver_conformance.h"
#include "store/testing/status_matchers.h"

namespace kv::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::IsEmpty;

// Keys whose bytes a pattern language (SQL LIKE, Redis glob, regex) would
// treat specially, and bytes above 0x7f, which must compare as unsigned.
const std::vector<std::string>& AwkwardKeys() {
  static const std::vector<std::string>* const keys =
      new std::vector<std::string>{"%",
                                   "%%",
                                   "%a",
                                   "_",
                                   "_a",
                                   "a",
                                   "a%",
                                   "a%b",
                                   "a*",
                                   "a*b",
                                   "a?",
                                   "a[",
                                   "a[1]",
                                   "a\\",
                                   "a\\b",
                                   "a_",
                                   "a_b",
                                   "ab",
                                   "axb",
                                   "b",
                                   "z",
                                   "\x7f",
                                   "\xc3\xa9",
                                   "\xc3\xa9t\xc3\xa9",
                                   "\xc3\xaa",
                                   "\xe2\x82\xac",
                                   "\xf0\x9f\x94\x91",
                                   "[",
                                   "\\",
                                   "*",
                                   "a.b",
                                   "a^",
                                   "a$",
                                   "a|b",
                                   "a{1}",
                                   "a(b)"};
  return *keys;
}

std::vector<std::string> Sorted(std::vector<std::string> keys) {
  std::sort(keys.begin(), keys.end());
  return keys;
}

std::vector<std::string> WithPrefix(const std::vector<std::string>& keys,
                                    absl::string_view prefix) {
  std::vector<std::string> matching;
  for (const std::string& key : keys) {
    if (absl::StartsWith(key, prefix)) matching.push_back(key);
  }
  return Sorted(matching);
}

TEST_P(DriverConformanceTest, PageOfEmptyStoreIsEmptyAndLast) {
  KeyPage page = Page("", "", 10);
  EXPECT_THAT(page.keys, IsEmpty());
  EXPECT_FALSE(page.more);
  page = Page("p/", "", 1);
  EXPECT_THAT(page.keys, IsEmpty());
  EXPECT_FALSE(page.more);
}

TEST_P(DriverConformanceTest, PagesSplitTheKeysInByteOrder) {
  std::vector<std::string> keys;
  for (int i = 0; i < 25; ++i) keys.push_back(absl::StrFormat("key%03d", i));
  for (const std::string& key : keys)
    ASSERT_THAT(driver().Set(key, "v"), IsOk());

  KeyPage first = Page("", "", 10);
  EXPECT_THAT(first.keys, ElementsAreArray(keys.begin(), keys.begin() + 10));
  EXPECT_TRUE(first.more);
  KeyPage second = Page("", first.keys.back(), 10);
  EXPECT_THAT(second.keys,
              ElementsAreArray(keys.begin() + 10, keys.begin() + 20));
  EXPECT_TRUE(second.more);
  KeyPage last = Page("", second.keys.back(), 10);
  EXPECT_THAT(last.keys, ElementsAreArray(keys.begin() + 20, keys.end()));
  EXPECT_FALSE(last.more);
}

TEST_P(DriverConformanceTest, FullLastPageSaysThereIsNoMore) {
  for (int i = 0; i < 20; ++i) {
    ASSERT_THAT(driver().Set(absl::StrFormat("k%02d", i), "v"), IsOk());
  }
  KeyPage first = Page("", "", 10);
  EXPECT_TRUE(first.more);
  KeyPage second = Page("", first.keys.back(), 10);
  EXPECT_EQ(second.keys.size(), 10u);
  EXPECT_FALSE(second.more) << "the driver must read limit + 1 keys";
}

TEST_P(DriverConformanceTest, PagesOfOneKey) {
  for (absl::string_view key : {"c", "a", "b"}) {
    ASSERT_THAT(driver().Set(key, "v"), IsOk());
  }
  EXPECT_THAT(ListByPages("", 1), ElementsAre("a", "b", "c"));
}

TEST_P(DriverConformanceTest, AfterNeedNotBeAKey) {
  for (absl::string_view key : {"a", "c", "e"}) {
    ASSERT_THAT(driver().Set(key, "v"), IsOk());
  }
  EXPECT_THAT(Page("", "b", 10).keys, ElementsAre("c", "e"));
  EXPECT_THAT(Page("", "c", 10).keys, ElementsAre("e"));
  KeyPage past_end = Page("", "f", 10);
  EXPECT_THAT(past_end.keys, IsEmpty());
  EXPECT_FALSE(past_end.more);
}

TEST_P(DriverConformanceTest, AwkwardKeysListInByteOrder) {
  for (const std::string& key : AwkwardKeys()) {
    ASSERT_THAT(driver().Set(key, "v"), IsOk());
  }
  const std::vector<std::string> all = Sorted(AwkwardKeys());
  EXPECT_THAT(ListByPages("", 1000), ElementsAreArray(all));
  EXPECT_THAT(ListByPages("", 3), ElementsAreArray(all));
  EXPECT_THAT(ListAllKeys(), ElementsAreArray(all));
}

TEST_P(DriverConformanceTest, PrefixesMatchBytesLiterally) {
  for (const std::string& key : AwkwardKeys()) {
    ASSERT_THAT(driver().Set(key, "v"), IsOk());
  }
  for (absl::string_view prefix : {"%",        "_",
                                   "a%",       "a_",
                                   "a*",       "a[",
                                   "a\\",      "\\",
                                   "[",        "*",
                                   "a",        "a.",
                                   "a^",       "a$",
                                   "a|",       "a{",
                                   "a(",       "\x7f",
                                   "\xc3",     "\xc3\xa9",
                                   "\xe2\x82", "\xf0\x9f\x94\x91",
                                   "nothing",  "zz"}) {
    SCOPED_TRACE(absl::StrCat("prefix \"", absl::CHexEscape(prefix), "\""));
    const std::vector<std::string> expected = WithPrefix(AwkwardKeys(), prefix);
    EXPECT_THAT(ListByPages(prefix, 1000), ElementsAreArray(expected));
    EXPECT_THAT(ListByPages(prefix, 2), ElementsAreArray(expected));
  }
}

TEST_P(DriverConformanceTest, PrefixListingResumesWithinThePrefix) {
  for (absl::string_view key :
       {"user/1", "user/2", "user/3", "user0", "user", "users/9", "a"}) {
    ASSERT_THAT(driver().Set(key, "v"), IsOk());
  }
  KeyPage first = Page("user/", "", 2);
  EXPECT_THAT(first.keys, ElementsAre("user/1", "user/2"));
  EXPECT_TRUE(first.more);
  KeyPage second = Page("user/", "user/2", 2);
  EXPECT_THAT(second.keys, ElementsAre("user/3"));
  EXPECT_FALSE(second.more);
  // An `after` before the prefix starts it from the first match.
  EXPECT_THAT(Page("user/", "a", 10).keys,
              ElementsAre("user/1", "user/2", "user/3"));
}

TEST_P(DriverConformanceTest, DeletedKeysAreNotListed) {
  for (absl::string_view key : {"a", "b", "c"}) {
    ASSERT_THAT(driver().Set(key, "v"), IsOk());
  }
  ASSERT_THAT(driver().Delete("b"), IsOk());
  EXPECT_THAT(ListByPages("", 1), ElementsAre("a", "c"));
  ASSERT_THAT(driver().Write({Mutation::Delete("a"), Mutation::Delete("c")}),
              IsOk());
  KeyPage page = Page("", "", 10);
  EXPECT_THAT(page.keys, IsEmpty());
  EXPECT_FALSE(page.more);
}

TEST_P(DriverConformanceTest, ListingSkipsExpiredKeysOnEveryPage) {
  // Expired keys between, before and after live ones, filling whole pages.
  for (int i = 0; i < 30; ++i) {
    const std::string key = absl::StrFormat("k%02d", i);
    if (i % 3 == 0) {
      ASSERT_THAT(driver().Set(key, "v"), IsOk());
    } else {
      ASSERT_THAT(
          driver()
              .Write({Mutation::Set(key, "v", absl::nullopt, ShortTtl())})
              .status(),
          IsOk());
    }
  }
  for (int i = 0; i < 30; ++i) {
    if (i % 3 != 0) LetExpire(absl::StrFormat("k%02d", i));
  }
  std::vector<std::string> expected;
  for (int i = 0; i < 30; i += 3)
    expected.push_back(absl::StrFormat("k%02d", i));
  EXPECT_THAT(ListByPages("", 1), ElementsAreArray(expected));
  EXPECT_THAT(ListByPages("", 4), ElementsAreArray(expected));
  EXPECT_THAT(ListByPages("k", 100), ElementsAreArray(expected));
}

// The listing guarantee under contention: keys present for the whole listing
// are listed exactly once, while writers add and delete other keys between
// and around them.
TEST_P(DriverConformanceTest, StableKeysAreListedOnceUnderConcurrentWrites) {
  constexpr int kStable = 600;
  std::vector<std::string> stable;
  for (int i = 0; i < kStable; ++i) {
    stable.push_back(absl::StrFormat("s%05d", i * 10));
  }
  for (size_t i = 0; i < stable.size(); i += 100) {
    std::vector<Mutation> batch;
    for (size_t j = i; j < i + 100 && j < stable.size(); ++j) {
      batch.push_back(Mutation::Set(stable[j], "v"));
    }
    ASSERT_THAT(driver().Write(batch), IsOk());
  }

  std::atomic<bool> stop{false};
  std::vector<std::thread> writers;
  for (int w = 0; w < 2; ++w) {
    writers.emplace_back([&, w] {
      for (int round = 0; !stop.load(); ++round) {
        // Keys that sort between the stable ones: s00001..., s00002...
        const std::string key =
            absl::StrFormat("s%05d", (round * 7 + w * 3) % (kStable * 10));
        if (key.back() == '0') continue;  // A stable key: leave it.
        if (round % 2 == 0) {
          EXPECT_THAT(driver().Set(key, "churn"), IsOk());
        } else {
          EXPECT_THAT(driver().Delete(key), IsOk());
        }
      }
    });
  }
  std::vector<std::string> listed;
  std::string after;
  while (true) {
    KeyPage page = Page("s", after, 37);
    listed.insert(listed.end(), page.keys.begin(), page.keys.end());
    if (!page.more) break;
    after = page.keys.back();
  }
  stop = true;
  for (std::thread& writer : writers) writer.join();

  EXPECT_TRUE(std::is_sorted(listed.begin(), listed.end()));
  EXPECT_TRUE(std::adjacent_find(listed.begin(), listed.end()) == listed.end())
      << "a key was listed twice";
  std::vector<std::string> stable_listed;
  for (const std::string& key : listed) {
    if (key.back() == '0') stable_listed.push_back(key);
  }
  EXPECT_THAT(stable_listed, ElementsAreArray(stable));
}

}  // namespace
}  // namespace kv::testing
