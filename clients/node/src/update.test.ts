// update()'s retry loop (src/update.ts) with fake reads, writes, sleeps and
// randomness: nothing really sleeps, nothing is timed.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { status } from "@grpc/grpc-js";

import { AbortedError, ConditionFailedError, IoError, NotAnIntegerError } from "./index.js";
import { backoffMs, checkMaxAttempts, runUpdate, sleep, type UpdateFn, type UpdateValue } from "./update.js";

function conflict(current: bigint): ConditionFailedError {
  return new ConditionFailedError(status.ABORTED, `CONDITION_FAILED: at ${current}`, { currentRevision: current });
}

type Current = { value: Uint8Array; revision: bigint } | null;

function at(value: string, revision: bigint): Current {
  return { value: Buffer.from(value), revision };
}

/** A scripted key: reads return `reads` in turn (the last one repeats), writes throw `writeErrors` in turn, then succeed. */
class Script {
  readonly log: string[] = [];
  readonly sleeps: number[] = [];
  constructor(
    private readonly reads: Current[],
    private readonly writeErrors: unknown[],
  ) {}

  run(fn: UpdateFn, maxAttempts = 10, random: () => number = () => 0.5): Promise<bigint> {
    return runUpdate({
      read: async () => {
        this.log.push("read");
        return this.reads.length > 1 ? this.reads.shift()! : this.reads[0]!;
      },
      write: async (value: UpdateValue, ifRevision: bigint) => {
        this.log.push(`write ${Buffer.from(value).toString()} @${ifRevision}`);
        if (this.writeErrors.length > 0) throw this.writeErrors.shift();
        return BigInt(100 + this.log.length);
      },
      fn,
      maxAttempts,
      sleep: async (ms: number) => {
        this.log.push(`sleep ${ms}`);
        this.sleeps.push(ms);
      },
      random,
    });
  }
}

const bang: UpdateFn = (value) => (value === null ? "start" : Buffer.from(value).toString() + "!");

