"""Face check, daily and key-post attendance, double shifts, and the attendance pages' scoping (A1–A5, N2)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from smz.attendance.ingest import RawPass, pass_records_ingest
from smz.attendance.models import DailyAttendance, KeyPostDay, PassRecord, SnapshotCheck
from smz.attendance.services import attendance_recompute, key_post_days_compute
from smz.attendance.snapshots import snapshot_read
from smz.core.models import PersonalDataAccess
from smz.registry.models import KeyPost, KeyPostHolding
from smz.testing.attendance import at, attend, gate_for, today
from smz.testing.devices import jpeg
from smz.testing.downloads import download_body


@pytest.fixture
def p1_gate(world):
    return gate_for(world, "p1", "GATE-P1-A")


def test_a5_snapshot_without_face_is_stored_but_does_not_count(world, p1_gate):
    gc = world.workers["gc"]
    answers = attend(p1_gate, gc, today(), snapshot=jpeg(face=False))
    assert [a["face_check"] for a in answers] == ["pending", "pending"]
    assert set(SnapshotCheck.objects.values_list("faces", flat=True)) == {0}
    day = DailyAttendance.objects.get(worker=gc, work_date=today())
    assert not day.attended and day.invalid_passes == 2 and "no_face" in day.anomalies
    assert PassRecord.objects.filter(worker=gc).count() == 2


def test_a5_snapshot_with_face_counts(world, p1_gate):
    gc = world.workers["gc"]
    attend(p1_gate, gc, today())
    assert set(SnapshotCheck.objects.values_list("faces", flat=True)) == {1}
    day = DailyAttendance.objects.get(worker=gc, work_date=today())
    assert day.attended and day.minutes == 9 * 60 + 50 and day.anomalies == []
    # A second run checks nothing twice.
    attendance_recompute(project_id=p1_gate.project_id, keys=[(gc.pk, today())])
    assert SnapshotCheck.objects.count() == 2


def test_a4_key_post_counts_the_post_not_the_person(world, p1_gate):
    pm, gc = world.workers["pm"], world.workers["gc"]
    attend(p1_gate, pm, today())
    rows = {k.key_post.post: k for k in KeyPostDay.objects.filter(work_date=today())}
    assert rows["P01"].attended and rows["P01"].holder == pm
    assert not rows["P03"].attended and rows["P03"].holder is None  # vacant post

    # Yesterday the post P01 was held by someone else (the holding history decides, not today's holder).
    yesterday = today() - dt.timedelta(days=1)
    post = KeyPost.objects.get(post="P01")
    KeyPostHolding.objects.create(
        key_post=post, worker=gc, start_on=yesterday - dt.timedelta(days=5), end_on=yesterday
    )
    KeyPostHolding.objects.create(key_post=post, worker=pm, start_on=today())
    attend(p1_gate, pm, yesterday)  # the current holder came, but yesterday was not his post
    row = KeyPostDay.objects.get(key_post=post, work_date=yesterday)
    assert row.holder == gc and not row.attended
    attend(p1_gate, gc, yesterday)
    row.refresh_from_db()
    assert row.attended and row.holder == gc


def test_a4_days_without_passes_are_closed_as_absent(world):
    rows = key_post_days_compute(project_id=world.projects["p1"].pk, day=today())
    by_post = {r.key_post.post: r for r in rows}
    assert not by_post["P01"].attended and by_post["P01"].holder == world.workers["pm"]


@pytest.fixture
def double_shift(world, p1_gate):
    """The GC's worker passes on p1 (小榄) and on p3 (石岐区) the same day."""
    gc = world.workers["gc"]
    world.employ("p3", "gc")
    p3_gate = gate_for(world, "p3", "GATE-P3-A")
    attend(p1_gate, gc, today())
    attend(p3_gate, gc, today(), tag="p3-")
    return gc


@pytest.mark.parametrize("persona", ["city_supervisor", "gc_admin"])
def test_a4_double_shift_listed_for_those_who_see_a_project(as_user, double_shift, persona):
    r = as_user(persona).get("/attendance/anomalies/?tab=double_shift")
    assert r.status_code == 200
    body = r.content.decode()
    assert "测试甲工" in body and "小榄甲住宅项目" in body and "石岐甲商业项目" in body


@pytest.mark.parametrize(
    ("persona", "seen", "unseen"),
    [
        ("town_l1", "小榄甲住宅项目", "石岐甲商业项目"),
        ("safety_l2", "石岐甲商业项目", "小榄甲住宅项目"),
    ],
)
def test_a4_double_shift_names_only_projects_in_scope(as_user, double_shift, persona, seen, unseen):
    """Issue 10 item 4: the other project is a count, not its name or times."""
    body = as_user(persona).get("/attendance/anomalies/?tab=double_shift").content.decode()
    assert (
        "测试甲工" in body and seen in body and unseen not in body and "另有 1 个项目出勤" in body
    )


