"""kvd_client: a Python client for kvd, with the API of Spin's key-value SDK.

Example::

    from kvd_client import Store, NoSuchKeyError

    with Store.open("default") as store:      # address: $KVD_ADDR or 127.0.0.1:50051
        store.set("greeting", b"hello")
        print(store.get("greeting"))           # b'hello'

Every failed call raises a :class:`KvError` subclass; ``.code`` is the exact
``kv.v1.ErrorCode`` (:class:`ErrorCode`), ``.grpc_code`` the gRPC status code.
Every call takes ``timeout=`` (seconds), overriding the store's default.
:mod:`kvd_client.aio` is the same API for asyncio, on ``grpc.aio``.
"""

from kvd_client.errors import (
    AccessDeniedError,
    BackendUnavailableError,
    DeadlineExceededError,
    ErrorCode,
    InvalidArgumentError,
    InvalidStoreError,
    KvdUnavailableError,
    KvError,
    KvIoError,
    NoSuchKeyError,
    NoSuchStoreError,
    StoreTableFullError,
    from_rpc_error,
    parse_error_code,
)
from kvd_client.store import DEFAULT_ADDRESS, STORE_DEFAULT, Store, connect, default_address

#: The package version; pyproject.toml reads it from here.
__version__ = "0.1.0"

__all__ = [
    "AccessDeniedError",
    "BackendUnavailableError",
    "DEFAULT_ADDRESS",
    "DeadlineExceededError",
    "ErrorCode",
    "InvalidArgumentError",
    "InvalidStoreError",
    "KvError",
    "KvIoError",
    "KvdUnavailableError",
    "NoSuchKeyError",
    "NoSuchStoreError",
    "STORE_DEFAULT",
    "Store",
    "StoreTableFullError",
    "connect",
    "default_address",
    "from_rpc_error",
    "parse_error_code",
]
