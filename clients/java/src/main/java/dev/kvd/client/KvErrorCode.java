package dev.kvd.client;

import dev.kvd.kv.v1.ErrorCode;

/**
 * kvd's error code, as sent in the {@code kv-error-code} trailer: the
 * generated {@link ErrorCode} without its {@code ERROR_CODE_} prefix, plus
 * {@link #UNRECOGNIZED} for a code this client does not know (a newer kvd).
 * The codes up to {@link #IO} are Spin's key-value error variant one to one;
 * the later ones are kvd's own, for the operations Spin does not have.
 */
public enum KvErrorCode {
  /** kvd sent no code: the call failed before kvd classified it (unreachable, deadline, ...). */
  UNSPECIFIED(ErrorCode.ERROR_CODE_UNSPECIFIED),
  /** The caller already holds the maximum number of open handles. */
  STORE_TABLE_FULL(ErrorCode.ERROR_CODE_STORE_TABLE_FULL),
  /** The store is neither "default" nor defined in kvd's runtime config. */
  NO_SUCH_STORE(ErrorCode.ERROR_CODE_NO_SUCH_STORE),
  /** The caller is not granted the store. */
  ACCESS_DENIED(ErrorCode.ERROR_CODE_ACCESS_DENIED),
  /** The handle is closed, reclaimed after idling, never issued, or another caller's. */
  INVALID_STORE(ErrorCode.ERROR_CODE_INVALID_STORE),
  /** The key does not exist. */
  NO_SUCH_KEY(ErrorCode.ERROR_CODE_NO_SUCH_KEY),
  /** Any other failure: backend down, malformed request, backend failure. */
  IO(ErrorCode.ERROR_CODE_IO),
  /**
   * A conditional write's revision did not match the key's; nothing was
   * written ({@link ConditionFailedException#currentRevision()} is the key's now).
   */
  CONDITION_FAILED(ErrorCode.ERROR_CODE_CONDITION_FAILED),
  /** Increment found a value that is not a decimal int64; it is unchanged. */
  NOT_AN_INTEGER(ErrorCode.ERROR_CODE_NOT_AN_INTEGER),
  /** Increment's result would not fit in a long; the value is unchanged. */
  OUT_OF_RANGE(ErrorCode.ERROR_CODE_OUT_OF_RANGE),
  /** A code kvd sent that this client does not know. */
  UNRECOGNIZED(ErrorCode.UNRECOGNIZED);

  private final ErrorCode proto;

  KvErrorCode(ErrorCode proto) {
    this.proto = proto;
  }

  /** The generated enum value this code stands for. */
  public ErrorCode toProto() {
    return proto;
  }

  /** The code for a generated enum value (null: UNSPECIFIED). */
  public static KvErrorCode fromProto(ErrorCode code) {
    if (code == null) {
      return UNSPECIFIED;
    }
    for (KvErrorCode c : values()) {
      if (c.proto == code) {
        return c;
      }
    }
    return UNRECOGNIZED;
  }

  /**
   * The code named by a {@code kv-error-code} trailer value, with or without
   * the {@code ERROR_CODE_} prefix: null or empty is UNSPECIFIED, an unknown
   * name UNRECOGNIZED.
   */
  public static KvErrorCode fromName(String name) {
    if (name == null || name.trim().isEmpty()) {
      return UNSPECIFIED;
    }
    String n = name.trim();
    if (n.startsWith("ERROR_CODE_")) {
      n = n.substring("ERROR_CODE_".length());
    }
    for (KvErrorCode c : values()) {
      if (c != UNRECOGNIZED && c.name().equals(n)) {
        return c;
      }
    }
    return UNRECOGNIZED;
  }
}
