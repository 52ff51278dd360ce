#include "tests/expiry_listing_checks.h"

#include <signal.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kv/v1/kv.pb.h"

namespace kv::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

using std::chrono::milliseconds;

constexpr auto kShortTtl = milliseconds(200);
// A ttl no test outlives, for keys whose expiry is only read.
constexpr auto kLongTtl = std::chrono::hours(1);
// How long a bounded wait may last before the test calls it a failure.
// Loose on purpose: it catches "never", not "slow".
constexpr absl::Duration kWaitLimit = absl::Seconds(60);

absl::Time TimeOf(const google::protobuf::Timestamp& timestamp) {
  return absl::FromUnixSeconds(timestamp.seconds()) +
         absl::Nanoseconds(timestamp.nanos());
}

absl::Duration AbslOf(std::chrono::nanoseconds duration) {
  return absl::Nanoseconds(duration.count());
}

// The expire_time a write made between `before` and `after` with `ttl`
// may report: the write's instant plus ttl, truncated to the millisecond.
void ExpectExpiryBetween(const google::protobuf::Timestamp& reported,
                         absl::Time before, absl::Time after,
                         std::chrono::nanoseconds ttl) {
  const absl::Time expire = TimeOf(reported);
  EXPECT_GE(expire, before + AbslOf(ttl) - absl::Milliseconds(1))
      << absl::FormatTime(expire);
  EXPECT_LE(expire, after + AbslOf(ttl) + absl::Milliseconds(1))
      << absl::FormatTime(expire);
  EXPECT_EQ(reported.nanos() % 1000000, 0) << "not whole milliseconds";
}

// Waits until this machine's clock is past `instant`. kvd, Redis and
// PostgreSQL run on this machine, so their clocks are this one.
void WaitUntilPast(absl::Time instant) {
  const absl::Duration left = instant - absl::Now();
  if (left > absl::ZeroDuration()) absl::SleepFor(left);
  while (absl::Now() <= instant) absl::SleepFor(absl::Milliseconds(1));
}

void ExpectInvalidArgument(const CallResult& result,
                           const std::vector<std::string>& parts) {
  EXPECT_EQ(result.status.error_code(), grpc::INVALID_ARGUMENT)
      << result.status.error_message();
  EXPECT_EQ(result.error_code, v1::ERROR_CODE_IO)
      << v1::ErrorCode_Name(result.error_code);
  for (const std::string& part : parts) {
    EXPECT_THAT(result.status.error_message(), HasSubstr(part));
  }
}

// Writes `keys` with value `value` in SetMany batches of 1,000.
void Fill(KvTestClient& client, uint32_t store,
          const std::vector<std::string>& keys, const std::string& value) {
  for (size_t start = 0; start < keys.size(); start += 1000) {
    std::vector<v1::SetEntry> entries;
    for (size_t i = start; i < keys.size() && i < start + 1000; ++i) {
      entries.push_back(MakeSetEntry(keys[i], value));
    }
    CallResult set = client.SetMany(store, entries, nullptr);
    ASSERT_TRUE(set.ok()) << set.status.error_message();
  }
}

// Deletes every key of `store`, so a check starts from an empty store
// even on a shared backend that an earlier test wrote.
void Empty(KvTestClient& client, uint32_t store) {
  while (true) {
    std::vector<std::string> keys;
    std::string next;
    CallResult listed = client.ListKeys(store, "", 1000, "", &keys, &next);
    ASSERT_TRUE(listed.ok()) << listed.status.error_message();
    if (keys.empty()) return;
    ASSERT_TRUE(client.DeleteMany(store, keys, nullptr).ok());
  }
}

}  // namespace

std::unique_ptr<KvdProcess> StartKvdOn(const ExpiryListingBackend& backend,
                                       const std::string& dir_name) {
  const std::string dir = NewTempDir(dir_name);
  WriteFile(dir + "/kvd.toml", backend.Config());
  absl::StatusOr<std::unique_ptr<KvdProcess>> kvd = KvdProcess::Start(
      {"--listen=127.0.0.1:0", "--config=" + dir + "/kvd.toml",
       "--data-dir=" + dir + "/data"});
  EXPECT_TRUE(kvd.ok()) << kvd.status();
  return kvd.ok() ? *std::move(kvd) : nullptr;
}

