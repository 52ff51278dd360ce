package dev.kvd.client;

import dev.kvd.kv.v1.ErrorCode;
import io.grpc.Metadata;
import io.grpc.Status;

/**
 * A failed kvd call: kvd's {@link KvErrorCode} (Spin's key-value error
 * variant) and the canonical gRPC code. Every exception the client throws,
 * or completes a future with, is a KvException, and most are one of its
 * subclasses, so callers catch by type:
 *
 * <pre>{@code
 * KvException
 * ├── NoSuchKeyException          NO_SUCH_KEY        NOT_FOUND
 * ├── NoSuchStoreException        NO_SUCH_STORE      NOT_FOUND
 * ├── AccessDeniedException       ACCESS_DENIED      PERMISSION_DENIED
 * ├── InvalidStoreException       INVALID_STORE      FAILED_PRECONDITION
 * ├── StoreTableFullException     STORE_TABLE_FULL   RESOURCE_EXHAUSTED
 * ├── ConditionFailedException    CONDITION_FAILED   ABORTED (carries the current revision)
 * ├── NotAnIntegerException       NOT_AN_INTEGER     FAILED_PRECONDITION
 * ├── OutOfRangeException         OUT_OF_RANGE       OUT_OF_RANGE
 * ├── KvIoException               IO                 INTERNAL, UNKNOWN, ...
 * │   ├── InvalidArgumentException     IO            INVALID_ARGUMENT
 * │   └── BackendUnavailableException  IO            UNAVAILABLE
 * ├── UnreachableException        (none)             UNAVAILABLE: kvd cannot be reached
 * └── DeadlineExceededException   (none)             DEADLINE_EXCEEDED
 * }</pre>
 *
 * (A bare KvException is any other failure: CANCELLED, UNAUTHENTICATED, TLS
 * setup, ...) The {@code isX()} predicates answer the same questions.
 *
 * <p>Unchecked, like gRPC's own {@code StatusRuntimeException} and like the
 * unchecked I/O errors of most Java data clients: every call can fail the same
 * few ways, so a checked exception would only add {@code throws} clauses to
 * every caller and get in the way of lambdas and futures. Catch it where a
 * decision is made:
 *
 * <pre>{@code
 * try {
 *   byte[] v = store.get("k");
 * } catch (NoSuchKeyException e) {
 *   ...                                       // the key is absent
 * } catch (BackendUnavailableException | UnreachableException e) {
 *   ...                                       // retry later
 * }
 * }</pre>
 */
