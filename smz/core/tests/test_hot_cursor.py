"""core.bulk.hot_cursor (issue 17 goal 2, N5): the device requests' statements are bound on the server and
prepared on PostgreSQL, and the cursor still behaves as Django's (errors, query log, transactions)."""

import pytest
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from smz.core.bulk import hot_cursor, rows_upsert
from smz.devices.models import DeviceNonce
from smz.devices.selectors import device_by_serial
from smz.testing.attendance import gate_for

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's"
)


def _prepared(fragment: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            [f"%{fragment}%"],
        )
        return cursor.fetchone()[0]


@postgresql_only
@pytest.mark.django_db
def test_a_statement_run_often_is_prepared_once_on_its_connection(world) -> None:
    threshold = settings.DATABASES["default"]["OPTIONS"]["prepare_threshold"]
    assert threshold is not None and connection.connection.prepare_threshold == threshold
    device = gate_for(world, "p1", "GATE-HOT-1")
    marker = "devices_device"
    before = _prepared(marker)
    for _ in range(threshold + 3):
        assert device_by_serial(device.serial).pk == device.pk
    assert _prepared(marker) == before + 1  # one prepared statement, reused, not one per run


@postgresql_only
@pytest.mark.django_db
def test_errors_are_djangos_and_the_query_log_sees_it(world) -> None:
    device = gate_for(world, "p1", "GATE-HOT-1")
    with CaptureQueriesContext(connection) as queries, hot_cursor() as cursor:
        cursor.execute("SELECT %s::bigint + 1", ["41"])
        assert cursor.fetchone() == (42,)
    assert any("SELECT" in q["sql"] for q in queries.captured_queries)
    DeviceNonce.objects.create(device=device, nonce="n" * 16, seen_at="2026-12-05T00:00:00Z")
    with pytest.raises(IntegrityError), transaction.atomic(), hot_cursor() as cursor:
        cursor.execute(
            "INSERT INTO devices_devicenonce (device_id, nonce, seen_at) VALUES (%s, %s, now())",
            [device.pk, "n" * 16],
        )


@pytest.mark.django_db
def test_rows_upsert_through_it_keeps_the_first_row(world) -> None:
    device = gate_for(world, "p1", "GATE-HOT-1")
    first = rows_upsert(
        DeviceNonce,
        ("device", "nonce", "seen_at"),
        [(device.pk, "a" * 16, "2026-12-05T00:00:00+00:00")],
        unique=("device", "nonce"),
        returning="id",
    )
    again = rows_upsert(
        DeviceNonce,
        ("device", "nonce", "seen_at"),
        [(device.pk, "a" * 16, "2026-12-06T00:00:00+00:00")],
        unique=("device", "nonce"),
        returning="id",
    )
    assert len(first) == 1 and again == []
    assert DeviceNonce.objects.get(nonce="a" * 16).seen_at.day == 5
