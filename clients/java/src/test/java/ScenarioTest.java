import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import dev.kvd.client.KvException;
import dev.kvd.client.Options;
import dev.kvd.client.Store;
import dev.kvd.kv.v1.ErrorCode;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * clients/SCENARIO.md, row by row, against the kvd at $KVD_ADDR (started by
 * clients/testing/with_kvd.sh). Prints one line per row; exits 1 if any row
 * fails.
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

  public static void main(String[] args) {
    String addr = System.getenv("KVD_ADDR");
    if (addr == null || addr.isEmpty()) {
      System.err.println("ScenarioTest: KVD_ADDR is not set (run under clients/testing/with_kvd.sh)");
      System.exit(2);
    }
    System.out.println("scenario (java) against " + addr);
    Options options = Options.builder().address(addr).timeout(Duration.ofSeconds(30)).build();
    long start = System.nanoTime();
    try {
      run(options);
    } catch (Throwable t) { // a row aborted the rest
      failures++;
      System.out.println("ABORTED: " + t);
      t.printStackTrace(System.out);
    }
    System.out.printf("scenario (java): %s in %d ms%n", failures == 0 ? "PASS" : failures
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
      store[0] = Store.open("default", options);
      check(store[0].handle() != 0, "handle is 0");
    });
    Store s = store[0];
    if (s == null) {
      throw new Failure("row 1 failed; nothing else can run");
    }
    row(2, "set/get plain", () -> {
      s.set(P + "plain", utf8("hello"));
      checkBytes(utf8("hello"), s.get(P + "plain"));
    });
    row(3, "overwrite", () -> {
      s.set(P + "plain", utf8("again"));
      checkBytes(utf8("again"), s.get(P + "plain"));
    });
    row(4, "binary value", () -> {
      byte[] v = {0x00, 0x01, 0x00, (byte) 0xFF, 0x00};
      s.set(P + "binary", v);
      checkBytes(v, s.get(P + "binary"));
    });
    row(5, "empty value", () -> {
      s.set(P + "empty", new byte[0]);
      checkBytes(new byte[0], s.get(P + "empty"));
    });
    row(6, "1 MiB value", () -> {
      s.set(P + "big", big);
      checkBytes(big, s.get(P + "big"));
    });
    row(7, "UTF-8 key", () -> {
      s.set(utf8Key, utf8("utf8"));
      checkBytes(utf8("utf8"), s.get(utf8Key));
    });
    row(8, "exists", () -> {
      check(s.exists(P + "plain"), "exists(plain) is false");
      check(!s.exists(P + "missing"), "exists(missing) is true");
    });
    row(9, "get missing key: NO_SUCH_KEY / NOT_FOUND", () -> {
      KvException e = expectError(() -> s.get(P + "missing"),
          ErrorCode.ERROR_CODE_NO_SUCH_KEY, Status.Code.NOT_FOUND);
      check(e.isNoSuchKey(), "isNoSuchKey() is false");
      check(e.getMessage().contains(P + "missing"), "message lacks the key: " + e.getMessage());
    });
    row(10, "delete, delete again", () -> {
      s.delete(P + "plain");
      check(!s.exists(P + "plain"), "plain still exists after delete");
      s.delete(P + "plain");
    });
    row(11, "getKeys", () -> {
      Set<String> got = new TreeSet<>();
      for (String k : s.getKeys()) {
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
      s.setJson(P + "json", value);
      JsonElement got = s.getJson(P + "json", JsonElement.class);
      JsonElement want = JsonParser.parseString("{\"a\": 1, \"b\": [true, null, \"x\"]}");
      check(got.equals(want), "got " + got + ", want " + want);
      s.delete(P + "json"); // keep row 11's listing exact on a rerun
    });
    row(13, "stores are separate", () -> {
      mem[0] = Store.open("mem", options);
      expectError(() -> mem[0].get(P + "big"), ErrorCode.ERROR_CODE_NO_SUCH_KEY,
          Status.Code.NOT_FOUND);
    });
    row(14, "open unknown store: NO_SUCH_STORE / NOT_FOUND", () -> {
      KvException e = expectError(() -> Store.open("no-such-store", options).close(),
          ErrorCode.ERROR_CODE_NO_SUCH_STORE, Status.Code.NOT_FOUND);
      check(e.isNoSuchStore(), "isNoSuchStore() is false");
    });
    row(15, "open broken store: IO / UNAVAILABLE", () -> {
      KvException e = expectError(() -> Store.open("broken", options).close(),
          ErrorCode.ERROR_CODE_IO, Status.Code.UNAVAILABLE);
      check(e.isBackendUnavailable(), "isBackendUnavailable() is false");
      check(e.getMessage().contains("broken"), "message lacks the store: " + e.getMessage());
    });
    row(16, "257-byte key: IO / INVALID_ARGUMENT", () -> {
      expectError(() -> s.set(P + "k".repeat(257), utf8("v")), ErrorCode.ERROR_CODE_IO,
          Status.Code.INVALID_ARGUMENT);
    });
    row(17, "1 MiB + 1 value: IO / INVALID_ARGUMENT", () -> {
      expectError(() -> s.set(P + "too-big", new byte[(1 << 20) + 1]), ErrorCode.ERROR_CODE_IO,
          Status.Code.INVALID_ARGUMENT);
    });
    row(18, "use after close: INVALID_STORE / FAILED_PRECONDITION", () -> {
      s.close();
      KvException e = expectError(() -> s.get(P + "big"), ErrorCode.ERROR_CODE_INVALID_STORE,
          Status.Code.FAILED_PRECONDITION);
      check(e.isInvalidStore(), "isInvalidStore() is false");
    });
    row(19, "close again", s::close);
    List<Store> opened = new ArrayList<>();
    row(20, "300 opens: 256 succeed, then STORE_TABLE_FULL / RESOURCE_EXHAUSTED", () -> {
      if (mem[0] != null) {
        mem[0].close();
      }
      for (int i = 1; i <= 300; i++) {
        if (i <= 256) {
          opened.add(Store.open("default", options));
        } else {
          final int n = i;
          KvException e;
          try {
            e = expectError(() -> opened.add(Store.open("default", options)),
                ErrorCode.ERROR_CODE_STORE_TABLE_FULL, Status.Code.RESOURCE_EXHAUSTED);
          } catch (Failure f) {
            throw new Failure("open " + n + ": " + f.getMessage());
          }
          check(e.isStoreTableFull(), "isStoreTableFull() is false");
        }
      }
    });
    row(21, "close the 256; open succeeds", () -> {
      for (Store o : opened) {
        o.close();
      }
      try (Store again = Store.open("default", options)) {
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
      KvException e = expectError(() -> Store.openDefault(nowhere).close(),
          ErrorCode.ERROR_CODE_UNSPECIFIED, Status.Code.UNAVAILABLE);
      check(e.isUnavailable() && !e.isBackendUnavailable(), "predicates wrong: " + e);
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

  private static KvException expectError(Call call, ErrorCode code, Status.Code grpc) {
    try {
      call.run();
    } catch (KvException e) {
      if (e.getErrorCode() != code || e.getGrpcCode() != grpc) {
        throw new Failure("got " + e.getErrorCode() + "/" + e.getGrpcCode() + " (" + e.getMessage()
            + "), want " + code + "/" + grpc);
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
