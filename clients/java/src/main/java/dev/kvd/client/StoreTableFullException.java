package dev.kvd.client;

import io.grpc.Status;

/**
 * Open when this client already holds the maximum number of handles (256 by default):
 * {@link KvErrorCode#STORE_TABLE_FULL}, gRPC RESOURCE_EXHAUSTED. Close some stores.
 */
public class StoreTableFullException extends KvException {
  private static final long serialVersionUID = 1L;

  public StoreTableFullException(Status.Code grpcCode, String message, Throwable cause) {
    super(KvErrorCode.STORE_TABLE_FULL, grpcCode, message, cause);
  }
}
