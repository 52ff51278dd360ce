// Store.listKeys, the lazily paging async iterator, and listKeysPage, against
// a fake ListKeys served by @grpc/grpc-js in this process (no kvd needed):
// nothing is sent before the first key is awaited, a page is fetched only
// once the caller has used up the one before, each request carries the
// previous page's token with the same prefix and page size, a short or empty
// page that is not the last does not end the listing, and errors reject the
// next() that needed the page.

import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";

import { Metadata, Server, ServerCredentials, status, type ServiceDefinition } from "@grpc/grpc-js";

import { KeyValueDefinition } from "./gen/kv/v1/kv.js";
import { AbortedError, InvalidStoreError, IoError, Store, isInvalidArgument } from "./index.js";

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
  ListKeys: unary(M.listKeys),
};

const KEYS = ["p/0", "p/1", "p/2", "p/3", "p/4", "q/0", "o/9"].sort();

function invalid(details: string) {
  const metadata = new Metadata();
  metadata.set("kv-error-code", "ERROR_CODE_IO");
  return { code: status.INVALID_ARGUMENT, details, metadata };
}

// Every ListKeys request the fake received: [prefix, pageSize, pageToken].
let sent: [string, number, string][] = [];
// How many of the next answers are empty pages that are not the last.
let emptyPages = 0;

// ListKeys over KEYS, as kvd pages: byte order, keys after the token's, at
// most pageSize (0: 1000), "" on the last page. A token is "PREFIX\0LAST-KEY"
// and is refused (IO, INVALID_ARGUMENT) with another prefix, as kvd refuses one.
function listKeys(call: any, cb: any) {
  const { prefix, pageSize, pageToken } = call.request as { prefix: string; pageSize: number; pageToken: string };
  sent.push([prefix, pageSize, pageToken]);
  let afterKey = "";
  if (pageToken !== "") {
    const [issuedFor, last] = pageToken.split("\0") as [string, string];
    if (issuedFor !== prefix) return cb(invalid(`IO: page_token was issued for prefix "${issuedFor}", not "${prefix}"`));
    afterKey = last;
  }
  if (pageSize < 0) return cb(invalid("IO: page_size is negative"));
  if (emptyPages > 0) {
    emptyPages--;
    return cb(null, { keys: [], nextPageToken: `${prefix}\0${afterKey}` });
  }
  const matching = KEYS.filter((k) => k.startsWith(prefix) && k > afterKey);
  const keys = matching.slice(0, pageSize || 1000);
  cb(null, { keys, nextPageToken: matching.length > keys.length ? `${prefix}\0${keys[keys.length - 1]}` : "" });
}

