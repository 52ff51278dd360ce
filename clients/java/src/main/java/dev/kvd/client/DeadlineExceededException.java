package dev.kvd.client;

import io.grpc.Status;

/**
 * The call's deadline passed before kvd answered: gRPC DEADLINE_EXCEEDED,
 * no ErrorCode. The deadline is {@link Options#timeout()}, or the one given
 * to {@link Store#withTimeout(java.time.Duration)}. A write that timed out
 * may still have been applied.
 */
public class DeadlineExceededException extends KvException {
  private static final long serialVersionUID = 1L;

  public DeadlineExceededException(String message, Throwable cause) {
    super(KvErrorCode.UNSPECIFIED, Status.Code.DEADLINE_EXCEEDED, message, cause);
  }
}
