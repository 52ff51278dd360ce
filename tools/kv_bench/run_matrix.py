#!/usr/bin/python3
"""Runs kvd's benchmark matrix on this machine and writes docs/benchmarks.md.

Called by tools/kv_bench/run_benchmarks.sh, which builds the binaries with
`bazel build -c opt` and passes their paths. In one run, on one machine, it:

  1. starts a private etcd, a private Redis and kvd (an SQLite store with
     durability "fsync", a Redis-backed store), all on 127.0.0.1 with data
     under a temporary folder;
  2. runs kv_bench over the matrix: operations x in flight (1/16/64/256) x
     value sizes (100 B / 4 KiB / 1 MiB) against kvd (SQLite), kvd (Redis),
     etcd (serializable Range, Put) and SQLite in process ("raw SQLite"),
     plus the gRPC no-op ceiling (health Check on the same kvd);
  3. measures a 1,000,000-key store against a 1,000-key store, and kvd's
     memory (VmRSS idle, VmHWM under 256 in flight with 4 KiB values);
  4. runs redis-benchmark as a reference for a non-gRPC protocol;
  5. measures expiry and listing (run_expiry_listing): ListKeys keys/s on a
     10,000- and a 1,000,000-key store, Set with a ttl against a plain Set,
     and Get on a store where half the keys have expired against one where
     none have; --only=expiry-listing runs just this and replaces its
     section in an existing report;
  6. writes the report: absolute figures, ratios to the no-op ceiling and to
     etcd, the targets table, machine details and the exact command.

Only the Python standard library; run with Debian's /usr/bin/python3.
"""

import argparse
import json
import math
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

KIB = 1024
MIB = 1024 * 1024


def log(message):
    print(f"bench: {message}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def size_name(size):
    if size >= MIB and size % MIB == 0:
        return f"{size // MIB} MiB"
    if size >= KIB and size % KIB == 0:
        return f"{size // KIB} KiB"
    return f"{size} B"


class Servers:
    """The private servers of one run; stop() ends all of them."""

    def __init__(self, tmp, kvd_bin):
        self.tmp = tmp
        self.kvd_bin = kvd_bin
        self.processes = []

    def _spawn(self, name, argv):
        out = open(os.path.join(self.tmp, f"{name}.log"), "w")
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
        self.processes.append((name, process))
        return process

    def start_etcd(self):
        for attempt in range(3):
            client, peer = free_port(), free_port()
            data = os.path.join(self.tmp, f"etcd{attempt}")
            process = self._spawn(f"etcd{attempt}", [
                "etcd", "--name", "bench", "--data-dir", data,
                "--listen-client-urls", f"http://127.0.0.1:{client}",
                "--advertise-client-urls", f"http://127.0.0.1:{client}",
                "--listen-peer-urls", f"http://127.0.0.1:{peer}",
                "--initial-advertise-peer-urls", f"http://127.0.0.1:{peer}",
                "--initial-cluster", f"bench=http://127.0.0.1:{peer}",
                # 1 MiB puts keep every revision: compact and allow room.
                "--auto-compaction-mode", "revision",
                "--auto-compaction-retention", "100",
                "--quota-backend-bytes", str(8 * 1024 * MIB),
                "--log-level", "error"])
            if self._wait_port(client, process):
                return f"127.0.0.1:{client}"
        raise RuntimeError("etcd did not start; see its log in " + self.tmp)

    def start_redis(self):
        for attempt in range(3):
            port = free_port()
            process = self._spawn(f"redis{attempt}", [
                "redis-server", "--port", str(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no",
                "--dir", self.tmp])
            if self._wait_port(port, process):
                return port
        raise RuntimeError("redis-server did not start; see " + self.tmp)

    def start_kvd(self, name, config_text):
        config = os.path.join(self.tmp, f"{name}.toml")
        with open(config, "w") as f:
            f.write(config_text)
        log_path = os.path.join(self.tmp, f"{name}.out")
        out = open(log_path, "w")
        process = subprocess.Popen(
            [self.kvd_bin, "--listen=127.0.0.1:0", f"--config={config}",
             f"--data-dir={os.path.join(self.tmp, name)}",
             "--log-level=warn"],
            stdout=out, stderr=subprocess.STDOUT)
        self.processes.append((name, process))
        deadline = time.time() + 30
        while time.time() < deadline:
            with open(log_path) as f:
                for line in f:
                    if line.startswith("kvd listening on "):
                        return process, line.split()[-1]
            if process.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError(f"kvd ({name}) did not start: see {log_path}")

    def stop(self, process=None):
        for name, p in list(self.processes):
            if process is not None and p is not process:
                continue
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
            self.processes.remove((name, p))

    @staticmethod
    def _wait_port(port, process):
        deadline = time.time() + 30
        while time.time() < deadline:
            if process.poll() is not None:
                return False
            try:
                with socket.create_connection(("127.0.0.1", port), 0.2):
                    return True
            except OSError:
                time.sleep(0.1)
        return False


def proc_status(pid):
    """VmRSS and VmHWM of a process, in bytes."""
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0]) * 1024
    return fields


