"""kvd's typed error: :class:`KvError`, its subclasses, and the mapping from
:class:`grpc.RpcError`.

Every failed kvd call carries a canonical gRPC status code and the exact
``kv.v1.ErrorCode`` in the trailing metadata entry ``kv-error-code`` (the enum
value's name, e.g. ``ERROR_CODE_NO_SUCH_KEY``). :func:`from_rpc_error` turns
that into the most specific subclass of :class:`KvError`, so callers tell the
cases apart with ``except`` clauses, never by parsing messages.

Where a built-in exception means the same thing, the class derives from it
too, so code that knows nothing of kvd catches it the usual way:

- :class:`NoSuchKeyError` is a :class:`KeyError` (and so a :class:`LookupError`);
- :class:`NoSuchStoreError` is a :class:`LookupError`;
- :class:`AccessDeniedError` is a :class:`PermissionError` (``errno`` EACCES);
- :class:`InvalidArgumentError` (a :class:`KvIoError`) is a :class:`ValueError`;
- :class:`KvdUnavailableError` is a :class:`ConnectionError`;
- :class:`DeadlineExceededError` is a :class:`TimeoutError` (``errno`` ETIMEDOUT);
- :class:`NotAnIntegerError` is a :class:`ValueError`;
- :class:`OutOfRangeError` is an :class:`OverflowError` (an :class:`ArithmeticError`).

:class:`PermissionError`, :class:`ConnectionError` and :class:`TimeoutError`
are :class:`OSError` subclasses, so ``except OSError`` catches those three
too. ``str(error)`` is the same readable line for every class (a plain
:class:`KeyError` would print its argument's repr instead).
"""

from __future__ import annotations

import enum
import errno
from typing import Any, Dict, Optional, Tuple, Type

import grpc

from kvd_client.kv.v1 import kv_pb2

