"""kvd_client for asyncio: the same Store as :class:`kvd_client.Store`, on
``grpc.aio``, with every call a coroutine.

Example::

    import asyncio
    from kvd_client import aio

    async def main() -> None:
        async with aio.Store.open("default") as store:   # $KVD_ADDR, else 127.0.0.1:50051
            await store.set("greeting", b"hello")
            print(await store.get("greeting"))

    asyncio.run(main())

Names, arguments, return values and errors are those of the blocking API:
the same :class:`~kvd_client.KvError` subclasses (import them from
``kvd_client``), the same ``timeout=`` on every call. ``Store.open(...)`` is
both awaitable (``store = await aio.Store.open("default")``) and an async
context manager (``async with aio.Store.open("default") as store:``, which
closes the store at the end of the block). ``list_keys`` is the one method
that is not a coroutine: it returns an async iterator
(``async for key in store.list_keys("user/"):``).

A store and its channel belong to the event loop they were opened on (a
``grpc.aio`` rule); within that loop any number of tasks may use one store
at the same time.
"""

from __future__ import annotations

import asyncio
import random
from types import TracebackType
from typing import Any, AsyncIterator, Awaitable, Callable, Coroutine, Generator, Iterable, \
    List, Optional, Sequence, Tuple, Type, TypeVar

import grpc
import grpc.aio

from kvd_client import _common, _requests, _update
from kvd_client._common import STORE_DEFAULT, Timeout, default_address
from kvd_client.errors import NoSuchKeyError, from_rpc_error
from kvd_client.kv.v1 import kv_pb2, kv_pb2_grpc
from kvd_client.records import Entry, IncrementResult, KeyPage, StoreDescription, Ttl

__all__ = ["Store", "connect"]

_T = TypeVar("_T")


def connect(
    address: Optional[str] = None,
    *,
    tls: bool = False,
    root_certificates: Optional[bytes] = None,
    certificate_chain: Optional[bytes] = None,
    private_key: Optional[bytes] = None,
    max_receive_message_length: Optional[int] = None,
) -> grpc.aio.Channel:
    """Opens a ``grpc.aio`` channel to kvd, to share between several stores.

    Takes the arguments of :func:`kvd_client.connect`. Close it with
    ``await channel.close()``, or use ``async with connect(...) as channel:``.
    """
    target = address or default_address()
    options = _common.channel_options(max_receive_message_length)
    credentials = _common.channel_credentials(tls, root_certificates, certificate_chain,
                                              private_key)
    if credentials is not None:
        channel = grpc.aio.secure_channel(target, credentials, options=options)
    else:
        channel = grpc.aio.insecure_channel(target, options=options)
    _common.remember_address(channel, target)
    return channel


