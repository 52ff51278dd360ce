package dev.kvd.client;

import io.grpc.Status;

/**
 * kvd is up but the store's backend cannot be reached or opened (a Redis or
 * PostgreSQL that is down, an SQLite file that cannot be opened).
 * {@link KvErrorCode#IO}, gRPC UNAVAILABLE. Worth a retry later.
 */
public class BackendUnavailableException extends KvIoException {
  private static final long serialVersionUID = 1L;

  public BackendUnavailableException(String message, Throwable cause) {
    super(Status.Code.UNAVAILABLE, message, cause);
  }
}
