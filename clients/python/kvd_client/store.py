"""The kvd store: Spin's key-value API (``spin_sdk.key_value``) over gRPC."""

from __future__ import annotations

import random
import time
from types import TracebackType
from typing import Any, Callable, Iterable, Iterator, List, Optional, Sequence, Tuple, Type, \
    TypeVar

import grpc

from kvd_client import _common, _requests, _update
from kvd_client._common import (  # re-exported (see __all__), as before
    DEFAULT_ADDRESS,
    STORE_DEFAULT,
    Timeout,
    default_address,
)
from kvd_client.errors import NoSuchKeyError, from_rpc_error
from kvd_client.kv.v1 import kv_pb2, kv_pb2_grpc
from kvd_client.records import Entry, IncrementResult, KeyPage, StoreDescription, Ttl

__all__ = ["DEFAULT_ADDRESS", "STORE_DEFAULT", "Store", "Timeout", "connect", "default_address"]

_T = TypeVar("_T")


def connect(
    address: Optional[str] = None,
    *,
    tls: bool = False,
    root_certificates: Optional[bytes] = None,
    certificate_chain: Optional[bytes] = None,
    private_key: Optional[bytes] = None,
    max_receive_message_length: Optional[int] = None,
) -> grpc.Channel:
    """Opens a gRPC channel to kvd, to share between several stores.

    Args:
        address: ``host:port`` or ``unix:/path``; default :func:`default_address`.
        tls: use TLS with the system's root certificates. Implied when any of
            the three PEM arguments is given.
        root_certificates: PEM root certificates to verify kvd's certificate.
        certificate_chain: PEM client certificate chain, for mutual TLS.
        private_key: PEM private key of the client certificate.
        max_receive_message_length: the largest response accepted, in bytes
            (gRPC's default is 4 MiB); raise it if kvd allows larger values.
    """
    target = address or default_address()
    options = _common.channel_options(max_receive_message_length)
    credentials = _common.channel_credentials(tls, root_certificates, certificate_chain,
                                              private_key)
    if credentials is not None:
        channel = grpc.secure_channel(target, credentials, options=options)
    else:
        channel = grpc.insecure_channel(target, options=options)
    _common.remember_address(channel, target)
    return channel


