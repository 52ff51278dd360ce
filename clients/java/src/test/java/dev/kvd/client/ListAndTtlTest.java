package dev.kvd.client;

import com.google.protobuf.ByteString;
import com.google.protobuf.Timestamp;
import dev.kvd.kv.v1.CloseRequest;
import dev.kvd.kv.v1.CloseResponse;
import dev.kvd.kv.v1.DescribeRequest;
import dev.kvd.kv.v1.DescribeResponse;
import dev.kvd.kv.v1.GetManyRequest;
import dev.kvd.kv.v1.GetManyResponse;
import dev.kvd.kv.v1.GetRequest;
import dev.kvd.kv.v1.GetResponse;
import dev.kvd.kv.v1.KeyValueGrpc;
import dev.kvd.kv.v1.ListKeysRequest;
import dev.kvd.kv.v1.ListKeysResponse;
import dev.kvd.kv.v1.OpenRequest;
import dev.kvd.kv.v1.OpenResponse;
import dev.kvd.kv.v1.SetManyRequest;
import dev.kvd.kv.v1.SetManyResponse;
import dev.kvd.kv.v1.SetRequest;
import dev.kvd.kv.v1.SetResponse;
import dev.kvd.kv.v1.StoreLimits;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Unit tests of listing and expiry, with no kvd: {@link KeyIterator} over
 * pages a function serves, and {@link Store}'s listKeys, streamKeys,
 * listKeysPage, ttl overloads and expire times against a fake kv.v1 server
 * on 127.0.0.1 (port 0) that records what it is asked. The point of most:
 * a page is fetched only when the caller reaches it. Run by
 * //clients/java:scenario_test:
 *   java -cp CLASSPATH:test-classes dev.kvd.client.ListAndTtlTest
 * Prints one line per test; exits 1 if any fails.
 */
public final class ListAndTtlTest {
  private static int failures;

  /** A test's check failed. */
  private static final class Failure extends RuntimeException {
    Failure(String message) {
      super(message);
    }
  }

  private interface Test {
    void run() throws Exception;
  }

  /**
   * Pages of {@code keys} as kvd serves them: keys after the token's key,
   * with the prefix, at most the page size (0: 3), and a token ("after:" +
   * the last key) while any key follows. Records every request. With
   * {@code emptyPages}, each page after the first is preceded by an empty
   * one that is not the last. The token "bad" fails as kvd fails a token
   * that is not its own.
   */
  private static final class FakeKv extends KeyValueGrpc.KeyValueImplBase {
    final List<String> keys;
    final List<ListKeysRequest> lists = Collections.synchronizedList(new ArrayList<>());
    final List<SetRequest> sets = Collections.synchronizedList(new ArrayList<>());
    final List<SetManyRequest> setManys = Collections.synchronizedList(new ArrayList<>());
    boolean emptyPages;
    Timestamp expire; // every found key's expire_time; null: none

    FakeKv(String... keys) {
      this.keys = List.of(keys);
    }

    KeyPage page(ListKeysRequest r) {
      if (r.getPageToken().equals("bad")) {
        return null;
      }
      if (emptyPages && !r.getPageToken().isEmpty() && !r.getPageToken().endsWith("/")) {
        return new KeyPage(List.of(), r.getPageToken() + "/");
      }
      String after = r.getPageToken().replaceFirst("^after:", "").replaceFirst("/$", "");
      int size = r.getPageSize() == 0 ? 3 : r.getPageSize();
      List<String> out = new ArrayList<>();
      for (String k : keys) {
        if (!k.startsWith(r.getPrefix())
            || (!r.getPageToken().isEmpty() && k.compareTo(after) <= 0)) {
          continue;
        }
        if (out.size() == size) {
          return new KeyPage(out, "after:" + out.get(size - 1));
        }
        out.add(k);
      }
      return new KeyPage(out, "");
    }

    /** The page tokens of the ListKeys calls so far. */
    List<String> fetched() {
      synchronized (lists) {
        return lists.stream().map(ListKeysRequest::getPageToken).collect(Collectors.toList());
      }
    }

