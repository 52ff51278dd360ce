// The typed error of the kvd client: every failed call rejects with a KvError
// that carries the exact kv.v1.ErrorCode (from the "kv-error-code" trailer)
// next to the gRPC status code, so callers branch on codes, never on messages.

import { Metadata, status, type ServiceError } from "@grpc/grpc-js";

import { ErrorCode as WireErrorCode, errorCodeFromJSON } from "./gen/kv/v1/kv.js";

/**
 * kv.v1.ErrorCode, the error variant of Spin's key-value interface, by its
 * short name. `UNSPECIFIED` means kvd did not classify the failure: the call
 * never reached kvd's service (unreachable server, expired deadline,
 * cancelled call, kvd shutting down).
 */
export enum ErrorCode {
  UNSPECIFIED = "UNSPECIFIED",
  /** The caller already holds the maximum number of open store handles (gRPC RESOURCE_EXHAUSTED). */
  STORE_TABLE_FULL = "STORE_TABLE_FULL",
  /** The store name is not "default" and not defined in kvd's runtime config (gRPC NOT_FOUND). */
  NO_SUCH_STORE = "NO_SUCH_STORE",
  /** The caller is not granted the store (gRPC PERMISSION_DENIED). */
  ACCESS_DENIED = "ACCESS_DENIED",
  /** The handle is not open for this caller: closed, reclaimed after idling, never issued (gRPC FAILED_PRECONDITION). */
  INVALID_STORE = "INVALID_STORE",
  /** The key does not exist (gRPC NOT_FOUND). */
  NO_SUCH_KEY = "NO_SUCH_KEY",
  /**
   * Any other failure. gRPC UNAVAILABLE: the store's backend cannot be
   * reached; INVALID_ARGUMENT: a malformed request (oversize key or value);
   * RESOURCE_EXHAUSTED: too many keys for one GetKeys; INTERNAL otherwise.
   */
  IO = "IO",
  /**
   * A conditional write's `ifRevision` did not match the key's current
   * revision; nothing was written (gRPC ABORTED). See {@link ConditionFailedError}.
   */
  CONDITION_FAILED = "CONDITION_FAILED",
  /** `increment` found a value that is not a decimal int64; it is unchanged (gRPC FAILED_PRECONDITION). */
  NOT_AN_INTEGER = "NOT_AN_INTEGER",
  /** `increment`'s result does not fit in an int64; the value is unchanged (gRPC OUT_OF_RANGE). */
  OUT_OF_RANGE = "OUT_OF_RANGE",
}

// Exhaustive over the generated enum: a new value in kv.proto fails the build
// here until it is mirrored above.
const FROM_WIRE: Record<WireErrorCode, ErrorCode> = {
  [WireErrorCode.ERROR_CODE_UNSPECIFIED]: ErrorCode.UNSPECIFIED,
  [WireErrorCode.ERROR_CODE_STORE_TABLE_FULL]: ErrorCode.STORE_TABLE_FULL,
  [WireErrorCode.ERROR_CODE_NO_SUCH_STORE]: ErrorCode.NO_SUCH_STORE,
  [WireErrorCode.ERROR_CODE_ACCESS_DENIED]: ErrorCode.ACCESS_DENIED,
  [WireErrorCode.ERROR_CODE_INVALID_STORE]: ErrorCode.INVALID_STORE,
  [WireErrorCode.ERROR_CODE_NO_SUCH_KEY]: ErrorCode.NO_SUCH_KEY,
  [WireErrorCode.ERROR_CODE_IO]: ErrorCode.IO,
  [WireErrorCode.ERROR_CODE_CONDITION_FAILED]: ErrorCode.CONDITION_FAILED,
  [WireErrorCode.ERROR_CODE_NOT_AN_INTEGER]: ErrorCode.NOT_AN_INTEGER,
  [WireErrorCode.ERROR_CODE_OUT_OF_RANGE]: ErrorCode.OUT_OF_RANGE,
  [WireErrorCode.UNRECOGNIZED]: ErrorCode.UNSPECIFIED,
};

