// clients/SCENARIO.md, row by row, through the C++ client's async API (the
// *Async methods, on gRPC's callback API) against the kvd that
// clients/testing/with_kvd.sh started (KVD_ADDR). Each step waits for its
// callback; row 20 starts all 300 opens at once and then waits for them, and
// row 38 runs 8 callers at once, each waiting for its own updates.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "clients/cpp/store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kvd {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::system_clock;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsSupersetOf;
using ::testing::UnorderedElementsAre;

const std::string kPrefix = "scenario-cpp-async/";

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

// Starts an async call with a callback that fulfils a future; returns the
// future. `start` receives the callback.
template <typename T>
std::future<T> Start(const std::function<void(std::function<void(T)>)>& start) {
  auto promise = std::make_shared<std::promise<T>>();
  std::future<T> future = promise->get_future();
  start([promise](T result) { promise->set_value(std::move(result)); });
  return future;
}

std::future<absl::StatusOr<Store>> OpenAsync(const std::string& name) {
  return Start<absl::StatusOr<Store>>([&](Store::Callback<Store> done) {
    Store::OpenAsync(name, Options{}, std::move(done));
  });
}

absl::StatusOr<std::string> Get(Store& store, const std::string& key) {
  return Start<absl::StatusOr<std::string>>(
             [&](Store::Callback<std::string> done) {
               store.GetAsync(key, std::move(done));
             })
      .get();
}

absl::Status Set(Store& store, const std::string& key,
                 const std::string& value) {
  return Start<absl::Status>([&](Store::StatusCallback done) {
           store.SetAsync(key, value, std::move(done));
         })
      .get();
}

absl::Status Delete(Store& store, const std::string& key) {
  return Start<absl::Status>([&](Store::StatusCallback done) {
           store.DeleteAsync(key, std::move(done));
         })
      .get();
}

absl::StatusOr<bool> Exists(Store& store, const std::string& key) {
  return Start<absl::StatusOr<bool>>([&](Store::Callback<bool> done) {
           store.ExistsAsync(key, std::move(done));
         })
      .get();
}

absl::StatusOr<std::vector<std::string>> GetKeys(Store& store) {
  return Start<absl::StatusOr<std::vector<std::string>>>(
             [&](Store::Callback<std::vector<std::string>> done) {
               store.GetKeysAsync(std::move(done));
             })
      .get();
}

absl::Status Close(Store& store) {
  return Start<absl::Status>([&](Store::StatusCallback done) {
           store.CloseAsync(std::move(done));
         })
      .get();
}

void ExpectError(const absl::Status& status, kv::v1::ErrorCode code,
                 absl::StatusCode canonical) {
  EXPECT_EQ(ErrorCodeOf(status), code) << status;
  EXPECT_EQ(status.code(), canonical) << status;
}

