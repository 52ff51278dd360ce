package dev.kvd.client;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * One entry of {@link Store#setMany}: a value to store under a key, with an
 * optional {@link Condition} on that key's revision (the whole batch applies
 * only if every entry's condition holds) and an optional time to live (the
 * key expires that long after the batch is written; without one it never
 * does, and an earlier expiry is cleared).
 *
 * <pre>{@code
 * store.setMany(List.of(Write.of("a", one), Write.of("b", two, Condition.ifAbsent()),
 *     Write.of("session", token, Duration.ofMinutes(30))));
 * }</pre>
 */
public final class Write {
  private final String key;
  private final byte[] value;
  private final Condition condition;
  private final Optional<Duration> ttl;

  private Write(String key, byte[] value, Condition condition, Optional<Duration> ttl) {
    this.key = Objects.requireNonNull(key, "key");
    this.value = Objects.requireNonNull(value, "value").clone();
    this.condition = Objects.requireNonNull(condition, "condition");
    this.ttl = ttl;
  }

  /** An unconditional write. */
  public static Write of(String key, byte[] value) {
    return new Write(key, value, Condition.none(), Optional.empty());
  }

  /** A write that applies only if {@code condition} holds for its key. */
  public static Write of(String key, byte[] value, Condition condition) {
    return new Write(key, value, condition, Optional.empty());
  }

  /**
   * An unconditional write whose key expires {@code ttl} after the batch is
   * written (at least 1 ms, at most {@link Description#maxTtl()}; kvd refuses
   * any other with {@link InvalidArgumentException}).
   */
  public static Write of(String key, byte[] value, Duration ttl) {
    return new Write(key, value, Condition.none(),
        Optional.of(Objects.requireNonNull(ttl, "ttl")));
  }

  /** A conditional write whose key expires {@code ttl} after the batch is written. */
  public static Write of(String key, byte[] value, Condition condition, Duration ttl) {
    return new Write(key, value, condition, Optional.of(Objects.requireNonNull(ttl, "ttl")));
  }

  public String key() {
    return key;
  }

  /** The value (a copy). */
  public byte[] value() {
    return value.clone();
  }

  /** The condition, {@link Condition#none()} if unconditional. */
  public Condition condition() {
    return condition;
  }

  /** The time to live; empty if the key is not to expire. */
  public Optional<Duration> ttl() {
    return ttl;
  }

  /** The value without a copy, for the request. */
  byte[] rawValue() {
    return value;
  }

  @Override
  public String toString() {
    return "Write{key=" + key + ", " + value.length + " bytes, " + condition
        + ttl.map(d -> ", ttl " + d).orElse("") + "}";
  }
}
