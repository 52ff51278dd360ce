"""Requests and results of the revision, counter, batch and describe calls,
shared by the blocking Store and the asyncio Store: argument checks that name
what is wrong before anything is sent, request building, and the conversion
of responses to :mod:`kvd_client.records`. Private.
"""

from __future__ import annotations

from typing import Any, Iterable, List, Mapping, Optional, Union

from kvd_client import _common
from kvd_client.kv.v1 import kv_pb2
from kvd_client.records import (
    Capability,
    Durability,
    Entry,
    IncrementResult,
    StoreDescription,
    StoreLimits,
)

_UINT64_MAX = (1 << 64) - 1
_INT64_MIN = -(1 << 63)
_INT64_MAX = (1 << 63) - 1

#: What ``set_many`` takes: a mapping of keys to values (unconditional), or
#: an iterable of :class:`kvd_client.SetEntry` or ``(key, value[, if_revision])``
#: tuples.
SetManyEntries = Union[Mapping[str, bytes], Iterable[Any]]


def _check_int(value: Any, what: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an int, not {type(value).__name__} {value!r}")
    if not low <= value <= high:
        raise ValueError(f"{what} must be between {low} and {high}; got {value}")
    return value


def check_if_revision(if_revision: Optional[int], what: str = "if_revision") -> Optional[int]:
    """``None`` (unconditional) or a revision: an int from 0 (create-only) to
    2**64 - 1."""
    if if_revision is None:
        return None
    return _check_int(if_revision, what, 0, _UINT64_MAX)


def check_delta(delta: int) -> int:
    """An increment's delta: an int64."""
    return _check_int(delta, "delta", _INT64_MIN, _INT64_MAX)


def check_keys(keys: Iterable[str], method: str) -> List[str]:
    """``keys`` as a list; TypeError for a single str (which would otherwise
    be read as its characters) or a non-str key."""
    if isinstance(keys, (str, bytes)):
        raise TypeError(f"{method} takes an iterable of keys, not one {type(keys).__name__} "
                        f"{keys!r}; wrap it in a list")
    listed = list(keys)
    for index, key in enumerate(listed):
        if not isinstance(key, str):
            raise TypeError(f"{method}: key {index} must be a str, not "
                            f"{type(key).__name__} {key!r}")
    return listed


def set_request(handle: int, key: str, value: Any, if_revision: Optional[int]) -> Any:
    data = _common.check_value(value)
    revision = check_if_revision(if_revision)
    request = kv_pb2.SetRequest(store=handle, key=key, value=data)
    if revision is not None:
        request.if_revision = revision
    return request


def delete_request(handle: int, key: str, if_revision: Optional[int]) -> Any:
    revision = check_if_revision(if_revision)
    request = kv_pb2.DeleteRequest(store=handle, key=key)
    if revision is not None:
        request.if_revision = revision
    return request


def _set_entry(index: int, item: Any) -> Any:
    if isinstance(item, (str, bytes)) or not isinstance(item, tuple) or len(item) not in (2, 3):
        raise TypeError(f"set_many: entry {index} must be a SetEntry or a (key, value) or "
                        f"(key, value, if_revision) tuple, not {type(item).__name__} {item!r}")
    key, value = item[0], item[1]
    if_revision = item[2] if len(item) == 3 else None
    if not isinstance(key, str):
        raise TypeError(f"set_many: entry {index}'s key must be a str, not "
                        f"{type(key).__name__} {key!r}")
    try:
        data = _common.check_value(value)
    except TypeError as error:
        raise TypeError(f"set_many: entry {index} ({key!r}): {error}") from None
    entry = kv_pb2.SetEntry(key=key, value=data)
    revision = check_if_revision(if_revision, f"set_many: entry {index}'s ({key!r}) if_revision")
    if revision is not None:
        entry.if_revision = revision
    return entry


def set_many_request(handle: int, entries: SetManyEntries) -> Any:
    if isinstance(entries, Mapping):
        items: Iterable[Any] = entries.items()
    elif isinstance(entries, (str, bytes)):
        raise TypeError(f"set_many takes a mapping or an iterable of entries, not "
                        f"{type(entries).__name__} {entries!r}")
    else:
        items = entries
    return kv_pb2.SetManyRequest(
        store=handle, entries=[_set_entry(index, item) for index, item in enumerate(items)])


def got_entry(key: str, response: Any) -> Entry:
    """The :class:`Entry` of a GetResponse (a key that was found)."""
    return Entry(key=key, found=True, value=response.value, revision=response.revision)


def entries(response: Any) -> List[Entry]:
    """The :class:`Entry` list of a GetManyResponse."""
    return [Entry(key=e.key, found=e.found, value=e.value if e.found else None,
                  revision=e.revision if e.found else 0) for e in response.entries]


def increment_result(response: Any) -> IncrementResult:
    return IncrementResult(value=response.value, revision=response.revision)


def _durability(number: int) -> Durability:
    try:
        return Durability(number)
    except ValueError:  # a value newer than this client
        return Durability.UNSPECIFIED


def description(response: Any) -> StoreDescription:
    capabilities = set()
    for number in response.capabilities:
        try:
            capabilities.add(Capability(number))
        except ValueError:  # a capability newer than this client
            pass
    limits = response.limits
    return StoreDescription(
        name=response.name,
        driver=response.driver,
        durability=_durability(response.durability),
        limits=StoreLimits(max_key_bytes=limits.max_key_bytes,
                           max_value_bytes=limits.max_value_bytes,
                           max_batch_entries=limits.max_batch_entries,
                           max_batch_bytes=limits.max_batch_bytes),
        revision=response.revision,
        capabilities=frozenset(capabilities),
        read_only=response.read_only,
    )

