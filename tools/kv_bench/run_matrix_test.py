"""Tests of run_matrix.py's report: the targets table and the ratios.

Feeds made-up kv_bench results to write_report and reads the Markdown back;
no server is started.
"""

import os
import sys
import tempfile
import types
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run_matrix  # noqa: E402


def result(label, op, in_flight, rate, p50=100.0, value=100, errors=0):
    return {"label": label, "op": op, "in_flight_cell": in_flight,
            "value_cell": value, "rpc_per_s": rate, "calls": int(rate),
            "error_calls": errors, "errors": {},
            "latency_us": {"p50": p50, "p90": p50, "p99": p50 * 2,
                           "p999": p50 * 3, "min": 1, "mean": p50,
                           "max": p50 * 4}}


def report(results, quick=False, memory=None, large=None, redis_rows=()):
    bench = run_matrix.Bench("kv_bench", "3s", "1s")
    bench.results = list(results)
    args = types.SimpleNamespace(quick=quick, duration="3s", warmup="1s",
                                 keys=10000, big_keys=100,
                                 keys_for_get_keys=10000)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "benchmarks.md")
        run_matrix.write_report(
            path, args, bench, list(redis_rows), memory, large,
            {"CPU": "test"}, "0.00 0.00 0.00", "0.10 0.00 0.00", 600.0,
            "tools/kv_bench/run_benchmarks.sh", [1, 64], [100])
        with open(path) as f:
            return f.read()


def target_rows(text):
    """The targets table as {first column: (measured, goal, result)}."""
    section = text.split("## Targets", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0] not in ("target", "---"):
            rows[cells[0]] = tuple(cells[1:])
    return rows


BASE = [
    result("kvd-noop", "noop", 64, 10000, p50=100),
    result("kvd-noop", "noop", 1, 2000, p50=100),
    result("kvd-sqlite", "get", 64, 9500),
    result("kvd-sqlite", "get", 1, 1900, p50=110),
    result("etcd", "get", 64, 4000),
    result("kvd-sqlite", "exists", 64, 8000),
    result("etcd", "exists", 64, 5000),
    result("kvd-sqlite", "set", 64, 8000),
    result("etcd", "set", 64, 3000),
]


class TargetsTest(unittest.TestCase):

    def test_ratios_and_verdicts(self):
        rows = target_rows(report(BASE))
        self.assertEqual(
            rows["Get, 64 in flight / 4 channels ÷ no-op ceiling"],
            ("0.950", "≥ 0.90", "met"))
        self.assertEqual(
            rows["Get, 64 in flight ÷ etcd serializable Range"],
            ("2.375", "≥ 2", "met"))
        self.assertEqual(
            rows["Exists, 64 in flight / 4 channels ÷ no-op ceiling"],
            ("0.800", "≥ 0.90", "missed"))
        self.assertEqual(
            rows["Exists, 64 in flight ÷ etcd serializable Range (count_only)"],
            ("1.600", "≥ 2", "missed"))
        self.assertEqual(rows["Set (fsync), 64 in flight ÷ no-op ceiling"],
                         ("0.800", "≥ 0.75", "met"))
        self.assertEqual(rows["Set (fsync), 64 in flight ÷ etcd Put"],
                         ("2.666", "≥ 2", "met"))
        self.assertEqual(rows["Get, 1 in flight: p50 ÷ no-op p50"],
                         ("1.100", "≤ 1.2", "met"))

    def test_just_under_the_goal_does_not_print_as_the_goal(self):
        results = [r for r in BASE
                   if not (r["label"] == "kvd-sqlite" and r["op"] == "get")]
        results.append(result("kvd-sqlite", "get", 64, 8996))
        rows = target_rows(report(results))
        self.assertEqual(
            rows["Get, 64 in flight / 4 channels ÷ no-op ceiling"],
            ("0.899", "≥ 0.90", "missed"))

    def test_just_over_a_ceiling_does_not_print_as_it(self):
        results = [r for r in BASE if r["in_flight_cell"] != 1]
        results += [result("kvd-noop", "noop", 1, 2000, p50=100),
                    result("kvd-sqlite", "get", 1, 1900, p50=120.04)]
        rows = target_rows(report(results))
        self.assertEqual(rows["Get, 1 in flight: p50 ÷ no-op p50"],
                         ("1.201", "≤ 1.2", "missed"))

    def test_missing_cells_say_not_measured(self):
        rows = target_rows(report([r for r in BASE if r["label"] != "etcd"]))
        self.assertEqual(
            rows["Get, 64 in flight ÷ etcd serializable Range"],
            ("–", "≥ 2", "not measured"))
        # The others are still computed.
        self.assertEqual(
            rows["Get, 64 in flight / 4 channels ÷ no-op ceiling"][2], "met")

    def test_failed_cells_are_not_used_and_are_listed(self):
        failed = dict(result("etcd", "set", 64, 0), failed="boom")
        results = [r for r in BASE
                   if not (r["label"] == "etcd" and r["op"] == "set")]
        text = report(results + [failed])
        self.assertEqual(target_rows(text)["Set (fsync), 64 in flight ÷ etcd Put"],
                         ("–", "≥ 2", "not measured"))
        self.assertIn("## Cells that failed", text)
        self.assertIn("boom", text)

    def test_key_count_and_memory(self):
        large = {"small_keys": 1000, "large_keys": 1000000,
                 "small": result("kvd-small", "get", 64, 10000),
                 "large": result("kvd-large", "get", 64, 8500)}
        memory = {"idle_rss": 30_000_001, "max_rss": 99_000_000,
                  "hwm": 95_000_000, "keys": 10000, "peak": 99_000_000}
        rows = target_rows(report(BASE, memory=memory, large=large))
        self.assertEqual(
            rows["Get throughput, 1,000,000-key store ÷ 1,000-key store "
                 "(64 in flight)"], ("0.850", "≥ 0.90", "missed"))
        # Just over 30 MB misses, and prints rounded up.
        self.assertEqual(rows["kvd RSS idle (VmRSS)"],
                         ("30.1 MB", "≤ 30 MB", "missed"))
        self.assertEqual(
            rows["kvd peak RSS, 256 in flight, 4 KiB Get and Set (VmHWM)"],
            ("99.0 MB", "≤ 100 MB", "met"))


