// The values the revision, counter, batch, expiry, listing and describe calls
// of Store take and return, their conversions from the generated wire types,
// and the checks of their arguments (a TypeError naming what is wrong, before
// anything is sent).
//
// Revisions are bigints: uint64 on the wire. A revision grows with every
// write to a store and is never reused, so comparing two tells which write
// came later. Counters are bigints too (int64), so no value loses precision.
//
// A ttl is a number of milliseconds (`ttlMs`, like every `timeoutMs`); an
// expire time is a Date, or null for a key that does not expire. What only
// kvd can judge is left to it: a ttl under 1 ms or over the store's maxTtlMs,
// or a negative pageSize, is sent as given and rejects with IO +
// INVALID_ARGUMENT and kvd's message. Here a value is refused only if it has
// the wrong type or cannot be put on the wire.

import { type Duration } from "./gen/google/protobuf/duration.js";
import {
  Capability as WireCapability,
  Durability as WireDurability,
  type DescribeResponse,
  type Entry as WireEntry,
  type ListKeysRequest,
  type SetEntry as WireSetEntry,
} from "./gen/kv/v1/kv.js";

/** A key's value with the revision of the write that last changed it, and when it expires (`getEntry`). */
export interface Versioned {
  value: Uint8Array;
  revision: bigint;
  /** When the key expires (millisecond precision); null if it does not. */
  expireTime: Date | null;
}

/** One key as `getMany` read it: found, with its value, revision and expire time, or not found. */
export type Entry =
  | { key: string; found: true; value: Uint8Array; revision: bigint; expireTime: Date | null }
  | { key: string; found: false; value: null; revision: 0n; expireTime: null };

/** One write of `setMany`. */
export interface SetManyEntry {
  key: string;
  /** A string is stored as UTF-8. */
  value: Uint8Array | string;
  /** The whole batch applies only if this key is at this revision (0: absent). Absent: unconditional. */
  ifRevision?: bigint | number;
  /** The key expires this many milliseconds after the batch is written, as for `set`. Absent: never (an earlier expiry is cleared). */
  ttlMs?: number;
}

/** One page of `listKeysPage`. */
export interface KeyPage {
  /** Keys that start with the prefix, in ascending byte order, each after every key of the earlier pages. */
  keys: string[];
  /** Pass as `pageToken` (with the same prefix) for the next page; "" on the last page. */
  nextPageToken: string;
}

/** What `incrementEntry` returns: the counter's new value and the revision the increment wrote. */
export interface IncrementResult {
  value: bigint;
  revision: bigint;
}

/** What an acknowledged write survives (kv.v1.Durability by short name). */
export enum Durability {
  /** The driver cannot tell (it depends on how its server is configured). */
  UNSPECIFIED = "UNSPECIFIED",
  /** Nothing: the data lives in kvd's memory. */
  NONE = "NONE",
  /** kvd exiting or crashing, but not a power loss. */
  PROCESS = "PROCESS",
  /** A power loss: the write reached stable storage first. */
  DISK = "DISK",
}

/** What a store can do beyond Spin's seven operations (kv.v1.Capability by short name). */
export enum Capability {
  /** Reads return revisions; writes return the revision they wrote. */
  REVISIONS = "REVISIONS",
  /** `set`, `delete` and `setMany` entries take `ifRevision`. */
  CONDITIONAL_WRITES = "CONDITIONAL_WRITES",
  /** `increment`. */
  INCREMENT = "INCREMENT",
  /** `getMany` reads one snapshot; `setMany` and `deleteMany` are all-or-nothing. */
  ATOMIC_BATCHES = "ATOMIC_BATCHES",
  /** `set` and `setMany` take `ttlMs`; reads report `expireTime`. */
  TTL = "TTL",
  /** `listKeys` and `listKeysPage`: paged, prefix-filtered listing. */
  LIST_PAGES = "LIST_PAGES",
}

/** The sizes a request to the store must keep to. */
export interface StoreLimits {
  maxKeyBytes: number;
  maxValueBytes: number;
  /** Most keys in one getMany, setMany or deleteMany. */
  maxBatchEntries: number;
  /** Most key and value bytes in one batch request or getMany response. */
  maxBatchBytes: number;
  /** The longest `ttlMs` a write may give, in milliseconds; null if kvd does not say (a kvd without expiry). */
  maxTtlMs: number | null;
  /** Most keys in one `listKeys` page (a larger `pageSize` is lowered to it); 0 if kvd does not say. */
  maxPageSize: number;
}

