package dev.kvd.client;

/**
 * The result of {@link Store#increment}: the counter's new value and the
 * revision that write gave the key.
 */
public final class Counter {
  private final long value;
  private final long revision;

  Counter(long value, long revision) {
    this.value = value;
    this.revision = revision;
  }

  /** The counter after the increment. */
  public long value() {
    return value;
  }

  /** The revision the increment gave the key (unsigned 64-bit). */
  public long revision() {
    return revision;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Counter && ((Counter) o).value == value
        && ((Counter) o).revision == revision;
  }

  @Override
  public int hashCode() {
    return Long.hashCode(value) * 31 + Long.hashCode(revision);
  }

  @Override
  public String toString() {
    return "Counter{value=" + value + ", revision=" + Long.toUnsignedString(revision) + "}";
  }
}
