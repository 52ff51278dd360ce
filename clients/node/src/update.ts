// The retry loop of Store.update, apart from any I/O so that its tests can
// give it fake reads, writes, sleeps and randomness.
//
// The semantics are those of clients/SCENARIO.md, the same in every kvd
// client: read the key with its revision; call `fn` with the value (null if
// the key is absent); write the result with `ifRevision` (0 when absent). On
// CONDITION_FAILED, sleep a full-jitter exponential backoff (uniform in
// [0, cap), the cap 10 ms after the first attempt, doubling to at most 1 s)
// and start again, at most `maxAttempts` attempts in all; then reject with the
// last ConditionFailedError. Any other error, from the calls or from `fn`,
// ends the loop at once. The result is the revision written.

import { abortedError, isConditionFailed } from "./errors.js";

/** The backoff cap after the first failed attempt, in milliseconds. */
export const INITIAL_BACKOFF_MS = 10;
/** The largest backoff cap, in milliseconds. */
export const MAX_BACKOFF_MS = 1000;
/** `update`'s default `maxAttempts`. */
export const DEFAULT_MAX_ATTEMPTS = 10;

/** What `update`'s function returns: the new value (a string is stored as UTF-8). */
export type UpdateValue = Uint8Array | string;
/** `update`'s function: the current value (null: the key is absent) to the new one. */
export type UpdateFn = (value: Uint8Array | null) => UpdateValue | PromiseLike<UpdateValue>;

/** One run of the loop: how to read, write and wait. */
export interface UpdateLoop {
  /** The key's value and revision, or null if it is absent. */
  read(): Promise<{ value: Uint8Array; revision: bigint } | null>;
  /** Writes `value` if the key is at `ifRevision` (0n: absent); resolves the revision written. */
  write(value: UpdateValue, ifRevision: bigint): Promise<bigint>;
  fn: UpdateFn;
  maxAttempts: number;
  /** Waits `ms` milliseconds. */
  sleep(ms: number): Promise<void>;
  /** A number in [0, 1), as Math.random. */
  random(): number;
}

/** `maxAttempts` if it is an integer >= 1; a TypeError naming it otherwise. */
export function checkMaxAttempts(maxAttempts: unknown): number {
  if (typeof maxAttempts !== "number" || !Number.isSafeInteger(maxAttempts) || maxAttempts < 1) {
    throw new TypeError(`kvd: maxAttempts must be an integer >= 1, got ${String(maxAttempts)}`);
  }
  return maxAttempts;
}

/**
 * The sleep after `failedAttempts` (>= 1) attempts failed their condition:
 * `random()` times the cap min(1000 ms, 10 ms * 2^(failedAttempts - 1)).
 */
export function backoffMs(failedAttempts: number, random: () => number): number {
  // Past 2^7 the cap is MAX_BACKOFF_MS anyway; bounding the exponent keeps
  // the number finite for a huge maxAttempts.
  const cap = Math.min(MAX_BACKOFF_MS, INITIAL_BACKOFF_MS * 2 ** Math.min(failedAttempts - 1, 16));
  return random() * cap;
}

/** Runs the loop; resolves the revision written. */
export async function runUpdate(loop: UpdateLoop): Promise<bigint> {
  for (let attempt = 1; ; attempt++) {
    const current = await loop.read();
    const value = await loop.fn(current === null ? null : current.value);
    try {
      return await loop.write(value, current === null ? 0n : current.revision);
    } catch (e) {
      if (!isConditionFailed(e) || attempt >= loop.maxAttempts) throw e;
    }
    await loop.sleep(backoffMs(attempt, loop.random));
  }
}

/** Resolves after `ms` milliseconds; rejects with an AbortedError as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortedError("update", signal));
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortedError("update", signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * The sleep and the randomness Store.update uses. Tests replace them (and put
 * them back) so that nothing really sleeps; nothing else should.
 */
export const timing: { sleep: (ms: number, signal?: AbortSignal) => Promise<void>; random: () => number } = {
  sleep,
  random: Math.random,
};
