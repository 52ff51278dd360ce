"""The kvd store: Spin's key-value API (``spin_sdk.key_value``) over gRPC."""

from __future__ import annotations

import json
import os
from types import TracebackType
from typing import Any, Callable, List, Optional, Sequence, Tuple, Type, TypeVar

import grpc

from kvd_client.errors import ErrorCode, InvalidStoreError, KvError, from_rpc_error
from kvd_client.kv.v1 import kv_pb2, kv_pb2_grpc

#: The address used when neither ``address`` nor ``$KVD_ADDR`` is set.
DEFAULT_ADDRESS = "127.0.0.1:50051"

_T = TypeVar("_T")


def default_address() -> str:
    """``$KVD_ADDR`` if set and non-empty, else ``127.0.0.1:50051``."""
    return os.environ.get("KVD_ADDR") or DEFAULT_ADDRESS


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
    options: List[Tuple[str, Any]] = []
    if max_receive_message_length is not None:
        options.append(("grpc.max_receive_message_length", max_receive_message_length))
    if tls or root_certificates or certificate_chain or private_key:
        credentials = grpc.ssl_channel_credentials(
            root_certificates=root_certificates,
            private_key=private_key,
            certificate_chain=certificate_chain,
        )
        return grpc.secure_channel(target, credentials, options=options)
    return grpc.insecure_channel(target, options=options)


class Store:
    """An open kvd store, like ``spin_sdk.key_value.Store``.

    Get one with :meth:`open` or :meth:`open_default`; release it with
    :meth:`close`, or use it as a context manager::

        with Store.open("default") as store:
            store.set("greeting", b"hello")

    Every failed call raises a :class:`~kvd_client.KvError` subclass. After
    :meth:`close`, every call raises :class:`~kvd_client.InvalidStoreError`.
    A Store is safe to use from several threads.
    """

    def __init__(
        self,
        channel: grpc.Channel,
        handle: int,
        name: str,
        *,
        owns_channel: bool,
        timeout: Optional[float],
        metadata: Sequence[Tuple[str, str]],
    ) -> None:
        """Wraps an open handle; use :meth:`open` instead."""
        self._channel = channel
        self._stub = kv_pb2_grpc.KeyValueStub(channel)
        self._handle = handle
        self._name = name
        self._owns_channel = owns_channel
        self._timeout = timeout
        self._metadata = tuple(metadata)
        self._closed = False

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
            timeout: the deadline of every call of this store, in seconds;
                ``None`` for no deadline.
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
                (:class:`KvdUnavailableError`).
        """
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
        metadata: List[Tuple[str, str]] = []
        if token:
            metadata.append(("authorization", f"Bearer {token}"))
        try:
            stub = kv_pb2_grpc.KeyValueStub(channel)
            response = _invoke(stub.Open, kv_pb2.OpenRequest(name=name), timeout, metadata)
        except BaseException:
            if owns_channel:
                channel.close()
            raise
        return cls(channel, response.store, name, owns_channel=owns_channel,
                   timeout=timeout, metadata=metadata)

    @classmethod
    def open_default(cls, **options: Any) -> "Store":
        """Opens the ``"default"`` store; takes the options of :meth:`open`."""
        return cls.open("default", **options)

    @property
    def name(self) -> str:
        """The name the store was opened with."""
        return self._name

    @property
    def handle(self) -> int:
        """The handle kvd issued (never 0); it stays the same after close."""
        return self._handle

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closed

    def get(self, key: str) -> bytes:
        """Returns the value of ``key``.

        Raises:
            NoSuchKeyError: the key does not exist.
        """
        return self._call(self._stub.Get, kv_pb2.GetRequest(store=self._handle, key=key)).value

    def set(self, key: str, value: bytes) -> None:
        """Stores ``value`` under ``key``, replacing any previous value.

        Returns once the write is durable. ``key`` is non-empty UTF-8 of at
        most 256 bytes and ``value`` at most 1 MiB, unless kvd raises the
        limits; larger ones raise :class:`KvIoError` (gRPC INVALID_ARGUMENT).
        """
        if not isinstance(value, (bytes, bytearray, memoryview)):
            raise TypeError(f"value must be bytes, not {type(value).__name__}; "
                            "use set_json for other values")
        self._call(self._stub.Set, kv_pb2.SetRequest(store=self._handle, key=key, value=bytes(value)))

    def delete(self, key: str) -> None:
        """Removes ``key``; deleting a key that does not exist succeeds."""
        self._call(self._stub.Delete, kv_pb2.DeleteRequest(store=self._handle, key=key))

    def exists(self, key: str) -> bool:
        """Whether ``key`` has a value in the store."""
        return self._call(self._stub.Exists, kv_pb2.ExistsRequest(store=self._handle, key=key)).exists

    def get_keys(self) -> List[str]:
        """Every key in the store, in byte order."""
        return list(self._call(self._stub.GetKeys, kv_pb2.GetKeysRequest(store=self._handle)).keys)

    def get_json(self, key: str) -> Any:
        """Returns the value of ``key`` decoded as UTF-8 JSON.

        Raises:
            NoSuchKeyError: the key does not exist.
            ValueError: the value is not valid JSON.
        """
        return json.loads(self.get(key).decode("utf-8"))

    def set_json(self, key: str, value: Any) -> None:
        """Stores ``value`` under ``key`` as compact UTF-8 JSON."""
        self.set(key, json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))

    def close(self) -> None:
        """Releases the handle on kvd and closes the store's own channel.

        Closing twice is not an error. Calls after close raise
        :class:`InvalidStoreError`.
        """
        if self._closed:
            return
        self._closed = True
        try:
            _invoke(self._stub.Close, kv_pb2.CloseRequest(store=self._handle),
                    self._timeout, self._metadata)
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

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<kvd_client.Store {self._name!r} handle={self._handle} {state}>"

    def _call(self, method: Callable[..., _T], request: Any) -> _T:
        if self._closed:
            raise InvalidStoreError(
                ErrorCode.INVALID_STORE,
                grpc.StatusCode.FAILED_PRECONDITION,
                f"INVALID_STORE: store handle {self._handle} ({self._name!r}) was closed "
                "by this client; open the store again",
            )
        return _invoke(method, request, self._timeout, self._metadata)


def _invoke(method: Callable[..., _T], request: Any, timeout: Optional[float],
            metadata: Sequence[Tuple[str, str]]) -> _T:
    """Calls a unary stub method, turning grpc.RpcError into KvError."""
    try:
        return method(request, timeout=timeout, metadata=tuple(metadata) or None)
    except grpc.RpcError as error:
        raise from_rpc_error(error) from None
