package dev.kvd.client;

import io.grpc.Status;

/**
 * Spin's catch-all {@code io} error, {@link KvErrorCode#IO}: the message says
 * what. Two cases have subclasses of their own: {@link InvalidArgumentException}
 * (a malformed request) and {@link BackendUnavailableException} (the store's
 * backend cannot be reached). Otherwise gRPC INTERNAL (a backend failure), or
 * UNKNOWN for a value {@link Store#getJson(String, Class)} cannot decode.
 */
public class KvIoException extends KvException {
  private static final long serialVersionUID = 1L;

  public KvIoException(Status.Code grpcCode, String message, Throwable cause) {
    super(KvErrorCode.IO, grpcCode, message, cause);
  }
}