uint32_t OpenOrFail(KvTestClient& client, const std::string& name) {
  uint32_t store = 0;
  CallResult result = client.Open(name, &store);
  EXPECT_TRUE(result.ok()) << name << ": " << result.status.error_message();
  return store;
}

void ExpectShortTtlGoneOnEveryReadPath(KvTestClient& client) {
  const uint32_t store = OpenOrFail(client, kExpiryStore);
  ASSERT_NO_FATAL_FAILURE(Empty(client, store));
  ASSERT_TRUE(client.Set(store, "short/permanent", "stays").ok());

  // The expire_time reported, on a key that lives long enough to be read
  // whatever the machine's load.
  absl::Time before = absl::Now();
  ASSERT_TRUE(client.SetWithTtl(store, "long/set", "v", kLongTtl).ok());
  CallResult batch = client.SetMany(
      store, {MakeSetEntryWithTtl("long/batch", "v", kLongTtl)}, nullptr);
  ASSERT_TRUE(batch.ok()) << batch.status.error_message();
  absl::Time after = absl::Now();
  v1::GetResponse got;
  ASSERT_TRUE(client.GetResponse(store, "long/set", &got).ok());
  ASSERT_TRUE(got.has_expire_time());
  ExpectExpiryBetween(got.expire_time(), before, after, kLongTtl);
  std::vector<v1::Entry> entries;
  ASSERT_TRUE(
      client.GetMany(store, {"long/batch", "short/permanent", "none"}, &entries)
          .ok());
  ASSERT_EQ(entries.size(), 3u);
  ASSERT_TRUE(entries[0].found());
  ASSERT_TRUE(entries[0].has_expire_time());
  ExpectExpiryBetween(entries[0].expire_time(), before, after, kLongTtl);
  EXPECT_TRUE(entries[1].found());
  EXPECT_FALSE(entries[1].has_expire_time());
  EXPECT_FALSE(entries[2].found());
  EXPECT_FALSE(entries[2].has_expire_time());
  ASSERT_TRUE(client.GetResponse(store, "short/permanent", &got).ok());
  EXPECT_FALSE(got.has_expire_time());
  ASSERT_TRUE(
      client.DeleteMany(store, {"long/set", "long/batch"}, nullptr).ok());

  // Keys with a 200 ms ttl, through Set and SetMany.
  before = absl::Now();
  ASSERT_TRUE(client.SetWithTtl(store, "short/set", "v", kShortTtl).ok());
  batch = client.SetMany(store,
                         {MakeSetEntryWithTtl("short/batch1", "v", kShortTtl),
                          MakeSetEntryWithTtl("short/batch2", "v", kShortTtl)},
                         nullptr);
  ASSERT_TRUE(batch.ok()) << batch.status.error_message();
  after = absl::Now();
  // Read while they surely live (if the machine was quick enough to get
  // here in time; either way nothing is asserted about speed).
  CallResult early = client.GetResponse(store, "short/set", &got);
  if (absl::Now() < before + AbslOf(kShortTtl) - absl::Milliseconds(5)) {
    ASSERT_TRUE(early.ok()) << early.status.error_message();
    ASSERT_TRUE(got.has_expire_time());
    ExpectExpiryBetween(got.expire_time(), before, after, kShortTtl);
  }

  // Once the latest instant they can expire at has passed, every read path
  // treats them as absent at once.
  WaitUntilPast(after + AbslOf(kShortTtl) + absl::Milliseconds(2));
  const std::vector<std::string> gone = {"short/set", "short/batch1",
                                         "short/batch2"};
  for (const std::string& key : gone) {
    SCOPED_TRACE(key);
    CallResult get = client.GetResponse(store, key, &got);
    EXPECT_EQ(get.status.error_code(), grpc::NOT_FOUND)
        << get.status.error_message();
    EXPECT_EQ(get.error_code, v1::ERROR_CODE_NO_SUCH_KEY);
    bool exists = true;
    ASSERT_TRUE(client.Exists(store, key, &exists).ok());
    EXPECT_FALSE(exists);
  }
  ASSERT_TRUE(client
                  .GetMany(store,
                           {"short/set", "short/permanent", "short/batch1",
                            "short/batch2"},
                           &entries)
                  .ok());
  ASSERT_EQ(entries.size(), 4u);
  EXPECT_FALSE(entries[0].found());
  EXPECT_TRUE(entries[1].found());
  EXPECT_FALSE(entries[2].found());
  EXPECT_FALSE(entries[3].found());
  EXPECT_EQ(entries[0].revision(), 0u);
  EXPECT_FALSE(entries[0].has_expire_time());
  std::vector<std::string> keys;
  ASSERT_TRUE(client.GetKeys(store, &keys).ok());
  EXPECT_THAT(keys, ElementsAre("short/permanent"));
  std::string next;
  ASSERT_TRUE(client.ListKeys(store, "", 0, "", &keys, &next).ok());
  EXPECT_THAT(keys, ElementsAre("short/permanent"));
  EXPECT_THAT(next, IsEmpty());
  ASSERT_TRUE(client.ListKeys(store, "short/b", 1, "", &keys, &next).ok());
  EXPECT_THAT(keys, IsEmpty());
  EXPECT_THAT(next, IsEmpty());
}

