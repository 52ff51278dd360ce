"""Unit tests of update()'s retry loop (kvd_client._update) with fake reads,
writes, sleeps and randomness, and of Store.update / aio.Store.update against
an in-process fake server that keeps revisions (no kvd, nothing really
sleeps, no timing assertions)."""

from __future__ import annotations

import asyncio
import datetime
import threading
import unittest
from concurrent import futures
from typing import Any, Callable, Dict, List, Optional, Tuple

import grpc

from kvd_client import (
    ConditionFailedError,
    Entry,
    ErrorCode,
    KvIoError,
    NotAnIntegerError,
    Store,
    aio,
)
from kvd_client import _update
from kvd_client.kv.v1 import kv_pb2, kv_pb2_grpc


def conflict(current: int = 9) -> ConditionFailedError:
    return ConditionFailedError(ErrorCode.CONDITION_FAILED, grpc.StatusCode.ABORTED,
                                f"CONDITION_FAILED: at {current}", current_revision=current)


class Script:
    """A fake key: read() returns the scripted entries in turn, write()
    raises the scripted errors in turn (then succeeds); every call is
    logged."""

    def __init__(self, reads: List[Optional[Entry]], write_errors: List[BaseException]) -> None:
        self.reads = list(reads)
        self.write_errors = list(write_errors)
        self.log: List[Tuple[Any, ...]] = []
        self.sleeps: List[float] = []

    def read(self) -> Optional[Entry]:
        entry = self.reads.pop(0) if len(self.reads) > 1 else self.reads[0]
        self.log.append(("read",))
        return entry

    def write(self, value: Any, if_revision: int) -> int:
        self.log.append(("write", value, if_revision))
        if self.write_errors:
            raise self.write_errors.pop(0)
        return 100 + len(self.log)

    def sleep(self, seconds: float) -> None:
        self.log.append(("sleep", seconds))
        self.sleeps.append(seconds)

    def run(self, fn: Callable[[Optional[bytes]], Any], max_attempts: int = 10,
            random: Callable[[], float] = lambda: 0.5) -> int:
        return _update.run_update(self.read, fn, self.write, max_attempts, self.sleep, random)

    def run_async(self, fn: Callable[[Optional[bytes]], Any], max_attempts: int = 10,
                  random: Callable[[], float] = lambda: 0.5) -> int:
        async def read() -> Optional[Entry]:
            return self.read()

        async def write(value: Any, if_revision: int) -> int:
            return self.write(value, if_revision)

        async def sleep(seconds: float) -> None:
            self.sleep(seconds)

        return asyncio.run(_update.run_update_async(read, fn, write, max_attempts, sleep, random))


def at(value: bytes, revision: int) -> Entry:
    return Entry(key="k", found=True, value=value, revision=revision)


def bang(value: Optional[bytes]) -> bytes:
    return b"start" if value is None else value + b"!"


