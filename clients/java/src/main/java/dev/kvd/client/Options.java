package dev.kvd.client;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * How to reach kvd. Immutable; build one with {@link #builder()}, or use
 * {@link #defaults()}.
 *
 * <pre>{@code
 * Options options = Options.builder()
 *     .address("unix:/run/kvd/kvd.sock")   // or "host:port"
 *     .timeout(Duration.ofSeconds(2))       // deadline of each call
 *     .token("s3cret")                      // "authorization: Bearer s3cret"
 *     .build();
 * }</pre>
 */
public final class Options {
  /** The address used when neither {@link Builder#address} nor $KVD_ADDR is set. */
  public static final String DEFAULT_ADDRESS = "127.0.0.1:50051";

  private final String address;
  private final Duration timeout;
  private final boolean tls;
  private final Path trustCertificates;
  private final Path clientCertificate;
  private final Path clientKey;
  private final String token;
  private final int maxReceiveMessageBytes;

  private Options(Builder b) {
    this.address = b.address;
    this.timeout = b.timeout;
    this.tls = b.tls;
    this.trustCertificates = b.trustCertificates;
    this.clientCertificate = b.clientCertificate;
    this.clientKey = b.clientKey;
    this.token = b.token;
    this.maxReceiveMessageBytes = b.maxReceiveMessageBytes;
  }

  /** Address from $KVD_ADDR (else 127.0.0.1:50051), 10 s deadline, plaintext. */
  public static Options defaults() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A builder holding these options, to change some of them. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.address = address;
    b.timeout = timeout;
    b.tls = tls;
    b.trustCertificates = trustCertificates;
    b.clientCertificate = clientCertificate;
    b.clientKey = clientKey;
    b.token = token;
    b.maxReceiveMessageBytes = maxReceiveMessageBytes;
    return b;
  }

  /**
   * The address to dial: the one set, else $KVD_ADDR, else
   * {@value #DEFAULT_ADDRESS}. Either {@code host:port} or {@code unix:/path}.
   */
  public String resolvedAddress() {
    if (address != null && !address.isEmpty()) {
      return address;
    }
    String env = System.getenv("KVD_ADDR");
    if (env != null && !env.isEmpty()) {
      return env;
    }
    return DEFAULT_ADDRESS;
  }

  /** The address as set (null: $KVD_ADDR or the default). */
  public String address() {
    return address;
  }

  /** The deadline of each call. */
  public Duration timeout() {
    return timeout;
  }

  public boolean tls() {
    return tls;
  }

  /** PEM file of the CAs to trust; null: the JDK's default trust store. */
  public Path trustCertificates() {
    return trustCertificates;
  }

  /** PEM client certificate chain for mutual TLS; null: none. */
  public Path clientCertificate() {
    return clientCertificate;
  }

  /** PEM (PKCS#8) private key of {@link #clientCertificate()}. */
  public Path clientKey() {
    return clientKey;
  }

  /** Bearer token sent as "authorization: Bearer TOKEN"; null: none. */
  public String token() {
    return token;
  }

  /** The largest response accepted (values and key listings over 4 MiB need more). */
  public int maxReceiveMessageBytes() {
    return maxReceiveMessageBytes;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof Options)) {
      return false;
    }
    Options other = (Options) o;
    return Objects.equals(address, other.address)
        && timeout.equals(other.timeout)
        && tls == other.tls
        && Objects.equals(trustCertificates, other.trustCertificates)
        && Objects.equals(clientCertificate, other.clientCertificate)
        && Objects.equals(clientKey, other.clientKey)
        && Objects.equals(token, other.token)
        && maxReceiveMessageBytes == other.maxReceiveMessageBytes;
  }

  @Override
  public int hashCode() {
    return Objects.hash(address, timeout, tls, trustCertificates, clientCertificate, clientKey,
        token, maxReceiveMessageBytes);
  }

  @Override
  public String toString() {
    return "Options{address=" + resolvedAddress() + ", timeout=" + timeout + ", tls=" + tls
        + (token != null ? ", token=<set>" : "") + "}";
  }

  /** Builds {@link Options}. */
  public static final class Builder {
    private String address;
    private Duration timeout = Duration.ofSeconds(10);
    private boolean tls;
    private Path trustCertificates;
    private Path clientCertificate;
    private Path clientKey;
    private String token;
    private int maxReceiveMessageBytes = 64 << 20;

    private Builder() {}

    /** {@code host:port} or {@code unix:/path}; null or empty: $KVD_ADDR, else the default. */
    public Builder address(String address) {
      this.address = address;
      return this;
    }

    /** The deadline of each call (default 10 s). */
    public Builder timeout(Duration timeout) {
      if (timeout == null || timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("timeout must be positive, got " + timeout);
      }
      this.timeout = timeout;
      return this;
    }

    /** Use TLS (default: plaintext). */
    public Builder tls(boolean tls) {
      this.tls = tls;
      return this;
    }

    /** Trust these CAs (a PEM file) instead of the JDK's; implies TLS. */
    public Builder trustCertificates(Path pemFile) {
      this.trustCertificates = pemFile;
      this.tls = true;
      return this;
    }

    /** Present this client certificate chain and PKCS#8 key (PEM files); implies TLS. */
    public Builder clientCertificate(Path certChainPem, Path privateKeyPem) {
      this.clientCertificate = certChainPem;
      this.clientKey = privateKeyPem;
      this.tls = true;
      return this;
    }

    /** Sends "authorization: Bearer TOKEN" with every call; null or empty: none. */
    public Builder token(String token) {
      this.token = token == null || token.isEmpty() ? null : token;
      return this;
    }

    /** The largest response accepted (default 64 MiB). */
    public Builder maxReceiveMessageBytes(int bytes) {
      if (bytes <= 0) {
        throw new IllegalArgumentException("maxReceiveMessageBytes must be positive");
      }
      this.maxReceiveMessageBytes = bytes;
      return this;
    }

    public Options build() {
      if ((clientCertificate == null) != (clientKey == null)) {
        throw new IllegalArgumentException("a client certificate needs its key, and vice versa");
      }
      return new Options(this);
    }
  }
}
