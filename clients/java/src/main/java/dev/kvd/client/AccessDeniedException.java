package dev.kvd.client;

import io.grpc.Status;

/**
 * The caller is not granted the store (or, for writes, has a read-only grant):
 * {@link KvErrorCode#ACCESS_DENIED}, gRPC PERMISSION_DENIED.
 */
public class AccessDeniedException extends KvException {
  private static final long serialVersionUID = 1L;

  public AccessDeniedException(Status.Code grpcCode, String message, Throwable cause) {
    super(KvErrorCode.ACCESS_DENIED, grpcCode, message, cause);
  }
}
