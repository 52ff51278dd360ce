"""clients/SCENARIO.md, row by row, through kvd_client.aio (asyncio, on
grpc.aio) against a real kvd: tests/test_scenario.py's rows, awaited.

Run it under clients/testing/with_kvd.sh, which exports KVD_ADDR:

    clients/testing/with_kvd.sh /usr/bin/python3 -m unittest tests.test_scenario_async

(from clients/python). The rows build on each other, so the test methods are
numbered by row and run in that order; they share the stores they open, and
so one event loop (a grpc.aio channel belongs to its loop). Keys use the
prefix scenario-python-aio/, so this and the blocking scenario can share a kvd.
"""

from __future__ import annotations

import asyncio
import os
import unittest
from typing import Any, Awaitable, List, Optional, TypeVar

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
    StoreTableFullError,
    aio,
)
from kvd_client.aio import Store
from kvd_client.kv.v1 import kv_pb2, kv_pb2_grpc

P = "scenario-python-aio/"
BIG = bytes(i % 251 for i in range(1 << 20))
UTF8_KEY = P + "ключ/キー/🔑"


_T = TypeVar("_T")


class AsyncScenarioTest(unittest.TestCase):
    """Rows 1-21 of clients/SCENARIO.md, in order, with kvd_client.aio."""

    store: Optional[Store] = None
    mem: Optional[Store] = None
    loop: asyncio.AbstractEventLoop

    @classmethod
    def setUpClass(cls) -> None:
        if not os.environ.get("KVD_ADDR"):
            raise RuntimeError("KVD_ADDR is not set; run under clients/testing/with_kvd.sh")
        cls.loop = asyncio.new_event_loop()

    @classmethod
    def tearDownClass(cls) -> None:
        for store in (cls.store, cls.mem):
            if store is not None:
                cls.loop.run_until_complete(store.close())
        cls.loop.close()

    def run_async(self, awaitable: Awaitable[_T]) -> _T:
        async def wrapper() -> Any:
            return await awaitable
        return self.loop.run_until_complete(wrapper())

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
        type(self).store = self.run_async(Store.open("default"))
        self.assertNotEqual(self.default_store().handle, 0)

    def test_02_set_get(self) -> None:
        store = self.default_store()
        self.run_async(store.set(P + "plain", b"hello"))
        self.assertEqual(self.run_async(store.get(P + "plain")), b"hello")

    def test_03_overwrite(self) -> None:
        store = self.default_store()
        self.run_async(store.set(P + "plain", b"again"))
        self.assertEqual(self.run_async(store.get(P + "plain")), b"again")

    def test_04_binary(self) -> None:
        store = self.default_store()
        self.run_async(store.set(P + "binary", b"\x00\x01\x00\xff\x00"))
        self.assertEqual(self.run_async(store.get(P + "binary")), b"\x00\x01\x00\xff\x00")

    def test_05_empty_value(self) -> None:
        store = self.default_store()
        self.run_async(store.set(P + "empty", b""))
        self.assertEqual(self.run_async(store.get(P + "empty")), b"")

    def test_06_one_mebibyte(self) -> None:
        store = self.default_store()
        self.run_async(store.set(P + "big", BIG))
        got = self.run_async(store.get(P + "big"))
        self.assertEqual(len(got), 1_048_576)
        self.assertTrue(got == BIG, "the 1 MiB value came back different")

    def test_07_utf8_key(self) -> None:
        store = self.default_store()
        self.run_async(store.set(UTF8_KEY, b"utf8"))
        self.assertEqual(self.run_async(store.get(UTF8_KEY)), b"utf8")

    def test_08_exists(self) -> None:
        store = self.default_store()
        self.assertIs(self.run_async(store.exists(P + "plain")), True)
        self.assertIs(self.run_async(store.exists(P + "missing")), False)

    def test_09_get_missing(self) -> None:
        with self.assertRaises(NoSuchKeyError) as caught:
            self.run_async(self.default_store().get(P + "missing"))
        self.assertKvError(caught.exception, NoSuchKeyError, ErrorCode.NO_SUCH_KEY,
                           grpc.StatusCode.NOT_FOUND)
        self.assertIsInstance(caught.exception, KeyError)
        self.assertIn(P + "missing", caught.exception.message)

    def test_10_delete(self) -> None:
        store = self.default_store()
        self.run_async(store.delete(P + "plain"))
        self.assertIs(self.run_async(store.exists(P + "plain")), False)
        self.run_async(store.delete(P + "plain"))  # a missing key is not an error

    def test_11_get_keys(self) -> None:
        keys: List[str] = [k for k in self.run_async(self.default_store().get_keys())
                           if k.startswith(P)]
        self.assertCountEqual(keys, [P + "big", P + "binary", P + "empty", UTF8_KEY])

    def test_12_json(self) -> None:
        store = self.default_store()
        value = {"a": 1, "b": [True, None, "x"]}
        self.run_async(store.set_json(P + "json", value))
        self.assertEqual(self.run_async(store.get_json(P + "json")), value)

    def test_13_stores_are_separate(self) -> None:
        type(self).mem = mem = self.run_async(Store.open("mem"))
        with self.assertRaises(NoSuchKeyError) as caught:
            self.run_async(mem.get(P + "big"))
        self.assertKvError(caught.exception, NoSuchKeyError, ErrorCode.NO_SUCH_KEY,
                           grpc.StatusCode.NOT_FOUND)

    def test_14_no_such_store(self) -> None:
        with self.assertRaises(NoSuchStoreError) as caught:
            self.run_async(Store.open("no-such-store"))
        self.assertKvError(caught.exception, NoSuchStoreError, ErrorCode.NO_SUCH_STORE,
                           grpc.StatusCode.NOT_FOUND)
        self.assertIsInstance(caught.exception, LookupError)
        self.assertNotIsInstance(caught.exception, KeyError)

    def test_15_broken_backend(self) -> None:
        with self.assertRaises(BackendUnavailableError) as caught:
            self.run_async(Store.open("broken"))
        self.assertKvError(caught.exception, KvIoError, ErrorCode.IO,
                           grpc.StatusCode.UNAVAILABLE)
        self.assertIn("broken", caught.exception.message)
        self.assertTrue(caught.exception.is_unavailable)

    def test_16_key_too_long(self) -> None:
        with self.assertRaises(KvIoError) as caught:
            self.run_async(self.default_store().set(P + "k" * 257, b"v"))
        self.assertNotIsInstance(caught.exception, BackendUnavailableError)
        self.assertKvError(caught.exception, KvIoError, ErrorCode.IO,
                           grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIsInstance(caught.exception, ValueError)

    def test_17_value_too_big(self) -> None:
        with self.assertRaises(KvIoError) as caught:
            self.run_async(self.default_store().set(P + "too-big", bytes((1 << 20) + 1)))
        self.assertKvError(caught.exception, KvIoError, ErrorCode.IO,
                           grpc.StatusCode.INVALID_ARGUMENT)

    def test_18_use_after_close(self) -> None:
        store = self.default_store()
        self.run_async(store.close())
        # The wrapper refuses calls on a closed store without a round trip ...
        with self.assertRaises(InvalidStoreError) as caught:
            self.run_async(store.get(P + "big"))
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
        self.run_async(self.default_store().close())

    def test_20_store_table_full(self) -> None:
        for store in (type(self).store, type(self).mem):
            if store is not None:
                self.run_async(store.close())

        async def rows_20_and_21() -> None:
            opened: List[Store] = []
            async with aio.connect() as channel:
                try:
                    for i in range(1, 301):
                        if i <= 256:
                            opened.append(await Store.open("default", channel=channel))
                            continue
                        with self.assertRaises(StoreTableFullError, msg=f"open #{i}") as caught:
                            await Store.open("default", channel=channel)
                        self.assertKvError(caught.exception, StoreTableFullError,
                                           ErrorCode.STORE_TABLE_FULL,
                                           grpc.StatusCode.RESOURCE_EXHAUSTED)
                    self.assertEqual(len(opened), 256)
                    self.assertEqual(len({s.handle for s in opened}), 256)
                finally:
                    # Row 21: close the 256 (at once); then open succeeds again.
                    await asyncio.gather(*(store.close() for store in opened))

        self.run_async(rows_20_and_21())

    def test_21_open_after_closing(self) -> None:
        async def row() -> None:
            async with Store.open("default") as store:
                self.assertNotEqual(store.handle, 0)
                self.assertEqual(await store.get(P + "binary"), b"\x00\x01\x00\xff\x00")
            self.assertTrue(store.closed)

        self.run_async(row())


if __name__ == "__main__":
    unittest.main()
