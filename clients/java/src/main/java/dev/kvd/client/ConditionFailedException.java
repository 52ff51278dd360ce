package dev.kvd.client;

import io.grpc.Status;
import java.util.OptionalInt;

/**
 * A conditional write ({@code setEntry} or {@code deleteEntry} with a
 * {@link Condition}, a {@link Write} of {@code setMany} with one) found
 * another revision than it asked for, so nothing was written:
 * {@link KvErrorCode#CONDITION_FAILED}, gRPC ABORTED. It carries the key's
 * current revision, so a caller can retry without reading again, and for a
 * batch the position of the entry that failed. {@link Store#update} retries
 * on it.
 */
public class ConditionFailedException extends KvException {
  private static final long serialVersionUID = 1L;

  private final long currentRevision;
  private final int failedIndex;

  /**
   * An exception for a failed condition.
   *
   * @param currentRevision the key's revision (unsigned; 0: the key is absent)
   * @param failedIndex the failing entry's 0-based position in a batch, or -1
   */
  public ConditionFailedException(Status.Code grpcCode, String message, Throwable cause,
      long currentRevision, int failedIndex) {
    super(KvErrorCode.CONDITION_FAILED, grpcCode, message, cause);
    this.currentRevision = currentRevision;
    this.failedIndex = failedIndex < 0 ? -1 : failedIndex;
  }

  /**
   * The key's revision when the condition was checked, from the
   * {@code kv-current-revision} trailer: an unsigned 64-bit number
   * ({@link Long#toUnsignedString(long)} prints it), 0 if the key is absent.
   */
  public long currentRevision() {
    return currentRevision;
  }

  /**
   * For a failed {@code setMany} or {@code deleteMany}, the 0-based position
   * of the entry whose condition failed (the {@code kv-failed-index}
   * trailer); empty for a single-key write.
   */
  public OptionalInt failedIndex() {
    return failedIndex < 0 ? OptionalInt.empty() : OptionalInt.of(failedIndex);
  }
}
