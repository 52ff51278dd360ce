"""The retry loop of ``Store.update`` (blocking and asyncio), apart from any
I/O so that its tests can give it fake reads, writes, sleeps and randomness.
Private.

The semantics are those of clients/SCENARIO.md, the same in every kvd client:
read the key with its revision; call ``fn`` with the value (``None`` if the
key is absent); write the result with ``if_revision`` (0 when absent). On
CONDITION_FAILED, sleep a full-jitter exponential backoff (uniform in
[0, cap), the cap 10 ms after the first attempt, doubling to at most 1 s) and
start again, at most ``max_attempts`` attempts in all; then the last
:class:`ConditionFailedError` is raised. Any other error, from the calls or
from ``fn``, ends the loop at once. The result is the revision written.
"""

from __future__ import annotations

import inspect
from typing import Any, Awaitable, Callable, Optional

from kvd_client.errors import ConditionFailedError
from kvd_client.records import Entry

#: The backoff cap after the first failed attempt, in seconds.
INITIAL_BACKOFF = 0.010
#: The largest backoff cap, in seconds.
MAX_BACKOFF = 1.0
#: ``update``'s default ``max_attempts``.
DEFAULT_MAX_ATTEMPTS = 10

#: ``fn`` of ``update``: the current value (``None``: absent) to the new one.
UpdateFn = Callable[[Optional[bytes]], Any]


def check_max_attempts(max_attempts: Any) -> int:
    """``max_attempts``: an int >= 1; TypeError or ValueError naming it."""
    if isinstance(max_attempts, bool) or not isinstance(max_attempts, int):
        raise TypeError(f"max_attempts must be an int, not {type(max_attempts).__name__} "
                        f"{max_attempts!r}")
    if max_attempts < 1:
        raise ValueError(f"max_attempts must be at least 1; got {max_attempts}")
    return max_attempts


def backoff(failed_attempts: int, random: Callable[[], float]) -> float:
    """The sleep after ``failed_attempts`` (>= 1) attempts failed their
    condition: ``random()`` (in [0, 1)) times the cap
    min(1 s, 10 ms * 2**(failed_attempts - 1))."""
    # Past 2**7 the cap is MAX_BACKOFF anyway; bounding the exponent keeps
    # the float from overflowing for a huge max_attempts.
    cap = min(MAX_BACKOFF, INITIAL_BACKOFF * 2.0 ** min(failed_attempts - 1, 16))
    return random() * cap


def run_update(
    read: Callable[[], Optional[Entry]],
    fn: UpdateFn,
    write: Callable[[Any, int], int],
    max_attempts: int,
    sleep: Callable[[float], Any],
    random: Callable[[], float],
) -> int:
    """The blocking loop. ``read()`` returns the key's Entry or None if it is
    absent; ``write(value, if_revision)`` returns the revision written."""
    attempt = 1
    while True:
        current = read()
        value = fn(None if current is None else current.value)
        try:
            return write(value, 0 if current is None else current.revision)
        except ConditionFailedError:
            if attempt >= max_attempts:
                raise
        sleep(backoff(attempt, random))
        attempt += 1


async def run_update_async(
    read: Callable[[], Awaitable[Optional[Entry]]],
    fn: UpdateFn,
    write: Callable[[Any, int], Awaitable[int]],
    max_attempts: int,
    sleep: Callable[[float], Awaitable[Any]],
    random: Callable[[], float],
) -> int:
    """The asyncio loop: as :func:`run_update`, with ``read``, ``write`` and
    ``sleep`` awaited, and ``fn``'s result awaited if it is awaitable (so
    ``fn`` may be a coroutine function)."""
    attempt = 1
    while True:
        current = await read()
        value = fn(None if current is None else current.value)
        if inspect.isawaitable(value):
            value = await value
        try:
            return await write(value, 0 if current is None else current.revision)
        except ConditionFailedError:
            if attempt >= max_attempts:
                raise
        await sleep(backoff(attempt, random))
        attempt += 1
