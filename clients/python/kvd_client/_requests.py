"""Requests and results of the revision, counter, batch, expiry, listing and
describe calls, shared by the blocking Store and the asyncio Store: argument
checks that name what is wrong before anything is sent, request building, and
the conversion of responses to :mod:`kvd_client.records`. Private.

What only kvd can judge is left to it: a ttl under 1 ms or over the store's
max_ttl, and a negative page_size, are sent as given and come back as
:class:`~kvd_client.InvalidArgumentError` with kvd's message. Here a value
is refused only if it has the wrong type or cannot be put on the wire.
"""

from __future__ import annotations

import datetime
import math
from typing import Any, Iterable, List, Mapping, Optional, Union

from google.protobuf import duration_pb2

from kvd_client import _common
from kvd_client.kv.v1 import kv_pb2
from kvd_client.records import (
    Capability,
    Durability,
    Entry,
    IncrementResult,
    KeyPage,
    StoreDescription,
    StoreLimits,
    Ttl,
)

_UINT64_MAX = (1 << 64) - 1
_INT64_MIN = -(1 << 63)
_INT64_MAX = (1 << 63) - 1
_INT32_MIN = -(1 << 31)
_INT32_MAX = (1 << 31) - 1
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)

#: What ``set_many`` takes: a mapping of keys to values (unconditional, no
#: expiry), or an iterable of :class:`kvd_client.SetEntry` or
#: ``(key, value[, if_revision[, ttl]])`` tuples.
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


def ttl_duration(ttl: Optional[Ttl], what: str = "ttl") -> Optional[Any]:
    """``ttl`` as a google.protobuf.Duration, or ``None`` (no expiry).

    A timedelta converts exactly (to the microsecond); seconds as an int or
    a float convert to the nanosecond nearest. kvd keeps whole milliseconds.
    TypeError for another type (bool included), ValueError for NaN or an
    infinity; the range (1 ms to max_ttl) is kvd's to check."""
    if ttl is None:
        return None
    if isinstance(ttl, datetime.timedelta):
        micros = (ttl.days * 86_400 + ttl.seconds) * 1_000_000 + ttl.microseconds
        nanos = micros * 1_000
    elif isinstance(ttl, bool) or not isinstance(ttl, (int, float)):
        raise TypeError(f"{what} must be a datetime.timedelta or a number of seconds, not "
                        f"{type(ttl).__name__} {ttl!r}")
    elif isinstance(ttl, float) and not math.isfinite(ttl):
        raise ValueError(f"{what} must be a finite number of seconds; got {ttl!r}")
    elif isinstance(ttl, int):
        nanos = ttl * 1_000_000_000
    elif abs(ttl) >= 2.0**63:
        raise ValueError(f"{what} is too long to send: {ttl!r} seconds")
    else:
        nanos = round(ttl * 1e9)
    # A Duration's seconds and nanos carry the same sign.
    sign = -1 if nanos < 0 else 1
    seconds, remainder = divmod(abs(nanos), 1_000_000_000)
    if seconds > _INT64_MAX:
        raise ValueError(f"{what} is too long to send: {ttl!r} seconds")
    return duration_pb2.Duration(seconds=sign * seconds, nanos=sign * remainder)


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


def set_request(handle: int, key: str, value: Any, if_revision: Optional[int],
                ttl: Optional[Ttl] = None) -> Any:
    data = _common.check_value(value)
    revision = check_if_revision(if_revision)
    duration = ttl_duration(ttl)
    request = kv_pb2.SetRequest(store=handle, key=key, value=data)
    if revision is not None:
        request.if_revision = revision
    if duration is not None:
        request.ttl.CopyFrom(duration)
    return request


def delete_request(handle: int, key: str, if_revision: Optional[int]) -> Any:
    revision = check_if_revision(if_revision)
    request = kv_pb2.DeleteRequest(store=handle, key=key)
    if revision is not None:
        request.if_revision = revision
    return request


def _set_entry(index: int, item: Any) -> Any:
    if isinstance(item, (str, bytes)) or not isinstance(item, tuple) or len(item) not in (2, 3, 4):
        raise TypeError(f"set_many: entry {index} must be a SetEntry or a (key, value), "
                        f"(key, value, if_revision) or (key, value, if_revision, ttl) tuple, "
                        f"not {type(item).__name__} {item!r}")
    key, value = item[0], item[1]
    if_revision = item[2] if len(item) >= 3 else None
    ttl = item[3] if len(item) == 4 else None
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
    duration = ttl_duration(ttl, f"set_many: entry {index}'s ({key!r}) ttl")
    if duration is not None:
        entry.ttl.CopyFrom(duration)
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


def expire_time(message: Any) -> Optional[datetime.datetime]:
    """``message.expire_time`` (a Timestamp) as an aware UTC datetime, or
    None if it is unset. kvd's expiry has millisecond precision, which a
    datetime (microseconds) holds exactly."""
    if not message.HasField("expire_time"):
        return None
    stamp = message.expire_time
    return _EPOCH + datetime.timedelta(seconds=stamp.seconds, microseconds=stamp.nanos // 1000)


def got_entry(key: str, response: Any) -> Entry:
    """The :class:`Entry` of a GetResponse (a key that was found)."""
    return Entry(key=key, found=True, value=response.value, revision=response.revision,
                 expire_time=expire_time(response))


def entries(response: Any) -> List[Entry]:
    """The :class:`Entry` list of a GetManyResponse."""
    return [Entry(key=e.key, found=e.found, value=e.value if e.found else None,
                  revision=e.revision if e.found else 0,
                  expire_time=expire_time(e) if e.found else None)
            for e in response.entries]


def list_keys_request(handle: int, prefix: str, page_size: int, page_token: str) -> Any:
    """A ListKeysRequest; TypeError unless prefix and page_token are str and
    page_size an int, ValueError if page_size does not fit an int32 (kvd
    refuses a negative one itself)."""
    if not isinstance(prefix, str):
        raise TypeError(f"prefix must be a str, not {type(prefix).__name__} {prefix!r}")
    if not isinstance(page_token, str):
        raise TypeError(f"page_token must be a str (a next_page_token), not "
                        f"{type(page_token).__name__} {page_token!r}")
    size = _check_int(page_size, "page_size", _INT32_MIN, _INT32_MAX)
    return kv_pb2.ListKeysRequest(store=handle, prefix=prefix, page_size=size,
                                  page_token=page_token)


def key_page(response: Any) -> KeyPage:
    """The :class:`KeyPage` of a ListKeysResponse."""
    return KeyPage(keys=list(response.keys), next_page_token=response.next_page_token)


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
                           max_batch_bytes=limits.max_batch_bytes,
                           max_ttl=(datetime.timedelta(seconds=limits.max_ttl.seconds,
                                                       microseconds=limits.max_ttl.nanos // 1000)
                                    if limits.HasField("max_ttl") else None),
                           max_page_size=limits.max_page_size),
        revision=response.revision,
        capabilities=frozenset(capabilities),
        read_only=response.read_only,
    )

