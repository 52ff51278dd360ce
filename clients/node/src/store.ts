// Store: an open kvd store, the Node counterpart of Spin's `Kv.open(name)`.

import { Client, credentials as grpcCredentials, Metadata, status, type ChannelCredentials } from "@grpc/grpc-js";

import { ErrorCode, InvalidStoreError, KvError, abortedError } from "./errors.js";
import { KeyValueDefinition, type MessageFns } from "./gen/kv/v1/kv.js";
import {
  checkDelta,
  checkKeys,
  checkRevision,
  descriptionFromWire,
  entriesFromWire,
  listKeysRequest,
  ttlDuration,
  wireSetEntries,
  type Entry,
  type IncrementResult,
  type KeyPage,
  type SetManyEntry,
  type StoreDescription,
  type Versioned,
} from "./records.js";
import { DEFAULT_MAX_ATTEMPTS, checkMaxAttempts, runUpdate, timing, type UpdateFn } from "./update.js";

const KV = KeyValueDefinition.methods;

// Node 20.0-20.3 lack the well-known symbol; `await using` looks it up here.
(Symbol as { asyncDispose?: symbol }).asyncDispose ??= Symbol.for("Symbol.asyncDispose");

/** The address used when neither `options.address` nor $KVD_ADDR is set. */
export const DEFAULT_ADDRESS = "127.0.0.1:50051";

/** TLS settings; PEM contents, not file names. */
export interface TlsOptions {
  /** CA certificates to trust; the system's roots when absent. */
  rootCerts?: Buffer | string;
  /** Client certificate chain and key, for mutual TLS. */
  certChain?: Buffer | string;
  privateKey?: Buffer | string;
}

/** How to reach kvd. Every field is optional. */
export interface StoreOptions {
  /** "host:port" or "unix:/path". Default: $KVD_ADDR, else "127.0.0.1:50051". */
  address?: string;
  /** Deadline of each call, in milliseconds; a call's own `timeoutMs` or `deadline` overrides it. Default 10000. */
  timeoutMs?: number;
  /** Use TLS: `true` for the system's roots, or explicit certificates. Default: plaintext. */
  tls?: boolean | TlsOptions;
  /** Sent as "authorization: Bearer <token>" on every call. */
  token?: string;
  /** Largest response accepted, in bytes. Default 64 MiB (kvd values are at most 1 MiB unless raised). */
  maxReceiveMessageBytes?: number;
}

/**
 * Settings of one call, the last argument of every Store method. All optional.
 * A call's deadline is `deadline` if set, else now + `timeoutMs` if set, else
 * now + the store's `timeoutMs` (default 10 s); setting both here is an error.
 */
export interface CallOptions {
  /**
   * Aborting it cancels the call (the gRPC call is cancelled, kvd stops
   * working on it) and rejects the promise at once with an {@link AbortedError}
   * (`isAborted(e)`, `e.name === "AbortError"`, `e.cause` is the signal's
   * reason). An already aborted signal rejects before anything is sent. A write
   * kvd received before the cancellation may still be committed.
   */
  signal?: AbortSignal;
  /** This call's deadline, in milliseconds from now; overrides the store's `timeoutMs`. */
  timeoutMs?: number;
  /** This call's deadline as a point in time (a `Date` or milliseconds since the epoch). */
  deadline?: Date | number;
}

/**
 * The options of `set`, `setWithRevision` and `setJson`: {@link CallOptions},
 * a condition and an expiry.
 */
export interface SetOptions extends CallOptions {
  /**
   * Write only if the key's current revision equals this; 0 (or 0n): only if
   * the key is absent (create-only). Otherwise the call rejects with a
   * ConditionFailedError and writes nothing. Absent: unconditional.
   */
  ifRevision?: bigint | number;
  /**
   * The key expires this many milliseconds after the write, by the backend's
   * clock, to the millisecond: from then on every read treats it as absent.
   * From 1 to the store's `maxTtlMs` (`describe()`; 10 years by default),
   * else the call rejects with IO + INVALID_ARGUMENT. Absent: the key never
   * expires, and an expiry it had is cleared.
   */
  ttlMs?: number;
}