public class KvException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** The trailing metadata entry in which kvd sends the ErrorCode's name. */
  public static final Metadata.Key<String> ERROR_CODE_KEY =
      Metadata.Key.of("kv-error-code", Metadata.ASCII_STRING_MARSHALLER);

  /** The trailer of a CONDITION_FAILED error with the key's current revision, in decimal. */
  public static final Metadata.Key<String> CURRENT_REVISION_KEY =
      Metadata.Key.of("kv-current-revision", Metadata.ASCII_STRING_MARSHALLER);

  /** The trailer of a failed batch with the failing entry's 0-based position. */
  public static final Metadata.Key<String> FAILED_INDEX_KEY =
      Metadata.Key.of("kv-failed-index", Metadata.ASCII_STRING_MARSHALLER);

  private final KvErrorCode code;
  private final Status.Code grpcCode;

  /**
   * An exception with the generated ErrorCode.
   *
   * @deprecated use {@link #KvException(KvErrorCode, Status.Code, String, Throwable)},
   *     or {@link #of} to get the matching subclass
   */
  @Deprecated
  public KvException(ErrorCode errorCode, Status.Code grpcCode, String message, Throwable cause) {
    this(KvErrorCode.fromProto(errorCode), grpcCode, message, cause);
  }

  public KvException(KvErrorCode code, Status.Code grpcCode, String message, Throwable cause) {
    super(message, cause);
    this.code = code == null ? KvErrorCode.UNSPECIFIED : code;
    this.grpcCode = grpcCode;
  }

  /**
   * The subclass that fits {@code code} and {@code grpcCode} (KvException if
   * none does). A {@link ConditionFailedException} made here has current
   * revision 0 and no failed index: kvd's come with both from its trailers.
   */
  public static KvException of(KvErrorCode code, Status.Code grpcCode, String message,
      Throwable cause) {
    return of(code, grpcCode, message, cause, 0, -1);
  }

  private static KvException of(KvErrorCode code, Status.Code grpcCode, String message,
      Throwable cause, long currentRevision, int failedIndex) {
    switch (code == null ? KvErrorCode.UNSPECIFIED : code) {
      case NO_SUCH_KEY:
        return new NoSuchKeyException(grpcCode, message, cause);
      case NO_SUCH_STORE:
        return new NoSuchStoreException(grpcCode, message, cause);
      case ACCESS_DENIED:
        return new AccessDeniedException(grpcCode, message, cause);
      case INVALID_STORE:
        return new InvalidStoreException(grpcCode, message, cause);
      case STORE_TABLE_FULL:
        return new StoreTableFullException(grpcCode, message, cause);
      case CONDITION_FAILED:
        return new ConditionFailedException(grpcCode, message, cause, currentRevision,
            failedIndex);
      case NOT_AN_INTEGER:
        return new NotAnIntegerException(grpcCode, message, cause);
      case OUT_OF_RANGE:
        return new OutOfRangeException(grpcCode, message, cause);
      case IO:
        if (grpcCode == Status.Code.INVALID_ARGUMENT) {
          return new InvalidArgumentException(message, cause);
        }
        if (grpcCode == Status.Code.UNAVAILABLE) {
          return new BackendUnavailableException(message, cause);
        }
        return new KvIoException(grpcCode, message, cause);
      case UNSPECIFIED:
        if (grpcCode == Status.Code.UNAVAILABLE) {
          return new UnreachableException(message, cause);
        }
        if (grpcCode == Status.Code.DEADLINE_EXCEEDED) {
          return new DeadlineExceededException(message, cause);
        }
        return new KvException(code, grpcCode, message, cause);
      default: // UNRECOGNIZED: a newer kvd's code
        return new KvException(code, grpcCode, message, cause);
    }
  }

  /** Converts a failed call; the ErrorCode comes from the "kv-error-code" trailer. */
  static KvException fromGrpc(Throwable t) {
    return fromGrpc(t, null, null);
  }

  /**
   * Converts a failed call to {@code address} whose deadline was
   * {@code timeout} (either may be null). Failures that kvd did not classify
   * name the address, so "cannot reach kvd" says where the client looked.
   */
  static KvException fromGrpc(Throwable t, String address, java.time.Duration timeout) {
    Status status = Status.fromThrowable(t);
    Metadata trailers = Status.trailersFromThrowable(t);
    KvErrorCode code = codeOf(trailers);
    String description = status.getDescription();
    String message = (description == null || description.isEmpty())
        ? status.getCode().name()
        : description;
    if (status.getCause() != null && (description == null || description.isEmpty())) {
      message += ": " + status.getCause();
    }
    if (code == KvErrorCode.UNSPECIFIED && address != null) {
      if (status.getCode() == Status.Code.UNAVAILABLE) {
        message = "cannot reach kvd at " + address + ": " + message;
      } else if (status.getCode() == Status.Code.DEADLINE_EXCEEDED) {
        message = "no answer from kvd at " + address
            + (timeout != null ? " within " + timeout.toMillis() + " ms" : "") + ": " + message;
      } else {
        message = "kvd at " + address + ": " + message;
      }
    }
    return of(code, status.getCode(), message + " (" + status.getCode() + ")", t,
        unsignedTrailer(trailers, CURRENT_REVISION_KEY), indexTrailer(trailers));
  }

  /** The trailer's unsigned decimal value; 0 if absent or not a number. */
  private static long unsignedTrailer(Metadata trailers, Metadata.Key<String> key) {
    String v = trailers == null ? null : trailers.get(key);
    if (v == null) {
      return 0;
    }
    try {
      return Long.parseUnsignedLong(v.trim());
    } catch (NumberFormatException e) {
      return 0; // the code and message still say what happened
    }
  }

  /** The failed-index trailer; -1 if absent or not a non-negative number. */
  private static int indexTrailer(Metadata trailers) {
    String v = trailers == null ? null : trailers.get(FAILED_INDEX_KEY);
    if (v == null) {
      return -1;
    }
    try {
      return Math.max(-1, Integer.parseInt(v.trim()));
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** The code named by the trailer; UNSPECIFIED if absent, UNRECOGNIZED if unknown. */
  static KvErrorCode codeOf(Metadata trailers) {
    return trailers == null ? KvErrorCode.UNSPECIFIED
        : KvErrorCode.fromName(trailers.get(ERROR_CODE_KEY));
  }

  /** The generated ErrorCode named by the trailer (see {@link #codeOf}). */
  static ErrorCode errorCodeOf(Metadata trailers) {
    return codeOf(trailers).toProto();
  }

  /**
   * kvd's error code. {@link KvErrorCode#UNSPECIFIED} when the call failed
   * before kvd's service classified it: kvd unreachable, deadline exceeded,
   * cancelled, kvd shutting down.
   */
  public KvErrorCode code() {
    return code;
  }

  /**
   * The generated {@code kv.v1.ErrorCode}, with its {@code ERROR_CODE_} prefix.
   *
   * @deprecated use {@link #code()}, the same value without the prefix
   */
  @Deprecated
  public ErrorCode getErrorCode() {
    return code.toProto();
  }

  /** The canonical gRPC status code. */
  public Status.Code getGrpcCode() {
    return grpcCode;
  }

  /** Get of a key that does not exist. */
  public boolean isNoSuchKey() {
    return code == KvErrorCode.NO_SUCH_KEY;
  }

  /** Open of a store that is neither "default" nor configured. */
  public boolean isNoSuchStore() {
    return code == KvErrorCode.NO_SUCH_STORE;
  }

  /** The store handle is closed, reclaimed after idling, or not this caller's: open again. */
  public boolean isInvalidStore() {
    return code == KvErrorCode.INVALID_STORE;
  }

  /** Open when this client already holds the maximum number of handles. */
  public boolean isStoreTableFull() {
    return code == KvErrorCode.STORE_TABLE_FULL;
  }

  /** The caller is not granted the store. */
  public boolean isAccessDenied() {
    return code == KvErrorCode.ACCESS_DENIED;
  }

  /**
   * A conditional write found another revision; nothing was written. The
   * exception is a {@link ConditionFailedException}, with the current revision.
   */
  public boolean isConditionFailed() {
    return code == KvErrorCode.CONDITION_FAILED;
  }

  /** Increment found a value that is not a decimal integer. */
  public boolean isNotAnInteger() {
    return code == KvErrorCode.NOT_AN_INTEGER;
  }

  /** Increment's result would overflow a long. */
  public boolean isOutOfRange() {
    return code == KvErrorCode.OUT_OF_RANGE;
  }

  /** Spin's catch-all io error: backend down, malformed request, backend failure. */
  public boolean isIo() {
    return code == KvErrorCode.IO;
  }

  /** A malformed request (empty, oversize or non-UTF-8 key, oversize value). */
  public boolean isInvalidArgument() {
    return grpcCode == Status.Code.INVALID_ARGUMENT;
  }

  /** The store's backend cannot be reached or opened (IO + UNAVAILABLE): worth a retry later. */
  public boolean isBackendUnavailable() {
    return code == KvErrorCode.IO && grpcCode == Status.Code.UNAVAILABLE;
  }

  /**
   * kvd itself or the store's backend cannot be reached (gRPC UNAVAILABLE, with
   * or without an ErrorCode): worth a retry.
   */
  public boolean isUnavailable() {
    return grpcCode == Status.Code.UNAVAILABLE;
  }

  /** The call's deadline ({@link Options#timeout()}, or {@link Store#withTimeout}'s) passed. */
  public boolean isDeadlineExceeded() {
    return grpcCode == Status.Code.DEADLINE_EXCEEDED;
  }
}