/** What `describe` tells about an open store. */
export interface StoreDescription {
  /** The name passed to `open`. */
  name: string;
  /** The driver type: "sqlite", "memory", "redis", "postgres". */
  driver: string;
  durability: Durability;
  limits: StoreLimits;
  /** The store's current revision (0n if never written); any later write gets a higher one. */
  revision: bigint;
  /** What the store can do (values this client does not know are left out). */
  capabilities: Capability[];
  /** The handle came from a read-only grant: every write through it fails with ACCESS_DENIED. */
  readOnly: boolean;
}

// Exhaustive over the generated enums: a new value in kv.proto fails the
// build here until it is mirrored above.
const DURABILITY: Record<WireDurability, Durability> = {
  [WireDurability.DURABILITY_UNSPECIFIED]: Durability.UNSPECIFIED,
  [WireDurability.DURABILITY_NONE]: Durability.NONE,
  [WireDurability.DURABILITY_PROCESS]: Durability.PROCESS,
  [WireDurability.DURABILITY_DISK]: Durability.DISK,
  [WireDurability.UNRECOGNIZED]: Durability.UNSPECIFIED,
};
const CAPABILITY: Record<WireCapability, Capability | undefined> = {
  [WireCapability.CAPABILITY_UNSPECIFIED]: undefined,
  [WireCapability.CAPABILITY_REVISIONS]: Capability.REVISIONS,
  [WireCapability.CAPABILITY_CONDITIONAL_WRITES]: Capability.CONDITIONAL_WRITES,
  [WireCapability.CAPABILITY_INCREMENT]: Capability.INCREMENT,
  [WireCapability.CAPABILITY_ATOMIC_BATCHES]: Capability.ATOMIC_BATCHES,
  [WireCapability.CAPABILITY_TTL]: Capability.TTL,
  [WireCapability.CAPABILITY_LIST_PAGES]: Capability.LIST_PAGES,
  [WireCapability.UNRECOGNIZED]: undefined,
};

const UINT64_MAX = (1n << 64n) - 1n;
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

function checkInteger(what: string, value: unknown, low: bigint, high: bigint): bigint {
  let n: bigint | undefined;
  if (typeof value === "bigint") n = value;
  else if (typeof value === "number" && Number.isSafeInteger(value)) n = BigInt(value);
  if (n === undefined || n < low || n > high) {
    throw new TypeError(
      `kvd: ${what} must be an integer from ${low} to ${high} (a bigint, or a number up to 2^53), got ${String(value)}`,
    );
  }
  return n;
}

/** `ifRevision` as a bigint, or undefined (unconditional). */
export function checkRevision(what: string, value: unknown): bigint | undefined {
  return value === undefined ? undefined : checkInteger(what, value, 0n, UINT64_MAX);
}

/**
 * `ttlMs` as a google.protobuf.Duration, or undefined (no expiry). Any finite
 * number of milliseconds up to 2^53 is accepted here and converted to the
 * nanosecond nearest (kvd keeps whole milliseconds); its range is kvd's to
 * check.
 */
export function ttlDuration(what: string, ms: unknown): Duration | undefined {
  if (ms === undefined) return undefined;
  if (typeof ms !== "number" || !Number.isFinite(ms) || Math.abs(ms) > Number.MAX_SAFE_INTEGER) {
    throw new TypeError(`kvd: ${what} must be a finite number of milliseconds, got ${String(ms)}`);
  }
  // A Duration's seconds and nanos carry the same sign.
  let seconds = Math.trunc(ms / 1000);
  let nanos = Math.round((ms - seconds * 1000) * 1e6);
  if (Math.abs(nanos) >= 1e9) {
    seconds += Math.sign(nanos);
    nanos -= Math.sign(nanos) * 1e9;
  }
  return { seconds: BigInt(seconds), nanos: nanos === 0 ? 0 : nanos };
}

/** A Duration as milliseconds. */
function durationMs(duration: Duration): number {
  return Number(duration.seconds) * 1000 + duration.nanos / 1e6;
}

