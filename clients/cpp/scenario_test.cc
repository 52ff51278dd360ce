// clients/SCENARIO.md, row by row, through the C++ client against the kvd
// that clients/testing/with_kvd.sh started (KVD_ADDR).

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
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

// Every revision a row saw, for row 36.
uint64_t Seen(uint64_t revision, uint64_t& highest) {
  highest = std::max(highest, revision);
  return revision;
}

// f(absent) = "start", f(v) = v + "!" (row 37).
absl::StatusOr<std::string> Exclaim(const std::optional<std::string>& value) {
  return value.has_value() ? *value + "!" : "start";
}

// Row 38's attempts: SCENARIO.md asks for at least 30, since the default 10
// is not enough for 8 callers on one hot key on a loaded machine.
constexpr int kRaceAttempts = 30;

// f adds 1 to a decimal counter, absent = 0 (row 38).
absl::StatusOr<std::string> AddOne(const std::optional<std::string>& value) {
  int64_t n = 0;
  if (value.has_value() && !absl::SimpleAtoi(*value, &n)) {
    return absl::InvalidArgumentError("not a counter: " + *value);
  }
  return std::to_string(n + 1);
}

// Rows 22-39, on the store row 21 opened.
void RevisionRows(Store& store) {
  uint64_t highest = 0;
  // 22
  const std::string rev = kPrefix + "rev";
  absl::StatusOr<uint64_t> r1 = store.SetIf(rev, "a", std::nullopt);
  ASSERT_TRUE(r1.ok()) << r1.status();
  EXPECT_GT(Seen(*r1, highest), 0u);
  absl::StatusOr<Versioned> entry = store.GetEntry(rev);
  ASSERT_TRUE(entry.ok()) << entry.status();
  EXPECT_EQ(entry->value, "a");
  EXPECT_EQ(entry->revision, *r1);
  // 23
  absl::StatusOr<uint64_t> r2 = store.SetIf(rev, "b", *r1);
  ASSERT_TRUE(r2.ok()) << r2.status();
  EXPECT_GT(Seen(*r2, highest), *r1);
  // 24
  absl::Status stale = store.SetIf(rev, "c", *r1).status();
  ExpectError(stale, kv::v1::ERROR_CODE_CONDITION_FAILED,
              absl::StatusCode::kAborted);
  EXPECT_TRUE(IsConditionFailed(stale));
  EXPECT_EQ(CurrentRevisionOf(stale), *r2);
  EXPECT_THAT(std::string(stale.message()), HasSubstr(rev));
  EXPECT_EQ(*store.Get(rev), "b");
  // 25
  absl::StatusOr<uint64_t> n = store.SetIfAbsent(kPrefix + "new", "x");
  ASSERT_TRUE(n.ok()) << n.status();
  Seen(*n, highest);
  absl::Status again = store.SetIfAbsent(kPrefix + "new", "x").status();
  ExpectError(again, kv::v1::ERROR_CODE_CONDITION_FAILED,
              absl::StatusCode::kAborted);
  EXPECT_EQ(CurrentRevisionOf(again), *n);
  // 26
  absl::Status stale_delete = store.DeleteIf(rev, *r1).status();
  ExpectError(stale_delete, kv::v1::ERROR_CODE_CONDITION_FAILED,
              absl::StatusCode::kAborted);
  EXPECT_EQ(CurrentRevisionOf(stale_delete), *r2);
  absl::StatusOr<uint64_t> deleted = store.DeleteIf(rev, *r2);
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_GT(Seen(*deleted, highest), *r2);
  EXPECT_FALSE(*store.Exists(rev));
  // 27
  absl::StatusOr<uint64_t> nothing =
      store.DeleteIf(kPrefix + "never-there", std::nullopt);
  ASSERT_TRUE(nothing.ok()) << nothing.status();
  EXPECT_EQ(*nothing, 0u);
  // 28
  const std::string counter = kPrefix + "counter";
  absl::StatusOr<Counter> five = store.Increment(counter, 5);
  ASSERT_TRUE(five.ok()) << five.status();
  EXPECT_EQ(five->value, 5);
  EXPECT_GT(Seen(five->revision, highest), 0u);
  absl::StatusOr<Counter> minus_two = store.Increment(counter, -7);
  ASSERT_TRUE(minus_two.ok()) << minus_two.status();
  EXPECT_EQ(minus_two->value, -2);
  EXPECT_GT(Seen(minus_two->revision, highest), five->revision);
  EXPECT_EQ(*store.Get(counter), "-2");
  // 29
  ASSERT_TRUE(store.Set(kPrefix + "text", "abc").ok());
  absl::Status text = store.Increment(kPrefix + "text", 1).status();
  ExpectError(text, kv::v1::ERROR_CODE_NOT_AN_INTEGER,
              absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(IsNotAnInteger(text));
  EXPECT_EQ(*store.Get(kPrefix + "text"), "abc");
  // 30
  ASSERT_TRUE(store.Set(kPrefix + "max", "9223372036854775807").ok());
  absl::Status max = store.Increment(kPrefix + "max", 1).status();
  ExpectError(max, kv::v1::ERROR_CODE_OUT_OF_RANGE,
              absl::StatusCode::kOutOfRange);
  EXPECT_TRUE(IsIncrementOutOfRange(max));
  EXPECT_EQ(*store.Get(kPrefix + "max"), "9223372036854775807");
  // 31
  const std::string m1 = kPrefix + "m1", m2 = kPrefix + "m2",
                    m3 = kPrefix + "m3", absent = kPrefix + "absent";
  absl::StatusOr<std::vector<uint64_t>> written =
      store.SetMany({{m1, "1"}, {m2, "2"}});
  ASSERT_TRUE(written.ok()) << written.status();
  ASSERT_EQ(written->size(), 2u);
  EXPECT_LT((*written)[0], Seen((*written)[1], highest));
  // 32
  absl::StatusOr<std::vector<Entry>> entries = store.GetMany({m2, absent, m1});
  ASSERT_TRUE(entries.ok()) << entries.status();
  ASSERT_EQ(entries->size(), 3u);
  EXPECT_EQ((*entries)[0].key, m2);
  EXPECT_TRUE((*entries)[0].found);
  EXPECT_EQ((*entries)[0].value, "2");
  EXPECT_EQ((*entries)[0].revision, (*written)[1]);
  EXPECT_EQ((*entries)[1].key, absent);
  EXPECT_FALSE((*entries)[1].found);
  EXPECT_EQ((*entries)[2].key, m1);
  EXPECT_TRUE((*entries)[2].found);
  EXPECT_EQ((*entries)[2].value, "1");
  EXPECT_EQ((*entries)[2].revision, (*written)[0]);
  // 33
  absl::Status batch =
      store.SetMany({{m1, "x"}, {m3, "3", 0}, {m2, "y", (*written)[0]}})
          .status();
  ExpectError(batch, kv::v1::ERROR_CODE_CONDITION_FAILED,
              absl::StatusCode::kAborted);
  EXPECT_EQ(CurrentRevisionOf(batch), (*written)[1]);
  EXPECT_EQ(FailedIndexOf(batch), 2u);  // The kv-failed-index trailer.
  EXPECT_THAT(std::string(batch.message()), HasSubstr(m2));
  absl::StatusOr<std::vector<Entry>> untouched = store.GetMany({m1, m3});
  ASSERT_TRUE(untouched.ok()) << untouched.status();
  ASSERT_EQ(untouched->size(), 2u);
  EXPECT_EQ((*untouched)[0].value, "1");
  EXPECT_FALSE((*untouched)[1].found);
  // 34
  const std::string dup = kPrefix + "dup";
  absl::Status set_dup = store.SetMany({{dup, "1"}, {dup, "2"}}).status();
  ExpectError(set_dup, kv::v1::ERROR_CODE_IO,
              absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(set_dup.message()), HasSubstr("twice"));
  absl::Status get_dup = store.GetMany({dup, dup}).status();
  ExpectError(get_dup, kv::v1::ERROR_CODE_IO,
              absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(get_dup.message()), HasSubstr("twice"));
  // 35
  absl::StatusOr<std::vector<uint64_t>> gone =
      store.DeleteMany({m1, absent, m2});
  ASSERT_TRUE(gone.ok()) << gone.status();
  ASSERT_EQ(gone->size(), 3u);
  EXPECT_GT(Seen((*gone)[0], highest), 0u);
  EXPECT_EQ((*gone)[1], 0u);
  EXPECT_GT(Seen((*gone)[2], highest), 0u);
  EXPECT_FALSE(*store.Exists(m1));
  EXPECT_FALSE(*store.Exists(m2));
  // 36
  absl::StatusOr<StoreInfo> info = store.Describe();
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->name, "default");
  EXPECT_EQ(info->driver, "sqlite");
  EXPECT_EQ(info->durability, kv::v1::DURABILITY_DISK);
  EXPECT_EQ(info->max_key_bytes, 256u);
  EXPECT_EQ(info->max_value_bytes, 1048576u);
  EXPECT_EQ(info->max_batch_entries, 1000u);
  EXPECT_GE(info->revision, highest);
  EXPECT_THAT(info->capabilities,
              UnorderedElementsAre(kv::v1::CAPABILITY_REVISIONS,
                                   kv::v1::CAPABILITY_CONDITIONAL_WRITES,
                                   kv::v1::CAPABILITY_INCREMENT,
                                   kv::v1::CAPABILITY_ATOMIC_BATCHES));
  EXPECT_FALSE(info->read_only);
  // 37
  const std::string upd = kPrefix + "upd";
  absl::StatusOr<uint64_t> started = store.Update(upd, Exclaim);
  ASSERT_TRUE(started.ok()) << started.status();
  EXPECT_EQ(*store.Get(upd), "start");
  absl::StatusOr<uint64_t> exclaimed = store.Update(upd, Exclaim);
  ASSERT_TRUE(exclaimed.ok()) << exclaimed.status();
  EXPECT_GT(*exclaimed, *started);
  EXPECT_EQ(*store.Get(upd), "start!");
  // 38
  const std::string race = kPrefix + "upd-race";
  std::vector<std::thread> callers;
  for (int caller = 0; caller < 8; ++caller) {
    callers.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        absl::StatusOr<uint64_t> added =
            store.Update(race, AddOne, kRaceAttempts);
        EXPECT_TRUE(added.ok()) << added.status();
      }
    });
  }
  for (std::thread& caller : callers) caller.join();
  EXPECT_EQ(*store.Get(race), "80");
  // 39: f, on its first call only, writes the key first.
  const std::string lost = kPrefix + "upd-lost";
  int calls = 0;
  auto interfering = [&](const std::optional<std::string>& value)
      -> absl::StatusOr<std::string> {
    if (++calls == 1) {
      EXPECT_TRUE(store.Set(lost, "other").ok());
    }
    return value.value_or("") + "+f";
  };
  absl::Status exhausted = store.Update(lost, interfering, 1).status();
  ExpectError(exhausted, kv::v1::ERROR_CODE_CONDITION_FAILED,
              absl::StatusCode::kAborted);
  EXPECT_EQ(calls, 1);
  calls = 0;
  absl::StatusOr<uint64_t> retried = store.Update(lost, interfering, 3);
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(*store.Get(lost), "other+f");
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
  Store fresh = OpenOrDie("default");
  ASSERT_NE(fresh.handle(), 0u);
  RevisionRows(fresh);
}

}  // namespace
}  // namespace kvd