void ExpectTtlClearedBySetKeptByIncrement(KvTestClient& client) {
  const uint32_t store = OpenOrFail(client, kExpiryStore);
  ASSERT_NO_FATAL_FAILURE(Empty(client, store));

  // A Set without ttl clears the expiry.
  ASSERT_TRUE(client.SetWithTtl(store, "cleared", "1", kLongTtl).ok());
  v1::GetResponse got;
  ASSERT_TRUE(client.GetResponse(store, "cleared", &got).ok());
  EXPECT_TRUE(got.has_expire_time());
  ASSERT_TRUE(client.Set(store, "cleared", "2").ok());
  ASSERT_TRUE(client.GetResponse(store, "cleared", &got).ok());
  EXPECT_EQ(got.value(), "2");
  EXPECT_FALSE(got.has_expire_time());
  // So does a SetMany entry without one.
  ASSERT_TRUE(client.SetWithTtl(store, "cleared", "3", kLongTtl).ok());
  ASSERT_TRUE(
      client.SetMany(store, {MakeSetEntry("cleared", "4")}, nullptr).ok());
  ASSERT_TRUE(client.GetResponse(store, "cleared", &got).ok());
  EXPECT_EQ(got.value(), "4");
  EXPECT_FALSE(got.has_expire_time());

  // Increment keeps it, to the millisecond.
  ASSERT_TRUE(client.SetWithTtl(store, "counter", "41", kLongTtl).ok());
  ASSERT_TRUE(client.GetResponse(store, "counter", &got).ok());
  ASSERT_TRUE(got.has_expire_time());
  const google::protobuf::Timestamp expiry = got.expire_time();
  int64_t value = 0;
  ASSERT_TRUE(client.Increment(store, "counter", 1, &value).ok());
  EXPECT_EQ(value, 42);
  ASSERT_TRUE(client.GetResponse(store, "counter", &got).ok());
  EXPECT_EQ(got.value(), "42");
  ASSERT_TRUE(got.has_expire_time());
  EXPECT_EQ(got.expire_time().seconds(), expiry.seconds());
  EXPECT_EQ(got.expire_time().nanos(), expiry.nanos());

  // On an expired key, Increment starts from 0 and the key no longer
  // expires; a condition sees revision 0.
  uint64_t revision = 0;
  ASSERT_TRUE(
      client.SetWithTtl(store, "fleeting", "41", kShortTtl, &revision).ok());
  ASSERT_TRUE(
      client.SetWithTtl(store, "fleeting_cas", "v", kShortTtl, &revision).ok());
  const absl::Time after = absl::Now();
  WaitUntilPast(after + AbslOf(kShortTtl) + absl::Milliseconds(2));
  ASSERT_TRUE(client.Increment(store, "fleeting", 1, &value).ok());
  EXPECT_EQ(value, 1);
  ASSERT_TRUE(client.GetResponse(store, "fleeting", &got).ok());
  EXPECT_EQ(got.value(), "1");
  EXPECT_FALSE(got.has_expire_time());
  CallResult stale = client.Set(store, "fleeting_cas", "w", revision);
  EXPECT_EQ(stale.error_code, v1::ERROR_CODE_CONDITION_FAILED)
      << stale.status.error_message();
  EXPECT_EQ(stale.current_revision, 0u);
  CallResult create = client.Set(store, "fleeting_cas", "w", 0);
  EXPECT_TRUE(create.ok()) << create.status.error_message();
}