/** The trailing metadata entry in which kvd sends the ErrorCode's enum value name. */
export const ERROR_CODE_TRAILER = "kv-error-code";
/** The trailing metadata entry of CONDITION_FAILED: the key's current revision, decimal (0: absent). */
export const CURRENT_REVISION_TRAILER = "kv-current-revision";
/** The trailing metadata entry of a failed batch entry: its 0-based index in the request. */
export const FAILED_INDEX_TRAILER = "kv-failed-index";

// A trailer's decimal value; undefined if it is absent or not decimal.
function unsignedTrailer(metadata: Metadata | undefined | null, key: string): bigint | undefined {
  const values = metadata?.get(key) ?? [];
  if (values.length === 0) return undefined;
  const text = String(values[0]);
  return /^[0-9]+$/.test(text) ? BigInt(text) : undefined;
}

/** What a KvError may carry besides its codes and message. */
export interface KvErrorOptions {
  cause?: unknown;
  /** The batch entry the error is about ("kv-failed-index"). */
  failedIndex?: number;
}

/**
 * The ErrorCode named by the "kv-error-code" entry of `metadata`
 * ("ERROR_CODE_NO_SUCH_KEY" gives NO_SUCH_KEY); UNSPECIFIED when the entry is
 * absent or names a value this client does not know.
 */
export function errorCodeFromMetadata(metadata: Metadata | undefined | null): ErrorCode {
  const values = metadata?.get(ERROR_CODE_TRAILER) ?? [];
  if (values.length === 0) return ErrorCode.UNSPECIFIED;
  const name = String(values[0]);
  let wire: WireErrorCode;
  try {
    wire = errorCodeFromJSON(name);
  } catch {
    return ErrorCode.UNSPECIFIED;
  }
  return FROM_WIRE[wire] ?? ErrorCode.UNSPECIFIED;
}

/**
 * A failed kvd call. Every rejection of this client is a KvError, and is an
 * instance of the subclass for its ErrorCode (`NoSuchKeyError`, ...) or, when
 * kvd sent no ErrorCode, for what happened on the way (`UnavailableError`,
 * `DeadlineExceededError`, `AbortedError`), so callers may branch with
 * `instanceof` or with the `isX(e)` guards below; both say the same. `name`
 * stays "KvError" for all of them, as before the subclasses existed, except
 * AbortedError's ("AbortError", as for `fetch`).
 */
export class KvError extends Error {
  override readonly name: string = "KvError";
  /** The kv.v1.ErrorCode kvd sent; UNSPECIFIED if it sent none. */
  readonly code: ErrorCode;
  /** The canonical gRPC status code (`status.NOT_FOUND` etc. from @grpc/grpc-js). */
  readonly grpcCode: status;
  /**
   * For a failed `setMany` or `deleteMany`: the 0-based position of the entry
   * kvd pinned the error on (the "kv-failed-index" trailer); else undefined.
   */
  readonly failedIndex: number | undefined;

  /**
   * `message` is kvd's status message, which starts with the ErrorCode's
   * short name and names the store and key ("NO_SUCH_KEY: key \"a\" does not
   * exist in store \"default\"").
   */
  constructor(code: ErrorCode, grpcCode: status, message: string, options?: KvErrorOptions) {
    super(message, options);
    this.code = code;
    this.grpcCode = grpcCode;
    this.failedIndex = options?.failedIndex;
  }

  /** The gRPC code's name, e.g. "NOT_FOUND". */
  get grpcCodeName(): string {
    return status[this.grpcCode] ?? String(this.grpcCode);
  }