@pytest.mark.parametrize("persona", ["neighbour_town", "neighbour_labor"])
def test_a4_double_shift_hidden_from_neighbours(as_user, double_shift, persona):
    r = as_user(persona).get("/attendance/anomalies/?tab=double_shift")
    assert r.status_code == 200 and "测试甲工" not in r.content.decode()


def test_anomaly_tabs_list_invalid_and_key_post_days(world, as_user, p1_gate):
    attend(p1_gate, world.workers["gc"], today(), snapshot=jpeg(face=False))
    # gc holds no post, so his passes leave the posts alone; the nightly close writes their day.
    assert not KeyPostDay.objects.exists()
    key_post_days_compute(project_id=world.projects["p1"].pk, day=today())
    client = as_user("town_l1")
    body = client.get("/attendance/anomalies/?tab=no_face").content.decode()
    assert "测试甲工" in body and "抓拍无人脸" in body
    body = client.get("/attendance/anomalies/?tab=off_site").content.decode()
    assert "测试甲工" not in body
    body = client.get("/attendance/anomalies/?tab=key_posts").content.decode()
    assert "岗位空缺" in body and "测试项目经理" in body  # P03 vacant; P01 holder absent
    assert (
        "测试甲工"
        not in as_user("neighbour_town").get("/attendance/anomalies/?tab=no_face").content.decode()
    )


def test_calendar_shows_people_by_day_and_is_scoped(world, as_user, p1_gate):
    attend(p1_gate, world.workers["gc"], today())
    p1 = world.projects["p1"].pk
    r = as_user("gc_labor").get(f"/projects/{p1}/attendance/?month={today():%Y-%m}")
    assert r.status_code == 200
    body = r.content.decode()
    assert "测试甲工" in body and "测试乙工" in body and "✓" in body
    # The subcontractor sees only its own people on the GC's project.
    body = as_user("sub_labor").get(f"/projects/{p1}/attendance/").content.decode()
    assert "测试乙工" in body and "测试甲工" not in body
    for persona in ("neighbour_labor", "neighbour_town", "worker"):
        assert as_user(persona).get(f"/projects/{p1}/attendance/").status_code == 404
    assert as_user("gc_labor").get(f"/projects/{p1}/attendance/?month=2026-13").status_code == 400


def test_monthly_excel_one_sheet_per_team_masked(world, as_user, p1_gate):
    attend(p1_gate, world.workers["gc"], today())
    p1 = world.projects["p1"].pk
    r = as_user("gc_labor").get(f"/projects/{p1}/attendance/export/?month={today():%Y-%m}")
    assert r.status_code == 200
    book = load_workbook(io.BytesIO(download_body(r)))
    assert set(book.sheetnames) == {"甲钢筋班", "乙木工班", "未分班组"}
    sheet = book["甲钢筋班"]
    row = [c.value for c in sheet[4]]
    assert row[1] == "测试甲工"
    assert world.workers["gc"].id_number not in str(row) and "*" in row[2]
    assert row[5 + today().day - 1] == "√" and row[-2] == 1
    assert as_user("neighbour_labor").get(f"/projects/{p1}/attendance/export/").status_code == 404
    assert as_user("worker").get(f"/projects/{p1}/attendance/export/").status_code == 403


def test_person_passes_and_snapshot_are_permission_checked_and_audited(world, as_user, p1_gate):
    gc = world.workers["gc"]
    attend(p1_gate, gc, today())
    r = as_user("gc_labor").get(f"/workers/{gc.pk}/passes/")
    assert r.status_code == 200
    body = r.content.decode()
    assert "有效" in body and "东门" in body
    record = PassRecord.objects.filter(worker=gc).first()
    before = PersonalDataAccess.objects.count()
    snap = as_user("gc_labor").get(f"/passes/{record.pk}/snapshot/")
    assert snap.status_code == 200 and snap["Content-Type"] == "image/jpeg"
    assert snap.content[:2] == b"\xff\xd8"
    assert PersonalDataAccess.objects.count() == before + 1
    for persona in ("neighbour_labor", "neighbour_town", "sub_labor", "worker"):
        assert as_user(persona).get(f"/passes/{record.pk}/snapshot/").status_code == 404
        assert as_user(persona).get(f"/workers/{gc.pk}/passes/").status_code == 404
    assert PersonalDataAccess.objects.count() == before + 1


def test_worker_sees_own_passes(world, as_user):
    sub = world.workers["sub"]
    device = gate_for(world, "p1", "GATE-P1-B")
    attend(device, sub, today(), snapshot=jpeg(face=False))
    body = as_user("worker").get(f"/workers/{sub.pk}/passes/").content.decode()
    assert "无效" in body and "抓拍照片中未检测到人脸" in body


