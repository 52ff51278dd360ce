"""Unit tests of the revision, counter, batch, expiry, one-page listing and
describe calls of both Stores (no kvd needed): the requests they send, how they convert responses,
the timeouts they pass, and the argument errors they raise before sending
anything. The stub is a mock; the store comes from the fake server of
test_errors."""

from __future__ import annotations

import asyncio
import datetime
import unittest
from concurrent import futures
from typing import Any, Callable, Dict, Tuple
from unittest import mock

import grpc

from google.protobuf import duration_pb2, timestamp_pb2

from kvd_client import (
    Capability,
    Durability,
    Entry,
    IncrementResult,
    KeyPage,
    SetEntry,
    Store,
    StoreDescription,
    StoreLimits,
    aio,
)
from kvd_client.kv.v1 import kv_pb2, kv_pb2_grpc
from tests.test_errors import FakeKeyValue

TEN_YEARS = 10 * 365 * 86_400 + 2 * 86_400  # kvd's max_ttl: 3652 days
DESCRIBE = kv_pb2.DescribeResponse(
    name="default", driver="sqlite", durability=kv_pb2.DURABILITY_DISK,
    limits=kv_pb2.StoreLimits(max_key_bytes=256, max_value_bytes=1 << 20,
                              max_batch_entries=1000, max_batch_bytes=4 << 20,
                              max_ttl=duration_pb2.Duration(seconds=TEN_YEARS),
                              max_page_size=10_000),
    revision=2**64 - 1, capabilities=[1, 2, 3, 4, 5, 6, 99], read_only=True)
# 2026-12-02T01:02:03.456Z, an expire time as kvd sends it (milliseconds).
STAMP = timestamp_pb2.Timestamp(seconds=1_796_173_323, nanos=456_000_000)
EXPIRES = datetime.datetime(2026, 12, 2, 1, 2, 3, 456_000, tzinfo=datetime.timezone.utc)

# Each new call: (method, args, stub RPC, response).
CALLS: Dict[str, Tuple[Tuple[Any, ...], str, Any]] = {
    "get_entry": (("k",), "Get", kv_pb2.GetResponse(value=b"v", revision=5, expire_time=STAMP)),
    "set": (("k", b"v"), "Set", kv_pb2.SetResponse(revision=6)),
    "delete": (("k",), "Delete", kv_pb2.DeleteResponse(revision=0)),
    "set_json": (("k", [1]), "Set", kv_pb2.SetResponse(revision=7)),
    "increment": (("k",), "Increment", kv_pb2.IncrementResponse(value=-2, revision=8)),
    "increment_entry": (("k", 5), "Increment", kv_pb2.IncrementResponse(value=5, revision=9)),
    "get_many": ((["a", "b"],), "GetMany", kv_pb2.GetManyResponse(entries=[
        kv_pb2.Entry(key="a", found=True, value=b"1", revision=3, expire_time=STAMP),
        kv_pb2.Entry(key="c", found=True, value=b"2", revision=4),
        kv_pb2.Entry(key="b", found=False)])),
    "set_many": (({"a": b"1"},), "SetMany", kv_pb2.SetManyResponse(revisions=[10])),
    "delete_many": ((["a", "b"],), "DeleteMany", kv_pb2.DeleteManyResponse(revisions=[11, 0])),
    "describe": ((), "Describe", DESCRIBE),
    "list_keys_page": (("p/", 2, "tok"), "ListKeys",
                       kv_pb2.ListKeysResponse(keys=["p/a", "p/b"], next_page_token="next")),
}

RESULTS: Dict[str, Any] = {
    "get_entry": Entry(key="k", found=True, value=b"v", revision=5, expire_time=EXPIRES),
    "set": 6,
    "delete": 0,
    "set_json": 7,
    "increment": -2,
    "increment_entry": IncrementResult(value=5, revision=9),
    "get_many": [Entry("a", True, b"1", 3, EXPIRES), Entry("c", True, b"2", 4, None),
                 Entry("b", False, None, 0)],
    "set_many": [10],
    "delete_many": [11, 0],
    "describe": StoreDescription(
        name="default", driver="sqlite", durability=Durability.DISK,
        limits=StoreLimits(256, 1 << 20, 1000, 4 << 20,
                           max_ttl=datetime.timedelta(days=3652), max_page_size=10_000),
        revision=2**64 - 1, capabilities=frozenset(Capability), read_only=True),
    "list_keys_page": KeyPage(keys=["p/a", "p/b"], next_page_token="next"),
}


