package dev.kvd.client;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;
import com.google.protobuf.ByteString;
import dev.kvd.kv.v1.CloseRequest;
import dev.kvd.kv.v1.DeleteManyRequest;
import dev.kvd.kv.v1.DeleteRequest;
import dev.kvd.kv.v1.DescribeRequest;
import dev.kvd.kv.v1.ExistsRequest;
import dev.kvd.kv.v1.GetKeysRequest;
import dev.kvd.kv.v1.GetManyRequest;
import dev.kvd.kv.v1.GetRequest;
import dev.kvd.kv.v1.IncrementRequest;
import dev.kvd.kv.v1.KeyValueGrpc;
import dev.kvd.kv.v1.ListKeysRequest;
import dev.kvd.kv.v1.OpenRequest;
import dev.kvd.kv.v1.SetEntry;
import dev.kvd.kv.v1.SetManyRequest;
import dev.kvd.kv.v1.SetRequest;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.AbstractStub;
import io.grpc.stub.MetadataUtils;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * An open kvd store: Spin's key-value API (open, get, set, delete, exists,
 * get-keys, close) over gRPC, and kvd's own beyond it: revisions
 * ({@link #getEntry}, {@link #setEntry}, {@link #deleteEntry}), conditional
 * writes ({@link Condition}), counters ({@link #increment}), atomic batches
 * ({@link #getMany}, {@link #setMany}, {@link #deleteMany}), {@link #describe},
 * the retrying read-modify-write {@link #update}, keys that expire
 * ({@link #set(String, byte[], Duration)}, {@link Entry#expireTime()}) and
 * lazily paged listing ({@link #listKeys(ListOptions)},
 * {@link #streamKeys(ListOptions)}, {@link #listKeysPage}). Each call is blocking
 * or a {@link CompletableFuture} ({@code getAsync}, {@code setAsync}, ...).
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

  /**
   * Stores {@code value} under {@code key} like {@link #set(String, byte[])},
   * and makes the key expire {@code ttl} after the write, by the backend's
   * clock (whole milliseconds; a finer part is dropped). From then on every
   * read treats the key as absent. A later set without a ttl makes it
   * permanent again; {@link #increment} keeps the expiry.
   *
   * @throws InvalidArgumentException if {@code ttl} is under 1 ms (zero and
   *     negative ones included) or over {@link Description#maxTtl()}; the
   *     message names the ttl, and nothing is written
   */
  public void set(String key, byte[] value, Duration ttl) {
    SetRequest request = setRequest(key, value, Condition.none(), requireTtl(ttl));
    call(s -> s.set(request));
  }

  /** {@link #set(String, byte[], Duration)} as a future. */
  public CompletableFuture<Void> setAsync(String key, byte[] value, Duration ttl) {
    SetRequest request = setRequest(key, value, Condition.none(), requireTtl(ttl));
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

  // Revisions, conditional writes, counters, batches, Describe and update.
  // Revisions are unsigned 64-bit numbers in longs (Long.toUnsignedString,
  // Long.compareUnsigned). get, set and delete keep their signatures; the
  // *Entry methods are their forms that return revisions or take a Condition.

  /**
   * The value under {@code key} with its revision.
   *
   * @throws NoSuchKeyException if there is none
   */
  public Entry getEntry(String key) {
    GetRequest request = getRequest(key);
    return call(s -> entry(key, s.get(request)));
  }

  /** {@link #getEntry} as a future. */
  public CompletableFuture<Entry> getEntryAsync(String key) {
    GetRequest request = getRequest(key);
    return callAsync((s, o) -> s.get(request, o),
        (dev.kvd.kv.v1.GetResponse r) -> entry(key, r));
  }

  /** {@link #set}, returning the revision the write gave the key. */
  public long setEntry(String key, byte[] value) {
    return setEntry(key, value, Condition.none());
  }

  /**
   * {@link #set} on a condition: writes only if the key's current revision
   * matches {@code condition} ({@link Condition#ifRevision},
   * {@link Condition#ifAbsent}), and returns the revision the write gave the key.
   *
   * @throws ConditionFailedException if it does not match; nothing was
   *     written, and {@link ConditionFailedException#currentRevision()} is
   *     the key's revision now
   */
  public long setEntry(String key, byte[] value, Condition condition) {
    SetRequest request = setRequest(key, value, condition);
    return call(s -> s.set(request).getRevision());
  }

  /**
   * {@link #set(String, byte[], Duration)}, returning the revision the write
   * gave the key.
   */
  public long setEntry(String key, byte[] value, Duration ttl) {
    return setEntry(key, value, Condition.none(), ttl);
  }

  /**
   * {@link #setEntry(String, byte[], Condition)} with a time to live, as
   * {@link #set(String, byte[], Duration)} gives.
   *
   * @throws ConditionFailedException if the condition does not hold
   * @throws InvalidArgumentException if {@code ttl} is out of range
   */
  public long setEntry(String key, byte[] value, Condition condition, Duration ttl) {
    SetRequest request = setRequest(key, value, condition, requireTtl(ttl));
    return call(s -> s.set(request).getRevision());
  }

  /** {@link #setEntry(String, byte[], Duration)} as a future. */
  public CompletableFuture<Long> setEntryAsync(String key, byte[] value, Duration ttl) {
    return setEntryAsync(key, value, Condition.none(), ttl);
  }

  /** {@link #setEntry(String, byte[], Condition, Duration)} as a future. */
  public CompletableFuture<Long> setEntryAsync(String key, byte[] value, Condition condition,
      Duration ttl) {
    SetRequest request = setRequest(key, value, condition, requireTtl(ttl));
    return callAsync((s, o) -> s.set(request, o),
        (dev.kvd.kv.v1.SetResponse r) -> r.getRevision());
  }

  /** {@link #setEntry(String, byte[])} as a future. */
  public CompletableFuture<Long> setEntryAsync(String key, byte[] value) {
    return setEntryAsync(key, value, Condition.none());
  }

  /** {@link #setEntry(String, byte[], Condition)} as a future. */
  public CompletableFuture<Long> setEntryAsync(String key, byte[] value, Condition condition) {
    SetRequest request = setRequest(key, value, condition);
    return callAsync((s, o) -> s.set(request, o),
        (dev.kvd.kv.v1.SetResponse r) -> r.getRevision());
  }

  /** {@link #delete}, returning the delete's revision, or 0 if the key did not exist. */
  public long deleteEntry(String key) {
    return deleteEntry(key, Condition.none());
  }

  /**
   * {@link #delete} on a condition, as for {@link #setEntry(String, byte[], Condition)}:
   * returns the delete's revision, or 0 if there was nothing to delete.
   *
   * @throws ConditionFailedException if the key's revision does not match
   */
  public long deleteEntry(String key, Condition condition) {
    DeleteRequest request = deleteRequest(key, condition);
    return call(s -> s.delete(request).getRevision());
  }

  /** {@link #deleteEntry(String)} as a future. */
  public CompletableFuture<Long> deleteEntryAsync(String key) {
    return deleteEntryAsync(key, Condition.none());
  }

  /** {@link #deleteEntry(String, Condition)} as a future. */
  public CompletableFuture<Long> deleteEntryAsync(String key, Condition condition) {
    DeleteRequest request = deleteRequest(key, condition);
    return callAsync((s, o) -> s.delete(request, o),
        (dev.kvd.kv.v1.DeleteResponse r) -> r.getRevision());
  }

  /** {@link #increment(String, long)} by 1. */
  public Counter increment(String key) {
    return increment(key, 1);
  }

  /**
   * Adds {@code delta} (negative subtracts; 0 reads and still writes) to the
   * decimal integer under {@code key}, atomically; a missing key counts as 0.
   * kvd stores the result as decimal text ("-12"). Returns the new value
   * ({@link Counter#value()}) and the write's revision.
   *
   * @throws NotAnIntegerException if the value is not a decimal long (it is unchanged)
   * @throws OutOfRangeException if the result would not fit in a long (it is unchanged)
   */
  public Counter increment(String key, long delta) {
    IncrementRequest request = incrementRequest(key, delta);
    return call(s -> counter(s.increment(request)));
  }

  /** {@link #increment(String)} as a future. */
  public CompletableFuture<Counter> incrementAsync(String key) {
    return incrementAsync(key, 1);
  }

  /** {@link #increment(String, long)} as a future. */
  public CompletableFuture<Counter> incrementAsync(String key, long delta) {
    IncrementRequest request = incrementRequest(key, delta);
    return callAsync((s, o) -> s.increment(request, o), Store::counter);
  }

  /**
   * Reads {@code keys} from one consistent snapshot: one {@link Entry} per
   * key, in the order of {@code keys}; a missing key is an entry that is not
   * {@link Entry#found()}.
   *
   * @throws InvalidArgumentException for a key given twice, or a batch over
   *     the store's limits ({@link #describe()})
   */
  public List<Entry> getMany(List<String> keys) {
    GetManyRequest request = getManyRequest(keys);
    return call(s -> entries(s.getMany(request)));
  }

  /** {@link #getMany} as a future. */
  public CompletableFuture<List<Entry>> getManyAsync(List<String> keys) {
    GetManyRequest request = getManyRequest(keys);
    return callAsync((s, o) -> s.getMany(request, o), Store::entries);
  }

  /**
   * Stores every write atomically: all apply, or none does. Returns each
   * write's revision, in order (increasing).
   *
   * @throws ConditionFailedException if a write's condition fails (the first
   *     failing one: its key's current revision and
   *     {@link ConditionFailedException#failedIndex()})
   * @throws InvalidArgumentException for a key given twice or a batch over the limits
   */
  public long[] setMany(List<Write> writes) {
    SetManyRequest request = setManyRequest(writes);
    return call(s -> revisions(s.setMany(request).getRevisionsList()));
  }

  /** {@link #setMany} as a future. */
  public CompletableFuture<long[]> setManyAsync(List<Write> writes) {
    SetManyRequest request = setManyRequest(writes);
    return callAsync((s, o) -> s.setMany(request, o),
        (dev.kvd.kv.v1.SetManyResponse r) -> revisions(r.getRevisionsList()));
  }

  /**
   * Removes {@code keys} atomically; returns each delete's revision in
   * order, 0 for a key that did not exist. Errors as for {@link #setMany}.
   */
  public long[] deleteMany(List<String> keys) {
    DeleteManyRequest request = deleteManyRequest(keys);
    return call(s -> revisions(s.deleteMany(request).getRevisionsList()));
  }

  /** {@link #deleteMany} as a future. */
  public CompletableFuture<long[]> deleteManyAsync(List<String> keys) {
    DeleteManyRequest request = deleteManyRequest(keys);
    return callAsync((s, o) -> s.deleteMany(request, o),
        (dev.kvd.kv.v1.DeleteManyResponse r) -> revisions(r.getRevisionsList()));
  }

  /** What the store is and can do: driver, durability, limits, revision, capabilities. */
  public Description describe() {
    DescribeRequest request = describeRequest();
    return call(s -> new Description(s.describe(request)));
  }

  /** {@link #describe} as a future. */
  public CompletableFuture<Description> describeAsync() {
    DescribeRequest request = describeRequest();
    return callAsync((s, o) -> s.describe(request, o), Description::new);
  }

  // Listing: the keys that start with a prefix, in ascending byte order, a
  // page (one ListKeys call, with this view's deadline) at a time. Across one
  // listing, every key that exists from its first page to its last is
  // returned exactly once and no expired key is; keys written or deleted
  // meanwhile may or may not be.

  /** {@link #listKeys(ListOptions)} of every key, in pages of kvd's default size. */
  public Iterator<String> listKeys() {
    return listKeys(ListOptions.defaults());
  }

  /**
   * The keys {@code options} selects, in ascending byte order, fetched
   * lazily: nothing is sent before the first {@code hasNext()} or
   * {@code next()}, and each further page only when the one before it is
   * used up, so only one page is held at a time and a loop that stops early
   * fetches no more. A failed page is thrown by the {@code hasNext()} or
   * {@code next()} that needed it (a {@link KvException}, e.g.
   * {@link InvalidArgumentException} for a negative page size). The
   * iterator is not thread-safe.
   */
  public Iterator<String> listKeys(ListOptions options) {
    Objects.requireNonNull(options, "options");
    return new KeyIterator(token -> listKeysPage(options, token));
  }

  /** {@link #streamKeys(ListOptions)} of every key. */
  public Stream<String> streamKeys() {
    return streamKeys(ListOptions.defaults());
  }

  /**
   * {@link #listKeys(ListOptions)} as a sequential, ordered Stream, as lazy:
   * a page is fetched when the stream pulls its first key, so
   * {@code streamKeys(o).limit(10)} fetches one page (of at least 10 keys).
   * The order is byte order, which is not {@code String}'s natural order
   * (UTF-16), so the stream does not report itself SORTED.
   */
  public Stream<String> streamKeys(ListOptions options) {
    return StreamSupport.stream(Spliterators.spliteratorUnknownSize(listKeys(options),
        Spliterator.ORDERED | Spliterator.DISTINCT | Spliterator.NONNULL), false);
  }

  /**
   * One page of the keys {@code options} selects: the first for
   * {@code pageToken} "", else the page after the one whose
   * {@link KeyPage#nextPageToken()} it is, which must be asked with the same
   * prefix of the same store. For callers who page themselves (across
   * requests of their own, say); {@link #listKeys(ListOptions)} pages for the
   * others. Tokens keep no state on kvd: one stays valid across restarts.
   *
   * @throws InvalidArgumentException for a token that is not kvd's or was
   *     issued for another store or prefix (the message names page_token),
   *     or a negative page size (page_size)
   */
  public KeyPage listKeysPage(ListOptions options, String pageToken) {
    ListKeysRequest request = listKeysRequest(options, pageToken);
    return call(s -> keyPage(s.listKeys(request)));
  }

  /** {@link #listKeysPage} as a future. */
  public CompletableFuture<KeyPage> listKeysPageAsync(ListOptions options, String pageToken) {
    ListKeysRequest request = listKeysRequest(options, pageToken);
    return callAsync((s, o) -> s.listKeys(request, o), Store::keyPage);
  }

  /** {@link #update(String, UnaryOperator, int)} with at most 10 attempts. */
  public long update(String key, UnaryOperator<byte[]> fn) {
    return update(key, fn, Updater.DEFAULT_MAX_ATTEMPTS);
  }

  /**
   * A read-modify-write of {@code key} that loses no concurrent write: reads
   * the key with its revision, calls {@code fn} with the value (null if the
   * key is absent; as {@code Map.compute} does), and writes fn's result on
   * the condition that nobody wrote the key since. If somebody did
   * ({@link ConditionFailedException}), it waits a jittered, exponentially
   * growing time (full jitter, from 10 ms doubling to at most 1 s) and tries
   * again, at most {@code maxAttempts} times in all, then throws the last
   * ConditionFailedException. Any other exception, or one from {@code fn},
   * ends it at once. Returns the revision written.
   *
   * <p>{@code fn} may run more than once, so it should only compute; it must
   * not return null. Each call's deadline is {@link #timeout()}.
   *
   * @throws IllegalArgumentException if {@code maxAttempts} is below 1
   * @throws KvException with gRPC CANCELLED if interrupted while waiting (the
   *     thread's interrupt flag is set again)
   */
  public long update(String key, UnaryOperator<byte[]> fn, int maxAttempts) {
    return update(key, fn, new Updater(h.name, maxAttempts, Updater.REAL_RANDOM),
        Updater.REAL_SLEEP);
  }

  /** {@link #update(String, UnaryOperator)} as a future. */
  public CompletableFuture<Long> updateAsync(String key, UnaryOperator<byte[]> fn) {
    return updateAsync(key, fn, Updater.DEFAULT_MAX_ATTEMPTS);
  }

  /**
   * {@link #update(String, UnaryOperator, int)} as a future, which completes
   * with the revision or the exception that ended the update (unwrapped).
   * {@code fn} runs on gRPC's callback thread: keep it quick. Cancelling the
   * future cancels the call in flight and any retry.
   */
  public CompletableFuture<Long> updateAsync(String key, UnaryOperator<byte[]> fn,
      int maxAttempts) {
    Updater updater;
    try {
      updater = new Updater(h.name, maxAttempts, Updater.REAL_RANDOM);
    } catch (IllegalArgumentException e) {
      return CompletableFuture.failedFuture(e);
    }
    return updateAsync(key, fn, updater, Updater.REAL_DELAY);
  }

  /** update with the Updater's random source and this wait (tests inject both). */
  long update(String key, UnaryOperator<byte[]> fn, Updater updater, Updater.Sleeper sleeper) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(fn, "fn");
    return updater.run(new Updater.Ops() {
      @Override
      public Entry read(String k) {
        try {
          return getEntry(k);
        } catch (NoSuchKeyException e) {
          return new Entry(k, false, new byte[0], 0);
        }
      }

      @Override
      public long write(String k, byte[] value, long ifRevision) {
        return setEntry(k, value, Condition.ifRevision(ifRevision));
      }
    }, sleeper, key, fn);
  }

  /** updateAsync with the Updater's random source and this wait. */
  CompletableFuture<Long> updateAsync(String key, UnaryOperator<byte[]> fn, Updater updater,
      Updater.Delayer delayer) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(fn, "fn");
    return updater.runAsync(new Updater.AsyncOps() {
      @Override
      public CompletableFuture<Entry> read(String k) {
        CompletableFuture<Entry> read = getEntryAsync(k);
        return read.exceptionally(e -> {
          if (e instanceof NoSuchKeyException) {
            return new Entry(k, false, new byte[0], 0);
          }
          throw e instanceof RuntimeException ? (RuntimeException) e
              : new java.util.concurrent.CompletionException(e);
        });
      }

      @Override
      public CompletableFuture<Long> write(String k, byte[] value, long ifRevision) {
        return setEntryAsync(k, value, Condition.ifRevision(ifRevision));
      }
    }, delayer, key, fn);
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
    return setRequest(key, value, Condition.none());
  }

  private SetRequest setRequest(String key, byte[] value, Condition condition) {
    return setRequest(key, value, condition, Optional.empty());
  }

  private SetRequest setRequest(String key, byte[] value, Condition condition,
      Optional<Duration> ttl) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(value, "value");
    Objects.requireNonNull(condition, "condition");
    SetRequest.Builder b = SetRequest.newBuilder().setStore(h.handle).setKey(key)
        .setValue(ByteString.copyFrom(value));
    if (condition.isPresent()) {
      b.setIfRevision(condition.revision());
    }
    ttl.ifPresent(d -> b.setTtl(Times.toProto(d)));
    return b.build();
  }

  /**
   * A ttl argument: never null. Any other value is sent as it is, for kvd to
   * judge (it knows its maximum), so that a refused ttl is kvd's one error.
   */
  private static Optional<Duration> requireTtl(Duration ttl) {
    return Optional.of(Objects.requireNonNull(ttl, "ttl"));
  }

  private DeleteRequest deleteRequest(String key) {
    return deleteRequest(key, Condition.none());
  }

  private DeleteRequest deleteRequest(String key, Condition condition) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(condition, "condition");
    DeleteRequest.Builder b = DeleteRequest.newBuilder().setStore(h.handle).setKey(key);
    if (condition.isPresent()) {
      b.setIfRevision(condition.revision());
    }
    return b.build();
  }

  private IncrementRequest incrementRequest(String key, long delta) {
    Objects.requireNonNull(key, "key");
    return IncrementRequest.newBuilder().setStore(h.handle).setKey(key).setDelta(delta).build();
  }

  private GetManyRequest getManyRequest(List<String> keys) {
    Objects.requireNonNull(keys, "keys");
    GetManyRequest.Builder b = GetManyRequest.newBuilder().setStore(h.handle);
    for (String k : keys) {
      b.addKeys(Objects.requireNonNull(k, "a key of keys"));
    }
    return b.build();
  }

  private SetManyRequest setManyRequest(List<Write> writes) {
    Objects.requireNonNull(writes, "writes");
    SetManyRequest.Builder b = SetManyRequest.newBuilder().setStore(h.handle);
    for (Write w : writes) {
      Objects.requireNonNull(w, "a write of writes");
      SetEntry.Builder e = SetEntry.newBuilder().setKey(w.key())
          .setValue(ByteString.copyFrom(w.rawValue()));
      if (w.condition().isPresent()) {
        e.setIfRevision(w.condition().revision());
      }
      w.ttl().ifPresent(d -> e.setTtl(Times.toProto(d)));
      b.addEntries(e);
    }
    return b.build();
  }

  private DeleteManyRequest deleteManyRequest(List<String> keys) {
    Objects.requireNonNull(keys, "keys");
    DeleteManyRequest.Builder b = DeleteManyRequest.newBuilder().setStore(h.handle);
    for (String k : keys) {
      b.addKeys(Objects.requireNonNull(k, "a key of keys"));
    }
    return b.build();
  }

  private ListKeysRequest listKeysRequest(ListOptions options, String pageToken) {
    Objects.requireNonNull(options, "options");
    Objects.requireNonNull(pageToken, "pageToken");
    return ListKeysRequest.newBuilder().setStore(h.handle).setPrefix(options.prefix())
        .setPageSize(options.pageSize()).setPageToken(pageToken).build();
  }

  private static KeyPage keyPage(dev.kvd.kv.v1.ListKeysResponse r) {
    return new KeyPage(r.getKeysList(), r.getNextPageToken());
  }

  private DescribeRequest describeRequest() {
    return DescribeRequest.newBuilder().setStore(h.handle).build();
  }

  private static Entry entry(String key, dev.kvd.kv.v1.GetResponse r) {
    return new Entry(key, true, r.getValue().toByteArray(), r.getRevision(),
        Times.expireTime(r.hasExpireTime(), r.getExpireTime()));
  }

  private static List<Entry> entries(dev.kvd.kv.v1.GetManyResponse r) {
    List<Entry> out = new ArrayList<>(r.getEntriesCount());
    for (dev.kvd.kv.v1.Entry e : r.getEntriesList()) {
      out.add(new Entry(e.getKey(), e.getFound(), e.getValue().toByteArray(), e.getRevision(),
          Times.expireTime(e.hasExpireTime(), e.getExpireTime())));
    }
    return Collections.unmodifiableList(out);
  }

  private static Counter counter(dev.kvd.kv.v1.IncrementResponse r) {
    return new Counter(r.getValue(), r.getRevision());
  }

  private static long[] revisions(List<Long> revisions) {
    long[] out = new long[revisions.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = revisions.get(i);
    }
    return out;
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
