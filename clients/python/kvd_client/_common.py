"""What the blocking Store (kvd_client.store) and the asyncio Store
(kvd_client.aio) share: addresses, channel options, metadata, timeouts, value
checks and JSON encoding. Private: import the names from ``kvd_client``.
"""

from __future__ import annotations

import enum
import json
import math
import os
import weakref
from typing import Any, List, MutableMapping, Optional, Sequence, Tuple, Union

import grpc

from kvd_client.errors import ErrorCode, InvalidStoreError
from kvd_client.kv.v1 import kv_pb2_grpc

#: The address used when neither ``address`` nor ``$KVD_ADDR`` is set.
DEFAULT_ADDRESS = "127.0.0.1:50051"


def default_address() -> str:
    """``$KVD_ADDR`` if set and non-empty, else ``127.0.0.1:50051``."""
    return os.environ.get("KVD_ADDR") or DEFAULT_ADDRESS


class _StoreDefault(enum.Enum):
    """The type of :data:`STORE_DEFAULT` (an enum, so type checkers can
    narrow ``Timeout`` with ``is``)."""

    STORE_DEFAULT = "the store's timeout"


#: The default of every call's ``timeout``: the timeout the store was opened
#: with. ``timeout=None`` means no deadline for that call.
STORE_DEFAULT = _StoreDefault.STORE_DEFAULT

#: A call's ``timeout`` argument: seconds, ``None`` for no deadline, or
#: :data:`STORE_DEFAULT`.
Timeout = Union[float, None, _StoreDefault]


def check_timeout(timeout: Optional[float], what: str = "timeout") -> Optional[float]:
    """Returns ``timeout`` if it is ``None`` or a finite number of seconds > 0;
    raises ValueError (TypeError for a non-number) naming the bad value."""
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise TypeError(f"{what} must be a number of seconds or None, "
                        f"not {type(timeout).__name__} {timeout!r}")
    if not (timeout > 0 and math.isfinite(timeout)):
        raise ValueError(f"{what} must be a finite number of seconds > 0, or None "
                         f"for no deadline; got {timeout!r}")
    return float(timeout)


def resolve_timeout(timeout: Timeout, store_timeout: Optional[float]) -> Optional[float]:
    """The deadline of one call: ``timeout`` unless it is STORE_DEFAULT."""
    if timeout is STORE_DEFAULT:
        return store_timeout
    return check_timeout(timeout)  # type: ignore[arg-type]


def channel_options(max_receive_message_length: Optional[int]) -> List[Tuple[str, Any]]:
    """gRPC channel arguments for :func:`kvd_client.connect`."""
    options: List[Tuple[str, Any]] = []
    if max_receive_message_length is not None:
        options.append(("grpc.max_receive_message_length", max_receive_message_length))
    return options


def channel_credentials(
    tls: bool,
    root_certificates: Optional[bytes],
    certificate_chain: Optional[bytes],
    private_key: Optional[bytes],
) -> Optional[grpc.ChannelCredentials]:
    """TLS credentials if any TLS option is set, else None (plaintext)."""
    if tls or root_certificates or certificate_chain or private_key:
        return grpc.ssl_channel_credentials(
            root_certificates=root_certificates,
            private_key=private_key,
            certificate_chain=certificate_chain,
        )
    return None


def bearer_metadata(token: Optional[str]) -> Tuple[Tuple[str, str], ...]:
    """The call metadata that carries ``token`` (none without a token)."""
    return (("authorization", f"Bearer {token}"),) if token else ()


# The address each channel made by connect() dials, so errors on a shared
# channel still name it. Weak keys: the entry goes with the channel.
_ADDRESSES: MutableMapping[Any, str] = weakref.WeakKeyDictionary()


def remember_address(channel: Any, address: str) -> None:
    """Records the address of a channel made by connect()."""
    _ADDRESSES[channel] = address


def address_of(channel: Any) -> Optional[str]:
    """The address connect() made ``channel`` for, or None if it did not."""
    try:
        return _ADDRESSES.get(channel)
    except TypeError:  # not weak-referenceable: not one of ours
        return None


def closed_store_error(handle: int, name: str, address: Optional[str]) -> InvalidStoreError:
    """The error of a call on a store this client closed (made without a call)."""
    return InvalidStoreError(
        ErrorCode.INVALID_STORE,
        grpc.StatusCode.FAILED_PRECONDITION,
        f"INVALID_STORE: store handle {handle} ({name!r}) was closed "
        "by this client; open the store again",
        address=address,
    )


def check_value(value: Any) -> bytes:
    """``value`` as bytes; TypeError for anything but bytes-like values."""
    if not isinstance(value, (bytes, bytearray, memoryview)):
        raise TypeError(f"value must be bytes, not {type(value).__name__}; "
                        "use set_json for other values")
    return bytes(value)


def encode_json(value: Any) -> bytes:
    """``value`` as compact UTF-8 JSON."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def decode_json(data: bytes) -> Any:
    """UTF-8 JSON bytes decoded; ValueError if they are not JSON."""
    return json.loads(data.decode("utf-8"))


def metadata_or_none(metadata: Sequence[Tuple[str, str]]) -> Optional[Tuple[Tuple[str, str], ...]]:
    """gRPC wants None, not an empty tuple, for no metadata."""
    return tuple(metadata) or None


class StoreState:
    """The state and properties both Store classes share: the channel, the
    stub, the handle and the store's defaults. Subclasses set _REPR_NAME."""

    _REPR_NAME = "Store"

    def __init__(
        self,
        channel: Any,
        handle: int,
        name: str,
        *,
        owns_channel: bool,
        timeout: Optional[float],
        metadata: Sequence[Tuple[str, str]],
        address: Optional[str] = None,
    ) -> None:
        """Wraps an open handle; use the subclass's ``open`` instead."""
        self._channel = channel
        self._stub = kv_pb2_grpc.KeyValueStub(channel)
        self._handle = handle
        self._name = name
        self._owns_channel = owns_channel
        self._timeout = timeout
        self._metadata = tuple(metadata)
        self._address = address if address is not None else address_of(channel)
        self._closed = False

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
        """Whether ``close`` was called."""
        return self._closed

    @property
    def timeout(self) -> Optional[float]:
        """The store's default deadline in seconds (``None``: no deadline)."""
        return self._timeout

    @property
    def address(self) -> Optional[str]:
        """The address of kvd, or ``None`` for a channel not made by
        ``connect``."""
        return self._address

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<{self._REPR_NAME} {self._name!r} handle={self._handle} {state}>"
