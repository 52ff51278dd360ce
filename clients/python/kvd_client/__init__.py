"""kvd_client: a Python client for kvd, with the API of Spin's key-value SDK.

Example::

    from kvd_client import Store, NoSuchKeyError

    with Store.open("default") as store:      # address: $KVD_ADDR or 127.0.0.1:50051
        store.set("greeting", b"hello")
        print(store.get("greeting"))           # b'hello'

Beyond Spin's operations: revisions (``get_entry``; ``set`` and ``delete``
return the revision they wrote and take ``if_revision=``), counters
(``increment``), atomic batches (``get_many``, ``set_many``, ``delete_many``),
``describe``, the retry helper ``update(key, fn)``, expiry (``set(...,
ttl=timedelta(minutes=5))``; ``get_entry(key).expire_time``) and paged
listing (``for key in store.list_keys("user/")``, a lazy generator;
``list_keys_page`` for one page and its ``next_page_token``).

Every failed call raises a :class:`KvError` subclass; ``.code`` is the exact
``kv.v1.ErrorCode`` (:class:`ErrorCode`), ``.grpc_code`` the gRPC status code.
Every call takes ``timeout=`` (seconds), overriding the store's default.
:mod:`kvd_client.aio` is the same API for asyncio, on ``grpc.aio``.
"""

from kvd_client.errors import (
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
    StoreTableFullError,
    from_rpc_error,
    parse_error_code,
)
from kvd_client.records import (
    Capability,
    Durability,
    Entry,
    IncrementResult,
    KeyPage,
    SetEntry,
    StoreDescription,
    StoreLimits,
)
from kvd_client.store import DEFAULT_ADDRESS, STORE_DEFAULT, Store, connect, default_address

#: The package version; pyproject.toml reads it from here.
__version__ = "0.1.0"

__all__ = [
    "AccessDeniedError",
    "BackendUnavailableError",
    "Capability",
    "ConditionFailedError",
    "DEFAULT_ADDRESS",
    "DeadlineExceededError",
    "Durability",
    "Entry",
    "ErrorCode",
    "IncrementResult",
    "KeyPage",
    "InvalidArgumentError",
    "InvalidStoreError",
    "KvError",
    "KvIoError",
    "KvdUnavailableError",
    "NoSuchKeyError",
    "NoSuchStoreError",
    "NotAnIntegerError",
    "OutOfRangeError",
    "STORE_DEFAULT",
    "SetEntry",
    "Store",
    "StoreDescription",
    "StoreLimits",
    "StoreTableFullError",
    "connect",
    "default_address",
    "from_rpc_error",
    "parse_error_code",
]
