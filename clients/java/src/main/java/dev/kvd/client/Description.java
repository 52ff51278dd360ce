package dev.kvd.client;

import dev.kvd.kv.v1.DescribeResponse;
import dev.kvd.kv.v1.StoreLimits;
import java.time.Duration;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

/**
 * What {@link Store#describe} tells about a store: its name, driver,
 * durability, limits, current revision and capabilities. The sizes and the
 * revision are unsigned 64-bit numbers in {@code long}s.
 */
public final class Description {
  private final String name;
  private final String driver;
  private final Durability durability;
  private final long maxKeyBytes;
  private final long maxValueBytes;
  private final long maxBatchEntries;
  private final long maxBatchBytes;
  private final Duration maxTtl;
  private final long maxPageSize;
  private final long revision;
  private final Set<Capability> capabilities;
  private final boolean readOnly;

  Description(DescribeResponse r) {
    StoreLimits l = r.getLimits();
    this.name = r.getName();
    this.driver = r.getDriver();
    this.durability = Durability.fromProto(r.getDurability());
    this.maxKeyBytes = l.getMaxKeyBytes();
    this.maxValueBytes = l.getMaxValueBytes();
    this.maxBatchEntries = l.getMaxBatchEntries();
    this.maxBatchBytes = l.getMaxBatchBytes();
    this.maxTtl = Times.fromProto(l.getMaxTtl());
    this.maxPageSize = Integer.toUnsignedLong(l.getMaxPageSize());
    this.revision = r.getRevision();
    EnumSet<Capability> caps = EnumSet.noneOf(Capability.class);
    for (dev.kvd.kv.v1.Capability c : r.getCapabilitiesList()) {
      if (c != dev.kvd.kv.v1.Capability.CAPABILITY_UNSPECIFIED) {
        caps.add(Capability.fromProto(c));
      }
    }
    this.capabilities = Collections.unmodifiableSet(caps);
    this.readOnly = r.getReadOnly();
  }

  /** The store's name, as passed to open. */
  public String name() {
    return name;
  }

  /** The driver type of kvd's runtime config: "sqlite", "memory", "redis", "postgres". */
  public String driver() {
    return driver;
  }

  /** What an acknowledged write survives. */
  public Durability durability() {
    return durability;
  }

  /** The longest key, in bytes. */
  public long maxKeyBytes() {
    return maxKeyBytes;
  }

  /** The largest value, in bytes. */
  public long maxValueBytes() {
    return maxValueBytes;
  }

  /** The most keys in one getMany, setMany or deleteMany. */
  public long maxBatchEntries() {
    return maxBatchEntries;
  }

  /** The most key and value bytes in one batch request or getMany response. */
  public long maxBatchBytes() {
    return maxBatchBytes;
  }

  /**
   * The longest ttl a write may give (3650 days unless kvd says otherwise);
   * zero from a kvd that does not say ({@link Capability#TTL} absent).
   */
  public Duration maxTtl() {
    return maxTtl;
  }

  /** The most keys in one listKeys page (a larger page size is lowered to it). */
  public long maxPageSize() {
    return maxPageSize;
  }

  /**
   * The store's current revision: the highest any write has been given (0
   * for a store never written); any later write gets a higher one.
   */
  public long revision() {
    return revision;
  }

  /** What the store can do beyond Spin's seven operations (unmodifiable). */
  public Set<Capability> capabilities() {
    return capabilities;
  }

  /** Whether the store has {@code capability}. */
  public boolean has(Capability capability) {
    return capabilities.contains(capability);
  }

  /** Whether the handle came from a read-only grant: every write fails with ACCESS_DENIED. */
  public boolean readOnly() {
    return readOnly;
  }

  @Override
  public String toString() {
    return "Description{name=" + name + ", driver=" + driver + ", durability=" + durability
        + ", limits=" + Long.toUnsignedString(maxKeyBytes) + "/"
        + Long.toUnsignedString(maxValueBytes) + "/" + Long.toUnsignedString(maxBatchEntries)
        + "/" + Long.toUnsignedString(maxBatchBytes) + ", maxTtl=" + maxTtl + ", maxPageSize="
        + maxPageSize + ", revision="
        + Long.toUnsignedString(revision) + ", capabilities=" + capabilities + ", readOnly="
        + readOnly + "}";
  }
}