def test_project_page_shows_today_and_key_post_status(world, as_user, p1_gate):
    attend(p1_gate, world.workers["pm"], today())
    body = as_user("town_l1").get(f"/projects/{world.projects['p1'].pk}/").content.decode()
    assert "今日出勤人数" in body and "到岗" in body and "空缺" in body


def test_range_longer_than_a_month_is_refused(world, as_user):
    gc = world.workers["gc"]
    r = as_user("gc_labor").get(f"/workers/{gc.pk}/passes/?from=2026-01-01&to=2026-03-01")
    assert r.status_code == 400


def test_a4_close_day_command_writes_absent_posts(world):
    from django.core.management import call_command

    yesterday = today() - dt.timedelta(days=1)
    out = io.StringIO()
    call_command("attendance_close_day", date=yesterday.isoformat(), stdout=out)
    rows = KeyPostDay.objects.filter(work_date=yesterday)
    assert rows.count() == 3 and not rows.filter(attended=True).exists()
    assert "3 key-post days" in out.getvalue()
    call_command("attendance_close_day", date=yesterday.isoformat(), stdout=io.StringIO())
    assert KeyPostDay.objects.filter(work_date=yesterday).count() == 3


def test_n3_recompute_task_commits_with_the_passes(world, p1_gate):
    """The recompute task row is written in the ingest transaction: both land, or neither does."""
    from django.db import transaction
    from django_tasks_db.models import DBTaskResult

    gc = world.workers["gc"]
    raw = [RawPass("t-1", gc.pk, at(today(), 8), "in", "face", 90, jpeg())]
    with pytest.raises(RuntimeError), transaction.atomic():
        pass_records_ingest(device=p1_gate, records=raw)
        assert DBTaskResult.objects.count() == 1
        raise RuntimeError("crash before commit")
    assert not PassRecord.objects.exists() and not DBTaskResult.objects.exists()
    pass_records_ingest(device=p1_gate, records=raw)
    task = DBTaskResult.objects.get()
    assert task.args_kwargs["args"][1] == f"{gc.pk}:{today().isoformat()}"


def test_n3_insert_falls_back_when_a_concurrent_retry_stored_the_rows_first(world, p1_gate):
    """The COPY insert (PostgreSQL) meets rows a concurrent retry already committed: no error, no double."""
    from smz.attendance.ingest import PASS_COLUMNS, _passes_insert

    gc = world.workers["gc"]
    pass_records_ingest(
        device=p1_gate, records=[RawPass("c-1", gc.pk, at(today(), 8), "in", "face", 90, jpeg())]
    )
    stored = PassRecord.objects.values_list(*PASS_COLUMNS).get()
    fresh = (*stored[:1], "c-2", *stored[2:])
    assert set(_passes_insert(p1_gate, [stored, fresh])) == {"c-1"}  # c-1 collides, c-2 is new
    assert sorted(PassRecord.objects.values_list("device_record_id", flat=True)) == ["c-1", "c-2"]


def test_n3_snapshot_files_are_content_addressed(world, p1_gate, private_dir):
    """Two passes with the same JPEG share one file, written whole (no temp file left behind)."""
    gc, sub = world.workers["gc"], world.workers["sub"]
    snap = jpeg()
    pass_records_ingest(
        device=p1_gate,
        records=[
            RawPass("f-1", gc.pk, at(today(), 8), "in", "face", 90, snap),
            RawPass("f-2", sub.pk, at(today(), 8, 1), "in", "face", 90, snap),
        ],
    )
    names = set(PassRecord.objects.values_list("snapshot", flat=True))
    assert len(names) == 1
    files = [p for p in private_dir.rglob("*") if p.is_file()]
    assert len(files) == 1 and snapshot_read(names.pop()) == snap  # sealed at rest, same JPEG


def test_issue11_anomalies_default_to_the_last_seven_days(world, as_user, p1_gate):
    """Issue 11 item 7: today alone was empty every morning; yesterday's no-face pass is listed by default,
    the range is shown and can be changed."""
    yesterday = today() - dt.timedelta(days=1)
    attend(p1_gate, world.workers["gc"], yesterday, snapshot=jpeg(face=False))
    body = as_user("town_l1").get("/attendance/anomalies/?tab=no_face").content.decode()
    assert "测试甲工" in body
    week = today() - dt.timedelta(days=6)
    assert f'name="from" value="{week:%Y-%m-%d}"' in body
    assert f'name="to" value="{today():%Y-%m-%d}"' in body
    assert f"{week:%Y-%m-%d} 至 {today():%Y-%m-%d}，共 7 天" in body
    today_only = as_user("town_l1").get(
        f"/attendance/anomalies/?tab=no_face&from={today():%Y-%m-%d}&to={today():%Y-%m-%d}"
    )
    assert "测试甲工" not in today_only.content.decode()
    assert (
        f"?tab=no_face&amp;from={yesterday:%Y-%m-%d}&amp;to={today():%Y-%m-%d}" in body
    )  # 昨天和今天
