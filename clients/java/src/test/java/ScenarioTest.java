import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import dev.kvd.client.BackendUnavailableException;
import dev.kvd.client.DeadlineExceededException;
import dev.kvd.client.InvalidArgumentException;
import dev.kvd.client.InvalidStoreException;
import dev.kvd.client.KvErrorCode;
import dev.kvd.client.KvException;
import dev.kvd.client.NoSuchKeyException;
import dev.kvd.client.NoSuchStoreException;
import dev.kvd.client.Options;
import dev.kvd.client.Store;
import dev.kvd.client.StoreTableFullException;
import dev.kvd.client.UnreachableException;
import io.grpc.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * clients/SCENARIO.md, row by row, against the kvd at $KVD_ADDR (started by
 * clients/testing/with_kvd.sh), through the blocking API ({@code sync}, the
 * default) or the CompletableFuture one ({@code async}):
 *   ScenarioTest [sync|async]
 * Prints one line per row; exits 1 if any row fails.
 */
public final class ScenarioTest {
  private static final String P = "scenario-java/";
  private static int failures;

  /** A row's check failed. */
  private static final class Failure extends RuntimeException {
    Failure(String message) {
      super(message);
    }
  }

  private interface Row {
    void run() throws Exception;
  }

  private interface Call {
    void run();
  }

  /** The store operations the rows use, blocking or through the futures. */
  private interface Api {
    Store open(String name, Options options);

    byte[] get(Store s, String key);

    void set(Store s, String key, byte[] value);

    void delete(Store s, String key);

    boolean exists(Store s, String key);

    List<String> getKeys(Store s);

    void setJson(Store s, String key, Object value);

    JsonElement getJson(Store s, String key);

    void close(Store s);
  }

  private static final class Blocking implements Api {
    public Store open(String name, Options o) {
      return Store.open(name, o);
    }

    public byte[] get(Store s, String k) {
      return s.get(k);
    }

    public void set(Store s, String k, byte[] v) {
      s.set(k, v);
    }

    public void delete(Store s, String k) {
      s.delete(k);
    }

    public boolean exists(Store s, String k) {
      return s.exists(k);
    }

    public List<String> getKeys(Store s) {
      return s.getKeys();
    }

    public void setJson(Store s, String k, Object v) {
      s.setJson(k, v);
    }

    public JsonElement getJson(Store s, String k) {
      return s.getJson(k, JsonElement.class);
    }

    public void close(Store s) {
      s.close();
    }
  }

  private static final class Futures implements Api {
    public Store open(String name, Options o) {
      return await(Store.openAsync(name, o));
    }

    public byte[] get(Store s, String k) {
      return await(s.getAsync(k));
    }

    public void set(Store s, String k, byte[] v) {
      await(s.setAsync(k, v));
    }

    public void delete(Store s, String k) {
      await(s.deleteAsync(k));
    }

    public boolean exists(Store s, String k) {
      return await(s.existsAsync(k));
    }

    public List<String> getKeys(Store s) {
      return await(s.getKeysAsync());
    }

    public void setJson(Store s, String k, Object v) {
      await(s.setJsonAsync(k, v));
    }

    public JsonElement getJson(Store s, String k) {
      return await(s.getJsonAsync(k, JsonElement.class));
    }

    public void close(Store s) {
      await(s.closeAsync());
    }
  }

  /**
   * The future's value, or the KvException it completed with, rethrown as
   * is. A future completed with anything else (a CompletionException
   * wrapper, say) is a Failure: the API promises the bare KvException.
   */
  private static <T> T await(CompletableFuture<T> future) {
    Object[] outcome = future.handle((r, e) -> new Object[] {r, e})
        .orTimeout(60, TimeUnit.SECONDS).join();
    Throwable e = (Throwable) outcome[1];
    if (e instanceof KvException) {
      throw (KvException) e;
    }
    if (e != null) {
      throw new Failure("future completed with " + e + ", not a KvException");
    }
    @SuppressWarnings("unchecked")
    T value = (T) outcome[0];
    return value;
  }

  private static Api api;

