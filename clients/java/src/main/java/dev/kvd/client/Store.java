package dev.kvd.client;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;
import com.google.protobuf.ByteString;
import dev.kvd.kv.v1.CloseRequest;
import dev.kvd.kv.v1.DeleteRequest;
import dev.kvd.kv.v1.ErrorCode;
import dev.kvd.kv.v1.ExistsRequest;
import dev.kvd.kv.v1.GetKeysRequest;
import dev.kvd.kv.v1.GetRequest;
import dev.kvd.kv.v1.KeyValueGrpc;
import dev.kvd.kv.v1.OpenRequest;
import dev.kvd.kv.v1.SetRequest;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

/**
 * An open kvd store: Spin's key-value API (open, get, set, delete, exists,
 * get-keys, close) over gRPC.
 *
 * <pre>{@code
 * try (Store store = Store.openDefault(Options.defaults())) {
 *   store.set("greeting", "hello".getBytes(StandardCharsets.UTF_8));
 *   byte[] value = store.get("greeting");
 * }
 * }</pre>
 *
 * <p>Every failure is a {@link KvException} carrying kvd's ErrorCode and the
 * gRPC code. A Store is safe to use from several threads. Stores opened with
 * equal {@link Options} share one connection; {@link #close()} releases the
 * handle on kvd and, with the last store, the connection.
 */
public final class Store implements AutoCloseable {
  private static final Gson GSON =
      new GsonBuilder().serializeNulls().disableHtmlEscaping().create();

  private final String name;
  private final int handle;
  private final Options options;
  private final Channels.Lease lease;
  private final KeyValueGrpc.KeyValueBlockingStub stub;
  private final AtomicBoolean closed = new AtomicBoolean();

  private Store(String name, int handle, Options options, Channels.Lease lease,
      KeyValueGrpc.KeyValueBlockingStub stub) {
    this.name = name;
    this.handle = handle;
    this.options = options;
    this.lease = lease;
    this.stub = stub;
  }

