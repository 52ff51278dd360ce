package dev.kvd.client;

import java.util.Objects;

/**
 * What {@link Store#listKeys(ListOptions)}, {@link Store#streamKeys(ListOptions)}
 * and {@link Store#listKeysPage} list: the keys that start with
 * {@link #prefix()} (compared byte for byte; no character is special; "" is
 * every key), in pages of at most {@link #pageSize()} keys (0 is kvd's
 * default, 1,000; above the store's {@link Description#maxPageSize()},
 * 10,000, kvd lowers it; a negative size is sent as it is and refused with
 * {@link InvalidArgumentException} naming page_size). Immutable.
 *
 * <pre>{@code
 * ListOptions users = ListOptions.builder().prefix("user/").pageSize(500).build();
 * }</pre>
 */
public final class ListOptions {
  private static final ListOptions DEFAULTS = new Builder().build();

  private final String prefix;
  private final int pageSize;

  private ListOptions(Builder b) {
    this.prefix = b.prefix;
    this.pageSize = b.pageSize;
  }

  /** Every key, in pages of kvd's default size. */
  public static ListOptions defaults() {
    return DEFAULTS;
  }

  /** The keys that start with {@code prefix}, in pages of kvd's default size. */
  public static ListOptions prefix(String prefix) {
    return builder().prefix(prefix).build();
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    return new Builder().prefix(prefix).pageSize(pageSize);
  }

  /** Only keys that start with this; "" (the default) lists every key. */
  public String prefix() {
    return prefix;
  }

  /** The most keys per page; 0 (the default) is kvd's default. */
  public int pageSize() {
    return pageSize;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ListOptions && ((ListOptions) o).prefix.equals(prefix)
        && ((ListOptions) o).pageSize == pageSize;
  }

  @Override
  public int hashCode() {
    return prefix.hashCode() * 31 + pageSize;
  }

  @Override
  public String toString() {
    return "ListOptions{prefix=\"" + prefix + "\", pageSize=" + pageSize + "}";
  }

  /** Builds {@link ListOptions}. */
  public static final class Builder {
    private String prefix = "";
    private int pageSize;

    private Builder() {}

    /** Only keys that start with {@code prefix} (not null). */
    public Builder prefix(String prefix) {
      this.prefix = Objects.requireNonNull(prefix, "prefix");
      return this;
    }

    /** At most {@code pageSize} keys per page; 0 is kvd's default. */
    public Builder pageSize(int pageSize) {
      this.pageSize = pageSize;
      return this;
    }

    public ListOptions build() {
      return new ListOptions(this);
    }
  }
}