    @Override
    public void open(OpenRequest r, StreamObserver<OpenResponse> o) {
      reply(o, OpenResponse.newBuilder().setStore(7).build());
    }

    @Override
    public void close(CloseRequest r, StreamObserver<CloseResponse> o) {
      reply(o, CloseResponse.getDefaultInstance());
    }

    @Override
    public void listKeys(ListKeysRequest r, StreamObserver<ListKeysResponse> o) {
      lists.add(r);
      KeyPage p = page(r);
      if (p == null) {
        Metadata trailers = new Metadata();
        trailers.put(KvException.ERROR_CODE_KEY, "ERROR_CODE_IO");
        o.onError(Status.INVALID_ARGUMENT
            .withDescription("IO: page_token \"bad\" is not a page token of kvd's")
            .asRuntimeException(trailers));
        return;
      }
      reply(o, ListKeysResponse.newBuilder().addAllKeys(p.keys())
          .setNextPageToken(p.nextPageToken()).build());
    }

    @Override
    public void set(SetRequest r, StreamObserver<SetResponse> o) {
      sets.add(r);
      reply(o, SetResponse.newBuilder().setRevision(sets.size()).build());
    }

    @Override
    public void setMany(SetManyRequest r, StreamObserver<SetManyResponse> o) {
      setManys.add(r);
      SetManyResponse.Builder b = SetManyResponse.newBuilder();
      r.getEntriesList().forEach(e -> b.addRevisions(1));
      reply(o, b.build());
    }

    @Override
    public void get(GetRequest r, StreamObserver<GetResponse> o) {
      GetResponse.Builder b = GetResponse.newBuilder().setValue(ByteString.copyFromUtf8("v"))
          .setRevision(3);
      if (expire != null) {
        b.setExpireTime(expire);
      }
      reply(o, b.build());
    }

    @Override
    public void getMany(GetManyRequest r, StreamObserver<GetManyResponse> o) {
      dev.kvd.kv.v1.Entry.Builder a = dev.kvd.kv.v1.Entry.newBuilder().setKey("a").setFound(true)
          .setRevision(4);
      if (expire != null) {
        a.setExpireTime(expire);
      }
      reply(o, GetManyResponse.newBuilder().addEntries(a)
          .addEntries(dev.kvd.kv.v1.Entry.newBuilder().setKey("b").setFound(true).setRevision(5))
          .addEntries(dev.kvd.kv.v1.Entry.newBuilder().setKey("c")).build());
    }

    @Override
    public void describe(DescribeRequest r, StreamObserver<DescribeResponse> o) {
      reply(o, DescribeResponse.newBuilder().setName("default")
          .setLimits(StoreLimits.newBuilder().setMaxKeyBytes(256)
              .setMaxTtl(com.google.protobuf.Duration.newBuilder().setSeconds(3650L * 86400))
              .setMaxPageSize(10000))
          .addCapabilities(dev.kvd.kv.v1.Capability.CAPABILITY_TTL)
          .addCapabilities(dev.kvd.kv.v1.Capability.CAPABILITY_LIST_PAGES).build());
    }

    private static <T> void reply(StreamObserver<T> o, T value) {
      o.onNext(value);
      o.onCompleted();
    }
  }

  /** A fake server and a store opened on it. */
  private static final class Served implements AutoCloseable {
    final Server server;
    final Store store;

    Served(FakeKv fake) throws Exception {
      server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
          .addService(fake).build().start();
      store = Store.openDefault(Options.builder().address("127.0.0.1:" + server.getPort())
          .timeout(Duration.ofSeconds(30)).build());
    }

    @Override
    public void close() {
      store.close();
      server.shutdownNow();
    }
  }

  public static void main(String[] args) {
    test("KeyIterator: no page before hasNext, the next only after the last key",
        ListAndTtlTest::iteratorIsLazy);
    test("KeyIterator: empty pages that are not the last; an empty listing",
        ListAndTtlTest::iteratorEmptyPages);
    test("KeyIterator: a failed page is thrown, and again, fetching nothing more",
        ListAndTtlTest::iteratorError);
    test("listKeys over gRPC: lazy, with the prefix and page size sent", ListAndTtlTest::listKeys);
    test("streamKeys: lazy; limit fetches no further page", ListAndTtlTest::streamKeys);
    test("listKeysPage and listKeysPageAsync; a bad token", ListAndTtlTest::listKeysPage);
    test("ttls sent as given: set, setEntry, Write; none without", ListAndTtlTest::ttlsSent);
    test("expire times and the new limits read", ListAndTtlTest::expireTimes);
    System.out.println("ListAndTtlTest: " + (failures == 0 ? "PASS" : failures + " FAILED"));
    System.exit(failures == 0 ? 0 : 1);
  }

