// kv_bench: a closed-loop load generator for kvd, etcd and raw SQLite.
// See docs/development.md ("Benchmarks") and docs/benchmarks.md.

#include <algorithm>
#include <cstdio>
#include <memory>
#include <random>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "tools/kv_bench/etcd_target.h"
#include "tools/kv_bench/kvd_target.h"
#include "tools/kv_bench/load_runner.h"
#include "tools/kv_bench/report.h"
#include "tools/kv_bench/sqlite_raw_target.h"

namespace kv {
namespace bench {
namespace {

constexpr char kDescription[] =
    "kv_bench drives a closed loop of calls (each finished call starts the "
    "next, IN_FLIGHT at a time) against kvd, etcd or SQLite in process, and "
    "prints the throughput, the latency percentiles and the errors.\n"
    "Targets:\n"
    "  kvd         kvd's gRPC API (callback API); noop = the server's "
    "grpc.health.v1 Check, the RPC ceiling\n"
    "  etcd        etcd v3's own gRPC KV API: get/exists/get_keys = Range, "
    "set = Put, noop = health Check\n"
    "  sqlite-raw  the SQL kvd's SQLite driver runs, in this process, on "
    "--db (one thread and connection per in-flight slot)\n"
    "Read operations (get, exists, mixed, get_keys, get_many, list) first "
    "write the KEYS keys "
    "\"kvbench/0000000000\"... (the preload), unless --preload=no.";

constexpr char kExamples[] =
    "Examples:\n"
    "  kv_bench --address=127.0.0.1:50051 --op=get --in-flight=64 "
    "--channels=4\n"
    "  kv_bench --op=set --value-size=4KiB --duration=10s --format=json\n"
    "  kv_bench --op=mixed --read-fraction=0.95 --distribution=zipf\n"
    "  kv_bench --target=etcd --address=127.0.0.1:2379 --op=get "
    "--in-flight=64\n"
    "  kv_bench --target=sqlite-raw --db=/tmp/raw.db --op=set "
    "--sqlite-batch=100\n"
    "  kv_bench --op=list --page-size=1000 --keys=1000000\n"
    "  kv_bench --op=set --ttl=1h --in-flight=64\n"
    "  kv_bench --op=get --expired-fraction=0.5 --in-flight=64\n\n"
    "Exit status: 0 success; 1 some calls failed (unless --allow-errors); "
    "2 bad flags or the target could not be set up or preloaded.";

struct Flags {
  std::string target = "kvd";
  std::string address;
  std::string store = "default";
  std::string db;
  std::string op = "get";
  double read_fraction = 0.9;
  int in_flight = 1;
  int channels = 1;
  uint64_t value_size = 100;
  uint64_t keys = 10000;
  std::string distribution = "uniform";
  double zipf_exponent = 1.01;
  std::string duration = "5s";
  std::string warmup = "1s";
  uint64_t seed = 1;
  std::string preload = "auto";
  int preload_in_flight = 64;
  std::string format = "text";
  bool allow_errors = false;
  bool etcd_linearizable = false;
  int sqlite_batch = 1;
  std::string sqlite_sync = "full";
  int batch_size = 100;
  int page_size = 1000;
  std::string ttl;
  double expired_fraction = 0;
  std::string expired_ttl = "500ms";
};

int Fail(const std::string& message) {
  std::fprintf(stderr, "kv_bench: %s\n", message.c_str());
  return 2;
}

Operation ParseOperation(const std::string& name) {
  if (name == "set") return Operation::kSet;
  if (name == "exists") return Operation::kExists;
  if (name == "get_keys") return Operation::kGetKeys;
  if (name == "noop") return Operation::kNoop;
  if (name == "increment") return Operation::kIncrement;
  if (name == "get_many") return Operation::kGetMany;
  if (name == "set_many") return Operation::kSetMany;
  if (name == "conditional_set") return Operation::kConditionalSet;
  if (name == "list") return Operation::kList;
  return Operation::kGet;  // get, and mixed (which ignores it)
}

std::string RandomValue(size_t size, uint64_t seed) {
  std::mt19937_64 random(seed ^ 0x5eedf00d);
  std::string value(size, '\0');
  for (char& c : value) c = static_cast<char>(random());
  return value;
}

int Run(int argc, char** argv) {
  CLI::App app(kDescription, "kv_bench");
  app.footer(kExamples);
  Flags f;
  app.add_option("--target", f.target, "What to measure")
      ->check(CLI::IsMember({"kvd", "etcd", "sqlite-raw"}))
      ->capture_default_str();
  app.add_option("--address", f.address,
                 "Server address, host:port or unix:/path. Default: "
                 "127.0.0.1:50051 (kvd), 127.0.0.1:2379 (etcd)")
      ->type_name("ADDR");
  app.add_option("--store", f.store, "kvd store to Open (once per channel)")
      ->capture_default_str();
  app.add_option("--db", f.db,
                 "sqlite-raw: the database file (created if missing)")
      ->type_name("FILE");
  app.add_option("--op", f.op,
                 "Operation: get, set, mixed (get/set by --read-fraction), "
                 "exists, get_keys (the whole store), noop (health Check); "
                 "kvd only: increment (of \"counter/\" + the key), get_many "
                 "and set_many (--batch-size consecutive keys per call), "
                 "conditional_set (Set with if_revision on a key per slot), "
                 "list (one ListKeys page of --page-size per call; each slot "
                 "pages through the store and starts again at its end)")
      ->check(CLI::IsMember({"get", "set", "mixed", "exists", "get_keys",
                             "noop", "increment", "get_many", "set_many",
                             "conditional_set", "list"}))
      ->capture_default_str();
  app.add_option("--batch-size", f.batch_size,
                 "get_many, set_many: keys per call (at most KEYS and the "
                 "server's max_batch_entries)")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  app.add_option("--page-size", f.page_size,
                 "list: the page_size of each ListKeys call (kvd caps it at "
                 "its max_page_size)")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  app.add_option("--ttl", f.ttl,
                 "kvd only: every Set and SetMany entry (the preload's "
                 "too) carries this ttl, e.g. 1h; default none")
      ->type_name("DURATION");
  app.add_option("--expired-fraction", f.expired_fraction,
                 "kvd only: the preload writes this fraction of the keys "
                 "(spread over the key space) with ttl --expired-ttl, then "
                 "waits until they have expired before measuring")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app.add_option("--expired-ttl", f.expired_ttl,
                 "--expired-fraction: the ttl of the keys meant to expire")
      ->type_name("DURATION")
      ->capture_default_str();
  app.add_option("--read-fraction", f.read_fraction,
                 "mixed: the fraction of calls that are Get")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app.add_option("--in-flight", f.in_flight,
                 "Calls outstanding at any time (closed loop)")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  app.add_option("--channels", f.channels,
                 "gRPC channels (TCP connections); call slot i uses channel "
                 "i mod CHANNELS. At most --in-flight are used")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  app.add_option("--value-size", f.value_size,
                 "Bytes per value written by set, mixed and the preload; "
                 "suffixes KiB/MiB allowed")
      ->transform(CLI::AsSizeValue(false))
      ->capture_default_str();
  app.add_option("--keys", f.keys, "Key count: keys are chosen in [0, KEYS)")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 40))
      ->capture_default_str();
  app.add_option("--distribution", f.distribution,
                 "Key popularity: uniform, or zipf (scrambled, exponent "
                 "--zipf-exponent)")
      ->check(CLI::IsMember({"uniform", "zipf"}))
      ->capture_default_str();
  app.add_option("--zipf-exponent", f.zipf_exponent,
                 "zipf: the exponent s (> 1); larger is more skewed")
      ->capture_default_str();
  app.add_option("--duration", f.duration, "How long to measure")
      ->type_name("DURATION")
      ->capture_default_str();
  app.add_option("--warmup", f.warmup,
                 "How long to run before measuring (not counted)")
      ->type_name("DURATION")
      ->capture_default_str();
  app.add_option("--seed", f.seed, "Seed of the key choice and the value")
      ->capture_default_str();
  app.add_option("--preload", f.preload,
                 "Write the KEYS keys first: auto (for get, exists, mixed, "
                 "get_keys), yes, no, or only (preload, then exit without "
                 "measuring)")
      ->check(CLI::IsMember({"auto", "yes", "no", "only"}))
      ->capture_default_str();
  app.add_option("--preload-in-flight", f.preload_in_flight,
                 "Calls in flight during the preload")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  app.add_option("--format", f.format,
                 "Output: text, or json (one object on one line on stdout)")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  app.add_flag("--allow-errors", f.allow_errors,
               "Exit 0 even if some calls failed");
  app.add_flag("--etcd-linearizable", f.etcd_linearizable,
               "etcd: linearizable Range (a quorum read) instead of "
               "serializable (served locally, like kvd's reads)");
  app.add_option("--sqlite-batch", f.sqlite_batch,
                 "sqlite-raw: upserts per transaction (1 = one commit per "
                 "set, as kvd does)")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  app.add_option("--sqlite-sync", f.sqlite_sync,
                 "sqlite-raw: PRAGMA synchronous: full (fsync per commit, as "
                 "kvd's durability \"fsync\") or normal")
      ->check(CLI::IsMember({"full", "normal"}))
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error) == 0 ? 0 : 2;
  }

  absl::Duration duration, warmup;
  if (!absl::ParseDuration(f.duration, &duration) ||
      duration <= absl::ZeroDuration()) {
    return Fail(absl::StrCat("--duration=", f.duration,
                             " is not a positive duration such as 5s"));
  }
  if (!absl::ParseDuration(f.warmup, &warmup) ||
      warmup < absl::ZeroDuration()) {
    return Fail(absl::StrCat("--warmup=", f.warmup,
                             " is not a duration such as 1s or 0s"));
  }
  if (f.distribution == "zipf" && !(f.zipf_exponent > 1.0)) {
    return Fail(absl::StrCat("--zipf-exponent=", f.zipf_exponent,
                             " must be greater than 1"));
  }
  absl::Duration ttl = absl::InfiniteDuration();
  if (!f.ttl.empty() &&
      (!absl::ParseDuration(f.ttl, &ttl) || ttl < absl::Milliseconds(1))) {
    return Fail(absl::StrCat("--ttl=", f.ttl,
                             " is not a duration of at least 1ms, such as 1h"));
  }
  absl::Duration expired_ttl;
  if (!absl::ParseDuration(f.expired_ttl, &expired_ttl) ||
      expired_ttl < absl::Milliseconds(1)) {
    return Fail(absl::StrCat("--expired-ttl=", f.expired_ttl,
                             " is not a duration of at least 1ms"));
  }
  if (f.target != "kvd" && (!f.ttl.empty() || f.expired_fraction > 0)) {
    return Fail("--ttl and --expired-fraction need --target=kvd");
  }
  if (f.expired_fraction > 0 && f.preload == "no") {
    return Fail(
        "--expired-fraction writes its expiring keys in the preload; it "
        "cannot be used with --preload=no");
  }
  const int channels = std::min(f.channels, f.in_flight);
  const bool batch = f.op == "get_many" || f.op == "set_many";
  if (batch && static_cast<uint64_t>(f.batch_size) > f.keys) {
    return Fail(absl::StrCat("--batch-size=", f.batch_size,
                             " is more than --keys=", f.keys,
                             ": a batch may not name a key twice"));
  }

  std::unique_ptr<Target> target;
  KvdTarget* kvd_target = nullptr;
  std::string address = f.address;
  std::string extra;
  if (f.target == "kvd") {
    if (address.empty()) address = "127.0.0.1:50051";
    KvdCallOptions call_options;
    call_options.page_size = f.page_size;
    call_options.ttl = ttl;
    auto kvd = std::make_unique<KvdTarget>(address, f.store, channels,
                                           BatchShape{f.batch_size, f.keys},
                                           call_options);
    kvd_target = kvd.get();
    target = std::move(kvd);
    extra = absl::StrCat("store=", f.store);
    if (!f.ttl.empty()) absl::StrAppend(&extra, " ttl=", f.ttl);
    if (f.expired_fraction > 0) {
      absl::StrAppend(&extra, " expired-fraction=", f.expired_fraction,
                      " (ttl ", f.expired_ttl, ")");
    }
  } else if (f.target == "etcd") {
    if (address.empty()) address = "127.0.0.1:2379";
    target =
        std::make_unique<EtcdTarget>(address, channels, !f.etcd_linearizable);
    extra = f.etcd_linearizable ? "linearizable" : "serializable";
  } else {
    if (f.db.empty()) return Fail("--target=sqlite-raw needs --db=FILE");
    address = f.db;
    target = std::make_unique<SqliteRawTarget>(f.db, f.sqlite_batch,
                                               f.sqlite_sync == "full");
    extra =
        absl::StrCat("synchronous=", f.sqlite_sync, " batch=", f.sqlite_batch);
  }

  LoadOptions options;
  options.workload.operation = ParseOperation(f.op);
  options.workload.mixed = f.op == "mixed";
  options.workload.read_fraction = f.read_fraction;
  options.depth = f.in_flight;
  options.distribution = f.distribution == "zipf" ? KeyDistribution::kZipf
                                                  : KeyDistribution::kUniform;
  options.key_count = f.keys;
  options.zipf_exponent = f.zipf_exponent;
  options.seed = f.seed;
  options.value = RandomValue(f.value_size, f.seed);
  options.warmup = warmup;
  options.duration = duration;

  const bool reads = f.op == "get" || f.op == "exists" || f.op == "mixed" ||
                     f.op == "get_keys" || f.op == "get_many" || f.op == "list";
  const bool preload = f.preload == "yes" || f.preload == "only" ||
                       (f.preload == "auto" && reads);
  // The preload shares the target's connections, except for sqlite-raw:
  // there one writer with big transactions is fastest (and a concurrent
  // writer would only wait for SQLite's lock).
  std::unique_ptr<Target> sqlite_preloader;
  Target* preloader = target.get();
  int preload_in_flight = f.preload_in_flight;
  if (f.target == "sqlite-raw" && preload) {
    sqlite_preloader = std::make_unique<SqliteRawTarget>(
        f.db, /*batch=*/1000, f.sqlite_sync == "full");
    preloader = sqlite_preloader.get();
    preload_in_flight = 1;
    if (absl::Status s = preloader->Prepare(1); !s.ok()) {
      return Fail(std::string(s.message()));
    }
  }
  const int slots =
      std::max(f.in_flight, preloader == target.get() ? preload_in_flight : 0);
  if (absl::Status s = target->Prepare(slots); !s.ok()) {
    return Fail(std::string(s.message()));
  }
  if (preload) {
    std::fprintf(stderr, "kv_bench: preloading %llu keys of %llu bytes\n",
                 static_cast<unsigned long long>(f.keys),
                 static_cast<unsigned long long>(f.value_size));
    if (f.expired_fraction > 0) {
      kvd_target->SetExpiring(f.expired_fraction, expired_ttl);
    }
    absl::Status s =
        Preload(*preloader, f.keys, options.value, preload_in_flight,
                [&](uint64_t written) {
                  std::fprintf(stderr, "kv_bench: preload %llu/%llu keys\n",
                               static_cast<unsigned long long>(written),
                               static_cast<unsigned long long>(f.keys));
                });
    if (!s.ok()) return Fail(std::string(s.message()));
    if (f.expired_fraction > 0) {
      kvd_target->SetExpiring(0, absl::InfiniteDuration());
      // The last expiring key was written before Preload returned.
      std::fprintf(stderr,
                   "kv_bench: waiting %s for the expiring keys to expire\n",
                   f.expired_ttl.c_str());
      absl::SleepFor(expired_ttl + absl::Milliseconds(10));
    }
    if (f.preload == "only") return 0;
  }

  absl::StatusOr<LoadResult> result = RunLoad(*target, options);
  if (!result.ok()) return Fail(std::string(result.status().message()));
  if (absl::Status s = target->Finish(); !s.ok()) {
    return Fail(std::string(s.message()));
  }

  RunDescription run;
  run.target = f.target;
  run.address = address;
  run.operation = f.op;
  run.read_fraction = f.read_fraction;
  run.in_flight = f.in_flight;
  run.channels = f.target == "sqlite-raw" ? 0 : channels;
  run.value_bytes = f.value_size;
  run.key_count = f.keys;
  run.distribution = f.distribution;
  run.zipf_exponent = f.zipf_exponent;
  run.warmup_seconds = absl::ToDoubleSeconds(warmup);
  run.duration_seconds = absl::ToDoubleSeconds(duration);
  run.extra = extra;
  run.keys_per_call = batch ? f.batch_size : (f.op == "get_keys" ? 0 : 1);
  if (f.op == "list") run.page_size = f.page_size;
  run.ttl = f.ttl;
  run.expired_fraction = f.expired_fraction;
  const std::string report = f.format == "json"
                                 ? FormatJson(run, *result) + "\n"
                                 : FormatText(run, *result);
  std::fputs(report.c_str(), stdout);
  std::fflush(stdout);
  if (result->calls == 0) {
    std::fprintf(stderr, "kv_bench: no call completed in the window\n");
    return 1;
  }
  if (result->error_calls > 0 && !f.allow_errors) {
    std::fprintf(stderr,
                 "kv_bench: %llu of %llu calls failed (--allow-errors to "
                 "exit 0 anyway)\n",
                 static_cast<unsigned long long>(result->error_calls),
                 static_cast<unsigned long long>(result->calls));
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace bench
}  // namespace kv

int main(int argc, char** argv) { return kv::bench::Run(argc, argv); }
