"""clients/SCENARIO.md, row by row, through kvd_client against a real kvd.

Run it under clients/testing/with_kvd.sh, which exports KVD_ADDR:

    clients/testing/with_kvd.sh /usr/bin/python3 -m unittest tests.test_scenario

(from clients/python). The rows build on each other, so the test methods are
numbered by row and run in that order; they share the stores they open.
"""

from __future__ import annotations

import datetime
import os
import threading
import time
import unittest
from typing import List, Optional

import grpc

import kvd_client
from kvd_client import (
    BackendUnavailableError,
    Capability,
    ConditionFailedError,
    Durability,
    Entry,
    ErrorCode,
    InvalidArgumentError,
    InvalidStoreError,
    KvError,
    KvIoError,
    NoSuchKeyError,
    NoSuchStoreError,
    NotAnIntegerError,
    OutOfRangeError,
    Store,
    StoreTableFullError,
)
from kvd_client.kv.v1 import kv_pb2, kv_pb2_grpc

P = "scenario-python/"
BIG = bytes(i % 251 for i in range(1 << 20))
UTF8_KEY = P + "ключ/キー/🔑"
# Row 38's attempts per update. Eight callers writing one key keep colliding
# for the whole row; on a loaded machine an update has needed up to 13
# attempts (the default is 10), and the row checks that no update is lost,
# not how many attempts one takes.
RACE_ATTEMPTS = 100
HOUR = datetime.timedelta(hours=1)
# Row 40: kvd runs on this machine, so its clock and ours agree to this.
CLOCK_SLACK = datetime.timedelta(seconds=5)
# Rows 46-47: the 25 keys under P + "list/", in byte order.
LISTED = [P + f"list/{i:02d}" for i in range(25)]


def utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


