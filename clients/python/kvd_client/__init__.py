"""kvd_client: a Python client for kvd, with the API of Spin's key-value SDK.

Example::

    from kvd_client import Store, NoSuchKeyError

    with Store.open("default") as store:      # address: $KVD_ADDR or 127.0.0.1:50051
        store.set("greeting", b"hello")
        print(store.get("greeting"))           # b'hello'

Every failed call raises a :class:`KvError` subclass; ``.code`` is the exact
``kv.v1.ErrorCode`` (:class:`ErrorCode`), ``.grpc_code`` the gRPC status code.
"""

from kvd_client.errors import (
    AccessDeniedError,
    BackendUnavailableError,
    DeadlineExceededError,
    ErrorCode,
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
from kvd_client.store import DEFAULT_ADDRESS, Store, connect, default_address

__all__ = [
    "AccessDeniedError",
    "BackendUnavailableError",
    "DEFAULT_ADDRESS",
    "DeadlineExceededError",
    "ErrorCode",
    "InvalidStoreError",
    "KvError",
    "KvIoError",
    "KvdUnavailableError",
    "NoSuchKeyError",
    "NoSuchStoreError",
    "Store",
    "StoreTableFullError",
    "connect",
    "default_address",
    "from_rpc_error",
    "parse_error_code",
]
