// Throughput of concurrent writes on the SQLite driver, for comparing write
// paths (not a test: it asserts nothing). Run it with
//   bazel run -c opt //store/sqlite:sqlite_driver_benchmark
// Each benchmark writes into a database under $TEST_TMPDIR or /tmp, from 1,
// 16 or 64 threads, with durability "fsync" or "os":
//   BM_ConcurrentSet        a Set of a new key, 100-byte value;
//   BM_ConcurrentIncrement  an Increment of a new key (the same shape as
//                           BM_ConcurrentSet, so the two compare directly);
//   BM_ConcurrentSetOwnKey  each thread sets one key of its own to a short
//                           decimal text: an update of an existing row;
//   BM_ConcurrentIncrementOwnCounter  each thread increments one key of its
//                           own (the same shape as BM_ConcurrentSetOwnKey).
//   BM_QueuedSet, BM_QueuedSetWithTtl, BM_QueuedIncrement  one thread queues
//                           1000 writes with WriteAsync (a Set of decimal
//                           text, the same with a 1-hour ttl, or an
//                           Increment, on 1000 keys) and waits for them all:
//                           the committer's own cost per write, without the
//                           thread wake-ups of the concurrent cases.
//   BM_ListKeyPage/N/P      pages of P keys read one after another (each
//                           resuming after the last key of the one before)
//                           from a store of N keys: a page's cost should not
//                           grow with N. items_per_second is keys listed.
// The Increment-to-Set comparison (the "no more than 1.2x") is best
// read from the CPU column of each pair, and from the Queued pair.
// items_per_second is writes acknowledged per second across all threads;
// the CPU column is the whole process's CPU time per write (steadier than
// throughput on a shared machine); ops_per_batch is how many writes shared
// each transaction.

#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "benchmark/benchmark.h"
#include "store/driver.h"
#include "store/sqlite/sqlite_driver.h"

