package dev.kvd.client;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;
import com.google.protobuf.ByteString;
import dev.kvd.kv.v1.CloseRequest;
import dev.kvd.kv.v1.DeleteRequest;
import dev.kvd.kv.v1.ExistsRequest;
import dev.kvd.kv.v1.GetKeysRequest;
import dev.kvd.kv.v1.GetRequest;
import dev.kvd.kv.v1.KeyValueGrpc;
import dev.kvd.kv.v1.OpenRequest;
import dev.kvd.kv.v1.SetRequest;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.AbstractStub;
import io.grpc.stub.MetadataUtils;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * An open kvd store: Spin's key-value API (open, get, set, delete, exists,
 * get-keys, close) over gRPC, each call blocking or as a
 * {@link CompletableFuture} ({@code getAsync}, {@code setAsync}, ...).
 *
 * <pre>{@code
 * try (Store store = Store.openDefault(Options.defaults())) {
 *   store.set("greeting", "hello".getBytes(StandardCharsets.UTF_8));
 *   byte[] value = store.get("greeting");
 *   CompletableFuture<byte[]> later = store.getAsync("greeting");
 * }
 * }</pre>
 *
 * <p>Every failure is a {@link KvException}, usually one of its subclasses
 * ({@link NoSuchKeyException}, ...): thrown by the blocking methods, and the
 * exception an async method's future completes with (unwrapped; {@code join()}
 * and dependent stages wrap it in a {@code CompletionException}, {@code get()}
 * in an {@code ExecutionException}, as always). Async futures complete on
 * gRPC's callback threads: give blocking dependent stages an executor
 * ({@code thenApplyAsync(f, executor)}). Cancelling a future cancels its RPC.
 *
 * <p>Each call's deadline is {@link Options#timeout()}; {@link #withTimeout}
 * gives a view of the same store with another one. A Store is safe to use
 * from several threads. Stores opened with equal {@link Options} (timeouts
 * aside) share one connection; {@link #close()} releases the handle on kvd
 * and, with the last store, the connection.
 */
public final class Store implements AutoCloseable {
  private static final Gson GSON =
      new GsonBuilder().serializeNulls().disableHtmlEscaping().create();

  /** What every view of one opened store shares. */
  private static final class Handle {
    final String name;
    final int handle;
    final Options options;
    final String address;
    final Channels.Lease lease;
    final KeyValueGrpc.KeyValueBlockingStub blocking;
    final KeyValueGrpc.KeyValueStub async;
    final AtomicBoolean closed = new AtomicBoolean();

    Handle(String name, int handle, Options options, Channels.Lease lease,
        KeyValueGrpc.KeyValueBlockingStub blocking, KeyValueGrpc.KeyValueStub async) {
      this.name = name;
      this.handle = handle;
      this.options = options;
      this.address = options.resolvedAddress();
      this.lease = lease;
      this.blocking = blocking;
      this.async = async;
    }
  }

  private final Handle h;
  private final Duration timeout;

  private Store(Handle h, Duration timeout) {
    this.h = h;
    this.timeout = timeout;
  }

  /**
   * Opens the store {@code name} ("default" always exists; others must be in
   * kvd's runtime config). The Open call's deadline is {@link Options#timeout()}.
   *
   * @throws NoSuchStoreException if kvd has no such store
   * @throws AccessDeniedException if the caller is not granted it
   * @throws StoreTableFullException if this client holds the most handles it may
   * @throws BackendUnavailableException if the store's backend is down
   * @throws UnreachableException if kvd cannot be reached (the message names the address)
   */
  public static Store open(String name, Options options) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(options, "options");
    Channels.Lease lease = Channels.acquire(options);
    try {
      KeyValueGrpc.KeyValueBlockingStub blocking =
          withToken(KeyValueGrpc.newBlockingStub(lease.channel), options);
      KeyValueGrpc.KeyValueStub async = withToken(KeyValueGrpc.newStub(lease.channel), options);
      String address = options.resolvedAddress();
      int handle;
      try {
        handle = deadline(blocking, options.timeout())
            .open(OpenRequest.newBuilder().setName(name).build()).getStore();
      } catch (StatusRuntimeException e) {
        throw KvException.fromGrpc(e, address, options.timeout());
      }
      return new Store(new Handle(name, handle, options, lease, blocking, async),
          options.timeout());
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

  /**
   * {@link #open(String, Options)} as a future: completes with the store, or
   * exceptionally with the same exceptions {@code open} throws.
   */
  public static CompletableFuture<Store> openAsync(String name, Options options) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(options, "options");
    Channels.Lease lease;
    try {
      lease = Channels.acquire(options);
    } catch (KvException e) { // TLS setup
      return CompletableFuture.failedFuture(e);
    }
    KeyValueGrpc.KeyValueBlockingStub blocking =
        withToken(KeyValueGrpc.newBlockingStub(lease.channel), options);
    KeyValueGrpc.KeyValueStub async = withToken(KeyValueGrpc.newStub(lease.channel), options);
    Unary<dev.kvd.kv.v1.OpenResponse, Store> call = new Unary<>(
        r -> new Store(new Handle(name, r.getStore(), options, lease, blocking, async),
            options.timeout()),
        Store::closeAsync, // opened after the caller cancelled: give the handle back
        () -> releaseLater(lease), options.resolvedAddress(), options.timeout());
    deadline(async, options.timeout()).open(OpenRequest.newBuilder().setName(name).build(), call);
    return call.future;
  }

  /** {@link #openAsync(String, Options)} of the "default" store. */
  public static CompletableFuture<Store> openDefaultAsync(Options options) {
    return openAsync("default", options);
  }

  /**
   * A view of this store whose calls (blocking and async) have the deadline
   * {@code timeout} instead of this one's. It is the same store: same handle,
   * same connection; closing either closes both.
   *
   * <pre>{@code
   * byte[] v = store.withTimeout(Duration.ofMillis(200)).get("hot-key");
   * }</pre>
   *
   * @throws IllegalArgumentException if {@code timeout} is not positive
   */
  public Store withTimeout(Duration timeout) {
    if (timeout == null || timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout must be positive, got " + timeout);
    }
    return new Store(h, timeout);
  }

  /** The deadline of this view's calls: {@link Options#timeout()} unless {@link #withTimeout}. */
  public Duration timeout() {
    return timeout;
  }

  /** The store's name. */
  public String name() {
    return h.name;
  }

  /** The handle kvd issued (never 0), an unsigned 32-bit number. */
  public long handle() {
    return Integer.toUnsignedLong(h.handle);
  }

  /**
   * The value under {@code key}, exactly as set.
   *
   * @throws NoSuchKeyException if there is none
   */
  public byte[] get(String key) {
    return call(s -> s.get(getRequest(key)).getValue().toByteArray());
  }

  /** {@link #get} as a future (a missing key: {@link NoSuchKeyException}). */
  public CompletableFuture<byte[]> getAsync(String key) {
    GetRequest request = getRequest(key);
    return callAsync((s, o) -> s.get(request, o),
        (dev.kvd.kv.v1.GetResponse r) -> r.getValue().toByteArray());
  }

  /**
   * Stores {@code value} under {@code key}, replacing any value; returns once committed.
   *
   * @throws InvalidArgumentException if the key or value is too long, or the key empty
   */
  public void set(String key, byte[] value) {
    SetRequest request = setRequest(key, value);
    call(s -> s.set(request));
  }

  /** {@link #set} as a future, completed once the write is committed. */
  public CompletableFuture<Void> setAsync(String key, byte[] value) {
    SetRequest request = setRequest(key, value);
    return callAsync((s, o) -> s.set(request, o), (dev.kvd.kv.v1.SetResponse r) -> null);
  }

  /** Removes {@code key}; a missing key is not an error. */
  public void delete(String key) {
    DeleteRequest request = deleteRequest(key);
    call(s -> s.delete(request));
  }

  /** {@link #delete} as a future. */
  public CompletableFuture<Void> deleteAsync(String key) {
    DeleteRequest request = deleteRequest(key);
    return callAsync((s, o) -> s.delete(request, o), (dev.kvd.kv.v1.DeleteResponse r) -> null);
  }

  /** Whether {@code key} has a value. */
  public boolean exists(String key) {
    ExistsRequest request = existsRequest(key);
    return call(s -> s.exists(request).getExists());
  }

  /** {@link #exists} as a future. */
  public CompletableFuture<Boolean> existsAsync(String key) {
    ExistsRequest request = existsRequest(key);
    return callAsync((s, o) -> s.exists(request, o),
        (dev.kvd.kv.v1.ExistsResponse r) -> r.getExists());
  }

  /** Every key in the store, in byte order. */
  public List<String> getKeys() {
    return call(s -> List.copyOf(s.getKeys(getKeysRequest()).getKeysList()));
  }

  /** {@link #getKeys} as a future. */
  public CompletableFuture<List<String>> getKeysAsync() {
    GetKeysRequest request = getKeysRequest();
    return callAsync((s, o) -> s.getKeys(request, o),
        (dev.kvd.kv.v1.GetKeysResponse r) -> List.copyOf(r.getKeysList()));
  }

  /** Stores {@code value} as UTF-8 JSON (Gson; nulls are kept). */
  public void setJson(String key, Object value) {
    set(key, GSON.toJson(value).getBytes(StandardCharsets.UTF_8));
  }

  /** {@link #setJson} as a future. */
  public CompletableFuture<Void> setJsonAsync(String key, Object value) {
    return setAsync(key, GSON.toJson(value).getBytes(StandardCharsets.UTF_8));
  }

  /**
   * The JSON value under {@code key}, as {@code type} ({@code JsonElement.class},
   * {@code Map.class}, a record-like class, ...).
   *
   * @throws NoSuchKeyException like {@link #get}
   * @throws KvIoException with gRPC code UNKNOWN if the stored bytes are not
   *     JSON of that type (decoded here, not by kvd)
   */
  public <T> T getJson(String key, Class<T> type) {
    return getJson(key, (Type) type);
  }

  /** Like {@link #getJson(String, Class)}, for generic types (Gson's TypeToken). */
  public <T> T getJson(String key, Type type) {
    return decodeJson(key, type, get(key));
  }

  /** {@link #getJson(String, Class)} as a future. */
  public <T> CompletableFuture<T> getJsonAsync(String key, Class<T> type) {
    return getJsonAsync(key, (Type) type);
  }

  /** {@link #getJson(String, Type)} as a future. */
  public <T> CompletableFuture<T> getJsonAsync(String key, Type type) {
    GetRequest request = getRequest(key);
    return callAsync((s, o) -> s.get(request, o),
        (dev.kvd.kv.v1.GetResponse r) -> decodeJson(key, type, r.getValue().toByteArray()));
  }

  /**
   * Releases the handle, and the connection if no other store uses it. Calls
   * made afterwards fail with {@link InvalidStoreException}. Closing again,
   * or closing another view of the same store, does nothing. kvd's errors
   * are ignored: a handle kvd cannot close is reclaimed after an idle hour
   * anyway.
   */
  @Override
  public void close() {
    if (!h.closed.compareAndSet(false, true)) {
      return;
    }
    try {
      deadline(h.blocking, timeout).close(CloseRequest.newBuilder().setStore(h.handle).build());
    } catch (StatusRuntimeException ignored) {
      // See above: nothing a caller could do.
    } finally {
      Channels.release(h.lease);
    }
  }

  /**
   * {@link #close()} as a future: completes (never exceptionally) once the
   * handle and, with the last store, the connection are released.
   */
  public CompletableFuture<Void> closeAsync() {
    if (!h.closed.compareAndSet(false, true)) {
      return CompletableFuture.completedFuture(null);
    }
    Unary<dev.kvd.kv.v1.CloseResponse, Void> call =
        new Unary<>(r -> null, h.address, timeout);
    deadline(h.async, timeout).close(CloseRequest.newBuilder().setStore(h.handle).build(), call);
    // kvd's errors are ignored, as in close(); the connection is released off
    // gRPC's thread, since releasing waits briefly for the channel to end.
    return call.future.handle((r, e) -> null)
        .thenRunAsync(() -> Channels.release(h.lease), ForkJoinPool.commonPool());
  }

  @Override
  public String toString() {
    return "Store{name=" + h.name + ", handle=" + handle() + ", "
        + h.options.toBuilder().timeout(timeout).build() + "}";
  }

  private GetRequest getRequest(String key) {
    Objects.requireNonNull(key, "key");
    return GetRequest.newBuilder().setStore(h.handle).setKey(key).build();
  }

  private SetRequest setRequest(String key, byte[] value) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(value, "value");
    return SetRequest.newBuilder().setStore(h.handle).setKey(key)
        .setValue(ByteString.copyFrom(value)).build();
  }

  private DeleteRequest deleteRequest(String key) {
    Objects.requireNonNull(key, "key");
    return DeleteRequest.newBuilder().setStore(h.handle).setKey(key).build();
  }

  private ExistsRequest existsRequest(String key) {
    Objects.requireNonNull(key, "key");
    return ExistsRequest.newBuilder().setStore(h.handle).setKey(key).build();
  }

  private GetKeysRequest getKeysRequest() {
    return GetKeysRequest.newBuilder().setStore(h.handle).build();
  }

  private <T> T decodeJson(String key, Type type, byte[] bytes) {
    try {
      return GSON.fromJson(new String(bytes, StandardCharsets.UTF_8), type);
    } catch (JsonParseException e) {
      throw new KvIoException(Status.Code.UNKNOWN,
          "IO: value of key \"" + key + "\" in store \"" + h.name + "\" is not JSON of type "
              + type.getTypeName() + ": " + e.getMessage(), e);
    }
  }

  /** The error of any call on a closed store, made here without asking kvd. */
  private InvalidStoreException closedError() {
    return new InvalidStoreException(Status.Code.FAILED_PRECONDITION,
        "INVALID_STORE: store \"" + h.name + "\" (handle " + handle()
            + ") is closed; open it again (FAILED_PRECONDITION)", null);
  }

  private <R> R call(Function<KeyValueGrpc.KeyValueBlockingStub, R> rpc) {
    if (h.closed.get()) {
      throw closedError();
    }
    try {
      return rpc.apply(deadline(h.blocking, timeout));
    } catch (StatusRuntimeException e) {
      throw KvException.fromGrpc(e, h.address, timeout);
    }
  }

  private <T, R> CompletableFuture<R> callAsync(
      BiConsumer<KeyValueGrpc.KeyValueStub, Unary<T, R>> rpc, Function<T, R> map) {
    if (h.closed.get()) {
      return CompletableFuture.failedFuture(closedError());
    }
    Unary<T, R> call = new Unary<>(map, h.address, timeout);
    rpc.accept(deadline(h.async, timeout), call);
    return call.future;
  }

  private static <S extends AbstractStub<S>> S deadline(S stub, Duration timeout) {
    return stub.withDeadlineAfter(timeout.toNanos(), TimeUnit.NANOSECONDS);
  }

  private static <S extends AbstractStub<S>> S withToken(S stub, Options options) {
    if (options.token() == null) {
      return stub;
    }
    Metadata headers = new Metadata();
    headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER),
        "Bearer " + options.token());
    return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
  }

  /** Releases off gRPC's callback thread: releasing waits briefly for the channel to end. */
  private static void releaseLater(Channels.Lease lease) {
    ForkJoinPool.commonPool().execute(() -> Channels.release(lease));
  }
}