void ExpectInvalidTtlsRefused(KvTestClient& client) {
  const uint32_t store = OpenOrFail(client, kExpiryStore);
  ASSERT_NO_FATAL_FAILURE(Empty(client, store));
  v1::DescribeResponse description;
  ASSERT_TRUE(client.Describe(store, &description).ok());
  EXPECT_THAT(description.capabilities(),
              ::testing::Contains(v1::CAPABILITY_TTL));
  EXPECT_THAT(description.capabilities(),
              ::testing::Contains(v1::CAPABILITY_LIST_PAGES));
  const std::chrono::nanoseconds max_ttl =
      std::chrono::seconds(description.limits().max_ttl().seconds()) +
      std::chrono::nanoseconds(description.limits().max_ttl().nanos());
  // 10 years, unless the server says otherwise.
  EXPECT_GE(max_ttl, std::chrono::hours(24 * 365 * 10));

  using std::chrono::microseconds;
  using std::chrono::nanoseconds;
  using std::chrono::seconds;
  const std::vector<nanoseconds> invalid = {
      nanoseconds(0),
      nanoseconds(-1),
      -milliseconds(1),
      -seconds(60),
      microseconds(500),
      nanoseconds(999999),
      max_ttl + milliseconds(1),
      max_ttl + seconds(86400),
      std::chrono::hours(24 * 365 * 100),
  };
  for (nanoseconds ttl : invalid) {
    SCOPED_TRACE(absl::StrCat("ttl ", ttl.count(), " ns"));
    ExpectInvalidArgument(client.SetWithTtl(store, "invalid", "v", ttl),
                          {"ttl"});
    CallResult batch =
        client.SetMany(store,
                       {MakeSetEntry("batch/ok", "v"),
                        MakeSetEntryWithTtl("batch/invalid", "v", ttl)},
                       nullptr);
    // The entry is named by its place in the request.
    ExpectInvalidArgument(batch, {"entries[1].ttl"});
  }
  std::vector<std::string> keys;
  ASSERT_TRUE(client.GetKeys(store, &keys).ok());
  EXPECT_THAT(keys, IsEmpty()) << "a refused write wrote something";

  // The bounds themselves are valid.
  CallResult shortest =
      client.SetWithTtl(store, "shortest", "v", milliseconds(1));
  EXPECT_TRUE(shortest.ok()) << shortest.status.error_message();
  // A finer part is dropped: 1.5 ms is 1 ms.
  CallResult finer = client.SetWithTtl(store, "finer", "v", microseconds(1500));
  EXPECT_TRUE(finer.ok()) << finer.status.error_message();
  const absl::Time before = absl::Now();
  CallResult longest = client.SetWithTtl(store, "longest", "v", max_ttl);
  const absl::Time after = absl::Now();
  ASSERT_TRUE(longest.ok()) << longest.status.error_message();
  v1::GetResponse got;
  ASSERT_TRUE(client.GetResponse(store, "longest", &got).ok());
  ASSERT_TRUE(got.has_expire_time());
  ExpectExpiryBetween(got.expire_time(), before, after, max_ttl);
  ASSERT_TRUE(
      client.DeleteMany(store, {"shortest", "finer", "longest"}, nullptr).ok());
}

