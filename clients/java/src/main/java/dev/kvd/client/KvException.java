package dev.kvd.client;

import dev.kvd.kv.v1.ErrorCode;
import io.grpc.Metadata;
import io.grpc.Status;

/**
 * A failed kvd call: the exact {@link ErrorCode} kvd sent (Spin's key-value
 * error variant) and the canonical gRPC code.
 *
 * <p>Unchecked, like gRPC's own {@code StatusRuntimeException} and like the
 * unchecked I/O errors of most Java data clients: every call can fail the same
 * few ways, so a checked exception would only add {@code throws} clauses to
 * every caller and get in the way of lambdas. Catch it where a decision is
 * made, and ask it what happened:
 *
 * <pre>{@code
 * try {
 *   byte[] v = store.get("k");
 * } catch (KvException e) {
 *   if (e.isNoSuchKey()) { ... }               // the key is absent
 *   else if (e.isBackendUnavailable()) { ... } // the store's backend is down: retry later
 *   else throw e;
 * }
 * }</pre>
 */
public class KvException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** The trailing metadata entry in which kvd sends the ErrorCode's name. */
  public static final Metadata.Key<String> ERROR_CODE_KEY =
      Metadata.Key.of("kv-error-code", Metadata.ASCII_STRING_MARSHALLER);

  private final ErrorCode errorCode;
  private final Status.Code grpcCode;

  public KvException(ErrorCode errorCode, Status.Code grpcCode, String message, Throwable cause) {
    super(message, cause);
    this.errorCode = errorCode;
    this.grpcCode = grpcCode;
  }

  /** Converts a failed call; the ErrorCode comes from the "kv-error-code" trailer. */
  static KvException fromGrpc(Throwable t) {
    Status status = Status.fromThrowable(t);
    Metadata trailers = Status.trailersFromThrowable(t);
    ErrorCode code = errorCodeOf(trailers);
    String description = status.getDescription();
    String message = (description == null || description.isEmpty())
        ? status.getCode().name()
        : description;
    if (status.getCause() != null && (description == null || description.isEmpty())) {
      message += ": " + status.getCause();
    }
    return new KvException(code, status.getCode(), message + " (" + status.getCode() + ")", t);
  }

  /** The ErrorCode named by the trailer; UNSPECIFIED if absent, UNRECOGNIZED if unknown. */
  static ErrorCode errorCodeOf(Metadata trailers) {
    if (trailers == null) {
      return ErrorCode.ERROR_CODE_UNSPECIFIED;
    }
    String name = trailers.get(ERROR_CODE_KEY);
    if (name == null || name.isEmpty()) {
      return ErrorCode.ERROR_CODE_UNSPECIFIED;
    }
    try {
      return ErrorCode.valueOf(name.trim());
    } catch (IllegalArgumentException e) {
      return ErrorCode.UNRECOGNIZED;
    }
  }

  /**
   * The kv.v1.ErrorCode kvd sent. ERROR_CODE_UNSPECIFIED when the call failed
   * before kvd's service classified it: kvd unreachable, deadline exceeded,
   * cancelled, kvd shutting down.
   */
  public ErrorCode getErrorCode() {
    return errorCode;
  }

  /** The canonical gRPC status code. */
  public Status.Code getGrpcCode() {
    return grpcCode;
  }

  /** Get of a key that does not exist. */
  public boolean isNoSuchKey() {
    return errorCode == ErrorCode.ERROR_CODE_NO_SUCH_KEY;
  }

  /** Open of a store that is neither "default" nor configured. */
  public boolean isNoSuchStore() {
    return errorCode == ErrorCode.ERROR_CODE_NO_SUCH_STORE;
  }

  /** The store handle is closed, reclaimed after idling, or not this caller's: open again. */
  public boolean isInvalidStore() {
    return errorCode == ErrorCode.ERROR_CODE_INVALID_STORE;
  }

  /** Open when this client already holds the maximum number of handles. */
  public boolean isStoreTableFull() {
    return errorCode == ErrorCode.ERROR_CODE_STORE_TABLE_FULL;
  }

  /** The caller is not granted the store. */
  public boolean isAccessDenied() {
    return errorCode == ErrorCode.ERROR_CODE_ACCESS_DENIED;
  }

  /** Spin's catch-all io error: backend down, malformed request, backend failure. */
  public boolean isIo() {
    return errorCode == ErrorCode.ERROR_CODE_IO;
  }

  /** A malformed request (empty, oversize or non-UTF-8 key, oversize value). */
  public boolean isInvalidArgument() {
    return grpcCode == Status.Code.INVALID_ARGUMENT;
  }

  /** The store's backend cannot be reached or opened (IO + UNAVAILABLE): worth a retry later. */
  public boolean isBackendUnavailable() {
    return errorCode == ErrorCode.ERROR_CODE_IO && grpcCode == Status.Code.UNAVAILABLE;
  }

  /**
   * kvd itself or the store's backend cannot be reached (gRPC UNAVAILABLE, with
   * or without an ErrorCode): worth a retry.
   */
  public boolean isUnavailable() {
    return grpcCode == Status.Code.UNAVAILABLE;
  }

  /** The call's deadline ({@link Options#timeout()}) passed. */
  public boolean isDeadlineExceeded() {
    return grpcCode == Status.Code.DEADLINE_EXCEEDED;
  }
}