#: The trailing metadata key that carries the ErrorCode's name.
ERROR_CODE_TRAILER = "kv-error-code"
#: The trailing metadata key of CONDITION_FAILED: the key's current revision
#: (decimal; 0 if the key is absent).
CURRENT_REVISION_TRAILER = "kv-current-revision"
#: The trailing metadata key of a failed batch entry: its 0-based index.
FAILED_INDEX_TRAILER = "kv-failed-index"


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
    #: A conditional write's ``if_revision`` did not match the key's current
    #: revision; nothing was written (gRPC ABORTED).
    CONDITION_FAILED = 7
    #: Increment found a value that is not a canonical decimal int64 (gRPC
    #: FAILED_PRECONDITION); the value is unchanged.
    NOT_AN_INTEGER = 8
    #: Increment's result does not fit in an int64 (gRPC OUT_OF_RANGE); the
    #: value is unchanged.
    OUT_OF_RANGE = 9


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
            For :class:`KvdUnavailableError` and :class:`DeadlineExceededError`
            it starts with the address the client called (kvd sent no
            message of its own).
        address: the address the client called (``host:port`` or
            ``unix:/path``), or ``None`` when it is not known (a channel the
            caller made without :func:`kvd_client.connect`, or an error made by
            :func:`from_rpc_error` without ``address``).
        failed_index: for a failed ``set_many`` or ``delete_many``, the
            0-based position of the entry that failed (the ``kv-failed-index``
            trailer); ``None`` otherwise.
        args: ``(code, grpc_code, message)``, for every subclass.
    """

    def __init__(self, code: ErrorCode, grpc_code: grpc.StatusCode, message: str,
                 *, address: Optional[str] = None,
                 failed_index: Optional[int] = None) -> None:
        super().__init__(code, grpc_code, message)
        # OSError's __init__ keeps only two arguments in args and reads them
        # as errno and strerror; give every class the same args and fields
        # that mean what OSError's documentation says.
        self.args = (code, grpc_code, message)
        if isinstance(self, OSError):
            self.errno = type(self)._errno
            self.strerror = message
            self.filename = None
        self.code: ErrorCode = code
        self.grpc_code: grpc.StatusCode = grpc_code
        self.message: str = message
        self.address: Optional[str] = address
        self.failed_index: Optional[int] = failed_index

    #: ``errno`` of the subclasses that are also an :class:`OSError`.
    _errno: Optional[int] = None

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

    def __reduce__(self) -> Tuple[Any, ...]:
        # Pickles (e.g. across multiprocessing) as the same class with the
        # same attributes; OSError's own reduce would pass the wrong args.
        state: Dict[str, Any] = dict(self.__dict__)
        return (type(self), (self.code, self.grpc_code, self.message), state)


class StoreTableFullError(KvError):
    """STORE_TABLE_FULL: too many open handles; close some first."""


class NoSuchStoreError(KvError, LookupError):
    """NO_SUCH_STORE: the store is not "default" and is not configured.

    Also a :class:`LookupError`."""


class AccessDeniedError(KvError, PermissionError):
    """ACCESS_DENIED: the caller may not use the store.

    Also a :class:`PermissionError` (``errno`` is ``errno.EACCES``)."""

    _errno = errno.EACCES


class InvalidStoreError(KvError):
    """INVALID_STORE: the handle is closed, reclaimed or was never issued."""


class NoSuchKeyError(KvError, KeyError):
    """NO_SUCH_KEY: the key does not exist.

    Also a :class:`KeyError` (and so a :class:`LookupError`), like a missing
    key of a dict; unlike KeyError's, ``str(error)`` is the readable message,
    not a quoted repr."""


class KvIoError(KvError):
    """IO: any other failure; ``grpc_code`` says which kind."""


class InvalidArgumentError(KvIoError, ValueError):
    """IO with gRPC INVALID_ARGUMENT: kvd refused the request itself, e.g. a
    key over 256 bytes, a value over 1 MiB or a key that is not UTF-8.

    Also a :class:`ValueError`. Retrying the same request cannot help."""


class BackendUnavailableError(KvIoError):
    """IO with gRPC UNAVAILABLE: the store's backend cannot be reached or
    opened. Retrying later may help."""


class KvdUnavailableError(KvError, ConnectionError):
    """No ErrorCode and gRPC UNAVAILABLE: kvd itself could not be reached, or
    it is shutting down. ``message`` and ``address`` name the address tried.

    Also a :class:`ConnectionError`."""


class DeadlineExceededError(KvError, TimeoutError):
    """No ErrorCode and gRPC DEADLINE_EXCEEDED: the call's timeout expired.

    Also a :class:`TimeoutError` (``errno`` is ``errno.ETIMEDOUT``)."""

    _errno = errno.ETIMEDOUT


class ConditionFailedError(KvError):
    """CONDITION_FAILED (gRPC ABORTED): a write's ``if_revision`` did not
    match the key's current revision, so nothing was written (for a batch:
    no entry was).

    Attributes:
        current_revision: the key's current revision when the write was
            refused (the ``kv-current-revision`` trailer; 0: the key is
            absent), so a retry needs no read for it. ``None`` only if the
            server sent no such trailer (kvd always does).
        failed_index: for ``set_many``, the position of the first entry whose
            condition failed.
    """

    def __init__(self, code: ErrorCode, grpc_code: grpc.StatusCode, message: str,
                 *, address: Optional[str] = None, failed_index: Optional[int] = None,
                 current_revision: Optional[int] = None) -> None:
        super().__init__(code, grpc_code, message, address=address,
                         failed_index=failed_index)
        self.current_revision: Optional[int] = current_revision


class NotAnIntegerError(KvError, ValueError):
    """NOT_AN_INTEGER (gRPC FAILED_PRECONDITION): ``increment`` found a value
    that is not the canonical decimal text of an int64 (``"42"``, ``"-7"``;
    not ``"+1"``, ``"01"`` or ``"1.0"``). The value is unchanged.

    Also a :class:`ValueError`, as ``int("abc")`` raises."""


class OutOfRangeError(KvError, OverflowError):
    """OUT_OF_RANGE (gRPC OUT_OF_RANGE): ``increment``'s result does not fit
    in an int64. The value is unchanged; kvd never wraps around.

    Also an :class:`OverflowError` (an :class:`ArithmeticError`)."""


_BY_CODE: Dict[ErrorCode, Type[KvError]] = {
    ErrorCode.STORE_TABLE_FULL: StoreTableFullError,
    ErrorCode.NO_SUCH_STORE: NoSuchStoreError,
    ErrorCode.ACCESS_DENIED: AccessDeniedError,
    ErrorCode.INVALID_STORE: InvalidStoreError,
    ErrorCode.NO_SUCH_KEY: NoSuchKeyError,
    ErrorCode.IO: KvIoError,
    ErrorCode.CONDITION_FAILED: ConditionFailedError,
    ErrorCode.NOT_AN_INTEGER: NotAnIntegerError,
    ErrorCode.OUT_OF_RANGE: OutOfRangeError,
}


def make_error(code: ErrorCode, grpc_code: grpc.StatusCode, message: str,
               *, address: Optional[str] = None, failed_index: Optional[int] = None,
               current_revision: Optional[int] = None) -> KvError:
    """Builds the most specific :class:`KvError` subclass for these codes.

    With ``address``, the errors kvd sent no message for (unreachable,
    deadline) say which address the client called. ``failed_index`` and
    ``current_revision`` are those of the trailers (``current_revision``
    only goes to a :class:`ConditionFailedError`).
    """
    cls: Type[KvError]
    if code == ErrorCode.IO and grpc_code == grpc.StatusCode.UNAVAILABLE:
        cls = BackendUnavailableError
    elif code == ErrorCode.IO and grpc_code == grpc.StatusCode.INVALID_ARGUMENT:
        cls = InvalidArgumentError
    elif code in _BY_CODE:
        cls = _BY_CODE[code]
    elif grpc_code == grpc.StatusCode.UNAVAILABLE:
        cls = KvdUnavailableError
        if address:
            message = f"cannot reach kvd at {address}: {message}"
    elif grpc_code == grpc.StatusCode.DEADLINE_EXCEEDED:
        cls = DeadlineExceededError
        if address:
            message = f"no answer from kvd at {address} within the timeout: {message}"
    else:
        cls = KvError
    if cls is ConditionFailedError:
        return ConditionFailedError(code, grpc_code, message, address=address,
                                    failed_index=failed_index,
                                    current_revision=current_revision)
    return cls(code, grpc_code, message, address=address, failed_index=failed_index)


def _parse_unsigned(text: Optional[str]) -> Optional[int]:
    """A trailer's decimal value, or None if it is absent or not decimal."""
    if text is None or not text.isascii() or not text.isdigit():
        return None
    return int(text)


