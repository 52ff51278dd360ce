package dev.kvd.client;

/**
 * What a conditional write checks first: the key's current revision
 * ({@link #ifRevision}, compare-and-swap) or its absence ({@link #ifAbsent},
 * create-only). If the check fails, nothing is written and the call fails
 * with {@link ConditionFailedException}. {@link #none()} is no check.
 *
 * <pre>{@code
 * Entry e = store.getEntry("cfg");
 * store.setEntry("cfg", next, Condition.ifRevision(e.revision()));
 * store.setEntry("lock", me, Condition.ifAbsent());
 * }</pre>
 */
public final class Condition {
  private static final Condition NONE = new Condition(false, 0);
  private static final Condition ABSENT = new Condition(true, 0);

  private final boolean present;
  private final long revision;

  private Condition(boolean present, long revision) {
    this.present = present;
    this.revision = revision;
  }

  /** No condition: the write applies unconditionally. */
  public static Condition none() {
    return NONE;
  }

  /**
   * Only if the key's current revision is {@code revision} (unsigned, as
   * {@link Entry#revision()} returns it); 0 is {@link #ifAbsent()}.
   */
  public static Condition ifRevision(long revision) {
    return revision == 0 ? ABSENT : new Condition(true, revision);
  }

  /** Only if the key does not exist (create-only; {@code if_revision} 0 on the wire). */
  public static Condition ifAbsent() {
    return ABSENT;
  }

  /** Whether there is a condition at all (not {@link #none()}). */
  public boolean isPresent() {
    return present;
  }

  /** The revision required (0: absent). Meaningless if not {@link #isPresent()}. */
  public long revision() {
    return revision;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Condition && ((Condition) o).present == present
        && ((Condition) o).revision == revision;
  }

  @Override
  public int hashCode() {
    return Boolean.hashCode(present) * 31 + Long.hashCode(revision);
  }

  @Override
  public String toString() {
    if (!present) {
      return "none";
    }
    return revision == 0 ? "if absent" : "if revision " + Long.toUnsignedString(revision);
  }
}
