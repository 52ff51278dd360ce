"""The kvd store: Spin's key-value API (``spin_sdk.key_value``) over gRPC."""

from __future__ import annotations

from types import TracebackType
from typing import Any, Callable, List, Optional, Sequence, Tuple, Type, TypeVar

import grpc

from kvd_client import _common
from kvd_client._common import (  # re-exported (see __all__), as before
    DEFAULT_ADDRESS,
    STORE_DEFAULT,
    Timeout,
    default_address,
)
from kvd_client.errors import from_rpc_error
from kvd_client.kv.v1 import kv_pb2, kv_pb2_grpc

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

    def set(self, key: str, value: bytes, *, timeout: Timeout = STORE_DEFAULT) -> None:
        """Stores ``value`` under ``key``, replacing any previous value.

        Returns once the write is durable. ``key`` is non-empty UTF-8 of at
        most 256 bytes and ``value`` at most 1 MiB, unless kvd raises the
        limits; larger ones raise :class:`InvalidArgumentError` (a
        :class:`KvIoError` with gRPC INVALID_ARGUMENT, and a ValueError).
        """
        data = _common.check_value(value)
        self._call(self._stub.Set, kv_pb2.SetRequest(store=self._handle, key=key, value=data),
                   timeout)

    def delete(self, key: str, *, timeout: Timeout = STORE_DEFAULT) -> None:
        """Removes ``key``; deleting a key that does not exist succeeds."""
        self._call(self._stub.Delete, kv_pb2.DeleteRequest(store=self._handle, key=key), timeout)

    def exists(self, key: str, *, timeout: Timeout = STORE_DEFAULT) -> bool:
        """Whether ``key`` has a value in the store."""
        return self._call(self._stub.Exists, kv_pb2.ExistsRequest(store=self._handle, key=key),
                          timeout).exists

    def get_keys(self, *, timeout: Timeout = STORE_DEFAULT) -> List[str]:
        """Every key in the store, in byte order."""
        return list(self._call(self._stub.GetKeys, kv_pb2.GetKeysRequest(store=self._handle),
                               timeout).keys)

    def get_json(self, key: str, *, timeout: Timeout = STORE_DEFAULT) -> Any:
        """Returns the value of ``key`` decoded as UTF-8 JSON.

        Raises:
            NoSuchKeyError: the key does not exist.
            ValueError: the value is not valid JSON.
        """
        return _common.decode_json(self.get(key, timeout=timeout))

    def set_json(self, key: str, value: Any, *, timeout: Timeout = STORE_DEFAULT) -> None:
        """Stores ``value`` under ``key`` as compact UTF-8 JSON."""
        self.set(key, _common.encode_json(value), timeout=timeout)

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
