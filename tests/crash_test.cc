// Correctness under speed: kvd killed with SIGKILL at random moments under a
// concurrent load of Sets, Increments and conditional updates, 20 times per
// durability, and restarted on the same data directory each time. After
// every restart:
// - every acknowledged Set is there with exactly its value and the revision
//   it was acknowledged with, and a Set that was in flight at the kill is
//   either absent or there in full: never a partial value;
// - the round's counter, incremented by 1 from several clients, counts every
//   acknowledged Increment exactly once: with A acknowledged and F that did
//   not return (at most one per client: the call the kill cut off, each
//   applied at most once), the counter is in [A, A + F], and the acknowledged
//   results are distinct;
// - the round's updated key (read, Set with if_revision, retry on
//   CONDITION_FAILED, from several clients) holds the same bound for its
//   acknowledged conditional Sets: no acknowledged update is lost or doubled;
// - the store's revision is at least every revision acknowledged before the
//   kill, and the next write's revision is above all of them.
//
// The kill moments come from a seeded RNG; the seed is printed, and
// KVD_CRASH_TEST_SEED=N replays a run's choices (the load itself is never
// exactly repeatable).

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/kv_test_client.h"
#include "tests/kvd_process.h"

namespace kv::testing {
namespace {

constexpr int kRounds = 20;
constexpr int kChannels = 8;
constexpr int kWritersPerChannel = 4;  // 32 Sets in flight.
// Besides its Set writers, each channel has one client incrementing the
// round's counter and one updating the round's conditional key: 16 more
// calls in flight.
// Each round's load runs this long before the kill, at random.
constexpr int kMinLoadMs = 100;
constexpr int kMaxLoadMs = 600;
constexpr size_t kMaxValueBytes = 4096;

// FNV-1a: a fixed hash, so a value is a function of its key alone.
uint64_t Fnv1a(absl::string_view bytes) {
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}

// The value written under `key`: 1 to kMaxValueBytes pseudo-random bytes
// derived from the key, so any truncated, torn or misplaced value differs
// from what its key predicts.
std::string ValueFor(absl::string_view key) {
  uint64_t state = Fnv1a(key) | 1;  // xorshift64 needs a nonzero state.
  const size_t length = 1 + state % kMaxValueBytes;
  std::string value;
  value.reserve(length);
  while (value.size() < length) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    value.push_back(static_cast<char>(state));
  }
  return value;
}

uint64_t Seed() {
  const char* text = std::getenv("KVD_CRASH_TEST_SEED");
  if (text != nullptr) return std::strtoull(text, nullptr, 10);
  return static_cast<uint64_t>(absl::ToUnixNanos(absl::Now()));
}

std::unique_ptr<KvdProcess> StartOrDie(const std::vector<std::string>& args) {
  auto kvd = KvdProcess::Start(args);
  EXPECT_TRUE(kvd.ok()) << kvd.status();
  return kvd.ok() ? *std::move(kvd) : nullptr;
}

std::string CounterKey(int round) { return absl::StrCat("counter-", round); }
std::string UpdatedKey(int round) { return absl::StrCat("updated-", round); }

// One acknowledged write of a key several clients share: the value it left
// and the revision it was given.
struct SharedWrite {
  int64_t value;
  uint64_t revision;
};

// What the clients of one shared key saw before the kill.
struct SharedKeyLoad {
  std::vector<SharedWrite> acknowledged;
  // Writes that did not return OK (each cut off by the kill): the most that
  // may have been applied without an acknowledgement.
  int unacknowledged = 0;
};

// What one round's load saw acknowledged before the kill.
struct RoundLoad {
  // Key -> the revision its Set was acknowledged with.
  std::map<std::string, uint64_t> sets;
  SharedKeyLoad counter;  // Increments of CounterKey(round) by 1.
  SharedKeyLoad updated;  // Conditional updates of UpdatedKey(round).
  // The highest revision any acknowledged write of the round was given.
  uint64_t max_revision = 0;
};

// A client's record of its writes, merged into a RoundLoad after the kill.
struct WriterLog {
  std::vector<std::pair<std::string, uint64_t>> sets;
  std::vector<SharedWrite> shared;
  bool cut_off = false;  // Its last write did not return OK.
};

// Fails the test for a call that failed before the kill began; after it,
// only the kill fails calls.
void ExpectFailedByKill(const std::atomic<bool>& killing,
                        const std::string& what, const CallResult& result) {
  if (killing) return;
  ADD_FAILURE() << what
                << " failed before the kill: " << result.status.error_code()
                << " " << result.status.error_message();
}

// Sets unique keys of round `round` to their ValueFor until a call fails.
void SetWriter(KvTestClient& client, uint32_t store, int round, int writer,
               const std::atomic<bool>& killing, WriterLog& log) {
  for (int n = 0;; ++n) {
    const std::string key = absl::StrCat("k-", round, "-", writer, "-", n);
    uint64_t revision = 0;
    CallResult result =
        client.Set(store, key, ValueFor(key), std::nullopt, &revision);
    if (!result.ok()) {
      ExpectFailedByKill(killing, "Set " + key, result);
      log.cut_off = true;
      return;
    }
    log.sets.emplace_back(key, revision);
  }
}

// Increments the round's counter by 1 until a call fails.
void Incrementer(KvTestClient& client, uint32_t store, int round,
                 const std::atomic<bool>& killing, WriterLog& log) {
  const std::string key = CounterKey(round);
  while (true) {
    int64_t value = 0;
    uint64_t revision = 0;
    CallResult result = client.Increment(store, key, 1, &value, &revision);
    if (!result.ok()) {
      ExpectFailedByKill(killing, "Increment " + key, result);
      log.cut_off = true;
      return;
    }
    log.shared.push_back({value, revision});
  }
}

// Adds 1 to the round's updated key (absent: 0) by read and conditional Set,
// retrying on CONDITION_FAILED, until a call fails. Only a failed Set may
// have been applied unacknowledged; a failed Get leaves nothing in flight.
void Updater(KvTestClient& client, uint32_t store, int round,
             const std::atomic<bool>& killing, WriterLog& log) {
  const std::string key = UpdatedKey(round);
  while (true) {
    std::string text;
    uint64_t revision = 0;
    CallResult get = client.Get(store, key, &text, &revision);
    int64_t current = 0;
    if (get.error_code == v1::ERROR_CODE_NO_SUCH_KEY) {
      revision = 0;
    } else if (!get.ok()) {
      ExpectFailedByKill(killing, "Get " + key, get);
      return;
    } else if (!absl::SimpleAtoi(text, &current)) {
      ADD_FAILURE() << key << " holds \"" << absl::CHexEscape(text)
                    << "\", not a count";
      return;
    }
    uint64_t written = 0;
    CallResult set =
        client.Set(store, key, absl::StrCat(current + 1), revision, &written);
    if (set.ok()) {
      log.shared.push_back({current + 1, written});
    } else if (set.error_code != v1::ERROR_CODE_CONDITION_FAILED) {
      ExpectFailedByKill(killing, "conditional Set " + key, set);
      log.cut_off = true;
      return;
    }
  }
}

// Runs round `round`'s load against `kvd` until it is killed after `load`,
// and returns what was acknowledged.
RoundLoad LoadThenKill(KvdProcess& kvd, int round, absl::Duration load) {
  std::atomic<bool> killing{false};
  const int writers_per_channel = kWritersPerChannel + 2;
  std::vector<WriterLog> logs(kChannels * writers_per_channel);
  std::vector<std::thread> writers;
  for (int c = 0; c < kChannels; ++c) {
    std::shared_ptr<grpc::Channel> channel = kvd.NewChannel();
    for (int w = 0; w < writers_per_channel; ++w) {
      const int writer = c * writers_per_channel + w;
      writers.emplace_back([&, channel, writer, w] {
        KvTestClient client(channel);
        uint32_t store = 0;
        CallResult opened = client.Open("default", &store);
        if (!opened.ok()) {
          if (!killing) ADD_FAILURE() << opened.status.error_message();
          return;
        }
        WriterLog& log = logs[writer];
        if (w < kWritersPerChannel) {
          SetWriter(client, store, round, writer, killing, log);
        } else if (w == kWritersPerChannel) {
          Incrementer(client, store, round, killing, log);
        } else {
          Updater(client, store, round, killing, log);
        }
      });
    }
  }
  absl::SleepFor(load);
  killing = true;
  absl::StatusOr<int> exit_code = kvd.Stop(SIGKILL, absl::Seconds(30));
  for (std::thread& thread : writers) thread.join();
  EXPECT_TRUE(exit_code.ok()) << exit_code.status();
  if (exit_code.ok()) {
    EXPECT_EQ(*exit_code, 128 + SIGKILL);
  }

  RoundLoad result;
  for (int writer = 0; writer < static_cast<int>(logs.size()); ++writer) {
    const WriterLog& log = logs[writer];
    const int w = writer % writers_per_channel;
    for (const auto& [key, revision] : log.sets) {
      result.sets[key] = revision;
      result.max_revision = std::max(result.max_revision, revision);
    }
    SharedKeyLoad* shared = w == kWritersPerChannel  ? &result.counter
                            : w > kWritersPerChannel ? &result.updated
                                                     : nullptr;
    if (shared == nullptr) continue;
    for (const SharedWrite& write : log.shared) {
      shared->acknowledged.push_back(write);
      result.max_revision = std::max(result.max_revision, write.revision);
    }
    if (log.cut_off) ++shared->unacknowledged;
  }
  return result;
}

// What VerifyRound found, for the log.
struct RoundCheck {
  int unacknowledged_sets_present = 0;
  int64_t counter = 0;
  int64_t updated = 0;
};

// Checks shared key `key` on the restarted kvd against what its clients
// saw (`load`): its count is within [A, A + F] (A acknowledged writes, F cut
// off), the acknowledged results are distinct and within the count, and its
// revision is that of the write that left the count. Returns the count.
int64_t VerifySharedKey(KvTestClient& client, uint32_t store,
                        const std::string& key, const SharedKeyLoad& load,
                        uint64_t store_revision) {
  SCOPED_TRACE(key);
  std::string text;
  uint64_t revision = 0;
  CallResult get = client.Get(store, key, &text, &revision);
  int64_t count = 0;
  if (get.error_code != v1::ERROR_CODE_NO_SUCH_KEY) {
    EXPECT_TRUE(get.ok()) << get.status.error_message();
    EXPECT_TRUE(absl::SimpleAtoi(text, &count))
        << "\"" << absl::CHexEscape(text) << "\" is not a count";
  }
  const int64_t acknowledged = static_cast<int64_t>(load.acknowledged.size());
  EXPECT_GE(count, acknowledged) << "an acknowledged write was lost";
  EXPECT_LE(count, acknowledged + load.unacknowledged)
      << "more writes counted than were acknowledged (" << acknowledged
      << ") or cut off by the kill (" << load.unacknowledged << ")";
  if (load.acknowledged.empty()) return count;

  std::vector<SharedWrite> writes = load.acknowledged;
  std::sort(writes.begin(), writes.end(),
            [](const SharedWrite& a, const SharedWrite& b) {
              return a.value < b.value;
            });
  EXPECT_GE(writes.front().value, 1);
  for (size_t i = 1; i < writes.size(); ++i) {
    if (writes[i].value == writes[i - 1].value) {
      ADD_FAILURE() << "two acknowledged writes both left " << writes[i].value;
      break;
    }
  }
  const SharedWrite& last = writes.back();
  EXPECT_LE(last.value, count) << "an acknowledged result is gone";
  if (last.value == count) {
    EXPECT_EQ(revision, last.revision)
        << "the write that left " << count << " was acknowledged with another "
        << "revision";
  } else {
    EXPECT_GT(revision, last.revision)
        << "a later write left " << count << ", but with an older revision";
  }
  EXPECT_LE(revision, store_revision) << "a key is above the store revision";
  return count;
}

// Checks round `round` on the restarted `kvd` against `load`:
// - the store's revision is at least every acknowledged revision;
// - every acknowledged Set's key has its value and exactly the revision it
//   was acknowledged with, and every other key of the round has its full
//   value and a revision within the store's;
// - the counter and the updated key, as VerifySharedKey says;
// - a new write gets a revision above the store's, hence above every
//   revision acknowledged before the kill.
RoundCheck VerifyRound(KvdProcess& kvd, int round, const RoundLoad& load) {
  RoundCheck check;
  KvTestClient client(kvd.NewChannel());
  uint32_t store = 0;
  CallResult opened = client.Open("default", &store);
  EXPECT_TRUE(opened.ok()) << opened.status.error_message();
  v1::DescribeResponse description;
  CallResult described = client.Describe(store, &description);
  EXPECT_TRUE(described.ok()) << described.status.error_message();
  const uint64_t store_revision = description.revision();
  EXPECT_GE(store_revision, load.max_revision)
      << "the store's revision went back below an acknowledged one";

  std::vector<std::string> all_keys;
  CallResult listed = client.GetKeys(store, &all_keys);
  EXPECT_TRUE(listed.ok()) << listed.status.error_message();

  std::vector<std::string> to_check;
  to_check.reserve(load.sets.size());
  for (const auto& entry : load.sets) to_check.push_back(entry.first);
  const size_t acknowledged = to_check.size();
  const std::string prefix = absl::StrCat("k-", round, "-");
  for (const std::string& key : all_keys) {
    if (absl::StartsWith(key, prefix) && load.sets.count(key) == 0) {
      to_check.push_back(key);
      ++check.unacknowledged_sets_present;
    }
  }

  // Several readers, so verification does not dominate the run.
  constexpr int kReaders = 8;
  std::atomic<int> failures{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < kReaders; ++r) {
    readers.emplace_back([&, r] {
      KvTestClient reader(kvd.NewChannel());
      uint32_t handle = 0;
      if (!reader.Open("default", &handle).ok()) {
        ++failures;
        return;
      }
      for (size_t i = r; i < to_check.size(); i += kReaders) {
        const std::string& key = to_check[i];
        const std::string expected = ValueFor(key);
        std::string value;
        uint64_t revision = 0;
        CallResult result = reader.Get(handle, key, &value, &revision);
        const bool was_acked = i < acknowledged;
        if (!result.ok()) {
          // Only an acknowledged Set may be missing... and it may not.
          ADD_FAILURE() << (was_acked ? "acknowledged " : "listed ") << key
                        << " is missing: " << result.status.error_message();
          if (++failures > 10) return;
        } else if (value != expected) {
          ADD_FAILURE() << key
                        << " has a wrong or partial value: " << value.size()
                        << " bytes, expected " << expected.size();
          if (++failures > 10) return;
        } else if (was_acked && revision != load.sets.at(key)) {
          ADD_FAILURE() << key << " has revision " << revision
                        << ", but its Set was acknowledged with "
                        << load.sets.at(key);
          if (++failures > 10) return;
        } else if (revision == 0 || revision > store_revision) {
          ADD_FAILURE() << key << " has revision " << revision
                        << ", outside the store's 1.." << store_revision;
          if (++failures > 10) return;
        }
      }
    });
  }
  for (std::thread& reader : readers) reader.join();

  check.counter = VerifySharedKey(client, store, CounterKey(round),
                                  load.counter, store_revision);
  check.updated = VerifySharedKey(client, store, UpdatedKey(round),
                                  load.updated, store_revision);

  uint64_t next = 0;
  CallResult probe = client.Set(store, absl::StrCat("probe-", round), "p",
                                std::nullopt, &next);
  EXPECT_TRUE(probe.ok()) << probe.status.error_message();
  EXPECT_GT(next, store_revision)
      << "the first write after the restart reused a revision";
  return check;
}

class CrashTest : public ::testing::TestWithParam<const char*> {};

TEST_P(CrashTest, SigkillUnderLoadLosesNoAcknowledgedWriteAndTearsNoValue) {
  const std::string durability = GetParam();
  const uint64_t seed = Seed();
  std::printf("durability %s: seed %llu (KVD_CRASH_TEST_SEED to replay)\n",
              durability.c_str(), static_cast<unsigned long long>(seed));
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> load_ms(kMinLoadMs, kMaxLoadMs);

  const std::string dir = NewTempDir("crash_" + durability);
  WriteFile(dir + "/kvd.toml", absl::StrCat("[key_value_store.default]\n"
                                            "type = \"sqlite\"\n"
                                            "durability = \"",
                                            durability, "\"\n"));
  const std::vector<std::string> args = {
      "--config=" + dir + "/kvd.toml", "--data-dir=" + dir,
      "--listen=127.0.0.1:0", "--log-level=warn"};

  std::unique_ptr<KvdProcess> kvd = StartOrDie(args);
  ASSERT_NE(kvd, nullptr);
  size_t total_sets = 0;
  size_t total_increments = 0;
  size_t total_updates = 0;
  for (int round = 0; round < kRounds; ++round) {
    const absl::Duration load_time = absl::Milliseconds(load_ms(rng));
    const RoundLoad load = LoadThenKill(*kvd, round, load_time);
    total_sets += load.sets.size();
    total_increments += load.counter.acknowledged.size();
    total_updates += load.updated.acknowledged.size();

    kvd = StartOrDie(args);
    ASSERT_NE(kvd, nullptr) << "kvd did not restart after round " << round;
    const RoundCheck check = VerifyRound(*kvd, round, load);
    std::printf(
        "round %d: killed after %s; %zu acknowledged Sets checked, %d "
        "unacknowledged present in full; counter %lld for %zu acknowledged "
        "Increments + %d cut off; updated key %lld for %zu acknowledged "
        "conditional Sets + %d cut off; revisions up to %llu acknowledged\n",
        round, absl::FormatDuration(load_time).c_str(), load.sets.size(),
        check.unacknowledged_sets_present,
        static_cast<long long>(check.counter), load.counter.acknowledged.size(),
        load.counter.unacknowledged, static_cast<long long>(check.updated),
        load.updated.acknowledged.size(), load.updated.unacknowledged,
        static_cast<unsigned long long>(load.max_revision));
    std::fflush(stdout);
    if (HasFailure()) break;
  }
  // The test means something only if the load got through.
  EXPECT_GT(total_sets, 100u);
  EXPECT_GT(total_increments, 100u);
  EXPECT_GT(total_updates, 100u);
}

INSTANTIATE_TEST_SUITE_P(Durability, CrashTest,
                         ::testing::Values("fsync", "os"));

}  // namespace
}  // namespace kv::testing
