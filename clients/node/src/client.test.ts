// The client's own behaviour, against a fake kv.v1.KeyValue served by
// @grpc/grpc-js in this process (no kvd needed): error mapping from the
// "kv-error-code" trailer, the bearer token, deadlines, an unreachable server,
// address resolution.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { Metadata, Server, ServerCredentials, status, type ServiceDefinition } from "@grpc/grpc-js";

import { KeyValueDefinition, type OpenRequest, type OpenResponse } from "./gen/kv/v1/kv.js";
import {
  DEFAULT_ADDRESS,
  ErrorCode,
  KvError,
  Store,
  errorCodeFromMetadata,
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

const openMethod = KeyValueDefinition.methods.open;
const definition: ServiceDefinition = {
  Open: {
    path: `/${KeyValueDefinition.fullName}/${openMethod.name}`,
    requestStream: false,
    responseStream: false,
    requestSerialize: (m: OpenRequest) => Buffer.from(openMethod.requestType.encode(m).finish()),
    requestDeserialize: (b: Buffer) => openMethod.requestType.decode(b),
    responseSerialize: (m: OpenResponse) => Buffer.from(openMethod.responseType.encode(m).finish()),
    responseDeserialize: (b: Buffer) => openMethod.responseType.decode(b),
  },
};

describe("client", () => {
  const server = new Server();
  let address = "";

  before(async () => {
    server.addService(definition, {
      Open: (call: any, callback: any) => {
        seenAuthorization.push(String(call.metadata.get("authorization")[0] ?? ""));
        const name: string = call.request.name;
        if (name === "orders") {
          callback({ code: status.NOT_FOUND, details: 'NO_SUCH_STORE: store "orders" is not defined', metadata: trailer("ERROR_CODE_NO_SUCH_STORE") });
        } else if (name === "future") {
          callback({ code: status.INTERNAL, details: "SOMETHING_NEW: ...", metadata: trailer("ERROR_CODE_FROM_THE_FUTURE") });
        } else if (name === "bare") {
          callback({ code: status.UNAVAILABLE, details: "kvd is shutting down; retry elsewhere" });
        } else if (name === "slow") {
          setTimeout(() => callback(null, { store: 9 }), 2000);
        } else {
          callback(null, { store: 7 });
        }
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

  test("an unreachable server", async () => {
    const e = await Store.open("default", { address: "unix:/nonexistent/kvd.sock", timeoutMs: 2000 }).catch(
      (e: unknown) => e,
    );
    assert.ok(isServerUnavailable(e), String(e));
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