  /**
   * Wraps an error from @grpc/grpc-js in the KvError subclass for its
   * ErrorCode; other errors are returned unchanged. `address` (the kvd
   * address the call went to) goes into the message of the errors kvd did
   * not classify: unreachable, deadline exceeded, cancelled.
   */
  static fromGrpc(error: unknown, address?: string): unknown {
    if (!isServiceError(error)) return error;
    const code = errorCodeFromMetadata(error.metadata);
    const details = error.details || error.message;
    const index = unsignedTrailer(error.metadata, FAILED_INDEX_TRAILER);
    const options: KvErrorOptions = { cause: error };
    if (index !== undefined && index <= BigInt(Number.MAX_SAFE_INTEGER)) options.failedIndex = Number(index);
    const at = address === undefined ? "kvd" : `kvd at ${address}`;
    switch (code) {
      case ErrorCode.NO_SUCH_KEY:
        return new NoSuchKeyError(error.code, details, options);
      case ErrorCode.NO_SUCH_STORE:
        return new NoSuchStoreError(error.code, details, options);
      case ErrorCode.ACCESS_DENIED:
        return new AccessDeniedError(error.code, details, options);
      case ErrorCode.INVALID_STORE:
        return new InvalidStoreError(error.code, details, options);
      case ErrorCode.STORE_TABLE_FULL:
        return new StoreTableFullError(error.code, details, options);
      case ErrorCode.IO:
        return new IoError(error.code, details, options);
      case ErrorCode.CONDITION_FAILED:
        return new ConditionFailedError(error.code, details, {
          ...options,
          currentRevision: unsignedTrailer(error.metadata, CURRENT_REVISION_TRAILER),
        });
      case ErrorCode.NOT_AN_INTEGER:
        return new NotAnIntegerError(error.code, details, options);
      case ErrorCode.OUT_OF_RANGE:
        return new OutOfRangeError(error.code, details, options);
      case ErrorCode.UNSPECIFIED:
        break;
    }
    switch (error.code) {
      case status.UNAVAILABLE:
        return new UnavailableError(address, `cannot reach ${at}: ${details}`, options);
      case status.DEADLINE_EXCEEDED:
        return new DeadlineExceededError(address, `deadline exceeded waiting for ${at}: ${details}`, options);
      default:
        return new KvError(code, error.code, details, options);
    }
  }

  override toString(): string {
    return `${this.name}: ${this.message} (${this.grpcCodeName})`;
  }
}

/** NO_SUCH_KEY: `get` of a key that does not exist (gRPC NOT_FOUND). */
export class NoSuchKeyError extends KvError {
  constructor(grpcCode: status, message: string, options?: KvErrorOptions) {
    super(ErrorCode.NO_SUCH_KEY, grpcCode, message, options);
  }
}

/** NO_SUCH_STORE: `open` of a store kvd does not define (gRPC NOT_FOUND). */
export class NoSuchStoreError extends KvError {
  constructor(grpcCode: status, message: string, options?: KvErrorOptions) {
    super(ErrorCode.NO_SUCH_STORE, grpcCode, message, options);
  }
}

/** ACCESS_DENIED: the caller is not granted the store (gRPC PERMISSION_DENIED). */
export class AccessDeniedError extends KvError {
  constructor(grpcCode: status, message: string, options?: KvErrorOptions) {
    super(ErrorCode.ACCESS_DENIED, grpcCode, message, options);
  }
}

/** INVALID_STORE: a closed, reclaimed or never-issued handle (gRPC FAILED_PRECONDITION); open the store again. */
export class InvalidStoreError extends KvError {
  constructor(grpcCode: status, message: string, options?: KvErrorOptions) {
    super(ErrorCode.INVALID_STORE, grpcCode, message, options);
  }
}

/** STORE_TABLE_FULL: the caller holds the maximum number of open handles (gRPC RESOURCE_EXHAUSTED). */
export class StoreTableFullError extends KvError {
  constructor(grpcCode: status, message: string, options?: KvErrorOptions) {
    super(ErrorCode.STORE_TABLE_FULL, grpcCode, message, options);
  }
}