class Bench:
    """Runs kv_bench and collects its JSON reports."""

    def __init__(self, kv_bench, duration, warmup):
        self.kv_bench = kv_bench
        self.duration = duration
        self.warmup = warmup
        self.results = []

    def preload(self, label, args, keys, value_size, flags=()):
        """Writes the keys; a failure is recorded (and its cells will fail)."""
        log(f"preload {label}: {keys} keys of {size_name(value_size)}")
        done = subprocess.run(
            [self.kv_bench, *args, "--op=set", "--preload=only",
             f"--keys={keys}", f"--value-size={value_size}", *flags],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if done.returncode != 0:
            error = done.stderr.strip().splitlines()[-1:] or ["?"]
            log(f"FAILED preload {label}: {error[0]}")
            self.results.append({
                "label": label, "op": "preload", "in_flight_cell": 64,
                "value_cell": value_size, "failed": error[0]})

    def run(self, label, args, op, in_flight, value_size, keys=1000,
            flags=(), **extra):
        channels = 1 if in_flight == 1 else 4
        argv = [self.kv_bench, *args, f"--op={op}", f"--in-flight={in_flight}",
                f"--channels={channels}", f"--value-size={value_size}",
                f"--keys={keys}", "--preload=no", "--format=json",
                "--allow-errors", f"--duration={self.duration}",
                f"--warmup={self.warmup}", *flags]
        done = subprocess.run(argv, capture_output=True, text=True)
        if done.returncode != 0 or not done.stdout.strip():
            log(f"FAILED {label} {op} x{in_flight} {size_name(value_size)}: "
                f"{done.stderr.strip()}")
            result = {"failed": done.stderr.strip() or f"exit {done.returncode}"}
        else:
            result = json.loads(done.stdout)
        result.update({"label": label, "op": op, "in_flight_cell": in_flight,
                       "value_cell": value_size, **extra})
        self.results.append(result)
        if "failed" not in result:
            errors = f", {result['error_calls']} errors" if result["error_calls"] else ""
            log(f"{label:<16} {op:<9} x{in_flight:<4} {size_name(value_size):>7}: "
                f"{result['rpc_per_s']:>10.0f} RPC/s, p50 "
                f"{result['latency_us']['p50']:.0f} us{errors}")
        return result

    def find(self, label, op, in_flight, value_size, **extra):
        for r in self.results:
            if (r["label"] == label and r["op"] == op
                    and r["in_flight_cell"] == in_flight
                    and r["value_cell"] == value_size
                    and all(r.get(k) == v for k, v in extra.items())
                    and "failed" not in r):
                return r
        return None


def redis_benchmark(port, depths, sizes, quick):
    rows = []
    for size in sizes:
        for depth in depths:
            requests = 500 if size >= MIB else (20000 if quick else 100000)
            if depth == 1:
                requests //= 5
            done = subprocess.run(
                ["redis-benchmark", "-h", "127.0.0.1", "-p", str(port),
                 "-t", "get,set", "-n", str(requests), "-c", str(depth),
                 "-d", str(size), "-r", "10000", "--csv"],
                capture_output=True, text=True)
            for line in done.stdout.splitlines()[1:]:
                cells = [c.strip('"') for c in line.split(",")]
                if len(cells) < 5:
                    continue
                rows.append({"op": cells[0].lower(), "in_flight": depth,
                             "value": size, "rps": float(cells[1]),
                             "p50_ms": float(cells[4]),
                             "p99_ms": float(cells[6]) if len(cells) > 6 else None})
            log(f"redis-benchmark c={depth} d={size_name(size)} done")
    return rows


def command_output(argv):
    try:
        return subprocess.run(argv, capture_output=True, text=True,
                              timeout=30).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "?"


def machine_details(tmp):
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_kib = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    debian = open("/etc/debian_version").read().strip() \
        if os.path.exists("/etc/debian_version") else "?"
    fs = command_output(["findmnt", "-n", "-o", "SOURCE,FSTYPE", "-T", tmp])
    repo = os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    commit = command_output(["git", "-C", repo, "describe", "--always",
                             "--dirty=+uncommitted changes"])
    return {
        "kvd commit": commit or "?",
        "CPU": f"{cpu}, {os.cpu_count()} logical CPUs (nproc)",
        "Memory": f"{mem_kib / 1024 / 1024:.1f} GiB",
        "Kernel": f"{platform.system()} {platform.release()}",
        "OS": f"Debian {debian}",
        "Data directory file system": f"{tmp} on {fs}",
        "etcd": command_output(["etcd", "--version"]).splitlines()[0],
        "Redis": command_output(["redis-server", "--version"]),
        "SQLite": command_output(["sqlite3", "--version"]).split(" ")[0],
        "gRPC (libgrpc++)": command_output(
            ["dpkg-query", "-W", "-f=${Version}", "libgrpc++-dev"]),
    }


def fmt_rate(r):
    if r is None:
        return "–"
    return f"{r['rpc_per_s']:,.0f}"


def fmt_latency(us):
    """A latency given in microseconds, in a unit that shows its digits."""
    if us < 10:
        return f"{us:.1f} µs"
    if us < 1000:
        return f"{us:.0f} µs"
    return f"{us / 1000:.2f} ms"


def fmt_cell(r):
    if r is None:
        return "–"
    lat = r["latency_us"]
    errors = f" ({r['error_calls']} err)" if r["error_calls"] else ""
    return (f"{r['rpc_per_s']:,.0f} · {fmt_latency(lat['p50'])} / "
            f"{fmt_latency(lat['p99'])}{errors}")


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def fmt_ratio(x, digits=2):
    return "–" if x is None else f"{x:.{digits}f}"


def fmt_target_ratio(x, at_least=True):
    """Three digits, rounded away from the goal (down for "at least" goals,
    up for "at most"), so that a ratio just short of its goal never prints
    as the goal itself."""
    if x is None:
        return "–"
    scaled = x * 1000
    scaled = math.floor(scaled + 1e-9) if at_least else math.ceil(scaled - 1e-9)
    return f"{scaled / 1000:.3f}"


# Batch size and depths of the counter, condition and batch cells.
BATCH = 100
ATOMIC_DEPTHS = (1, 64)


def add_atomic_section(add, bench):
    """The table of kvd's own operations against Set on the same store."""
    add("## Counters, conditional writes and batches\n")
    add("Measured in the same run as everything else, on the same stores, "
        "right after each other, 100 B values: `increment` adds 1 to "
        "`counter/KEY`; `conditional_set` is a Set with `if_revision` of a key "
        "per slot (each passes its condition); `set_many` and `get_many` "
        f"carry {BATCH} consecutive keys per call (`--batch-size={BATCH}`). "
        "Keys/s counts every key a call reads or writes.\n")
    add("| store | operation | in flight | RPC/s | keys/s | p50 / p99 | "
        "÷ Set at the same depth (keys/s) |")
    add("|---|---|---|---|---|---|---|")
    for label, name in (("kvd-sqlite", "SQLite (fsync)"),
                        ("kvd-redis", "Redis")):
        for d in ATOMIC_DEPTHS:
            base = bench.find(label, "set", d, 100, atomic=True)
            base_keys = base and base["rpc_per_s"]
            for op in ("set", "increment", "conditional_set", "set_many",
                       "get_many"):
                r = (base if op == "set" else bench.find(label, op, d, 100))
                if r is None:
                    add(f"| {name} | {op} | {d} | – | – | – | – |")
                    continue
                keys = r.get("keys_per_s", r["rpc_per_s"])
                add(f"| {name} | {op} | {d} | {fmt_rate(r)} | {keys:,.0f} | "
                    f"{fmt_latency(r['latency_us']['p50'])} / "
                    f"{fmt_latency(r['latency_us']['p99'])} | "
                    f"{fmt_ratio(ratio(keys, base_keys))} |")
    add("")


# The expiry and listing section: where its lines go in a report, so that
# --only=expiry-listing can replace them in place.
EXPIRY_BEGIN = "<!-- expiry-listing: begin -->"
EXPIRY_END = "<!-- expiry-listing: end -->"
LIST_PAGE = 1000
SET_TTL = "1h"
EXPIRED_TTL = "500ms"
EXPIRY_DEPTH = 64
# Rounds of each A/B comparison: A then B, this many times; the ratio shown
# is the median of the rounds' ratios, so that a burst of load elsewhere on
# the machine spoils one round rather than the comparison.
AB_ROUNDS = 3


def run_expiry_listing(servers, bench, quick):
    """Runs the expiry and listing cells on a kvd of their own; returns the
    key counts of the listing stores."""
    small_keys = 10_000
    large_keys = 100_000 if quick else 1_000_000
    redis_port = servers.start_redis()
    _, kvd = servers.start_kvd("kvd-expiry", f"""
[key_value_store.list_small]
type = "sqlite"
durability = "os"

[key_value_store.list_large]
type = "sqlite"
durability = "os"

[key_value_store.ttl_sqlite]
type = "sqlite"
durability = "fsync"

[key_value_store.ttl_redis]
type = "redis"
url = "redis://127.0.0.1:{redis_port}/0"

[key_value_store.expired_none]
type = "sqlite"
durability = "os"

[key_value_store.expired_half]
type = "sqlite"
durability = "os"
""")
    store = lambda name: ["--target=kvd", f"--address={kvd}",
                          f"--store={name}"]
    page = (f"--page-size={LIST_PAGE}",)
    # Listing: one listing at a time, as a client pages through a store.
    listings = (("list-small", "list_small", small_keys),
                ("list-large", "list_large", large_keys))
    for label, name, keys in listings:
        bench.preload(label, store(name), keys, 100)
    for round_number in range(AB_ROUNDS):
        for label, name, keys in listings:
            bench.run(label, store(name), "list", 1, 100, keys, flags=page,
                      round=round_number)
    # Set with a ttl against a plain Set, on the same store, alternating.
    for label, name in (("ttl-sqlite", "ttl_sqlite"),
                        ("ttl-redis", "ttl_redis")):
        for round_number in range(AB_ROUNDS):
            for ttl in ("", SET_TTL):
                flags = (f"--ttl={ttl}",) if ttl else ()
                bench.run(label, store(name), "set", EXPIRY_DEPTH, 100,
                          small_keys, flags=flags, ttl=ttl or None,
                          round=round_number)
    # Get where half the keys have expired against none, alternating.
    bench.preload("expired-none", store("expired_none"), small_keys, 100)
    bench.preload("expired-half", store("expired_half"), small_keys, 100,
                  flags=("--expired-fraction=0.5",
                         f"--expired-ttl={EXPIRED_TTL}"))
    # The control: the unexpired store with Gets over twice its keys, so
    # half are misses too, of keys that were never written.
    gets = (("expired-none", "expired_none", small_keys),
            ("expired-half", "expired_half", small_keys),
            ("missing-half", "expired_none", 2 * small_keys))
    for round_number in range(AB_ROUNDS):
        for label, name, keys in gets:
            bench.run(label, store(name), "get", EXPIRY_DEPTH, 100, keys,
                      round=round_number)
    servers.stop()
    return {"small_keys": small_keys, "large_keys": large_keys}


def ab_rounds(bench, a, b):
    """The rounds of an A/B comparison: [(A result, B result)] for each
    round where both cells succeeded. `a` and `b` are find() arguments."""
    pairs = []
    for round_number in range(AB_ROUNDS):
        first = bench.find(*a[0], **a[1], round=round_number)
        second = bench.find(*b[0], **b[1], round=round_number)
        if first and second:
            pairs.append((first, second))
    return pairs


def median_ratio(pairs, key="rpc_per_s"):
    """The median of B ÷ A over the rounds, or None."""
    ratios = sorted(ratio(b.get(key), a.get(key)) for a, b in pairs)
    ratios = [r for r in ratios if r is not None]
    if not ratios:
        return None
    middle = len(ratios) // 2
    if len(ratios) % 2:
        return ratios[middle]
    return (ratios[middle - 1] + ratios[middle]) / 2


def expiry_listing_lines(bench, sizes, load, command):
    """The report's expiry and listing section, between its markers."""
    lines = [EXPIRY_BEGIN]
    add = lines.append
    small, large = sizes["small_keys"], sizes["large_keys"]
    add("## Expiry and listing\n")
    add(f"Measured in one run, on one kvd of their own: `list` reads "
        f"ListKeys pages of {LIST_PAGE:,} (`--op=list --page-size="
        f"{LIST_PAGE}`, 1 in flight: one client paging through the store, "
        f"over and over) from SQLite stores of {small:,} and {large:,} keys "
        "(durability `os`, only to write them quickly), alternately, "
        f"{AB_ROUNDS} rounds; keys/s counts the keys returned. Set with a ttl (`--ttl=" + SET_TTL + "`) and a plain "
        f"Set run alternately, {AB_ROUNDS} rounds of one each, "
        f"{EXPIRY_DEPTH} in flight, on the same store (SQLite with "
        "durability `fsync`, and Redis); the ratio is the median of the "
        "rounds' ratios. Get runs at "
        f"{EXPIRY_DEPTH} in flight over {small:,} keys on a store where none "
        "has expired and on one where half were written with a "
        f"{EXPIRED_TTL} ttl (`--expired-fraction=0.5 --expired-ttl="
        f"{EXPIRED_TTL}`) and waited out, and, as a control, over twice the "
        "unexpired store's keys (half never written), alternately, "
        f"{AB_ROUNDS} rounds: a Get of an expired or missing key is a "
        "NO_SUCH_KEY, counted as a miss. Load average before / after: "
        f"{load[0]} / {load[1]}.\n")
    add("```sh\n" + command + "\n```\n")
    add("| measurement | result | goal | met |")
    add("|---|---|---|---|")
    met = lambda ok: "–" if ok is None else ("yes" if ok else "**no**")
    pairs = ab_rounds(bench, (("list-small", "list", 1, 100), {}),
                      (("list-large", "list", 1, 100), {}))
    for side, n in ((0, small), (1, large)):
        shown = ", ".join(
            f"{p[side]['keys_per_s']:,.0f} (p50 "
            f"{fmt_latency(p[side]['latency_us']['p50'])})" for p in pairs)
        add(f"| ListKeys keys/s, {n:,}-key store, by round (page latency) | "
            f"{shown or '–'} | | |")
    r = median_ratio(pairs, key="keys_per_s")
    add(f"| ListKeys keys/s, {large:,} ÷ {small:,} keys (median of rounds) | "
        f"{fmt_target_ratio(r)} | ≥ 0.90 | "
        f"{met(None if r is None else r >= 0.90)} |")
    for label, name in (("ttl-sqlite", "SQLite (fsync)"),
                        ("ttl-redis", "Redis")):
        pairs = ab_rounds(
            bench, ((label, "set", EXPIRY_DEPTH, 100), {"ttl": None}),
            ((label, "set", EXPIRY_DEPTH, 100), {"ttl": SET_TTL}))
        rounds = ", ".join(f"{fmt_rate(a)} / {fmt_rate(b)}" for a, b in pairs)
        add(f"| Set, {name}, {EXPIRY_DEPTH} in flight, RPC/s plain / ttl "
            f"{SET_TTL}, by round | {rounds or '–'} | | |")
        r = median_ratio(pairs)
        add(f"| Set with ttl ÷ plain Set, {name} (median of rounds) | "
            f"{fmt_target_ratio(r)} | ≥ 0.90 | "
            f"{met(None if r is None else r >= 0.90)} |")
    pairs = ab_rounds(bench, (("expired-none", "get", EXPIRY_DEPTH, 100), {}),
                      (("expired-half", "get", EXPIRY_DEPTH, 100), {}))
    rounds = ", ".join(f"{fmt_rate(a)} / {fmt_rate(b)}" for a, b in pairs)
    add(f"| Get, {EXPIRY_DEPTH} in flight, RPC/s none expired / half "
        f"expired, by round | {rounds or '–'} | | |")
    misses = [b["error_calls"] / b["calls"] for _, b in pairs if b["calls"]]
    if misses:
        add(f"| Get on the half-expired store: NO_SUCH_KEY share | "
            f"{min(misses):.0%} to {max(misses):.0%} | | |")
    r = median_ratio(pairs)
    add(f"| Get RPC/s, half expired ÷ none expired (median of rounds) | "
        f"{fmt_ratio(r)} | (none set) | |")
    # What half misses cost without expiry, and expiry beyond that.
    control = ab_rounds(
        bench, (("expired-none", "get", EXPIRY_DEPTH, 100), {}),
        (("missing-half", "get", EXPIRY_DEPTH, 100), {}))
    rounds = ", ".join(fmt_rate(b) for _, b in control)
    add(f"| Control: Get over {2 * small:,} keys of the unexpired store "
        f"(half never written), RPC/s by round | {rounds or '–'} | | |")
    add(f"| Get RPC/s, half never written ÷ none expired (median of rounds) "
        f"| {fmt_ratio(median_ratio(control))} | (none set) | |")
    beyond = ab_rounds(
        bench, (("missing-half", "get", EXPIRY_DEPTH, 100), {}),
        (("expired-half", "get", EXPIRY_DEPTH, 100), {}))
    add(f"| Get RPC/s, half expired ÷ half never written (median of rounds): "
        f"the cost of expiry itself | {fmt_ratio(median_ratio(beyond))} | "
        "(none set) | |")
    add("")
    add(EXPIRY_END)
    add("")
    return lines


def splice_expiry_listing(path, section):
    """Replaces the expiry and listing section of the report at `path` (or
    adds it before its "## Results")."""
    with open(path) as f:
        text = f.read()
    block = "\n".join(section)
    if EXPIRY_BEGIN in text and EXPIRY_END in text:
        head, rest = text.split(EXPIRY_BEGIN, 1)
        tail = rest.split(EXPIRY_END, 1)[1].lstrip("\n")
        text = head + block + tail
    elif "\n## Results\n" in text:
        head, tail = text.split("\n## Results\n", 1)
        text = head + "\n" + block + "## Results\n" + tail
    else:
        text = text.rstrip("\n") + "\n\n" + block
    with open(path, "w") as f:
        f.write(text)


def write_report(path, args, bench, redis_rows, memory, large, machine,
                 load_before, load_after, elapsed, command, depths, sizes,
                 expiry=None):
    lines = []
    add = lines.append
    title = "kvd benchmarks"
    add(f"# {title}\n")
    add("<!-- Generated by tools/kv_bench/run_benchmarks.sh; do not edit by "
        "hand: re-run it. -->\n")
    if args.quick:
        add("> **Quick smoke run (`--quick`): short cells, a reduced matrix, "
            "possibly on a busy machine. These numbers show that the "
            "benchmark works; they are not kvd's figures.** Run "
            "`tools/kv_bench/run_benchmarks.sh` (without `--quick`) on a "
            "quiet machine for those.\n")
    add("## How to reproduce\n")
    add("On a Debian 12 machine with the project's dependencies "
        "(`tools/setup.sh`), from the repository root:\n")
    add("```sh\n" + command + "\n```\n")
    add("The script builds `kv_bench` and `kvd` with `bazel build -c opt`, "
        "starts a private etcd, Redis and kvd on 127.0.0.1 with data in a "
        "temporary folder, runs every cell below with "
        f"[`kv_bench`](development.md#benchmarks-kv_bench) "
        f"({args.duration} measured after {args.warmup} of warm-up per cell, "
        "a closed loop: each finished call starts the next), and writes this "
        "file. Load average before/after the run: "
        f"{load_before} / {load_after} (a busy machine shows here). "
        f"The run took {elapsed / 60:.1f} minutes. Each cell is one "
        "`kv_bench --target=T --address=A --op=OP --in-flight=N "
        "--channels=C --value-size=S --keys=K --preload=no --format=json "
        f"--duration={args.duration} --warmup={args.warmup}`, after one "
        "`--preload=only` run per target and value size.\n")
    add("Setup: kvd serves the store `default` from SQLite with durability "
        "`fsync` (`PRAGMA synchronous=FULL`; every acknowledged Set is on "
        "disk), and the store `redis` from the private Redis (no "
        "persistence: `save \"\"`, `appendonly no`). etcd 3.4 runs as a "
        "single member with its defaults (it fsyncs every Put), read with "
        "serializable Range. Raw SQLite is kv_bench's `sqlite-raw` target: "
        "kvd's SQL on the same schema, in process, one thread and connection "
        "per in-flight slot. Every Set writes new bytes (a version stamp), "
        "so no write is skipped as unchanged. 1 in flight uses 1 channel "
        "(TCP connection); more use 4. Keys are uniform over "
        f"{args.keys:,} keys (100 B and 4 KiB values) or {args.big_keys} "
        "keys (1 MiB values), written before the reads.\n")
    add("The no-op ceiling is `grpc.health.v1.Health/Check` on the same "
        "kvd and connections: gRPC's built-in health service, which answers "
        "from its own completion-queue thread rather than from kvd's "
        "callback handlers, so at low depth a store call can be faster than "
        "it.\n")
    add("## Machine\n")
    add("| | |\n|---|---|")
    for k, v in machine.items():
        add(f"| {k} | {v} |")
    add("")

    # Targets.
    add("## Targets\n")
    add("Measured in this run, kvd with the SQLite store unless stated, 100 B "
        "values.\n")
    add("| target | measured | goal | result |\n|---|---|---|---|")
    targets = []

    def target(name, value, goal, ok):
        shown = "–" if value is None else value
        verdict = "not measured" if ok is None else ("met" if ok else "missed")
        targets.append((name, shown, goal, verdict))

    noop64 = bench.find("kvd-noop", "noop", 64, 100)
    for op, etcd_name in (("get", "serializable Range"),
                          ("exists", "serializable Range (count_only)")):
        kvd = bench.find("kvd-sqlite", op, 64, 100)
        etcd = bench.find("etcd", op, 64, 100)
        r1 = ratio(kvd and kvd["rpc_per_s"], noop64 and noop64["rpc_per_s"])
        r2 = ratio(kvd and kvd["rpc_per_s"], etcd and etcd["rpc_per_s"])
        target(f"{op.capitalize()}, 64 in flight / 4 channels ÷ no-op ceiling",
               fmt_target_ratio(r1), "≥ 0.90", None if r1 is None else r1 >= 0.90)
        target(f"{op.capitalize()}, 64 in flight ÷ etcd {etcd_name}",
               fmt_target_ratio(r2), "≥ 2", None if r2 is None else r2 >= 2)
    kvd = bench.find("kvd-sqlite", "set", 64, 100)
    etcd = bench.find("etcd", "set", 64, 100)
    r1 = ratio(kvd and kvd["rpc_per_s"], noop64 and noop64["rpc_per_s"])
    r2 = ratio(kvd and kvd["rpc_per_s"], etcd and etcd["rpc_per_s"])
    target("Set (fsync), 64 in flight ÷ no-op ceiling", fmt_target_ratio(r1),
           "≥ 0.75", None if r1 is None else r1 >= 0.75)
    target("Set (fsync), 64 in flight ÷ etcd Put", fmt_target_ratio(r2), "≥ 2",
           None if r2 is None else r2 >= 2)
    get1 = bench.find("kvd-sqlite", "get", 1, 100)
    noop1 = bench.find("kvd-noop", "noop", 1, 100)
    r = ratio(get1 and get1["latency_us"]["p50"],
              noop1 and noop1["latency_us"]["p50"])
    target("Get, 1 in flight: p50 ÷ no-op p50",
           fmt_target_ratio(r, at_least=False), "≤ 1.2",
           None if r is None else r <= 1.2)
    if large:
        r = ratio(large["large"]["rpc_per_s"], large["small"]["rpc_per_s"])
        target(f"Get throughput, {large['large_keys']:,}-key store ÷ "
               f"{large['small_keys']:,}-key store (64 in flight)",
               fmt_target_ratio(r), "≥ 0.90", None if r is None else r >= 0.90)
    if memory:
        # MB = 10^6 bytes (the stricter reading), rounded up.
        idle = memory["idle_rss"] / 1e6
        peak = memory["peak"] / 1e6
        shown = lambda mb: f"{math.ceil(mb * 10 - 1e-9) / 10:.1f} MB"
        target("kvd RSS idle (VmRSS)", shown(idle), "≤ 30 MB", idle <= 30)
        target("kvd peak RSS, 256 in flight, 4 KiB Get and Set (VmHWM)",
               shown(peak), "≤ 100 MB", peak <= 100)
    set64 = bench.find("kvd-sqlite", "set", 64, 100, atomic=True)
    incr64 = bench.find("kvd-sqlite", "increment", 64, 100)
    r = ratio(set64 and set64["rpc_per_s"], incr64 and incr64["rpc_per_s"])
    target("Increment cost ÷ Set cost (SQLite fsync, 64 in flight; Set RPC/s "
           "÷ Increment RPC/s)", fmt_target_ratio(r, at_least=False), "≤ 1.2",
           None if r is None else r <= 1.2)
    set1 = bench.find("kvd-sqlite", "set", 1, 100, atomic=True)
    many1 = bench.find("kvd-sqlite", "set_many", 1, 100)
    r = ratio(many1 and many1.get("keys_per_s"), set1 and set1["rpc_per_s"])
    target(f"SetMany of {BATCH} keys, 1 in flight: keys/s ÷ single Sets' "
           "keys/s (SQLite fsync)", fmt_target_ratio(r), "≥ 10",
           None if r is None else r >= 10)
    for row in targets:
        add("| " + " | ".join(row) + " |")
    add("")
    add_atomic_section(add, bench)
    if expiry:
        lines.extend(expiry_listing_lines(bench, expiry,
                                          (load_before, load_after), command))
    if large:
        add(f"The key-count comparison uses two SQLite stores in one kvd with "
            f"durability `os` (only to write {large['large_keys']:,} keys "
            f"quickly; reads do not depend on it), Get at 64 in flight over "
            f"4 channels, 100 B values: {fmt_rate(large['small'])} RPC/s "
            f"with {large['small_keys']:,} keys, {fmt_rate(large['large'])} "
            f"RPC/s with {large['large_keys']:,}.\n")
    if memory:
        add(f"Memory: a fresh kvd (default config) was sampled from "
            f"`/proc/PID/status` (MB = 10^6 bytes): VmRSS "
            f"{memory['idle_rss'] / 1e6:.1f} MB idle; then "
            f"{memory['keys']:,} keys of 4 KiB were written, and Get and Set "
            f"ran at 256 in flight: highest sampled VmRSS "
            f"{memory['max_rss'] / 1e6:.1f} MB, VmHWM "
            f"{memory['hwm'] / 1e6:.1f} MB.\n")

    # Where the time goes: a hand-written profile analysis, kept beside the
    # script because it is not generated (it names its own run).
    notes = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                         "profile_notes.md")
    if os.path.exists(notes) and not args.quick:
        with open(notes) as f:
            add(f.read().rstrip("\n") + "\n")

    # Absolute figures.
    add("## Results\n")
    add("Each cell: calls per second · p50 / p99 latency. Columns: calls in "
        "flight.\n")
    labels = [("kvd-sqlite", "kvd, SQLite (fsync)"),
              ("kvd-redis", "kvd, Redis"),
              ("etcd", "etcd (serializable / Put)"),
              ("sqlite-raw", "raw SQLite, in process"),
              ("sqlite-raw-batch", "raw SQLite, 100 upserts per commit")]
    header = "| | " + " | ".join(str(d) for d in depths) + " |"
    sep = "|---|" + "---|" * len(depths)
    add("### gRPC no-op ceiling (health Check)\n")
    add(header)
    add(sep)
    add("| kvd | " + " | ".join(fmt_cell(bench.find("kvd-noop", "noop", d, 100))
                               for d in depths) + " |")
    add("| etcd | " + " | ".join(fmt_cell(bench.find("etcd", "noop", d, 100))
                                for d in depths) + " |")
    add("")
    for op, op_sizes in (("get", sizes), ("set", sizes), ("exists", [100]),
                         ("mixed", [s for s in sizes if s < MIB]),
                         ("get_keys", [100])):
        for size in op_sizes:
            rows = []
            for label, name in labels:
                cells = [bench.find(label, op, d, size) for d in depths]
                if any(cells):
                    rows.append(f"| {name} | " +
                                " | ".join(fmt_cell(c) for c in cells) + " |")
            if not rows:
                continue
            what = {"mixed": "mixed (90% Get, 10% Set)",
                    "get_keys": f"get_keys (all {args.keys_for_get_keys:,} keys)"
                    }.get(op, op)
            add(f"### {what}, {size_name(size)} values\n")
            add(header)
            add(sep)
            lines.extend(rows)
            add("")

    # Ratios.
    add("## Ratios\n")
    add("kvd (SQLite) calls per second divided by the gRPC no-op ceiling on "
        "the same kvd, by etcd, and by raw SQLite, at the same depth and "
        "value size.\n")
    add("| operation | value | in flight | kvd RPC/s | ÷ no-op | ÷ etcd | "
        "÷ raw SQLite | kvd (Redis) ÷ no-op |")
    add("|---|---|---|---|---|---|---|---|")
    for op in ("get", "set", "exists", "mixed"):
        for size in sizes:
            for d in depths:
                kvd = bench.find("kvd-sqlite", op, d, size)
                if kvd is None:
                    continue
                noop = bench.find("kvd-noop", "noop", d, 100)
                etcd = bench.find("etcd", op, d, size)
                raw = bench.find("sqlite-raw", op, d, size)
                redis = bench.find("kvd-redis", op, d, size)
                rate = lambda r: r and r["rpc_per_s"]
                add(f"| {op} | {size_name(size)} | {d} | {fmt_rate(kvd)} | "
                    f"{fmt_ratio(ratio(rate(kvd), rate(noop)))} | "
                    f"{fmt_ratio(ratio(rate(kvd), rate(etcd)))} | "
                    f"{fmt_ratio(ratio(rate(kvd), rate(raw)))} | "
                    f"{fmt_ratio(ratio(rate(redis), rate(noop)))} |")
    add("")

    if redis_rows:
        add("## Reference: redis-benchmark (RESP, not gRPC)\n")
        add("`redis-benchmark -t get,set -c N -d SIZE` against the same "
            "private Redis: N connections, one request outstanding on each. "
            "Requests per second · p50 / p99 latency.\n")
        add("| operation | value | " + " | ".join(str(d) for d in depths) + " |")
        add("|---|---|" + "---|" * len(depths))
        for op in ("get", "set"):
            for size in sorted({r["value"] for r in redis_rows}):
                cells = []
                for d in depths:
                    row = next((r for r in redis_rows if r["op"] == op and
                                r["value"] == size and r["in_flight"] == d), None)
                    cells.append("–" if row is None else
                                 f"{row['rps']:,.0f} · "
                                 f"{fmt_latency(row['p50_ms'] * 1000)} / "
                                 f"{fmt_latency(row['p99_ms'] * 1000)}")
                add(f"| {op} | {size_name(size)} | " + " | ".join(cells) + " |")
        add("")

    failed = [r for r in bench.results if "failed" in r]
    if failed:
        add("## Cells that failed\n")
        for r in failed:
            add(f"- {r['label']} {r['op']} ×{r['in_flight_cell']} "
                f"{size_name(r['value_cell'])}: {r['failed']}")
        add("")
    with open(path, "w") as f:
        f.write("\n".join(lines))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kv-bench", required=True)
    parser.add_argument("--kvd", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--command", required=True,
                        help="the command line to show in the report")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--duration", default=None)
    parser.add_argument("--warmup", default=None)
    parser.add_argument("--results", help="also write every JSON report here")
    parser.add_argument("--only", choices=["expiry-listing"],
                        help="run only this section and replace it in --out")
    args = parser.parse_args()
    if args.only:
        return main_expiry_listing(args)

    if args.quick:
        depths, sizes = [1, 64], [100, 4 * KIB]
        args.duration = args.duration or "1s"
        args.warmup = args.warmup or "500ms"
        args.keys, args.big_keys = 1000, 20
        large_keys, memory_keys = 100_000, 2000
    else:
        depths, sizes = [1, 16, 64, 256], [100, 4 * KIB, MIB]
        args.duration = args.duration or "3s"
        args.warmup = args.warmup or "1s"
        args.keys, args.big_keys = 10_000, 100
        large_keys, memory_keys = 1_000_000, 10_000
    args.keys_for_get_keys = args.keys

    started = time.time()
    load_before = " ".join(open("/proc/loadavg").read().split()[:3])
    tmp = tempfile.mkdtemp(prefix="kvd-bench.")
    servers = Servers(tmp, args.kvd)
    bench = Bench(args.kv_bench, args.duration, args.warmup)
    memory = large = expiry = None
    redis_rows = []
    try:
        log(f"data in {tmp}")
        etcd = servers.start_etcd()
        redis_port = servers.start_redis()
        _, kvd = servers.start_kvd("kvd", f"""
[key_value_store.default]
type = "sqlite"
durability = "fsync"

[key_value_store.redis]
type = "redis"
url = "redis://127.0.0.1:{redis_port}/0"
""")
        kvd_sqlite = ["--target=kvd", f"--address={kvd}", "--store=default"]
        kvd_redis = ["--target=kvd", f"--address={kvd}", "--store=redis"]
        etcd_args = ["--target=etcd", f"--address={etcd}"]
        raw_db = os.path.join(tmp, "raw.db")
        raw = ["--target=sqlite-raw", f"--db={raw_db}"]
        raw_batch = raw + ["--sqlite-batch=100"]

        for d in depths:
            bench.run("kvd-noop", kvd_sqlite, "noop", d, 100)
            bench.run("etcd", etcd_args, "noop", d, 100)

        targets = [("kvd-sqlite", kvd_sqlite), ("kvd-redis", kvd_redis),
                   ("etcd", etcd_args), ("sqlite-raw", raw)]
        for size in sizes:
            keys = args.big_keys if size >= MIB else args.keys
            for label, target_args in targets:
                bench.preload(label, target_args, keys, size)
                for d in depths:
                    bench.run(label, target_args, "get", d, size, keys)
                if size == 100:
                    for d in depths:
                        bench.run(label, target_args, "exists", d, size, keys)
                if size < MIB and label != "sqlite-raw":
                    for d in depths:
                        bench.run(label, target_args, "mixed", d, size, keys)
                # SQLite has one writer at a time: raw writes from several
                # threads would only measure its lock's back-off, so raw
                # SQLite writes from one thread.
                for d in ([1] if label == "sqlite-raw" else depths):
                    bench.run(label, target_args, "set", d, size, keys)
                if label == "sqlite-raw":
                    bench.run("sqlite-raw-batch", raw_batch, "set", 1, size,
                              keys)
            if size == 100:
                # The stores hold args.keys keys of 100 B at this point.
                for label, target_args in targets:
                    for d in depths:
                        bench.run(label, target_args, "get_keys", d, 100,
                                  args.keys)

        # kvd's own operations: counters, conditional writes, and batches of
        # BATCH keys against single calls, on args.keys keys of 100 B (written
        # again: the size loop left larger values).
        for label, target_args in targets[:2]:
            bench.preload(label, target_args, args.keys, 100)
            for d in ATOMIC_DEPTHS:
                bench.run(label, target_args, "increment", d, 100, args.keys)
                bench.run(label, target_args, "conditional_set", d, 100,
                          args.keys)
                bench.run(label, target_args, "set", d, 100, args.keys,
                          atomic=True)
                for op in ("set_many", "get_many"):
                    bench.run(label, target_args, op, d, 100, args.keys,
                              flags=(f"--batch-size={BATCH}",))

        redis_rows = redis_benchmark(redis_port, depths, sizes, args.quick)
        servers.stop()

        # A large store against a small one, in one kvd.
        _, kvd = servers.start_kvd("kvd-keys", """
[key_value_store.small]
type = "sqlite"
durability = "os"

[key_value_store.large]
type = "sqlite"
durability = "os"
""")
        small_args = ["--target=kvd", f"--address={kvd}", "--store=small"]
        large_args = ["--target=kvd", f"--address={kvd}", "--store=large"]
        bench.preload("kvd-small", small_args, 1000, 100)
        bench.preload("kvd-large", large_args, large_keys, 100)
        large = {
            "small_keys": 1000, "large_keys": large_keys,
            "small": bench.run("kvd-small", small_args, "get", 64, 100, 1000),
            "large": bench.run("kvd-large", large_args, "get", 64, 100,
                               large_keys),
        }
        if "failed" in large["small"] or "failed" in large["large"]:
            large = None
        servers.stop()

        # Memory of a fresh kvd with the default config.
        process, kvd = servers.start_kvd("kvd-mem", "")
        time.sleep(2)
        idle = proc_status(process.pid)
        mem_args = ["--target=kvd", f"--address={kvd}"]
        max_rss = [0]
        sampling = threading.Event()

        def sample():
            while not sampling.is_set():
                max_rss[0] = max(max_rss[0], proc_status(process.pid)["VmRSS"])
                time.sleep(0.05)

        sampler = threading.Thread(target=sample)
        sampler.start()
        bench.preload("kvd-mem", mem_args, memory_keys, 4 * KIB)
        bench.run("kvd-mem", mem_args, "get", 256, 4 * KIB, memory_keys)
        bench.run("kvd-mem", mem_args, "set", 256, 4 * KIB, memory_keys)
        sampling.set()
        sampler.join()
        status = proc_status(process.pid)
        memory = {"idle_rss": idle["VmRSS"], "max_rss": max_rss[0],
                  "hwm": status["VmHWM"], "keys": memory_keys,
                  "peak": max(max_rss[0], status["VmHWM"])}
        servers.stop()

        expiry = run_expiry_listing(servers, bench, args.quick)
        load_after = " ".join(open("/proc/loadavg").read().split()[:3])
        machine = machine_details(tmp)
    finally:
        servers.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    if args.results:
        with open(args.results, "w") as f:
            for r in bench.results:
                f.write(json.dumps(r) + "\n")
    write_report(args.out, args, bench, redis_rows, memory, large, machine,
                 load_before, load_after, time.time() - started, args.command,
                 depths, sizes, expiry)
    log(f"wrote {args.out} ({(time.time() - started) / 60:.1f} minutes)")
    failed = [r for r in bench.results if "failed" in r]
    return 1 if failed else 0