/**
 * The options of `listKeys`: {@link CallOptions}, which apply to each page's
 * call (a `deadline` therefore bounds the whole listing, a `timeoutMs` each
 * page; aborting the `signal` rejects the next `next()`), and what to list.
 */
export interface ListOptions extends CallOptions {
  /** Only keys that start with this string (byte for byte; no character is special). Default "": every key. */
  prefix?: string;
  /** Keys per page; 0 (the default) means kvd's default, 1,000; above the store's `maxPageSize` means that. */
  pageSize?: number;
}

/** The options of `listKeysPage`: {@link ListOptions} and the page to fetch. */
export interface ListPageOptions extends ListOptions {
  /** "" (the default) for the first page; else the previous page's `nextPageToken`, with the same prefix. */
  pageToken?: string;
}

/** The options of `delete` and `deleteWithRevision`: {@link CallOptions} and a condition. */
export interface DeleteOptions extends CallOptions {
  /** Delete only if the key's current revision equals this, as for {@link SetOptions.ifRevision}. */
  ifRevision?: bigint | number;
}

/**
 * The options of `update`: {@link CallOptions}, which apply to each call it
 * makes (a `deadline` therefore bounds the whole update, a `timeoutMs` each
 * call; aborting the `signal` also ends a backoff at once), and the number of
 * attempts.
 */
export interface UpdateOptions extends CallOptions {
  /** Attempts in all, the first included; default 10. */
  maxAttempts?: number;
  /** The write's ttl, as for {@link SetOptions.ttlMs} (absent: the key's expiry is cleared). */
  ttlMs?: number;
}

/**
 * `Store.open`'s options: how to reach kvd ({@link StoreOptions}), plus the
 * `signal` and `deadline` of the Open call itself. `timeoutMs` is both the
 * Open call's deadline (unless `deadline` is set) and the store's default.
 */
export interface OpenOptions extends StoreOptions {
  /** Aborts the Open call (see {@link CallOptions.signal}); the store, once open, does not watch it. */
  signal?: AbortSignal;
  /** The Open call's deadline as a point in time; later calls use `timeoutMs`. */
  deadline?: Date | number;
}

function checkTimeout(what: string, ms: unknown): number {
  if (typeof ms !== "number" || !Number.isFinite(ms) || ms < 0) {
    throw new TypeError(`kvd: ${what} must be a finite number of milliseconds >= 0, got ${String(ms)}`);
  }
  return ms;
}

function checkDeadline(deadline: unknown): Date {
  const at = deadline instanceof Date ? deadline.getTime() : deadline;
  if (typeof at !== "number" || !Number.isFinite(at)) {
    throw new TypeError(`kvd: deadline must be a valid Date or milliseconds since the epoch, got ${String(deadline)}`);
  }
  return new Date(at);
}

function checkSignal(signal: unknown): AbortSignal | undefined {
  if (signal === undefined) return undefined;
  if (!(signal instanceof AbortSignal)) throw new TypeError(`kvd: signal must be an AbortSignal, got ${String(signal)}`);
  return signal;
}

/** The address `options` names, after the $KVD_ADDR and default fallbacks. */
export function resolveAddress(options: StoreOptions = {}): string {
  return options.address || process.env["KVD_ADDR"] || DEFAULT_ADDRESS;
}

function toBuffer(value: Buffer | string | undefined): Buffer | null {
  if (value === undefined) return null;
  return typeof value === "string" ? Buffer.from(value) : value;
}

function channelCredentials(options: StoreOptions): ChannelCredentials {
  const tls = options.tls;
  if (!tls) return grpcCredentials.createInsecure();
  const settings: TlsOptions = tls === true ? {} : tls;
  return grpcCredentials.createSsl(
    toBuffer(settings.rootCerts),
    toBuffer(settings.privateKey),
    toBuffer(settings.certChain),
  );
}

function asBuffer(value: Uint8Array | string): Buffer {
  if (typeof value === "string") return Buffer.from(value, "utf8");
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  throw new TypeError("kvd: a value must be a Uint8Array or a string");
}

// A unary method of the generated kv.v1.KeyValue definition.
interface Method<Req, Res> {
  readonly name: string;
  readonly requestType: MessageFns<Req>;
  readonly responseType: MessageFns<Res>;
}

