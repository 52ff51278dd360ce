package dev.kvd.client;

import io.grpc.Status;

/**
 * {@link Store#increment} found a value that is not a canonical decimal
 * int64 ("42", "-7"; not "+1", "01" or "1.0"); the value is unchanged.
 * {@link KvErrorCode#NOT_AN_INTEGER}, gRPC FAILED_PRECONDITION.
 */
public class NotAnIntegerException extends KvException {
  private static final long serialVersionUID = 1L;

  public NotAnIntegerException(Status.Code grpcCode, String message, Throwable cause) {
    super(KvErrorCode.NOT_AN_INTEGER, grpcCode, message, cause);
  }
}
