"""Issue 10 item 6: the real migrations encrypt rows stored in plaintext before them, and their reverse
gives the plaintext back (a roll-back leaves readable data)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from smz.core import crypto

BEFORE = [("registry", "0006_employment_gate_status"), ("approvals", "0001_workflows")]
AFTER = [
    ("registry", "0007_worker_address_encrypted"),
    ("approvals", "0002_contact_phone_encrypted"),
]
ADDRESS = "广东省中山市小榄镇迁移街1号"


def _migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def _migrate_all() -> None:
    """Back to every app's latest migration: going back to BEFORE also unapplied the apps that depend on these
    (notifications, compliance...), and the tests that run next on this process need their tables."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


def _address(pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT address FROM registry_worker WHERE id = %s", [pk])
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_issue10_item6_migration_encrypts_existing_addresses_and_reverses(world):
    pk = world.workers["sub"].pk
    try:
        _migrate(BEFORE)
        with connection.cursor() as cursor:
            cursor.execute("UPDATE registry_worker SET address = %s WHERE id = %s", [ADDRESS, pk])
        _migrate(AFTER)
        raw = _address(pk)
        assert ADDRESS not in raw and crypto.decrypt(raw) == ADDRESS
        _migrate(BEFORE)
        assert _address(pk) == ADDRESS
    finally:
        _migrate_all()
