"""python3 -m kvd_client.roundtrip, the shell entry point of the
cross-language round trip, against a real kvd (run under with_kvd.sh)."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import unittest
from typing import List, Tuple

from kvd_client import Store

HERE = pathlib.Path(__file__).absolute().parent.parent
KEY = "roundtrip-python/key"


def roundtrip(*args: str) -> Tuple[int, str, str]:
    env = dict(os.environ, PYTHONPATH=str(HERE))
    result = subprocess.run([sys.executable, "-m", "kvd_client.roundtrip", *args],
                            env=env, capture_output=True, text=True, timeout=60)
    return result.returncode, result.stdout, result.stderr


class RoundtripTest(unittest.TestCase):
    def setUp(self) -> None:
        if not os.environ.get("KVD_ADDR"):
            self.fail("KVD_ADDR is not set; run under clients/testing/with_kvd.sh")

    def test_set_get_exists_delete(self) -> None:
        self.assertEqual(roundtrip("set", KEY, "00ff10"), (0, f"set {KEY} (3 bytes)\n", ""))
        self.assertEqual(roundtrip("get", KEY), (0, "00ff10\n", ""))
        self.assertEqual(roundtrip("exists", KEY), (0, "true\n", ""))
        self.assertEqual(roundtrip("delete", KEY), (0, f"deleted {KEY}\n", ""))
        self.assertEqual(roundtrip("exists", KEY), (1, "false\n", ""))
        code, out, err = roundtrip("get", KEY)
        self.assertEqual((code, out), (1, ""))
        self.assertIn("NO_SUCH_KEY", err)

    def test_empty_value_and_other_store(self) -> None:
        self.assertEqual(roundtrip("--store", "mem", "set", KEY, "")[0], 0)
        self.assertEqual(roundtrip("--store", "mem", "get", KEY), (0, "\n", ""))
        self.assertEqual(roundtrip("exists", KEY)[0], 1)  # default store: absent
        self.assertEqual(roundtrip("--store", "mem", "delete", KEY)[0], 0)

    def test_incr(self) -> None:
        counter = "roundtrip-python/counter"
        self.assertEqual(roundtrip("incr", counter), (0, "1\n", ""))
        self.assertEqual(roundtrip("--count", "3", "incr", counter, "-2"),
                         (0, "-1\n-3\n-5\n", ""))
        with Store.open("default") as store:
            self.assertEqual(store.get(counter), b"-5")
            store.set(counter, b"x")
        code, out, err = roundtrip("incr", counter)
        self.assertEqual((code, out), (3, ""))
        self.assertIn("NOT_AN_INTEGER", err)

    def test_usage_and_errors(self) -> None:
        bad: List[Tuple[str, ...]] = [("set", KEY), ("set", KEY, "zz"), ("get", KEY, "00"),
                                      ("frob", KEY), (), ("incr", KEY, str(1 << 63)),
                                      ("--count", "0", "incr", KEY)]
        for args in bad:
            with self.subTest(args=args):
                self.assertEqual(roundtrip(*args)[0], 2)
        code, _, err = roundtrip("--store", "no-such-store", "get", KEY)
        self.assertEqual(code, 3)
        self.assertIn("NO_SUCH_STORE", err)


if __name__ == "__main__":
    unittest.main()