def _done(value: object) -> "asyncio.Future[object]":
    future: "asyncio.Future[object]" = asyncio.get_running_loop().create_future()
    future.set_result(value)
    return future


class RequestsTest(unittest.TestCase):
    server: grpc.Server
    address: str

    @classmethod
    def setUpClass(cls) -> None:
        cls.server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
        kv_pb2_grpc.add_KeyValueServicer_to_server(FakeKeyValue(), cls.server)
        port = cls.server.add_insecure_port("127.0.0.1:0")
        cls.server.start()
        cls.address = f"127.0.0.1:{port}"

    @classmethod
    def tearDownClass(cls) -> None:
        cls.server.stop(None)

    def sent(self, call: Callable[[Store], Any], response: Any = None, rpc: str = "Set") -> Any:
        """The request `call(store)` sends through the stub's `rpc`."""
        with Store.open("default", address=self.address) as store:
            with mock.patch.object(store, "_stub") as stub:
                getattr(stub, rpc).return_value = response or mock.MagicMock()
                call(store)
                return getattr(stub, rpc).call_args.args[0]

    def test_every_new_call_converts_its_response_and_passes_its_timeout(self) -> None:
        with Store.open("default", address=self.address) as store:
            for name, (args, rpc, response) in CALLS.items():
                with self.subTest(method=name), mock.patch.object(store, "_stub") as stub:
                    getattr(stub, rpc).return_value = response
                    self.assertEqual(getattr(store, name)(*args, timeout=1.25), RESULTS[name])
                    self.assertEqual(getattr(stub, rpc).call_args.kwargs["timeout"], 1.25)
                    self.assertEqual(getattr(stub, rpc).call_args.args[0].store, 7)

    def test_the_aio_store_does_the_same(self) -> None:
        async def run() -> None:
            async with aio.Store.open("default", address=self.address) as store:
                for name, (args, rpc, response) in CALLS.items():
                    with self.subTest(method=name), mock.patch.object(store, "_stub") as stub:
                        getattr(stub, rpc).return_value = _done(response)
                        result = await getattr(store, name)(*args, timeout=2.5)
                        self.assertEqual(result, RESULTS[name])
                        self.assertEqual(getattr(stub, rpc).call_args.kwargs["timeout"], 2.5)

        asyncio.run(run())

    def test_if_revision_is_sent_only_when_given(self) -> None:
        plain = self.sent(lambda s: s.set("k", b"v"))
        self.assertFalse(plain.HasField("if_revision"))
        create_only = self.sent(lambda s: s.set("k", b"v", if_revision=0))
        self.assertTrue(create_only.HasField("if_revision"))
        self.assertEqual(create_only.if_revision, 0)
        big = self.sent(lambda s: s.set_json("k", 1, if_revision=2**64 - 1))
        self.assertEqual((big.if_revision, big.value), (2**64 - 1, b"1"))
        delete = self.sent(lambda s: s.delete("k", if_revision=4), rpc="Delete")
        self.assertEqual(delete.if_revision, 4)
        self.assertFalse(self.sent(lambda s: s.delete("k"), rpc="Delete").HasField("if_revision"))

    def test_expire_times_are_aware_utc_datetimes(self) -> None:
        entry = RESULTS["get_entry"]
        self.assertEqual(entry.expire_time.utcoffset(), datetime.timedelta(0))
        self.assertEqual(entry.expire_time.isoformat(), "2026-12-02T01:02:03.456000+00:00")
        # An Entry built without an expire time (as before TTLs) still means
        # "does not expire".
        self.assertIsNone(Entry("k", True, b"v", 1).expire_time)

    def test_ttl_is_sent_only_when_given_and_converts_exactly(self) -> None:
        self.assertFalse(self.sent(lambda s: s.set("k", b"v")).HasField("ttl"))
        cases = [
            (datetime.timedelta(minutes=5), (300, 0)),
            (datetime.timedelta(milliseconds=1), (0, 1_000_000)),
            (datetime.timedelta(days=3652), (TEN_YEARS, 0)),
            (30, (30, 0)),
            (0.001, (0, 1_000_000)),
            (1.25, (1, 250_000_000)),
            # Out of kvd's range, sent as given: kvd answers INVALID_ARGUMENT.
            (0, (0, 0)),
            (-1.5, (-1, -500_000_000)),
        ]
        for ttl, (seconds, nanos) in cases:
            with self.subTest(ttl=ttl):
                request = self.sent(lambda s: s.set("k", b"v", ttl=ttl))
                self.assertTrue(request.HasField("ttl"))
                self.assertEqual((request.ttl.seconds, request.ttl.nanos), (seconds, nanos))
        both = self.sent(lambda s: s.set_json("k", {}, if_revision=0, ttl=2))
        self.assertEqual((both.if_revision, both.ttl.seconds, both.value), (0, 2, b"{}"))

    def test_the_aio_set_sends_its_ttl(self) -> None:
        async def run() -> Any:
            async with aio.Store.open("default", address=self.address) as store:
                with mock.patch.object(store, "_stub") as stub:
                    stub.Set.return_value = _done(kv_pb2.SetResponse(revision=1))
                    stub.SetMany.return_value = _done(kv_pb2.SetManyResponse(revisions=[2]))
                    await store.set("k", b"v", ttl=datetime.timedelta(seconds=9))
                    await store.set_many([SetEntry("m", b"1", ttl=3)])
                    return stub.Set.call_args.args[0], stub.SetMany.call_args.args[0]

        single, many = asyncio.run(run())
        self.assertEqual(single.ttl.seconds, 9)
        self.assertEqual(many.entries[0].ttl.seconds, 3)

    def test_list_keys_page_sends_prefix_size_and_token(self) -> None:
        response = kv_pb2.ListKeysResponse(keys=["a"], next_page_token="")
        request = self.sent(lambda s: s.list_keys_page("x/", 50, "t0"), response, rpc="ListKeys")
        self.assertEqual((request.store, request.prefix, request.page_size, request.page_token),
                         (7, "x/", 50, "t0"))
        first = self.sent(lambda s: s.list_keys_page(), response, rpc="ListKeys")
        self.assertEqual((first.prefix, first.page_size, first.page_token), ("", 0, ""))
        keys, token = RESULTS["list_keys_page"]  # a KeyPage unpacks as a pair
        self.assertEqual((keys, token), (["p/a", "p/b"], "next"))

    def test_set_many_takes_mappings_tuples_and_set_entries(self) -> None:
        request = self.sent(lambda s: s.set_many(
            [("a", b"1"), ("b", bytearray(b"2"), 0), SetEntry("c", b"3", if_revision=9),
             SetEntry("d", b"4")]), rpc="SetMany")
        self.assertEqual([(e.key, e.value, e.if_revision if e.HasField("if_revision") else None)
                          for e in request.entries],
                         [("a", b"1", None), ("b", b"2", 0), ("c", b"3", 9), ("d", b"4", None)])
        mapping = self.sent(lambda s: s.set_many({"x": b"1", "y": b""}), rpc="SetMany")
        self.assertEqual([(e.key, e.value) for e in mapping.entries], [("x", b"1"), ("y", b"")])
        self.assertFalse(any(e.HasField("ttl") for e in [*request.entries, *mapping.entries]))

    def test_set_many_entries_take_a_ttl(self) -> None:
        request = self.sent(lambda s: s.set_many(
            [("a", b"1", None, 60), SetEntry("b", b"2", ttl=datetime.timedelta(seconds=1.5)),
             SetEntry("c", b"3", 4, 0.25), ("d", b"4")]), rpc="SetMany")
        self.assertEqual(
            [(e.key, e.if_revision if e.HasField("if_revision") else None,
              (e.ttl.seconds, e.ttl.nanos) if e.HasField("ttl") else None)
             for e in request.entries],
            [("a", None, (60, 0)), ("b", None, (1, 500_000_000)), ("c", 4, (0, 250_000_000)),
             ("d", None, None)])

    def test_increment_sends_its_delta(self) -> None:
        request = self.sent(lambda s: s.increment("c"), rpc="Increment")
        self.assertEqual((request.key, request.delta), ("c", 1))
        request = self.sent(lambda s: s.increment("c", -(2**63)), rpc="Increment")
        self.assertEqual(request.delta, -(2**63))

    def test_enums_mirror_the_proto(self) -> None:
        self.assertEqual({name[len("DURABILITY_"):]: n for name, n in kv_pb2.Durability.items()},
                         {d.name: d.value for d in Durability})
        self.assertEqual({name[len("CAPABILITY_"):]: n for name, n in kv_pb2.Capability.items()
                          if n != 0},  # UNSPECIFIED is never sent
                         {c.name: c.value for c in Capability})

    def test_describe_skips_unknown_capabilities_and_durabilities(self) -> None:
        with Store.open("default", address=self.address) as store:
            with mock.patch.object(store, "_stub") as stub:
                stub.Describe.return_value = kv_pb2.DescribeResponse(durability=7,
                                                                     capabilities=[3, 50])
                info = store.describe()
        self.assertEqual(info.durability, Durability.UNSPECIFIED)
        self.assertEqual(info.capabilities, frozenset({Capability.INCREMENT}))

    def test_bad_arguments_are_refused_by_name_before_any_call(self) -> None:
        cases = [
            (lambda s: s.set("k", b"v", if_revision=-1), ValueError, r"if_revision .*got -1"),
            (lambda s: s.set("k", b"v", if_revision=2**64), ValueError, "if_revision"),
            (lambda s: s.set("k", b"v", if_revision="3"), TypeError, "if_revision must be an int"),
            (lambda s: s.delete("k", if_revision=True), TypeError, "if_revision"),
            (lambda s: s.increment("k", 2**63), ValueError, "delta"),
            (lambda s: s.increment("k", 1.5), TypeError, "delta must be an int"),
            (lambda s: s.get_many("abc"), TypeError, "get_many takes an iterable of keys"),
            (lambda s: s.get_many(["a", 1]), TypeError, "key 1 must be a str"),
            (lambda s: s.delete_many(b"ab"), TypeError, "delete_many"),
            (lambda s: s.set_many("ab"), TypeError, "set_many takes a mapping"),
            (lambda s: s.set_many([("a",)]), TypeError, "entry 0 must be"),
            (lambda s: s.set_many([("a", "text")]), TypeError, r"entry 0 \('a'\).*bytes"),
            (lambda s: s.set_many([("a", b"", -2)]), ValueError, r"entry 0's \('a'\) if_revision"),
            (lambda s: s.set_many([(1, b"")]), TypeError, "entry 0's key must be a str"),
            (lambda s: s.set_many([("a", b"", None, None, 1)]), TypeError, "entry 0 must be"),
            (lambda s: s.set_many([("a", b""), ("b", b"", None, "1m")]), TypeError,
             r"entry 1's \('b'\) ttl must be a datetime.timedelta or a number of seconds"),
            (lambda s: s.set("k", b"v", ttl="5m"), TypeError,
             "ttl must be a datetime.timedelta or a number of seconds, not str"),
            (lambda s: s.set("k", b"v", ttl=True), TypeError, "not bool"),
            (lambda s: s.set("k", b"v", ttl=float("nan")), ValueError, "finite number"),
            (lambda s: s.set("k", b"v", ttl=float("inf")), ValueError, "finite number"),
            (lambda s: s.set("k", b"v", ttl=2**63), ValueError, "ttl is too long to send"),
            (lambda s: s.set_json("k", 1, ttl=[1]), TypeError, "ttl"),
            (lambda s: s.list_keys_page(5), TypeError, "prefix must be a str, not int"),
            (lambda s: s.list_keys_page("p", "10"), TypeError, "page_size must be an int"),
            (lambda s: s.list_keys_page("p", 2**31), ValueError, "page_size must be between"),
            (lambda s: s.list_keys_page("p", 10, None), TypeError, "page_token must be a str"),
            (lambda s: s.list_keys(b"p"), TypeError, "prefix must be a str, not bytes"),
            (lambda s: s.list_keys("p", 1.5), TypeError, "page_size must be an int"),
            (lambda s: s.list_keys("p", timeout=-1), ValueError, "timeout"),
        ]
        with Store.open("default", address=self.address) as store:
            with mock.patch.object(store, "_stub") as stub:
                for call, error, pattern in cases:
                    with self.subTest(pattern=pattern), self.assertRaisesRegex(error, pattern):
                        call(store)
                self.assertEqual(stub.mock_calls, [])


if __name__ == "__main__":
    unittest.main()