def main_expiry_listing(args):
    """--only=expiry-listing: the expiry and listing cells alone, spliced
    into the report at --out (which keeps its other sections)."""
    args.duration = args.duration or ("1s" if args.quick else "3s")
    args.warmup = args.warmup or ("500ms" if args.quick else "1s")
    started = time.time()
    load_before = " ".join(open("/proc/loadavg").read().split()[:3])
    tmp = tempfile.mkdtemp(prefix="kvd-bench.")
    servers = Servers(tmp, args.kvd)
    bench = Bench(args.kv_bench, args.duration, args.warmup)
    try:
        log(f"data in {tmp}")
        sizes = run_expiry_listing(servers, bench, args.quick)
        load_after = " ".join(open("/proc/loadavg").read().split()[:3])
    finally:
        servers.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    if args.results:
        with open(args.results, "w") as f:
            for r in bench.results:
                f.write(json.dumps(r) + "\n")
    section = expiry_listing_lines(bench, sizes, (load_before, load_after),
                                   args.command)
    if not os.path.exists(args.out):
        with open(args.out, "w") as f:
            f.write("# kvd benchmarks\n\n")
    splice_expiry_listing(args.out, section)
    log(f"wrote the expiry and listing section of {args.out} "
        f"({(time.time() - started) / 60:.1f} minutes)")
    failed = [r for r in bench.results if "failed" in r]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
