package dev.kvd.client;

import io.grpc.Status;

/**
 * Open of a store that is neither "default" nor configured: {@link KvErrorCode#NO_SUCH_STORE},
 * gRPC NOT_FOUND.
 */
public class NoSuchStoreException extends KvException {
  private static final long serialVersionUID = 1L;

  public NoSuchStoreException(Status.Code grpcCode, String message, Throwable cause) {
    super(KvErrorCode.NO_SUCH_STORE, grpcCode, message, cause);
  }
}
