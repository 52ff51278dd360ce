"""Unit tests of list_keys, the lazily paging generator of both Stores,
against a fake ListKeys served over real gRPC in this process (no kvd
needed): nothing is sent before the first key is asked for, a page is
fetched only once the caller has used up the one before, each request
carries the previous page's token with the same prefix and page size, a
short or empty page that is not the last does not end the listing, and
errors surface from the iteration."""

from __future__ import annotations

import threading
import unittest
from concurrent import futures
from typing import Any, List, Tuple

import grpc

from kvd_client import InvalidArgumentError, InvalidStoreError, Store, aio
from kvd_client.kv.v1 import kv_pb2, kv_pb2_grpc

KEYS = sorted(["p/0", "p/1", "p/2", "p/3", "p/4", "q/0", "o/9"])


class ListingFake(kv_pb2_grpc.KeyValueServicer):
    """ListKeys over KEYS, as kvd pages: byte order, keys after the token's,
    at most page_size (0: 1000), an empty token on the last page. A token
    is "PREFIX\\0LAST-KEY" and is refused (IO, INVALID_ARGUMENT) with another
    prefix, as kvd refuses one. `empty_pages` is how many of the next
    answers are empty pages that are not the last."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: List[Tuple[str, int, str]] = []
        self.empty_pages = 0

    def Open(self, request: Any, context: grpc.ServicerContext) -> Any:
        return kv_pb2.OpenResponse(store=4)

    def Close(self, request: Any, context: grpc.ServicerContext) -> Any:
        return kv_pb2.CloseResponse()

    def ListKeys(self, request: Any, context: grpc.ServicerContext) -> Any:
        with self.lock:
            self.requests.append((request.prefix, request.page_size, request.page_token))
            empty = self.empty_pages > 0
            self.empty_pages -= 1 if empty else 0
        after = ""
        if request.page_token:
            prefix, _, after = request.page_token.partition("\0")
            if prefix != request.prefix:
                context.set_trailing_metadata((("kv-error-code", "ERROR_CODE_IO"),))
                context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                              f"IO: page_token was issued for prefix {prefix!r}, "
                              f"not {request.prefix!r}")
        if request.page_size < 0:
            context.set_trailing_metadata((("kv-error-code", "ERROR_CODE_IO"),))
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "IO: page_size is negative")
        if empty:
            return kv_pb2.ListKeysResponse(next_page_token=f"{request.prefix}\0{after}")
        size = request.page_size or 1000
        matching = [k for k in KEYS if k.startswith(request.prefix) and k > after]
        page = matching[:size]
        token = f"{request.prefix}\0{page[-1]}" if len(matching) > size else ""
        return kv_pb2.ListKeysResponse(keys=page, next_page_token=token)


class ListingTestBase:
    server: grpc.Server
    fake: ListingFake
    address: str

    @classmethod
    def setUpClass(cls) -> None:
        cls.fake = ListingFake()
        cls.server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
        kv_pb2_grpc.add_KeyValueServicer_to_server(cls.fake, cls.server)
        port = cls.server.add_insecure_port("127.0.0.1:0")
        cls.server.start()
        cls.address = f"127.0.0.1:{port}"

    @classmethod
    def tearDownClass(cls) -> None:
        cls.server.stop(None)

    def setUp(self) -> None:
        with self.fake.lock:
            self.fake.requests.clear()
            self.fake.empty_pages = 0

    def sent(self) -> List[Tuple[str, int, str]]:
        with self.fake.lock:
            return list(self.fake.requests)


class ListKeysTest(ListingTestBase, unittest.TestCase):

    def test_fetches_each_page_only_when_the_caller_reaches_it(self) -> None:
        with Store.open("default", address=self.address) as store:
            keys = store.list_keys("p/", page_size=2)
            self.assertEqual(self.sent(), [], "list_keys sent a request before iteration")
            self.assertEqual(next(keys), "p/0")
            self.assertEqual(self.sent(), [("p/", 2, "")])
            self.assertEqual(next(keys), "p/1")
            # Page 1 is used up; page 2 is not fetched until a key of it is asked for.
            self.assertEqual(len(self.sent()), 1)
            self.assertEqual(next(keys), "p/2")
            self.assertEqual(self.sent(), [("p/", 2, ""), ("p/", 2, "p/\0p/1")])
            self.assertEqual(list(keys), ["p/3", "p/4"])
        self.assertEqual(self.sent(), [("p/", 2, ""), ("p/", 2, "p/\0p/1"),
                                       ("p/", 2, "p/\0p/3")])

    def test_the_defaults_list_every_key_in_one_request(self) -> None:
        with Store.open("default", address=self.address) as store:
            self.assertEqual(list(store.list_keys()), KEYS)
        self.assertEqual(self.sent(), [("", 0, "")])

    def test_stopping_early_sends_nothing_more(self) -> None:
        with Store.open("default", address=self.address) as store:
            for key in store.list_keys(page_size=1):
                if key == "p/0":
                    break
        self.assertEqual([token for _, _, token in self.sent()], ["", "\0o/9"])

    def test_an_empty_page_that_is_not_the_last_does_not_end_the_listing(self) -> None:
        self.fake.empty_pages = 2
        with Store.open("default", address=self.address) as store:
            self.assertEqual(list(store.list_keys("p/", 3)), ["p/0", "p/1", "p/2", "p/3", "p/4"])
        self.assertEqual(len(self.sent()), 4)

    def test_errors_surface_from_the_iteration(self) -> None:
        with Store.open("default", address=self.address) as store:
            keys = store.list_keys("p/", page_size=-1)  # kvd's to refuse, when iterated
            self.assertEqual(self.sent(), [])
            with self.assertRaisesRegex(InvalidArgumentError, "page_size is negative"):
                next(keys)
            page = store.list_keys_page("p/", 1)
            self.assertEqual(page, (["p/0"], "p/\0p/0"))
            with self.assertRaisesRegex(InvalidArgumentError, "issued for prefix 'p/'"):
                store.list_keys_page("q/", 1, page.next_page_token)

    def test_a_closed_store_raises_when_iterated(self) -> None:
        store = Store.open("default", address=self.address)
        keys = store.list_keys()
        store.close()
        with self.assertRaises(InvalidStoreError):
            next(keys)
        self.assertEqual(self.sent(), [])


class AioListKeysTest(ListingTestBase, unittest.IsolatedAsyncioTestCase):

    async def test_fetches_each_page_only_when_the_caller_reaches_it(self) -> None:
        async with aio.Store.open("default", address=self.address) as store:
            keys = store.list_keys("p/", page_size=2)
            self.assertEqual(self.sent(), [], "list_keys sent a request before iteration")
            self.assertEqual(await keys.__anext__(), "p/0")
            self.assertEqual(self.sent(), [("p/", 2, "")])
            self.assertEqual(await keys.__anext__(), "p/1")
            self.assertEqual(len(self.sent()), 1)
            self.assertEqual(await keys.__anext__(), "p/2")
            self.assertEqual(self.sent(), [("p/", 2, ""), ("p/", 2, "p/\0p/1")])
            self.assertEqual([key async for key in keys], ["p/3", "p/4"])
        self.assertEqual(len(self.sent()), 3)

    async def test_async_for_lists_every_key_and_errors_surface(self) -> None:
        self.fake.empty_pages = 1
        async with aio.Store.open("default", address=self.address) as store:
            self.assertEqual([key async for key in store.list_keys(page_size=4)], KEYS)
            self.assertEqual(await store.list_keys_page("q/"), (["q/0"], ""))
            with self.assertRaisesRegex(InvalidArgumentError, "page_size is negative"):
                async for _ in store.list_keys(page_size=-5):
                    pass
            with self.assertRaisesRegex(TypeError, "page_size must be an int"):
                store.list_keys(page_size=None)  # type: ignore[arg-type]
        self.assertEqual(len(self.sent()), 1 + 2 + 1 + 1)


if __name__ == "__main__":
    unittest.main()