/**
 * IO: any other failure kvd classified; `grpcCode` says which: UNAVAILABLE
 * (the store's backend is down, {@link isBackendUnavailable}),
 * INVALID_ARGUMENT (a malformed request, {@link isInvalidArgument}),
 * RESOURCE_EXHAUSTED or INTERNAL.
 */
export class IoError extends KvError {
  constructor(grpcCode: status, message: string, options?: KvErrorOptions) {
    super(ErrorCode.IO, grpcCode, message, options);
  }
}

/**
 * CONDITION_FAILED (gRPC ABORTED): a write's `ifRevision` did not match the
 * key's current revision, so nothing was written (for a batch: no entry was).
 * `currentRevision` is the key's revision then (0n: absent), so a retry needs
 * no read for it; `failedIndex` is, for `setMany`, the first failing entry.
 */
export class ConditionFailedError extends KvError {
  /** The key's current revision, from "kv-current-revision"; undefined only if kvd sent none (it always does). */
  readonly currentRevision: bigint | undefined;
  constructor(grpcCode: status, message: string, options?: KvErrorOptions & { currentRevision?: bigint | undefined }) {
    super(ErrorCode.CONDITION_FAILED, grpcCode, message, options);
    this.currentRevision = options?.currentRevision;
  }
}

/** NOT_AN_INTEGER (gRPC FAILED_PRECONDITION): `increment` of a value that is not decimal int64 text; it is unchanged. */
export class NotAnIntegerError extends KvError {
  constructor(grpcCode: status, message: string, options?: KvErrorOptions) {
    super(ErrorCode.NOT_AN_INTEGER, grpcCode, message, options);
  }
}

/** OUT_OF_RANGE (gRPC OUT_OF_RANGE): `increment`'s result does not fit in an int64; the value is unchanged, never wrapped. */
export class OutOfRangeError extends KvError {
  constructor(grpcCode: status, message: string, options?: KvErrorOptions) {
    super(ErrorCode.OUT_OF_RANGE, grpcCode, message, options);
  }
}

/**
 * kvd could not be reached at `address` (nothing listening, no such unix
 * socket, DNS, TLS), or it answered UNAVAILABLE without an ErrorCode (shutting
 * down). ErrorCode UNSPECIFIED, gRPC UNAVAILABLE; the message names the
 * address. Worth a retry, possibly elsewhere.
 */
export class UnavailableError extends KvError {
  /** The kvd address the call went to ("host:port" or "unix:/path"), when known. */
  readonly address: string | undefined;
  constructor(address: string | undefined, message: string, options?: KvErrorOptions) {
    super(ErrorCode.UNSPECIFIED, status.UNAVAILABLE, message, options);
    this.address = address;
  }
}

/** The call's deadline expired before kvd answered. ErrorCode UNSPECIFIED, gRPC DEADLINE_EXCEEDED. */
export class DeadlineExceededError extends KvError {
  /** The kvd address the call went to, when known. */
  readonly address: string | undefined;
  constructor(address: string | undefined, message: string, options?: KvErrorOptions) {
    super(ErrorCode.UNSPECIFIED, status.DEADLINE_EXCEEDED, message, options);
    this.address = address;
  }
}

/**
 * The call's `AbortSignal` fired: the call was cancelled (gRPC CANCELLED,
 * ErrorCode UNSPECIFIED) and its promise rejected at once. `cause` is the
 * signal's `reason`. Its `name` is "AbortError", as for `fetch`, so code that
 * checks `e.name === "AbortError"` works unchanged. A write may still have
 * been committed if kvd received it before the cancellation.
 */
export class AbortedError extends KvError {
  override readonly name: string = "AbortError";
  constructor(message: string, options?: KvErrorOptions) {
    super(ErrorCode.UNSPECIFIED, status.CANCELLED, message, options);
  }
}

