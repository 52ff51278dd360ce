package dev.kvd.client;

import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

/**
 * A key as kvd holds it: whether it has a value, the value, the revision
 * of the write that last changed it, and when it expires. {@link Store#getEntry} returns found
 * entries only (a missing key is {@link NoSuchKeyException});
 * {@link Store#getMany} returns a missing key as an entry that is not
 * {@link #found()}, with an empty value and revision 0.
 */
public final class Entry {
  private final String key;
  private final boolean found;
  private final byte[] value;
  private final long revision;
  private final Optional<Instant> expireTime;

  Entry(String key, boolean found, byte[] value, long revision) {
    this(key, found, value, revision, Optional.empty());
  }

  Entry(String key, boolean found, byte[] value, long revision, Optional<Instant> expireTime) {
    this.key = key;
    this.found = found;
    this.value = value;
    this.revision = revision;
    this.expireTime = expireTime;
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

  /**
   * When the key expires (it was written with a ttl:
   * {@link Store#set(String, byte[], java.time.Duration)}, ...), to the
   * millisecond; empty if it does not expire, or was not found.
   */
  public Optional<Instant> expireTime() {
    return expireTime;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof Entry)) {
      return false;
    }
    Entry e = (Entry) o;
    return key.equals(e.key) && found == e.found && Arrays.equals(value, e.value)
        && revision == e.revision && expireTime.equals(e.expireTime);
  }

  @Override
  public int hashCode() {
    return Objects.hash(key, found, Arrays.hashCode(value), revision, expireTime);
  }

  @Override
  public String toString() {
    return found
        ? "Entry{key=" + key + ", " + value.length + " bytes, revision="
            + Long.toUnsignedString(revision)
            + expireTime.map(t -> ", expires " + t).orElse("") + "}"
        : "Entry{key=" + key + ", not found}";
  }
}
