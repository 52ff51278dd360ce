package dev.kvd.client;

import io.grpc.ManagedChannel;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.File;
import java.net.UnixDomainSocketAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;

/**
 * The gRPC channels the open stores use: one per distinct address and TLS
 * setup, shared by every store opened with it, closed when its last store
 * closes. Opening many stores therefore opens one connection, as kvd expects
 * (the handle table is per client, not per connection).
 */
final class Channels {
  private Channels() {}

  /** What makes two stores' channels interchangeable. */
  private static final class Key {
    final String address;
    final List<Object> tls;
    final int maxReceive;

    Key(Options o) {
      address = o.resolvedAddress();
      tls = java.util.Arrays.asList(o.tls(), o.trustCertificates(), o.clientCertificate(),
          o.clientKey());
      maxReceive = o.maxReceiveMessageBytes();
    }

    @Override
    public boolean equals(Object other) {
      if (!(other instanceof Key)) {
        return false;
      }
      Key k = (Key) other;
      return address.equals(k.address) && tls.equals(k.tls) && maxReceive == k.maxReceive;
    }

    @Override
    public int hashCode() {
      return java.util.Objects.hash(address, tls, maxReceive);
    }
  }

  /** A channel and how many open stores use it. */
  static final class Lease {
    final Key key;
    final ManagedChannel channel;
    int users;

    Lease(Key key, ManagedChannel channel) {
      this.key = key;
      this.channel = channel;
    }
  }

  private static final Map<Key, Lease> leases = new HashMap<>();
  private static EventLoopGroup unixEventLoop;

  /** A channel for `options`, shared; give it back with {@link #release}. */
  static synchronized Lease acquire(Options options) {
    Key key = new Key(options);
    Lease lease = leases.get(key);
    if (lease == null) {
      lease = new Lease(key, build(options, key.address));
      leases.put(key, lease);
    }
    lease.users++;
    return lease;
  }

  static synchronized void release(Lease lease) {
    if (--lease.users > 0) {
      return;
    }
    if (leases.get(lease.key) == lease) {
      leases.remove(lease.key);
    }
    lease.channel.shutdown();
    try {
      // Lets the Close call's stream finish; returns at once when idle.
      lease.channel.awaitTermination(1, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    lease.channel.shutdownNow();
  }

  private static ManagedChannel build(Options options, String address) {
    NettyChannelBuilder builder;
    if (address.startsWith("unix:")) {
      String path = address.substring("unix:".length());
      if (path.startsWith("//")) { // unix:///abs/path
        path = path.substring(2);
      }
      if (path.isEmpty()) {
        throw new IllegalArgumentException("empty unix socket path in address " + address);
      }
      builder = NettyChannelBuilder.forAddress(UnixDomainSocketAddress.of(path))
          .eventLoopGroup(unixEventLoop())
          .channelFactory(UnixDomainSocketChannel::new)
          .overrideAuthority("localhost");
    } else {
      builder = NettyChannelBuilder.forTarget(address);
    }
    builder.maxInboundMessageSize(options.maxReceiveMessageBytes());
    if (options.tls()) {
      try {
        SslContextBuilder ssl = GrpcSslContexts.forClient();
        if (options.trustCertificates() != null) {
          ssl.trustManager(options.trustCertificates().toFile());
        }
        if (options.clientCertificate() != null) {
          File cert = options.clientCertificate().toFile();
          File key = options.clientKey().toFile();
          ssl.keyManager(cert, key);
        }
        builder.sslContext(ssl.build()).useTransportSecurity();
      } catch (SSLException e) {
        throw new KvException(KvErrorCode.UNSPECIFIED,
            io.grpc.Status.Code.INVALID_ARGUMENT, "TLS setup failed: " + e.getMessage(), e);
      }
    } else {
      builder.usePlaintext();
    }
    return builder.build();
  }

  /** One daemon event loop thread serves every unix socket channel. */
  private static synchronized EventLoopGroup unixEventLoop() {
    if (unixEventLoop == null) {
      unixEventLoop = new NioEventLoopGroup(1, new DefaultThreadFactory("kvd-unix", true));
    }
    return unixEventLoop;
  }
}
