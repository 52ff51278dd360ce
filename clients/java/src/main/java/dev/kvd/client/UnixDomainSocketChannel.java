package dev.kvd.client;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelMetadata;
import io.netty.channel.ChannelOption;
import io.netty.channel.DefaultChannelConfig;
import io.netty.channel.FileRegion;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.nio.AbstractNioByteChannel;
import java.io.IOException;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;

/**
 * A Netty client channel over a JDK (16+) unix domain socket, on the ordinary
 * NIO event loop.
 *
 * <p>Netty's own unix socket channels need netty-transport-native-epoll's JNI
 * library, which Debian's libnetty-java does not ship; and Netty 4.1.48's
 * {@code NioSocketChannel} cannot wrap a unix {@link SocketChannel} (its
 * config asks for the channel's {@code java.net.Socket}, which unix channels
 * do not have). This class is the small remainder: connect, read, write and
 * close a {@code SocketChannel} opened with {@link StandardProtocolFamily#UNIX}.
 */
final class UnixDomainSocketChannel extends AbstractNioByteChannel {
  private static final ChannelMetadata METADATA = new ChannelMetadata(false, 16);

  private final Config config = new Config(this);

  UnixDomainSocketChannel() {
    super(null, open());
  }

  private static SocketChannel open() {
    try {
      return SocketChannel.open(StandardProtocolFamily.UNIX);
    } catch (IOException e) {
      throw new io.netty.channel.ChannelException("cannot open a unix domain socket", e);
    }
  }

  @Override
  protected SocketChannel javaChannel() {
    return (SocketChannel) super.javaChannel();
  }

  @Override
  public DefaultChannelConfig config() {
    return config;
  }

  @Override
  public ChannelMetadata metadata() {
    return METADATA;
  }

  @Override
  public boolean isActive() {
    SocketChannel ch = javaChannel();
    return ch.isOpen() && ch.isConnected();
  }

  @Override
  protected boolean doConnect(SocketAddress remote, SocketAddress local) throws Exception {
    if (local != null) {
      javaChannel().bind(local);
    }
    boolean success = false;
    try {
      boolean connected = javaChannel().connect(remote);
      if (!connected) {
        selectionKey().interestOps(SelectionKey.OP_CONNECT);
      }
      success = true;
      return connected;
    } finally {
      if (!success) {
        doClose();
      }
    }
  }

  @Override
  protected void doFinishConnect() throws Exception {
    if (!javaChannel().finishConnect()) {
      throw new Error("finishConnect() returned false after OP_CONNECT");
    }
  }

  @Override
  @SuppressWarnings("deprecation") // Netty 4.1 still hands out the old Handle type
  protected int doReadBytes(ByteBuf buf) throws Exception {
    RecvByteBufAllocator.Handle handle = unsafe().recvBufAllocHandle();
    handle.attemptedBytesRead(buf.writableBytes());
    return buf.writeBytes(javaChannel(), handle.attemptedBytesRead());
  }

  @Override
  protected int doWriteBytes(ByteBuf buf) throws Exception {
    return buf.readBytes(javaChannel(), buf.readableBytes());
  }

  @Override
  protected long doWriteFileRegion(FileRegion region) throws Exception {
    return region.transferTo(javaChannel(), region.transferred());
  }

  @Override
  protected ChannelFuture shutdownInput() {
    try {
      javaChannel().shutdownInput();
      return newSucceededFuture();
    } catch (IOException e) {
      return newFailedFuture(e);
    }
  }

  @Override
  protected SocketAddress localAddress0() {
    try {
      return javaChannel().getLocalAddress();
    } catch (IOException e) {
      return null;
    }
  }

  @Override
  protected SocketAddress remoteAddress0() {
    try {
      return javaChannel().getRemoteAddress();
    } catch (IOException e) {
      return null;
    }
  }

  @Override
  protected void doBind(SocketAddress local) throws Exception {
    javaChannel().bind(local);
  }

  @Override
  protected void doDisconnect() throws Exception {
    doClose();
  }

  @Override
  protected void doClose() throws Exception {
    javaChannel().close();
  }

  /** Accepts, and ignores, the TCP options gRPC sets on every transport. */
  private static final class Config extends DefaultChannelConfig {
    Config(UnixDomainSocketChannel channel) {
      super(channel);
    }

    @Override
    public <T> boolean setOption(ChannelOption<T> option, T value) {
      if (option == ChannelOption.SO_KEEPALIVE || option == ChannelOption.TCP_NODELAY) {
        return true; // meaningless on a unix socket
      }
      return super.setOption(option, value);
    }
  }
}
