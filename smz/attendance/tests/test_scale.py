"""`manage.py seed_scale` (issue 17 goal 4): the generated attendance is what the roll-up computes from the
generated passes, personal numbers are real ciphertext with their blind indexes, and the deferred indexes and
constraints come back exactly as they were. PostgreSQL only (COPY, the catalog); refused on SQLite."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from conftest import ensure_reference_data
from smz.accounts.models import User
from smz.attendance import scale, services
from smz.attendance.models import DailyAttendance, KeyPostDay, MonthlyAttendance, PassRecord
from smz.core import crypto
from smz.registry import identity
from smz.registry.models import Employment, Project, Worker
from smz.registry.scoping import projects_for
from smz.testing.monthly import consistent

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="seed_scale needs PostgreSQL"
)
LAST = dt.date(2026, 3, 12)
DAILY = (
    "worker_id",
    "work_date",
    "first_in",
    "last_out",
    "minutes",
    "valid_passes",
    "invalid_passes",
    "attended",
    "anomalies",
)
POST_DAY = ("key_post_id", "holder_id", "attended", "first_in", "minutes", "absence_reason")
TABLES = ("attendance_passrecord", "attendance_dailyattendance", "attendance_keypostday")


def _schema() -> set[tuple[str, str]]:
    """Constraints and indexes of the tables and of every partition of theirs (a partitioned table's own index
    definition reads the same whether or not its partitions have theirs)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH t AS (SELECT c.oid FROM pg_class c WHERE c.oid = ANY(%s::regclass[])"
            " UNION SELECT i.inhrelid FROM pg_inherits i WHERE i.inhparent = ANY(%s::regclass[]))"
            " SELECT conrelid::regclass::text || '.' || conname, pg_get_constraintdef(oid)"
            " FROM pg_constraint WHERE conrelid IN (SELECT oid FROM t)"
            " UNION SELECT x.indexrelid::regclass::text, pg_get_indexdef(x.indexrelid) || x.indisvalid::text"
            " FROM pg_index x WHERE x.indrelid IN (SELECT oid FROM t)",
            [list(TABLES), list(TABLES)],
        )
        return set(cursor.fetchall())


def _daily(project_id: int, day: dt.date) -> set[tuple]:
    rows = DailyAttendance.objects.filter(project=project_id, work_date=day).values_list(*DAILY)
    return {(*r[:-1], tuple(r[-1])) for r in rows}


def _post_days(project_id: int, day: dt.date) -> set[tuple]:
    return set(KeyPostDay.objects.filter(project=project_id, work_date=day).values_list(*POST_DAY))


@pytest.mark.django_db
def test_issue17_4_seed_scale_refuses_sqlite() -> None:
    if connection.vendor == "postgresql":
        pytest.skip("the refusal is SQLite's")
    with pytest.raises(CommandError):
        call_command("seed_scale", projects=2, workers=40, days=1, passes_per_day=20)


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_issue17_4_seed_scale_matches_the_rollup() -> None:
    ensure_reference_data()  # a transactional test before this one may have flushed the migrations' data
    before = _schema()
    call_command(
        "seed_scale",
        projects=6,
        workers=400,
        days=4,
        passes_per_day=300,
        last_day=LAST,
        stdout=None,
    )
    assert _schema() == before  # indexes and constraints rebuilt as they were
    # the monthly summaries, filled in one statement after the load, are what the triggers keep
    assert MonthlyAttendance.objects.count() > 0
    assert consistent()

    projects = list(Project.objects.filter(code__startswith=scale.CODE_PREFIX).order_by("code"))
    assert len(projects) == 6
    assert Worker.objects.count() == 400
    assert Employment.objects.filter(status="active").count() == 404  # 4 on two rosters
    days = sorted(set(PassRecord.objects.values_list("work_date", flat=True)))
    assert days == [LAST - dt.timedelta(days=n) for n in (3, 2, 1, 0)]
    assert DailyAttendance.objects.filter(anomalies__contains=["no_exit"]).exists()
    assert PassRecord.objects.filter(valid=False).exists()

    worker = Worker.objects.order_by("pk").first()
    assert worker is not None
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone FROM registry_worker WHERE id = %s", [worker.pk])
        stored_number, stored_phone = cursor.fetchone()
    assert crypto.decrypt(stored_number) == worker.id_number != stored_number
    assert crypto.decrypt(stored_phone) == worker.phone != stored_phone
    assert worker.id_number_index == identity.id_number_index(worker.id_card_type, worker.id_number)
    assert worker.phone_index == identity.phone_index(worker.phone)

    city = User.objects.get(username=scale.CITY_LOGIN)
    town = User.objects.get(username=scale.TOWN_LOGIN)
    assert projects_for(city).filter(code__startswith=scale.CODE_PREFIX).count() == 6
    in_town = projects_for(town).filter(code__startswith=scale.CODE_PREFIX)
    assert projects[0] in in_town
    assert 0 < in_town.count() < 6

    # The roll-up, run again over the generated passes, writes the same rows (snapshot files are not written:
    # the face check is taken as having found a face, as it would for a real snapshot).
    with transaction.atomic():
        for project in projects[:3]:
            for day in days[-2:]:
                daily, post_days = _daily(project.pk, day), _post_days(project.pk, day)
                keys = set(
                    PassRecord.objects.filter(project=project, work_date=day).values_list(
                        "worker", "work_date"
                    )
                )
                DailyAttendance.objects.filter(project=project, work_date=day).delete()
                KeyPostDay.objects.filter(project=project, work_date=day).delete()
                with mock.patch.object(services, "_faces_in_file", return_value=1):
                    services.attendance_recompute(project_id=project.pk, keys=keys)
                    services.key_post_days_compute(project_id=project.pk, day=day)
                assert _daily(project.pk, day) == daily
                assert _post_days(project.pk, day) == post_days
        transaction.set_rollback(True)

    with pytest.raises(CommandError):  # a second run is refused
        call_command("seed_scale", projects=2, workers=40, days=1, passes_per_day=20)
