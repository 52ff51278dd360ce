// clients/SCENARIO.md, the client conformance scenario, for the Node client.
// Runs against the kvd at $KVD_ADDR (clients/testing/with_kvd.sh starts one):
//   clients/testing/with_kvd.sh node --test clients/node/dist/
// Rows run in order and share state, as the table says. The table runs twice:
// with plain calls, and with every call given CallOptions (a live AbortSignal
// and a per-call timeoutMs); then the Node rows: aborted calls against kvd.
// Rows 22-49 delete the keys they wrote at the end, so the second run starts
// as the first.

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { after, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";

import {
  type CallOptions,
  type OpenOptions,
  AbortedError,
  Capability,
  ConditionFailedError,
  Durability,
  ErrorCode,
  GrpcStatus,
  InvalidStoreError,
  IoError,
  KvError,
  NoSuchKeyError,
  NoSuchStoreError,
  NotAnIntegerError,
  OutOfRangeError,
  Store,
  StoreTableFullError,
  isAborted,
  isBackendUnavailable,
  isConditionFailed,
  isInvalidArgument,
  isInvalidStore,
  isKvError,
  isNoSuchKey,
  isNoSuchStore,
  isNotAnInteger,
  isOutOfRange,
  isServerUnavailable,
  isStoreTableFull,
} from "./index.js";

const P = "scenario-node/";
const MiB = 1024 * 1024;
// Row 38's attempts per update. Eight callers writing one key keep colliding
// for the whole row; on a loaded machine an update has needed up to 13
// attempts (the default is 10), and the row checks that no update is lost,
// not how many attempts one takes.
const RACE_ATTEMPTS = 100;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
// Row 40: kvd runs on this machine, so its clock and ours agree to this.
const CLOCK_SLACK_MS = 5_000;
// Rows 46-47: the 25 keys under P + "list/", in byte order.
const LISTED = Array.from({ length: 25 }, (_, i) => `${P}list/${String(i).padStart(2, "0")}`);

if (!process.env["KVD_ADDR"]) {
  throw new Error("KVD_ADDR is not set; run under clients/testing/with_kvd.sh");
}

/** Awaits `promise`, which must reject with a KvError, and returns it. */
async function kvErrorOf(promise: Promise<unknown>): Promise<KvError> {
  try {
    await promise;
  } catch (e) {
    assert.ok(e instanceof KvError, `expected a KvError, got ${String(e)}`);
    return e;
  }
  assert.fail("expected the call to fail");
}

function expectError(e: KvError, code: ErrorCode, grpcCode: GrpcStatus): void {
  assert.equal(e.code, code, `ErrorCode of ${e.message}`);
  assert.equal(e.grpcCode, grpcCode, `gRPC code of ${e.message} (${e.grpcCodeName})`);
}

function bytes(...values: number[]): Uint8Array {
  return Uint8Array.from(values);
}

function text(value: Uint8Array): string {
  return Buffer.from(value).toString("utf8");
}

/** Checks a CONDITION_FAILED error: gRPC ABORTED, the key's current revision, the key in the message. */
function expectConditionFailed(e: KvError, current: bigint, key: string): void {
  expectError(e, ErrorCode.CONDITION_FAILED, GrpcStatus.ABORTED);
  assert.ok(isConditionFailed(e));
  assert.ok(e instanceof ConditionFailedError);
  assert.equal(e.currentRevision, current, `current revision of ${e.message}`);
  assert.ok(e.message.includes(key), `${e.message} names ${key}`);
}

/** The table of clients/SCENARIO.md, every call given `c` (Store.open: `oc`). */
function scenario(title: string, c: CallOptions | undefined, oc: OpenOptions | undefined): void {
  describe(title, () => {
    let store: Store;
    let mem: Store | undefined;
    const held: Store[] = [];

    // Rows 22-49: the store of row 21, and what earlier rows wrote.
    let rows: Store | undefined;
    const seen: bigint[] = [];
    let r1 = 0n;
    let r2 = 0n;
    let m1 = 0n;
    let m2 = 0n;
    let firstToken = "";

    after(async () => {
      for (const s of held) await s.close(c).catch(() => {});
      // The table runs twice on one kvd: rows 22-49 must find their keys absent.
      const written = ["rev", "new", "counter", "text", "max", "m1", "m2", "m3", "upd", "upd-race", "upd-lost"];
      written.push("ttl", "ttl-n", "short", "bad-ttl", "b1", "b2", "list0", "lis");
      for (const k of written) await rows?.delete(P + k, c).catch(() => {});
      await rows?.deleteMany(LISTED, c).catch(() => {});
      await rows?.close(c).catch(() => {});
    });

    test("1 open(default) gives a store whose handle is not 0", async () => {
      store = await Store.open("default", oc);
      assert.equal(store.name, "default");
      assert.notEqual(store.handle, 0);
    });

    test("2 set then get", async () => {
      await store.set(P + "plain", "hello", c);
      assert.equal(text(await store.get(P + "plain", c)), "hello");
    });

    test("3 overwrite", async () => {
      await store.set(P + "plain", "again", c);
      assert.equal(text(await store.get(P + "plain", c)), "again");
    });

    test("4 binary value round-trips exactly", async () => {
      const value = bytes(0x00, 0x01, 0x00, 0xff, 0x00);
      await store.set(P + "binary", value, c);
      assert.deepEqual(new Uint8Array(await store.get(P + "binary", c)), value);
    });

    test("5 empty value is a value, not an error", async () => {
      await store.set(P + "empty", "", c);
      const value = await store.get(P + "empty", c);
      assert.equal(value.length, 0);
      assert.equal(await store.getOrNull(P + "empty", c) !== null, true);
    });

    test("6 1 MiB value round-trips exactly", async () => {
      const big = new Uint8Array(MiB);
      for (let i = 0; i < big.length; i++) big[i] = i % 251;
      await store.set(P + "big", big, c);
      const got = await store.get(P + "big", c);
      assert.equal(got.length, 1_048_576);
      assert.ok(Buffer.from(got).equals(Buffer.from(big)), "1 MiB value differs");
    });

    test("7 UTF-8 key", async () => {
      await store.set(P + "ключ/キー/🔑", "utf8", c);
      assert.equal(text(await store.get(P + "ключ/キー/🔑", c)), "utf8");
    });

    test("8 exists", async () => {
      assert.equal(await store.exists(P + "plain", c), true);
      assert.equal(await store.exists(P + "missing", c), false);
    });

    test("9 get of a missing key: NO_SUCH_KEY, NOT_FOUND, message names the key", async () => {
      const e = await kvErrorOf(store.get(P + "missing", c));
      expectError(e, ErrorCode.NO_SUCH_KEY, GrpcStatus.NOT_FOUND);
      assert.ok(isNoSuchKey(e));
      assert.ok(e instanceof NoSuchKeyError);
      assert.equal(isNoSuchStore(e), false);
      assert.match(e.message, /scenario-node\/missing/);
      assert.equal(await store.getOrNull(P + "missing", c), null);
    });

    test("10 delete, then delete again", async () => {
      await store.delete(P + "plain", c);
      assert.equal(await store.exists(P + "plain", c), false);
      await store.delete(P + "plain", c);
    });

    test("11 getKeys", async () => {
      const keys = (await store.getKeys(c)).filter((k) => k.startsWith(P));
      assert.deepEqual(
        [...keys].sort(),
        [P + "big", P + "binary", P + "empty", P + "ключ/キー/🔑"].sort(),
      );
    });

    test("12 setJson then getJson", async () => {
      const value = { a: 1, b: [true, null, "x"] };
      await store.setJson(P + "json", value, c);
      assert.deepEqual(await store.getJson(P + "json", c), value);
      await store.delete(P + "json", c);
    });

    test("13 stores are separate", async () => {
      mem = await Store.open("mem", oc);
      const e = await kvErrorOf(mem.get(P + "big", c));
      expectError(e, ErrorCode.NO_SUCH_KEY, GrpcStatus.NOT_FOUND);
    });

    test("14 open of an undefined store: NO_SUCH_STORE, NOT_FOUND", async () => {
      const e = await kvErrorOf(Store.open("no-such-store", oc));
      expectError(e, ErrorCode.NO_SUCH_STORE, GrpcStatus.NOT_FOUND);
      assert.ok(isNoSuchStore(e));
      assert.ok(e instanceof NoSuchStoreError);
      assert.equal(isNoSuchKey(e), false);
    });

    test("15 open of a store whose backend is down: IO, UNAVAILABLE, message names it", async () => {
      const e = await kvErrorOf(Store.open("broken", oc));
      expectError(e, ErrorCode.IO, GrpcStatus.UNAVAILABLE);
      assert.ok(isBackendUnavailable(e));
      assert.ok(e instanceof IoError);
      assert.equal(isServerUnavailable(e), false);
      assert.match(e.message, /broken/);
    });

    test("16 key over 256 bytes: IO, INVALID_ARGUMENT", async () => {
      const e = await kvErrorOf(store.set(P + "k".repeat(257), "v", c));
      expectError(e, ErrorCode.IO, GrpcStatus.INVALID_ARGUMENT);
      assert.ok(isInvalidArgument(e));
    });

    test("17 value over 1 MiB: IO, INVALID_ARGUMENT", async () => {
      const e = await kvErrorOf(store.set(P + "too-big", new Uint8Array(MiB + 1), c));
      expectError(e, ErrorCode.IO, GrpcStatus.INVALID_ARGUMENT);
    });

    test("18 a closed store: INVALID_STORE, FAILED_PRECONDITION", async () => {
      await store.close(c);
      const e = await kvErrorOf(store.get(P + "big", c));
      expectError(e, ErrorCode.INVALID_STORE, GrpcStatus.FAILED_PRECONDITION);
      assert.ok(isInvalidStore(e));
      assert.ok(e instanceof InvalidStoreError);
    });

    test("18b a handle kvd does not know: INVALID_STORE, FAILED_PRECONDITION from kvd", async () => {
      // Row 18 above is answered by the client, which knows it closed the
      // store. Here kvd answers: a second Store on the same handle.
      const other = await Store.open("default", oc);
      const stale = Object.create(Store.prototype, {
        ...Object.getOwnPropertyDescriptors(other),
        handle: { value: store.handle },
      }) as Store;
      const e = await kvErrorOf(stale.get(P + "big", c));
      expectError(e, ErrorCode.INVALID_STORE, GrpcStatus.FAILED_PRECONDITION);
      assert.match(e.message, new RegExp(`\\b${store.handle}\\b`));
      await other.close(c);
    });

    test("19 close again is not an error", async () => {
      await store.close(c);
    });

    test("20 open(default) 300 times: 256 succeed, then STORE_TABLE_FULL", async () => {
      await mem?.close(c);
      const failures: KvError[] = [];
      for (let i = 1; i <= 300; i++) {
        try {
          held.push(await Store.open("default", oc));
          assert.ok(i <= 256, `open ${i} succeeded; the limit is 256`);
        } catch (e) {
          if (!isKvError(e)) throw e;
          assert.ok(i > 256, `open ${i} failed: ${e.message}`);
          failures.push(e);
        }
      }
      assert.equal(held.length, 256);
      assert.equal(failures.length, 44);
      for (const e of failures) {
        expectError(e, ErrorCode.STORE_TABLE_FULL, GrpcStatus.RESOURCE_EXHAUSTED);
        assert.ok(isStoreTableFull(e));
        assert.ok(e instanceof StoreTableFullError);
      }
    });

    test("21 after closing the 256, open(default) succeeds", async () => {
      while (held.length > 0) await held.pop()!.close(c);
      rows = await Store.open("default", oc);
      assert.notEqual(rows.handle, 0);
      assert.equal(await rows.exists(P + "big", c), true);
    });

    test("22 set returns a revision r1 > 0; getEntry gives the value and r1", async () => {
      r1 = await rows!.setWithRevision(P + "rev", "a", c);
      assert.equal(typeof r1, "bigint");
      assert.ok(r1 > 0n);
      const entry = await rows!.getEntry(P + "rev", c);
      assert.equal(text(entry.value), "a");
      assert.equal(entry.revision, r1);
      seen.push(r1);
    });

    test("23 set with ifRevision r1 succeeds with r2 > r1", async () => {
      r2 = await rows!.setWithRevision(P + "rev", "b", { ...c, ifRevision: r1 });
      assert.ok(r2 > r1, `${r2} > ${r1}`);
      seen.push(r2);
    });

    test("24 a stale ifRevision: CONDITION_FAILED, ABORTED, current revision r2; the value is unchanged", async () => {
      const e = await kvErrorOf(rows!.set(P + "rev", "c", { ...c, ifRevision: r1 }));
      expectConditionFailed(e, r2, P + "rev");
      assert.equal(text(await rows!.get(P + "rev", c)), "b");
    });

    test("25 create-only (ifRevision 0), twice: a revision n, then CONDITION_FAILED at n", async () => {
      const n = await rows!.setWithRevision(P + "new", "x", { ...c, ifRevision: 0 });
      assert.ok(n > 0n);
      seen.push(n);
      const e = await kvErrorOf(rows!.setWithRevision(P + "new", "x", { ...c, ifRevision: 0n }));
      expectConditionFailed(e, n, P + "new");
    });

    test("26 delete with a stale ifRevision fails; with r2 it deletes", async () => {
      const e = await kvErrorOf(rows!.delete(P + "rev", { ...c, ifRevision: r1 }));
      expectConditionFailed(e, r2, P + "rev");
      const deleted = await rows!.deleteWithRevision(P + "rev", { ...c, ifRevision: r2 });
      assert.ok(deleted > r2, `${deleted} > ${r2}`);
      seen.push(deleted);
      assert.equal(await rows!.exists(P + "rev", c), false);
    });

    test("27 delete of a key never there: revision 0", async () => {
      assert.equal(await rows!.deleteWithRevision(P + "never-there", c), 0n);
    });

    test("28 increment 5, then -7: 5 and -2, each with a revision; get gives \"-2\"", async () => {
      const first = await rows!.incrementEntry(P + "counter", 5, c);
      const second = await rows!.incrementEntry(P + "counter", -7n, c);
      assert.equal(first.value, 5n);
      assert.equal(second.value, -2n);
      assert.ok(first.revision > 0n && second.revision > first.revision);
      seen.push(first.revision, second.revision);
      assert.equal(text(await rows!.get(P + "counter", c)), "-2");
      assert.equal(await rows!.increment(P + "counter", 0, c), -2n); // the plain form: the value
      seen.push((await rows!.getEntry(P + "counter", c)).revision);
    });

    test("29 increment of text: NOT_AN_INTEGER, FAILED_PRECONDITION; the value is unchanged", async () => {
      seen.push(await rows!.setWithRevision(P + "text", "abc", c));
      const e = await kvErrorOf(rows!.increment(P + "text", 1, c));
      expectError(e, ErrorCode.NOT_AN_INTEGER, GrpcStatus.FAILED_PRECONDITION);
      assert.ok(isNotAnInteger(e) && e instanceof NotAnIntegerError);
      assert.equal(text(await rows!.get(P + "text", c)), "abc");
    });

    test("30 increment past int64: OUT_OF_RANGE; the value is unchanged", async () => {
      seen.push(await rows!.setWithRevision(P + "max", "9223372036854775807", c));
      const e = await kvErrorOf(rows!.increment(P + "max", 1, c));
      expectError(e, ErrorCode.OUT_OF_RANGE, GrpcStatus.OUT_OF_RANGE);
      assert.ok(isOutOfRange(e) && e instanceof OutOfRangeError);
      assert.equal(text(await rows!.get(P + "max", c)), "9223372036854775807");
    });

    test("31 setMany of m1, m2: two revisions, m1's < m2's", async () => {
      const revisions = await rows!.setMany(
        [
          { key: P + "m1", value: "1" },
          { key: P + "m2", value: "2" },
        ],
        c,
      );
      assert.equal(revisions.length, 2);
      [m1, m2] = revisions as [bigint, bigint];
      assert.ok(m1 < m2);
      seen.push(m1, m2);
    });

    test("32 getMany in request order, with the absent key not found", async () => {
      const entries = await rows!.getMany([P + "m2", P + "absent", P + "m1"], c);
      assert.deepEqual(
        entries.map((e) => [e.key, e.found, e.value === null ? null : text(e.value), e.revision]),
        [
          [P + "m2", true, "2", m2],
          [P + "absent", false, null, 0n],
          [P + "m1", true, "1", m1],
        ],
      );
    });

    test("33 setMany with a stale entry: CONDITION_FAILED naming m2; nothing applied", async () => {
      const e = await kvErrorOf(
        rows!.setMany(
          [
            { key: P + "m1", value: "x" },
            { key: P + "m3", value: "3", ifRevision: 0 },
            { key: P + "m2", value: "y", ifRevision: m1 },
          ],
          c,
        ),
      );
      expectConditionFailed(e, m2, P + "m2");
      assert.equal(e.failedIndex, 2);
      const after = await rows!.getMany([P + "m1", P + "m3"], c);
      assert.deepEqual(
        after.map((x) => [x.found, x.value === null ? null : text(x.value)]),
        [
          [true, "1"],
          [false, null],
        ],
      );
    });

    test("34 a key twice in setMany or getMany: IO, INVALID_ARGUMENT, the key appears twice", async () => {
      // Thunks, so each call starts only when awaited: a second call already
      // in flight would reject unhandled while the first is awaited.
      for (const call of [
        () =>
          rows!.setMany(
            [
              { key: P + "dup", value: "1" },
              { key: P + "dup", value: "2" },
            ],
            c,
          ),
        () => rows!.getMany([P + "dup", P + "dup"], c),
      ]) {
        const e = await kvErrorOf(call());
        expectError(e, ErrorCode.IO, GrpcStatus.INVALID_ARGUMENT);
        assert.ok(isInvalidArgument(e));
        assert.ok(e.message.includes(P + "dup") && /twice/.test(e.message), e.message);
      }
      assert.equal(await rows!.exists(P + "dup", c), false);
    });

    test("35 deleteMany: revisions > 0, 0, > 0; both keys gone", async () => {
      const revisions = await rows!.deleteMany([P + "m1", P + "absent", P + "m2"], c);
      assert.equal(revisions.length, 3);
      assert.ok(revisions[0]! > 0n && revisions[1] === 0n && revisions[2]! > 0n, String(revisions));
      seen.push(...revisions);
      assert.equal(await rows!.exists(P + "m1", c), false);
      assert.equal(await rows!.exists(P + "m2", c), false);
    });

    test("36 describe: default, sqlite, DISK, 256/1048576/1000, a revision >= every one seen", async () => {
      const info = await rows!.describe(c);
      assert.equal(info.name, "default");
      assert.equal(info.driver, "sqlite");
      assert.equal(info.durability, Durability.DISK);
      assert.equal(info.limits.maxKeyBytes, 256);
      assert.equal(info.limits.maxValueBytes, 1048576);
      assert.equal(info.limits.maxBatchEntries, 1000);
      assert.ok(seen.length > 0, "rows 22-35 recorded no revision");
      const highest = seen.reduce((a, b) => (a > b ? a : b));
      assert.ok(info.revision >= highest, `${info.revision} >= ${highest}`);
      for (const capability of [Capability.REVISIONS, Capability.CONDITIONAL_WRITES, Capability.INCREMENT, Capability.ATOMIC_BATCHES]) {
        assert.ok(info.capabilities.includes(capability), `${capability} in ${info.capabilities.join(", ")}`);
      }
      assert.equal(info.readOnly, false);
    });

    test("37 update twice: \"start\", then \"start!\", revisions increasing", async () => {
      const bang = (v: Uint8Array | null) => (v === null ? "start" : text(v) + "!");
      const first = await rows!.update(P + "upd", bang, c);
      assert.equal(text(await rows!.get(P + "upd", c)), "start");
      const second = await rows!.update(P + "upd", bang, c);
      assert.ok(second > first);
      assert.equal(text(await rows!.get(P + "upd", c)), "start!");
    });

    test("38 update from 8 concurrent callers, 10 times each: \"80\"", async () => {
      const addOne = (v: Uint8Array | null) => String(Number(v === null ? "0" : text(v)) + 1);
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          for (let i = 0; i < 10; i++) await rows!.update(P + "upd-race", addOne, { ...c, maxAttempts: RACE_ATTEMPTS });
        }),
      );
      assert.equal(text(await rows!.get(P + "upd-race", c)), "80");
    });

    test("39 update whose key is written behind its back: maxAttempts 1 fails, 3 succeeds", async () => {
      const key = P + "upd-lost";
      const interfering = (results: string[]) => async (v: Uint8Array | null) => {
        if (results.length === 0) await rows!.set(key, "other", c); // the first call only
        results.push(`${v === null ? "" : text(v)}+${results.length + 1}`);
        return results.at(-1)!;
      };
      const once: string[] = [];
      const e = await kvErrorOf(rows!.update(key, interfering(once), { ...c, maxAttempts: 1 }));
      expectConditionFailed(e, (await rows!.getEntry(key, c)).revision, key);
      assert.deepEqual(once, ["+1"]);
      const thrice: string[] = [];
      await rows!.update(key, interfering(thrice), { ...c, maxAttempts: 3 });
      assert.deepEqual(thrice, ["other+1", "other+2"]);
      assert.equal(text(await rows!.get(key, c)), thrice[1]);
    });

    /** `expireTime` is a Date within an hour of a write made between `before` and `after` (ms), give or take the slack. */
    function expectExpiresInAnHour(expireTime: Date | null, before: number, after: number): void {
      assert.ok(expireTime instanceof Date, `an expire time, got ${String(expireTime)}`);
      const at = expireTime.getTime();
      assert.ok(at >= before + HOUR_MS - CLOCK_SLACK_MS, `${expireTime.toISOString()} is an hour after ${new Date(before).toISOString()}`);
      assert.ok(at <= after + HOUR_MS + CLOCK_SLACK_MS, `${expireTime.toISOString()} is an hour after ${new Date(after).toISOString()}`);
    }

    test("40 set with a ttl of 1 hour: getEntry's expireTime is an hour from now", async () => {
      const before = Date.now();
      const revision = await rows!.setWithRevision(P + "ttl", "v", { ...c, ttlMs: HOUR_MS });
      const after = Date.now();
      assert.ok(revision > 0n);
      const entry = await rows!.getEntry(P + "ttl", c);
      assert.equal(text(entry.value), "v");
      assert.equal(entry.revision, revision);
      expectExpiresInAnHour(entry.expireTime, before, after);
    });

    test("41 a set without a ttl clears the expiry", async () => {
      await rows!.set(P + "ttl", "v2", c);
      const entry = await rows!.getEntry(P + "ttl", c);
      assert.equal(text(entry.value), "v2");
      assert.equal(entry.expireTime, null);
    });

    test("42 increment keeps the expiry", async () => {
      const before = Date.now();
      await rows!.set(P + "ttl-n", "5", { ...c, ttlMs: HOUR_MS });
      const after = Date.now();
      const expires = (await rows!.getEntry(P + "ttl-n", c)).expireTime;
      expectExpiresInAnHour(expires, before, after);
      assert.equal(await rows!.increment(P + "ttl-n", 1, c), 6n);
      const entry = await rows!.getEntry(P + "ttl-n", c);
      assert.equal(text(entry.value), "6");
      assert.deepEqual(entry.expireTime, expires);
    });

    test("43 a key set with a 200 ms ttl expires; then it is absent everywhere", async () => {
      await rows!.set(P + "short", "v", { ...c, ttlMs: 200 });
      const deadline = Date.now() + 10_000;
      while (await rows!.exists(P + "short", c)) {
        assert.ok(Date.now() < deadline, "the key did not expire within 10 s");
        await sleep(20);
      }
      const e = await kvErrorOf(rows!.get(P + "short", c));
      expectError(e, ErrorCode.NO_SUCH_KEY, GrpcStatus.NOT_FOUND);
      assert.deepEqual(await rows!.getMany([P + "short"], c), [{ key: P + "short", found: false, value: null, revision: 0n, expireTime: null }]);
      assert.ok((await rows!.setWithRevision(P + "short", "w", { ...c, ifRevision: 0 })) > 0n);
    });

    test("44 a ttl of 0, -1 s, 0.5 ms or 3651 days: IO, INVALID_ARGUMENT naming ttl", async () => {
      for (const ttlMs of [0, -1000, 0.5, 3651 * DAY_MS]) {
        const e = await kvErrorOf(rows!.set(P + "bad-ttl", "v", { ...c, ttlMs }));
        expectError(e, ErrorCode.IO, GrpcStatus.INVALID_ARGUMENT);
        assert.ok(isInvalidArgument(e));
        assert.match(e.message, /ttl/, `ttlMs ${ttlMs}`);
      }
      assert.equal(await rows!.exists(P + "bad-ttl", c), false);
    });

    test("45 setMany with a ttl on one entry: only it has an expire time", async () => {
      await rows!.setMany(
        [
          { key: P + "b1", value: "1", ttlMs: HOUR_MS },
          { key: P + "b2", value: "2" },
        ],
        c,
      );
      const [b1, b2] = await rows!.getMany([P + "b1", P + "b2"], c);
      assert.ok(b1!.found && b2!.found);
      assert.ok(b1!.expireTime instanceof Date);
      assert.equal(b2!.expireTime, null);
    });

    test("46 listKeys over a prefix, pages of 10: exactly the 25 keys, in order", async () => {
      for (const key of [...LISTED, P + "list0", P + "lis"]) await rows!.set(key, "x", c);
      const listed: string[] = [];
      for await (const key of rows!.listKeys({ ...c, prefix: P + "list/", pageSize: 10 })) listed.push(key);
      assert.deepEqual(listed, LISTED);
    });

    test("47 listKeysPage three times: 10 keys, 10 keys, the last 5 and an empty token", async () => {
      const first = await rows!.listKeysPage({ ...c, prefix: P + "list/", pageSize: 10 });
      assert.deepEqual(first.keys, LISTED.slice(0, 10));
      assert.notEqual(first.nextPageToken, "");
      firstToken = first.nextPageToken;
      const second = await rows!.listKeysPage({ ...c, prefix: P + "list/", pageSize: 10, pageToken: first.nextPageToken });
      assert.deepEqual(second.keys, LISTED.slice(10, 20));
      assert.notEqual(second.nextPageToken, "");
      const third = await rows!.listKeysPage({ ...c, prefix: P + "list/", pageSize: 10, pageToken: second.nextPageToken });
      assert.deepEqual(third, { keys: LISTED.slice(20), nextPageToken: "" });
    });

    test("48 a token for another prefix, a token not kvd's, a negative page size: IO, INVALID_ARGUMENT", async () => {
      assert.notEqual(firstToken, "", "row 47 kept no token");
      const cases: [() => Promise<unknown>, RegExp][] = [
        [() => rows!.listKeysPage({ ...c, prefix: P + "lis", pageSize: 10, pageToken: firstToken }), /page_token/],
        [() => rows!.listKeysPage({ ...c, prefix: P + "list/", pageSize: 10, pageToken: "not-a-token" }), /page_token/],
        [() => rows!.listKeysPage({ ...c, prefix: P + "list/", pageSize: -1 }), /page_size/],
      ];
      for (const [call, named] of cases) {
        const e = await kvErrorOf(call());
        expectError(e, ErrorCode.IO, GrpcStatus.INVALID_ARGUMENT);
        assert.ok(isInvalidArgument(e));
        assert.match(e.message, named);
      }
    });

    test("49 describe: max ttl 3650 days, max page size 10000, TTL and LIST_PAGES", async () => {
      const info = await rows!.describe(c);
      assert.equal(info.limits.maxTtlMs, 3650 * DAY_MS);
      assert.equal(info.limits.maxPageSize, 10000);
      for (const capability of [Capability.TTL, Capability.LIST_PAGES]) {
        assert.ok(info.capabilities.includes(capability), `${capability} in ${info.capabilities.join(", ")}`);
      }
    });
  });
}