describe("listKeys and listKeysPage", () => {
  const server = new Server();
  let address = "";
  let store: Store;

  before(async () => {
    server.addService(definition, {
      Open: (_call: any, cb: any) => cb(null, { store: 5 }),
      Close: (_call: any, cb: any) => cb(null, {}),
      ListKeys: listKeys,
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

  beforeEach(() => {
    sent = [];
    emptyPages = 0;
  });

  test("fetches each page only when the caller reaches it", async () => {
    const keys = store.listKeys({ prefix: "p/", pageSize: 2 });
    assert.deepEqual(sent, [], "listKeys sent a request before iteration");
    assert.deepEqual(await keys.next(), { value: "p/0", done: false });
    assert.deepEqual(sent, [["p/", 2, ""]]);
    assert.deepEqual(await keys.next(), { value: "p/1", done: false });
    // Page 1 is used up; page 2 is not fetched until a key of it is awaited.
    assert.equal(sent.length, 1);
    assert.deepEqual(await keys.next(), { value: "p/2", done: false });
    assert.deepEqual(sent, [
      ["p/", 2, ""],
      ["p/", 2, "p/\0p/1"],
    ]);
    const rest: string[] = [];
    for await (const key of keys) rest.push(key);
    assert.deepEqual(rest, ["p/3", "p/4"]);
    assert.deepEqual(sent[2], ["p/", 2, "p/\0p/3"]);
    assert.equal(sent.length, 3);
  });

  test("the defaults list every key in one request", async () => {
    const all: string[] = [];
    for await (const key of store.listKeys()) all.push(key);
    assert.deepEqual(all, KEYS);
    assert.deepEqual(sent, [["", 0, ""]]);
  });

  test("breaking out of for await sends nothing more", async () => {
    for await (const key of store.listKeys({ pageSize: 1 })) {
      if (key === "p/0") break;
    }
    assert.deepEqual(
      sent.map(([, , token]) => token),
      ["", "\0o/9"],
    );
  });

  test("an empty page that is not the last does not end the listing", async () => {
    emptyPages = 2;
    const keys: string[] = [];
    for await (const key of store.listKeys({ prefix: "p/", pageSize: 3 })) keys.push(key);
    assert.deepEqual(keys, ["p/0", "p/1", "p/2", "p/3", "p/4"]);
    assert.equal(sent.length, 4);
  });

  test("listKeysPage: one page and its token; a token for another prefix is INVALID_ARGUMENT", async () => {
    const page = await store.listKeysPage({ prefix: "p/", pageSize: 1 });
    assert.deepEqual(page, { keys: ["p/0"], nextPageToken: "p/\0p/0" });
    assert.deepEqual(await store.listKeysPage({ prefix: "p/", pageSize: 4, pageToken: page.nextPageToken }), {
      keys: ["p/1", "p/2", "p/3", "p/4"],
      nextPageToken: "",
    });
    const e = await store.listKeysPage({ prefix: "q/", pageToken: page.nextPageToken }).catch((e: unknown) => e);
    assert.ok(e instanceof IoError && isInvalidArgument(e), String(e));
    assert.match(e.message, /issued for prefix "p\/"/);
  });

  test("errors reject the next() that needed the page", async () => {
    const keys = store.listKeys({ prefix: "p/", pageSize: -1 }); // kvd's to refuse, when iterated
    assert.deepEqual(sent, []);
    await assert.rejects(keys.next(), (e: unknown) => isInvalidArgument(e) && /page_size is negative/.test(String(e)));
    const controller = new AbortController();
    const aborting = store.listKeys({ pageSize: 3, signal: controller.signal });
    assert.equal((await aborting.next()).value, "o/9");
    controller.abort();
    await aborting.next(); // the rest of page 1 is already here
    await aborting.next();
    await assert.rejects(aborting.next(), (e: unknown) => e instanceof AbortedError);
    assert.equal(sent.length, 2); // the negative page size, then page 1; the aborted page 2 was never sent
  });

  test("wrong argument types throw at once, before anything is sent", () => {
    const bad: [() => unknown, RegExp][] = [
      [() => store.listKeys({ prefix: 5 as unknown as string }), /prefix must be a string/],
      [() => store.listKeys({ pageSize: 1.5 }), /pageSize must be an integer/],
      [() => store.listKeys({ pageSize: 2 ** 31 }), /pageSize must be an integer \(an int32/],
      [() => store.listKeys({ pageSize: "10" as unknown as number }), /pageSize/],
    ];
    for (const [call, pattern] of bad) assert.throws(call, (e: unknown) => e instanceof TypeError && pattern.test(e.message));
    assert.deepEqual(sent, []);
  });

  test("listKeysPage's wrong arguments reject with TypeErrors", async () => {
    await assert.rejects(store.listKeysPage({ pageToken: 3 as unknown as string }), /pageToken must be a string/);
    await assert.rejects(store.listKeysPage({ pageSize: NaN }), TypeError);
    assert.deepEqual(sent, []);
  });

  test("a closed store rejects when iterated", async () => {
    const own = await Store.open("default", { address });
    const keys = own.listKeys();
    await own.close();
    await assert.rejects(keys.next(), (e: unknown) => e instanceof InvalidStoreError);
    assert.deepEqual(sent, []);
  });
});