void ExpectSweeperReclaims(const ExpiryListingBackend& backend,
                           KvTestClient& client) {
  constexpr int kExpiring = 1000;
  constexpr int kPermanent = 5;
  constexpr auto kTtl = milliseconds(300);
  const uint32_t store = OpenOrFail(client, kSweepStore);
  ASSERT_NO_FATAL_FAILURE(Empty(client, store));
  // Wait for the backend to agree the store is empty (an earlier run's
  // expired keys may still be there, waiting for the sweeper).
  absl::StatusOr<int64_t> stored = backend.StoredKeys(kSweepStore);
  for (const absl::Time limit = absl::Now() + kWaitLimit;
       stored.ok() && *stored != 0 && absl::Now() < limit;
       stored = backend.StoredKeys(kSweepStore)) {
    absl::SleepFor(absl::Milliseconds(100));
  }
  ASSERT_TRUE(stored.ok()) << stored.status();
  ASSERT_EQ(*stored, 0);

  for (int i = 0; i < kPermanent; ++i) {
    ASSERT_TRUE(client.Set(store, absl::StrCat("permanent/", i), "v").ok());
  }
  std::vector<v1::SetEntry> entries;
  for (int i = 0; i < kExpiring; ++i) {
    entries.push_back(MakeSetEntryWithTtl(absl::StrFormat("expiring/%04d", i),
                                          "value", kTtl));
  }
  const absl::Time before = absl::Now();
  CallResult set = client.SetMany(store, entries, nullptr);
  ASSERT_TRUE(set.ok()) << set.status.error_message();
  stored = backend.StoredKeys(kSweepStore);
  ASSERT_TRUE(stored.ok()) << stored.status();
  // The backend holds them all until they expire (if the count was read in
  // time; a sweeper is free to take them right after).
  if (absl::Now() < before + AbslOf(kTtl)) {
    EXPECT_EQ(*stored, kExpiring + kPermanent);
  }

  // No client call from here: only the sweeper can bring the count down.
  const absl::Time limit = absl::Now() + AbslOf(kTtl) + kWaitLimit;
  while (stored.ok() && *stored != kPermanent && absl::Now() < limit) {
    absl::SleepFor(absl::Milliseconds(100));
    stored = backend.StoredKeys(kSweepStore);
  }
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(*stored, kPermanent)
      << "the backend still holds expired keys "
      << absl::FormatDuration(kWaitLimit) << " after they expired";

  std::vector<std::string> keys;
  ASSERT_TRUE(client.GetKeys(store, &keys).ok());
  EXPECT_EQ(keys.size(), static_cast<size_t>(kPermanent));
}