// Runs an async call and waits for its callback's result.
template <typename T, typename Begin>
absl::StatusOr<T> Await(Begin begin) {
  return Start<absl::StatusOr<T>>(
             [&](Store::Callback<T> done) { begin(std::move(done)); })
      .get();
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

absl::StatusOr<uint64_t> SetIf(Store& store, const std::string& key,
                               const std::string& value,
                               std::optional<uint64_t> if_revision) {
  return Await<uint64_t>([&](Store::Callback<uint64_t> done) {
    store.SetIfAsync(key, value, if_revision, std::move(done));
  });
}

absl::StatusOr<uint64_t> DeleteIf(Store& store, const std::string& key,
                                  std::optional<uint64_t> if_revision) {
  return Await<uint64_t>([&](Store::Callback<uint64_t> done) {
    store.DeleteIfAsync(key, if_revision, std::move(done));
  });
}

absl::StatusOr<Counter> Increment(Store& store, const std::string& key,
                                  int64_t delta) {
  return Await<Counter>([&](Store::Callback<Counter> done) {
    store.IncrementAsync(key, delta, std::move(done));
  });
}

absl::StatusOr<std::vector<Entry>> GetMany(
    Store& store, const std::vector<std::string>& keys) {
  return Await<std::vector<Entry>>(
      [&](Store::Callback<std::vector<Entry>> done) {
        store.GetManyAsync(keys, std::move(done));
      });
}

absl::StatusOr<std::vector<uint64_t>> SetMany(
    Store& store, const std::vector<SetEntry>& entries) {
  return Await<std::vector<uint64_t>>(
      [&](Store::Callback<std::vector<uint64_t>> done) {
        store.SetManyAsync(entries, std::move(done));
      });
}

absl::StatusOr<uint64_t> Update(Store& store, const std::string& key,
                                UpdateFunction fn,
                                int max_attempts = kDefaultUpdateAttempts) {
  return Await<uint64_t>([&](Store::Callback<uint64_t> done) {
    store.UpdateAsync(key, std::move(fn), max_attempts, std::move(done));
  });
}

absl::StatusOr<Versioned> GetEntry(Store& store, const std::string& key) {
  return Await<Versioned>([&](Store::Callback<Versioned> done) {
    store.GetEntryAsync(key, std::move(done));
  });
}

absl::Status SetWithTtl(Store& store, const std::string& key,
                        const std::string& value, Ttl ttl) {
  return Start<absl::Status>([&](Store::StatusCallback done) {
           store.SetAsync(key, value, ttl, std::move(done));
         })
      .get();
}

absl::StatusOr<KeyPage> ListKeysPage(Store& store, const std::string& prefix,
                                     int32_t page_size,
                                     const std::string& token) {
  return Await<KeyPage>([&](Store::Callback<KeyPage> done) {
    store.ListKeysPageAsync(prefix, page_size, token, std::move(done));
  });
}

// Rows 40-49, on the store row 21 opened, through the async calls.
void ExpiryAndListingRows(Store& store) {
  // 40
  const std::string ttl = kPrefix + "ttl";
  absl::StatusOr<uint64_t> with_ttl =
      Await<uint64_t>([&](Store::Callback<uint64_t> done) {
        store.SetIfAsync(ttl, "v", std::nullopt, hours(1), std::move(done));
      });
  ASSERT_TRUE(with_ttl.ok()) << with_ttl.status();
  EXPECT_GT(*with_ttl, 0u);
  absl::StatusOr<Versioned> entry = GetEntry(store, ttl);
  ASSERT_TRUE(entry.ok()) << entry.status();
  EXPECT_EQ(entry->value, "v");
  ASSERT_TRUE(entry->expire_time.has_value());
  EXPECT_GE(*entry->expire_time, system_clock::now() + hours(1) - seconds(5));
  EXPECT_LE(*entry->expire_time, system_clock::now() + hours(1) + seconds(5));
  // 41
  ASSERT_TRUE(Set(store, ttl, "v2").ok());
  entry = GetEntry(store, ttl);
  ASSERT_TRUE(entry.ok()) << entry.status();
  EXPECT_EQ(entry->value, "v2");
  EXPECT_EQ(entry->expire_time, std::nullopt);
  // 42
  const std::string ttl_n = kPrefix + "ttl-n";
  ASSERT_TRUE(SetWithTtl(store, ttl_n, "5", hours(1)).ok());
  const ExpireTime after_set = GetEntry(store, ttl_n)->expire_time;
  ASSERT_TRUE(after_set.has_value());
  absl::StatusOr<Counter> six = Increment(store, ttl_n, 1);
  ASSERT_TRUE(six.ok()) << six.status();
  EXPECT_EQ(six->value, 6);
  entry = GetEntry(store, ttl_n);
  ASSERT_TRUE(entry.ok()) << entry.status();
  EXPECT_EQ(entry->value, "6");
  EXPECT_EQ(entry->expire_time, after_set);
  // 43: a bounded wait, never a timing assertion.
  const std::string short_lived = kPrefix + "short";
  ASSERT_TRUE(SetWithTtl(store, short_lived, "v", milliseconds(200)).ok());
  const auto deadline = std::chrono::steady_clock::now() + seconds(10);
  bool gone = false;
  while (!gone && std::chrono::steady_clock::now() < deadline) {
    absl::StatusOr<bool> exists = Exists(store, short_lived);
    ASSERT_TRUE(exists.ok()) << exists.status();
    gone = !*exists;
    if (!gone) std::this_thread::sleep_for(milliseconds(20));
  }
  ASSERT_TRUE(gone) << short_lived << " still exists after 10 s";
  ExpectError(Get(store, short_lived).status(), kv::v1::ERROR_CODE_NO_SUCH_KEY,
              absl::StatusCode::kNotFound);
  absl::StatusOr<std::vector<Entry>> short_entries =
      GetMany(store, {short_lived});
  ASSERT_TRUE(short_entries.ok()) << short_entries.status();
  EXPECT_FALSE((*short_entries)[0].found);
  EXPECT_TRUE(SetIf(store, short_lived, "w", 0).ok());
  // 44
  const std::string bad_ttl = kPrefix + "bad-ttl";
  for (Ttl refused :
       {Ttl(0), Ttl(seconds(-1)), Ttl(std::chrono::microseconds(500)),
        Ttl(hours(24 * 3651))}) {
    absl::Status status = SetWithTtl(store, bad_ttl, "v", refused);
    ExpectError(status, kv::v1::ERROR_CODE_IO,
                absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(status.message()), HasSubstr("ttl"));
  }
  EXPECT_FALSE(*Exists(store, bad_ttl));
  // 45
  const std::string b1 = kPrefix + "b1", b2 = kPrefix + "b2";
  ASSERT_TRUE(
      SetMany(store, {{b1, "1", std::nullopt, hours(1)}, {b2, "2"}}).ok());
  absl::StatusOr<std::vector<Entry>> batch = GetMany(store, {b1, b2});
  ASSERT_TRUE(batch.ok()) << batch.status();
  EXPECT_TRUE((*batch)[0].expire_time.has_value());
  EXPECT_FALSE((*batch)[1].expire_time.has_value());
  // 46: fn runs on gRPC threads, one page after another.
  std::vector<std::string> listed_keys;
  for (int i = 0; i < 25; ++i) {
    listed_keys.push_back(kPrefix + "list/" + (i < 10 ? "0" : "") +
                          std::to_string(i));
  }
  for (const std::string& key : listed_keys) {
    ASSERT_TRUE(Set(store, key, "v").ok());
  }
  ASSERT_TRUE(Set(store, kPrefix + "list0", "v").ok());
  ASSERT_TRUE(Set(store, kPrefix + "lis", "v").ok());
  const std::string list_prefix = kPrefix + "list/";
  std::vector<std::string> iterated;
  const absl::Status listed =
      Start<absl::Status>([&](Store::StatusCallback done) {
        store.ListKeysAsync(
            list_prefix, 10,
            [&](std::string_view key) {
              iterated.emplace_back(key);
              return true;
            },
            std::move(done));
      }).get();
  ASSERT_TRUE(listed.ok()) << listed;
  EXPECT_THAT(iterated, ElementsAreArray(listed_keys));
  // 47
  absl::StatusOr<KeyPage> first = ListKeysPage(store, list_prefix, 10, "");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_THAT(first->keys,
              ElementsAreArray(listed_keys.begin(), listed_keys.begin() + 10));
  ASSERT_FALSE(first->next_page_token.empty());
  absl::StatusOr<KeyPage> second =
      ListKeysPage(store, list_prefix, 10, first->next_page_token);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_THAT(second->keys, ElementsAreArray(listed_keys.begin() + 10,
                                             listed_keys.begin() + 20));
  ASSERT_FALSE(second->next_page_token.empty());
  absl::StatusOr<KeyPage> last =
      ListKeysPage(store, list_prefix, 10, second->next_page_token);
  ASSERT_TRUE(last.ok()) << last.status();
  EXPECT_THAT(last->keys,
              ElementsAreArray(listed_keys.begin() + 20, listed_keys.end()));
  EXPECT_EQ(last->next_page_token, "");
  // 48
  struct Refused {
    std::string prefix;
    int32_t page_size;
    std::string token;
    std::string mentions;
  };
  for (const Refused& refused :
       {Refused{kPrefix + "lis", 10, first->next_page_token, "page_token"},
        Refused{list_prefix, 10, "not-a-token", "page_token"},
        Refused{list_prefix, -1, "", "page_size"}}) {
    absl::Status status =
        ListKeysPage(store, refused.prefix, refused.page_size, refused.token)
            .status();
    ExpectError(status, kv::v1::ERROR_CODE_IO,
                absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(status.message()), HasSubstr(refused.mentions));
  }
  // 49
  absl::StatusOr<StoreInfo> info =
      Await<StoreInfo>([&](Store::Callback<StoreInfo> done) {
        store.DescribeAsync(std::move(done));
      });
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->max_ttl, hours(24 * 3650));
  EXPECT_EQ(info->max_page_size, 10000u);
  EXPECT_THAT(
      info->capabilities,
      IsSupersetOf({kv::v1::CAPABILITY_TTL, kv::v1::CAPABILITY_LIST_PAGES}));
}