  public static void main(String[] args) {
    String addr = System.getenv("KVD_ADDR");
    if (addr == null || addr.isEmpty()) {
      System.err.println("ScenarioTest: KVD_ADDR is not set (run under clients/testing/with_kvd.sh)");
      System.exit(2);
    }
    String mode = args.length == 0 ? "sync" : args[0];
    if (mode.equals("sync")) {
      api = new Blocking();
    } else if (mode.equals("async")) {
      api = new Futures();
    } else {
      System.err.println("usage: ScenarioTest [sync|async]");
      System.exit(2);
    }
    System.out.println("scenario (java, " + mode + ") against " + addr);
    Options options = Options.builder().address(addr).timeout(Duration.ofSeconds(30)).build();
    long start = System.nanoTime();
    try {
      run(options);
    } catch (Throwable t) { // a row aborted the rest
      failures++;
      System.out.println("ABORTED: " + t);
      t.printStackTrace(System.out);
    }
    System.out.printf("scenario (java, " + mode + "): %s in %d ms%n", failures == 0 ? "PASS" : failures
        + " FAILED", (System.nanoTime() - start) / 1_000_000);
    System.exit(failures == 0 ? 0 : 1);
  }

  private static void run(Options options) {
    Store[] store = new Store[1];
    Store[] mem = new Store[1];
    byte[] big = new byte[1 << 20];
    for (int i = 0; i < big.length; i++) {
      big[i] = (byte) (i % 251);
    }
    String utf8Key = P + "ключ/キー/🔑";

    row(1, "open(\"default\") gives a nonzero handle", () -> {
      store[0] = api.open("default", options);
      check(store[0].handle() != 0, "handle is 0");
    });
    Store s = store[0];
    if (s == null) {
      throw new Failure("row 1 failed; nothing else can run");
    }
    row(2, "set/get plain", () -> {
      api.set(s, P + "plain", utf8("hello"));
      checkBytes(utf8("hello"), api.get(s, P + "plain"));
    });
    row(3, "overwrite", () -> {
      api.set(s, P + "plain", utf8("again"));
      checkBytes(utf8("again"), api.get(s, P + "plain"));
    });
    row(4, "binary value", () -> {
      byte[] v = {0x00, 0x01, 0x00, (byte) 0xFF, 0x00};
      api.set(s, P + "binary", v);
      checkBytes(v, api.get(s, P + "binary"));
    });
    row(5, "empty value", () -> {
      api.set(s, P + "empty", new byte[0]);
      checkBytes(new byte[0], api.get(s, P + "empty"));
    });
    row(6, "1 MiB value", () -> {
      api.set(s, P + "big", big);
      checkBytes(big, api.get(s, P + "big"));
    });
    row(7, "UTF-8 key", () -> {
      api.set(s, utf8Key, utf8("utf8"));
      checkBytes(utf8("utf8"), api.get(s, utf8Key));
    });
    row(8, "exists", () -> {
      check(api.exists(s, P + "plain"), "exists(plain) is false");
      check(!api.exists(s, P + "missing"), "exists(missing) is true");
    });
    row(9, "get missing key: NO_SUCH_KEY / NOT_FOUND", () -> {
      KvException e = expectError(() -> api.get(s, P + "missing"),
          NoSuchKeyException.class, KvErrorCode.NO_SUCH_KEY, Status.Code.NOT_FOUND);
      check(e.isNoSuchKey(), "isNoSuchKey() is false");
      check(e.getMessage().contains(P + "missing"), "message lacks the key: " + e.getMessage());
    });
    row(10, "delete, delete again", () -> {
      api.delete(s, P + "plain");
      check(!api.exists(s, P + "plain"), "plain still exists after delete");
      api.delete(s, P + "plain");
    });
    row(11, "getKeys", () -> {
      Set<String> got = new TreeSet<>();
      for (String k : api.getKeys(s)) {
        if (k.startsWith(P)) {
          got.add(k);
        }
      }
      Set<String> want = new TreeSet<>(List.of(P + "big", P + "binary", P + "empty", utf8Key));
      check(got.equals(want), "keys " + got + ", want " + want);
    });
    row(12, "setJson/getJson", () -> {
      Map<String, Object> value = new LinkedHashMap<>();
      value.put("a", 1);
      value.put("b", Arrays.asList(true, null, "x"));
      api.setJson(s, P + "json", value);
      JsonElement got = api.getJson(s, P + "json");
      JsonElement want = JsonParser.parseString("{\"a\": 1, \"b\": [true, null, \"x\"]}");
      check(got.equals(want), "got " + got + ", want " + want);
      api.delete(s, P + "json"); // keep row 11's listing exact on a rerun
    });
    row(13, "stores are separate", () -> {
      mem[0] = api.open("mem", options);
      expectError(() -> api.get(mem[0], P + "big"), NoSuchKeyException.class, KvErrorCode.NO_SUCH_KEY,
          Status.Code.NOT_FOUND);
    });
    row(14, "open unknown store: NO_SUCH_STORE / NOT_FOUND", () -> {
      KvException e = expectError(() -> api.close(api.open("no-such-store", options)),
          NoSuchStoreException.class, KvErrorCode.NO_SUCH_STORE, Status.Code.NOT_FOUND);
      check(e.isNoSuchStore(), "isNoSuchStore() is false");
    });
    row(15, "open broken store: IO / UNAVAILABLE", () -> {
      KvException e = expectError(() -> api.close(api.open("broken", options)),
          BackendUnavailableException.class, KvErrorCode.IO, Status.Code.UNAVAILABLE);
      check(e.isBackendUnavailable(), "isBackendUnavailable() is false");
      check(e.getMessage().contains("broken"), "message lacks the store: " + e.getMessage());
    });
    row(16, "257-byte key: IO / INVALID_ARGUMENT", () -> {
      expectError(() -> api.set(s, P + "k".repeat(257), utf8("v")), InvalidArgumentException.class,
          KvErrorCode.IO, Status.Code.INVALID_ARGUMENT);
    });
    row(17, "1 MiB + 1 value: IO / INVALID_ARGUMENT", () -> {
      expectError(() -> api.set(s, P + "too-big", new byte[(1 << 20) + 1]), InvalidArgumentException.class,
          KvErrorCode.IO, Status.Code.INVALID_ARGUMENT);
    });
    row(18, "use after close: INVALID_STORE / FAILED_PRECONDITION", () -> {
      api.close(s);
      KvException e = expectError(() -> api.get(s, P + "big"), InvalidStoreException.class, KvErrorCode.INVALID_STORE,
          Status.Code.FAILED_PRECONDITION);
      check(e.isInvalidStore(), "isInvalidStore() is false");
    });
    row(19, "close again", () -> api.close(s));
    List<Store> opened = new ArrayList<>();
    row(20, "300 opens: 256 succeed, then STORE_TABLE_FULL / RESOURCE_EXHAUSTED", () -> {
      if (mem[0] != null) {
        api.close(mem[0]);
      }
      for (int i = 1; i <= 300; i++) {
        if (i <= 256) {
          opened.add(api.open("default", options));
        } else {
          final int n = i;
          KvException e;
          try {
            e = expectError(() -> opened.add(api.open("default", options)),
                StoreTableFullException.class, KvErrorCode.STORE_TABLE_FULL, Status.Code.RESOURCE_EXHAUSTED);
          } catch (Failure f) {
            throw new Failure("open " + n + ": " + f.getMessage());
          }
          check(e.isStoreTableFull(), "isStoreTableFull() is false");
        }
      }
    });
    row(21, "close the 256; open succeeds", () -> {
      for (Store o : opened) {
        api.close(o);
      }
      try (Store again = api.open("default", options)) {
        check(again.handle() != 0, "handle is 0");
      }
    });

    // Beyond the table: what the Java client adds.
    row(101, "bearer token is sent without breaking calls", () -> {
      try (Store t = Store.openDefault(options.toBuilder().token("test-token").build())) {
        check(t.exists(P + "big"), "big is missing");
      }
    });
    row(102, "unreachable kvd: UNAVAILABLE with no ErrorCode", () -> {
      Options nowhere = Options.builder().address("127.0.0.1:1")
          .timeout(Duration.ofSeconds(5)).build();
      KvException e = expectError(() -> api.close(api.open("default", nowhere)),
          UnreachableException.class, KvErrorCode.UNSPECIFIED, Status.Code.UNAVAILABLE);
      check(e.isUnavailable() && !e.isBackendUnavailable(), "predicates wrong: " + e);
      check(e.getMessage().contains("cannot reach kvd at 127.0.0.1:1"),
          "message lacks the address: " + e.getMessage());
    });
    row(103, "missing unix socket: UNAVAILABLE naming the socket", () -> {
      Path dir = Files.createTempDirectory("kvd-java-nowhere");
      String address = "unix:" + dir.resolve("no-such.sock");
      try {
        Options nowhere = Options.builder().address(address).timeout(Duration.ofSeconds(5))
            .build();
        KvException e = expectError(() -> api.close(api.open("default", nowhere)),
            UnreachableException.class, KvErrorCode.UNSPECIFIED, Status.Code.UNAVAILABLE);
        check(e.getMessage().contains("cannot reach kvd at " + address),
            "message lacks the address " + address + ": " + e.getMessage());
      } finally {
        Files.delete(dir);
      }
    });
    row(104, "withTimeout overrides the store's deadline, both ways, on every call", () -> {
      Store st = api.open("default", options);
      try {
        // No RPC meets a 1 ns deadline: gRPC fails it before sending.
        Store hurried = st.withTimeout(Duration.ofNanos(1));
        check(hurried.timeout().equals(Duration.ofNanos(1)), "timeout() " + hurried.timeout());
        check(st.timeout().equals(options.timeout()), "the original view changed");
        List<Call> calls = List.of(() -> api.get(hurried, P + "big"),
            () -> api.set(hurried, P + "deadline", utf8("v")),
            () -> api.delete(hurried, P + "deadline"),
            () -> api.exists(hurried, P + "big"),
            () -> api.getKeys(hurried),
            () -> api.setJson(hurried, P + "deadline", 1),
            () -> api.getJson(hurried, P + "big"));
        for (Call c : calls) {
          KvException e = expectError(c, DeadlineExceededException.class,
              KvErrorCode.UNSPECIFIED, Status.Code.DEADLINE_EXCEEDED);
          check(e.isDeadlineExceeded(), "isDeadlineExceeded() is false");
          check(e.getMessage().contains("no answer from kvd at " + options.resolvedAddress()),
              "message lacks the address: " + e.getMessage());
        }
        Store patient = hurried.withTimeout(Duration.ofSeconds(30));
        check(api.exists(patient, P + "big"), "big is missing through the longer deadline");
        check(api.exists(st, P + "big"), "big is missing through the original view");
      } finally {
        api.close(st);
      }
    });
    row(105, "Options.timeout is the Open call's deadline", () -> {
      Options hurried = options.toBuilder().timeout(Duration.ofNanos(1)).build();
      expectError(() -> api.close(api.open("default", hurried)),
          DeadlineExceededException.class, KvErrorCode.UNSPECIFIED,
          Status.Code.DEADLINE_EXCEEDED);
    });
    row(106, "KvErrorCode names, with and without the prefix", () -> {
      check(KvErrorCode.fromName("ERROR_CODE_NO_SUCH_KEY") == KvErrorCode.NO_SUCH_KEY, "prefixed");
      check(KvErrorCode.fromName("NO_SUCH_KEY") == KvErrorCode.NO_SUCH_KEY, "bare");
      check(KvErrorCode.fromName("ERROR_CODE_FROBNICATED") == KvErrorCode.UNRECOGNIZED,
          "unknown");
      check(KvErrorCode.fromName(null) == KvErrorCode.UNSPECIFIED, "absent");
      for (KvErrorCode c : KvErrorCode.values()) {
        check(KvErrorCode.fromProto(c.toProto()) == c, "round trip of " + c);
      }
    });
  }