scenario("clients/SCENARIO.md", undefined, undefined);
// A signal that never fires and a per-call deadline change nothing.
const live = new AbortController();
scenario("clients/SCENARIO.md, every call with { signal, timeoutMs }", { signal: live.signal, timeoutMs: 30_000 }, {
  signal: live.signal,
});

describe("Node: aborting calls to kvd", () => {
  test("a call aborted while in flight rejects with AbortedError; the store keeps working", async () => {
    await using store = await Store.open("default");
    await store.set(P + "abort", "before");
    const controller = new AbortController();
    // The call is on the wire when abort() runs; kvd's answer cannot arrive
    // before the rejection, which happens inside abort().
    const pending = store.get(P + "abort", { signal: controller.signal });
    controller.abort();
    const e = await pending.catch((e: unknown) => e);
    assert.ok(e instanceof AbortedError, String(e));
    assert.ok(isAborted(e));
    assert.equal(e.name, "AbortError");
    expectError(e, ErrorCode.UNSPECIFIED, GrpcStatus.CANCELLED);
    assert.equal(text(await store.get(P + "abort")), "before");
  });

  test("an already aborted signal: Store.open and every method reject, nothing changes", async () => {
    const aborted = AbortSignal.abort(new Error("shutting down"));
    const e = await kvErrorOf(Store.open("default", { signal: aborted }));
    assert.ok(isAborted(e));
    assert.match(e.message, /Open was aborted: shutting down/);
    await using store = await Store.open("default");
    const o = { signal: aborted };
    for (const call of [
      store.get(P + "abort", o),
      store.getOrNull(P + "abort", o),
      store.set(P + "abort", "after", o),
      store.delete(P + "abort", o),
      store.exists(P + "abort", o),
      store.getKeys(o),
      store.getJson(P + "abort", o),
      store.setJson(P + "abort", { after: true }, o),
    ]) {
      assert.ok(isAborted(await kvErrorOf(call)));
    }
    assert.equal(text(await store.get(P + "abort")), "before");
    await store.delete(P + "abort");
  });

  test("a per-call deadline already past: DEADLINE_EXCEEDED naming kvd's address", async () => {
    await using store = await Store.open("default");
    const e = await kvErrorOf(store.get(P + "big", { deadline: Date.now() - 1000 }));
    expectError(e, ErrorCode.UNSPECIFIED, GrpcStatus.DEADLINE_EXCEEDED);
    assert.ok(e.message.includes(`kvd at ${process.env["KVD_ADDR"]}`), e.message);
  });
});

describe("Node: roundtrip.js incr, the cross-language counter's step", () => {
  // The tests run from the package's folder (`node --test dist/*.test.js`).
  const roundtrip = resolve("dist/roundtrip.js");
  const run = (...args: string[]) =>
    promisify(execFile)(process.execPath, [roundtrip, ...args]).then(
      ({ stdout }) => ({ code: 0, stdout }),
      (e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }),
    );

  test("incr KEY [DELTA [COUNT]] prints each new value; bad arguments exit 2", async () => {
    const key = P + "roundtrip-counter";
    assert.deepEqual(await run("incr", key), { code: 0, stdout: "1\n" });
    assert.deepEqual(await run("incr", key, "-2", "3"), { code: 0, stdout: "-1\n-3\n-5\n" });
    for (const bad of [["incr", key, "1.5"], ["incr", key, "1", "0"], ["incr", key, String(1n << 63n)]]) {
      assert.equal((await run(...bad)).code, 2, bad.join(" "));
    }
    await using store = await Store.open("default");
    assert.equal(text(await store.get(key)), "-5");
    await store.delete(key);
  });
});