class ReportTest(unittest.TestCase):

    def test_quick_run_is_marked(self):
        self.assertIn("Quick smoke run", report(BASE, quick=True))
        self.assertNotIn("Quick smoke run", report(BASE, quick=False))

    def test_tables_show_figures_ratios_and_command(self):
        text = report(BASE + [result("sqlite-raw", "get", 64, 95000,
                                     p50=4.5)])
        self.assertIn("tools/kv_bench/run_benchmarks.sh", text)
        self.assertIn("| kvd, SQLite (fsync) | 1,900 · 110 µs / 220 µs | "
                      "9,500 · 100 µs / 200 µs |", text)
        self.assertIn("| raw SQLite, in process | – | 95,000 · 4.5 µs / "
                      "9.0 µs |", text)
        # get, 100 B, 64 in flight: ÷ no-op 0.95, ÷ etcd 2.38, ÷ raw 0.10.
        self.assertIn("| get | 100 B | 64 | 9,500 | 0.95 | 2.38 | 0.10 | – |",
                      text)

    def test_redis_benchmark_reference(self):
        rows = [{"op": "get", "in_flight": 64, "value": 100, "rps": 120000.0,
                 "p50_ms": 0.3, "p99_ms": 1.5}]
        text = report(BASE, redis_rows=rows)
        self.assertIn("| get | 100 B | – | 120,000 · 300 µs / 1.50 ms |", text)


class FormatTest(unittest.TestCase):

    def test_counter_and_batch_targets(self):
        results = BASE + [
            dict(result("kvd-sqlite", "set", 64, 8000), atomic=True),
            result("kvd-sqlite", "increment", 64, 7000),
            dict(result("kvd-sqlite", "set", 1, 500), atomic=True),
            dict(result("kvd-sqlite", "set_many", 1, 400), keys_per_s=40000),
        ]
        text = report(results)
        rows = target_rows(text)
        self.assertEqual(
            rows["Increment cost ÷ Set cost (SQLite fsync, 64 in flight; Set "
                 "RPC/s ÷ Increment RPC/s)"], ("1.143", "≤ 1.2", "met"))
        self.assertEqual(
            rows["SetMany of 100 keys, 1 in flight: keys/s ÷ single Sets' "
                 "keys/s (SQLite fsync)"], ("80.000", "≥ 10", "met"))
        section = text.split("## Counters, conditional writes and batches")[1]
        self.assertIn("| SQLite (fsync) | set_many | 1 | 400 | 40,000 |",
                      section)
        self.assertIn("| 80.00 |", section)
        self.assertIn("| Redis | increment | 64 | – |", section)

    def test_counter_targets_not_measured(self):
        rows = target_rows(report(BASE))
        self.assertEqual(
            rows["Increment cost ÷ Set cost (SQLite fsync, 64 in flight; Set "
                 "RPC/s ÷ Increment RPC/s)"][2], "not measured")

    def test_sizes_and_latencies(self):
        self.assertEqual(run_matrix.size_name(100), "100 B")
        self.assertEqual(run_matrix.size_name(4096), "4 KiB")
        self.assertEqual(run_matrix.size_name(1 << 20), "1 MiB")
        self.assertEqual(run_matrix.fmt_latency(4.25), "4.2 µs")
        self.assertEqual(run_matrix.fmt_latency(250), "250 µs")
        self.assertEqual(run_matrix.fmt_latency(2500), "2.50 ms")