  private static void iteratorIsLazy() {
    FakeKv fake = new FakeKv("a/1", "a/2", "a/3", "a/4", "a/5", "a/6", "a/7");
    List<String> tokens = new ArrayList<>();
    Function<String, KeyPage> fetch = token -> {
      tokens.add(token);
      return fake.page(ListKeysRequest.newBuilder().setPrefix("a/").setPageToken(token).build());
    };
    Iterator<String> it = new KeyIterator(fetch);
    check(tokens.isEmpty(), "fetched " + tokens + " before hasNext");
    List<List<String>> want = List.of(List.of(""), List.of(""), List.of(""),
        List.of("", "after:a/3"), List.of("", "after:a/3"), List.of("", "after:a/3"),
        List.of("", "after:a/3", "after:a/6"));
    List<String> keys = new ArrayList<>();
    for (int i = 0; it.hasNext(); i++) {
      keys.add(it.next());
      check(i < want.size(), "more than 7 keys: " + keys);
      check(tokens.equals(want.get(i)), "after key " + i + " the fetches were " + tokens
          + ", want " + want.get(i));
    }
    check(keys.equals(fake.keys), "keys " + keys);
    check(!it.hasNext() && tokens.size() == 3, "hasNext after the end fetched again: " + tokens);
    expect(NoSuchElementException.class, it::next);
  }

  private static void iteratorEmptyPages() {
    FakeKv fake = new FakeKv("a", "b", "c", "d", "e", "f", "g");
    fake.emptyPages = true;
    List<String> tokens = new ArrayList<>();
    Iterator<String> it = new KeyIterator(token -> {
      tokens.add(token);
      return fake.page(ListKeysRequest.newBuilder().setPageToken(token).build());
    });
    List<String> keys = new ArrayList<>();
    it.forEachRemaining(keys::add);
    check(keys.equals(fake.keys), "keys " + keys + " (fetches " + tokens + ")");
    check(tokens.size() == 5, "fetches " + tokens + ", want 5 (3 pages, 2 empty between)");
    Iterator<String> none = new KeyIterator(token -> new KeyPage(List.of(), ""));
    check(!none.hasNext(), "an empty listing has a key");
  }

  private static void iteratorError() {
    int[] calls = {0};
    KvException boom = new InvalidArgumentException("IO: page_size -1 is negative", null);
    Iterator<String> it = new KeyIterator(token -> {
      calls[0]++;
      if (!token.isEmpty()) {
        throw boom;
      }
      return new KeyPage(List.of("a"), "after:a");
    });
    check(it.next().equals("a"), "first key");
    check(expect(InvalidArgumentException.class, it::hasNext) == boom, "not the fetch's");
    check(expect(InvalidArgumentException.class, it::next) == boom, "not rethrown");
    check(calls[0] == 2, calls[0] + " fetches, want 2");
  }

  private static void listKeys() throws Exception {
    FakeKv fake = new FakeKv("a/1", "a/2", "a/3", "a/4", "a/5", "b/1");
    try (Served s = new Served(fake)) {
      Iterator<String> it = s.store.listKeys(ListOptions.builder().prefix("a/").pageSize(2)
          .build());
      check(fake.fetched().isEmpty(), "listKeys sent " + fake.fetched());
      check(it.next().equals("a/1") && fake.fetched().equals(List.of("")), "page 1: "
          + fake.fetched());
      check(it.next().equals("a/2") && fake.fetched().size() == 1,
          "page 2 fetched before page 1 was used up: " + fake.fetched());
      check(it.next().equals("a/3") && fake.fetched().equals(List.of("", "after:a/2")),
          "page 2: " + fake.fetched());
      List<String> rest = new ArrayList<>();
      it.forEachRemaining(rest::add);
      check(rest.equals(List.of("a/4", "a/5")), "rest " + rest);
      for (ListKeysRequest r : fake.lists) {
        check(r.getStore() == 7 && r.getPrefix().equals("a/") && r.getPageSize() == 2,
            "request " + r);
      }
      List<String> all = new ArrayList<>();
      s.store.listKeys().forEachRemaining(all::add);
      check(all.equals(fake.keys), "listKeys() " + all);
      ListKeysRequest last = fake.lists.get(fake.lists.size() - 1);
      check(last.getPrefix().isEmpty() && last.getPageSize() == 0, "defaults sent " + last);
    }
  }

