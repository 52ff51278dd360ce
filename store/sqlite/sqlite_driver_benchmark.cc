// Throughput of concurrent Sets on the SQLite driver, for comparing write
// paths (not a test: it asserts nothing). Run it with
//   bazel run -c opt //store/sqlite:sqlite_driver_benchmark
// Each benchmark writes unique keys with 100-byte values into a fresh
// database under $TEST_TMPDIR or /tmp, from 1, 16 or 64 threads, with
// durability "fsync" or "os". items_per_second is Sets acknowledged per
// second across all threads; the CPU column is the whole process's CPU time
// per Set (steadier than throughput on a shared machine); ops_per_batch is
// how many Sets shared each transaction.

#include <stdlib.h>

#include <atomic>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
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

void BM_ConcurrentSet(benchmark::State& state, SqliteDurability durability) {
  Driver& driver = SharedDriver(durability);
  static std::atomic<int64_t> next_run{0};
  const std::string prefix =
      absl::StrCat("r", next_run.fetch_add(1), "-t", state.thread_index(), "-");
  const std::string value(100, 'v');
  std::optional<WriteBatcher::Stats> before;
  if (state.thread_index() == 0) before = SqliteWriteStats(driver);
  int64_t n = 0;
  for (auto _ : state) {
    absl::Status status = driver.Set(absl::StrCat(prefix, n++), value);
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
        batches > 0 ? (after->ops - before->ops) / batches : 0;
  }
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

}  // namespace
}  // namespace kv

BENCHMARK_MAIN();
