"""Two writers at once, made deterministic (issue 12 item 5): writer A is held right after its state check,
inside its transaction, until writer B has either finished or is waiting for a row lock; then A goes on.
With the right row lock B waits for A; without it B slips in between A's check and A's write."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from unittest import mock

import pytest
from django.db import connection

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="row locks: PostgreSQL only (SQLite has no row locks; its one writer lock serialises writes)",
)

TIMEOUT = 15.0


@dataclass
class Outcome:
    """What one writer returned or raised."""

    value: Any = None
    error: BaseException | None = None


def _others_waiting_on_a_lock() -> int:
    with connection.cursor() as cursor:
        # pg_stat_activity is otherwise read once per transaction and would never change here.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        )
        return int(cursor.fetchone()[0])


def race(
    *, first: Callable[[], Any], second: Callable[[], Any], hold_after: tuple[object, str]
) -> tuple[Outcome, Outcome]:
    """Run `first` until it returns from `hold_after` (module, function name) inside a transaction, then
    run `second`; let `first` go on once `second` is done or blocked on a lock. Returns both outcomes."""
    module, name = hold_after
    real = getattr(module, name)
    checked, second_done = threading.Event(), threading.Event()
    a_thread: list[threading.Thread] = []

    def held(*args: Any, **kwargs: Any) -> Any:
        result = real(*args, **kwargs)
        if (
            threading.current_thread() is a_thread[0]
            and connection.in_atomic_block
            and not checked.is_set()
        ):
            checked.set()
            deadline = time.monotonic() + TIMEOUT
            while not second_done.is_set() and not _others_waiting_on_a_lock():
                if time.monotonic() > deadline:
                    raise TimeoutError("the second writer neither finished nor waited on a lock")
                time.sleep(0.02)
        return result

    outcomes = Outcome(), Outcome()

    def run(fn: Callable[[], Any], out: Outcome, before: threading.Event | None) -> None:
        try:
            if before is not None and not before.wait(TIMEOUT):
                raise TimeoutError("the first writer never reached its check")
            out.value = fn()
        except BaseException as exc:
            out.error = exc
        finally:
            if before is not None:
                second_done.set()
            checked.set()  # the first writer failed before its check: do not leave the second waiting
            connection.close()

    a = threading.Thread(target=run, args=(first, outcomes[0], None), name="race-first")
    b = threading.Thread(target=run, args=(second, outcomes[1], checked), name="race-second")
    a_thread.append(a)
    with mock.patch.object(module, name, held):
        a.start()
        b.start()
        a.join(TIMEOUT * 2)
        b.join(TIMEOUT * 2)
    assert not a.is_alive() and not b.is_alive(), "a writer is stuck (deadlock?)"
    return outcomes