/** A ListKeysRequest for `store`; TypeErrors name a bad prefix, pageSize or pageToken. */
export function listKeysRequest(store: number, prefix: unknown, pageSize: unknown, pageToken: unknown): ListKeysRequest {
  if (typeof prefix !== "string") throw new TypeError(`kvd: prefix must be a string, got ${String(prefix)}`);
  if (typeof pageSize !== "number" || !Number.isInteger(pageSize) || pageSize < -(2 ** 31) || pageSize >= 2 ** 31) {
    throw new TypeError(`kvd: pageSize must be an integer (an int32; 0 for kvd's default), got ${String(pageSize)}`);
  }
  if (typeof pageToken !== "string") throw new TypeError(`kvd: pageToken must be a string (a nextPageToken), got ${String(pageToken)}`);
  return { store, prefix, pageSize, pageToken };
}

/** An increment's delta as a bigint (an int64). */
export function checkDelta(delta: unknown): bigint {
  return checkInteger("delta", delta, INT64_MIN, INT64_MAX);
}

/** `keys` as an array of strings; a single string (iterable, but one key) is refused. */
export function checkKeys(method: string, keys: unknown): string[] {
  if (typeof keys === "string" || keys === null || typeof (keys as Iterable<unknown>)?.[Symbol.iterator] !== "function") {
    throw new TypeError(`kvd: ${method} takes an iterable of keys (e.g. an array), got ${JSON.stringify(keys) ?? String(keys)}`);
  }
  const list = [...(keys as Iterable<unknown>)];
  list.forEach((key, i) => {
    if (typeof key !== "string") throw new TypeError(`kvd: ${method}: key ${i} must be a string, got ${String(key)}`);
  });
  return list as string[];
}

/** `setMany`'s entries on the wire; `toBytes` converts each value. */
export function wireSetEntries(entries: unknown, toBytes: (value: Uint8Array | string) => Buffer): WireSetEntry[] {
  if (typeof entries === "string" || entries === null || typeof (entries as Iterable<unknown>)?.[Symbol.iterator] !== "function") {
    throw new TypeError(`kvd: setMany takes an iterable of { key, value, ifRevision? } entries, got ${String(entries)}`);
  }
  return [...(entries as Iterable<unknown>)].map((item, i) => {
    const entry = item as Partial<SetManyEntry> | null;
    if (entry === null || typeof entry !== "object" || typeof entry.key !== "string") {
      throw new TypeError(`kvd: setMany: entry ${i} must be { key: string, value, ifRevision? }, got ${String(item)}`);
    }
    if (typeof entry.value !== "string" && !(entry.value instanceof Uint8Array)) {
      throw new TypeError(`kvd: setMany: entry ${i} (${JSON.stringify(entry.key)}): the value must be a Uint8Array or a string`);
    }
    return {
      key: entry.key,
      value: toBytes(entry.value),
      ifRevision: checkRevision(`setMany: entry ${i}'s (${JSON.stringify(entry.key)}) ifRevision`, entry.ifRevision),
      ttl: ttlDuration(`setMany: entry ${i}'s (${JSON.stringify(entry.key)}) ttlMs`, entry.ttlMs),
    };
  });
}

/** The entries of a GetManyResponse. */
export function entriesFromWire(entries: WireEntry[]): Entry[] {
  return entries.map((e) =>
    e.found
      ? { key: e.key, found: true, value: e.value, revision: e.revision, expireTime: e.expireTime ?? null }
      : { key: e.key, found: false, value: null, revision: 0n, expireTime: null },
  );
}

/** A DescribeResponse as a StoreDescription. */
export function descriptionFromWire(response: DescribeResponse): StoreDescription {
  const limits = response.limits;
  const capabilities: Capability[] = [];
  for (const wire of response.capabilities) {
    const known = CAPABILITY[wire];
    if (known !== undefined && !capabilities.includes(known)) capabilities.push(known);
  }
  return {
    name: response.name,
    driver: response.driver,
    durability: DURABILITY[response.durability] ?? Durability.UNSPECIFIED,
    limits: {
      maxKeyBytes: Number(limits?.maxKeyBytes ?? 0n),
      maxValueBytes: Number(limits?.maxValueBytes ?? 0n),
      maxBatchEntries: Number(limits?.maxBatchEntries ?? 0n),
      maxBatchBytes: Number(limits?.maxBatchBytes ?? 0n),
      maxTtlMs: limits?.maxTtl ? durationMs(limits.maxTtl) : null,
      maxPageSize: limits?.maxPageSize ?? 0,
    },
    revision: response.revision,
    capabilities,
    readOnly: response.readOnly,
  };
}
