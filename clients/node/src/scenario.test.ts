// clients/SCENARIO.md, the client conformance scenario, for the Node client.
// Runs against the kvd at $KVD_ADDR (clients/testing/with_kvd.sh starts one):
//   clients/testing/with_kvd.sh node --test clients/node/dist/
// Rows run in order and share state, as the table says.

import assert from "node:assert/strict";
import { after, describe, test } from "node:test";

import {
  ErrorCode,
  GrpcStatus,
  KvError,
  Store,
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

describe("clients/SCENARIO.md", () => {
  let store: Store;
  let mem: Store | undefined;
  const held: Store[] = [];

  after(async () => {
    for (const s of held) await s.close().catch(() => {});
  });

  test("1 open(default) gives a store whose handle is not 0", async () => {
    store = await Store.open("default");
    assert.equal(store.name, "default");
    assert.notEqual(store.handle, 0);
  });

  test("2 set then get", async () => {
    await store.set(P + "plain", "hello");
    assert.equal(text(await store.get(P + "plain")), "hello");
  });

  test("3 overwrite", async () => {
    await store.set(P + "plain", "again");
    assert.equal(text(await store.get(P + "plain")), "again");
  });

  test("4 binary value round-trips exactly", async () => {
    const value = bytes(0x00, 0x01, 0x00, 0xff, 0x00);
    await store.set(P + "binary", value);
    assert.deepEqual(new Uint8Array(await store.get(P + "binary")), value);
  });

  test("5 empty value is a value, not an error", async () => {
    await store.set(P + "empty", "");
    const value = await store.get(P + "empty");
    assert.equal(value.length, 0);
    assert.equal(await store.getOrNull(P + "empty") !== null, true);
  });

  test("6 1 MiB value round-trips exactly", async () => {
    const big = new Uint8Array(MiB);
    for (let i = 0; i < big.length; i++) big[i] = i % 251;
    await store.set(P + "big", big);
    const got = await store.get(P + "big");
    assert.equal(got.length, 1_048_576);
    assert.ok(Buffer.from(got).equals(Buffer.from(big)), "1 MiB value differs");
  });

  test("7 UTF-8 key", async () => {
    await store.set(P + "ключ/キー/🔑", "utf8");
    assert.equal(text(await store.get(P + "ключ/キー/🔑")), "utf8");
  });

  test("8 exists", async () => {
    assert.equal(await store.exists(P + "plain"), true);
    assert.equal(await store.exists(P + "missing"), false);
  });

  test("9 get of a missing key: NO_SUCH_KEY, NOT_FOUND, message names the key", async () => {
    const e = await kvErrorOf(store.get(P + "missing"));
    expectError(e, ErrorCode.NO_SUCH_KEY, GrpcStatus.NOT_FOUND);
    assert.ok(isNoSuchKey(e));
    assert.equal(isNoSuchStore(e), false);
    assert.match(e.message, /scenario-node\/missing/);
    assert.equal(await store.getOrNull(P + "missing"), null);
  });

  test("10 delete, then delete again", async () => {
    await store.delete(P + "plain");
    assert.equal(await store.exists(P + "plain"), false);
    await store.delete(P + "plain");
  });

  test("11 getKeys", async () => {
    const keys = (await store.getKeys()).filter((k) => k.startsWith(P));
    assert.deepEqual(
      [...keys].sort(),
      [P + "big", P + "binary", P + "empty", P + "ключ/キー/🔑"].sort(),
    );
  });

  test("12 setJson then getJson", async () => {
    const value = { a: 1, b: [true, null, "x"] };
    await store.setJson(P + "json", value);
    assert.deepEqual(await store.getJson(P + "json"), value);
    await store.delete(P + "json");
  });

  test("13 stores are separate", async () => {
    mem = await Store.open("mem");
    const e = await kvErrorOf(mem.get(P + "big"));
    expectError(e, ErrorCode.NO_SUCH_KEY, GrpcStatus.NOT_FOUND);
  });

  test("14 open of an undefined store: NO_SUCH_STORE, NOT_FOUND", async () => {
    const e = await kvErrorOf(Store.open("no-such-store"));
    expectError(e, ErrorCode.NO_SUCH_STORE, GrpcStatus.NOT_FOUND);
    assert.ok(isNoSuchStore(e));
    assert.equal(isNoSuchKey(e), false);
  });

  test("15 open of a store whose backend is down: IO, UNAVAILABLE, message names it", async () => {
    const e = await kvErrorOf(Store.open("broken"));
    expectError(e, ErrorCode.IO, GrpcStatus.UNAVAILABLE);
    assert.ok(isBackendUnavailable(e));
    assert.equal(isServerUnavailable(e), false);
    assert.match(e.message, /broken/);
  });

  test("16 key over 256 bytes: IO, INVALID_ARGUMENT", async () => {
    const e = await kvErrorOf(store.set(P + "k".repeat(257), "v"));
    expectError(e, ErrorCode.IO, GrpcStatus.INVALID_ARGUMENT);
    assert.ok(isInvalidArgument(e));
  });

  test("17 value over 1 MiB: IO, INVALID_ARGUMENT", async () => {
    const e = await kvErrorOf(store.set(P + "too-big", new Uint8Array(MiB + 1)));
    expectError(e, ErrorCode.IO, GrpcStatus.INVALID_ARGUMENT);
  });

  test("18 a closed store: INVALID_STORE, FAILED_PRECONDITION", async () => {
    await store.close();
    const e = await kvErrorOf(store.get(P + "big"));
    expectError(e, ErrorCode.INVALID_STORE, GrpcStatus.FAILED_PRECONDITION);
    assert.ok(isInvalidStore(e));
  });

  test("18b a handle kvd does not know: INVALID_STORE, FAILED_PRECONDITION from kvd", async () => {
    // Row 18 above is answered by the client, which knows it closed the
    // store. Here kvd answers: a second Store on the same handle.
    const other = await Store.open("default");
    const stale = Object.create(Store.prototype, {
      ...Object.getOwnPropertyDescriptors(other),
      handle: { value: store.handle },
    }) as Store;
    const e = await kvErrorOf(stale.get(P + "big"));
    expectError(e, ErrorCode.INVALID_STORE, GrpcStatus.FAILED_PRECONDITION);
    assert.match(e.message, new RegExp(`\\b${store.handle}\\b`));
    await other.close();
  });

  test("19 close again is not an error", async () => {
    await store.close();
  });

  test("20 open(default) 300 times: 256 succeed, then STORE_TABLE_FULL", async () => {
    await mem?.close();
    const failures: KvError[] = [];
    for (let i = 1; i <= 300; i++) {
      try {
        held.push(await Store.open("default"));
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
    }
  });

  test("21 after closing the 256, open(default) succeeds", async () => {
    while (held.length > 0) await held.pop()!.close();
    await using again = await Store.open("default");
    assert.notEqual(again.handle, 0);
    assert.equal(await again.exists(P + "big"), true);
  });
});
