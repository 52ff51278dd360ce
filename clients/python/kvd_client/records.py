"""The values kvd_client's revision, counter, batch, listing and describe
calls take and return: :class:`Entry`, :class:`SetEntry`,
:class:`IncrementResult`, :class:`KeyPage`, :class:`StoreDescription` with
:class:`StoreLimits`, :class:`Durability` and :class:`Capability`.

Revisions are Python ints: uint64 on the wire, never negative. A revision
grows with every write to a store and is never reused, so comparing one with
another tells which write came later.

Expiry: a ttl is a :class:`datetime.timedelta` or a number of seconds (int or
float, like every ``timeout=``); an expire time is an aware
:class:`datetime.datetime` in UTC, or ``None`` for a key that does not expire.
"""

from __future__ import annotations

import datetime
import enum
from dataclasses import dataclass
from typing import FrozenSet, List, NamedTuple, Optional, Union

#: A ``ttl=`` argument: a timedelta, or seconds as an int or a float.
Ttl = Union[datetime.timedelta, int, float]


@dataclass(frozen=True)
class Entry:
    """One key as read with its revision (``get_entry``, ``get_many``).

    Attributes:
        key: the key.
        found: whether the key has a value (always True from ``get_entry``).
        value: the stored bytes; ``None`` when not found.
        revision: the revision of the write that last changed the key; 0 when
            not found.
        expire_time: when the key expires, an aware datetime in UTC
            (millisecond precision); ``None`` if it does not expire or was
            not found.
    """

    key: str
    found: bool
    value: Optional[bytes]
    revision: int
    expire_time: Optional[datetime.datetime] = None


class SetEntry(NamedTuple):
    """One write of ``set_many``; a plain ``(key, value)``,
    ``(key, value, if_revision)`` or ``(key, value, if_revision, ttl)`` tuple
    means the same.

    ``if_revision``: ``None`` writes unconditionally; a revision makes the
    whole batch apply only if the key is at that revision; 0 only if the key
    is absent. ``ttl``: the key expires that long after the batch is written
    (a timedelta or seconds); ``None``: it never expires (an earlier expiry
    is cleared).
    """

    key: str
    value: bytes
    if_revision: Optional[int] = None
    ttl: Optional[Ttl] = None


class KeyPage(NamedTuple):
    """One page of ``list_keys_page``; unpacks as ``keys, next_page_token``.

    ``next_page_token`` is empty on the last page; otherwise pass it as
    ``page_token`` (with the same prefix) for the next one.
    """

    keys: List[str]
    next_page_token: str


@dataclass(frozen=True)
class IncrementResult:
    """What ``increment_entry`` returns: the counter's new value and the
    revision the increment gave the key."""

    value: int
    revision: int


class Durability(enum.IntEnum):
    """What an acknowledged write survives; mirrors ``kv.v1.Durability``."""

    #: The driver cannot tell (it depends on how its server is configured).
    UNSPECIFIED = 0
    #: Nothing: the data lives in kvd's memory.
    NONE = 1
    #: kvd exiting or crashing, but not a power loss.
    PROCESS = 2
    #: A power loss: the write reached stable storage first.
    DISK = 3


class Capability(enum.IntEnum):
    """What a store can do beyond Spin's seven operations; mirrors
    ``kv.v1.Capability``."""

    #: Reads return revisions; writes return the revision they wrote.
    REVISIONS = 1
    #: ``set``, ``delete`` and ``set_many`` entries take ``if_revision``.
    CONDITIONAL_WRITES = 2
    #: ``increment``.
    INCREMENT = 3
    #: ``get_many`` reads one snapshot; ``set_many`` and ``delete_many`` are
    #: all-or-nothing.
    ATOMIC_BATCHES = 4
    #: ``set`` and ``set_many`` take ``ttl``; reads report ``expire_time``.
    TTL = 5
    #: ``list_keys`` and ``list_keys_page``: paged, prefix-filtered listing.
    LIST_PAGES = 6


@dataclass(frozen=True)
class StoreLimits:
    """The sizes a request to the store must keep to, in bytes or entries."""

    max_key_bytes: int
    max_value_bytes: int
    #: Most keys in one get_many, set_many or delete_many.
    max_batch_entries: int
    #: Most key and value bytes in one batch request or get_many response.
    max_batch_bytes: int
    #: The longest ``ttl`` a write may give; ``None`` if kvd does not say
    #: (a kvd without expiry).
    max_ttl: Optional[datetime.timedelta] = None
    #: Most keys in one ``list_keys`` page (a larger ``page_size`` is lowered
    #: to it); 0 if kvd does not say.
    max_page_size: int = 0


@dataclass(frozen=True)
class StoreDescription:
    """What ``describe`` returns about an open store.

    Attributes:
        name: the store's name, as passed to ``open``.
        driver: the driver type: ``"sqlite"``, ``"memory"``, ``"redis"``,
            ``"postgres"``.
        durability: what an acknowledged write survives.
        limits: the sizes requests must keep to.
        revision: the store's current revision (0 if never written); any later
            write gets a higher one.
        capabilities: what the store can do beyond Spin's operations
            (values this client does not know are left out).
        read_only: whether the handle came from a read-only grant, so every
            write through it fails with ACCESS_DENIED.
    """

    name: str
    driver: str
    durability: Durability
    limits: StoreLimits
    revision: int
    capabilities: FrozenSet[Capability]
    read_only: bool
