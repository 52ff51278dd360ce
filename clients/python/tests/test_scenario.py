"""clients/SCENARIO.md, row by row, through kvd_client against a real kvd.

Run it under clients/testing/with_kvd.sh, which exports KVD_ADDR:

    clients/testing/with_kvd.sh /usr/bin/python3 -m unittest tests.test_scenario

(from clients/python). The rows build on each other, so the test methods are
numbered by row and run in that order; they share the stores they open.
"""

from __future__ import annotations

import os
import unittest
from typing import List, Optional

import grpc

import kvd_client
from kvd_client import (
    BackendUnavailableError,
    ErrorCode,
    InvalidStoreError,
    KvError,
    KvIoError,
    NoSuchKeyError,
    NoSuchStoreError,
    Store,
    StoreTableFullError,
)
from kvd_client.kv.v1 import kv_pb2, kv_pb2_grpc

P = "scenario-python/"
BIG = bytes(i % 251 for i in range(1 << 20))
UTF8_KEY = P + "ключ/キー/🔑"


class ScenarioTest(unittest.TestCase):
    """Rows 1-21 of clients/SCENARIO.md, in order."""

    store: Optional[Store] = None
    mem: Optional[Store] = None

    @classmethod
    def setUpClass(cls) -> None:
        if not os.environ.get("KVD_ADDR"):
            raise RuntimeError("KVD_ADDR is not set; run under clients/testing/with_kvd.sh")

    @classmethod
    def tearDownClass(cls) -> None:
        for store in (cls.store, cls.mem):
            if store is not None:
                store.close()

    def assertKvError(self, error: KvError, cls: type, code: ErrorCode,
                      grpc_code: grpc.StatusCode) -> None:
        self.assertIsInstance(error, cls)
        self.assertEqual(error.code, code, error)
        self.assertEqual(error.grpc_code, grpc_code, error)

    def default_store(self) -> Store:
        store = type(self).store
        self.assertIsNotNone(store, "row 1 did not open the store")
        assert store is not None
        return store

    def test_01_open_default(self) -> None:
        type(self).store = Store.open("default")
        self.assertNotEqual(self.default_store().handle, 0)

    def test_02_set_get(self) -> None:
        store = self.default_store()
        store.set(P + "plain", b"hello")
        self.assertEqual(store.get(P + "plain"), b"hello")

    def test_03_overwrite(self) -> None:
        store = self.default_store()
        store.set(P + "plain", b"again")
        self.assertEqual(store.get(P + "plain"), b"again")

    def test_04_binary(self) -> None:
        store = self.default_store()
        store.set(P + "binary", b"\x00\x01\x00\xff\x00")
        self.assertEqual(store.get(P + "binary"), b"\x00\x01\x00\xff\x00")

    def test_05_empty_value(self) -> None:
        store = self.default_store()
        store.set(P + "empty", b"")
        self.assertEqual(store.get(P + "empty"), b"")

    def test_06_one_mebibyte(self) -> None:
        store = self.default_store()
        store.set(P + "big", BIG)
        got = store.get(P + "big")
        self.assertEqual(len(got), 1_048_576)
        self.assertTrue(got == BIG, "the 1 MiB value came back different")

    def test_07_utf8_key(self) -> None:
        store = self.default_store()
        store.set(UTF8_KEY, b"utf8")
        self.assertEqual(store.get(UTF8_KEY), b"utf8")

    def test_08_exists(self) -> None:
        store = self.default_store()
        self.assertIs(store.exists(P + "plain"), True)
        self.assertIs(store.exists(P + "missing"), False)

    def test_09_get_missing(self) -> None:
        with self.assertRaises(NoSuchKeyError) as caught:
            self.default_store().get(P + "missing")
        self.assertKvError(caught.exception, NoSuchKeyError, ErrorCode.NO_SUCH_KEY,
                           grpc.StatusCode.NOT_FOUND)
        self.assertIsInstance(caught.exception, KeyError)
        self.assertIn(P + "missing", caught.exception.message)

    def test_10_delete(self) -> None:
        store = self.default_store()
        store.delete(P + "plain")
        self.assertIs(store.exists(P + "plain"), False)
        store.delete(P + "plain")  # a missing key is not an error

    def test_11_get_keys(self) -> None:
        keys: List[str] = [k for k in self.default_store().get_keys() if k.startswith(P)]
        self.assertCountEqual(keys, [P + "big", P + "binary", P + "empty", UTF8_KEY])

    def test_12_json(self) -> None:
        store = self.default_store()
        value = {"a": 1, "b": [True, None, "x"]}
        store.set_json(P + "json", value)
        self.assertEqual(store.get_json(P + "json"), value)

    def test_13_stores_are_separate(self) -> None:
        type(self).mem = Store.open("mem")
        with self.assertRaises(NoSuchKeyError) as caught:
            type(self).mem.get(P + "big")
        self.assertKvError(caught.exception, NoSuchKeyError, ErrorCode.NO_SUCH_KEY,
                           grpc.StatusCode.NOT_FOUND)

    def test_14_no_such_store(self) -> None:
        with self.assertRaises(NoSuchStoreError) as caught:
            Store.open("no-such-store")
        self.assertKvError(caught.exception, NoSuchStoreError, ErrorCode.NO_SUCH_STORE,
                           grpc.StatusCode.NOT_FOUND)
        self.assertIsInstance(caught.exception, LookupError)
        self.assertNotIsInstance(caught.exception, KeyError)

    def test_15_broken_backend(self) -> None:
        with self.assertRaises(BackendUnavailableError) as caught:
            Store.open("broken")
        self.assertKvError(caught.exception, KvIoError, ErrorCode.IO,
                           grpc.StatusCode.UNAVAILABLE)
        self.assertIn("broken", caught.exception.message)
        self.assertTrue(caught.exception.is_unavailable)

    def test_16_key_too_long(self) -> None:
        with self.assertRaises(KvIoError) as caught:
            self.default_store().set(P + "k" * 257, b"v")
        self.assertNotIsInstance(caught.exception, BackendUnavailableError)
        self.assertKvError(caught.exception, KvIoError, ErrorCode.IO,
                           grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIsInstance(caught.exception, ValueError)

    def test_17_value_too_big(self) -> None:
        with self.assertRaises(KvIoError) as caught:
            self.default_store().set(P + "too-big", bytes((1 << 20) + 1))
        self.assertKvError(caught.exception, KvIoError, ErrorCode.IO,
                           grpc.StatusCode.INVALID_ARGUMENT)

    def test_18_use_after_close(self) -> None:
        store = self.default_store()
        store.close()
        # The wrapper refuses calls on a closed store without a round trip ...
        with self.assertRaises(InvalidStoreError) as caught:
            store.get(P + "big")
        self.assertKvError(caught.exception, InvalidStoreError, ErrorCode.INVALID_STORE,
                           grpc.StatusCode.FAILED_PRECONDITION)
        # ... and kvd itself says the same of the closed handle.
        with grpc.insecure_channel(os.environ["KVD_ADDR"]) as channel:
            stub = kv_pb2_grpc.KeyValueStub(channel)
            with self.assertRaises(grpc.RpcError) as raw:
                stub.Get(kv_pb2.GetRequest(store=store.handle, key=P + "big"))
        server_error = kvd_client.from_rpc_error(raw.exception)
        self.assertKvError(server_error, InvalidStoreError, ErrorCode.INVALID_STORE,
                           grpc.StatusCode.FAILED_PRECONDITION)

    def test_19_close_again(self) -> None:
        self.default_store().close()

    def test_20_store_table_full(self) -> None:
        for store in (type(self).store, type(self).mem):
            if store is not None:
                store.close()
        opened: List[Store] = []
        with kvd_client.connect() as channel:
            try:
                for i in range(1, 301):
                    if i <= 256:
                        opened.append(Store.open("default", channel=channel))
                        continue
                    with self.assertRaises(StoreTableFullError, msg=f"open #{i}") as caught:
                        Store.open("default", channel=channel)
                    self.assertKvError(caught.exception, StoreTableFullError,
                                       ErrorCode.STORE_TABLE_FULL,
                                       grpc.StatusCode.RESOURCE_EXHAUSTED)
                self.assertEqual(len(opened), 256)
                self.assertEqual(len({s.handle for s in opened}), 256)
            finally:
                # Row 21: close the 256; then open succeeds again.
                for store in opened:
                    store.close()

    def test_21_open_after_closing(self) -> None:
        with Store.open("default") as store:
            self.assertNotEqual(store.handle, 0)
            self.assertEqual(store.get(P + "binary"), b"\x00\x01\x00\xff\x00")


if __name__ == "__main__":
    unittest.main()