void ExpectListingUnderWritersReturnsStableKeysOnce(const KvdProcess& kvd) {
  constexpr int kStable = 200000;
  constexpr int kPageSize = 1000;
  constexpr int kWriters = 4;
  // Writer keys sort right after a stable key and before the next one:
  // "k0000042" < "k0000042/w1-7" < "k0000043".
  auto stable_key = [](int i) { return absl::StrFormat("k%07d", i); };

  KvTestClient client(kvd.NewChannel());
  const uint32_t store = OpenOrFail(client, kListingStore);
  ASSERT_NO_FATAL_FAILURE(Empty(client, store));
  std::vector<std::string> stable;
  stable.reserve(kStable);
  for (int i = 0; i < kStable; ++i) stable.push_back(stable_key(i));
  ASSERT_NO_FATAL_FAILURE(Fill(client, store, stable, "stable"));

  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::vector<std::atomic<int64_t>> written(kWriters);
  for (auto& count : written) count = 0;
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      KvTestClient mine(kvd.NewChannel());
      uint32_t handle = 0;
      if (!mine.Open(kListingStore, &handle).ok()) {
        ++failures;
        return;
      }
      std::mt19937 random(w);
      std::uniform_int_distribution<int> near(0, kStable - 1);
      std::deque<std::string> live;
      for (int64_t n = 0; !stop.load(); ++n) {
        const std::string key =
            absl::StrCat(stable_key(near(random)), "/w", w, "-", n);
        bool ok = mine.Set(handle, key, "churn").ok();
        live.push_back(key);
        if (live.size() > 20) {
          ok = ok && mine.Delete(handle, live.front()).ok();
          live.pop_front();
        }
        if (!ok) {
          ++failures;
          return;
        }
        ++written[w];
      }
      for (const std::string& key : live) mine.Delete(handle, key);
    });
  }
  // Waits until every writer has written since `seen`, and updates `seen`.
  std::vector<int64_t> seen(kWriters, -1);
  auto wait_for_writers = [&]() {
    const absl::Time limit = absl::Now() + kWaitLimit;
    for (int w = 0; w < kWriters; ++w) {
      while (written[w].load() <= seen[w] && failures.load() == 0 &&
             absl::Now() < limit) {
        absl::SleepFor(absl::Milliseconds(1));
      }
      seen[w] = written[w].load();
    }
  };

  std::vector<std::string> listed;
  std::string token;
  int pages = 0;
  CallResult last;
  for (; pages < 10 * kStable / kPageSize; ++pages) {
    if (pages % 10 == 0) wait_for_writers();
    std::vector<std::string> keys;
    std::string next;
    last = client.ListKeys(store, "", kPageSize, token, &keys, &next);
    if (!last.ok()) break;
    EXPECT_LE(keys.size(), static_cast<size_t>(kPageSize));
    listed.insert(listed.end(), keys.begin(), keys.end());
    token = std::move(next);
    if (token.empty()) break;
  }
  wait_for_writers();
  stop = true;
  for (std::thread& writer : writers) writer.join();
  ASSERT_TRUE(last.ok()) << last.status.error_message();
  EXPECT_TRUE(token.empty()) << "the listing did not end";
  EXPECT_EQ(failures.load(), 0) << "a writer's call failed";
  for (int w = 0; w < kWriters; ++w) {
    // At least one write per wait, by construction, unless it stalled.
    EXPECT_GE(seen[w], pages / 10) << "writer " << w << " stalled";
  }

  // Strictly ascending: in order, and nothing twice.
  size_t disorder = 0;
  for (size_t i = 1; i < listed.size(); ++i) {
    if (!(listed[i - 1] < listed[i])) {
      if (disorder++ < 5) {
        ADD_FAILURE() << "key " << i << " \"" << listed[i]
                      << "\" is not after \"" << listed[i - 1] << "\"";
      }
    }
  }
  EXPECT_EQ(disorder, 0u);
  std::vector<std::string> stable_listed;
  stable_listed.reserve(kStable);
  for (const std::string& key : listed) {
    if (!absl::StrContains(key, "/w")) {
      stable_listed.push_back(key);
    } else {
      EXPECT_THAT(key, ::testing::MatchesRegex("k[0-9]{7}/w[0-3]-[0-9]+"));
    }
  }
  EXPECT_EQ(stable_listed.size(), stable.size());
  EXPECT_TRUE(stable_listed == stable)
      << "the stable keys were not each listed exactly once";
  ASSERT_NO_FATAL_FAILURE(Empty(client, store));
}

void ExpectForeignAndGarbageTokensRefused(KvTestClient& client) {
  const uint32_t store = OpenOrFail(client, kTokensStore);
  const uint32_t other = OpenOrFail(client, kOtherTokensStore);
  ASSERT_NO_FATAL_FAILURE(Empty(client, store));
  ASSERT_NO_FATAL_FAILURE(Empty(client, other));
  std::vector<std::string> keys;
  for (const char* prefix : {"a/", "b/"}) {
    for (int i = 0; i < 30; ++i) {
      keys.push_back(absl::StrFormat("%s%03d", prefix, i));
    }
  }
  ASSERT_NO_FATAL_FAILURE(Fill(client, store, keys, "v"));
  ASSERT_NO_FATAL_FAILURE(Fill(client, other, keys, "v"));

  std::vector<std::string> page;
  std::string token;
  ASSERT_TRUE(client.ListKeys(store, "a/", 10, "", &page, &token).ok());
  ASSERT_EQ(page.size(), 10u);
  ASSERT_FALSE(token.empty());

  std::string next;
  ExpectInvalidArgument(client.ListKeys(other, "a/", 10, token, &page, &next),
                        {"page_token", "store"});
  for (const std::string prefix : {"b/", "", "a", "a/0"}) {
    SCOPED_TRACE(absl::StrCat("prefix \"", prefix, "\""));
    ExpectInvalidArgument(
        client.ListKeys(store, prefix, 10, token, &page, &next),
        {"page_token", "prefix"});
  }
  const std::vector<std::string> garbage = {
      "garbage",
      "AAAA",
      "=",
      "!@#$%^&*()",
      std::string(10000, 'A'),
      "a/009",
      "\xF0\x9F\x98\x80",
      token + "x",
      token.substr(0, token.size() / 2),
  };
  for (const std::string& bad : garbage) {
    SCOPED_TRACE(absl::StrCat("token \"", bad.substr(0, 40), "\""));
    CallResult result = client.ListKeys(store, "a/", 10, bad, &page, &next);
    ExpectInvalidArgument(result, {"page_token"});
    EXPECT_LT(result.status.error_message().size(), 2000u)
        << "the message echoes the whole token";
  }
  ExpectInvalidArgument(client.ListKeys(store, "a/", -1, "", &page, &next),
                        {"page_size"});

  // The token still works where it belongs, and the listing is complete.
  ASSERT_TRUE(client.ListKeys(store, "a/", 100, token, &page, &next).ok());
  EXPECT_EQ(page.size(), 20u);
  EXPECT_EQ(page.front(), "a/010");
  EXPECT_EQ(page.back(), "a/029");
  EXPECT_THAT(next, IsEmpty());
}

