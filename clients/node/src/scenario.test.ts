// clients/SCENARIO.md, the client conformance scenario, for the Node client.
// Runs against the kvd at $KVD_ADDR (clients/testing/with_kvd.sh starts one):
//   clients/testing/with_kvd.sh node --test clients/node/dist/
// Rows run in order and share state, as the table says. The table runs twice:
// with plain calls, and with every call given CallOptions (a live AbortSignal
// and a per-call timeoutMs); then the Node rows: aborted calls against kvd.

import assert from "node:assert/strict";
import { after, describe, test } from "node:test";

import {
  type CallOptions,
  type OpenOptions,
  AbortedError,
  ErrorCode,
  GrpcStatus,
  InvalidStoreError,
  IoError,
  KvError,
  NoSuchKeyError,
  NoSuchStoreError,
  Store,
  StoreTableFullError,
  isAborted,
  isBackendUnavailable,
  isInvalidArgument,
  isInvalidStore,
  isKvError,
  isNoSuchKey,
  isNoSuchStore,
  isServerUnavailable,
  isStoreTableFull,
} from "./index.js";

const P = "scenario-node/";
const MiB = 1024 * 1024;

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

/** The table of clients/SCENARIO.md, every call given `c` (Store.open: `oc`). */
function scenario(title: string, c: CallOptions | undefined, oc: OpenOptions | undefined): void {
  describe(title, () => {
    let store: Store;
    let mem: Store | undefined;
    const held: Store[] = [];

    after(async () => {
      for (const s of held) await s.close(c).catch(() => {});
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
      await using again = await Store.open("default", oc);
      assert.notEqual(again.handle, 0);
      assert.equal(await again.exists(P + "big", c), true);
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