def from_rpc_error(error: grpc.RpcError, *, address: Optional[str] = None) -> KvError:
    """Maps a :class:`grpc.RpcError` from a kvd call to a :class:`KvError`.

    Takes the errors of both the blocking stubs and ``grpc.aio``
    (:class:`grpc.aio.AioRpcError`). The ErrorCode comes from the
    ``kv-error-code`` trailer; the gRPC code and message from the status.
    ``address``, if given, is the address the call went to (see
    :func:`make_error`).
    """
    grpc_code = grpc.StatusCode.UNKNOWN
    message = str(error)
    trailers: Dict[str, str] = {}
    # grpc.Call for the blocking API; AioRpcError has the same three methods
    # but is not a grpc.Call.
    if callable(getattr(error, "code", None)) and callable(getattr(error, "details", None)):
        grpc_code = error.code() or grpc.StatusCode.UNKNOWN  # type: ignore[attr-defined]
        message = error.details() or ""  # type: ignore[attr-defined]
        trailing = getattr(error, "trailing_metadata", None)
        for key, value in (trailing() if callable(trailing) else None) or ():
            if key in _TRAILERS and key not in trailers:  # the first of each counts
                trailers[key] = (value.decode("utf-8", "replace")
                                 if isinstance(value, bytes) else value)
    return make_error(parse_error_code(trailers.get(ERROR_CODE_TRAILER)), grpc_code, message,
                      address=address,
                      failed_index=_parse_unsigned(trailers.get(FAILED_INDEX_TRAILER)),
                      current_revision=_parse_unsigned(trailers.get(CURRENT_REVISION_TRAILER)))


_TRAILERS = (ERROR_CODE_TRAILER, CURRENT_REVISION_TRAILER, FAILED_INDEX_TRAILER)