describe("update's retry loop", () => {
  test("the first attempt writes fn's result with the read revision", async () => {
    const s = new Script([at("v", 7n)], []);
    assert.equal(await s.run(bang), 102n);
    assert.deepEqual(s.log, ["read", "write v! @7"]);
  });

  test("an absent key: fn gets null, the write is create-only (0n)", async () => {
    const seen: (Uint8Array | null)[] = [];
    const s = new Script([null], []);
    await s.run((value) => {
      seen.push(value);
      return "start";
    });
    assert.deepEqual(seen, [null]);
    assert.deepEqual(s.log, ["read", "write start @0"]);
  });

  test("conflicts retry with a fresh read after each backoff", async () => {
    const s = new Script([at("a", 1n), at("b", 2n), at("c", 3n)], [conflict(2n), conflict(3n)]);
    assert.equal(await s.run(bang), 108n);
    assert.deepEqual(s.log, ["read", "write a! @1", "sleep 5", "read", "write b! @2", "sleep 10", "read", "write c! @3"]);
  });

  test("attempts exhausted: rejects with the last ConditionFailedError, no sleep after it", async () => {
    const errors = [conflict(1n), conflict(2n), conflict(3n), conflict(4n)];
    const s = new Script([at("x", 1n)], [...errors]);
    const e = await s.run(bang, 4).catch((e: unknown) => e);
    assert.equal(e, errors[3]);
    assert.equal(s.log.filter((l) => l.startsWith("write")).length, 4);
    assert.equal(s.sleeps.length, 3);
    assert.match(s.log.at(-1)!, /^write/);
  });

  test("maxAttempts 1: one attempt, never a sleep", async () => {
    const error = conflict(9n);
    const s = new Script([at("x", 1n)], [error]);
    assert.equal(await s.run(bang, 1).catch((e: unknown) => e), error);
    assert.deepEqual(s.sleeps, []);
  });

  test("other write errors end it at once", async () => {
    for (const error of [
      new IoError(status.INTERNAL, "IO: disk"),
      new NotAnIntegerError(status.FAILED_PRECONDITION, "NOT_AN_INTEGER"),
      new TypeError("bad value"),
    ]) {
      const s = new Script([at("x", 1n)], [error]);
      assert.equal(await s.run(bang).catch((e: unknown) => e), error);
      assert.deepEqual(s.log, ["read", "write x! @1"]);
    }
  });

  test("an error from fn (thrown or rejected) ends it before any write", async () => {
    for (const fn of [
      () => {
        throw new RangeError("fn failed");
      },
      async () => Promise.reject(new RangeError("fn failed")),
    ] as UpdateFn[]) {
      const s = new Script([at("x", 1n)], []);
      const e = await s.run(fn).catch((e: unknown) => e);
      assert.ok(e instanceof RangeError, String(e));
      assert.deepEqual(s.log, ["read"]);
    }
  });

  test("an error from fn on a retry ends it", async () => {
    let calls = 0;
    const s = new Script([at("a", 1n), at("b", 2n)], [conflict(2n)]);
    const e = await s
      .run(() => {
        if (++calls === 2) throw new Error("second call");
        return "first";
      })
      .catch((e: unknown) => e);
    assert.match(String(e), /second call/);
    assert.deepEqual(s.log, ["read", "write first @1", "sleep 5", "read"]);
  });

  test("fn may return a promise", async () => {
    const s = new Script([at("a", 1n)], []);
    await s.run(async (value) => Buffer.concat([Buffer.from(value!), Buffer.from("+")]));
    assert.deepEqual(s.log, ["read", "write a+ @1"]);
  });

  test("a read error ends it", async () => {
    const error = new IoError(status.UNAVAILABLE, "IO: down");
    const e = await runUpdate({
      read: () => Promise.reject(error),
      write: () => assert.fail("no write"),
      fn: bang,
      maxAttempts: 10,
      sleep: () => assert.fail("no sleep"),
      random: () => 0.5,
    }).catch((e: unknown) => e);
    assert.equal(e, error);
  });

  test("backoff: full jitter below a cap doubling from 10 ms to 1 s", () => {
    const caps = Array.from({ length: 11 }, (_, i) => backoffMs(i + 1, () => 1));
    assert.deepEqual(caps, [10, 20, 40, 80, 160, 320, 640, 1000, 1000, 1000, 1000]);
    assert.deepEqual(Array.from({ length: 11 }, (_, i) => backoffMs(i + 1, () => 0)), Array(11).fill(0));
    assert.equal(backoffMs(3, () => 0.25), 10);
    assert.equal(backoffMs(1e6, () => 0.5), 500);
  });

  test("each sleep draws a new random", async () => {
    const draws = [0.1, 0.9, 0.3];
    const s = new Script([at("x", 1n)], [conflict(1n), conflict(1n), conflict(1n)]);
    await s.run(bang, 10, () => draws.shift()!);
    assert.deepEqual(s.sleeps, [0.1 * 10, 0.9 * 20, 0.3 * 40]);
  });

  test("maxAttempts must be an integer >= 1", () => {
    for (const bad of [0, -1, 1.5, Number.NaN, "3", undefined]) {
      assert.throws(() => checkMaxAttempts(bad), /maxAttempts must be an integer >= 1/);
    }
    assert.equal(checkMaxAttempts(1), 1);
  });

  test("the backoff sleep ends at once when its signal aborts", async () => {
    const controller = new AbortController();
    // An hour: only the abort can end it within the test's time.
    const pending = sleep(3_600_000, controller.signal);
    controller.abort(new Error("stop"));
    const e = await pending.catch((e: unknown) => e);
    assert.ok(e instanceof AbortedError, String(e));
    assert.match(e.message, /update was aborted: stop/);
    assert.ok((await sleep(0, AbortSignal.abort()).catch((e: unknown) => e)) instanceof AbortedError);
    await sleep(0, new AbortController().signal);
  });
});
