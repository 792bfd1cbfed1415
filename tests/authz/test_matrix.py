"""The authorization matrix in the suite (issue 10 "Tests and figures", P3, N2): every route has a row, and
every row holds for every persona. See tests/authz/matrix.py for the table and the outcomes."""

from __future__ import annotations

import pytest

from tests.authz.matrix import (
    PERSONAS,
    READ_ONLY,
    ROWS,
    api_paths,
    check,
    url_names,
)
from tests.authz.stage import Stage


@pytest.fixture
def stage(world, client, settings):
    """The world plus p1's objects on demand; photos and snapshots kept in memory."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    return Stage(world, client)


def problems(key: str, stage: Stage) -> list[str]:
    """Every persona first (nothing may change), then the owner (it must work)."""
    row = ROWS[key]
    extra = [p for p in row.expect if p not in PERSONAS]  # a row may name more personas (gc_pm, …)
    if row.method != "GET" and not row.machine and READ_ONLY not in extra:
        extra.append(
            READ_ONLY
        )  # the city's read-only supervisor reads everything and writes nothing
    found = [check(row, key, stage, persona) for persona in (*PERSONAS, *extra, row.owner)]
    return [p for p in found if p]


def test_every_route_has_a_row():
    """A new page, API operation or device endpoint without an expectation fails here."""
    routes = url_names() | set(api_paths())
    rows = {key.split()[0] for key in ROWS}  # "<name> POST" rows are extra writes of a named route
    missing = sorted(routes - rows)
    stale = sorted(rows - routes)
    assert not missing, f"new endpoint without an expectation in tests/authz/matrix.py: {missing}"
    assert not stale, f"rows for routes that no longer exist: {stale}"


@pytest.mark.parametrize("key", sorted(ROWS))
def test_matrix(key, stage):
    assert problems(key, stage) == []


def test_unknown_zkteco_serial_gets_nothing(client, world):
    """A serial that is not registered is refused on every ZKTeco path."""
    for path in ("cdata?options=all", "getrequest", "rtdata?type=time", "ping"):
        sep = "&" if "?" in path else "?"
        r = client.get(f"/iclock/{path}{sep}SN=NOT-REGISTERED")
        assert r.status_code in (401, 403, 404) or b"USERINFO" not in r.content
