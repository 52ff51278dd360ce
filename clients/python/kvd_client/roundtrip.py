"""A tiny command line over :class:`kvd_client.Store`, for shell scripts such
as the cross-language round trip (clients/SCENARIO.md).

Usage::

    python3 -m kvd_client.roundtrip [--store NAME] set KEY HEX_VALUE
    python3 -m kvd_client.roundtrip [--store NAME] get KEY      # prints the value in hex
    python3 -m kvd_client.roundtrip [--store NAME] exists KEY   # prints true or false
    python3 -m kvd_client.roundtrip [--store NAME] delete KEY
    python3 -m kvd_client.roundtrip [--store NAME] [--count N] incr KEY [DELTA]

The address is ``$KVD_ADDR`` (else ``127.0.0.1:50051``); the store is
``default`` unless ``--store`` names another. Values are hex on the command
line (``00ff10``; spaces allowed), so any bytes pass through a shell.
``incr`` adds DELTA (default 1) to the counter KEY, ``--count`` times (default
once), and prints each new value on a line of its own.

Exit codes: 0 success (and ``exists`` true); 1 the key does not exist (``get``)
or ``exists`` is false; 2 bad usage; 3 any other error (printed to stderr).
"""

from __future__ import annotations

import argparse
import sys
from typing import List, Optional

from kvd_client.errors import KvError, NoSuchKeyError
from kvd_client.store import Store


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"{self.prog}: {message}", file=sys.stderr)
        raise SystemExit(2)


def main(argv: Optional[List[str]] = None) -> int:
    """Runs one command; returns the exit code."""
    parser = _Parser(prog="python3 -m kvd_client.roundtrip",
                     description="set/get/exists/delete/incr one key of a kvd store")
    parser.add_argument("--store", default="default", help="store name (default: default)")
    parser.add_argument("--count", type=int, default=1,
                        help="incr only: how many increments (default: 1)")
    parser.add_argument("command", choices=["set", "get", "exists", "delete", "incr"])
    parser.add_argument("key")
    parser.add_argument("hex_value", nargs="?",
                        help="set: the value, in hex; incr: the delta (default 1)")
    args = parser.parse_args(argv)

    value = b""
    delta = 1
    if args.count < 1 or (args.count != 1 and args.command != "incr"):
        parser.error("--count takes a number >= 1, and only with incr")
    if args.command == "incr":
        if args.hex_value is not None:
            try:
                delta = int(args.hex_value, 10)
            except ValueError:
                parser.error(f"DELTA is not a decimal integer: {args.hex_value!r}")
            if not -(1 << 63) <= delta < (1 << 63):
                parser.error(f"DELTA is outside int64: {delta}")
    elif args.command == "set":
        if args.hex_value is None:
            parser.error("set needs HEX_VALUE")
        try:
            value = bytes.fromhex(args.hex_value)
        except ValueError:
            parser.error(f"HEX_VALUE is not hex: {args.hex_value!r}")
    elif args.hex_value is not None:
        parser.error(f"{args.command} takes no HEX_VALUE")

    try:
        with Store.open(args.store) as store:
            if args.command == "set":
                store.set(args.key, value)
                print(f"set {args.key} ({len(value)} bytes)")
            elif args.command == "get":
                print(store.get(args.key).hex())
            elif args.command == "incr":
                for _ in range(args.count):
                    print(store.increment(args.key, delta), flush=True)
            elif args.command == "exists":
                exists = store.exists(args.key)
                print("true" if exists else "false")
                return 0 if exists else 1
            else:
                store.delete(args.key)
                print(f"deleted {args.key}")
    except NoSuchKeyError as error:
        print(f"kvd_client.roundtrip: {error}", file=sys.stderr)
        return 1
    except KvError as error:
        print(f"kvd_client.roundtrip: {error}", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
