package dev.kvd.client;

import io.grpc.Status;

/**
 * A malformed request: an empty, oversize (over 256 bytes by default) or
 * non-UTF-8 key, or an oversize value (over 1 MiB by default).
 * {@link KvErrorCode#IO}, gRPC INVALID_ARGUMENT. Retrying cannot help.
 */
public class InvalidArgumentException extends KvIoException {
  private static final long serialVersionUID = 1L;

  public InvalidArgumentException(String message, Throwable cause) {
    super(Status.Code.INVALID_ARGUMENT, message, cause);
  }
}
