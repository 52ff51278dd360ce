// kvd's memory while it lists a 1,000,000-key SQLite store: the peak RSS
// during the whole listing (pages of 1,000 through ListKeys) stays within
// 20 MiB of kvd's idle RSS measured just before it. A driver or service
// that held the store's keys in memory (1,000,000 heap strings of 24 bytes:
// over 50 MiB) cannot pass. A resource bound, not a timing assertion.
//
// The store is filled with SetMany batches through one kvd, which is then
// restarted, so the idle figure is a fresh process's and the fill's own
// allocations cannot hide the listing's.

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/kv_test_client.h"
#include "tests/kvd_process.h"

namespace kv::testing {
namespace {

constexpr int kKeys = 1000000;
constexpr int kBatch = 1000;
constexpr int kPageSize = 1000;
constexpr int64_t kAllowedGrowthKib = 20 * 1024;

// 24 bytes: past std::string's inline buffer, so a key held in memory costs
// a heap block besides the string.
std::string KeyOf(int i) { return absl::StrFormat("memory/listing/%09d", i); }

// A "NAME: N kB" line of /proc/PID/status, in KiB; -1 if absent.
int64_t StatusKib(pid_t pid, const std::string& name) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    absl::string_view rest = line;
    if (!absl::ConsumePrefix(&rest, name + ":")) continue;
    rest = absl::StripAsciiWhitespace(rest);
    absl::ConsumeSuffix(&rest, " kB");
    int64_t kib = -1;
    if (absl::SimpleAtoi(rest, &kib)) return kib;
  }
  return -1;
}

// Resets the process's peak RSS (VmHWM) to its current RSS. False if the
// kernel does not let this process do it.
bool ResetPeak(pid_t pid) {
  const int fd =
      open(absl::StrCat("/proc/", pid, "/clear_refs").c_str(), O_WRONLY);
  if (fd < 0) return false;
  const bool reset = write(fd, "5", 1) == 1;
  close(fd);
  return reset;
}

std::unique_ptr<KvdProcess> StartKvd(const std::string& dir,
                                     const std::string& name) {
  absl::StatusOr<std::unique_ptr<KvdProcess>> kvd = KvdProcess::Start(
      {"--listen=127.0.0.1:0", "--config=" + dir + "/kvd.toml",
       "--data-dir=" + dir + "/" + name});
  EXPECT_TRUE(kvd.ok()) << kvd.status();
  return kvd.ok() ? *std::move(kvd) : nullptr;
}

TEST(ListMemoryTest, ListingAMillionKeysStaysWithin20MiBOfIdle) {
  const std::string dir = NewTempDir("list-memory");
  // Durability "os": the fill commits 1,000 batches and need not wait for
  // the disk; listing reads the same file either way.
  WriteFile(dir + "/kvd.toml",
            absl::StrCat("[key_value_store.big]\ntype = \"sqlite\"\npath = \"",
                         dir, "/big.db\"\ndurability = \"os\"\n"));
  {
    std::unique_ptr<KvdProcess> filler = StartKvd(dir, "fill");
    ASSERT_NE(filler, nullptr);
    KvTestClient client(filler->NewChannel());
    uint32_t store = 0;
    ASSERT_TRUE(client.Open("big", &store).ok());
    for (int start = 0; start < kKeys; start += kBatch) {
      std::vector<v1::SetEntry> entries;
      entries.reserve(kBatch);
      for (int i = start; i < start + kBatch; ++i) {
        entries.push_back(MakeSetEntry(KeyOf(i), "v"));
      }
      CallResult set = client.SetMany(store, entries, nullptr);
      ASSERT_TRUE(set.ok()) << set.status.error_message();
    }
    absl::StatusOr<int> stopped = filler->Stop(SIGTERM, absl::Seconds(60));
    ASSERT_TRUE(stopped.ok()) << stopped.status();
    ASSERT_EQ(*stopped, 0);
  }

  std::unique_ptr<KvdProcess> kvd = StartKvd(dir, "list");
  ASSERT_NE(kvd, nullptr);
  KvTestClient client(kvd->NewChannel());
  uint32_t store = 0;
  ASSERT_TRUE(client.Open("big", &store).ok());
  // One page first, so the listing's code paths, threads and connections
  // exist before the idle figure is taken.
  std::vector<std::string> keys;
  std::string token;
  ASSERT_TRUE(client.ListKeys(store, "", kPageSize, "", &keys, &token).ok());
  ASSERT_EQ(keys.size(), static_cast<size_t>(kPageSize));

  const int64_t idle_kib = StatusKib(kvd->pid(), "VmRSS");
  ASSERT_GT(idle_kib, 0);
  const bool peak_reset = ResetPeak(kvd->pid());
  // Without clear_refs, a thread samples VmRSS through the listing instead.
  std::atomic<bool> listing{true};
  std::atomic<int64_t> sampled_peak_kib{idle_kib};
  std::thread sampler;
  if (!peak_reset) {
    sampler = std::thread([&] {
      while (listing.load()) {
        const int64_t now = StatusKib(kvd->pid(), "VmRSS");
        if (now > sampled_peak_kib.load()) sampled_peak_kib = now;
        absl::SleepFor(absl::Milliseconds(2));
      }
    });
  }

  int64_t listed = 0;
  std::string previous;
  size_t disorder = 0;
  token.clear();
  CallResult page;
  for (int pages = 0; pages < 2 * kKeys / kPageSize; ++pages) {
    std::string next;
    page = client.ListKeys(store, "", kPageSize, token, &keys, &next);
    if (!page.ok()) break;
    for (const std::string& key : keys) {
      if (!(previous < key)) ++disorder;
      previous = key;
    }
    listed += static_cast<int64_t>(keys.size());
    token = std::move(next);
    if (token.empty()) break;
  }
  listing = false;
  if (sampler.joinable()) sampler.join();
  const int64_t peak_kib =
      peak_reset ? StatusKib(kvd->pid(), "VmHWM") : sampled_peak_kib.load();

  ASSERT_TRUE(page.ok()) << page.status.error_message();
  EXPECT_TRUE(token.empty()) << "the listing did not end";
  EXPECT_EQ(listed, kKeys);
  EXPECT_EQ(disorder, 0u);
  EXPECT_EQ(previous, KeyOf(kKeys - 1));
  ASSERT_GT(peak_kib, 0);
  std::printf("kvd RSS: idle %lld KiB, peak while listing %lld KiB (%s)\n",
              static_cast<long long>(idle_kib),
              static_cast<long long>(peak_kib),
              peak_reset ? "VmHWM after clear_refs" : "sampled VmRSS");
  EXPECT_LE(peak_kib - idle_kib, kAllowedGrowthKib)
      << "kvd's RSS grew from " << idle_kib << " KiB to " << peak_kib
      << " KiB while listing " << kKeys << " keys";
}

}  // namespace
}  // namespace kv::testing