class RetryLoopTest(unittest.TestCase):
    """The loop itself, blocking and async (each case runs both)."""

    def both(self, make: Callable[[], Script], fn: Callable[[Optional[bytes]], Any],
             **kwargs: Any) -> List[Tuple[Script, Any]]:
        """Runs the case through run_update and run_update_async; returns
        each script with its result or the exception it raised."""
        results = []
        for runner in ("run", "run_async"):
            script = make()
            try:
                outcome: Any = getattr(script, runner)(fn, **kwargs)
            except BaseException as error:  # the case checks which
                outcome = error
            results.append((script, outcome))
        return results

    def test_first_attempt_writes_with_the_read_revision(self) -> None:
        for script, result in self.both(lambda: Script([at(b"v", 7)], []), bang):
            self.assertEqual(script.log, [("read",), ("write", b"v!", 7)])
            self.assertEqual(result, 102)

    def test_absent_key_gives_none_and_writes_create_only(self) -> None:
        seen: List[Optional[bytes]] = []

        def fn(value: Optional[bytes]) -> bytes:
            seen.append(value)
            return b"start"

        for script, result in self.both(lambda: Script([None], []), fn):
            self.assertEqual(script.log, [("read",), ("write", b"start", 0)])
            self.assertEqual(result, 102)
        self.assertEqual(seen, [None, None])

    def test_conflicts_retry_with_a_fresh_read_after_a_backoff(self) -> None:
        make = lambda: Script([at(b"a", 1), at(b"b", 2), at(b"c", 3)],  # noqa: E731
                              [conflict(2), conflict(3)])
        for script, result in self.both(make, bang):
            self.assertEqual(script.log, [
                ("read",), ("write", b"a!", 1), ("sleep", 0.005),
                ("read",), ("write", b"b!", 2), ("sleep", 0.010),
                ("read",), ("write", b"c!", 3),
            ])
            self.assertEqual(result, 108)

    def test_attempts_exhausted_raise_the_last_condition_failed(self) -> None:
        errors = [conflict(1), conflict(2), conflict(3), conflict(4)]
        for script, outcome in self.both(lambda: Script([at(b"x", 1)], list(errors)), bang,
                                         max_attempts=4):
            self.assertIs(outcome, errors[3])
            self.assertEqual([e[0] for e in script.log].count("write"), 4)
            self.assertEqual(len(script.sleeps), 3)  # none after the last attempt
            self.assertEqual(script.log[-1][0], "write")

    def test_one_attempt_never_sleeps(self) -> None:
        error = conflict()
        for script, outcome in self.both(lambda: Script([at(b"x", 1)], [error]), bang,
                                         max_attempts=1):
            self.assertIs(outcome, error)
            self.assertEqual(script.sleeps, [])

    def test_other_write_errors_end_it_at_once(self) -> None:
        io = KvIoError(ErrorCode.IO, grpc.StatusCode.INTERNAL, "IO: disk")
        not_int = NotAnIntegerError(ErrorCode.NOT_AN_INTEGER, grpc.StatusCode.FAILED_PRECONDITION,
                                    "NOT_AN_INTEGER")
        for error in (io, not_int):
            for script, outcome in self.both(lambda: Script([at(b"x", 1)], [error]), bang):
                self.assertIs(outcome, error)
                self.assertEqual(script.log, [("read",), ("write", b"x!", 1)])

    def test_an_error_from_fn_ends_it_before_any_write(self) -> None:
        def fn(value: Optional[bytes]) -> bytes:
            raise ZeroDivisionError("fn failed")

        for script, outcome in self.both(lambda: Script([at(b"x", 1)], []), fn):
            self.assertIsInstance(outcome, ZeroDivisionError)
            self.assertEqual(script.log, [("read",)])

    def test_an_error_from_fn_on_a_retry_ends_it(self) -> None:
        calls: List[Optional[bytes]] = []

        def fn(value: Optional[bytes]) -> bytes:
            calls.append(value)
            if len(calls) % 2 == 0:
                raise ValueError("second call")
            return b"first"

        for script, outcome in self.both(
                lambda: Script([at(b"a", 1), at(b"b", 2)], [conflict(2)]), fn):
            self.assertIsInstance(outcome, ValueError)
            self.assertEqual([e[0] for e in script.log], ["read", "write", "sleep", "read"])

    def test_a_read_error_ends_it(self) -> None:
        error = KvIoError(ErrorCode.IO, grpc.StatusCode.UNAVAILABLE, "IO: down")

        def read() -> Optional[Entry]:
            raise error

        with self.assertRaises(KvIoError) as caught:
            _update.run_update(read, bang, lambda v, r: 1, 10, lambda s: None, lambda: 0.5)
        self.assertIs(caught.exception, error)

    def test_backoff_is_full_jitter_doubling_from_10ms_to_1s(self) -> None:
        top = [_update.backoff(n, lambda: 1.0) for n in range(1, 12)]
        self.assertEqual(top, [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.0, 1.0, 1.0, 1.0])
        self.assertEqual([_update.backoff(n, lambda: 0.0) for n in range(1, 12)], [0.0] * 11)
        self.assertEqual(_update.backoff(3, lambda: 0.25), 0.01)
        self.assertEqual(_update.backoff(10_000, lambda: 0.5), 0.5)  # no float overflow

    def test_each_sleep_draws_a_new_random(self) -> None:
        draws = iter([0.1, 0.9, 0.3])
        script = Script([at(b"x", 1)], [conflict(), conflict(), conflict()])
        script.run(bang, random=lambda: next(draws))
        self.assertEqual(script.sleeps, [0.1 * 0.01, 0.9 * 0.02, 0.3 * 0.04])

    def test_async_fn_may_be_a_coroutine_function(self) -> None:
        async def fn(value: Optional[bytes]) -> bytes:
            await asyncio.sleep(0)
            return (value or b"") + b"+"

        script = Script([at(b"a", 1), at(b"b", 2)], [conflict(2)])
        self.assertEqual(script.run_async(fn), 105)
        self.assertEqual([e for e in script.log if e[0] == "write"],
                         [("write", b"a+", 1), ("write", b"b+", 2)])

    def test_bad_max_attempts_are_refused_by_name(self) -> None:
        for bad, error in ((0, ValueError), (-1, ValueError), (1.5, TypeError),
                           (True, TypeError), ("3", TypeError)):
            with self.subTest(max_attempts=bad):
                with self.assertRaisesRegex(error, "max_attempts"):
                    _update.check_max_attempts(bad)
        self.assertEqual(_update.check_max_attempts(1), 1)


