#include "store/testing/driver_conformance.h"

#include <algorithm>
#include <deque>
#include <map>
#include <memory>
#include <ostream>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/driver.h"
#include "store/testing/status_matchers.h"

// A driver may be linked into a test without any instantiation (e.g. an
// external backend that is not configured); that is not an error.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(DriverConformanceTest);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(PersistentDriverConformanceTest);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(ClockControlledExpiryTest);

namespace kv::testing {

void PrintTo(const DriverFactoryParam& param, std::ostream* os) {
  *os << param.name;
}

std::string DriverFactoryParamName(
    const ::testing::TestParamInfo<DriverFactoryParam>& info) {
  return info.param.name;
}

void DriverConformanceTest::SetUp() {
  ASSERT_TRUE(GetParam().open) << "DriverFactoryParam.open is empty";
  absl::StatusOr<std::unique_ptr<Driver>> driver = GetParam().open();
  ASSERT_TRUE(driver.ok()) << "cannot open driver " << GetParam().name << ": "
                           << driver.status();
  ASSERT_NE(*driver, nullptr);
  driver_ = *std::move(driver);
}

std::vector<std::string> DriverConformanceTest::ListAllKeys() {
  std::vector<std::string> keys;
  absl::Status status = driver().ListKeys([&keys](absl::string_view key) {
    keys.emplace_back(key);
    return true;
  });
  EXPECT_THAT(status, IsOk());
  return keys;
}

KeyPage DriverConformanceTest::Page(absl::string_view prefix,
                                    absl::string_view after, size_t limit) {
  KeyPageRequest request;
  request.prefix = prefix;
  request.after = after;
  request.limit = limit;
  absl::StatusOr<KeyPage> page = driver().ListKeyPage(request);
  EXPECT_THAT(page, IsOk())
      << "prefix \"" << absl::CHexEscape(prefix) << "\" after \""
      << absl::CHexEscape(after) << "\" limit " << limit;
  if (!page.ok()) return KeyPage();
  EXPECT_LE(page->keys.size(), limit);
  EXPECT_TRUE(std::is_sorted(page->keys.begin(), page->keys.end()));
  EXPECT_TRUE(std::adjacent_find(page->keys.begin(), page->keys.end()) ==
              page->keys.end())
      << "a key appears twice in one page";
  for (const std::string& key : page->keys) {
    EXPECT_TRUE(absl::StartsWith(key, prefix)) << absl::CHexEscape(key);
    EXPECT_GT(key, after);
  }
  if (page->more) {
    EXPECT_FALSE(page->keys.empty()) << "more with no key";
  }
  return *std::move(page);
}

std::vector<std::string> DriverConformanceTest::ListByPages(
    absl::string_view prefix, size_t page_size) {
  std::vector<std::string> keys;
  std::string after;
  for (int pages = 0; pages < 1000000; ++pages) {
    KeyPage page = Page(prefix, after, page_size);
    keys.insert(keys.end(), page.keys.begin(), page.keys.end());
    if (!page.more || page.keys.empty()) return keys;
    after = page.keys.back();
  }
  ADD_FAILURE() << "the listing never ended";
  return keys;
}

absl::Duration DriverConformanceTest::ShortTtl() const {
  return GetParam().clock != nullptr ? absl::Seconds(10)
                                     : absl::Milliseconds(50);
}

void DriverConformanceTest::LetExpire(absl::string_view key) {
  if (GetParam().clock != nullptr) {
    GetParam().clock->Advance(ShortTtl());
    return;
  }
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (absl::Now() < deadline) {
    absl::StatusOr<bool> exists = driver().Exists(key);
    ASSERT_THAT(exists, IsOk());
    if (!*exists) return;
    absl::SleepFor(absl::Milliseconds(10));
  }
  ADD_FAILURE() << "key \"" << key << "\" did not expire within 30 s";
}

absl::StatusOr<std::string> DriverConformanceTest::GetValue(
    absl::string_view key) {
  absl::StatusOr<Versioned> got = driver().Get(key);
  if (!got.ok()) return got.status();
  return std::move(got->value);
}

uint64_t DriverConformanceTest::RevisionOf(absl::string_view key) {
  absl::StatusOr<Versioned> got = driver().Get(key);
  if (absl::IsNotFound(got.status())) return 0;
  EXPECT_THAT(got, IsOk());
  return got.ok() ? got->revision : 0;
}

uint64_t DriverConformanceTest::StoreRevision() {
  absl::StatusOr<uint64_t> revision = driver().CurrentRevision();
  EXPECT_THAT(revision, IsOk());
  return revision.ok() ? *revision : 0;
}

absl::StatusOr<std::unique_ptr<Driver>> DriverConformanceTest::OpenAnother() {
  if (!GetParam().reopen) {
    return absl::FailedPreconditionError(
        "DriverFactoryParam.reopen is empty: this driver cannot be reopened");
  }
  return GetParam().reopen();
}

void DriverConformanceTest::Restart() {
  driver_.reset();
  absl::StatusOr<std::unique_ptr<Driver>> reopened = OpenAnother();
  ASSERT_THAT(reopened, IsOk());
  driver_ = *std::move(reopened);
}

namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::IsEmpty;

std::vector<std::string> Sorted(std::vector<std::string> keys) {
  // std::string compares as unsigned char, i.e. in byte order.
  std::sort(keys.begin(), keys.end());
  return keys;
}

TEST_P(DriverConformanceTest, GetOfMissingKeyIsNotFound) {
  EXPECT_THAT(GetValue("missing"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(DriverConformanceTest, SetThenGet) {
  ASSERT_THAT(driver().Set("key", "value"), IsOk());
  EXPECT_THAT(GetValue("key"), IsOkAndHolds("value"));
}

TEST_P(DriverConformanceTest, SetOverwrites) {
  ASSERT_THAT(driver().Set("key", "first"), IsOk());
  ASSERT_THAT(driver().Set("key", "second, and longer"), IsOk());
  EXPECT_THAT(GetValue("key"), IsOkAndHolds("second, and longer"));
  ASSERT_THAT(driver().Set("key", "3"), IsOk());
  EXPECT_THAT(GetValue("key"), IsOkAndHolds("3"));
  EXPECT_THAT(ListAllKeys(), ElementsAre("key"));
}

TEST_P(DriverConformanceTest, KeysAreIndependent) {
  ASSERT_THAT(driver().Set("a", "1"), IsOk());
  ASSERT_THAT(driver().Set("b", "2"), IsOk());
  EXPECT_THAT(GetValue("a"), IsOkAndHolds("1"));
  EXPECT_THAT(GetValue("b"), IsOkAndHolds("2"));
}

TEST_P(DriverConformanceTest, DeleteThenGetIsNotFound) {
  ASSERT_THAT(driver().Set("key", "value"), IsOk());
  ASSERT_THAT(driver().Set("other", "value"), IsOk());
  ASSERT_THAT(driver().Delete("key"), IsOk());
  EXPECT_THAT(GetValue("key"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(GetValue("other"), IsOkAndHolds("value"));
}

TEST_P(DriverConformanceTest, DeleteOfMissingKeyIsOk) {
  EXPECT_THAT(driver().Delete("missing"), IsOk());
  ASSERT_THAT(driver().Set("key", "value"), IsOk());
  ASSERT_THAT(driver().Delete("key"), IsOk());
  EXPECT_THAT(driver().Delete("key"), IsOk());
}

TEST_P(DriverConformanceTest, SetAfterDelete) {
  ASSERT_THAT(driver().Set("key", "old"), IsOk());
  ASSERT_THAT(driver().Delete("key"), IsOk());
  ASSERT_THAT(driver().Set("key", "new"), IsOk());
  EXPECT_THAT(GetValue("key"), IsOkAndHolds("new"));
}

TEST_P(DriverConformanceTest, ExistsReportsPresence) {
  EXPECT_THAT(driver().Exists("key"), IsOkAndHolds(false));
  ASSERT_THAT(driver().Set("key", "value"), IsOk());
  EXPECT_THAT(driver().Exists("key"), IsOkAndHolds(true));
  EXPECT_THAT(driver().Exists("ke"), IsOkAndHolds(false));
  EXPECT_THAT(driver().Exists("key2"), IsOkAndHolds(false));
  ASSERT_THAT(driver().Delete("key"), IsOk());
  EXPECT_THAT(driver().Exists("key"), IsOkAndHolds(false));
}

TEST_P(DriverConformanceTest, ListKeysOfEmptyStoreVisitsNothing) {
  int visits = 0;
  EXPECT_THAT(driver().ListKeys([&visits](absl::string_view) {
    ++visits;
    return true;
  }),
              IsOk());
  EXPECT_EQ(visits, 0);
}

TEST_P(DriverConformanceTest, ListKeysVisitsEveryKeyInByteOrder) {
  // Byte order, not locale or signed-char order: "\xc3\xa9" (é) and "\xff"
  // sort after every ASCII key, uppercase before lowercase, and a prefix
  // before its extensions.
  const std::vector<std::string> keys = {"b",        "a",    "ab", "B",   "a/b",
                                         "\xc3\xa9", "\xff", "0",  "aa",  "10",
                                         "9",        "~",    " ",  "a-b", "Z"};
  for (const std::string& key : keys) {
    ASSERT_THAT(driver().Set(key, "v"), IsOk());
  }
  ASSERT_THAT(driver().Set("deleted", "v"), IsOk());
  ASSERT_THAT(driver().Delete("deleted"), IsOk());
  EXPECT_THAT(ListAllKeys(), ElementsAreArray(Sorted(keys)));
}

TEST_P(DriverConformanceTest, ListKeysStopsWhenVisitReturnsFalse) {
  for (const char* key : {"a", "b", "c", "d", "e"}) {
    ASSERT_THAT(driver().Set(key, "v"), IsOk());
  }
  std::vector<std::string> seen;
  EXPECT_THAT(driver().ListKeys([&seen](absl::string_view key) {
    seen.emplace_back(key);
    return seen.size() < 2;
  }),
              IsOk());
  EXPECT_THAT(seen, ElementsAre("a", "b"));

  // Stopping at once visits exactly one key, and the driver is still usable.
  seen.clear();
  EXPECT_THAT(driver().ListKeys([&seen](absl::string_view key) {
    seen.emplace_back(key);
    return false;
  }),
              IsOk());
  EXPECT_THAT(seen, ElementsAre("a"));
  EXPECT_THAT(GetValue("e"), IsOkAndHolds("v"));
  EXPECT_THAT(ListAllKeys(), ElementsAre("a", "b", "c", "d", "e"));
}

TEST_P(DriverConformanceTest, BinaryValuesAreStoredExactly) {
  std::string every_byte;
  for (int i = 0; i < 256; ++i) every_byte.push_back(static_cast<char>(i));
  const std::string zeros(16, '\0');
  const std::string zero_inside("ab\0cd", 5);
  ASSERT_THAT(driver().Set("every_byte", every_byte), IsOk());
  ASSERT_THAT(driver().Set("zeros", zeros), IsOk());
  ASSERT_THAT(driver().Set("zero_inside", zero_inside), IsOk());
  EXPECT_THAT(GetValue("every_byte"), IsOkAndHolds(every_byte));
  EXPECT_THAT(GetValue("zeros"), IsOkAndHolds(zeros));
  EXPECT_THAT(GetValue("zero_inside"), IsOkAndHolds(zero_inside));
}

TEST_P(DriverConformanceTest, EmptyValueIsAValue) {
  ASSERT_THAT(driver().Set("empty", ""), IsOk());
  EXPECT_THAT(GetValue("empty"), IsOkAndHolds(""));
  EXPECT_THAT(driver().Exists("empty"), IsOkAndHolds(true));
  EXPECT_THAT(ListAllKeys(), ElementsAre("empty"));
  ASSERT_THAT(driver().Set("empty", "now not"), IsOk());
  ASSERT_THAT(driver().Set("empty", ""), IsOk());
  EXPECT_THAT(GetValue("empty"), IsOkAndHolds(""));
}

TEST_P(DriverConformanceTest, OneMebibyteValue) {
  std::string value(1 << 20, '\0');
  for (size_t i = 0; i < value.size(); ++i) {
    value[i] = static_cast<char>((i * 31 + i / 251) % 256);
  }
  ASSERT_THAT(driver().Set("big", value), IsOk());
  absl::StatusOr<std::string> read = GetValue("big");
  ASSERT_THAT(read, IsOk());
  // Not IsOkAndHolds: a mismatch would print two megabytes.
  EXPECT_EQ(read->size(), value.size());
  EXPECT_TRUE(*read == value) << "the 1 MiB value came back different";
}

TEST_P(DriverConformanceTest, Utf8Keys) {
  const std::vector<std::string> keys = {
      "caf\xc3\xa9",                       // café
      "\xe6\x97\xa5\xe6\x9c\xac",          // 日本
      "\xf0\x9f\x94\x91",                  // 🔑 (4 bytes)
      "\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87",  // ключ
      "e\xcc\x81",                         // e + combining acute: not café
  };
  for (const std::string& key : keys) {
    ASSERT_THAT(driver().Set(key, "value of " + key), IsOk());
  }
  for (const std::string& key : keys) {
    EXPECT_THAT(GetValue(key), IsOkAndHolds("value of " + key));
  }
  EXPECT_THAT(ListAllKeys(), ElementsAreArray(Sorted(keys)));
}

// Characters that mean something to SQL, LIKE/GLOB, Redis patterns, shells
// and file systems must mean nothing to a driver.
TEST_P(DriverConformanceTest, HostileKeysAreStoredExactly) {
  const std::vector<std::string> keys = {
      "%",
      "_",
      "*",
      "?",
      "[",
      "]",
      "[a-z]",
      "'",
      "''",
      "\"",
      "\\",
      "\\\\",
      "..",
      "../etc/passwd",
      "/",
      "a%",
      "a_c",
      "'; DROP TABLE kv; --",
      "\" OR 1=1 --",
      " ",
      "\n",
      "\t",
      std::string("\0", 1),
      std::string("a\0b", 3),
  };
  for (const std::string& key : keys) {
    ASSERT_THAT(driver().Set(key, "v:" + key), IsOk()) << absl::CHexEscape(key);
  }
  for (const std::string& key : keys) {
    EXPECT_THAT(GetValue(key), IsOkAndHolds("v:" + key))
        << absl::CHexEscape(key);
    EXPECT_THAT(driver().Exists(key), IsOkAndHolds(true))
        << absl::CHexEscape(key);
  }
  EXPECT_THAT(ListAllKeys(), ElementsAreArray(Sorted(keys)));
  for (const std::string& key : keys) {
    ASSERT_THAT(driver().Delete(key), IsOk()) << absl::CHexEscape(key);
  }
  EXPECT_THAT(ListAllKeys(), IsEmpty());
}

TEST_P(DriverConformanceTest, PatternCharactersMatchOnlyThemselves) {
  ASSERT_THAT(driver().Set("abc", "1"), IsOk());
  ASSERT_THAT(driver().Set("aXc", "2"), IsOk());
  for (const char* pattern :
       {"a_c", "a%", "%", "a?c", "a*", "*", "a[b]c", "a[bX]c", "A%", "ABC"}) {
    EXPECT_THAT(driver().Exists(pattern), IsOkAndHolds(false)) << pattern;
    EXPECT_THAT(GetValue(pattern), StatusIs(absl::StatusCode::kNotFound))
        << pattern;
    EXPECT_THAT(driver().Delete(pattern), IsOk()) << pattern;
  }
  EXPECT_THAT(GetValue("abc"), IsOkAndHolds("1"));
  EXPECT_THAT(GetValue("aXc"), IsOkAndHolds("2"));
}

TEST_P(DriverConformanceTest, KeysWithZeroBytesAreDistinct) {
  const std::string a = "a";
  const std::string a0(std::string("a\0", 2));
  const std::string a0b(std::string("a\0b", 3));
  const std::string a0c(std::string("a\0c", 3));
  for (const std::string* key : {&a, &a0, &a0b, &a0c}) {
    ASSERT_THAT(driver().Set(*key, "v:" + *key), IsOk());
  }
  EXPECT_THAT(GetValue(a0b), IsOkAndHolds("v:" + a0b));
  EXPECT_THAT(GetValue(a0c), IsOkAndHolds("v:" + a0c));
  EXPECT_THAT(GetValue(std::string("a\0d", 3)),
              StatusIs(absl::StatusCode::kNotFound));
  ASSERT_THAT(driver().Delete(a0), IsOk());
  EXPECT_THAT(GetValue(a), IsOkAndHolds("v:a"));
  EXPECT_THAT(ListAllKeys(), ElementsAre(a, a0b, a0c));
}

TEST_P(DriverConformanceTest, ListsTenThousandKeys) {
  constexpr int kKeys = 10000;
  std::vector<std::string> keys;
  keys.reserve(kKeys);
  for (int i = 0; i < kKeys; ++i) keys.push_back(absl::StrFormat("k%05d", i));
  std::vector<std::string> shuffled = keys;
  std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937(42));
  for (const std::string& key : shuffled) {
    ASSERT_THAT(driver().Set(key, key), IsOk());
  }
  std::vector<std::string> listed = ListAllKeys();
  // Compared by size and equality first: a mismatch of 10,000 elements
  // would print them all.
  ASSERT_EQ(listed.size(), keys.size());
  EXPECT_TRUE(listed == keys) << "keys were not listed in ascending order";
  EXPECT_THAT(GetValue("k04242"), IsOkAndHolds("k04242"));
}

// WriteAsync calls, issued from one thread without waiting, each complete
// once with OK, in any order and on any thread, and leave the store as the
// same writes made one by one would (ordered per key).
TEST_P(DriverConformanceTest, AsyncWritesCompleteOnceAndApplyInOrder) {
  constexpr int kKeys = 50;
  std::vector<std::string> keys;
  std::vector<std::string> values;
  for (int i = 0; i < kKeys; ++i) {
    keys.push_back(absl::StrCat("async/", i));
    values.push_back(absl::StrCat("value ", i));
  }
  // Every Mutation must outlive its write; a deque never moves its elements.
  std::deque<Mutation> mutations;
  absl::Mutex mutex;
  absl::CondVar changed;
  int completed = 0;
  std::vector<absl::Status> failures;
  auto done = [&](absl::StatusOr<MutationResults> results) {
    absl::MutexLock lock(&mutex);
    ++completed;
    if (!results.ok()) failures.push_back(results.status());
    changed.SignalAll();
  };
  auto start = [&](Mutation mutation) {
    mutations.push_back(mutation);
    driver().WriteAsync(absl::MakeConstSpan(&mutations.back(), 1), done);
  };
  // Per key: Set "first", Set the value, and for odd keys Delete; the last
  // write must win.
  for (int i = 0; i < kKeys; ++i) {
    start(Mutation::Set(keys[i], "first"));
    start(Mutation::Set(keys[i], values[i]));
    if (i % 2 == 1) start(Mutation::Delete(keys[i]));
  }
  const int expected = kKeys * 2 + kKeys / 2;
  {
    absl::MutexLock lock(&mutex);
    const absl::Time deadline = absl::Now() + absl::Seconds(60);
    while (completed < expected) {
      ASSERT_FALSE(changed.WaitWithDeadline(&mutex, deadline))
          << completed << " of " << expected << " writes completed";
    }
    EXPECT_EQ(completed, expected);
    EXPECT_THAT(failures, IsEmpty());
  }
  for (int i = 0; i < kKeys; ++i) {
    if (i % 2 == 1) {
      EXPECT_THAT(GetValue(keys[i]), StatusIs(absl::StatusCode::kNotFound));
    } else {
      EXPECT_THAT(GetValue(keys[i]), IsOkAndHolds(values[i]));
    }
  }
}

// Eight threads share the driver. Each owns a key prefix and checks that
// every write it made is visible to its own next read, Exists and listing;
// all of them also fight over one shared key.
TEST_P(DriverConformanceTest, ConcurrentCallsReadTheirOwnWrites) {
  constexpr int kThreads = 8;
  constexpr int kOpsPerThread = 150;
  constexpr int kKeysPerThread = 20;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t] {
      const std::string prefix = absl::StrCat("thread", t, "/");
      std::map<std::string, std::string> mine;  // What this thread expects.
      for (int i = 0; i < kOpsPerThread; ++i) {
        const std::string key = absl::StrCat(prefix, i % kKeysPerThread);
        if (i % 7 == 6) {
          ASSERT_THAT(driver().Delete(key), IsOk());
          mine.erase(key);
          EXPECT_THAT(GetValue(key), StatusIs(absl::StatusCode::kNotFound));
          EXPECT_THAT(driver().Exists(key), IsOkAndHolds(false));
        } else {
          const std::string value = absl::StrCat("t", t, "i", i);
          ASSERT_THAT(driver().Set(key, value), IsOk());
          mine[key] = value;
          EXPECT_THAT(GetValue(key), IsOkAndHolds(value));
          EXPECT_THAT(driver().Exists(key), IsOkAndHolds(true));
        }
        ASSERT_THAT(driver().Set("shared", absl::StrCat("t", t)), IsOk());
        absl::StatusOr<std::string> shared = GetValue("shared");
        ASSERT_THAT(shared, IsOk());
        EXPECT_EQ(shared->substr(0, 1), "t");

        if (i % 10 == 9) {
          std::vector<std::string> listed;
          std::string previous;
          bool first = true;
          ASSERT_THAT(driver().ListKeys([&](absl::string_view listed_key) {
            EXPECT_TRUE(first || previous < listed_key)
                << "out of order: " << previous << " then " << listed_key;
            first = false;
            previous = std::string(listed_key);
            if (absl::StartsWith(listed_key, prefix)) {
              listed.emplace_back(listed_key);
            }
            return true;
          }),
                      IsOk());
          std::vector<std::string> expected;
          for (const auto& [k, v] : mine) expected.push_back(k);
          EXPECT_EQ(listed, expected) << "thread " << t << " op " << i;
        }
      }
      for (const auto& [k, v] : mine) {
        EXPECT_THAT(GetValue(k), IsOkAndHolds(v));
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_THAT(driver().Exists("shared"), IsOkAndHolds(true));
}

}  // namespace
}  // namespace kv::testing
