package dev.kvd.client;

/**
 * Something a store can do beyond Spin's seven operations
 * ({@link Description#has}): the generated {@code dev.kvd.kv.v1.Capability}
 * without its prefix, plus {@link #UNRECOGNIZED} for one from a newer kvd.
 * Check for one rather than guessing from the server's version.
 */
public enum Capability {
  /** Reads return revisions and writes return the revision they wrote. */
  REVISIONS(dev.kvd.kv.v1.Capability.CAPABILITY_REVISIONS),
  /** Writes accept a {@link Condition}. */
  CONDITIONAL_WRITES(dev.kvd.kv.v1.Capability.CAPABILITY_CONDITIONAL_WRITES),
  /** {@link Store#increment}. */
  INCREMENT(dev.kvd.kv.v1.Capability.CAPABILITY_INCREMENT),
  /** getMany reads one snapshot; setMany and deleteMany are all-or-nothing. */
  ATOMIC_BATCHES(dev.kvd.kv.v1.Capability.CAPABILITY_ATOMIC_BATCHES),
  /** Writes accept a ttl; reads report {@link Entry#expireTime()}. */
  TTL(dev.kvd.kv.v1.Capability.CAPABILITY_TTL),
  /** {@link Store#listKeys(ListOptions)}: paged, prefix-filtered listing. */
  LIST_PAGES(dev.kvd.kv.v1.Capability.CAPABILITY_LIST_PAGES),
  /** A capability this client does not know. */
  UNRECOGNIZED(dev.kvd.kv.v1.Capability.UNRECOGNIZED);

  private final dev.kvd.kv.v1.Capability proto;

  Capability(dev.kvd.kv.v1.Capability proto) {
    this.proto = proto;
  }

  /** The generated enum value. */
  public dev.kvd.kv.v1.Capability toProto() {
    return proto;
  }

  /** The value for a generated one (anything unknown: UNRECOGNIZED). */
  public static Capability fromProto(dev.kvd.kv.v1.Capability c) {
    for (Capability v : values()) {
      if (v.proto == c) {
        return v;
      }
    }
    return UNRECOGNIZED;
  }
}
