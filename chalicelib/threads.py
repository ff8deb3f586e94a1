"""Running a few independent calls side by side inside one invocation.

Each call runs in a copy of the caller's context (``contextvars``): what the caller set for the
invocation (Powertools' logging keys, the tests' record of which function is running) holds in
the worker thread too, as it would in the calling thread.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def map_in_threads(fn: Callable[[T], R], items: Iterable[T], *, at_most: int) -> list[R | Exception]:
    """``fn`` over ``items``, ``at_most`` at a time, in order; a call that raised gives its
    exception in its place (so one failure never hides the others' results)."""
    items = list(items)
    if not items:
        return []

    def outcome(item: T) -> R | Exception:
        try:
            return fn(item)
        except Exception as exc:  # noqa: BLE001 - handed back to the caller, per item
            return exc

    with ThreadPoolExecutor(max_workers=max(1, min(at_most, len(items)))) as pool:
        futures = [pool.submit(contextvars.copy_context().run, outcome, item) for item in items]
        return [future.result() for future in futures]


def map_in_context(pool: ThreadPoolExecutor, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
    """``pool.map(fn, items)`` on a long-lived pool, each call in a copy of the caller's context:
    results in order; the first call that raised raises here."""
    futures = [pool.submit(contextvars.copy_context().run, fn, item) for item in items]
    return (future.result() for future in futures)