// The connection and call settings one Store uses.
class Connection {
  private readonly client: Client;
  private readonly timeoutMs: number;
  private readonly token: string | undefined;
  /** The kvd address, for the messages of errors kvd did not classify. */
  readonly address: string;

  constructor(options: StoreOptions) {
    this.timeoutMs = options.timeoutMs === undefined ? 10_000 : checkTimeout("timeoutMs", options.timeoutMs);
    this.token = options.token;
    this.address = resolveAddress(options);
    // Channels with the same address and options share one connection
    // (grpc-js pools subchannels), so many open stores cost one socket.
    this.client = new Client(this.address, channelCredentials(options), {
      "grpc.max_receive_message_length": options.maxReceiveMessageBytes ?? 64 * 1024 * 1024,
      "grpc.max_send_message_length": -1,
    });
  }

  /** Runs one unary call with `options`' deadline and signal; rejects with a KvError. */
  call<Req, Res>(method: Method<Req, Res>, request: Req, options: CallOptions = {}): Promise<Res> {
    let deadline: Date;
    let signal: AbortSignal | undefined;
    try {
      if (options.deadline !== undefined && options.timeoutMs !== undefined) {
        throw new TypeError("kvd: set a call's deadline or its timeoutMs, not both");
      }
      deadline =
        options.deadline !== undefined
          ? checkDeadline(options.deadline)
          : new Date(Date.now() + (options.timeoutMs === undefined ? this.timeoutMs : checkTimeout("timeoutMs", options.timeoutMs)));
      signal = checkSignal(options.signal);
    } catch (e) {
      return Promise.reject(e);
    }
    if (signal?.aborted) return Promise.reject(abortedError(method.name, signal));
    const metadata = new Metadata();
    if (this.token) metadata.set("authorization", `Bearer ${this.token}`);
    return new Promise<Res>((resolve, reject) => {
      let onAbort: (() => void) | undefined;
      let settled = false;
      const call = this.client.makeUnaryRequest(
        `/${KeyValueDefinition.fullName}/${method.name}`,
        (message: Req) => Buffer.from(method.requestType.encode(message).finish()),
        (bytes: Buffer) => method.responseType.decode(bytes),
        request,
        metadata,
        { deadline },
        (error, response) => {
          settled = true;
          if (onAbort) signal!.removeEventListener("abort", onAbort);
          if (error) reject(KvError.fromGrpc(error, this.address));
          else resolve(response as Res);
        },
      );
      // A long-lived signal keeps no listener of a finished call.
      if (signal && !settled) {
        // Reject first, so the caller sees AbortedError rather than the
        // CANCELLED status that cancel() then reports (a no-op rejection).
        onAbort = () => {
          reject(abortedError(method.name, signal!));
          call.cancel();
        };
        signal.addEventListener("abort", onAbort, { once: true });
      }
    });
  }

  close(): void {
    this.client.close();
  }
}

/**
 * An open kvd store: `await Store.open("default")`. Values are bytes
 * (`Uint8Array`; strings are stored as UTF-8); keys are non-empty UTF-8
 * strings of at most 256 bytes. Every failed call rejects with a
 * {@link KvError}. Every method takes {@link CallOptions} last: an
 * `AbortSignal` and a deadline overriding the store's `timeoutMs`.
 *
 * Close it when done: `await using store = await Store.open(...)` (TypeScript
 * 5.2+) or `try { ... } finally { await store.close(); }`. kvd reclaims
 * handles idle for an hour, and each client holds at most 256.
 */
export class Store implements AsyncDisposable {
  private closed = false;

  private constructor(
    private readonly connection: Connection,
    /** The store's name, as passed to `open`. */
    readonly name: string,
    /** The handle kvd issued; never 0. */
    readonly handle: number,
  ) {}

  /** Opens the store `name` ("default" always exists; others come from kvd's runtime config). */
  static async open(name: string, options: OpenOptions = {}): Promise<Store> {
    const connection = new Connection(options);
    try {
      const call: CallOptions = { signal: options.signal };
      if (options.deadline !== undefined) call.deadline = options.deadline;
      const response = await connection.call(KV.open, { name }, call);
      return new Store(connection, name, response.store);
    } catch (e) {
      connection.close();
      throw e;
    }
  }