def expiry_results(list_large=95000.0, ttl_rate=950.0):
    def with_fields(r, **fields):
        r.update(fields)
        return r
    results = []
    for n in range(3):
        results.append(with_fields(result("list-small", "list", 1, 100),
                                   keys_per_s=100000.0, round=n))
        results.append(with_fields(result("list-large", "list", 1, 95),
                                   keys_per_s=list_large, round=n))
    # Rounds of (plain, ttl): ratios 0.95, 0.978, 0.9 for SQLite (median
    # 0.95), 0.8 in every round for Redis.
    for n, (plain, ttl) in enumerate(((1000, ttl_rate), (900, 880),
                                      (1000, 900))):
        results.append(with_fields(result("ttl-sqlite", "set", 64, plain),
                                   ttl=None, round=n))
        results.append(with_fields(result("ttl-sqlite", "set", 64, ttl),
                                   ttl="1h", round=n))
        results.append(with_fields(result("ttl-redis", "set", 64, 5000),
                                   ttl=None, round=n))
        results.append(with_fields(result("ttl-redis", "set", 64, 4000),
                                   ttl="1h", round=n))
        results.append(with_fields(result("expired-none", "get", 64, 8000),
                                   round=n))
        results.append(with_fields(
            result("expired-half", "get", 64, 8800, errors=4400),
            calls=8800, round=n))
        results.append(with_fields(
            result("missing-half", "get", 64, 8000, errors=4000),
            calls=8000, round=n))
    return results


def expiry_rows(lines):
    rows = {}
    for line in lines:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and line.startswith("|"):
            rows[cells[0]] = tuple(cells[1:])
    return rows


class ExpiryListingSectionTest(unittest.TestCase):
    SIZES = {"small_keys": 10000, "large_keys": 1000000}

    def section(self, results):
        bench = run_matrix.Bench("kv_bench", "3s", "1s")
        bench.results = results
        return run_matrix.expiry_listing_lines(
            bench, self.SIZES, ("0.50 0.40 0.30", "0.60 0.50 0.40"),
            "tools/kv_bench/run_benchmarks.sh --only=expiry-listing")

    def test_ratios_and_verdicts(self):
        lines = self.section(expiry_results())
        rows = expiry_rows(lines)
        self.assertEqual(
            rows["ListKeys keys/s, 1,000,000 ÷ 10,000 keys (median of rounds)"],
            ("0.950", "≥ 0.90", "yes"))
        # The median of the rounds' ratios: 0.9, 0.95 and 0.978.
        self.assertEqual(
            rows["Set with ttl ÷ plain Set, SQLite (fsync) (median of rounds)"],
            ("0.950", "≥ 0.90", "yes"))
        self.assertEqual(
            rows["Set with ttl ÷ plain Set, Redis (median of rounds)"],
            ("0.800", "≥ 0.90", "**no**"))
        self.assertEqual(
            rows["Set, SQLite (fsync), 64 in flight, RPC/s plain / ttl 1h, "
                 "by round"][0],
            "1,000 / 950, 900 / 880, 1,000 / 900")
        self.assertEqual(
            rows["Get on the half-expired store: NO_SUCH_KEY share"][0],
            "50% to 50%")
        self.assertEqual(
            rows["Get RPC/s, half expired ÷ none expired (median of rounds)"]
            [0], "1.10")
        self.assertEqual(
            rows["Get RPC/s, half expired ÷ half never written (median of "
                 "rounds): the cost of expiry itself"][0], "1.10")
        self.assertEqual(
            rows["Get RPC/s, half never written ÷ none expired (median of "
                 "rounds)"][0], "1.00")
        text = "\n".join(lines)
        self.assertIn("0.50 0.40 0.30 / 0.60 0.50 0.40", text)
        self.assertIn("--only=expiry-listing", text)
        self.assertEqual(lines[0], run_matrix.EXPIRY_BEGIN)
        self.assertIn(run_matrix.EXPIRY_END, lines)

    def test_slow_large_listing_is_not_met(self):
        rows = expiry_rows(self.section(expiry_results(list_large=80000.0)))
        self.assertEqual(rows["ListKeys keys/s, 1,000,000 ÷ 10,000 keys (median of rounds)"],
                         ("0.800", "≥ 0.90", "**no**"))

    def test_missing_cells(self):
        rows = expiry_rows(self.section([]))
        self.assertEqual(rows["ListKeys keys/s, 1,000,000 ÷ 10,000 keys (median of rounds)"],
                         ("–", "≥ 0.90", "–"))
        self.assertEqual(
            rows["Set with ttl ÷ plain Set, Redis (median of rounds)"],
            ("–", "≥ 0.90", "–"))

    def test_splice_replaces_the_section_and_keeps_the_rest(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "benchmarks.md")
            with open(path, "w") as f:
                f.write("# kvd benchmarks\n\n## Targets\n\nT\n\n"
                        "## Results\n\nR\n")
            first = self.section(expiry_results())
            run_matrix.splice_expiry_listing(path, first)
            second = self.section(expiry_results(list_large=80000.0))
            run_matrix.splice_expiry_listing(path, second)
            with open(path) as f:
                text = f.read()
        self.assertEqual(text.count(run_matrix.EXPIRY_BEGIN), 1)
        self.assertIn("0.800", text)
        self.assertEqual(text.count("## Expiry and listing"), 1)
        self.assertLess(text.index("## Targets"),
                        text.index("## Expiry and listing"))
        self.assertLess(text.index("## Expiry and listing"),
                        text.index("## Results"))
        self.assertIn("\nR\n", text)


if __name__ == "__main__":
    unittest.main()