class RevisionFake(kv_pb2_grpc.KeyValueServicer):
    """Open, Get and Set with revisions and if_revision, as kvd does them. A
    test sets `before_set` to write behind the client's back."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.data: Dict[str, Tuple[bytes, int]] = {}
        self.revision = 0
        self.before_set: Optional[Callable[[], None]] = None
        self.sets: List[Tuple[str, bytes, Optional[int]]] = []
        # The ttl of each Set, in milliseconds (None: no ttl).
        self.ttls: List[Optional[int]] = []

    def put(self, key: str, value: bytes) -> int:
        with self.lock:
            self.revision += 1
            self.data[key] = (value, self.revision)
            return self.revision

    def Open(self, request: Any, context: grpc.ServicerContext) -> Any:
        return kv_pb2.OpenResponse(store=1)

    def Close(self, request: Any, context: grpc.ServicerContext) -> Any:
        return kv_pb2.CloseResponse()

    def Get(self, request: Any, context: grpc.ServicerContext) -> Any:
        with self.lock:
            found = self.data.get(request.key)
        if found is None:
            context.set_trailing_metadata((("kv-error-code", "ERROR_CODE_NO_SUCH_KEY"),))
            context.abort(grpc.StatusCode.NOT_FOUND, f"NO_SUCH_KEY: {request.key}")
        return kv_pb2.GetResponse(value=found[0], revision=found[1])

    def Set(self, request: Any, context: grpc.ServicerContext) -> Any:
        if self.before_set is not None:
            self.before_set()
        with self.lock:
            condition = request.if_revision if request.HasField("if_revision") else None
            self.sets.append((request.key, request.value, condition))
            self.ttls.append(request.ttl.ToMilliseconds() if request.HasField("ttl") else None)
            current = self.data.get(request.key, (b"", 0))[1]
            if condition is not None and condition != current:
                context.set_trailing_metadata((
                    ("kv-error-code", "ERROR_CODE_CONDITION_FAILED"),
                    ("kv-current-revision", str(current))))
                context.abort(grpc.StatusCode.ABORTED,
                              f"CONDITION_FAILED: key {request.key!r} is at {current}")
            self.revision += 1
            self.data[request.key] = (request.value, self.revision)
            return kv_pb2.SetResponse(revision=self.revision)


class StoreUpdateTest(unittest.TestCase):
    """Store.update and aio.Store.update over real gRPC to RevisionFake, with
    the store's sleep and random replaced."""

    server: grpc.Server
    address: str
    fake: RevisionFake

    @classmethod
    def setUpClass(cls) -> None:
        cls.server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        cls.fake = RevisionFake()
        kv_pb2_grpc.add_KeyValueServicer_to_server(cls.fake, cls.server)
        port = cls.server.add_insecure_port("127.0.0.1:0")
        cls.server.start()
        cls.address = f"127.0.0.1:{port}"

    @classmethod
    def tearDownClass(cls) -> None:
        cls.server.stop(None)

    def setUp(self) -> None:
        self.fake.before_set = None
        self.fake.sets.clear()
        self.fake.ttls.clear()
        self.sleeps: List[float] = []

    def interfere(self, times: int, key: str) -> None:
        """The next `times` Sets find `key` rewritten just before them."""
        left = [times]

        def before() -> None:
            if left[0] > 0:
                left[0] -= 1
                self.fake.put(key, b"other")
        self.fake.before_set = before

    def test_creates_then_appends(self) -> None:
        with Store.open("default", address=self.address) as store:
            store._sleep = self.sleeps.append  # type: ignore[assignment]
            first = store.update("sync/new", bang)
            second = store.update("sync/new", bang)
            self.assertGreater(second, first)
            self.assertEqual(store.get("sync/new"), b"start!")
        self.assertEqual(self.fake.sets, [("sync/new", b"start", 0),
                                          ("sync/new", b"start!", first)])
        self.assertEqual(self.sleeps, [])

    def test_conflicts_retry_with_the_injected_backoff(self) -> None:
        self.fake.put("sync/race", b"v")
        self.interfere(3, "sync/race")
        with Store.open("default", address=self.address) as store:
            store._sleep = self.sleeps.append  # type: ignore[assignment]
            store._random = lambda: 1.0  # type: ignore[assignment]
            store.update("sync/race", bang)
            self.assertEqual(store.get("sync/race"), b"other!")
        self.assertEqual(self.sleeps, [0.01, 0.02, 0.04])
        self.assertEqual(len(self.fake.sets), 4)

    def test_exhausted_attempts_raise_condition_failed_with_the_revision(self) -> None:
        self.fake.put("sync/lost", b"v")
        self.interfere(5, "sync/lost")
        with Store.open("default", address=self.address) as store:
            store._sleep = self.sleeps.append  # type: ignore[assignment]
            with self.assertRaises(ConditionFailedError) as caught:
                store.update("sync/lost", bang, max_attempts=2)
        self.assertEqual(caught.exception.current_revision, self.fake.data["sync/lost"][1])
        self.assertEqual(caught.exception.grpc_code, grpc.StatusCode.ABORTED)
        self.assertEqual(len(self.sleeps), 1)

    def test_bad_arguments_fail_before_any_call(self) -> None:
        with Store.open("default", address=self.address) as store:
            with self.assertRaisesRegex(ValueError, "max_attempts"):
                store.update("k", bang, max_attempts=0)
            with self.assertRaisesRegex(ValueError, "timeout"):
                store.update("k", bang, timeout=-1)
            with self.assertRaisesRegex(TypeError, "value must be bytes"):
                store.update("sync/typed", lambda v: "not bytes")
            with self.assertRaisesRegex(TypeError, "ttl must be"):
                store.update("k", bang, ttl="1h")
        self.assertEqual(self.fake.sets, [])

    def test_every_attempt_writes_the_ttl(self) -> None:
        self.fake.put("sync/ttl", b"v")
        self.interfere(1, "sync/ttl")
        with Store.open("default", address=self.address) as store:
            store._sleep = self.sleeps.append  # type: ignore[assignment]
            store.update("sync/ttl", bang, ttl=datetime.timedelta(seconds=30))
            store.update("sync/ttl", bang)  # no ttl: the write clears the expiry
        self.assertEqual(self.fake.ttls, [30_000, 30_000, None])

    def test_aio_update_writes_the_ttl(self) -> None:
        async def run() -> None:
            async with aio.Store.open("default", address=self.address) as store:
                await store.update("aio/ttl", bang, ttl=0.5)

        asyncio.run(run())
        self.assertEqual(self.fake.ttls, [500])

    def test_aio_update_retries_with_the_injected_backoff(self) -> None:
        self.fake.put("aio/race", b"v")
        self.interfere(2, "aio/race")

        async def run() -> int:
            async with aio.Store.open("default", address=self.address) as store:
                async def sleep(seconds: float) -> None:
                    self.sleeps.append(seconds)
                store._sleep = sleep  # type: ignore[assignment]
                store._random = lambda: 0.5  # type: ignore[assignment]
                revision = await store.update("aio/race", bang)
                self.assertEqual(await store.get("aio/race"), b"other!")
                with self.assertRaises(ConditionFailedError):
                    self.interfere(1, "aio/race")
                    await store.update("aio/race", bang, max_attempts=1)
                return revision

        revision = asyncio.run(run())
        self.assertEqual(self.sleeps, [0.005, 0.01])
        self.assertGreater(revision, 0)


if __name__ == "__main__":
    unittest.main()