class ScenarioTest(unittest.TestCase):
    """Rows 1-49 of clients/SCENARIO.md, in order."""

    store: Optional[Store] = None
    mem: Optional[Store] = None
    # Rows 22-49: what earlier rows wrote, for the later ones to check.
    revisions: List[int] = []
    r1 = r2 = m1 = m2 = 0
    first_token = ""

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
        type(self).store = store = Store.open("default")  # rows 22-49 use it
        self.assertNotEqual(store.handle, 0)
        self.assertEqual(store.get(P + "binary"), b"\x00\x01\x00\xff\x00")

    def seen(self, *revisions: int) -> None:
        """Records revisions a write returned, for row 36."""
        type(self).revisions.extend(revisions)

    def assertConditionFailed(self, error: KvError, current: int, key: str) -> None:
        self.assertKvError(error, ConditionFailedError, ErrorCode.CONDITION_FAILED,
                           grpc.StatusCode.ABORTED)
        assert isinstance(error, ConditionFailedError)
        self.assertEqual(error.current_revision, current, error)
        self.assertIn(key, error.message)

    def test_22_set_returns_a_revision_get_entry_reads_it(self) -> None:
        store = self.default_store()
        r1 = store.set(P + "rev", b"a")
        self.assertGreater(r1, 0)
        self.assertEqual(store.get_entry(P + "rev"), Entry(P + "rev", True, b"a", r1))
        type(self).r1 = r1
        self.seen(r1)

    def test_23_set_if_revision_matches(self) -> None:
        r2 = self.default_store().set(P + "rev", b"b", if_revision=self.r1)
        self.assertGreater(r2, self.r1)
        type(self).r2 = r2
        self.seen(r2)

    def test_24_stale_if_revision_fails_and_changes_nothing(self) -> None:
        store = self.default_store()
        with self.assertRaises(ConditionFailedError) as caught:
            store.set(P + "rev", b"c", if_revision=self.r1)
        self.assertConditionFailed(caught.exception, self.r2, P + "rev")
        self.assertEqual(store.get(P + "rev"), b"b")

    def test_25_create_only(self) -> None:
        store = self.default_store()
        n = store.set(P + "new", b"x", if_revision=0)
        self.assertGreater(n, 0)
        self.seen(n)
        with self.assertRaises(ConditionFailedError) as caught:
            store.set(P + "new", b"x", if_revision=0)
        self.assertConditionFailed(caught.exception, n, P + "new")

    def test_26_delete_if_revision(self) -> None:
        store = self.default_store()
        with self.assertRaises(ConditionFailedError) as caught:
            store.delete(P + "rev", if_revision=self.r1)
        self.assertConditionFailed(caught.exception, self.r2, P + "rev")
        deleted = store.delete(P + "rev", if_revision=self.r2)
        self.assertGreater(deleted, self.r2)
        self.seen(deleted)
        self.assertIs(store.exists(P + "rev"), False)

    def test_27_delete_of_a_missing_key_is_revision_0(self) -> None:
        self.assertEqual(self.default_store().delete(P + "never-there"), 0)

    def test_28_increment(self) -> None:
        store = self.default_store()
        first = store.increment_entry(P + "counter", 5)
        second = store.increment_entry(P + "counter", -7)
        self.assertEqual((first.value, second.value), (5, -2))
        self.assertGreater(first.revision, 0)
        self.assertGreater(second.revision, first.revision)
        self.seen(first.revision, second.revision)
        self.assertEqual(store.get(P + "counter"), b"-2")
        self.assertEqual(store.increment(P + "counter", 0), -2)  # the plain form: the value
        self.seen(store.get_entry(P + "counter").revision)

    def test_29_increment_of_text_is_not_an_integer(self) -> None:
        store = self.default_store()
        self.seen(store.set(P + "text", b"abc"))
        with self.assertRaises(NotAnIntegerError) as caught:
            store.increment(P + "text", 1)
        self.assertKvError(caught.exception, NotAnIntegerError, ErrorCode.NOT_AN_INTEGER,
                           grpc.StatusCode.FAILED_PRECONDITION)
        self.assertIsInstance(caught.exception, ValueError)
        self.assertEqual(store.get(P + "text"), b"abc")

    def test_30_increment_past_int64_is_out_of_range(self) -> None:
        store = self.default_store()
        self.seen(store.set(P + "max", b"9223372036854775807"))
        with self.assertRaises(OutOfRangeError) as caught:
            store.increment(P + "max", 1)
        self.assertKvError(caught.exception, OutOfRangeError, ErrorCode.OUT_OF_RANGE,
                           grpc.StatusCode.OUT_OF_RANGE)
        self.assertIsInstance(caught.exception, OverflowError)
        self.assertEqual(store.get(P + "max"), b"9223372036854775807")

    def test_31_set_many(self) -> None:
        revisions = self.default_store().set_many([(P + "m1", b"1"), (P + "m2", b"2")])
        self.assertEqual(len(revisions), 2)
        self.assertLess(revisions[0], revisions[1])
        type(self).m1, type(self).m2 = revisions
        self.seen(*revisions)

    def test_32_get_many_in_request_order(self) -> None:
        entries = self.default_store().get_many([P + "m2", P + "absent", P + "m1"])
        self.assertEqual(entries, [Entry(P + "m2", True, b"2", self.m2),
                                   Entry(P + "absent", False, None, 0),
                                   Entry(P + "m1", True, b"1", self.m1)])

    def test_33_set_many_is_all_or_nothing(self) -> None:
        store = self.default_store()
        with self.assertRaises(ConditionFailedError) as caught:
            store.set_many([(P + "m1", b"x"), (P + "m3", b"3", 0),
                            (P + "m2", b"y", self.m1)])
        self.assertConditionFailed(caught.exception, self.m2, P + "m2")
        self.assertEqual(caught.exception.failed_index, 2)
        self.assertEqual(store.get_many([P + "m1", P + "m3"]),
                         [Entry(P + "m1", True, b"1", self.m1),
                          Entry(P + "m3", False, None, 0)])

    def test_34_duplicate_keys_in_a_batch(self) -> None:
        store = self.default_store()
        for call in (lambda: store.set_many([(P + "dup", b"1"), (P + "dup", b"2")]),
                     lambda: store.get_many([P + "dup", P + "dup"])):
            with self.assertRaises(InvalidArgumentError) as caught:
                call()
            self.assertKvError(caught.exception, KvIoError, ErrorCode.IO,
                               grpc.StatusCode.INVALID_ARGUMENT)
            self.assertIn(P + "dup", caught.exception.message)
            self.assertIn("twice", caught.exception.message)
        self.assertIs(store.exists(P + "dup"), False)

    def test_35_delete_many(self) -> None:
        store = self.default_store()
        revisions = store.delete_many([P + "m1", P + "absent", P + "m2"])
        self.assertEqual(len(revisions), 3)
        self.assertGreater(revisions[0], 0)
        self.assertEqual(revisions[1], 0)
        self.assertGreater(revisions[2], 0)
        self.seen(*revisions)
        self.assertIs(store.exists(P + "m1"), False)
        self.assertIs(store.exists(P + "m2"), False)

    def test_36_describe(self) -> None:
        info = self.default_store().describe()
        self.assertEqual((info.name, info.driver, info.durability), ("default", "sqlite",
                                                                    Durability.DISK))
        self.assertEqual((info.limits.max_key_bytes, info.limits.max_value_bytes,
                          info.limits.max_batch_entries), (256, 1048576, 1000))
        self.assertTrue(self.revisions, "rows 22-35 recorded no revision")
        self.assertGreaterEqual(info.revision, max(self.revisions))
        self.assertLessEqual({Capability.REVISIONS, Capability.CONDITIONAL_WRITES,
                              Capability.INCREMENT, Capability.ATOMIC_BATCHES},
                             info.capabilities)
        self.assertIs(info.read_only, False)

    def test_37_update(self) -> None:
        store = self.default_store()

        def bang(value: Optional[bytes]) -> bytes:
            return b"start" if value is None else value + b"!"

        first = store.update(P + "upd", bang)
        self.assertEqual(store.get(P + "upd"), b"start")
        second = store.update(P + "upd", bang)
        self.assertGreater(second, first)
        self.assertEqual(store.get(P + "upd"), b"start!")

    def test_38_update_from_8_threads_loses_nothing(self) -> None:
        store = self.default_store()
        errors: List[BaseException] = []

        def add_one(value: Optional[bytes]) -> bytes:
            return str(int(value or b"0") + 1).encode()

        def worker() -> None:
            try:
                for _ in range(10):
                    store.update(P + "upd-race", add_one, max_attempts=RACE_ATTEMPTS)
            except BaseException as error:  # reported below, in the test's thread
                errors.append(error)

        threads = [threading.Thread(target=worker) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual(errors, [])
        self.assertEqual(store.get(P + "upd-race"), b"80")

    def test_39_update_gives_up_after_max_attempts(self) -> None:
        store = self.default_store()
        key = P + "upd-lost"

        def interfering(results: List[bytes]):  # type: ignore[no-untyped-def]
            def fn(value: Optional[bytes]) -> bytes:
                if not results:  # the first call only: a write behind update's back
                    store.set(key, b"other")
                results.append((value or b"") + b"+%d" % (len(results) + 1))
                return results[-1]
            return fn

        once: List[bytes] = []
        with self.assertRaises(ConditionFailedError) as caught:
            store.update(key, interfering(once), max_attempts=1)
        self.assertConditionFailed(caught.exception, store.get_entry(key).revision, key)
        self.assertEqual(once, [b"+1"])
        thrice: List[bytes] = []
        store.update(key, interfering(thrice), max_attempts=3)
        self.assertEqual(thrice, [b"other+1", b"other+2"])
        self.assertEqual(store.get(key), thrice[1])

    def assertExpiresInAnHour(self, expire_time: Optional[datetime.datetime],
                              before: datetime.datetime, after: datetime.datetime) -> None:
        """`expire_time` is an aware UTC datetime within an hour of the
        write (made between `before` and `after`), give or take the slack."""
        self.assertIsNotNone(expire_time, "no expire time")
        assert expire_time is not None
        self.assertEqual(expire_time.utcoffset(), datetime.timedelta(0), expire_time)
        self.assertGreaterEqual(expire_time, before + HOUR - CLOCK_SLACK)
        self.assertLessEqual(expire_time, after + HOUR + CLOCK_SLACK)

    def test_40_set_with_a_ttl_reports_its_expire_time(self) -> None:
        store = self.default_store()
        before = utc_now()
        revision = store.set(P + "ttl", b"v", ttl=HOUR)
        after = utc_now()
        self.assertGreater(revision, 0)
        entry = store.get_entry(P + "ttl")
        self.assertEqual((entry.value, entry.revision), (b"v", revision))
        self.assertExpiresInAnHour(entry.expire_time, before, after)

    def test_41_a_plain_set_clears_the_expiry(self) -> None:
        store = self.default_store()
        store.set(P + "ttl", b"v2")
        entry = store.get_entry(P + "ttl")
        self.assertEqual(entry.value, b"v2")
        self.assertIsNone(entry.expire_time)

    def test_42_increment_keeps_the_expiry(self) -> None:
        store = self.default_store()
        before = utc_now()
        store.set(P + "ttl-n", b"5", ttl=HOUR)
        after = utc_now()
        expires = store.get_entry(P + "ttl-n").expire_time
        self.assertExpiresInAnHour(expires, before, after)
        self.assertEqual(store.increment(P + "ttl-n", 1), 6)
        entry = store.get_entry(P + "ttl-n")
        self.assertEqual((entry.value, entry.expire_time), (b"6", expires))

    def test_43_an_expired_key_is_absent_everywhere(self) -> None:
        store = self.default_store()
        store.set(P + "short", b"v", ttl=datetime.timedelta(milliseconds=200))
        deadline = time.monotonic() + 10
        while store.exists(P + "short"):
            self.assertLess(time.monotonic(), deadline, "the key did not expire within 10 s")
            time.sleep(0.02)
        with self.assertRaises(NoSuchKeyError):
            store.get(P + "short")
        self.assertEqual(store.get_many([P + "short"]), [Entry(P + "short", False, None, 0)])
        self.assertGreater(store.set(P + "short", b"w", if_revision=0), 0)

    def test_44_a_ttl_out_of_range_is_invalid(self) -> None:
        store = self.default_store()
        for ttl in (0, datetime.timedelta(seconds=-1), datetime.timedelta(microseconds=500),
                    datetime.timedelta(days=3651)):
            with self.subTest(ttl=ttl), self.assertRaises(InvalidArgumentError) as caught:
                store.set(P + "bad-ttl", b"v", ttl=ttl)
            self.assertKvError(caught.exception, KvIoError, ErrorCode.IO,
                               grpc.StatusCode.INVALID_ARGUMENT)
            self.assertIn("ttl", caught.exception.message)
        self.assertIs(store.exists(P + "bad-ttl"), False)

    def test_45_set_many_entries_with_and_without_a_ttl(self) -> None:
        store = self.default_store()
        store.set_many([(P + "b1", b"1", None, HOUR), (P + "b2", b"2")])
        b1, b2 = store.get_many([P + "b1", P + "b2"])
        self.assertTrue(b1.found and b2.found)
        self.assertIsNotNone(b1.expire_time)
        self.assertIsNone(b2.expire_time)

    def test_46_list_keys_pages_through_a_prefix(self) -> None:
        store = self.default_store()
        for key in LISTED + [P + "list0", P + "lis"]:
            store.set(key, b"x")
        self.assertEqual(list(store.list_keys(prefix=P + "list/", page_size=10)), LISTED)

    def test_47_one_page_at_a_time(self) -> None:
        store = self.default_store()
        keys, token = store.list_keys_page(P + "list/", 10)
        self.assertEqual(keys, LISTED[:10])
        self.assertNotEqual(token, "")
        type(self).first_token = token
        keys, token = store.list_keys_page(P + "list/", 10, token)
        self.assertEqual(keys, LISTED[10:20])
        self.assertNotEqual(token, "")
        keys, token = store.list_keys_page(P + "list/", 10, token)
        self.assertEqual((keys, token), (LISTED[20:], ""))

    def test_48_bad_page_tokens_and_sizes(self) -> None:
        store = self.default_store()
        self.assertNotEqual(self.first_token, "", "row 47 kept no token")
        cases = [((P + "lis", 10, self.first_token), "page_token"),
                 ((P + "list/", 10, "not-a-token"), "page_token"),
                 ((P + "list/", -1, ""), "page_size")]
        for args, named in cases:
            with self.subTest(args=args), self.assertRaises(InvalidArgumentError) as caught:
                store.list_keys_page(*args)
            self.assertKvError(caught.exception, KvIoError, ErrorCode.IO,
                               grpc.StatusCode.INVALID_ARGUMENT)
            self.assertIn(named, caught.exception.message)

    def test_49_describe_expiry_and_listing(self) -> None:
        info = self.default_store().describe()
        self.assertEqual(info.limits.max_ttl, datetime.timedelta(days=3650))
        self.assertEqual(info.limits.max_page_size, 10000)
        self.assertLessEqual({Capability.TTL, Capability.LIST_PAGES}, info.capabilities)


if __name__ == "__main__":
    unittest.main()
