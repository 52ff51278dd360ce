package dev.kvd.client;

import io.grpc.Status;

/**
 * Get of a key that does not exist: {@link KvErrorCode#NO_SUCH_KEY}, gRPC NOT_FOUND.
 */
public class NoSuchKeyException extends KvException {
  private static final long serialVersionUID = 1L;

  public NoSuchKeyException(Status.Code grpcCode, String message, Throwable cause) {
    super(KvErrorCode.NO_SUCH_KEY, grpcCode, message, cause);
  }
}
