"""Unit tests of kvd_client.aio against the in-process fake server of
test_errors (no kvd needed): open forms, error mapping through grpc.aio,
per-call timeouts, the address in "cannot reach kvd"."""

from __future__ import annotations

import asyncio
import socket
import unittest
from concurrent import futures
from unittest import mock

import grpc

import kvd_client
from kvd_client import (
    DeadlineExceededError,
    ErrorCode,
    InvalidArgumentError,
    InvalidStoreError,
    KvdUnavailableError,
    NoSuchKeyError,
    NoSuchStoreError,
    aio,
)
from kvd_client.kv.v1 import kv_pb2_grpc
from tests.test_errors import FakeKeyValue


class AioStoreTest(unittest.IsolatedAsyncioTestCase):
    server: grpc.Server
    fake: FakeKeyValue
    address: str

    @classmethod
    def setUpClass(cls) -> None:
        cls.fake = FakeKeyValue()
        cls.server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        kv_pb2_grpc.add_KeyValueServicer_to_server(cls.fake, cls.server)
        port = cls.server.add_insecure_port("127.0.0.1:0")
        cls.server.start()
        cls.address = f"127.0.0.1:{port}"

    @classmethod
    def tearDownClass(cls) -> None:
        cls.server.stop(None)

    def setUp(self) -> None:
        self.fake.failure = None
        self.fake.delay = 0.0
        with self.fake.lock:
            self.fake.calls.clear()
            self.fake.metadata.clear()

    async def test_open_is_awaitable_and_an_async_context_manager(self) -> None:
        store = await aio.Store.open("default", address=self.address, token="t")
        self.assertEqual((store.name, store.handle, store.address), ("default", 7, self.address))
        self.assertEqual(await store.get("k"), b"v:k")
        await store.close()
        await store.close()
        self.assertTrue(store.closed)
        async with aio.Store.open("default", address=self.address) as second:
            self.assertEqual(await second.get("x"), b"v:x")
        self.assertTrue(second.closed)
        async with await aio.Store.open_default(address=self.address) as third:
            self.assertEqual(third.name, "default")
        self.assertTrue(third.closed)
        self.assertEqual(self.fake.calls,
                         ["Open", "Get", "Close", "Open", "Get", "Close", "Open", "Close"])
        self.assertIn(("authorization", "Bearer t"), self.fake.metadata[0])

    async def test_errors_map_to_the_same_classes(self) -> None:
        cases = [
            ("ERROR_CODE_NO_SUCH_KEY", grpc.StatusCode.NOT_FOUND, NoSuchKeyError, KeyError),
            ("ERROR_CODE_NO_SUCH_STORE", grpc.StatusCode.NOT_FOUND, NoSuchStoreError, LookupError),
            ("ERROR_CODE_IO", grpc.StatusCode.INVALID_ARGUMENT, InvalidArgumentError, ValueError),
        ]
        async with aio.Store.open("default", address=self.address) as store:
            for trailer, grpc_code, cls, base in cases:
                with self.subTest(trailer=trailer):
                    self.fake.failure = (grpc_code, "m", trailer)
                    with self.assertRaises(base) as caught:
                        await store.get("k")
                    self.assertIs(type(caught.exception), cls)
                    self.assertEqual(caught.exception.grpc_code, grpc_code)
                    self.assertEqual(caught.exception.message, "m")

    async def test_closed_store_raises_invalid_store_without_a_call(self) -> None:
        store = await aio.Store.open("default", address=self.address)
        await store.close()
        with self.assertRaises(InvalidStoreError) as caught:
            await store.exists("k")
        self.assertEqual(caught.exception.code, ErrorCode.INVALID_STORE)
        self.assertEqual(self.fake.calls, ["Open", "Close"])

    async def test_per_call_timeout_overrides_the_store_default(self) -> None:
        self.fake.delay = 2.0
        async with aio.Store.open("default", address=self.address, timeout=0.5) as store:
            with self.assertRaises(DeadlineExceededError):
                await store.get("k")
            self.assertEqual(await store.get("k", timeout=30), b"v:k")
            self.assertEqual(await store.get("k", timeout=None), b"v:k")  # no deadline
        async with aio.Store.open("default", address=self.address, timeout=30) as store:
            with self.assertRaises(TimeoutError) as caught:
                await store.get("k", timeout=0.05)
            self.assertIn(self.address, str(caught.exception))

    async def test_every_method_passes_its_timeout(self) -> None:
        async with aio.Store.open("default", address=self.address) as store:
            calls = {"set": ("Set", ("k", b"v")), "set_json": ("Set", ("k", 1)),
                     "delete": ("Delete", ("k",)), "exists": ("Exists", ("k",)),
                     "get_keys": ("GetKeys", ()), "get": ("Get", ("k",)),
                     "close": ("Close", ())}
            for name, (rpc, args) in calls.items():
                with self.subTest(method=name):
                    with mock.patch.object(store, "_stub") as stub:
                        method = getattr(stub, rpc)
                        method.return_value = _done(mock.MagicMock(value=b'"1"', keys=[]))
                        await getattr(store, name)(*args, timeout=1.25)
                        self.assertEqual(method.call_args.kwargs["timeout"], 1.25)

    async def test_bad_timeout_is_refused(self) -> None:
        with self.assertRaisesRegex(ValueError, "timeout must be"):
            aio.Store.open("default", address=self.address, timeout=0)
        async with aio.Store.open("default", address=self.address) as store:
            with self.assertRaisesRegex(ValueError, "timeout must be"):
                await store.get("k", timeout=-3)

    async def test_unreachable_addresses_are_named(self) -> None:
        with socket.socket() as closed:
            closed.bind(("127.0.0.1", 0))
            tcp = "127.0.0.1:%d" % closed.getsockname()[1]
            for address in (tcp, "unix:/nonexistent/kvd-python-aio.sock"):
                with self.subTest(address=address):
                    with self.assertRaises(KvdUnavailableError) as caught:
                        await aio.Store.open("default", address=address, timeout=10)
                    self.assertIsInstance(caught.exception, ConnectionError)
                    self.assertIn(f"cannot reach kvd at {address}: ", str(caught.exception))
                    self.assertEqual(caught.exception.address, address)

    async def test_shared_channel(self) -> None:
        async with aio.connect(self.address) as channel:
            async with aio.Store.open("default", channel=channel) as first:
                await first.get("a")
            async with aio.Store.open("default", channel=channel) as second:
                self.assertEqual(await second.get("b"), b"v:b")
                self.assertEqual(second.address, self.address)

    async def test_set_rejects_str_values(self) -> None:
        async with aio.Store.open("default", address=self.address) as store:
            with self.assertRaises(TypeError):
                await store.set("k", "not bytes")  # type: ignore[arg-type]

    def test_public_names(self) -> None:
        self.assertIs(kvd_client.aio, aio)
        self.assertEqual(sorted(aio.__all__), ["Store", "connect"])


def _done(value: object) -> "asyncio.Future[object]":
    future: "asyncio.Future[object]" = asyncio.get_running_loop().create_future()
    future.set_result(value)
    return future


if __name__ == "__main__":
    unittest.main()
