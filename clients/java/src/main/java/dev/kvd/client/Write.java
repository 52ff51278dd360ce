package dev.kvd.client;

import java.util.Objects;

/**
 * One entry of {@link Store#setMany}: a value to store under a key, with an
 * optional {@link Condition} on that key's revision (the whole batch applies
 * only if every entry's condition holds).
 *
 * <pre>{@code
 * store.setMany(List.of(Write.of("a", one), Write.of("b", two, Condition.ifAbsent())));
 * }</pre>
 */
public final class Write {
  private final String key;
  private final byte[] value;
  private final Condition condition;

  private Write(String key, byte[] value, Condition condition) {
    this.key = Objects.requireNonNull(key, "key");
    this.value = Objects.requireNonNull(value, "value").clone();
    this.condition = Objects.requireNonNull(condition, "condition");
  }

  /** An unconditional write. */
  public static Write of(String key, byte[] value) {
    return new Write(key, value, Condition.none());
  }

  /** A write that applies only if {@code condition} holds for its key. */
  public static Write of(String key, byte[] value, Condition condition) {
    return new Write(key, value, condition);
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

  /** The value without a copy, for the request. */
  byte[] rawValue() {
    return value;
  }

  @Override
  public String toString() {
    return "Write{key=" + key + ", " + value.length + " bytes, " + condition + "}";
  }
}