namespace kv {
namespace {

// One database per durability, opened on first use and shared by every
// thread count, so the benchmark measures Sets rather than opening files.
// The files are left in place for inspection.
Driver& SharedDriver(SqliteDurability durability) {
  static absl::Mutex mutex;
  static auto* drivers = new std::map<SqliteDurability, Driver*>();
  absl::MutexLock lock(&mutex);
  Driver*& driver = (*drivers)[durability];
  if (driver == nullptr) {
    const char* root = std::getenv("TEST_TMPDIR");
    std::string dir =
        absl::StrCat(root != nullptr ? root : "/tmp", "/sqlite_bench.XXXXXX");
    if (mkdtemp(dir.data()) == nullptr) std::abort();
    SqliteOptions options;
    options.store_name = "bench";
    options.path = dir + "/bench.db";
    options.durability = durability;
    auto opened = OpenSqliteDriver(options);
    if (!opened.ok()) {
      std::fprintf(stderr, "%s\n", opened.status().ToString().c_str());
      std::abort();
    }
    driver = opened->release();  // Lives until exit.
  }
  return *driver;
}

enum class WriteKind { kSet, kIncrement, kSetOwnKey, kIncrementOwnCounter };

void BM_ConcurrentWrite(benchmark::State& state, SqliteDurability durability,
                        WriteKind kind) {
  Driver& driver = SharedDriver(durability);
  static std::atomic<int64_t> next_run{0};
  const std::string prefix =
      absl::StrCat("r", next_run.fetch_add(1), "-t", state.thread_index(), "-");
  const std::string value(100, 'v');
  const std::string own_counter = prefix + "counter";
  std::optional<WriteBatcher::Stats> before;
  if (state.thread_index() == 0) before = SqliteWriteStats(driver);
  int64_t n = 0;
  for (auto _ : state) {
    absl::Status status;
    switch (kind) {
      case WriteKind::kSet:
        status = driver.Set(absl::StrCat(prefix, n++), value).status();
        break;
      case WriteKind::kIncrement: {
        const std::string key = absl::StrCat(prefix, n++);
        status = driver.Write({Mutation::Increment(key, 1)}).status();
        break;
      }
      case WriteKind::kSetOwnKey:
        status = driver.Set(own_counter, absl::StrCat(++n)).status();
        break;
      case WriteKind::kIncrementOwnCounter:
        status = driver.Write({Mutation::Increment(own_counter, 1)}).status();
        break;
    }
    if (!status.ok()) {
      state.SkipWithError(status.ToString().c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  if (before.has_value()) {
    // Read after this thread's loop; other threads may still be finishing
    // their last Sets, so this is an estimate.
    std::optional<WriteBatcher::Stats> after = SqliteWriteStats(driver);
    const double batches = after->batches - before->batches;
    state.counters["ops_per_batch"] =
        batches > 0 ? (after->writes - before->writes) / batches : 0;
  }
}

void BM_ConcurrentSet(benchmark::State& state, SqliteDurability durability) {
  BM_ConcurrentWrite(state, durability, WriteKind::kSet);
}
void BM_ConcurrentIncrement(benchmark::State& state,
                            SqliteDurability durability) {
  BM_ConcurrentWrite(state, durability, WriteKind::kIncrement);
}
void BM_ConcurrentSetOwnKey(benchmark::State& state,
                            SqliteDurability durability) {
  BM_ConcurrentWrite(state, durability, WriteKind::kSetOwnKey);
}
void BM_ConcurrentIncrementOwnCounter(benchmark::State& state,
                                      SqliteDurability durability) {
  BM_ConcurrentWrite(state, durability, WriteKind::kIncrementOwnCounter);
}

enum class QueuedKind { kSet, kSetWithTtl, kIncrement };

// Queues kQueued writes from this thread, then waits until all completed.
void BM_QueuedWrites(benchmark::State& state, SqliteDurability durability,
                     QueuedKind kind) {
  constexpr int kQueued = 1000;
  Driver& driver = SharedDriver(durability);
  static std::atomic<int64_t> next_run{0};
  const std::string prefix = absl::StrCat("q", next_run.fetch_add(1), "-");
  std::vector<std::string> keys;
  for (int i = 0; i < kQueued; ++i) keys.push_back(absl::StrCat(prefix, i));
  std::vector<std::string> values(kQueued);
  std::vector<Mutation> mutations(kQueued);
  absl::Mutex mutex;
  int pending = 0;
  absl::Status failed;
  int64_t round = 0;
  for (auto _ : state) {
    ++round;
    for (int i = 0; i < kQueued; ++i) {
      if (kind == QueuedKind::kIncrement) {
        mutations[i] = Mutation::Increment(keys[i], 1);
      } else {
        values[i] = absl::StrCat(round);
        mutations[i] = Mutation::Set(keys[i], values[i], absl::nullopt,
                                     kind == QueuedKind::kSetWithTtl
                                         ? absl::Hours(1)
                                         : absl::InfiniteDuration());
      }
    }
    {
      absl::MutexLock lock(&mutex);
      pending = kQueued;
    }
    for (int i = 0; i < kQueued; ++i) {
      driver.WriteAsync(absl::MakeConstSpan(&mutations[i], 1),
                        [&](absl::StatusOr<MutationResults> results) {
                          absl::MutexLock lock(&mutex);
                          if (!results.ok()) failed = results.status();
                          --pending;
                        });
    }
    absl::MutexLock lock(&mutex);
    mutex.Await(absl::Condition(
        +[](int* pending) { return *pending == 0; }, &pending));
    if (!failed.ok()) {
      state.SkipWithError(failed.ToString().c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * kQueued);
  // The committer runs callbacks in queue order, so once this write is
  // done, every callback above has returned and `mutex` may go.
  driver.Write({Mutation::Delete(prefix)}).IgnoreError();
}

void BM_QueuedSet(benchmark::State& state, SqliteDurability durability) {
  BM_QueuedWrites(state, durability, QueuedKind::kSet);
}
void BM_QueuedSetWithTtl(benchmark::State& state, SqliteDurability durability) {
  BM_QueuedWrites(state, durability, QueuedKind::kSetWithTtl);
}
void BM_QueuedIncrement(benchmark::State& state, SqliteDurability durability) {
  BM_QueuedWrites(state, durability, QueuedKind::kIncrement);
}

// A store of `keys` keys ("key/0000000000", ...), in a database of its own,
// written once and shared by every run that asks for that size.
Driver& ListedStore(int64_t keys) {
  static absl::Mutex mutex;
  static auto* drivers = new std::map<int64_t, Driver*>();
  absl::MutexLock lock(&mutex);
  Driver*& driver = (*drivers)[keys];
  if (driver != nullptr) return *driver;
  const char* root = std::getenv("TEST_TMPDIR");
  std::string dir =
      absl::StrCat(root != nullptr ? root : "/tmp", "/sqlite_list.XXXXXX");
  if (mkdtemp(dir.data()) == nullptr) std::abort();
  SqliteOptions options;
  options.store_name = "list";
  options.path = dir + "/list.db";
  options.durability = SqliteDurability::kOs;
  auto opened = OpenSqliteDriver(options);
  if (!opened.ok()) {
    std::fprintf(stderr, "%s\n", opened.status().ToString().c_str());
    std::abort();
  }
  driver = opened->release();  // Lives until exit.
  for (int64_t first = 0; first < keys; first += 1000) {
    std::vector<std::string> names;
    for (int64_t i = first; i < std::min(keys, first + 1000); ++i) {
      names.push_back(absl::StrFormat("key/%010d", i));
    }
    std::vector<Mutation> batch;
    for (const std::string& name : names) {
      batch.push_back(Mutation::Set(name, "v"));
    }
    absl::Status status = driver->Write(batch).status();
    if (!status.ok()) {
      std::fprintf(stderr, "%s\n", status.ToString().c_str());
      std::abort();
    }
  }
  return *driver;
}

void BM_ListKeyPage(benchmark::State& state) {
  Driver& driver = ListedStore(state.range(0));
  KeyPageRequest request;
  request.prefix = "key/";
  request.limit = static_cast<size_t>(state.range(1));
  std::string after;
  int64_t listed = 0;
  for (auto _ : state) {
    request.after = after;
    absl::StatusOr<KeyPage> page = driver.ListKeyPage(request);
    if (!page.ok()) {
      state.SkipWithError(page.status().ToString().c_str());
      break;
    }
    listed += page->keys.size();
    // From the start again after the last page.
    after = page->more ? page->keys.back() : std::string();
  }
  state.SetItemsProcessed(listed);
}

BENCHMARK_CAPTURE(BM_ConcurrentSet, fsync, SqliteDurability::kFsync)
    ->Threads(1)
    ->Threads(16)
    ->Threads(64)
    ->UseRealTime()
    ->MeasureProcessCPUTime()
    ->MinTime(1.0);
BENCHMARK_CAPTURE(BM_ConcurrentSet, os, SqliteDurability::kOs)
    ->Threads(1)
    ->Threads(16)
    ->Threads(64)
    ->UseRealTime()
    ->MeasureProcessCPUTime()
    ->MinTime(1.0);
BENCHMARK_CAPTURE(BM_ConcurrentIncrement, fsync, SqliteDurability::kFsync)
    ->Threads(1)
    ->Threads(16)
    ->Threads(64)
    ->UseRealTime()
    ->MeasureProcessCPUTime()
    ->MinTime(1.0);
BENCHMARK_CAPTURE(BM_ConcurrentIncrement, os, SqliteDurability::kOs)
    ->Threads(1)
    ->Threads(16)
    ->Threads(64)
    ->UseRealTime()
    ->MeasureProcessCPUTime()
    ->MinTime(1.0);
BENCHMARK_CAPTURE(BM_ConcurrentSetOwnKey, fsync, SqliteDurability::kFsync)
    ->Threads(1)
    ->Threads(16)
    ->Threads(64)
    ->UseRealTime()
    ->MeasureProcessCPUTime()
    ->MinTime(1.0);
BENCHMARK_CAPTURE(BM_ConcurrentSetOwnKey, os, SqliteDurability::kOs)
    ->Threads(1)
    ->Threads(16)
    ->Threads(64)
    ->UseRealTime()
    ->MeasureProcessCPUTime()
    ->MinTime(1.0);
BENCHMARK_CAPTURE(BM_ConcurrentIncrementOwnCounter, fsync,
                  SqliteDurability::kFsync)
    ->Threads(1)
    ->Threads(16)
    ->Threads(64)
    ->UseRealTime()
    ->MeasureProcessCPUTime()
    ->MinTime(1.0);
BENCHMARK_CAPTURE(BM_ConcurrentIncrementOwnCounter, os, SqliteDurability::kOs)
    ->Threads(1)
    ->Threads(16)
    ->Threads(64)
    ->UseRealTime()
    ->MeasureProcessCPUTime()
    ->MinTime(1.0);

BENCHMARK_CAPTURE(BM_QueuedSet, fsync, SqliteDurability::kFsync)
    ->UseRealTime()
    ->MeasureProcessCPUTime()
    ->MinTime(1.0);
BENCHMARK_CAPTURE(BM_QueuedSet, os, SqliteDurability::kOs)
    ->UseRealTime()
    ->MeasureProcessCPUTime()
    ->MinTime(1.0);
BENCHMARK_CAPTURE(BM_QueuedSetWithTtl, fsync, SqliteDurability::kFsync)
    ->UseRealTime()
    ->MeasureProcessCPUTime()
    ->MinTime(1.0);
BENCHMARK_CAPTURE(BM_QueuedSetWithTtl, os, SqliteDurability::kOs)
    ->UseRealTime()
    ->MeasureProcessCPUTime()
    ->MinTime(1.0);
BENCHMARK_CAPTURE(BM_QueuedIncrement, fsync, SqliteDurability::kFsync)
    ->UseRealTime()
    ->MeasureProcessCPUTime()
    ->MinTime(1.0);
BENCHMARK_CAPTURE(BM_QueuedIncrement, os, SqliteDurability::kOs)
    ->UseRealTime()
    ->MeasureProcessCPUTime()
    ->MinTime(1.0);

BENCHMARK(BM_ListKeyPage)
    ->Args({10000, 1000})
    ->Args({1000000, 1000})
    ->UseRealTime()
    ->MinTime(1.0);

}  // namespace
}  // namespace kv

BENCHMARK_MAIN();
