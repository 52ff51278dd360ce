package dev.kvd.client;

import io.grpc.Status;

/**
 * {@link Store#increment}'s result would not fit in a long (it never wraps
 * around); the value is unchanged. {@link KvErrorCode#OUT_OF_RANGE}, gRPC
 * OUT_OF_RANGE.
 */
public class OutOfRangeException extends KvException {
  private static final long serialVersionUID = 1L;

  public OutOfRangeException(Status.Code grpcCode, String message, Throwable cause) {
    super(KvErrorCode.OUT_OF_RANGE, grpcCode, message, cause);
  }
}