class Store(_common.StoreState):
    """An open kvd store, like ``spin_sdk.key_value.Store``.

    Get one with :meth:`open` or :meth:`open_default`; release it with
    :meth:`close`, or use it as a context manager::

        with Store.open("default") as store:
            store.set("greeting", b"hello")

    Every failed call raises a :class:`~kvd_client.KvError` subclass. After
    :meth:`close`, every call raises :class:`~kvd_client.InvalidStoreError`.
    Every method takes ``timeout=``: seconds for that call, overriding the
    store's ``timeout``; ``None`` for no deadline. A Store is safe to use
    from several threads. :mod:`kvd_client.aio` has the same Store for asyncio.
    """

    _REPR_NAME = "kvd_client.Store"

    # update()'s backoff sleep and jitter source; tests replace them on an
    # instance so that nothing really sleeps.
    _sleep: Callable[[float], Any] = staticmethod(time.sleep)
    _random: Callable[[], float] = staticmethod(random.random)

    @classmethod
    def open(
        cls,
        name: str,
        *,
        address: Optional[str] = None,
        timeout: Optional[float] = None,
        token: Optional[str] = None,
        tls: bool = False,
        root_certificates: Optional[bytes] = None,
        certificate_chain: Optional[bytes] = None,
        private_key: Optional[bytes] = None,
        max_receive_message_length: Optional[int] = None,
        channel: Optional[grpc.Channel] = None,
    ) -> "Store":
        """Opens the named store.

        Args:
            name: ``"default"`` or a store defined in kvd's runtime config.
            address: ``host:port`` or ``unix:/path``; default ``$KVD_ADDR``,
                else ``127.0.0.1:50051``. Ignored if ``channel`` is given.
            timeout: the deadline of every call of this store (this open
                included), in seconds; ``None`` for no deadline. Each call's
                own ``timeout=`` overrides it.
            token: sent with every call as ``authorization: Bearer <token>``.
            tls, root_certificates, certificate_chain, private_key,
            max_receive_message_length: see :func:`connect`. Ignored if
                ``channel`` is given.
            channel: a channel from :func:`connect` to share with other
                stores. The store does not close it; by default each store
                opens (and closes) a channel of its own.

        Raises:
            NoSuchStoreError: the store is not defined.
            AccessDeniedError: the caller may not use the store.
            StoreTableFullError: the caller holds too many open handles.
            BackendUnavailableError: the store's backend cannot be opened.
            KvError: any other failure, e.g. kvd unreachable
                (:class:`KvdUnavailableError`, whose message names the
                address).
            ValueError, TypeError: ``timeout`` is not ``None`` or seconds > 0.
        """
        timeout = _common.check_timeout(timeout)
        owns_channel = channel is None
        if channel is None:
            channel = connect(
                address,
                tls=tls,
                root_certificates=root_certificates,
                certificate_chain=certificate_chain,
                private_key=private_key,
                max_receive_message_length=max_receive_message_length,
            )
        metadata = _common.bearer_metadata(token)
        target = _common.address_of(channel)
        try:
            stub = kv_pb2_grpc.KeyValueStub(channel)
            response = _invoke(stub.Open, kv_pb2.OpenRequest(name=name), timeout, metadata,
                               target)
        except BaseException:
            if owns_channel:
                channel.close()
            raise
        return cls(channel, response.store, name, owns_channel=owns_channel,
                   timeout=timeout, metadata=metadata, address=target)

    @classmethod
    def open_default(cls, **options: Any) -> "Store":
        """Opens the ``"default"`` store; takes the options of :meth:`open`."""
        return cls.open("default", **options)

    def get(self, key: str, *, timeout: Timeout = STORE_DEFAULT) -> bytes:
        """Returns the value of ``key``.

        Raises:
            NoSuchKeyError: the key does not exist (also a KeyError).
        """
        return self._call(self._stub.Get, kv_pb2.GetRequest(store=self._handle, key=key),
                          timeout).value

    def get_entry(self, key: str, *, timeout: Timeout = STORE_DEFAULT) -> Entry:
        """Returns ``key``'s value with its revision and expiry, as an
        :class:`Entry` (``.value``, ``.revision``, ``.expire_time``: an aware
        UTC datetime, or ``None`` if the key does not expire).

        Raises:
            NoSuchKeyError: the key does not exist (also a KeyError).
        """
        response = self._call(self._stub.Get, kv_pb2.GetRequest(store=self._handle, key=key),
                              timeout)
        return _requests.got_entry(key, response)

    def set(self, key: str, value: bytes, *, if_revision: Optional[int] = None,
            ttl: Optional[Ttl] = None, timeout: Timeout = STORE_DEFAULT) -> int:
        """Stores ``value`` under ``key``, replacing any previous value, and
        returns the revision this write gave the key.

        Returns once the write is durable. ``key`` is non-empty UTF-8 of at
        most 256 bytes and ``value`` at most 1 MiB, unless kvd raises the
        limits; larger ones raise :class:`InvalidArgumentError` (a
        :class:`KvIoError` with gRPC INVALID_ARGUMENT, and a ValueError).

        With ``if_revision``, the write applies only if the key's current
        revision equals it; ``if_revision=0`` only if the key is absent
        (create-only). Otherwise nothing is written and
        :class:`ConditionFailedError` is raised, whose ``current_revision``
        is the key's revision (0: absent).

        With ``ttl`` (a :class:`datetime.timedelta`, or seconds as an int or
        a float), the key expires that long after the write, by the
        backend's clock, to the millisecond: from then on every read treats
        it as absent. It must be from 1 ms to the store's ``max_ttl``
        (``describe()``; 10 years by default), else kvd raises
        :class:`InvalidArgumentError`. Without ``ttl`` the key never expires,
        and an expiry it had is cleared.
        """
        request = _requests.set_request(self._handle, key, value, if_revision, ttl)
        return self._call(self._stub.Set, request, timeout).revision

    def delete(self, key: str, *, if_revision: Optional[int] = None,
               timeout: Timeout = STORE_DEFAULT) -> int:
        """Removes ``key``; deleting a key that does not exist succeeds.

        Returns the revision of the delete, or 0 if there was nothing to
        delete. With ``if_revision``, it applies only if the key's current
        revision equals it (else :class:`ConditionFailedError`), as for
        :meth:`set`.
        """
        request = _requests.delete_request(self._handle, key, if_revision)
        return self._call(self._stub.Delete, request, timeout).revision

    def exists(self, key: str, *, timeout: Timeout = STORE_DEFAULT) -> bool:
        """Whether ``key`` has a value in the store."""
        return self._call(self._stub.Exists, kv_pb2.ExistsRequest(store=self._handle, key=key),
                          timeout).exists

    def get_keys(self, *, timeout: Timeout = STORE_DEFAULT) -> List[str]:
        """Every key in the store, in byte order, in one response (a store
        too big for one fails with RESOURCE_EXHAUSTED; :meth:`list_keys`
        pages instead)."""
        return list(self._call(self._stub.GetKeys, kv_pb2.GetKeysRequest(store=self._handle),
                               timeout).keys)

    def list_keys(self, prefix: str = "", page_size: int = 0, *,
                  timeout: Timeout = STORE_DEFAULT) -> Iterator[str]:
        """The keys that start with ``prefix`` (all keys if empty), in byte
        order, fetched a page at a time as the iteration reaches them::

            for key in store.list_keys("session/", page_size=500):
                ...

        Returns a generator: nothing is sent until the first key is asked
        for, and each next page (``page_size`` keys; 0 means kvd's default
        of 1,000) is fetched only when the keys of the one before are used
        up, so memory holds one page. ``timeout`` applies to each page.

        Every key that exists from the first page to the last is returned
        exactly once, expired keys never; keys set or deleted meanwhile may
        or may not be. Errors are raised from the iteration: e.g.
        :class:`InvalidArgumentError` for a negative ``page_size``. A wrong
        argument type raises at once (TypeError).
        """
        _requests.list_keys_request(self._handle, prefix, page_size, "")
        _common.resolve_timeout(timeout, self._timeout)  # a bad timeout fails now
        return self._list_keys(prefix, page_size, timeout)

    def _list_keys(self, prefix: str, page_size: int, timeout: Timeout) -> Iterator[str]:
        token = ""
        while True:
            page = self.list_keys_page(prefix, page_size, token, timeout=timeout)
            yield from page.keys
            if not page.next_page_token:
                return
            token = page.next_page_token

    def list_keys_page(self, prefix: str = "", page_size: int = 0, page_token: str = "", *,
                       timeout: Timeout = STORE_DEFAULT) -> KeyPage:
        """One page of :meth:`list_keys`, for callers who page themselves:
        returns a :class:`KeyPage` ``(keys, next_page_token)``. Pass
        ``page_token=""`` for the first page, then each ``next_page_token``
        with the same ``prefix``; an empty ``next_page_token`` means there
        are no more. A page may hold fewer than ``page_size`` keys and still
        not be the last. Tokens are kvd's and opaque; one from another store
        or prefix raises :class:`InvalidArgumentError`.
        """
        request = _requests.list_keys_request(self._handle, prefix, page_size, page_token)
        return _requests.key_page(self._call(self._stub.ListKeys, request, timeout))

    def get_json(self, key: str, *, timeout: Timeout = STORE_DEFAULT) -> Any:
        """Returns the value of ``key`` decoded as UTF-8 JSON.

        Raises:
            NoSuchKeyError: the key does not exist.
            ValueError: the value is not valid JSON.
        """
        return _common.decode_json(self.get(key, timeout=timeout))

    def set_json(self, key: str, value: Any, *, if_revision: Optional[int] = None,
                 ttl: Optional[Ttl] = None, timeout: Timeout = STORE_DEFAULT) -> int:
        """Stores ``value`` under ``key`` as compact UTF-8 JSON; returns the
        revision written. ``if_revision`` and ``ttl`` as for :meth:`set`."""
        return self.set(key, _common.encode_json(value), if_revision=if_revision, ttl=ttl,
                        timeout=timeout)

    def increment(self, key: str, delta: int = 1, *, timeout: Timeout = STORE_DEFAULT) -> int:
        """Adds ``delta`` (an int64, may be negative) to the counter under
        ``key``, atomically, and returns its new value. A missing key counts
        as 0; the value is stored as decimal text (``get`` returns
        ``b"42"``). :meth:`increment_entry` also returns the revision.

        Raises:
            NotAnIntegerError: the value is not a decimal int64 (unchanged).
            OutOfRangeError: the result does not fit in an int64 (the value
                is unchanged).
        """
        return self.increment_entry(key, delta, timeout=timeout).value

    def increment_entry(self, key: str, delta: int = 1, *,
                        timeout: Timeout = STORE_DEFAULT) -> IncrementResult:
        """:meth:`increment`, returning the new value and the revision the
        increment gave the key."""
        request = kv_pb2.IncrementRequest(store=self._handle, key=key,
                                          delta=_requests.check_delta(delta))
        return _requests.increment_result(self._call(self._stub.Increment, request, timeout))

    def get_many(self, keys: Iterable[str], *, timeout: Timeout = STORE_DEFAULT) -> List[Entry]:
        """Reads ``keys`` from one consistent snapshot: one :class:`Entry` per
        key, in the order given; a missing key is an Entry with ``found``
        False. A key given twice, or more keys than the store's
        ``max_batch_entries``, raise :class:`InvalidArgumentError`."""
        request = kv_pb2.GetManyRequest(store=self._handle,
                                        keys=_requests.check_keys(keys, "get_many"))
        return _requests.entries(self._call(self._stub.GetMany, request, timeout))

    def set_many(self, entries: _requests.SetManyEntries, *,
                 timeout: Timeout = STORE_DEFAULT) -> List[int]:
        """Writes several entries atomically: all of them or none. Returns
        the revision of each, in order (increasing).

        ``entries``: a mapping of keys to values, or an iterable of
        :class:`SetEntry` or ``(key, value)`` / ``(key, value, if_revision)``
        / ``(key, value, if_revision, ttl)`` tuples; an entry's ``ttl`` is as
        for :meth:`set` (``None``: never expires). If any entry's
        ``if_revision`` does not match, nothing is
        written and :class:`ConditionFailedError` is raised, naming the first
        failing key, with its ``current_revision`` and ``failed_index``. A key
        given twice raises :class:`InvalidArgumentError`.
        """
        request = _requests.set_many_request(self._handle, entries)
        return list(self._call(self._stub.SetMany, request, timeout).revisions)

    def delete_many(self, keys: Iterable[str], *,
                    timeout: Timeout = STORE_DEFAULT) -> List[int]:
        """Removes several keys atomically. Returns, per key in order, the
        revision of its delete, or 0 if it did not exist."""
        request = kv_pb2.DeleteManyRequest(store=self._handle,
                                           keys=_requests.check_keys(keys, "delete_many"))
        return list(self._call(self._stub.DeleteMany, request, timeout).revisions)

    def describe(self, *, timeout: Timeout = STORE_DEFAULT) -> StoreDescription:
        """What the store is and can do: its driver, durability, limits,
        current revision and capabilities (a :class:`StoreDescription`)."""
        response = self._call(self._stub.Describe,
                              kv_pb2.DescribeRequest(store=self._handle), timeout)
        return _requests.description(response)

    def update(self, key: str, fn: Callable[[Optional[bytes]], bytes], *,
               max_attempts: int = _update.DEFAULT_MAX_ATTEMPTS, ttl: Optional[Ttl] = None,
               timeout: Timeout = STORE_DEFAULT) -> int:
        """Read-modify-write of ``key`` without losing a concurrent write;
        returns the revision written.

        Reads the key and its revision, calls ``fn(value)`` (``value`` is
        ``None`` if the key is absent) and writes its result (bytes) with
        ``if_revision``. If another write came in between
        (CONDITION_FAILED), waits a jittered backoff (10 ms, doubling up to
        1 s) and starts again, at most ``max_attempts`` times in all; then
        raises the last :class:`ConditionFailedError`. ``fn`` may be called
        several times, so it should only compute. An exception from ``fn``,
        or any other error, ends the update at once. ``timeout`` applies to
        each call. The write carries ``ttl`` as :meth:`set` does (without
        it, the key's expiry is cleared).
        """
        attempts = _update.check_max_attempts(max_attempts)
        _common.resolve_timeout(timeout, self._timeout)  # a bad timeout fails first
        _requests.ttl_duration(ttl)  # and so does a bad ttl

        def read() -> Optional[Entry]:
            try:
                return self.get_entry(key, timeout=timeout)
            except NoSuchKeyError:
                return None

        def write(value: Any, if_revision: int) -> int:
            return self.set(key, value, if_revision=if_revision, ttl=ttl, timeout=timeout)

        return _update.run_update(read, fn, write, attempts, self._sleep, self._random)

    def close(self, *, timeout: Timeout = STORE_DEFAULT) -> None:
        """Releases the handle on kvd and closes the store's own channel.

        Closing twice is not an error. Calls after close raise
        :class:`InvalidStoreError`.
        """
        if self._closed:
            return
        deadline = _common.resolve_timeout(timeout, self._timeout)
        self._closed = True
        try:
            _invoke(self._stub.Close, kv_pb2.CloseRequest(store=self._handle),
                    deadline, self._metadata, self._address)
        finally:
            if self._owns_channel:
                self._channel.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        self.close()

    def _call(self, method: Callable[..., _T], request: Any, timeout: Timeout) -> _T:
        deadline = _common.resolve_timeout(timeout, self._timeout)
        if self._closed:
            raise _common.closed_store_error(self._handle, self._name, self._address)
        return _invoke(method, request, deadline, self._metadata, self._address)


def _invoke(method: Callable[..., _T], request: Any, timeout: Optional[float],
            metadata: Sequence[Tuple[str, str]], address: Optional[str]) -> _T:
    """Calls a unary stub method, turning grpc.RpcError into KvError."""
    try:
        return method(request, timeout=timeout, metadata=_common.metadata_or_none(metadata))
    except grpc.RpcError as error:
        raise from_rpc_error(error, address=address) from None
