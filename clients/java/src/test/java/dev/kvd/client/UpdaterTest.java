package dev.kvd.client;

import io.grpc.Metadata;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleSupplier;
import java.util.function.UnaryOperator;

/**
 * Unit tests of {@link Updater}, the retry loop of Store.update and
 * updateAsync, and of how {@link KvException} reads kvd's trailers, with no
 * server: the reads and writes go to an in-memory store with kvd's revision
 * semantics whose "other writers" conflict on demand, and the waits are
 * recorded instead of slept. Run by //clients/java:scenario_test:
 *   java -cp CLASSPATH:test-classes dev.kvd.client.UpdaterTest
 * Prints one line per test; exits 1 if any fails.
 */
public final class UpdaterTest {
  private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);
  private static final DoubleSupplier HALF = () -> 0.5;
  private static final DoubleSupplier ALMOST_ONE = () -> 1 - 1e-12;
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
   * One store with kvd's revision semantics. The next {@code conflicts}
   * conditional writes find that another writer changed the key first (its
   * revision moves) and fail; with {@code writeError} set, every write fails
   * with it instead.
   */
  private static final class FakeStore implements Updater.Ops {
    final Map<String, byte[]> values = new HashMap<>();
    final Map<String, Long> revisions = new HashMap<>();
    final List<Long> ifRevisions = new ArrayList<>();
    long revision;
    int conflicts;
    KvException writeError;

    FakeStore with(String key, String value) {
      put(key, utf8(value));
      return this;
    }

    private long put(String key, byte[] value) {
      values.put(key, value);
      revisions.put(key, ++revision);
      return revision;
    }

    @Override
    public Entry read(String key) {
      byte[] v = values.get(key);
      return v == null ? new Entry(key, false, new byte[0], 0)
          : new Entry(key, true, v, revisions.get(key));
    }

    @Override
    public long write(String key, byte[] value, long ifRevision) {
      ifRevisions.add(ifRevision);
      if (writeError != null) {
        throw writeError;
      }
      if (conflicts > 0) {
        conflicts--;
        put(key, utf8("another writer's"));
      }
      long current = revisions.getOrDefault(key, 0L);
      if (current != ifRevision) {
        throw new ConditionFailedException(Status.Code.ABORTED, "CONDITION_FAILED: key \""
            + key + "\" has revision " + current + ", not " + ifRevision, null, current, -1);
      }
      return put(key, value);
    }
  }

  public static void main(String[] args) {
    test("backoff: the cap doubles from 10 ms to 1 s; full jitter", UpdaterTest::backoff);
    test("retries after conflicts, re-reading each time", UpdaterTest::retries);
    test("gives up after maxAttempts with the last CONDITION_FAILED", UpdaterTest::givesUp);
    test("10 attempts by default", UpdaterTest::defaultAttempts);
    test("an absent key: fn gets null, the write is create-only", UpdaterTest::absent);
    test("fn's exception, another error, null from fn end it at once", UpdaterTest::stops);
    test("interrupted while waiting", UpdaterTest::interrupted);
    test("async: retries, gives up, stops at once, unwrapped", UpdaterTest::async);
    test("async: cancelling stops the retries", UpdaterTest::asyncCancel);
    test("trailers: current revision, failed index, typed exceptions", UpdaterTest::trailers);
    System.out.println("UpdaterTest: " + (failures == 0 ? "PASS" : failures + " FAILED"));
    System.exit(failures == 0 ? 0 : 1);
  }

  private static void backoff() {
    long[] caps = {10, 20, 40, 80, 160, 320, 640, 1000, 1000};
    for (int n = 1; n <= caps.length; n++) {
      checkJustUnder(caps[n - 1] * MS, Updater.backoffNanos(n, ALMOST_ONE), "retry " + n);
    }
    checkJustUnder(1000 * MS, Updater.backoffNanos(10_000, ALMOST_ONE), "retry 10000");
    check(Updater.backoffNanos(3, () -> 0) == 0, "random 0 must wait 0");
    check(Updater.backoffNanos(2, HALF) == 10 * MS, "retry 2 at 0.5: " + Updater.backoffNanos(2, HALF));
    check(Updater.backoffNanos(12, () -> 0.25) == 250 * MS, "retry 12 at 0.25");
  }

  private static void retries() {
    FakeStore store = new FakeStore().with("k", "v"); // revision 1
    store.conflicts = 3;
    List<Long> waits = new ArrayList<>();
    int[] calls = {0};
    long rev = new Updater("default", 10, HALF).run(store, waits::add, "k", bang(calls));
    // Revisions: 1 initial; the three conflicts 2, 3, 4; ours 5.
    check(rev == 5 && calls[0] == 4, "revision " + rev + " after " + calls[0] + " calls");
    check(waits.equals(List.of(5 * MS, 10 * MS, 20 * MS)), "waits " + waits);
    check(store.ifRevisions.equals(List.of(1L, 2L, 3L, 4L)), "if revisions " + store.ifRevisions);
    check(new String(store.values.get("k"), StandardCharsets.UTF_8).equals("another writer's!"),
        "fn did not apply to the last value read");
  }

  private static void givesUp() {
    for (int max : new int[] {1, 2, 4}) {
      FakeStore store = new FakeStore().with("k", "v");
      store.conflicts = 1000;
      List<Long> waits = new ArrayList<>();
      int[] calls = {0};
      try {
        new Updater("default", max, HALF).run(store, waits::add, "k", bang(calls));
        throw new Failure("max " + max + ": no exception");
      } catch (ConditionFailedException e) {
        check(e.currentRevision() == 1 + max, "max " + max + ": current revision "
            + e.currentRevision() + ", want the last attempt's " + (1 + max));
      }
      check(calls[0] == max && store.ifRevisions.size() == max && waits.size() == max - 1,
          "max " + max + ": " + calls[0] + " calls, " + store.ifRevisions.size() + " writes, "
              + waits.size() + " waits");
    }
  }

  private static void defaultAttempts() {
    FakeStore store = new FakeStore();
    store.conflicts = 1000;
    List<Long> waits = new ArrayList<>();
    int[] calls = {0};
    expect(ConditionFailedException.class, () -> new Updater("default",
        Updater.DEFAULT_MAX_ATTEMPTS, ALMOST_ONE).run(store, waits::add, "k", bang(calls)));
    check(calls[0] == 10 && waits.size() == 9, calls[0] + " calls, " + waits.size() + " waits");
    long[] caps = {10, 20, 40, 80, 160, 320, 640, 1000, 1000};
    for (int i = 0; i < caps.length; i++) {
      checkJustUnder(caps[i] * MS, waits.get(i), "wait " + (i + 1));
    }
  }

  private static void absent() {
    FakeStore store = new FakeStore();
    byte[][] seen = {utf8("not called")};
    long rev = new Updater("default", 10, HALF).run(store, n -> { }, "new", v -> {
      seen[0] = v;
      return utf8("first");
    });
    check(seen[0] == null, "fn got a value for an absent key");
    check(rev == 1 && store.ifRevisions.equals(List.of(0L)), "revision " + rev + ", if revisions "
        + store.ifRevisions);
  }

  private static void stops() {
    FakeStore store = new FakeStore().with("k", "v");
    store.conflicts = 1000;
    List<Long> waits = new ArrayList<>();
    Updater updater = new Updater("default", 10, HALF);
    IllegalStateException boom = new IllegalStateException("boom");
    RuntimeException got = expect(IllegalStateException.class,
        () -> updater.run(store, waits::add, "k", v -> {
          throw boom;
        }));
    check(got == boom && store.ifRevisions.isEmpty() && waits.isEmpty(), "fn's exception");

    NullPointerException npe = expect(NullPointerException.class,
        () -> updater.run(store, waits::add, "k", v -> null));
    check(npe.getMessage().contains("\"k\"") && store.ifRevisions.isEmpty(), "null: " + npe);

    store.writeError = new BackendUnavailableException("IO: backend down (UNAVAILABLE)", null);
    int[] calls = {0};
    got = expect(BackendUnavailableException.class,
        () -> updater.run(store, waits::add, "k", bang(calls)));
    check(got == store.writeError && calls[0] == 1 && waits.isEmpty(), "another error retried");

    expect(IllegalArgumentException.class, () -> new Updater("default", 0, HALF));
  }

  private static void interrupted() {
    FakeStore store = new FakeStore().with("k", "v");
    store.conflicts = 1000;
    int[] calls = {0};
    KvException e = expect(KvException.class, () -> new Updater("default", 10, HALF)
        .run(store, n -> {
          throw new InterruptedException();
        }, "k", bang(calls)));
    boolean flag = Thread.interrupted(); // clears it again
    check(flag && e.getGrpcCode() == Status.Code.CANCELLED && calls[0] == 1,
        "interrupt flag " + flag + ", " + e);
  }

  /** The fake's calls as completed futures (exceptional ones for its exceptions). */
  private static Updater.AsyncOps async(FakeStore store) {
    return new Updater.AsyncOps() {
      @Override
      public CompletableFuture<Entry> read(String key) {
        return CompletableFuture.completedFuture(store.read(key));
      }

      @Override
      public CompletableFuture<Long> write(String key, byte[] value, long ifRevision) {
        try {
          return CompletableFuture.completedFuture(store.write(key, value, ifRevision));
        } catch (KvException e) {
          return CompletableFuture.failedFuture(e);
        }
      }
    };
  }

  private static void async() {
    List<Long> waits = new ArrayList<>();
    Updater.Delayer now = nanos -> {
      waits.add(nanos);
      return CompletableFuture.completedFuture(null);
    };
    FakeStore store = new FakeStore().with("k", "v");
    store.conflicts = 3;
    int[] calls = {0};
    long rev = new Updater("default", 10, HALF).runAsync(async(store), now, "k", bang(calls))
        .join();
    check(rev == 5 && calls[0] == 4 && waits.equals(List.of(5 * MS, 10 * MS, 20 * MS)),
        "revision " + rev + ", " + calls[0] + " calls, waits " + waits);

    store.conflicts = 1000;
    waits.clear();
    Throwable e = failure(new Updater("default", 3, HALF).runAsync(async(store), now, "k",
        bang(calls)));
    check(e instanceof ConditionFailedException && waits.size() == 2, "gave up with " + e
        + " after " + waits.size() + " waits");

    IllegalStateException boom = new IllegalStateException("boom");
    e = failure(new Updater("default", 3, HALF).runAsync(async(store), now, "k", v -> {
      throw boom;
    }));
    check(e == boom, "fn's exception came back as " + e);

    store.writeError = new BackendUnavailableException("IO: backend down (UNAVAILABLE)", null);
    waits.clear();
    e = failure(new Updater("default", 3, HALF).runAsync(async(store), now, "k", bang(calls)));
    check(e == store.writeError && waits.isEmpty(), "another error: " + e);
  }

  private static void asyncCancel() {
    FakeStore store = new FakeStore().with("k", "v");
    store.conflicts = 1000;
    CompletableFuture<Void> wait = new CompletableFuture<>();
    int[] calls = {0};
    CompletableFuture<Long> update = new Updater("default", 10, HALF)
        .runAsync(async(store), nanos -> wait, "k", bang(calls));
    check(!update.isDone() && calls[0] == 1, "the first attempt did not end in a wait");
    update.cancel(false);
    check(wait.isCancelled(), "cancelling the update did not cancel its wait");
    wait.complete(null); // a wait that ends anyway starts no attempt
    check(calls[0] == 1 && store.ifRevisions.size() == 1, calls[0] + " calls after cancel");
  }

  private static void trailers() {
    Metadata t = new Metadata();
    t.put(KvException.ERROR_CODE_KEY, "ERROR_CODE_CONDITION_FAILED");
    t.put(KvException.CURRENT_REVISION_KEY, "18446744073709551615");
    t.put(KvException.FAILED_INDEX_KEY, "2");
    KvException e = KvException.fromGrpc(
        Status.ABORTED.withDescription("CONDITION_FAILED: key \"m2\"").asRuntimeException(t));
    check(e instanceof ConditionFailedException && e.isConditionFailed()
        && e.getGrpcCode() == Status.Code.ABORTED, "CONDITION_FAILED: " + e);
    ConditionFailedException c = (ConditionFailedException) e;
    check(c.currentRevision() == -1L && Long.toUnsignedString(c.currentRevision())
        .equals("18446744073709551615"), "current revision " + c.currentRevision());
    check(c.failedIndex().isPresent() && c.failedIndex().getAsInt() == 2, "failed index "
        + c.failedIndex());

    Metadata bad = new Metadata();
    bad.put(KvException.ERROR_CODE_KEY, "ERROR_CODE_CONDITION_FAILED");
    bad.put(KvException.CURRENT_REVISION_KEY, "-3");
    bad.put(KvException.FAILED_INDEX_KEY, "x");
    c = (ConditionFailedException) KvException.fromGrpc(
        Status.ABORTED.withDescription("CONDITION_FAILED").asRuntimeException(bad));
    check(c.currentRevision() == 0 && c.failedIndex().isEmpty(), "bad trailers: " + c);

    for (Object[] x : new Object[][] {
        {"ERROR_CODE_NOT_AN_INTEGER", Status.FAILED_PRECONDITION, NotAnIntegerException.class,
            KvErrorCode.NOT_AN_INTEGER},
        {"ERROR_CODE_OUT_OF_RANGE", Status.OUT_OF_RANGE, OutOfRangeException.class,
            KvErrorCode.OUT_OF_RANGE}}) {
      Metadata m = new Metadata();
      m.put(KvException.ERROR_CODE_KEY, (String) x[0]);
      e = KvException.fromGrpc(((Status) x[1]).withDescription("m").asRuntimeException(m));
      check(e.getClass() == x[2] && e.code() == x[3], x[0] + ": " + e.getClass());
    }
    check(KvException.of(KvErrorCode.CONDITION_FAILED, Status.Code.ABORTED, "m", null)
        instanceof ConditionFailedException, "of(CONDITION_FAILED)");
  }

  /** The scenario's update function: absent -> "start", v -> v + "!"; counts its calls. */
  private static UnaryOperator<byte[]> bang(int[] calls) {
    return v -> {
      calls[0]++;
      return v == null ? utf8("start")
          : (new String(v, StandardCharsets.UTF_8) + "!").getBytes(StandardCharsets.UTF_8);
    };
  }

  private interface Call {
    void run() throws Exception;
  }

  /** Runs call, which must throw exactly an instance of type (or a subclass). */
  private static <E extends Throwable> E expect(Class<E> type, Call call) {
    try {
      call.run();
    } catch (Throwable t) {
      if (type.isInstance(t)) {
        return type.cast(t);
      }
      throw new Failure("threw " + t + ", want " + type.getSimpleName());
    }
    throw new Failure("no exception, want " + type.getSimpleName());
  }

  /** The exception a future completed with (it must have failed). */
  private static Throwable failure(CompletableFuture<?> f) {
    Object[] outcome = f.handle((r, e) -> new Object[] {r, e}).join();
    if (outcome[1] == null) {
      throw new Failure("the future succeeded with " + outcome[0]);
    }
    return (Throwable) outcome[1];
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

  private static void check(boolean ok, String message) {
    if (!ok) {
      throw new Failure(message);
    }
  }

  private static void checkJustUnder(long want, long got, String what) {
    check(got <= want && got > want - TimeUnit.MICROSECONDS.toNanos(1),
        what + ": " + got + " ns, want just under " + want);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
