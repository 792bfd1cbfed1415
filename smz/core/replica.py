"""Read replica (issue 17 goal 6, N5): reports, exports and list pages read from a streaming replica of the
PostgreSQL primary when one is configured (DATABASE_REPLICA_URL); everything else, and every write, goes to the
primary. A replica that lags more than SMZ_REPLICA_MAX_LAG_SECONDS, or cannot be reached, is not used: the same
pages then read from the primary, so the replica is never needed for smz to work.

Which requests read from it: GET/HEAD requests whose route name is in settings.SMZ_REPLICA_ROUTES (the list is
config, in one place), decided by `ReplicaReadsMiddleware`. Queries made before the view (the session and the
user, by the middlewares above) stay on the primary; a streamed export reads from the replica while it streams.
Outside a request, `replica_reads()` does the same for a block of code (a report command).

Lag is measured on the replica itself: zero while it has replayed everything it has received, else the age of
the last replayed transaction. The check runs at most every SMZ_REPLICA_CHECK_SECONDS per process."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connections
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse

REPLICA = "replica"
log = logging.getLogger("smz.replica")

_reads: ContextVar[bool] = ContextVar("smz_replica_reads", default=False)
_health: dict[str, float | bool] = {"checked": float("-inf"), "usable": False, "lag": -1.0}

LAG_SQL = (
    "SELECT pg_is_in_recovery(), CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 "
    "ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 1e9) END"
)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


def replica_lag() -> float | None:
    """Seconds the replica is behind (0: caught up); None if it is not a replica or cannot be reached."""
    try:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute(LAG_SQL)
            in_recovery, lag = cursor.fetchone()
    except DatabaseError:
        connections[REPLICA].close()
        return None
    # A promoted replica is no longer fed by the primary: its reads may miss the primary's writes.
    return float(lag) if in_recovery else None


def replica_usable(*, now: float | None = None) -> bool:
    """Whether reads may go to the replica now (cached per process for SMZ_REPLICA_CHECK_SECONDS)."""
    if not replica_configured():
        return False
    now = time.monotonic() if now is None else now
    if now - float(_health["checked"]) >= settings.SMZ_REPLICA_CHECK_SECONDS:
        lag = replica_lag()
        usable = lag is not None and lag <= settings.SMZ_REPLICA_MAX_LAG_SECONDS
        if usable != _health["usable"]:
            log.warning("read replica %s (lag %s s)", "in use" if usable else "not used", lag)
        _health.update(checked=now, usable=usable, lag=-1.0 if lag is None else lag)
    return bool(_health["usable"])


def replica_health_reset() -> None:
    """Forget the cached check (tests; a deploy that changes the replica)."""
    _health.update(checked=float("-inf"), usable=False, lag=-1.0)


@contextmanager
def replica_reads() -> Iterator[None]:
    """Reads in this block may go to the replica (when usable); writes still go to the primary."""
    token = _reads.set(True)
    try:
        yield
    finally:
        _reads.reset(token)


class ReplicaRouter:
    """Reads inside `replica_reads()` go to the replica while it is usable; all else to the primary."""

    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        if _reads.get() and replica_usable():
            return REPLICA
        return None

    def db_for_write(self, model: Any, **hints: Any) -> str:
        return "default"

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == "default"


def _streamed(content: Iterator[bytes]) -> Iterator[bytes]:
    with replica_reads():
        yield from content


class ReplicaReadsMiddleware:
    """Marks the views of SMZ_REPLICA_ROUTES (GET/HEAD) as replica reads. It only sets the mark in
    `process_view` (last in MIDDLEWARE, so every other hook has run) and clears it when the response is back:
    the view itself still runs through Django's handler (atomic requests, exception middleware)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.routes = frozenset(settings.SMZ_REPLICA_ROUTES)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _reads.set(False)
        try:
            response = self.get_response(request)
            if _reads.get() and isinstance(response, StreamingHttpResponse):
                response.streaming_content = _streamed(iter(response.streaming_content))
            return response
        finally:
            _reads.reset(token)

    def process_view(
        self, request: HttpRequest, view: Callable[..., HttpResponse], args: Any, kwargs: Any
    ) -> None:
        match = request.resolver_match
        if (
            request.method in ("GET", "HEAD")
            and match is not None
            and match.view_name in self.routes
            and replica_configured()
        ):
            _reads.set(True)
