package dev.kvd.client;

import java.util.Arrays;
import java.util.Objects;

/**
 * A key as kvd holds it: whether it has a value, the value, and the revision
 * of the write that last changed it. {@link Store#getEntry} returns found
 * entries only (a missing key is {@link NoSuchKeyException});
 * {@link Store#getMany} returns a missing key as an entry that is not
 * {@link #found()}, with an empty value and revision 0.
 */
public final class Entry {
  private final String key;
  private final boolean found;
  private final byte[] value;
  private final long revision;

  Entry(String key, boolean found, byte[] value, long revision) {
    this.key = key;
    this.found = found;
    this.value = value;
    this.revision = revision;
  }

  /** The key that was read. */
  public String key() {
    return key;
  }

  /** Whether the key has a value. */
  public boolean found() {
    return found;
  }

  /** The stored bytes (a copy; empty when not found). */
  public byte[] value() {
    return value.clone();
  }

  /**
   * The revision of the write that last changed the key: an unsigned 64-bit
   * number ({@link Long#toUnsignedString(long)}, {@link Long#compareUnsigned});
   * 0 when not found. Pass it to {@link Condition#ifRevision} to write only
   * if nobody wrote since.
   */
  public long revision() {
    return revision;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof Entry)) {
      return false;
    }
    Entry e = (Entry) o;
    return key.equals(e.key) && found == e.found && Arrays.equals(value, e.value)
        && revision == e.revision;
  }

  @Override
  public int hashCode() {
    return Objects.hash(key, found, Arrays.hashCode(value), revision);
  }

  @Override
  public String toString() {
    return found
        ? "Entry{key=" + key + ", " + value.length + " bytes, revision="
            + Long.toUnsignedString(revision) + "}"
        : "Entry{key=" + key + ", not found}";
  }
}
