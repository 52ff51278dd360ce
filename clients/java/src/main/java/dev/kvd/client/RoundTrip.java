package dev.kvd.client;

import java.util.HexFormat;

/**
 * The Java step of the cross-language round trip (clients/SCENARIO.md), against
 * the "default" store of the kvd at $KVD_ADDR:
 *
 * <pre>
 *   RoundTrip set    KEY HEX_VALUE   stores the bytes; exit 0
 *   RoundTrip get    KEY [HEX_VALUE] prints the value as hex; exit 0, or 1 if
 *                                    the key is missing or differs from HEX_VALUE
 *   RoundTrip exists KEY             prints true/false; exit 0 if true, 1 if false
 *   RoundTrip delete KEY             exit 0 (a missing key is not an error)
 *   RoundTrip incr   KEY [DELTA]     adds DELTA (default 1) to the counter and
 *                                    prints its new value; exit 0
 * </pre>
 *
 * Any other failure (kvd unreachable, refused) prints the error and exits 3;
 * bad usage exits 2. So "exists is false" (1) never looks like a failure.
 */
public final class RoundTrip {
  private RoundTrip() {}

  public static void main(String[] args) {
    System.exit(run(args));
  }

  static int run(String[] args) {
    if (args.length < 2 || args.length > 3) {
      return usage();
    }
    String op = args[0];
    String key = args[1];
    byte[] hex = null;
    long delta = 1;
    try {
      if (op.equals("incr")) {
        delta = args.length == 3 ? Long.parseLong(args[2]) : 1;
      } else if (args.length == 3) {
        hex = HexFormat.of().parseHex(args[2]);
      }
    } catch (IllegalArgumentException e) { // NumberFormatException included
      System.err.println("RoundTrip: " + (op.equals("incr") ? "DELTA is not a long: "
          : "HEX_VALUE is not hex: ") + args[2]);
      return 2;
    }
    try (Store store = Store.openDefault(Options.defaults())) {
      switch (op) {
        case "set":
          if (hex == null) {
            return usage();
          }
          store.set(key, hex);
          return 0;
        case "get": {
          byte[] value;
          try {
            value = store.get(key);
          } catch (KvException e) {
            if (e.isNoSuchKey()) {
              System.err.println("RoundTrip: " + e.getMessage());
              return 1;
            }
            throw e;
          }
          System.out.println(HexFormat.of().formatHex(value));
          if (hex != null && !java.util.Arrays.equals(hex, value)) {
            System.err.println("RoundTrip: value differs: want " + HexFormat.of().formatHex(hex));
            return 1;
          }
          return 0;
        }
        case "exists": {
          if (hex != null) {
            return usage();
          }
          boolean exists = store.exists(key);
          System.out.println(exists);
          return exists ? 0 : 1;
        }
        case "delete":
          if (hex != null) {
            return usage();
          }
          store.delete(key);
          return 0;
        case "incr":
          System.out.println(store.increment(key, delta).value());
          return 0;
        default:
          return usage();
      }
    } catch (KvException e) {
      System.err.println("RoundTrip: " + op + " " + key + ": " + e.getMessage()
          + " [" + e.code() + "]");
      return 3;
    }
  }

  private static int usage() {
    System.err.println("usage: RoundTrip set|get|exists|delete KEY [HEX_VALUE] | incr KEY [DELTA]");
    return 2;
  }
}
