package dev.kvd.client;

import io.grpc.Status;

/**
 * The store handle is closed, was reclaimed after idling, or is not this caller's:
 * {@link KvErrorCode#INVALID_STORE}, gRPC FAILED_PRECONDITION. Open the store again.
 */
public class InvalidStoreException extends KvException {
  private static final long serialVersionUID = 1L;

  public InvalidStoreException(Status.Code grpcCode, String message, Throwable cause) {
    super(KvErrorCode.INVALID_STORE, grpcCode, message, cause);
  }
}
