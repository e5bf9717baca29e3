"""Helpers for tests with real parallel connections, on PostgreSQL.

A test marked ``@pytest.mark.postgres`` and ``@pytest.mark.django_db(transaction=True)`` may
start real threads: each opens its own connection to the test database, so row locks,
constraints and ``select_for_update()`` behave as with several server processes at once (a
double click, two agents, two schedulers). Not for production code.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from django.db import connections

A = TypeVar("A")
R = TypeVar("R")


def run_in_parallel(function: Callable[[A], R], arguments: Iterable[A], *, timeout: float | None = None) -> list[R]:
    """Call ``function(argument)`` for every argument at the same moment, one thread each.

    The threads wait behind a barrier so the calls start together, and each closes its own
    database connections when done. Returns the results in the order of ``arguments``. If calls
    raise, every thread still finishes, then the exception of the first such argument is raised:
    a function that should report refusals returns them instead (e.g. ``"error: ..."``).

    With ``timeout`` (seconds), the wait at the barrier and the wait for the results are bounded:
    a deadlock fails the test (``TimeoutError``, ``BrokenBarrierError``) instead of hanging it.
    """
    arguments = list(arguments)
    barrier = threading.Barrier(len(arguments))

    def call(argument: A) -> R:
        try:
            barrier.wait(timeout)
            return function(argument)
        finally:
            connections.close_all()

    pool = ThreadPoolExecutor(max_workers=len(arguments))
    timed_out = False
    try:
        return list(pool.map(call, arguments, timeout=timeout))
    except TimeoutError:
        timed_out = True  # do not wait for threads that may never end
        raise
    finally:
        pool.shutdown(wait=not timed_out)
