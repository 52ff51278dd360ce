package dev.kvd.client;

import io.grpc.Status;

/**
 * kvd itself cannot be reached (nothing listens at the address, the
 * connection broke, kvd is shutting down): gRPC UNAVAILABLE with no
 * ErrorCode ({@link KvErrorCode#UNSPECIFIED}). The message names the address
 * the client tried: {@code cannot reach kvd at 127.0.0.1:1: io exception
 * (UNAVAILABLE)}. Worth a retry.
 */
public class UnreachableException extends KvException {
  private static final long serialVersionUID = 1L;

  public UnreachableException(String message, Throwable cause) {
    super(KvErrorCode.UNSPECIFIED, Status.Code.UNAVAILABLE, message, cause);
  }
}