std::string FirstPageOfTokens(KvTestClient& before) {
  const uint32_t store = OpenOrFail(before, kTokensStore);
  Empty(before, store);
  std::vector<std::string> keys;
  for (int i = 0; i < 250; ++i) keys.push_back(absl::StrFormat("r/%03d", i));
  keys.push_back("q");
  keys.push_back("s");
  Fill(before, store, keys, "v");
  std::vector<std::string> page;
  std::string token;
  CallResult listed = before.ListKeys(store, "r/", 100, "", &page, &token);
  EXPECT_TRUE(listed.ok()) << listed.status.error_message();
  EXPECT_EQ(page.size(), 100u);
  if (!page.empty()) {
    EXPECT_EQ(page.front(), "r/000");
    EXPECT_EQ(page.back(), "r/099");
  }
  EXPECT_FALSE(token.empty());
  before.Close(store);
  return token;
}

void ExpectTokenContinues(KvTestClient& after, const std::string& token) {
  const uint32_t store = OpenOrFail(after, kTokensStore);
  std::vector<std::string> rest;
  std::string next = token;
  for (int pages = 0; pages < 10 && !next.empty(); ++pages) {
    std::vector<std::string> page;
    const std::string current = next;
    CallResult listed = after.ListKeys(store, "r/", 100, current, &page, &next);
    ASSERT_TRUE(listed.ok()) << listed.status.error_message();
    rest.insert(rest.end(), page.begin(), page.end());
  }
  EXPECT_THAT(next, IsEmpty());
  std::vector<std::string> expected;
  for (int i = 100; i < 250; ++i) {
    expected.push_back(absl::StrFormat("r/%03d", i));
  }
  EXPECT_THAT(rest, ElementsAreArray(expected));
}

void ExpiryListingTest::SetUp() {
  ASSERT_NE(backend(), nullptr) << "the backend did not start";
  kvd_ = StartKvdOn(*backend(), "kvd");
  ASSERT_NE(kvd_, nullptr);
  client_ = std::make_unique<KvTestClient>(kvd_->NewChannel());
}

void ExpiryListingTest::ExpectTokenSurvivesARestart() {
  const std::string token = FirstPageOfTokens(*client_);
  ASSERT_FALSE(token.empty());
  client_.reset();
  absl::StatusOr<int> stopped = kvd_->Stop(SIGTERM, absl::Seconds(30));
  ASSERT_TRUE(stopped.ok()) << stopped.status();
  EXPECT_EQ(*stopped, 0);
  kvd_ = StartKvdOn(*backend(), "restarted");
  ASSERT_NE(kvd_, nullptr);
  KvTestClient after(kvd_->NewChannel());
  ExpectTokenContinues(after, token);
}

void ExpiryListingTest::ExpectTokenWorksOnASecondKvd() {
  std::unique_ptr<KvdProcess> second = StartKvdOn(*backend(), "second");
  ASSERT_NE(second, nullptr);
  const std::string token = FirstPageOfTokens(*client_);
  ASSERT_FALSE(token.empty());
  KvTestClient other(second->NewChannel());
  ExpectTokenContinues(other, token);
}

}  // namespace kv::testing
