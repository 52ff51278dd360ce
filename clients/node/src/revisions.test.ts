// The revision, counter, batch, expiry and describe calls of Store, against a fake
// kv.v1.KeyValue served by @grpc/grpc-js in this process (no kvd needed): the
// requests they send, how they convert the responses, how the new errors and
// their trailers map, the TypeErrors of bad arguments, and Store.update over
// real gRPC with its sleep and randomness replaced (src/update.ts `timing`).

import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";

import { Metadata, Server, ServerCredentials, status, type ServiceDefinition } from "@grpc/grpc-js";

import { KeyValueDefinition } from "./gen/kv/v1/kv.js";
import {
  Capability,
  ConditionFailedError,
  Durability,
  ErrorCode,
  IoError,
  KvError,
  NotAnIntegerError,
  OutOfRangeError,
  Store,
  isConditionFailed,
  isNotAnInteger,
  isOutOfRange,
} from "./index.js";
import { timing } from "./update.js";

const M = KeyValueDefinition.methods;

function unary(method: unknown) {
  const m = method as {
    name: string;
    requestType: { encode(m: unknown): { finish(): Uint8Array }; decode(b: Uint8Array): unknown };
    responseType: { encode(m: unknown): { finish(): Uint8Array }; decode(b: Uint8Array): unknown };
  };
  return {
    path: `/${KeyValueDefinition.fullName}/${m.name}`,
    requestStream: false,
    responseStream: false,
    requestSerialize: (x: unknown) => Buffer.from(m.requestType.encode(x).finish()),
    requestDeserialize: (b: Buffer) => m.requestType.decode(b),
    responseSerialize: (x: unknown) => Buffer.from(m.responseType.encode(x).finish()),
    responseDeserialize: (b: Buffer) => m.responseType.decode(b),
  };
}

const definition: ServiceDefinition = {
  Open: unary(M.open),
  Close: unary(M.close),
  Get: unary(M.get),
  Set: unary(M.set),
  Delete: unary(M.delete),
  Increment: unary(M.increment),
  GetMany: unary(M.getMany),
  SetMany: unary(M.setMany),
  DeleteMany: unary(M.deleteMany),
  Describe: unary(M.describe),
};

function failure(code: status, name: string, details: string, extra: Record<string, string> = {}) {
  const metadata = new Metadata();
  metadata.set("kv-error-code", name);
  for (const [k, v] of Object.entries(extra)) metadata.set(k, v);
  return { code, details, metadata };
}

// The fake's state: keys with revisions and expire times, every request
// received by method, and the failure the next Increment answers with. A Set
// with a ttl expires at NOW + ttl (the fake's clock stands still).
const NOW = Date.UTC(2026, 11, 2, 1, 2, 3, 456);
const data = new Map<string, { value: Buffer; revision: bigint; expireTime?: Date }>();
let revision = 0n;
const requests: Record<string, any[]> = {};
let incrementFailure: ReturnType<typeof failure> | undefined;
// Called before each Set, to write behind the client's back.
let beforeSet: (() => void) | undefined;

function put(key: string, value: string, expireTime?: Date): bigint {
  revision++;
  data.set(key, expireTime ? { value: Buffer.from(value), revision, expireTime } : { value: Buffer.from(value), revision });
  return revision;
}

function record(name: string, request: unknown): void {
  (requests[name] ??= []).push(request);
}