// Rows 22-39, on the store row 21 opened, through the async calls.
void RevisionRows(Store& store) {
  uint64_t highest = 0;
  // 22
  const std::string rev = kPrefix + "rev";
  absl::StatusOr<uint64_t> r1 = SetIf(store, rev, "a", std::nullopt);
  ASSERT_TRUE(r1.ok()) << r1.status();
  EXPECT_GT(Seen(*r1, highest), 0u);
  absl::StatusOr<Versioned> entry =
      Await<Versioned>([&](Store::Callback<Versioned> done) {
        store.GetEntryAsync(rev, std::move(done));
      });
  ASSERT_TRUE(entry.ok()) << entry.status();
  EXPECT_EQ(entry->value, "a");
  EXPECT_EQ(entry->revision, *r1);
  // 23
  absl::StatusOr<uint64_t> r2 = SetIf(store, rev, "b", *r1);
  ASSERT_TRUE(r2.ok()) << r2.status();
  EXPECT_GT(Seen(*r2, highest), *r1);
  // 24
  absl::Status stale = SetIf(store, rev, "c", *r1).status();
  ExpectError(stale, kv::v1::ERROR_CODE_CONDITION_FAILED,
              absl::StatusCode::kAborted);
  EXPECT_EQ(CurrentRevisionOf(stale), *r2);
  EXPECT_THAT(std::string(stale.message()), HasSubstr(rev));
  EXPECT_EQ(*Get(store, rev), "b");
  // 25
  absl::StatusOr<uint64_t> n =
      Await<uint64_t>([&](Store::Callback<uint64_t> done) {
        store.SetIfAbsentAsync(kPrefix + "new", "x", std::move(done));
      });
  ASSERT_TRUE(n.ok()) << n.status();
  Seen(*n, highest);
  absl::Status again = SetIf(store, kPrefix + "new", "x", 0).status();
  ExpectError(again, kv::v1::ERROR_CODE_CONDITION_FAILED,
              absl::StatusCode::kAborted);
  EXPECT_EQ(CurrentRevisionOf(again), *n);
  // 26
  absl::Status stale_delete = DeleteIf(store, rev, *r1).status();
  ExpectError(stale_delete, kv::v1::ERROR_CODE_CONDITION_FAILED,
              absl::StatusCode::kAborted);
  EXPECT_EQ(CurrentRevisionOf(stale_delete), *r2);
  absl::StatusOr<uint64_t> deleted = DeleteIf(store, rev, *r2);
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_GT(Seen(*deleted, highest), *r2);
  EXPECT_FALSE(*Exists(store, rev));
  // 27
  absl::StatusOr<uint64_t> nothing =
      DeleteIf(store, kPrefix + "never-there", std::nullopt);
  ASSERT_TRUE(nothing.ok()) << nothing.status();
  EXPECT_EQ(*nothing, 0u);
  // 28
  const std::string counter = kPrefix + "counter";
  absl::StatusOr<Counter> five = Increment(store, counter, 5);
  ASSERT_TRUE(five.ok()) << five.status();
  EXPECT_EQ(five->value, 5);
  EXPECT_GT(Seen(five->revision, highest), 0u);
  absl::StatusOr<Counter> minus_two = Increment(store, counter, -7);
  ASSERT_TRUE(minus_two.ok()) << minus_two.status();
  EXPECT_EQ(minus_two->value, -2);
  EXPECT_GT(Seen(minus_two->revision, highest), five->revision);
  EXPECT_EQ(*Get(store, counter), "-2");
  // 29
  ASSERT_TRUE(Set(store, kPrefix + "text", "abc").ok());
  absl::Status text = Increment(store, kPrefix + "text", 1).status();
  ExpectError(text, kv::v1::ERROR_CODE_NOT_AN_INTEGER,
              absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(*Get(store, kPrefix + "text"), "abc");
  // 30
  ASSERT_TRUE(Set(store, kPrefix + "max", "9223372036854775807").ok());
  absl::Status max = Increment(store, kPrefix + "max", 1).status();
  ExpectError(max, kv::v1::ERROR_CODE_OUT_OF_RANGE,
              absl::StatusCode::kOutOfRange);
  EXPECT_EQ(*Get(store, kPrefix + "max"), "9223372036854775807");
  // 31
  const std::string m1 = kPrefix + "m1", m2 = kPrefix + "m2",
                    m3 = kPrefix + "m3", absent = kPrefix + "absent";
  absl::StatusOr<std::vector<uint64_t>> written =
      SetMany(store, {{m1, "1"}, {m2, "2"}});
  ASSERT_TRUE(written.ok()) << written.status();
  ASSERT_EQ(written->size(), 2u);
  EXPECT_LT((*written)[0], Seen((*written)[1], highest));
  // 32
  absl::StatusOr<std::vector<Entry>> entries = GetMany(store, {m2, absent, m1});
  ASSERT_TRUE(entries.ok()) << entries.status();
  ASSERT_EQ(entries->size(), 3u);
  EXPECT_EQ((*entries)[0].key, m2);
  EXPECT_TRUE((*entries)[0].found);
  EXPECT_EQ((*entries)[0].value, "2");
  EXPECT_EQ((*entries)[0].revision, (*written)[1]);
  EXPECT_EQ((*entries)[1].key, absent);
  EXPECT_FALSE((*entries)[1].found);
  EXPECT_EQ((*entries)[2].key, m1);
  EXPECT_EQ((*entries)[2].value, "1");
  EXPECT_EQ((*entries)[2].revision, (*written)[0]);
  // 33
  absl::Status batch =
      SetMany(store, {{m1, "x"}, {m3, "3", 0}, {m2, "y", (*written)[0]}})
          .status();
  ExpectError(batch, kv::v1::ERROR_CODE_CONDITION_FAILED,
              absl::StatusCode::kAborted);
  EXPECT_EQ(CurrentRevisionOf(batch), (*written)[1]);
  EXPECT_EQ(FailedIndexOf(batch), 2u);  // The kv-failed-index trailer.
  EXPECT_THAT(std::string(batch.message()), HasSubstr(m2));
  absl::StatusOr<std::vector<Entry>> untouched = GetMany(store, {m1, m3});
  ASSERT_TRUE(untouched.ok()) << untouched.status();
  ASSERT_EQ(untouched->size(), 2u);
  EXPECT_EQ((*untouched)[0].value, "1");
  EXPECT_FALSE((*untouched)[1].found);
  // 34
  const std::string dup = kPrefix + "dup";
  absl::Status set_dup = SetMany(store, {{dup, "1"}, {dup, "2"}}).status();
  ExpectError(set_dup, kv::v1::ERROR_CODE_IO,
              absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(set_dup.message()), HasSubstr("twice"));
  absl::Status get_dup = GetMany(store, {dup, dup}).status();
  ExpectError(get_dup, kv::v1::ERROR_CODE_IO,
              absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(get_dup.message()), HasSubstr("twice"));
  // 35
  absl::StatusOr<std::vector<uint64_t>> gone = Await<std::vector<uint64_t>>(
      [&](Store::Callback<std::vector<uint64_t>> done) {
        store.DeleteManyAsync({m1, absent, m2}, std::move(done));
      });
  ASSERT_TRUE(gone.ok()) << gone.status();
  ASSERT_EQ(gone->size(), 3u);
  EXPECT_GT(Seen((*gone)[0], highest), 0u);
  EXPECT_EQ((*gone)[1], 0u);
  EXPECT_GT(Seen((*gone)[2], highest), 0u);
  EXPECT_FALSE(*Exists(store, m1));
  EXPECT_FALSE(*Exists(store, m2));
  // 36
  absl::StatusOr<StoreInfo> info =
      Await<StoreInfo>([&](Store::Callback<StoreInfo> done) {
        store.DescribeAsync(std::move(done));
      });
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->name, "default");
  EXPECT_EQ(info->driver, "sqlite");
  EXPECT_EQ(info->durability, kv::v1::DURABILITY_DISK);
  EXPECT_EQ(info->max_key_bytes, 256u);
  EXPECT_EQ(info->max_value_bytes, 1048576u);
  EXPECT_EQ(info->max_batch_entries, 1000u);
  EXPECT_GE(info->revision, highest);
  // Inclusion: servers add capabilities as they grow.
  EXPECT_THAT(
      info->capabilities,
      IsSupersetOf(
          {kv::v1::CAPABILITY_REVISIONS, kv::v1::CAPABILITY_CONDITIONAL_WRITES,
           kv::v1::CAPABILITY_INCREMENT, kv::v1::CAPABILITY_ATOMIC_BATCHES}));
  EXPECT_FALSE(info->read_only);
  // 37
  const std::string upd = kPrefix + "upd";
  absl::StatusOr<uint64_t> started = Update(store, upd, Exclaim);
  ASSERT_TRUE(started.ok()) << started.status();
  EXPECT_EQ(*Get(store, upd), "start");
  absl::StatusOr<uint64_t> exclaimed = Update(store, upd, Exclaim);
  ASSERT_TRUE(exclaimed.ok()) << exclaimed.status();
  EXPECT_GT(*exclaimed, *started);
  EXPECT_EQ(*Get(store, upd), "start!");
  // 38: 8 callers, each waiting for its 10 updates in turn.
  const std::string race = kPrefix + "upd-race";
  std::vector<std::thread> callers;
  for (int caller = 0; caller < 8; ++caller) {
    callers.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        absl::StatusOr<uint64_t> added =
            Update(store, race, AddOne, kRaceAttempts);
        EXPECT_TRUE(added.ok()) << added.status();
      }
    });
  }
  for (std::thread& caller : callers) caller.join();
  EXPECT_EQ(*Get(store, race), "80");
  // 39: f, on its first call only, writes the key first. f runs on a gRPC
  // thread; it waits for that write there (a blocking call, fine in a test).
  const std::string lost = kPrefix + "upd-lost";
  std::atomic<int> calls{0};
  auto interfering = [&](const std::optional<std::string>& value)
      -> absl::StatusOr<std::string> {
    if (++calls == 1) {
      EXPECT_TRUE(store.Set(lost, "other").ok());
    }
    return value.value_or("") + "+f";
  };
  absl::Status exhausted = Update(store, lost, interfering, 1).status();
  ExpectError(exhausted, kv::v1::ERROR_CODE_CONDITION_FAILED,
              absl::StatusCode::kAborted);
  EXPECT_EQ(calls.load(), 1);
  calls = 0;
  absl::StatusOr<uint64_t> retried = Update(store, lost, interfering, 3);
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(calls.load(), 2);
  EXPECT_EQ(*Get(store, lost), "other+f");
}