  private static void streamKeys() throws Exception {
    FakeKv fake = new FakeKv("k1", "k2", "k3", "k4", "k5", "k6", "k7");
    try (Served s = new Served(fake)) {
      List<String> first = s.store.streamKeys(ListOptions.builder().pageSize(3).build()).limit(3)
          .collect(Collectors.toList());
      check(first.equals(List.of("k1", "k2", "k3")) && fake.fetched().equals(List.of("")),
          "limit(3) of pages of 3: " + first + ", fetches " + fake.fetched());
      fake.lists.clear();
      java.util.stream.Stream<String> st = s.store.streamKeys(ListOptions.prefix("k"));
      check(fake.fetched().isEmpty(), "streamKeys sent " + fake.fetched());
      check(st.collect(Collectors.toList()).equals(fake.keys), "all keys");
      check(fake.fetched().size() == 3, "fetches " + fake.fetched());
    }
  }

  private static void listKeysPage() throws Exception {
    FakeKv fake = new FakeKv("p/1", "p/2", "p/3", "p/4", "q");
    try (Served s = new Served(fake)) {
      ListOptions p = ListOptions.prefix("p/");
      KeyPage one = s.store.listKeysPage(p, "");
      check(one.keys().equals(List.of("p/1", "p/2", "p/3"))
          && one.nextPageToken().equals("after:p/3") && !one.isLast(), "page 1 " + one);
      KeyPage two = s.store.listKeysPageAsync(p, one.nextPageToken()).join();
      check(two.keys().equals(List.of("p/4")) && two.isLast(), "page 2 " + two);
      KvException e = expect(InvalidArgumentException.class, () -> s.store.listKeysPage(p, "bad"));
      check(e.code() == KvErrorCode.IO && e.getMessage().contains("page_token"), "bad: " + e);
      Throwable async = s.store.listKeysPageAsync(p, "bad").handle((r, x) -> x).join();
      check(async instanceof InvalidArgumentException, "async bad: " + async);
      Iterator<String> it = s.store.listKeys(ListOptions.prefix("nothing/"));
      check(!it.hasNext(), "an empty listing");
      expect(NullPointerException.class, () -> s.store.listKeysPage(p, null));
    }
  }

