// The client's own behaviour, against a fake kv.v1.KeyValue served by
// @grpc/grpc-js in this process (no kvd needed): error mapping from the
// "kv-error-code" trailer, the bearer token, deadlines, an unreachable server,
// address resolution, AbortSignal and per-call deadlines, the typed error
// classes.

import assert from "node:assert/strict";
import { createServer } from "node:net";
import { after, before, describe, test } from "node:test";

import { Metadata, Server, ServerCredentials, status, type ServiceDefinition } from "@grpc/grpc-js";

import { KeyValueDefinition } from "./gen/kv/v1/kv.js";
import {
  AbortedError,
  DEFAULT_ADDRESS,
  DeadlineExceededError,
  ErrorCode,
  KvError,
  NoSuchStoreError,
  Store,
  UnavailableError,
  errorCodeFromMetadata,
  isAborted,
  isDeadlineExceeded,
  isNoSuchStore,
  isServerUnavailable,
  resolveAddress,
} from "./index.js";

// Open's behaviour in the fake, by store name.
const seenAuthorization: string[] = [];

function trailer(name: string): Metadata {
  const metadata = new Metadata();
  metadata.set("kv-error-code", name);
  return metadata;
}

// The fake's service definition for the methods it implements.
function unary(method: (typeof KeyValueDefinition.methods)[keyof typeof KeyValueDefinition.methods]) {
  const m = method as unknown as {
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
  Open: unary(KeyValueDefinition.methods.open),
  Get: unary(KeyValueDefinition.methods.get),
};

// Calls the fake received, and the ones whose client cancelled them.
let opens = 0;
const cancelled: string[] = [];
// Settles once the fake has seen the client cancel `call` ("Get KEY", "Open
// NAME"); a call that is never cancelled times the test out (the unref-ed
// poll then lets the process exit).
function cancellationOf(call: string): Promise<void> {
  return new Promise((resolve) => {
    const poll = () => (cancelled.includes(call) ? resolve() : setTimeout(poll, 10).unref());
    poll();
  });
}

describe("client", () => {
  const server = new Server();
  let address = "";

  before(async () => {
    server.addService(definition, {
      Open: (call: any, callback: any) => {
        opens++;
        seenAuthorization.push(String(call.metadata.get("authorization")[0] ?? ""));
        const name: string = call.request.name;
        if (name === "orders") {
          callback({ code: status.NOT_FOUND, details: 'NO_SUCH_STORE: store "orders" is not defined', metadata: trailer("ERROR_CODE_NO_SUCH_STORE") });
        } else if (name === "future") {
          callback({ code: status.INTERNAL, details: "SOMETHING_NEW: ...", metadata: trailer("ERROR_CODE_FROM_THE_FUTURE") });
        } else if (name === "bare") {
          callback({ code: status.UNAVAILABLE, details: "kvd is shutting down; retry elsewhere" });
        } else if (name.startsWith("slow")) {
          let answered = false;
          const timer = setTimeout(() => {
            answered = true;
            callback(null, { store: 9 });
          }, 2000);
          // grpc-js also reports "cancelled" once an answered call's stream
          // closes; only a cancellation before the answer counts.
          call.on("cancelled", () => {
            if (answered) return;
            clearTimeout(timer);
            cancelled.push(`Open ${name}`);
          });
        } else {
          callback(null, { store: 7 });
        }
      },
      // Get "slow/MS" answers after MS milliseconds, unless cancelled first.
      Get: (call: any, callback: any) => {
        const key: string = call.request.key;
        const ms = Number(key.split("/")[1] ?? 0);
        let answered = false;
        const timer = setTimeout(() => {
          answered = true;
          callback(null, { value: Buffer.from(key), revision: 1n });
        }, ms);
        call.on("cancelled", () => {
          if (answered) return;
          clearTimeout(timer);
          cancelled.push(`Get ${key}`);
        });
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    address = `127.0.0.1:${port}`;
  });

  after(() => {
    server.forceShutdown();
  });

  test("the trailer's ErrorCode, the gRPC code and kvd's message", async () => {
    const e = await Store.open("orders", { address }).then(
      () => assert.fail("open succeeded"),
      (e: unknown) => e,
    );
    assert.ok(e instanceof KvError);
    assert.ok(e instanceof Error);
    assert.equal(e.code, ErrorCode.NO_SUCH_STORE);
    assert.equal(e.grpcCode, status.NOT_FOUND);
    assert.equal(e.grpcCodeName, "NOT_FOUND");
    assert.equal(e.message, 'NO_SUCH_STORE: store "orders" is not defined');
    assert.ok(isNoSuchStore(e));
    assert.ok(e instanceof NoSuchStoreError);
    assert.equal(e.name, "KvError");
  });

  test("an unknown ErrorCode name is UNSPECIFIED", async () => {
    const e = await Store.open("future", { address }).catch((e: unknown) => e);
    assert.ok(e instanceof KvError);
    assert.equal(e.code, ErrorCode.UNSPECIFIED);
    assert.equal(e.grpcCode, status.INTERNAL);
  });

  test("no trailer: UNSPECIFIED; UNAVAILABLE is the server being unavailable", async () => {
    const e = await Store.open("bare", { address }).catch((e: unknown) => e);
    assert.ok(e instanceof KvError);
    assert.equal(e.code, ErrorCode.UNSPECIFIED);
    assert.ok(isServerUnavailable(e));
  });

  test("the token travels as authorization: Bearer", async () => {
    seenAuthorization.length = 0;
    const store = await Store.open("default", { address, token: "s3cret" });
    assert.equal(store.handle, 7);
    assert.deepEqual(seenAuthorization, ["Bearer s3cret"]);
    seenAuthorization.length = 0;
    await Store.open("default", { address });
    assert.deepEqual(seenAuthorization, [""]);
  });

  test("the per-call deadline", async () => {
    const e = await Store.open("slow", { address, timeoutMs: 100 }).catch((e: unknown) => e);
    assert.ok(isDeadlineExceeded(e), String(e));
    assert.equal((e as KvError).code, ErrorCode.UNSPECIFIED);
  });

  test("an unreachable server: a missing unix socket, named in the message", async () => {
    const e = await Store.open("default", { address: "unix:/nonexistent/kvd.sock", timeoutMs: 2000 }).catch(
      (e: unknown) => e,
    );
    assert.ok(isServerUnavailable(e), String(e));
    assert.ok(e instanceof UnavailableError);
    assert.equal(e.address, "unix:/nonexistent/kvd.sock");
    assert.match(e.message, /^cannot reach kvd at unix:\/nonexistent\/kvd\.sock: /);
  });

  test("an unreachable server: a closed TCP port, named in the message", async () => {
    // A port that was just free: bound, then released.
    const probe = createServer();
    const port = await new Promise<number>((resolve) =>
      probe.listen(0, "127.0.0.1", () => resolve((probe.address() as { port: number }).port)),
    );
    await new Promise((resolve) => probe.close(resolve));
    const closed = `127.0.0.1:${port}`;
    const e = await Store.open("default", { address: closed, timeoutMs: 5000 }).catch((e: unknown) => e);
    assert.ok(e instanceof UnavailableError, String(e));
    assert.ok(e.message.includes(`kvd at ${closed}`), e.message);
    assert.equal(e.code, ErrorCode.UNSPECIFIED);
  });

  test("a per-call timeoutMs overrides the store's, both ways", async () => {
    const store = await Store.open("default", { address, timeoutMs: 5000 });
    const short = await store.get("slow/2000", { timeoutMs: 100 }).catch((e: unknown) => e);
    assert.ok(short instanceof DeadlineExceededError, String(short));
    assert.ok(isDeadlineExceeded(short));
    assert.ok(short.message.includes(`kvd at ${address}`), short.message);
    const quick = await Store.open("default", { address, timeoutMs: 100 });
    // The store's 100 ms would expire; the call's 5 s does not.
    assert.equal(Buffer.from(await quick.get("slow/300", { timeoutMs: 5000 })).toString(), "slow/300");
    const e = await quick.get("slow/300").catch((e: unknown) => e);
    assert.ok(isDeadlineExceeded(e), String(e));
  });

  test("a per-call deadline (a Date or epoch ms) overrides the store's timeoutMs", async () => {
    const store = await Store.open("default", { address, timeoutMs: 5000 });
    for (const deadline of [new Date(Date.now() + 100), Date.now() + 100]) {
      const e = await store.get("slow/2000", { deadline }).catch((e: unknown) => e);
      assert.ok(isDeadlineExceeded(e), String(e));
    }
    const e = await Store.open("slow", { address, deadline: Date.now() + 100 }).catch((e: unknown) => e);
    assert.ok(isDeadlineExceeded(e), String(e));
  });

  test("bad call options are a TypeError naming the option", async () => {
    const store = await Store.open("default", { address });
    await assert.rejects(store.get("k", { timeoutMs: -1 }), /timeoutMs must be a finite number/);
    await assert.rejects(store.get("k", { timeoutMs: Number.NaN }), TypeError);
    await assert.rejects(store.get("k", { deadline: new Date("nope") }), /deadline must be a valid Date/);
    await assert.rejects(store.get("k", { deadline: 1, timeoutMs: 1 }), /deadline or its timeoutMs, not both/);
    await assert.rejects(store.get("k", { signal: {} as AbortSignal }), /signal must be an AbortSignal/);
    await assert.rejects(Store.open("default", { address, timeoutMs: -5 }), /timeoutMs must be/);
  });

  // The timeouts bound the wait for the fake to see the cancellation.
  test("aborting a call rejects with AbortedError and cancels the gRPC call", { timeout: 10_000 }, async () => {
    const store = await Store.open("default", { address });
    const controller = new AbortController();
    // A key of this test's own: the fake records other tests' expired calls too.
    const pending = store.get("slow/3001", { signal: controller.signal });
    // Abort once the fake is handling the call, so it has something to cancel.
    setTimeout(() => controller.abort(new Error("user went away")), 100);
    const e = await pending.catch((e: unknown) => e);
    assert.ok(e instanceof AbortedError, String(e));
    assert.ok(isAborted(e));
    assert.equal(e.name, "AbortError");
    assert.equal(e.grpcCode, status.CANCELLED);
    assert.equal(e.code, ErrorCode.UNSPECIFIED);
    assert.equal((e.cause as Error).message, "user went away");
    assert.match(e.message, /Get was aborted: user went away/);
    await cancellationOf("Get slow/3001");
  });

  test("aborting Store.open cancels it; AbortSignal.timeout works too", { timeout: 10_000 }, async () => {
    const e = await Store.open("slow-abort", { address, signal: AbortSignal.timeout(100) }).catch((e: unknown) => e);
    assert.ok(isAborted(e), String(e));
    assert.equal((e as AbortedError).cause instanceof DOMException, true);
    await cancellationOf("Open slow-abort");
  });

  test("an already aborted signal rejects before anything is sent", async () => {
    const before = opens;
    const e = await Store.open("default", { address, signal: AbortSignal.abort() }).catch((e: unknown) => e);
    assert.ok(isAborted(e), String(e));
    assert.equal(opens, before);
  });

  test("a signal that never fires changes nothing", async () => {
    const controller = new AbortController();
    const store = await Store.open("default", { address, signal: controller.signal });
    assert.equal(Buffer.from(await store.get("slow/0", { signal: controller.signal })).toString(), "slow/0");
    controller.abort(); // after the calls: no effect on them, nothing left listening
  });

  test("address: option, then $KVD_ADDR, then the default", () => {
    const saved = process.env["KVD_ADDR"];
    try {
      process.env["KVD_ADDR"] = "unix:/tmp/x.sock";
      assert.equal(resolveAddress({ address: "h:1" }), "h:1");
      assert.equal(resolveAddress(), "unix:/tmp/x.sock");
      delete process.env["KVD_ADDR"];
      assert.equal(resolveAddress({}), DEFAULT_ADDRESS);
    } finally {
      if (saved === undefined) delete process.env["KVD_ADDR"];
      else process.env["KVD_ADDR"] = saved;
    }
  });

  test("errorCodeFromMetadata", () => {
    assert.equal(errorCodeFromMetadata(trailer("ERROR_CODE_NO_SUCH_KEY")), ErrorCode.NO_SUCH_KEY);
    assert.equal(errorCodeFromMetadata(trailer("ERROR_CODE_IO")), ErrorCode.IO);
    assert.equal(errorCodeFromMetadata(new Metadata()), ErrorCode.UNSPECIFIED);
    assert.equal(errorCodeFromMetadata(undefined), ErrorCode.UNSPECIFIED);
  });
});