describe("revisions, counters, batches, describe", () => {
  const server = new Server();
  let address = "";
  let store: Store;

  before(async () => {
    server.addService(definition, {
      Open: (_call: any, cb: any) => cb(null, { store: 3 }),
      Close: (_call: any, cb: any) => cb(null, {}),
      Get: (call: any, cb: any) => {
        record("Get", call.request);
        const found = data.get(call.request.key);
        if (!found) return cb(failure(status.NOT_FOUND, "ERROR_CODE_NO_SUCH_KEY", "NO_SUCH_KEY"));
        cb(null, { value: found.value, revision: found.revision, expireTime: found.expireTime });
      },
      Set: (call: any, cb: any) => {
        record("Set", call.request);
        beforeSet?.();
        const { key, value, ifRevision } = call.request;
        const current = data.get(key)?.revision ?? 0n;
        if (ifRevision !== undefined && ifRevision !== current) {
          return cb(
            failure(status.ABORTED, "ERROR_CODE_CONDITION_FAILED", `CONDITION_FAILED: key "${key}" is at ${current}`, {
              "kv-current-revision": String(current),
            }),
          );
        }
        const { ttl } = call.request;
        const expireTime = ttl ? new Date(NOW + Number(ttl.seconds) * 1000 + ttl.nanos / 1e6) : undefined;
        cb(null, { revision: put(key, Buffer.from(value).toString(), expireTime) });
      },
      Delete: (call: any, cb: any) => {
        record("Delete", call.request);
        cb(null, { revision: 0n });
      },
      Increment: (call: any, cb: any) => {
        record("Increment", call.request);
        if (incrementFailure) return cb(incrementFailure);
        cb(null, { value: -9223372036854775808n, revision: 18446744073709551615n });
      },
      GetMany: (call: any, cb: any) => {
        record("GetMany", call.request);
        cb(null, {
          entries: [
            { key: "a", found: true, value: Buffer.from("1"), revision: 4n },
            { key: "b", found: false, value: Buffer.alloc(0), revision: 0n },
            { key: "e", found: true, value: Buffer.from("2"), revision: 6n, expireTime: new Date(NOW) },
          ],
        });
      },
      SetMany: (call: any, cb: any) => {
        record("SetMany", call.request);
        cb(
          failure(status.ABORTED, "ERROR_CODE_CONDITION_FAILED", 'CONDITION_FAILED: key "c"', {
            "kv-current-revision": "12",
            "kv-failed-index": "2",
          }),
        );
      },
      DeleteMany: (call: any, cb: any) => {
        record("DeleteMany", call.request);
        cb(null, { revisions: [5n, 0n] });
      },
      Describe: (call: any, cb: any) => {
        record("Describe", call.request);
        cb(null, {
          name: "default",
          driver: "sqlite",
          durability: 3,
          limits: {
            maxKeyBytes: 256n,
            maxValueBytes: 1048576n,
            maxBatchEntries: 1000n,
            maxBatchBytes: 4194304n,
            maxTtl: { seconds: 315532800n, nanos: 0 },
            maxPageSize: 10000,
          },
          revision: 77n,
          capabilities: [1, 2, 3, 4, 5, 6, 99, 2],
          readOnly: true,
        });
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    address = `127.0.0.1:${port}`;
    store = await Store.open("default", { address });
  });

  after(async () => {
    await store.close();
    server.forceShutdown();
  });

  afterEach(() => {
    beforeSet = undefined;
    incrementFailure = undefined;
    for (const name of Object.keys(requests)) delete requests[name];
  });

  test("setWithRevision and getEntry: the revision both ways; ifRevision only when given", async () => {
    const r1 = await store.setWithRevision("k", "a");
    assert.equal(typeof r1, "bigint");
    const entry = await store.getEntry("k");
    assert.equal(Buffer.from(entry.value).toString(), "a");
    assert.equal(entry.revision, r1);
    assert.equal(entry.expireTime, null);
    assert.equal(await store.set("k", "b", { ifRevision: r1 }), undefined); // set still resolves void
    await store.set("new", "x", { ifRevision: 0 });
    await store.setJson("json", { a: 1 }, { ifRevision: 0n });
    const sent = requests["Set"]!;
    assert.deepEqual(
      sent.map((r) => r.ifRevision),
      [undefined, r1, 0n, 0n],
    );
    assert.equal(sent[0].store, 3);
    assert.equal(await store.getEntryOrNull("absent"), null);
  });

  test("ttlMs: sent as a Duration only when given; getEntry's expireTime is a Date", async () => {
    await store.set("t/plain", "v");
    await store.set("t/ms", "v", { ttlMs: 1500 });
    await store.setWithRevision("t/frac", "v", { ttlMs: 0.25, ifRevision: 0 });
    await store.setJson("t/json", [1], { ttlMs: 315532800000 });
    // Out of kvd's range, sent as given: kvd answers IO + INVALID_ARGUMENT.
    await store.set("t/zero", "v", { ttlMs: 0 });
    await store.set("t/neg", "v", { ttlMs: -1500 });
    assert.deepEqual(
      requests["Set"]!.map((r) => [r.key, r.ttl && [r.ttl.seconds, r.ttl.nanos], r.ifRevision]),
      [
        ["t/plain", undefined, undefined],
        ["t/ms", [1n, 500000000], undefined],
        ["t/frac", [0n, 250000], 0n],
        ["t/json", [315532800n, 0], undefined],
        ["t/zero", [0n, 0], undefined],
        ["t/neg", [-1n, -500000000], undefined],
      ],
    );
    const expiring = await store.getEntry("t/ms");
    assert.ok(expiring.expireTime instanceof Date);
    assert.equal(expiring.expireTime.toISOString(), "2026-12-02T01:02:04.956Z");
    assert.equal((await store.getEntryOrNull("t/plain"))?.expireTime, null);
  });

  test("a failed condition: ConditionFailedError with the current revision", async () => {
    const at = put("cas", "v");
    const e = await store.setWithRevision("cas", "w", { ifRevision: at - 1n }).catch((e: unknown) => e);
    assert.ok(e instanceof ConditionFailedError, String(e));
    assert.ok(isConditionFailed(e));
    assert.equal(e.code, ErrorCode.CONDITION_FAILED);
    assert.equal(e.grpcCode, status.ABORTED);
    assert.equal(e.currentRevision, at);
    assert.equal(e.failedIndex, undefined);
    assert.match(e.message, /cas/);
  });

  test("deleteWithRevision resolves 0n for nothing deleted; delete sends ifRevision", async () => {
    assert.equal(await store.deleteWithRevision("gone"), 0n);
    assert.equal(await store.delete("gone", { ifRevision: 18446744073709551615n }), undefined);
    assert.deepEqual(
      requests["Delete"]!.map((r) => r.ifRevision),
      [undefined, 18446744073709551615n],
    );
  });

  test("increment: bigint value and revision, int64 and uint64 extremes intact", async () => {
    assert.equal(await store.increment("c"), -9223372036854775808n);
    assert.deepEqual(await store.incrementEntry("c", -5), { value: -9223372036854775808n, revision: 18446744073709551615n });
    await store.increment("c", 9223372036854775807n);
    assert.deepEqual(
      requests["Increment"]!.map((r) => r.delta),
      [1n, -5n, 9223372036854775807n],
    );
  });

  test("increment's errors: NOT_AN_INTEGER and OUT_OF_RANGE", async () => {
    incrementFailure = failure(status.FAILED_PRECONDITION, "ERROR_CODE_NOT_AN_INTEGER", "NOT_AN_INTEGER: x");
    const notInt = await store.increment("c").catch((e: unknown) => e);
    assert.ok(notInt instanceof NotAnIntegerError && isNotAnInteger(notInt), String(notInt));
    assert.equal(notInt.grpcCode, status.FAILED_PRECONDITION);
    incrementFailure = failure(status.OUT_OF_RANGE, "ERROR_CODE_OUT_OF_RANGE", "OUT_OF_RANGE: x");
    const out = await store.increment("c").catch((e: unknown) => e);
    assert.ok(out instanceof OutOfRangeError && isOutOfRange(out), String(out));
    assert.equal(out.code, ErrorCode.OUT_OF_RANGE);
    assert.equal(isConditionFailed(out), false);
    // A garbled revision trailer is no revision; an unknown code stays UNSPECIFIED.
    incrementFailure = failure(status.ABORTED, "ERROR_CODE_CONDITION_FAILED", "m", { "kv-current-revision": "-3" });
    const garbled = await store.increment("c").catch((e: unknown) => e);
    assert.ok(garbled instanceof ConditionFailedError);
    assert.equal(garbled.currentRevision, undefined);
    incrementFailure = failure(status.INVALID_ARGUMENT, "ERROR_CODE_IO", "IO: entry 4", { "kv-failed-index": "4" });
    const io = await store.increment("c").catch((e: unknown) => e);
    assert.ok(io instanceof IoError);
    assert.equal(io.failedIndex, 4);
  });

  test("getMany: entries in order, a missing one with value null and revision 0n; expireTime", async () => {
    assert.deepEqual(await store.getMany(["a", "b", "e"]), [
      { key: "a", found: true, value: Buffer.from("1"), revision: 4n, expireTime: null },
      { key: "b", found: false, value: null, revision: 0n, expireTime: null },
      { key: "e", found: true, value: Buffer.from("2"), revision: 6n, expireTime: new Date(NOW) },
    ]);
    await store.getMany(new Set(["x", "y"]));
    assert.deepEqual(requests["GetMany"]!.map((r) => r.keys), [["a", "b", "e"], ["x", "y"]]);
  });

  test("setMany: the entries sent; a failed batch names the entry", async () => {
    const e = await store
      .setMany([
        { key: "a", value: "1" },
        { key: "b", value: new Uint8Array([0, 255]), ifRevision: 0, ttlMs: 60000 },
        { key: "c", value: "3", ifRevision: 7n },
      ])
      .catch((e: unknown) => e);
    assert.ok(e instanceof ConditionFailedError, String(e));
    assert.equal(e.currentRevision, 12n);
    assert.equal(e.failedIndex, 2);
    const [sent] = requests["SetMany"]!;
    assert.deepEqual(
      sent.entries.map((x: any) => [x.key, Buffer.from(x.value).toString("hex"), x.ifRevision, x.ttl]),
      [
        ["a", "31", undefined, undefined],
        ["b", "00ff", 0n, { seconds: 60n, nanos: 0 }],
        ["c", "33", 7n, undefined],
      ],
    );
  });

  test("deleteMany resolves one revision per key", async () => {
    assert.deepEqual(await store.deleteMany(["a", "b"]), [5n, 0n]);
  });

  test("describe: enums by name, limits as numbers, unknown capabilities left out", async () => {
    assert.deepEqual(await store.describe(), {
      name: "default",
      driver: "sqlite",
      durability: Durability.DISK,
      limits: {
        maxKeyBytes: 256,
        maxValueBytes: 1048576,
        maxBatchEntries: 1000,
        maxBatchBytes: 4194304,
        maxTtlMs: 315532800000,
        maxPageSize: 10000,
      },
      revision: 77n,
      capabilities: [
        Capability.REVISIONS,
        Capability.CONDITIONAL_WRITES,
        Capability.INCREMENT,
        Capability.ATOMIC_BATCHES,
        Capability.TTL,
        Capability.LIST_PAGES,
      ],
      readOnly: true,
    });
    assert.equal(requests["Describe"]![0].store, 3);
  });

  test("bad arguments are TypeErrors naming them, and nothing is sent", async () => {
    const bad: [Promise<unknown>, RegExp][] = [
      [store.set("k", "v", { ifRevision: -1 }), /ifRevision must be an integer from 0 to 18446744073709551615/],
      [store.setWithRevision("k", "v", { ifRevision: 1n << 64n }), /ifRevision/],
      [store.delete("k", { ifRevision: 1.5 }), /ifRevision/],
      [store.set("k", "v", { ifRevision: "3" as unknown as number }), /ifRevision/],
      [store.increment("k", 2 ** 53), /delta must be an integer/],
      [store.increment("k", 1n << 63n), /delta/],
      [store.getMany("ab" as unknown as string[]), /getMany takes an iterable of keys/],
      [store.deleteMany([1] as unknown as string[]), /deleteMany: key 0 must be a string/],
      [store.setMany([{ key: "a" }] as never), /setMany: entry 0 \("a"\): the value must be/],
      [store.setMany([null] as never), /setMany: entry 0 must be/],
      [store.setMany([{ key: "a", value: "", ifRevision: -2 }]), /entry 0's \("a"\) ifRevision/],
      [store.update("k", "nope" as never), /update's fn must be a function/],
      [store.update("k", () => "v", { maxAttempts: 0 }), /maxAttempts must be an integer >= 1/],
      [store.set("k", "v", { ttlMs: "5m" as unknown as number }), /ttlMs must be a finite number of milliseconds, got 5m/],
      [store.set("k", "v", { ttlMs: NaN }), /ttlMs must be a finite number/],
      [store.setJson("k", 1, { ttlMs: Infinity }), /ttlMs/],
      [store.set("k", "v", { ttlMs: 2 ** 60 }), /ttlMs/],
      [store.set("k", "v", { ttlMs: 10n as unknown as number }), /ttlMs/],
      [store.setMany([{ key: "a", value: "", ttlMs: null as unknown as number }]), /entry 0's \("a"\) ttlMs must be/],
      [store.update("k", () => "v", { ttlMs: -Infinity }), /ttlMs/],
    ];
    for (const [call, pattern] of bad) await assert.rejects(call, (e: unknown) => e instanceof TypeError && pattern.test(e.message));
    assert.deepEqual(Object.keys(requests), []);
  });

  describe("Store.update over gRPC, with the backoff's sleep and random replaced", () => {
    const saved = { ...timing };
    let sleeps: number[] = [];
    before(() => {
      timing.sleep = async (ms: number) => {
        sleeps.push(ms);
      };
      timing.random = () => 1;
    });
    after(() => Object.assign(timing, saved));
    afterEach(() => {
      sleeps = [];
    });

    const bang = (v: Uint8Array | null) => (v === null ? "start" : Buffer.from(v).toString() + "!");
    // The next `times` Sets find `key` rewritten just before them.
    const interfere = (times: number, key: string) => {
      beforeSet = () => {
        if (times-- > 0) put(key, "other");
      };
    };

    test("creates, then appends: create-only first, then the read revision", async () => {
      const first = await store.update("u/new", bang);
      const second = await store.update("u/new", bang);
      assert.ok(second > first);
      assert.equal(Buffer.from((await store.getEntry("u/new")).value).toString(), "start!");
      assert.deepEqual(
        requests["Set"]!.map((r) => r.ifRevision),
        [0n, first],
      );
      assert.deepEqual(sleeps, []);
    });

    test("conflicts retry after the backoff", async () => {
      put("u/race", "v");
      interfere(3, "u/race");
      await store.update("u/race", bang);
      assert.equal(Buffer.from(await store.get("u/race")).toString(), "other!");
      assert.deepEqual(sleeps, [10, 20, 40]);
    });

    test("attempts exhausted: the last ConditionFailedError, with the current revision", async () => {
      put("u/lost", "v");
      interfere(5, "u/lost");
      const e = await store.update("u/lost", bang, { maxAttempts: 2 }).catch((e: unknown) => e);
      assert.ok(e instanceof ConditionFailedError, String(e));
      assert.equal(e.currentRevision, data.get("u/lost")!.revision);
      assert.deepEqual(sleeps, [10]);
    });

    test("every write of an update carries its ttlMs", async () => {
      put("u/ttl", "v");
      interfere(1, "u/ttl");
      await store.update("u/ttl", bang, { ttlMs: 30000 });
      await store.update("u/ttl", bang); // no ttl: the write clears the expiry
      assert.deepEqual(
        requests["Set"]!.map((r) => r.ttl),
        [{ seconds: 30n, nanos: 0 }, { seconds: 30n, nanos: 0 }, undefined],
      );
    });

    test("a signal already aborted rejects before any call; its call options reach each call", async () => {
      const e = await store.update("u/x", bang, { signal: AbortSignal.abort() }).catch((e: unknown) => e);
      assert.ok(e instanceof KvError && e.name === "AbortError", String(e));
      assert.deepEqual(Object.keys(requests), []);
      const late = await store.update("u/x", bang, { deadline: Date.now() - 1 }).catch((e: unknown) => e);
      assert.ok(late instanceof KvError && late.grpcCode === status.DEADLINE_EXCEEDED, String(late));
    });
  });
});
