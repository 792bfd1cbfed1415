"""Issue 10 item 6 (N2): worker addresses and approval contact phones are ciphertext in the database, and
the data migration step encrypts the plaintext rows stored before."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection

from smz.approvals import services as approvals
from smz.approvals.models import ApprovalRequest, RequestKind
from smz.core import crypto
from smz.core.fields import encrypt_column
from smz.registry.models import Worker

ADDRESS = "广东省中山市小榄镇测试街88号"
PHONE = "13912340000"


def _raw(sql: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(sql, [pk])
        return cursor.fetchone()[0]


def _request(world) -> ApprovalRequest:
    p1 = world.projects["p1"]
    return approvals.request_create(
        actor=world.user("gc_labor"),
        project=p1,
        kind=RequestKind.START_CHANGE,
        requested_date=p1.planned_start + dt.timedelta(days=3),
        reason="理由",
        contact_phone=PHONE,
    )


def test_issue10_item6_worker_address_is_ciphertext_in_the_database(world):
    worker = world.workers["sub"]
    worker.address = ADDRESS
    worker.save()
    raw = _raw("SELECT address FROM registry_worker WHERE id = %s", worker.pk)
    assert ADDRESS not in raw and "小榄" not in raw and crypto.decrypt(raw) == ADDRESS
    assert Worker.objects.get(pk=worker.pk).address == ADDRESS


def test_issue10_item6_approval_contact_phone_is_ciphertext_in_the_database(world):
    request = _request(world)
    raw = _raw("SELECT contact_phone FROM approvals_approvalrequest WHERE id = %s", request.pk)
    assert PHONE not in raw and PHONE[-4:] not in raw and crypto.decrypt(raw) == PHONE
    assert ApprovalRequest.objects.get(pk=request.pk).contact_phone == PHONE


def test_issue10_item6_data_migration_encrypts_rows_stored_in_plaintext(world):
    """Rows written before the migration hold plaintext; the step encrypts them and leaves ciphertext
    (and empty values) alone, so it can be re-run."""
    request = _request(world)
    plain, encrypted, empty = world.workers["sub"], world.workers["gc"], world.workers["pm"]
    encrypted.address = "已加密的住址"
    encrypted.save()
    before = _raw("SELECT address FROM registry_worker WHERE id = %s", encrypted.pk)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE registry_worker SET address = %s WHERE id = %s", [ADDRESS, plain.pk])
        cursor.execute(
            "UPDATE approvals_approvalrequest SET contact_phone = %s WHERE id = %s",
            [PHONE, request.pk],
        )
    editor = SimpleNamespace(connection=connection)
    for _ in range(2):
        encrypt_column(apps, editor, model="registry.Worker", field="address")
        encrypt_column(apps, editor, model="approvals.ApprovalRequest", field="contact_phone")
    raw = _raw("SELECT address FROM registry_worker WHERE id = %s", plain.pk)
    assert ADDRESS not in raw and crypto.decrypt(raw) == ADDRESS
    assert _raw("SELECT address FROM registry_worker WHERE id = %s", encrypted.pk) == before
    assert _raw("SELECT address FROM registry_worker WHERE id = %s", empty.pk) == ""
    raw = _raw("SELECT contact_phone FROM approvals_approvalrequest WHERE id = %s", request.pk)
    assert PHONE not in raw and crypto.decrypt(raw) == PHONE


@pytest.mark.parametrize(
    ("path", "call"),
    [
        (
            "smz/registry/migrations/0007_worker_address_encrypted.py",
            'model="registry.Worker", field="address"',
        ),
        (
            "smz/approvals/migrations/0002_contact_phone_encrypted.py",
            'model="approvals.ApprovalRequest", field="contact_phone"',
        ),
    ],
)
def test_issue10_item6_migrations_run_the_encryption_step(path, call):
    from pathlib import Path

    from django.conf import settings

    text = (Path(settings.BASE_DIR) / path).read_text()
    assert f"encrypt_column(apps, schema_editor, {call})" in text