/** The AbortedError of `method` ("Get", "update") cancelled by `signal`. Not re-exported by index.ts. */
export function abortedError(method: string, signal: AbortSignal): AbortedError {
  const reason: unknown = signal.reason;
  const why = reason instanceof Error ? reason.message : reason === undefined ? "" : String(reason);
  return new AbortedError(`kvd: ${method} was aborted${why ? `: ${why}` : ""}`, { cause: reason });
}

function isServiceError(error: unknown): error is ServiceError {
  return (
    error instanceof Error &&
    typeof (error as Partial<ServiceError>).code === "number" &&
    "details" in error
  );
}

/** Whether `e` is a KvError (optionally: with ErrorCode `code`). */
export function isKvError(e: unknown, code?: ErrorCode): e is KvError {
  return e instanceof KvError && (code === undefined || e.code === code);
}

/** Get of a key that does not exist. */
export function isNoSuchKey(e: unknown): e is KvError {
  return isKvError(e, ErrorCode.NO_SUCH_KEY);
}

/** Open of a store that is not "default" and not configured. */
export function isNoSuchStore(e: unknown): e is KvError {
  return isKvError(e, ErrorCode.NO_SUCH_STORE);
}

/** A handle that is closed, reclaimed after idling, or never issued: open the store again. */
export function isInvalidStore(e: unknown): e is KvError {
  return isKvError(e, ErrorCode.INVALID_STORE);
}

/** The caller holds the maximum number of open handles: close some. */
export function isStoreTableFull(e: unknown): e is KvError {
  return isKvError(e, ErrorCode.STORE_TABLE_FULL);
}

/** The caller is not granted the store. */
export function isAccessDenied(e: unknown): e is KvError {
  return isKvError(e, ErrorCode.ACCESS_DENIED);
}

/** The store's backend is down or cannot be opened (IO with gRPC UNAVAILABLE): worth a retry later. */
export function isBackendUnavailable(e: unknown): e is KvError {
  return isKvError(e, ErrorCode.IO) && e.grpcCode === status.UNAVAILABLE;
}

/** Any failure kvd classified as IO, whatever its gRPC code (an {@link IoError}). */
export function isIoError(e: unknown): e is KvError {
  return isKvError(e, ErrorCode.IO);
}

/** A malformed request: empty, oversize or non-UTF-8 key, oversize value (IO with gRPC INVALID_ARGUMENT). */
export function isInvalidArgument(e: unknown): e is KvError {
  return isKvError(e, ErrorCode.IO) && e.grpcCode === status.INVALID_ARGUMENT;
}

/**
 * kvd itself could not be reached, or is shutting down (gRPC UNAVAILABLE with
 * no ErrorCode): worth a retry, possibly elsewhere.
 */
export function isServerUnavailable(e: unknown): e is KvError {
  return isKvError(e, ErrorCode.UNSPECIFIED) && e.grpcCode === status.UNAVAILABLE;
}

/** The call's deadline expired before kvd answered. */
export function isDeadlineExceeded(e: unknown): e is KvError {
  return isKvError(e) && e.grpcCode === status.DEADLINE_EXCEEDED;
}

/** A conditional write lost: the key was not at `ifRevision` (a {@link ConditionFailedError}, with `currentRevision`). */
export function isConditionFailed(e: unknown): e is ConditionFailedError {
  return isKvError(e, ErrorCode.CONDITION_FAILED);
}

/** `increment` of a value that is not decimal int64 text. */
export function isNotAnInteger(e: unknown): e is KvError {
  return isKvError(e, ErrorCode.NOT_AN_INTEGER);
}

/** `increment` past the int64 range. */
export function isOutOfRange(e: unknown): e is KvError {
  return isKvError(e, ErrorCode.OUT_OF_RANGE);
}

/** The call was cancelled by its `AbortSignal` (an {@link AbortedError}). */
export function isAborted(e: unknown): e is KvError {
  return e instanceof AbortedError;
}