  /** Opens the "default" store. */
  static openDefault(options: OpenOptions = {}): Promise<Store> {
    return Store.open("default", options);
  }

  /** The value under `key`. Rejects with NO_SUCH_KEY ({@link isNoSuchKey}) if there is none. */
  async get(key: string, options?: CallOptions): Promise<Uint8Array> {
    this.live();
    const response = await this.connection.call(KV.get, { store: this.handle, key }, options);
    return response.value;
  }

  /** The value under `key`, or null if there is none. Other errors reject as usual. */
  async getOrNull(key: string, options?: CallOptions): Promise<Uint8Array | null> {
    try {
      return await this.get(key, options);
    } catch (e) {
      if (e instanceof KvError && e.code === ErrorCode.NO_SUCH_KEY) return null;
      throw e;
    }
  }

  /**
   * The value under `key`, the revision of the write that last changed it and
   * when it expires (`expireTime`: a Date, or null if it does not). Rejects
   * with NO_SUCH_KEY ({@link isNoSuchKey}) if there is none.
   */
  async getEntry(key: string, options?: CallOptions): Promise<Versioned> {
    this.live();
    const response = await this.connection.call(KV.get, { store: this.handle, key }, options);
    return { value: response.value, revision: response.revision, expireTime: response.expireTime ?? null };
  }

  /** {@link getEntry}, or null if the key is absent. Other errors reject as usual. */
  async getEntryOrNull(key: string, options?: CallOptions): Promise<Versioned | null> {
    try {
      return await this.getEntry(key, options);
    } catch (e) {
      if (e instanceof KvError && e.code === ErrorCode.NO_SUCH_KEY) return null;
      throw e;
    }
  }

  /**
   * Stores `value` under `key`, replacing any value; resolves once the write
   * is committed. A string is stored as UTF-8. With `options.ifRevision`, only
   * if the key is at that revision (0: absent), else it rejects with a
   * ConditionFailedError. With `options.ttlMs`, the key expires that many
   * milliseconds after the write; without it, it never expires (an earlier
   * expiry is cleared). {@link setWithRevision} also resolves the revision.
   */
  async set(key: string, value: Uint8Array | string, options?: SetOptions): Promise<void> {
    await this.setWithRevision(key, value, options);
  }

  /** {@link set}, resolving the revision this write gave the key. */
  async setWithRevision(key: string, value: Uint8Array | string, options?: SetOptions): Promise<bigint> {
    this.live();
    const ifRevision = checkRevision("ifRevision", options?.ifRevision);
    const ttl = ttlDuration("ttlMs", options?.ttlMs);
    const response = await this.connection.call(KV.set, { store: this.handle, key, value: asBuffer(value), ifRevision, ttl }, options);
    return response.revision;
  }

  /**
   * Removes `key`. Deleting a missing key succeeds. With `options.ifRevision`,
   * only if the key is at that revision, as for {@link set}.
   * {@link deleteWithRevision} also resolves the revision.
   */
  async delete(key: string, options?: DeleteOptions): Promise<void> {
    await this.deleteWithRevision(key, options);
  }

  /** {@link delete}, resolving the delete's revision, or 0n if there was nothing to delete. */
  async deleteWithRevision(key: string, options?: DeleteOptions): Promise<bigint> {
    this.live();
    const ifRevision = checkRevision("ifRevision", options?.ifRevision);
    const response = await this.connection.call(KV.delete, { store: this.handle, key, ifRevision }, options);
    return response.revision;
  }

  /** Whether `key` has a value. */
  async exists(key: string, options?: CallOptions): Promise<boolean> {
    this.live();
    const response = await this.connection.call(KV.exists, { store: this.handle, key }, options);
    return response.exists;
  }

  /**
   * Every key in the store, in byte order, in one response (a store too big
   * for one rejects with RESOURCE_EXHAUSTED; {@link listKeys} pages instead).
   */
  async getKeys(options?: CallOptions): Promise<string[]> {
    this.live();
    const response = await this.connection.call(KV.getKeys, { store: this.handle }, options);
    return response.keys;
  }

