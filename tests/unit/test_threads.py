"""map_in_threads: calls side by side, in the caller's context, each outcome in its place."""

from __future__ import annotations

import contextvars
import threading

from chalicelib.threads import map_in_threads

running: contextvars.ContextVar[str | None] = contextvars.ContextVar("running", default=None)


def test_each_call_sees_the_callers_context_and_outcomes_keep_their_order() -> None:
    token = running.set("receipt_renderer")
    seen: list[tuple[str | None, str]] = []
    both_started = threading.Barrier(2, timeout=5)  # proves two calls ran at the same time

    def work(n: int) -> int:
        seen.append((running.get(), threading.current_thread().name))
        if n < 2:
            both_started.wait()
        if n == 3:
            raise ValueError("set 3 failed")
        return n * 10

    try:
        outcomes = map_in_threads(work, range(5), at_most=2)
    finally:
        running.reset(token)

    assert outcomes[:3] == [0, 10, 20] and outcomes[4] == 40
    assert isinstance(outcomes[3], ValueError) and str(outcomes[3]) == "set 3 failed"
    assert {context for context, _ in seen} == {"receipt_renderer"}
    assert all(thread != threading.current_thread().name for _, thread in seen)
    assert running.get() is None


def test_nothing_to_do() -> None:
    assert map_in_threads(lambda n: n, [], at_most=4) == []


def test_a_long_lived_pool_runs_each_call_in_the_callers_context() -> None:
    from concurrent.futures import ThreadPoolExecutor

    from chalicelib.threads import map_in_context

    with ThreadPoolExecutor(max_workers=3) as pool:
        list(pool.map(lambda _: running.get(), range(3)))  # the workers exist before the context is set
        token = running.set("api_handler")
        try:
            seen = list(map_in_context(pool, lambda n: (n, running.get()), range(6)))
        finally:
            running.reset(token)
    assert seen == [(n, "api_handler") for n in range(6)]
