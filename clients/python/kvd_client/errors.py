"""kvd's typed error: :class:`KvError`, its subclasses, and the mapping from
:class:`grpc.RpcError`.

Every failed kvd call carries a canonical gRPC status code and the exact
``kv.v1.ErrorCode`` in the trailing metadata entry ``kv-error-code`` (the enum
value's name, e.g. ``ERROR_CODE_NO_SUCH_KEY``). :func:`from_rpc_error` turns
that into the most specific subclass of :class:`KvError`, so callers tell the
cases apart with ``except`` clauses, never by parsing messages.
"""

from __future__ import annotations

import enum
from typing import Optional

import grpc

from kvd_client.kv.v1 import kv_pb2

#: The trailing metadata key that carries the ErrorCode's name.
ERROR_CODE_TRAILER = "kv-error-code"


class ErrorCode(enum.IntEnum):
    """Mirrors ``kv.v1.ErrorCode`` (and Spin's key-value error variant).

    The values equal the proto enum's; a unit test checks that they match.
    """

    #: No ErrorCode was sent: the call failed before reaching kvd's service
    #: (unreachable server, deadline, cancellation, shutdown) or it is unknown.
    UNSPECIFIED = 0
    #: The caller already holds the maximum number of open store handles.
    STORE_TABLE_FULL = 1
    #: The store name is not "default" and is not configured.
    NO_SUCH_STORE = 2
    #: The caller is not granted access to the store.
    ACCESS_DENIED = 3
    #: The handle is not open for this caller (closed, reclaimed, never issued).
    INVALID_STORE = 4
    #: The key does not exist.
    NO_SUCH_KEY = 5
    #: Any other failure: the backend is down (gRPC UNAVAILABLE), a malformed
    #: request (INVALID_ARGUMENT), too many keys (RESOURCE_EXHAUSTED), or an
    #: internal failure (INTERNAL).
    IO = 6


_PROTO_PREFIX = "ERROR_CODE_"


def parse_error_code(name: Optional[str]) -> ErrorCode:
    """Parses a ``kv-error-code`` value such as ``"ERROR_CODE_NO_SUCH_KEY"``.

    Uses the generated enum's by-name lookup. Returns
    :attr:`ErrorCode.UNSPECIFIED` for ``None``, an empty or unknown name.
    """
    if not name:
        return ErrorCode.UNSPECIFIED
    try:
        number = kv_pb2.ErrorCode.Value(name)
    except ValueError:
        return ErrorCode.UNSPECIFIED
    try:
        return ErrorCode(number)
    except ValueError:
        return ErrorCode.UNSPECIFIED


class KvError(Exception):
    """A failed kvd call.

    Attributes:
        code: the :class:`ErrorCode` from the ``kv-error-code`` trailer
            (:attr:`ErrorCode.UNSPECIFIED` if there was none).
        grpc_code: the canonical :class:`grpc.StatusCode`.
        message: the status message, e.g.
            ``'NO_SUCH_KEY: key "a" does not exist in store "default"'``.
    """

    def __init__(self, code: ErrorCode, grpc_code: grpc.StatusCode, message: str) -> None:
        super().__init__(code, grpc_code, message)
        self.code: ErrorCode = code
        self.grpc_code: grpc.StatusCode = grpc_code
        self.message: str = message

    @property
    def is_unavailable(self) -> bool:
        """True if retrying later may help: the backend is down (IO with
        UNAVAILABLE) or kvd itself is unreachable or shutting down."""
        return self.grpc_code == grpc.StatusCode.UNAVAILABLE

    def __str__(self) -> str:
        return f"{self.message} ({self.code.name}, gRPC {self.grpc_code.name})"

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(code=ErrorCode.{self.code.name}, "
                f"grpc_code=grpc.StatusCode.{self.grpc_code.name}, message={self.message!r})")


class StoreTableFullError(KvError):
    """STORE_TABLE_FULL: too many open handles; close some first."""


class NoSuchStoreError(KvError):
    """NO_SUCH_STORE: the store is not "default" and is not configured."""


class AccessDeniedError(KvError):
    """ACCESS_DENIED: the caller may not use the store."""


class InvalidStoreError(KvError):
    """INVALID_STORE: the handle is closed, reclaimed or was never issued."""


class NoSuchKeyError(KvError):
    """NO_SUCH_KEY: the key does not exist."""


class KvIoError(KvError):
    """IO: any other failure; ``grpc_code`` says which kind."""


class BackendUnavailableError(KvIoError):
    """IO with gRPC UNAVAILABLE: the store's backend cannot be reached or
    opened. Retrying later may help."""


class KvdUnavailableError(KvError):
    """No ErrorCode and gRPC UNAVAILABLE: kvd itself could not be reached, or
    it is shutting down."""


class DeadlineExceededError(KvError):
    """No ErrorCode and gRPC DEADLINE_EXCEEDED: the call's timeout expired."""


_BY_CODE = {
    ErrorCode.STORE_TABLE_FULL: StoreTableFullError,
    ErrorCode.NO_SUCH_STORE: NoSuchStoreError,
    ErrorCode.ACCESS_DENIED: AccessDeniedError,
    ErrorCode.INVALID_STORE: InvalidStoreError,
    ErrorCode.NO_SUCH_KEY: NoSuchKeyError,
    ErrorCode.IO: KvIoError,
}


def make_error(code: ErrorCode, grpc_code: grpc.StatusCode, message: str) -> KvError:
    """Builds the most specific :class:`KvError` subclass for these codes."""
    cls: type[KvError]
    if code == ErrorCode.IO and grpc_code == grpc.StatusCode.UNAVAILABLE:
        cls = BackendUnavailableError
    elif code in _BY_CODE:
        cls = _BY_CODE[code]
    elif grpc_code == grpc.StatusCode.UNAVAILABLE:
        cls = KvdUnavailableError
    elif grpc_code == grpc.StatusCode.DEADLINE_EXCEEDED:
        cls = DeadlineExceededError
    else:
        cls = KvError
    return cls(code, grpc_code, message)


def from_rpc_error(error: grpc.RpcError) -> KvError:
    """Maps a :class:`grpc.RpcError` from a kvd call to a :class:`KvError`.

    The ErrorCode comes from the ``kv-error-code`` trailer; the gRPC code and
    message from the status.
    """
    grpc_code = grpc.StatusCode.UNKNOWN
    message = str(error)
    name: Optional[str] = None
    if isinstance(error, grpc.Call):
        grpc_code = error.code() or grpc.StatusCode.UNKNOWN
        message = error.details() or ""
        for key, value in error.trailing_metadata() or ():
            if key == ERROR_CODE_TRAILER:
                name = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
                break
    return make_error(parse_error_code(name), grpc_code, message)