  /**
   * The keys that start with `options.prefix` (every key by default), in byte
   * order, fetched a page at a time as the iteration reaches them:
   *
   *     for await (const key of store.listKeys({ prefix: "session/", pageSize: 500 })) { ... }
   *
   * Nothing is sent until the first key is awaited, and each next page
   * (`pageSize` keys; 0 means kvd's default of 1,000) is fetched only when the
   * keys of the one before are used up, so memory holds one page. Every key
   * that exists from the first page to the last is returned exactly once,
   * expired keys never; keys set or deleted meanwhile may or may not be.
   * Errors (e.g. IO + INVALID_ARGUMENT for a negative pageSize, INVALID_STORE
   * once the store is closed) reject the `next()` that needed the page; a
   * wrong argument type throws a TypeError at once.
   */
  listKeys(options: ListOptions = {}): AsyncGenerator<string, void, undefined> {
    listKeysRequest(this.handle, options.prefix ?? "", options.pageSize ?? 0, "");
    return this.pagedKeys(options);
  }

  private async *pagedKeys(options: ListOptions): AsyncGenerator<string, void, undefined> {
    let pageToken = "";
    do {
      const page = await this.listKeysPage({ ...options, pageToken });
      yield* page.keys;
      pageToken = page.nextPageToken;
    } while (pageToken !== "");
  }

  /**
   * One page of {@link listKeys}, for callers who page themselves: resolves
   * `{ keys, nextPageToken }`. Pass `pageToken` "" (the default) for the first
   * page, then each `nextPageToken` with the same prefix; "" means there are
   * no more. A page may hold fewer than `pageSize` keys and still not be the
   * last. Tokens are kvd's and opaque; one from another store or prefix
   * rejects with IO + INVALID_ARGUMENT ({@link isInvalidArgument}).
   */
  async listKeysPage(options: ListPageOptions = {}): Promise<KeyPage> {
    this.live();
    const request = listKeysRequest(this.handle, options.prefix ?? "", options.pageSize ?? 0, options.pageToken ?? "");
    const response = await this.connection.call(KV.listKeys, request, options);
    return { keys: response.keys, nextPageToken: response.nextPageToken };
  }

  /** The value under `key` parsed as UTF-8 JSON. Rejects with NO_SUCH_KEY if there is none, SyntaxError if it is not JSON. */
  async getJson<T = unknown>(key: string, options?: CallOptions): Promise<T> {
    const value = await this.get(key, options);
    return JSON.parse(Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("utf8")) as T;
  }

  /** Stores `value` as UTF-8 JSON under `key` (with `options.ifRevision` and `options.ttlMs` as for {@link set}). */
  async setJson(key: string, value: unknown, options?: SetOptions): Promise<void> {
    const text = JSON.stringify(value);
    if (text === undefined) throw new TypeError(`kvd: setJson(${JSON.stringify(key)}): the value has no JSON form`);
    await this.set(key, text, options);
  }

  /**
   * Adds `delta` (default 1; an int64, as a bigint or a safe-integer number)
   * to the counter under `key`, atomically, and resolves its new value. A
   * missing key counts as 0; the value is stored as decimal text (`get` gives
   * "42"). Rejects with NOT_AN_INTEGER ({@link isNotAnInteger}) if the value
   * is not such text, OUT_OF_RANGE ({@link isOutOfRange}) if the result does
   * not fit in an int64; either way the value is unchanged.
   * {@link incrementEntry} also resolves the revision.
   */
  async increment(key: string, delta: bigint | number = 1n, options?: CallOptions): Promise<bigint> {
    return (await this.incrementEntry(key, delta, options)).value;
  }

  /** {@link increment}, resolving the new value and the revision the increment wrote. */
  async incrementEntry(key: string, delta: bigint | number = 1n, options?: CallOptions): Promise<IncrementResult> {
    this.live();
    const response = await this.connection.call(KV.increment, { store: this.handle, key, delta: checkDelta(delta) }, options);
    return { value: response.value, revision: response.revision };
  }

