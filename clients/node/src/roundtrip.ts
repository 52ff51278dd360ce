// The Node step of the cross-language round trip (clients/SCENARIO.md):
//   node clients/node/dist/roundtrip.js set KEY HEX_VALUE
//   node clients/node/dist/roundtrip.js get KEY          prints the value as hex
//   node clients/node/dist/roundtrip.js exists KEY       prints true or false
//   node clients/node/dist/roundtrip.js delete KEY
//   node clients/node/dist/roundtrip.js incr KEY [DELTA [COUNT]]
//                                                 adds DELTA (default 1) COUNT
//                                                 times (default 1), printing
//                                                 each new value on a line
// on the "default" store of the kvd at $KVD_ADDR (else 127.0.0.1:50051).
// Exit code: 0 success; 1 the key is missing (get), `exists` is false, or the
// call failed; 2 bad usage.

import { Store, isNoSuchKey } from "./index.js";

const USAGE = "usage: roundtrip.js set KEY HEX_VALUE | get KEY | exists KEY | delete KEY | incr KEY [DELTA [COUNT]]";

// incr's arguments: DELTA an int64, COUNT an integer >= 1.
function incrArgs(delta = "1", count = "1"): [bigint, number] | undefined {
  if (!/^-?[0-9]+$/.test(delta) || !/^[1-9][0-9]*$/.test(count)) return undefined;
  const d = BigInt(delta);
  if (d < -(1n << 63n) || d >= 1n << 63n) return undefined;
  return [d, Number(count)];
}

function usage(message?: string): number {
  if (message) console.error(`roundtrip: ${message}`);
  console.error(USAGE);
  return 2;
}

async function main(args: string[]): Promise<number> {
  const [command, key, hex, ...rest] = args;
  if (command === "incr" && key && rest.length <= 1) {
    const parsed = incrArgs(hex, rest[0]);
    if (!parsed) return usage(`incr takes an int64 DELTA and a COUNT >= 1: ${args.slice(2).join(" ")}`);
    const [delta, count] = parsed;
    const store = await Store.openDefault();
    try {
      for (let i = 0; i < count; i++) console.log(String(await store.increment(key, delta)));
      return 0;
    } finally {
      await store.close();
    }
  }
  if (!command || !key || rest.length > 0) return usage();
  if ((command === "set") !== (hex !== undefined)) return usage();
  if (hex !== undefined && !/^(?:[0-9a-fA-F]{2})*$/.test(hex)) return usage(`not hex: ${hex}`);

  const store = await Store.openDefault();
  try {
    switch (command) {
      case "set":
        await store.set(key, Buffer.from(hex!, "hex"));
        return 0;
      case "get":
        console.log(Buffer.from(await store.get(key)).toString("hex"));
        return 0;
      case "exists": {
        const exists = await store.exists(key);
        console.log(exists);
        return exists ? 0 : 1;
      }
      case "delete":
        await store.delete(key);
        return 0;
      default:
        return usage(`unknown command: ${command}`);
    }
  } finally {
    await store.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    console.error(`roundtrip: ${isNoSuchKey(e) ? "not found: " : ""}${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  },
);