  /**
   * Opens the store {@code name} ("default" always exists; others must be in
   * kvd's runtime config).
   *
   * @throws KvException NO_SUCH_STORE, ACCESS_DENIED, STORE_TABLE_FULL, IO
   *     (backend down: {@link KvException#isBackendUnavailable()}), or no
   *     ErrorCode when kvd cannot be reached
   */
  public static Store open(String name, Options options) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(options, "options");
    Channels.Lease lease = Channels.acquire(options);
    try {
      KeyValueGrpc.KeyValueBlockingStub stub = KeyValueGrpc.newBlockingStub(lease.channel);
      if (options.token() != null) {
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER),
            "Bearer " + options.token());
        stub = stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
      }
      int handle = call(stub, options,
          s -> s.open(OpenRequest.newBuilder().setName(name).build()).getStore());
      return new Store(name, handle, options, lease, stub);
    } catch (RuntimeException e) {
      Channels.release(lease);
      throw e;
    }
  }

  /** Opens {@code name} with {@link Options#defaults()}. */
  public static Store open(String name) {
    return open(name, Options.defaults());
  }

  /** Opens the "default" store. */
  public static Store openDefault(Options options) {
    return open("default", options);
  }

  /** Opens the "default" store with {@link Options#defaults()}. */
  public static Store openDefault() {
    return open("default", Options.defaults());
  }

  /** The store's name. */
  public String name() {
    return name;
  }

  /** The handle kvd issued (never 0), an unsigned 32-bit number. */
  public long handle() {
    return Integer.toUnsignedLong(handle);
  }

  /**
   * The value under {@code key}, exactly as set.
   *
   * @throws KvException {@link KvException#isNoSuchKey()} if there is none
   */
  public byte[] get(String key) {
    Objects.requireNonNull(key, "key");
    return call(s -> s.get(GetRequest.newBuilder().setStore(handle).setKey(key).build())
        .getValue().toByteArray());
  }

  /** Stores {@code value} under {@code key}, replacing any value; returns once committed. */
  public void set(String key, byte[] value) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(value, "value");
    call(s -> s.set(SetRequest.newBuilder().setStore(handle).setKey(key)
        .setValue(ByteString.copyFrom(value)).build()));
  }

  /** Removes {@code key}; a missing key is not an error. */
  public void delete(String key) {
    Objects.requireNonNull(key, "key");
    call(s -> s.delete(DeleteRequest.newBuilder().setStore(handle).setKey(key).build()));
  }

  /** Whether {@code key} has a value. */
  public boolean exists(String key) {
    Objects.requireNonNull(key, "key");
    return call(s -> s.exists(ExistsRequest.newBuilder().setStore(handle).setKey(key).build())
        .getExists());
  }

  /** Every key in the store, in byte order. */
  public List<String> getKeys() {
    return call(s -> List.copyOf(
        s.getKeys(GetKeysRequest.newBuilder().setStore(handle).build()).getKeysList()));
  }

  /** Stores {@code value} as UTF-8 JSON (Gson; nulls are kept). */
  public void setJson(String key, Object value) {
    set(key, GSON.toJson(value).getBytes(StandardCharsets.UTF_8));
  }

  /**
   * The JSON value under {@code key}, as {@code type} ({@code JsonElement.class},
   * {@code Map.class}, a record-like class, ...).
   *
   * @throws KvException NO_SUCH_KEY like {@link #get}; IO with gRPC code
   *     UNKNOWN if the stored bytes are not JSON of that type (decoded here,
   *     not by kvd)
   */
  public <T> T getJson(String key, Class<T> type) {
    return getJson(key, (Type) type);
  }

  /** Like {@link #getJson(String, Class)}, for generic types (Gson's TypeToken). */
  public <T> T getJson(String key, Type type) {
    byte[] bytes = get(key);
    try {
      return GSON.fromJson(new String(bytes, StandardCharsets.UTF_8), type);
    } catch (JsonParseException e) {
      throw new KvException(ErrorCode.ERROR_CODE_IO, Status.Code.UNKNOWN,
          "IO: value of key \"" + key + "\" in store \"" + name + "\" is not JSON of type "
              + type.getTypeName() + ": " + e.getMessage(), e);
    }
  }

  /**
   * Releases the handle, and the connection if no other store uses it. Calls
   * made afterwards fail with {@link KvException#isInvalidStore()}. Closing
   * again does nothing. kvd's errors are ignored: a handle kvd cannot close
   * is reclaimed after an idle hour anyway.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    try {
      stub.withDeadlineAfter(options.timeout().toNanos(), TimeUnit.NANOSECONDS)
          .close(CloseRequest.newBuilder().setStore(handle).build());
    } catch (StatusRuntimeException ignored) {
      // See above: nothing a caller could do.
    } finally {
      Channels.release(lease);
    }
  }

  @Override
  public String toString() {
    return "Store{name=" + name + ", handle=" + handle() + ", " + options + "}";
  }

  private <R> R call(Function<KeyValueGrpc.KeyValueBlockingStub, R> rpc) {
    if (closed.get()) {
      throw new KvException(ErrorCode.ERROR_CODE_INVALID_STORE, Status.Code.FAILED_PRECONDITION,
          "INVALID_STORE: store \"" + name + "\" (handle " + handle()
              + ") is closed; open it again (FAILED_PRECONDITION)", null);
    }
    return call(stub, options, rpc);
  }

  private static <R> R call(KeyValueGrpc.KeyValueBlockingStub stub, Options options,
      Function<KeyValueGrpc.KeyValueBlockingStub, R> rpc) {
    try {
      return rpc.apply(stub.withDeadlineAfter(options.timeout().toNanos(), TimeUnit.NANOSECONDS));
    } catch (StatusRuntimeException e) {
      throw KvException.fromGrpc(e);
    }
  }
}