  /**
   * Reads `keys` from one consistent snapshot: one {@link Entry} per key, in
   * the order given; a missing key is an entry with `found` false. A key given
   * twice, or more keys than the store's `maxBatchEntries`, reject with IO +
   * INVALID_ARGUMENT ({@link isInvalidArgument}).
   */
  async getMany(keys: Iterable<string>, options?: CallOptions): Promise<Entry[]> {
    this.live();
    const response = await this.connection.call(KV.getMany, { store: this.handle, keys: checkKeys("getMany", keys) }, options);
    return entriesFromWire(response.entries);
  }

  /**
   * Writes all `entries` or none, atomically; resolves each entry's revision,
   * in order (increasing). An entry's `ttlMs` is as for {@link set}. If an
   * entry's `ifRevision` does not match, nothing is written and the call
   * rejects with a ConditionFailedError naming the first failing key, with
   * its `currentRevision` and `failedIndex`.
   */
  async setMany(entries: Iterable<SetManyEntry>, options?: CallOptions): Promise<bigint[]> {
    this.live();
    const response = await this.connection.call(KV.setMany, { store: this.handle, entries: wireSetEntries(entries, asBuffer) }, options);
    return response.revisions;
  }

  /** Removes all `keys` or none, atomically; resolves, per key, its delete's revision, or 0n if it was absent. */
  async deleteMany(keys: Iterable<string>, options?: CallOptions): Promise<bigint[]> {
    this.live();
    const response = await this.connection.call(KV.deleteMany, { store: this.handle, keys: checkKeys("deleteMany", keys) }, options);
    return response.revisions;
  }

  /** What the store is and can do: its driver, durability, limits, current revision and capabilities. */
  async describe(options?: CallOptions): Promise<StoreDescription> {
    this.live();
    return descriptionFromWire(await this.connection.call(KV.describe, { store: this.handle }, options));
  }

  /**
   * Read-modify-write of `key` that loses no concurrent write; resolves the
   * revision written. Reads the key and its revision, calls `fn(value)`
   * (null if the key is absent; it may return a promise) and writes the
   * result with `ifRevision`. If another write came in between
   * (CONDITION_FAILED), waits a jittered backoff (10 ms, doubling up to 1 s)
   * and starts again, at most `options.maxAttempts` (default 10) attempts in
   * all; then rejects with the last ConditionFailedError. An error from `fn`,
   * or any other error, ends it at once. `fn` may run several times, so it
   * should only compute. Each write carries `options.ttlMs`, as for
   * {@link set}.
   */
  async update(key: string, fn: UpdateFn, options: UpdateOptions = {}): Promise<bigint> {
    this.live();
    const maxAttempts = options.maxAttempts === undefined ? DEFAULT_MAX_ATTEMPTS : checkMaxAttempts(options.maxAttempts);
    if (typeof fn !== "function") throw new TypeError("kvd: update's fn must be a function");
    ttlDuration("ttlMs", options.ttlMs); // a bad ttl fails before any call
    const ttlMs = options.ttlMs;
    const call: CallOptions = {};
    if (options.signal !== undefined) call.signal = options.signal;
    if (options.timeoutMs !== undefined) call.timeoutMs = options.timeoutMs;
    if (options.deadline !== undefined) call.deadline = options.deadline;
    return runUpdate({
      read: () => this.getEntryOrNull(key, call),
      write: (value, ifRevision) => this.setWithRevision(key, value, { ...call, ifRevision, ttlMs }),
      fn,
      maxAttempts,
      sleep: (ms) => timing.sleep(ms, call.signal),
      random: () => timing.random(),
    });
  }

  /**
   * Releases the handle and the connection. Closing twice is a no-op. Later
   * calls reject with INVALID_STORE (gRPC FAILED_PRECONDITION), as kvd
   * answers for a closed handle.
   */
  async close(options?: CallOptions): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.connection.call(KV.close, { store: this.handle }, options);
    } finally {
      this.connection.close();
    }
  }

  /** `await using store = await Store.open(...)` closes the store at the end of the block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  private live(): void {
    if (this.closed) {
      throw new InvalidStoreError(
        status.FAILED_PRECONDITION,
        `INVALID_STORE: store handle ${this.handle} ("${this.name}") was closed by this client; call Store.open to get a new handle`,
      );
    }
  }
}
