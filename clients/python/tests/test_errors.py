"""Unit tests of kvd_client's error mapping and options, against an in-process
fake kv.v1.KeyValue server (no kvd needed)."""

from __future__ import annotations

import errno
import os
import pickle
import socket
import threading
import time
import unittest
from concurrent import futures
from typing import Any, List, Optional, Sequence, Tuple
from unittest import mock

import grpc

import kvd_client
from kvd_client import (
    AccessDeniedError,
    BackendUnavailableError,
    ConditionFailedError,
    DeadlineExceededError,
    ErrorCode,
    InvalidArgumentError,
    InvalidStoreError,
    KvdUnavailableError,
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


class FakeKeyValue(kv_pb2_grpc.KeyValueServicer):
    """Open succeeds with handle 7; Get fails as told by `self.failure`."""

    def __init__(self) -> None:
        self.failure: Optional[Tuple[grpc.StatusCode, str, Optional[str]]] = None
        # More trailing metadata of a failure, after kv-error-code.
        self.trailers: Tuple[Tuple[str, str], ...] = ()
        self.delay = 0.0
        self.metadata: List[Sequence[Tuple[str, str]]] = []
        self.calls: List[str] = []
        self.lock = threading.Lock()

    def _record(self, name: str, context: grpc.ServicerContext) -> None:
        with self.lock:
            self.calls.append(name)
            self.metadata.append(tuple(context.invocation_metadata()))

    def Open(self, request: Any, context: grpc.ServicerContext) -> Any:
        self._record("Open", context)
        return kv_pb2.OpenResponse(store=7)

    def Get(self, request: Any, context: grpc.ServicerContext) -> Any:
        self._record("Get", context)
        if self.delay:
            time.sleep(self.delay)
        if self.failure is not None:
            code, message, trailer = self.failure
            if trailer is not None or self.trailers:
                sent = (("kv-error-code", trailer),) if trailer is not None else ()
                context.set_trailing_metadata(sent + self.trailers)
            context.abort(code, message)
        return kv_pb2.GetResponse(value=b"v:" + request.key.encode())

    def Close(self, request: Any, context: grpc.ServicerContext) -> Any:
        self._record("Close", context)
        return kv_pb2.CloseResponse()


class ErrorMappingTest(unittest.TestCase):
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
        self.fake.trailers = ()
        self.fake.delay = 0.0
        with self.fake.lock:
            self.fake.calls.clear()
            self.fake.metadata.clear()

    def failing_get(self, code: grpc.StatusCode, message: str,
                    trailer: Optional[str]) -> KvError:
        self.fake.failure = (code, message, trailer)
        with Store.open("default", address=self.address) as store:
            with self.assertRaises(KvError) as caught:
                store.get("k")
        return caught.exception

    def test_error_code_mirrors_the_proto_enum(self) -> None:
        proto = {name[len("ERROR_CODE_"):]: number
                 for name, number in kv_pb2.ErrorCode.items()}
        self.assertEqual(proto, {code.name: code.value for code in ErrorCode})

    def test_each_error_code_maps_to_its_class(self) -> None:
        cases = [
            ("ERROR_CODE_STORE_TABLE_FULL", grpc.StatusCode.RESOURCE_EXHAUSTED, StoreTableFullError),
            ("ERROR_CODE_NO_SUCH_STORE", grpc.StatusCode.NOT_FOUND, NoSuchStoreError),
            ("ERROR_CODE_ACCESS_DENIED", grpc.StatusCode.PERMISSION_DENIED, AccessDeniedError),
            ("ERROR_CODE_INVALID_STORE", grpc.StatusCode.FAILED_PRECONDITION, InvalidStoreError),
            ("ERROR_CODE_NO_SUCH_KEY", grpc.StatusCode.NOT_FOUND, NoSuchKeyError),
            ("ERROR_CODE_IO", grpc.StatusCode.INTERNAL, KvIoError),
            ("ERROR_CODE_IO", grpc.StatusCode.INVALID_ARGUMENT, InvalidArgumentError),
            ("ERROR_CODE_IO", grpc.StatusCode.UNAVAILABLE, BackendUnavailableError),
            ("ERROR_CODE_CONDITION_FAILED", grpc.StatusCode.ABORTED, ConditionFailedError),
            ("ERROR_CODE_NOT_AN_INTEGER", grpc.StatusCode.FAILED_PRECONDITION, NotAnIntegerError),
            ("ERROR_CODE_OUT_OF_RANGE", grpc.StatusCode.OUT_OF_RANGE, OutOfRangeError),
        ]
        for trailer, grpc_code, cls in cases:
            with self.subTest(trailer=trailer, grpc_code=grpc_code):
                error = self.failing_get(grpc_code, f"{trailer}: details", trailer)
                self.assertIs(type(error), cls)
                self.assertEqual(error.code, ErrorCode[trailer[len("ERROR_CODE_"):]])
                self.assertEqual(error.grpc_code, grpc_code)
                self.assertEqual(error.message, f"{trailer}: details")

    def test_condition_failed_carries_the_current_revision_and_index(self) -> None:
        self.fake.trailers = (("kv-current-revision", "18446744073709551615"),
                              ("kv-failed-index", "2"))
        error = self.failing_get(grpc.StatusCode.ABORTED, 'CONDITION_FAILED: key "m2"',
                                 "ERROR_CODE_CONDITION_FAILED")
        self.assertIsInstance(error, ConditionFailedError)
        assert isinstance(error, ConditionFailedError)
        self.assertEqual(error.current_revision, 2**64 - 1)
        self.assertEqual(error.failed_index, 2)
        self.fake.trailers = (("kv-current-revision", "0"),)
        absent = self.failing_get(grpc.StatusCode.ABORTED, "m", "ERROR_CODE_CONDITION_FAILED")
        self.assertEqual((absent.current_revision, absent.failed_index), (0, None))  # type: ignore[attr-defined]

    def test_missing_or_garbled_revision_trailers_are_none(self) -> None:
        for trailers in ((), (("kv-current-revision", "-1"), ("kv-failed-index", "x")),
                         (("kv-current-revision", ""), ("kv-failed-index", "1.5"))):
            with self.subTest(trailers=trailers):
                self.fake.trailers = trailers
                error = self.failing_get(grpc.StatusCode.ABORTED, "m",
                                         "ERROR_CODE_CONDITION_FAILED")
                self.assertIsInstance(error, ConditionFailedError)
                self.assertIsNone(error.current_revision)  # type: ignore[attr-defined]
                self.assertIsNone(error.failed_index)

    def test_failed_index_reaches_any_error(self) -> None:
        self.fake.trailers = (("kv-failed-index", "4"),)
        error = self.failing_get(grpc.StatusCode.INVALID_ARGUMENT, "IO: key 4 too long",
                                 "ERROR_CODE_IO")
        self.assertIsInstance(error, InvalidArgumentError)
        self.assertEqual(error.failed_index, 4)
        self.fake.trailers = ()
        self.assertIsNone(self.failing_get(grpc.StatusCode.INTERNAL, "m", "ERROR_CODE_IO")
                          .failed_index)

    def test_counter_errors_derive_from_the_builtins(self) -> None:
        not_int = self.failing_get(grpc.StatusCode.FAILED_PRECONDITION, "NOT_AN_INTEGER: x",
                                   "ERROR_CODE_NOT_AN_INTEGER")
        self.assertIsInstance(not_int, ValueError)
        self.assertNotIsInstance(not_int, (KvIoError, ArithmeticError))
        out = self.failing_get(grpc.StatusCode.OUT_OF_RANGE, "OUT_OF_RANGE: x",
                               "ERROR_CODE_OUT_OF_RANGE")
        self.assertIsInstance(out, OverflowError)
        self.assertIsInstance(out, ArithmeticError)
        self.assertNotIsInstance(out, ValueError)
        failed = self.failing_get(grpc.StatusCode.ABORTED, "m", "ERROR_CODE_CONDITION_FAILED")
        self.assertNotIsInstance(failed, (ValueError, LookupError, OSError, ArithmeticError))

    def test_condition_failed_pickles_with_its_revision(self) -> None:
        self.fake.trailers = (("kv-current-revision", "42"), ("kv-failed-index", "1"))
        error = self.failing_get(grpc.StatusCode.ABORTED, "m", "ERROR_CODE_CONDITION_FAILED")
        copy = pickle.loads(pickle.dumps(error))
        self.assertIs(type(copy), ConditionFailedError)
        self.assertEqual((copy.current_revision, copy.failed_index, copy.message),
                         (42, 1, "m"))

    def test_not_found_tells_key_from_store(self) -> None:
        key = self.failing_get(grpc.StatusCode.NOT_FOUND, "x", "ERROR_CODE_NO_SUCH_KEY")
        store = self.failing_get(grpc.StatusCode.NOT_FOUND, "x", "ERROR_CODE_NO_SUCH_STORE")
        self.assertIsInstance(key, NoSuchKeyError)
        self.assertNotIsInstance(key, NoSuchStoreError)
        self.assertIsInstance(store, NoSuchStoreError)
        self.assertNotIsInstance(store, NoSuchKeyError)

    def test_backend_down_is_io_and_unavailable(self) -> None:
        error = self.failing_get(grpc.StatusCode.UNAVAILABLE, "IO: down", "ERROR_CODE_IO")
        self.assertIsInstance(error, KvIoError)
        self.assertIsInstance(error, BackendUnavailableError)
        self.assertTrue(error.is_unavailable)
        internal = self.failing_get(grpc.StatusCode.INTERNAL, "IO: corrupt", "ERROR_CODE_IO")
        self.assertNotIsInstance(internal, BackendUnavailableError)
        self.assertFalse(internal.is_unavailable)

    def test_absent_trailer_is_unspecified(self) -> None:
        error = self.failing_get(grpc.StatusCode.INTERNAL, "no trailer", None)
        self.assertIs(type(error), KvError)
        self.assertEqual(error.code, ErrorCode.UNSPECIFIED)
        self.assertEqual(error.grpc_code, grpc.StatusCode.INTERNAL)

    def test_unknown_trailer_is_unspecified(self) -> None:
        error = self.failing_get(grpc.StatusCode.NOT_FOUND, "future", "ERROR_CODE_FROM_THE_FUTURE")
        self.assertIs(type(error), KvError)
        self.assertEqual(error.code, ErrorCode.UNSPECIFIED)
        self.assertEqual(error.grpc_code, grpc.StatusCode.NOT_FOUND)

    def test_kvd_shutting_down_without_trailer(self) -> None:
        error = self.failing_get(grpc.StatusCode.UNAVAILABLE, "kvd is shutting down", None)
        self.assertIsInstance(error, KvdUnavailableError)
        self.assertNotIsInstance(error, KvIoError)
        self.assertTrue(error.is_unavailable)

    def test_parse_error_code(self) -> None:
        self.assertEqual(kvd_client.parse_error_code("ERROR_CODE_NO_SUCH_KEY"), ErrorCode.NO_SUCH_KEY)
        self.assertEqual(kvd_client.parse_error_code("ERROR_CODE_IO"), ErrorCode.IO)
        self.assertEqual(kvd_client.parse_error_code("NO_SUCH_KEY"), ErrorCode.UNSPECIFIED)
        self.assertEqual(kvd_client.parse_error_code(""), ErrorCode.UNSPECIFIED)
        self.assertEqual(kvd_client.parse_error_code(None), ErrorCode.UNSPECIFIED)

    def test_str_and_repr(self) -> None:
        error = self.failing_get(grpc.StatusCode.NOT_FOUND, 'NO_SUCH_KEY: key "k"', "ERROR_CODE_NO_SUCH_KEY")
        self.assertEqual(str(error), 'NO_SUCH_KEY: key "k" (NO_SUCH_KEY, gRPC NOT_FOUND)')
        self.assertIn("NoSuchKeyError(code=ErrorCode.NO_SUCH_KEY", repr(error))

    def test_timeout_is_deadline_exceeded(self) -> None:
        self.fake.delay = 2.0
        with Store.open("default", address=self.address, timeout=0.5) as store:
            with self.assertRaises(DeadlineExceededError) as caught:
                store.get("k")
        self.assertEqual(caught.exception.code, ErrorCode.UNSPECIFIED)
        self.assertEqual(caught.exception.grpc_code, grpc.StatusCode.DEADLINE_EXCEEDED)

    def test_unreachable_server_is_kvd_unavailable(self) -> None:
        with self.assertRaises(KvdUnavailableError) as caught:
            Store.open("default", address="unix:/nonexistent/kvd.sock", timeout=5)
        self.assertEqual(caught.exception.code, ErrorCode.UNSPECIFIED)
        self.assertEqual(caught.exception.grpc_code, grpc.StatusCode.UNAVAILABLE)

    def test_classes_also_derive_from_the_builtins(self) -> None:
        cases = [
            ("ERROR_CODE_NO_SUCH_KEY", grpc.StatusCode.NOT_FOUND, (KeyError, LookupError)),
            ("ERROR_CODE_NO_SUCH_STORE", grpc.StatusCode.NOT_FOUND, (LookupError,)),
            ("ERROR_CODE_ACCESS_DENIED", grpc.StatusCode.PERMISSION_DENIED,
             (PermissionError, OSError)),
            ("ERROR_CODE_IO", grpc.StatusCode.INVALID_ARGUMENT, (ValueError, KvIoError)),
            (None, grpc.StatusCode.UNAVAILABLE, (ConnectionError, OSError)),
            (None, grpc.StatusCode.DEADLINE_EXCEEDED, (TimeoutError, OSError)),
        ]
        for trailer, grpc_code, bases in cases:
            with self.subTest(trailer=trailer, grpc_code=grpc_code):
                error = self.failing_get(grpc_code, "m", trailer)
                for base in bases:
                    self.assertIsInstance(error, base)
                self.assertEqual(error.args, (error.code, grpc_code, error.message))
        store = self.failing_get(grpc.StatusCode.NOT_FOUND, "m", "ERROR_CODE_NO_SUCH_STORE")
        self.assertNotIsInstance(store, KeyError)
        for trailer in ("ERROR_CODE_STORE_TABLE_FULL", "ERROR_CODE_INVALID_STORE"):
            error = self.failing_get(grpc.StatusCode.INTERNAL, "m", trailer)
            self.assertNotIsInstance(error, (LookupError, OSError, ValueError))
        for code in (grpc.StatusCode.INTERNAL, grpc.StatusCode.UNAVAILABLE):
            io = self.failing_get(code, "m", "ERROR_CODE_IO")
            self.assertNotIsInstance(io, (ValueError, OSError))

    def test_except_keyerror_catches_a_missing_key(self) -> None:
        self.fake.failure = (grpc.StatusCode.NOT_FOUND, 'NO_SUCH_KEY: key "k"', "ERROR_CODE_NO_SUCH_KEY")
        with Store.open("default", address=self.address) as store:
            try:
                store.get("k")
            except KeyError as error:
                # Readable, unlike KeyError's str() of a quoted argument.
                self.assertEqual(str(error), 'NO_SUCH_KEY: key "k" (NO_SUCH_KEY, gRPC NOT_FOUND)')
            else:
                self.fail("no KeyError")

    def test_oserror_fields_mean_what_oserror_says(self) -> None:
        denied = self.failing_get(grpc.StatusCode.PERMISSION_DENIED, "ACCESS_DENIED: no",
                                  "ERROR_CODE_ACCESS_DENIED")
        self.assertEqual((denied.errno, denied.strerror, denied.filename),
                         (errno.EACCES, "ACCESS_DENIED: no", None))
        self.fake.delay = 2.0
        with Store.open("default", address=self.address, timeout=0.5) as store:
            with self.assertRaises(TimeoutError) as caught:
                store.get("k")
        self.assertEqual(caught.exception.errno, errno.ETIMEDOUT)

    def test_errors_pickle_as_themselves(self) -> None:
        error = self.failing_get(grpc.StatusCode.PERMISSION_DENIED, "ACCESS_DENIED: no",
                                 "ERROR_CODE_ACCESS_DENIED")
        copy = pickle.loads(pickle.dumps(error))
        self.assertIs(type(copy), AccessDeniedError)
        self.assertEqual((copy.code, copy.grpc_code, copy.message, copy.address, copy.errno),
                         (error.code, error.grpc_code, error.message, self.address, errno.EACCES))

    def test_per_call_timeout_overrides_the_store_default(self) -> None:
        self.fake.delay = 2.0
        with Store.open("default", address=self.address, timeout=0.5) as store:
            self.assertEqual(store.timeout, 0.5)
            with self.assertRaises(DeadlineExceededError):
                store.get("k")
            self.assertEqual(store.get("k", timeout=30), b"v:k")
            self.assertEqual(store.get("k", timeout=None), b"v:k")  # no deadline
        with Store.open("default", address=self.address, timeout=30) as store:
            with self.assertRaises(DeadlineExceededError) as caught:
                store.get("k", timeout=0.05)
            self.assertIn(self.address, caught.exception.message)

    def test_every_method_takes_timeout(self) -> None:
        self.fake.delay = 0.5
        with Store.open("default", address=self.address, timeout=30) as store:
            for name, args in [("get", ("k",)), ("get_json", ("k",))]:
                with self.subTest(method=name), self.assertRaises(DeadlineExceededError):
                    getattr(store, name)(*args, timeout=0.05)
        # The fake answers only Get slowly; the others must pass the
        # deadline through to gRPC: a deadline already short enough to
        # expire fails even against a fast server.
        with Store.open("default", address=self.address) as store:
            for name, args in [("set", ("k", b"v")), ("delete", ("k",)), ("exists", ("k",)),
                               ("get_keys", ()), ("set_json", ("k", 1)), ("close", ())]:
                with self.subTest(method=name):
                    with mock.patch.object(store, "_stub") as stub:
                        method = {"set": stub.Set, "set_json": stub.Set, "delete": stub.Delete,
                                  "exists": stub.Exists, "get_keys": stub.GetKeys,
                                  "close": stub.Close}[name]
                        getattr(store, name)(*args, timeout=1.25)
                        self.assertEqual(method.call_args.kwargs["timeout"], 1.25)
                        if name != "close":
                            getattr(store, name)(*args)
                            self.assertIsNone(method.call_args.kwargs["timeout"])

    def test_bad_timeouts_are_refused_by_name(self) -> None:
        with self.assertRaisesRegex(ValueError, r"timeout must be .*> 0.*got -1"):
            Store.open("default", address=self.address, timeout=-1)
        with Store.open("default", address=self.address) as store:
            for bad in (0, -0.5, float("inf"), float("nan")):
                with self.subTest(timeout=bad), self.assertRaisesRegex(ValueError, "timeout"):
                    store.get("k", timeout=bad)
            with self.assertRaisesRegex(TypeError, "timeout must be a number.*str '1'"):
                store.get("k", timeout="1")  # type: ignore[arg-type]
        self.assertEqual(self.fake.calls, ["Open", "Close"])

    def test_unreachable_tcp_port_names_the_address(self) -> None:
        # A bound socket that does not listen: connections are refused.
        with socket.socket() as closed:
            closed.bind(("127.0.0.1", 0))
            address = "127.0.0.1:%d" % closed.getsockname()[1]
            with self.assertRaises(KvdUnavailableError) as caught:
                Store.open("default", address=address, timeout=10)
        self.assertTrue(caught.exception.message.startswith(f"cannot reach kvd at {address}: "),
                        caught.exception.message)
        self.assertIn(address, str(caught.exception))
        self.assertEqual(caught.exception.address, address)

    def test_missing_unix_socket_names_the_address(self) -> None:
        address = "unix:/nonexistent/kvd-python-test.sock"
        with self.assertRaises(ConnectionError) as caught:
            Store.open("default", address=address, timeout=10)
        self.assertIn(f"cannot reach kvd at {address}", str(caught.exception))

    def test_shared_channel_errors_name_its_address(self) -> None:
        address = "unix:/nonexistent/kvd-python-shared.sock"
        with kvd_client.connect(address) as channel:
            with self.assertRaises(KvdUnavailableError) as caught:
                Store.open("default", channel=channel, timeout=10)
        self.assertEqual(caught.exception.address, address)
        # A channel made without connect(): the address is not known.
        with grpc.insecure_channel(address) as channel:
            with self.assertRaises(KvdUnavailableError) as caught:
                Store.open("default", channel=channel, timeout=10)
        self.assertIsNone(caught.exception.address)
        self.assertFalse(caught.exception.message.startswith("cannot reach kvd at"))

    def test_token_is_sent_as_bearer_metadata(self) -> None:
        with Store.open("default", address=self.address, token="s3cret") as store:
            store.get("k")
        self.assertEqual(self.fake.calls, ["Open", "Get", "Close"])
        for metadata in self.fake.metadata:
            self.assertIn(("authorization", "Bearer s3cret"), metadata)

    def test_no_token_no_authorization(self) -> None:
        with Store.open("default", address=self.address) as store:
            store.get("k")
        for metadata in self.fake.metadata:
            self.assertNotIn("authorization", dict(metadata))

    def test_address_defaults_to_kvd_addr(self) -> None:
        with mock.patch.dict(os.environ, {"KVD_ADDR": self.address}):
            self.assertEqual(kvd_client.default_address(), self.address)
            with Store.open_default() as store:
                self.assertEqual(store.name, "default")
                self.assertEqual(store.handle, 7)
                self.assertEqual(store.get("k"), b"v:k")
        with mock.patch.dict(os.environ, {"KVD_ADDR": ""}):
            self.assertEqual(kvd_client.default_address(), "127.0.0.1:50051")

    def test_closed_store_raises_invalid_store_without_a_call(self) -> None:
        store = Store.open("default", address=self.address)
        store.close()
        store.close()
        self.assertTrue(store.closed)
        with self.assertRaises(InvalidStoreError) as caught:
            store.get("k")
        self.assertEqual(caught.exception.code, ErrorCode.INVALID_STORE)
        self.assertEqual(caught.exception.grpc_code, grpc.StatusCode.FAILED_PRECONDITION)
        self.assertEqual(self.fake.calls, ["Open", "Close"])

    def test_shared_channel_survives_store_close(self) -> None:
        with kvd_client.connect(self.address) as channel:
            with Store.open("default", channel=channel) as first:
                first.get("a")
            with Store.open("default", channel=channel) as second:
                self.assertEqual(second.get("b"), b"v:b")

    def test_set_rejects_str_values(self) -> None:
        with Store.open("default", address=self.address) as store:
            with self.assertRaises(TypeError):
                store.set("k", "not bytes")  # type: ignore[arg-type]

    def test_tls_options_make_a_secure_channel(self) -> None:
        with mock.patch.object(grpc, "ssl_channel_credentials", wraps=grpc.ssl_channel_credentials) as creds, \
             mock.patch.object(grpc, "secure_channel", wraps=grpc.secure_channel) as secure:
            channel = kvd_client.connect("127.0.0.1:1", root_certificates=b"ROOTS",
                                         certificate_chain=b"CHAIN", private_key=b"KEY")
            channel.close()
        creds.assert_called_once_with(root_certificates=b"ROOTS", private_key=b"KEY",
                                      certificate_chain=b"CHAIN")
        secure.assert_called_once()


if __name__ == "__main__":
    unittest.main()
