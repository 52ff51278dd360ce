package dev.kvd.client;

/**
 * What a store's acknowledged write survives ({@link Description#durability()}):
 * the generated {@code dev.kvd.kv.v1.Durability} without its prefix, plus
 * {@link #UNRECOGNIZED} for a value from a newer kvd.
 */
public enum Durability {
  /** The driver cannot tell (it depends on how its server is configured). */
  UNSPECIFIED(dev.kvd.kv.v1.Durability.DURABILITY_UNSPECIFIED),
  /** Nothing: the data is gone when kvd exits (memory). */
  NONE(dev.kvd.kv.v1.Durability.DURABILITY_NONE),
  /** kvd exiting or crashing, not a power loss (SQLite with durability "os"). */
  PROCESS(dev.kvd.kv.v1.Durability.DURABILITY_PROCESS),
  /** A power loss (SQLite with durability "fsync", the default). */
  DISK(dev.kvd.kv.v1.Durability.DURABILITY_DISK),
  /** A value this client does not know. */
  UNRECOGNIZED(dev.kvd.kv.v1.Durability.UNRECOGNIZED);

  private final dev.kvd.kv.v1.Durability proto;

  Durability(dev.kvd.kv.v1.Durability proto) {
    this.proto = proto;
  }

  /** The generated enum value. */
  public dev.kvd.kv.v1.Durability toProto() {
    return proto;
  }

  /** The value for a generated one (null: UNSPECIFIED). */
  public static Durability fromProto(dev.kvd.kv.v1.Durability d) {
    for (Durability v : values()) {
      if (v.proto == d) {
        return v;
      }
    }
    return d == null ? UNSPECIFIED : UNRECOGNIZED;
  }
}
