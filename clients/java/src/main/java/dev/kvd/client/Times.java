package dev.kvd.client;

import com.google.protobuf.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/** java.time values to and from protobuf's Duration and Timestamp. */
final class Times {
  private Times() {}

  /**
   * {@code d} as a protobuf Duration, exactly (a negative one too: protobuf
   * wants seconds and nanos of one sign, java.time a non-negative nano part),
   * so that kvd judges every ttl it is given.
   */
  static com.google.protobuf.Duration toProto(Duration d) {
    long seconds = d.getSeconds();
    int nanos = d.getNano();
    if (seconds < 0 && nanos > 0) {
      seconds++;
      nanos -= 1_000_000_000;
    }
    return com.google.protobuf.Duration.newBuilder().setSeconds(seconds).setNanos(nanos).build();
  }

  /** A protobuf Duration as a java.time one (unset: zero). */
  static Duration fromProto(com.google.protobuf.Duration d) {
    return Duration.ofSeconds(d.getSeconds(), d.getNanos());
  }

  /** A read's expire_time: empty when unset (the key does not expire). */
  static Optional<Instant> expireTime(boolean has, Timestamp t) {
    return has ? Optional.of(Instant.ofEpochSecond(t.getSeconds(), t.getNanos()))
        : Optional.empty();
  }
}