class Store(_common.StoreState):
    """An open kvd store for asyncio; see :class:`kvd_client.Store`.

    Get one with ``await Store.open(name)`` or ``async with
    Store.open(name) as store:``. Every method is a coroutine and takes
    ``timeout=`` (seconds for that call, overriding the store's ``timeout``;
    ``None`` for no deadline). After :meth:`close`, every call raises
    :class:`~kvd_client.InvalidStoreError`.
    """

    _REPR_NAME = "kvd_client.aio.Store"

    # update()'s backoff sleep and jitter source; tests replace them on an
    # instance so that nothing really sleeps.
    _sleep: Callable[[float], Awaitable[Any]] = staticmethod(asyncio.sleep)
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
        channel: Optional[grpc.aio.Channel] = None,
    ) -> "OpeningStore":
        """Opens the named store: ``await`` the result, or ``async with`` it.

        Takes the arguments of :meth:`kvd_client.Store.open` (``channel`` is a
        ``grpc.aio`` channel, e.g. from :func:`connect`) and raises the same
        errors when awaited. ``timeout`` is checked at once (ValueError,
        TypeError).
        """
        timeout = _common.check_timeout(timeout)
        return OpeningStore(cls._open(
            name, address=address, timeout=timeout, token=token, tls=tls,
            root_certificates=root_certificates, certificate_chain=certificate_chain,
            private_key=private_key, max_receive_message_length=max_receive_message_length,
            channel=channel))

    @classmethod
    def open_default(cls, **options: Any) -> "OpeningStore":
        """Opens the ``"default"`` store; takes the options of :meth:`open`."""
        return cls.open("default", **options)

    @classmethod
    async def _open(
        cls,
        name: str,
        *,
        address: Optional[str],
        timeout: Optional[float],
        token: Optional[str],
        tls: bool,
        root_certificates: Optional[bytes],
        certificate_chain: Optional[bytes],
        private_key: Optional[bytes],
        max_receive_message_length: Optional[int],
        channel: Optional[grpc.aio.Channel],
    ) -> "Store":
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
            response = await _invoke(stub.Open, kv_pb2.OpenRequest(name=name), timeout,
                                     metadata, target)
        except BaseException:
            if owns_channel:
                await channel.close()
            raise
        return cls(channel, response.store, name, owns_channel=owns_channel,
                   timeout=timeout, metadata=metadata, address=target)

    async def get(self, key: str, *, timeout: Timeout = STORE_DEFAULT) -> bytes:
        """Returns the value of ``key``; NoSuchKeyError if there is none."""
        response = await self._call(self._stub.Get,
                                    kv_pb2.GetRequest(store=self._handle, key=key), timeout)
        return response.value

    async def get_entry(self, key: str, *, timeout: Timeout = STORE_DEFAULT) -> Entry:
        """``key``'s value with its revision and expire time; see
        :meth:`kvd_client.Store.get_entry`."""
        response = await self._call(self._stub.Get,
                                    kv_pb2.GetRequest(store=self._handle, key=key), timeout)
        return _requests.got_entry(key, response)

    async def set(self, key: str, value: bytes, *, if_revision: Optional[int] = None,
                  ttl: Optional[Ttl] = None, timeout: Timeout = STORE_DEFAULT) -> int:
        """Stores ``value`` under ``key`` (conditionally with ``if_revision``,
        expiring after ``ttl``) and returns the revision written; see
        :meth:`kvd_client.Store.set`."""
        request = _requests.set_request(self._handle, key, value, if_revision, ttl)
        return (await self._call(self._stub.Set, request, timeout)).revision

    async def delete(self, key: str, *, if_revision: Optional[int] = None,
                     timeout: Timeout = STORE_DEFAULT) -> int:
        """Removes ``key``; returns the delete's revision, 0 if there was
        nothing to delete. See :meth:`kvd_client.Store.delete`."""
        request = _requests.delete_request(self._handle, key, if_revision)
        return (await self._call(self._stub.Delete, request, timeout)).revision

    async def exists(self, key: str, *, timeout: Timeout = STORE_DEFAULT) -> bool:
        """Whether ``key`` has a value in the store."""
        response = await self._call(self._stub.Exists,
                                    kv_pb2.ExistsRequest(store=self._handle, key=key), timeout)
        return response.exists

    async def get_keys(self, *, timeout: Timeout = STORE_DEFAULT) -> List[str]:
        """Every key in the store, in byte order."""
        response = await self._call(self._stub.GetKeys,
                                    kv_pb2.GetKeysRequest(store=self._handle), timeout)
        return list(response.keys)

    def list_keys(self, prefix: str = "", page_size: int = 0, *,
                  timeout: Timeout = STORE_DEFAULT) -> AsyncIterator[str]:
        """The keys that start with ``prefix``, in byte order, a page at a
        time: an async iterator (not a coroutine)::

            async for key in store.list_keys("session/", page_size=500):
                ...

        Nothing is sent until the first key is awaited; each next page is
        fetched only when the keys of the one before are used up. See
        :meth:`kvd_client.Store.list_keys`. A wrong argument type raises at
        once (TypeError)."""
        _requests.list_keys_request(self._handle, prefix, page_size, "")
        _common.resolve_timeout(timeout, self._timeout)  # a bad timeout fails now
        return self._list_keys(prefix, page_size, timeout)

    async def _list_keys(self, prefix: str, page_size: int,
                         timeout: Timeout) -> AsyncIterator[str]:
        token = ""
        while True:
            page = await self.list_keys_page(prefix, page_size, token, timeout=timeout)
            for key in page.keys:
                yield key
            if not page.next_page_token:
                return
            token = page.next_page_token

    async def list_keys_page(self, prefix: str = "", page_size: int = 0, page_token: str = "",
                             *, timeout: Timeout = STORE_DEFAULT) -> KeyPage:
        """One page, ``(keys, next_page_token)``; see
        :meth:`kvd_client.Store.list_keys_page`."""
        request = _requests.list_keys_request(self._handle, prefix, page_size, page_token)
        return _requests.key_page(await self._call(self._stub.ListKeys, request, timeout))

    async def get_json(self, key: str, *, timeout: Timeout = STORE_DEFAULT) -> Any:
        """The value of ``key`` decoded as UTF-8 JSON (ValueError if it is not)."""
        return _common.decode_json(await self.get(key, timeout=timeout))

    async def set_json(self, key: str, value: Any, *, if_revision: Optional[int] = None,
                       ttl: Optional[Ttl] = None, timeout: Timeout = STORE_DEFAULT) -> int:
        """Stores ``value`` under ``key`` as compact UTF-8 JSON; returns the
        revision written. ``if_revision`` and ``ttl`` as for :meth:`set`."""
        return await self.set(key, _common.encode_json(value), if_revision=if_revision,
                              ttl=ttl, timeout=timeout)

    async def increment(self, key: str, delta: int = 1, *,
                        timeout: Timeout = STORE_DEFAULT) -> int:
        """Adds ``delta`` to the counter under ``key`` atomically; returns the
        new value. See :meth:`kvd_client.Store.increment`."""
        return (await self.increment_entry(key, delta, timeout=timeout)).value

    async def increment_entry(self, key: str, delta: int = 1, *,
                              timeout: Timeout = STORE_DEFAULT) -> IncrementResult:
        """:meth:`increment`, returning the new value and its revision."""
        request = kv_pb2.IncrementRequest(store=self._handle, key=key,
                                          delta=_requests.check_delta(delta))
        return _requests.increment_result(
            await self._call(self._stub.Increment, request, timeout))

    async def get_many(self, keys: Iterable[str], *,
                       timeout: Timeout = STORE_DEFAULT) -> List[Entry]:
        """One :class:`Entry` per key, in order, from one snapshot; see
        :meth:`kvd_client.Store.get_many`."""
        request = kv_pb2.GetManyRequest(store=self._handle,
                                        keys=_requests.check_keys(keys, "get_many"))
        return _requests.entries(await self._call(self._stub.GetMany, request, timeout))

    async def set_many(self, entries: _requests.SetManyEntries, *,
                       timeout: Timeout = STORE_DEFAULT) -> List[int]:
        """Writes entries atomically; returns their revisions. See
        :meth:`kvd_client.Store.set_many`."""
        request = _requests.set_many_request(self._handle, entries)
        return list((await self._call(self._stub.SetMany, request, timeout)).revisions)

    async def delete_many(self, keys: Iterable[str], *,
                          timeout: Timeout = STORE_DEFAULT) -> List[int]:
        """Removes keys atomically; returns each delete's revision (0: absent)."""
        request = kv_pb2.DeleteManyRequest(store=self._handle,
                                           keys=_requests.check_keys(keys, "delete_many"))
        return list((await self._call(self._stub.DeleteMany, request, timeout)).revisions)

    async def describe(self, *, timeout: Timeout = STORE_DEFAULT) -> StoreDescription:
        """What the store is and can do; see :meth:`kvd_client.Store.describe`."""
        response = await self._call(self._stub.Describe,
                                    kv_pb2.DescribeRequest(store=self._handle), timeout)
        return _requests.description(response)

    async def update(self, key: str, fn: Callable[[Optional[bytes]], Any], *,
                     max_attempts: int = _update.DEFAULT_MAX_ATTEMPTS,
                     ttl: Optional[Ttl] = None, timeout: Timeout = STORE_DEFAULT) -> int:
        """Read-modify-write of ``key`` with retries on conflict; returns the
        revision written. See :meth:`kvd_client.Store.update`; here ``fn``
        may also be a coroutine function (its result is awaited), and the
        backoff is an ``asyncio.sleep``, so other tasks run meanwhile."""
        attempts = _update.check_max_attempts(max_attempts)
        _common.resolve_timeout(timeout, self._timeout)  # a bad timeout fails first
        _requests.ttl_duration(ttl)  # and so does a bad ttl

        async def read() -> Optional[Entry]:
            try:
                return await self.get_entry(key, timeout=timeout)
            except NoSuchKeyError:
                return None

        async def write(value: Any, if_revision: int) -> int:
            return await self.set(key, value, if_revision=if_revision, ttl=ttl,
                                  timeout=timeout)

        return await _update.run_update_async(read, fn, write, attempts, self._sleep,
                                              self._random)

    async def close(self, *, timeout: Timeout = STORE_DEFAULT) -> None:
        """Releases the handle on kvd and closes the store's own channel.

        Closing twice is not an error. Calls after close raise
        :class:`~kvd_client.InvalidStoreError`.
        """
        if self._closed:
            return
        deadline = _common.resolve_timeout(timeout, self._timeout)
        self._closed = True
        try:
            await _invoke(self._stub.Close, kv_pb2.CloseRequest(store=self._handle),
                          deadline, self._metadata, self._address)
        finally:
            if self._owns_channel:
                await self._channel.close()

    async def __aenter__(self) -> "Store":
        return self

    async def __aexit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        await self.close()

    async def _call(self, method: Callable[..., Awaitable[_T]], request: Any,
                    timeout: Timeout) -> _T:
        deadline = _common.resolve_timeout(timeout, self._timeout)
        if self._closed:
            raise _common.closed_store_error(self._handle, self._name, self._address)
        return await _invoke(method, request, deadline, self._metadata, self._address)


class OpeningStore(Awaitable[Store]):
    """What :meth:`Store.open` returns: await it for the :class:`Store`, or
    use it in ``async with``, which closes the store when the block ends."""

    def __init__(self, opening: Coroutine[Any, Any, Store]) -> None:
        self._opening = opening
        self._store: Optional[Store] = None

    def __await__(self) -> Generator[Any, None, Store]:
        return self._opening.__await__()

    async def __aenter__(self) -> Store:
        self._store = await self._opening
        return self._store

    async def __aexit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        if self._store is not None:
            await self._store.close()


async def _invoke(method: Callable[..., Awaitable[_T]], request: Any, timeout: Optional[float],
                  metadata: Sequence[Tuple[str, str]], address: Optional[str]) -> _T:
    """Awaits a unary ``grpc.aio`` stub call, turning grpc.RpcError into KvError."""
    try:
        return await method(request, timeout=timeout,
                            metadata=_common.metadata_or_none(metadata))
    except grpc.RpcError as error:
        raise from_rpc_error(error, address=address) from None
