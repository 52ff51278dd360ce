// @kvd/client: the TypeScript/Node client of kvd, Spin's key-value API over
// gRPC. The wire code is generated from proto/kv/v1/kv.proto (src/gen/, by
// `npm run build`); this package adds Store, KvError and the type guards.

export {
  DEFAULT_ADDRESS,
  Store,
  resolveAddress,
  type CallOptions,
  type DeleteOptions,
  type ListOptions,
  type ListPageOptions,
  type OpenOptions,
  type SetOptions,
  type StoreOptions,
  type TlsOptions,
  type UpdateOptions,
} from "./store.js";
export {
  Capability,
  Durability,
  type Entry,
  type IncrementResult,
  type KeyPage,
  type SetManyEntry,
  type StoreDescription,
  type StoreLimits,
  type Versioned,
} from "./records.js";
export { type UpdateFn, type UpdateValue } from "./update.js";
export {
  AbortedError,
  AccessDeniedError,
  CURRENT_REVISION_TRAILER,
  ConditionFailedError,
  DeadlineExceededError,
  ERROR_CODE_TRAILER,
  ErrorCode,
  FAILED_INDEX_TRAILER,
  InvalidStoreError,
  IoError,
  KvError,
  NoSuchKeyError,
  NoSuchStoreError,
  NotAnIntegerError,
  OutOfRangeError,
  StoreTableFullError,
  UnavailableError,
  errorCodeFromMetadata,
  isAborted,
  isAccessDenied,
  isBackendUnavailable,
  isConditionFailed,
  isDeadlineExceeded,
  isInvalidArgument,
  isInvalidStore,
  isIoError,
  isKvError,
  isNoSuchKey,
  isNoSuchStore,
  isNotAnInteger,
  isOutOfRange,
  isServerUnavailable,
  isStoreTableFull,
  type KvErrorOptions,
} from "./errors.js";
/** The gRPC status codes of `KvError.grpcCode` (`GrpcStatus.NOT_FOUND`), re-exported from @grpc/grpc-js. */
export { status as GrpcStatus } from "@grpc/grpc-js";
