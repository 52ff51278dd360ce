// @kvd/client: the TypeScript/Node client of kvd, Spin's key-value API over
// gRPC. The wire code is generated from proto/kv/v1/kv.proto (src/gen/, by
// `npm run build`); this package adds Store, KvError and the type guards.

export {
  DEFAULT_ADDRESS,
  Store,
  resolveAddress,
  type CallOptions,
  type OpenOptions,
  type StoreOptions,
  type TlsOptions,
} from "./store.js";
export {
  AbortedError,
  AccessDeniedError,
  DeadlineExceededError,
  ERROR_CODE_TRAILER,
  ErrorCode,
  InvalidStoreError,
  IoError,
  KvError,
  NoSuchKeyError,
  NoSuchStoreError,
  StoreTableFullError,
  UnavailableError,
  errorCodeFromMetadata,
  isAborted,
  isAccessDenied,
  isBackendUnavailable,
  isDeadlineExceeded,
  isInvalidArgument,
  isInvalidStore,
  isIoError,
  isKvError,
  isNoSuchKey,
  isNoSuchStore,
  isServerUnavailable,
  isStoreTableFull,
} from "./errors.js";
/** The gRPC status codes of `KvError.grpcCode` (`GrpcStatus.NOT_FOUND`), re-exported from @grpc/grpc-js. */
export { status as GrpcStatus } from "@grpc/grpc-js";