  private static void ttlsSent() throws Exception {
    FakeKv fake = new FakeKv();
    try (Served s = new Served(fake)) {
      byte[] v = {1};
      s.store.set("k", v);
      s.store.setEntry("k", v, Condition.ifAbsent());
      List<Duration> ttls = List.of(Duration.ofHours(1), Duration.ofMillis(1500), Duration.ZERO,
          Duration.ofSeconds(-1), Duration.ofNanos(500_000), Duration.ofMillis(-1500));
      for (Duration ttl : ttls) {
        s.store.set("k", v, ttl);
      }
      long rev = s.store.setEntry("k", v, Condition.ifRevision(9), Duration.ofMinutes(1));
      check(rev == 9, "setEntry's revision " + rev);
      s.store.setEntry("k", v, Duration.ofMinutes(2));
      s.store.setAsync("k", v, Duration.ofMinutes(3)).join();
      s.store.setEntryAsync("k", v, Condition.ifAbsent(), Duration.ofMinutes(4)).join();
      expect(NullPointerException.class, () -> s.store.set("k", v, (Duration) null));
      check(fake.sets.size() == 12, fake.sets.size() + " sets, want 12");
      check(!fake.sets.get(0).hasTtl() && !fake.sets.get(1).hasTtl(), "a ttl without one");
      for (int i = 0; i < ttls.size(); i++) {
        SetRequest r = fake.sets.get(2 + i);
        check(r.hasTtl() && Times.fromProto(r.getTtl()).equals(ttls.get(i))
            && Long.signum(r.getTtl().getSeconds()) * Integer.signum(r.getTtl().getNanos()) >= 0,
            "ttl " + ttls.get(i) + " sent as " + r.getTtl());
      }
      SetRequest cond = fake.sets.get(8);
      check(cond.getIfRevision() == 9 && Times.fromProto(cond.getTtl()).toMinutes() == 1,
          "with a condition: " + cond);
      check(Times.fromProto(fake.sets.get(9).getTtl()).toMinutes() == 2
          && !fake.sets.get(9).hasIfRevision(), "setEntry(k, v, ttl)");
      check(Times.fromProto(fake.sets.get(10).getTtl()).toMinutes() == 3, "setAsync");
      check(Times.fromProto(fake.sets.get(11).getTtl()).toMinutes() == 4
          && fake.sets.get(11).hasIfRevision(), "setEntryAsync");

      s.store.setMany(List.of(Write.of("a", v, Duration.ofHours(1)), Write.of("b", v),
          Write.of("c", v, Condition.ifAbsent(), Duration.ofSeconds(5))));
      List<dev.kvd.kv.v1.SetEntry> e = fake.setManys.get(0).getEntriesList();
      check(Times.fromProto(e.get(0).getTtl()).equals(Duration.ofHours(1)) && !e.get(1).hasTtl()
          && Times.fromProto(e.get(2).getTtl()).equals(Duration.ofSeconds(5))
          && e.get(2).hasIfRevision(), "entries " + e);
      check(Write.of("a", v).ttl().isEmpty()
          && Write.of("a", v, Duration.ofSeconds(1)).ttl().equals(Optional.of(Duration.ofSeconds(1))),
          "Write.ttl()");
    }
  }

  private static void expireTimes() throws Exception {
    Instant at = Instant.parse("2031-05-06T07:08:09.123Z");
    FakeKv fake = new FakeKv();
    fake.expire = Timestamp.newBuilder().setSeconds(at.getEpochSecond()).setNanos(at.getNano())
        .build();
    try (Served s = new Served(fake)) {
      Entry e = s.store.getEntry("k");
      check(e.expireTime().equals(Optional.of(at)), "getEntry " + e);
      check(s.store.getEntryAsync("k").join().expireTime().equals(Optional.of(at)), "async");
      List<Entry> m = s.store.getMany(List.of("a", "b", "c"));
      check(m.get(0).expireTime().equals(Optional.of(at)) && m.get(1).expireTime().isEmpty()
          && m.get(2).expireTime().isEmpty(), "getMany " + m);
      fake.expire = null;
      check(s.store.getEntry("k").expireTime().isEmpty(), "a key that does not expire");
      Description d = s.store.describe();
      check(d.maxTtl().equals(Duration.ofDays(3650)) && d.maxPageSize() == 10000
          && d.has(Capability.TTL) && d.has(Capability.LIST_PAGES)
          && !d.has(Capability.INCREMENT), "describe " + d);
    }
  }

  private static void test(String what, Test t) {
    try {
      t.run();
      System.out.println("ok   " + what);
    } catch (Failure f) {
      failures++;
      System.out.println("FAIL " + what + ": " + f.getMessage());
    } catch (Exception e) {
      failures++;
      System.out.println("FAIL " + what + ": unexpected " + e);
      e.printStackTrace(System.out);
    }
  }

  private interface Call {
    void run();
  }

  private static <T extends Throwable> T expect(Class<T> type, Call call) {
    try {
      call.run();
    } catch (Throwable t) {
      if (type.isInstance(t)) {
        return type.cast(t);
      }
      throw new Failure("got " + t + ", want " + type.getSimpleName());
    }
    throw new Failure("no exception, want " + type.getSimpleName());
  }

  private static void check(boolean ok, String message) {
    if (!ok) {
      throw new Failure(message);
    }
  }
}