TEST(ScenarioAsyncTest, EveryRow) {
  // 1
  absl::StatusOr<Store> opened = OpenAsync("default").get();
  ASSERT_TRUE(opened.ok()) << opened.status();
  Store store = *std::move(opened);
  EXPECT_NE(store.handle(), 0u);
  // 2, 3
  ASSERT_TRUE(Set(store, kPrefix + "plain", "hello").ok());
  EXPECT_EQ(*Get(store, kPrefix + "plain"), "hello");
  ASSERT_TRUE(Set(store, kPrefix + "plain", "again").ok());
  EXPECT_EQ(*Get(store, kPrefix + "plain"), "again");
  // 4, 5, 6, 7
  const std::string binary = Bytes({0x00, 0x01, 0x00, 0xFF, 0x00});
  ASSERT_TRUE(Set(store, kPrefix + "binary", binary).ok());
  EXPECT_EQ(*Get(store, kPrefix + "binary"), binary);
  ASSERT_TRUE(Set(store, kPrefix + "empty", "").ok());
  EXPECT_EQ(*Get(store, kPrefix + "empty"), "");
  ASSERT_TRUE(Set(store, kPrefix + "big", Mebibyte()).ok());
  EXPECT_EQ(*Get(store, kPrefix + "big"), Mebibyte());
  const std::string utf8_key = kPrefix + "ключ/キー/🔑";
  ASSERT_TRUE(Set(store, utf8_key, "utf8").ok());
  EXPECT_EQ(*Get(store, utf8_key), "utf8");
  // 8
  EXPECT_TRUE(*Exists(store, kPrefix + "plain"));
  EXPECT_FALSE(*Exists(store, kPrefix + "missing"));
  // 9
  absl::Status missing = Get(store, kPrefix + "missing").status();
  ExpectError(missing, kv::v1::ERROR_CODE_NO_SUCH_KEY,
              absl::StatusCode::kNotFound);
  EXPECT_TRUE(IsNoSuchKey(missing));
  EXPECT_THAT(std::string(missing.message()), HasSubstr("missing"));
  // 10
  ASSERT_TRUE(Delete(store, kPrefix + "plain").ok());
  EXPECT_FALSE(*Exists(store, kPrefix + "plain"));
  EXPECT_TRUE(Delete(store, kPrefix + "plain").ok());
  // 11
  absl::StatusOr<std::vector<std::string>> keys = GetKeys(store);
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
    absl::StatusOr<Store> mem = OpenAsync("mem").get();
    ASSERT_TRUE(mem.ok()) << mem.status();
    ExpectError(Get(*mem, kPrefix + "big").status(),
                kv::v1::ERROR_CODE_NO_SUCH_KEY, absl::StatusCode::kNotFound);
    ASSERT_TRUE(Close(*mem).ok());  // Row 20 counts kvd's handles.
  }
  // 14
  ExpectError(OpenAsync("no-such-store").get().status(),
              kv::v1::ERROR_CODE_NO_SUCH_STORE, absl::StatusCode::kNotFound);
  // 15
  absl::Status broken = OpenAsync("broken").get().status();
  ExpectError(broken, kv::v1::ERROR_CODE_IO, absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(broken.message()), HasSubstr("broken"));
  // 16, 17
  ExpectError(Set(store, kPrefix + std::string(257, 'k'), "v"),
              kv::v1::ERROR_CODE_IO, absl::StatusCode::kInvalidArgument);
  ExpectError(Set(store, kPrefix + "too-big", Mebibyte(1)),
              kv::v1::ERROR_CODE_IO, absl::StatusCode::kInvalidArgument);
  // 18, 19
  ASSERT_TRUE(Close(store).ok());
  ExpectError(Get(store, kPrefix + "big").status(),
              kv::v1::ERROR_CODE_INVALID_STORE,
              absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Close(store).ok());
  // 20: the opens run concurrently, so which ones kvd refuses is not fixed;
  // exactly 256 succeed and the other 44 are STORE_TABLE_FULL.
  std::vector<std::future<absl::StatusOr<Store>>> pending;
  for (int i = 1; i <= 300; ++i) pending.push_back(OpenAsync("default"));
  std::vector<Store> held;
  int table_full = 0;
  for (auto& future : pending) {
    absl::StatusOr<Store> result = future.get();
    if (result.ok()) {
      held.push_back(*std::move(result));
    } else {
      ExpectError(result.status(), kv::v1::ERROR_CODE_STORE_TABLE_FULL,
                  absl::StatusCode::kResourceExhausted);
      ++table_full;
    }
  }
  EXPECT_EQ(held.size(), 256u);
  EXPECT_EQ(table_full, 44);
  // 21
  std::vector<std::future<absl::Status>> closing;
  for (Store& held_store : held) {
    closing.push_back(Start<absl::Status>([&](Store::StatusCallback done) {
      held_store.CloseAsync(std::move(done));
    }));
  }
  for (auto& future : closing) EXPECT_TRUE(future.get().ok());
  absl::StatusOr<Store> fresh = OpenAsync("default").get();
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  RevisionRows(*fresh);
  ExpiryAndListingRows(*fresh);
}

}  // namespace
}  // namespace kvd