  private static void row(int n, String what, Row row) {
    try {
      row.run();
      System.out.printf("ok   %3d %s%n", n, what);
    } catch (Failure f) {
      failures++;
      System.out.printf("FAIL %3d %s: %s%n", n, what, f.getMessage());
    } catch (Exception e) {
      failures++;
      System.out.printf("FAIL %3d %s: unexpected %s%n", n, what, e);
    }
  }

  /**
   * Runs {@code call}, which must fail with exactly the exception class
   * {@code type}, kvd code {@code code} (also through the deprecated
   * getErrorCode()) and gRPC code {@code grpc}.
   */
  @SuppressWarnings("deprecation")
  private static KvException expectError(Call call, Class<? extends KvException> type,
      KvErrorCode code, Status.Code grpc) {
    try {
      call.run();
    } catch (KvException e) {
      if (e.getClass() != type || e.code() != code || e.getErrorCode() != code.toProto()
          || e.getGrpcCode() != grpc) {
        throw new Failure("got " + e.getClass().getSimpleName() + " " + e.code() + "/"
            + e.getErrorCode() + "/" + e.getGrpcCode() + " (" + e.getMessage() + "), want "
            + type.getSimpleName() + " " + code + "/" + grpc);
      }
      return e;
    }
    throw new Failure("no error, want " + code + "/" + grpc);
  }

  private static void check(boolean ok, String message) {
    if (!ok) {
      throw new Failure(message);
    }
  }

  private static void checkBytes(byte[] want, byte[] got) {
    if (!Arrays.equals(want, got)) {
      throw new Failure("got " + describe(got) + ", want " + describe(want));
    }
  }

  private static String describe(byte[] b) {
    if (b.length > 16) {
      return b.length + " bytes";
    }
    StringBuilder sb = new StringBuilder("[");
    for (byte x : b) {
      sb.append(String.format(" %02x", x));
    }
    return sb.append(" ]").toString();
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
