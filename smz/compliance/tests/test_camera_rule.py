"""C-CAM-ENTRANCE (V1, issue 16 item 6): an open personnel entrance of a site that must attend, without an online
camera in the working hours beyond the tolerance, is one violation a day; vehicle and closed entrances are not
judged; the per-day cap bounds a site; evidence names the cameras and the entrance."""

from __future__ import annotations

import copy
import datetime as dt

import pytest

from smz.compliance import table
from smz.compliance.models import Deduction, Violation
from smz.compliance.selectors.review import evidence_links
from smz.compliance.services import rule_table_load
from smz.compliance.services.engine import judge
from smz.compliance.services.review import deductions_propose
from smz.core.timeutil import CITY_TZ
from smz.devices.models import Entrance
from smz.testing.video import entrance_with_camera
from smz.video.models import CameraOnlineInterval

DAY = dt.date(
    2024, 6, 3
)  # a Monday, formal phase; p1 (permit 2024) must attend and carries the video duty
CODE = "C-CAM-ENTRANCE"


def at(hour: int, minute: int = 0, day: dt.date = DAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=CITY_TZ)


@pytest.fixture
def cam_rule(db):
    """The shipped table, its camera rule in force from 2024 (the file's date is the platform's video go-live,
    later than DAY; versions are append-only, so the table is loaded so)."""
    data = copy.deepcopy(table.table_data())
    (rule,) = [r for r in data["rules"] if r["code"] == CODE]
    rule["effective_from"] = "2024-01-01"
    rule_table_load(data=data)


def online(camera, start, end=None) -> None:
    CameraOnlineInterval.objects.create(camera=camera, started_at=start, ended_at=end)


def run(project, day=DAY):
    """Judge the day, the site's entrances on record since 2024 (an entrance recorded later is not judged)."""
    Entrance.objects.update(created_at=dt.datetime(2024, 1, 1, tzinfo=CITY_TZ))
    return judge(day, day, projects=[project.pk])


def found(project, day=DAY):
    return list(
        Violation.objects.filter(project=project, day=day, rule__code=CODE).order_by("subject")
    )


def test_v1_entrance_without_camera_or_offline_is_found(world, cam_rule):
    p1, gc = world.projects["p1"], world.user("gc_labor")
    bare = Entrance.objects.create(project=p1, name="北门")
    east, camera = entrance_with_camera(gc, p1, name="东门", serial=1)
    online(camera, at(6), at(12))  # offline from noon: 7 of the 12 working hours
    run(p1)
    rows = {v.subject: v for v in found(p1)}
    assert set(rows) == {f"entrance:{bare.pk}", f"entrance:{east.pk}"}
    assert "camera" not in rows[f"entrance:{bare.pk}"].evidence
    assert rows[f"entrance:{bare.pk}"].evidence["entrance"] == [bare.pk]
    assert "没有指定视频监控点" in rows[f"entrance:{bare.pk}"].evidence["text"]
    v = rows[f"entrance:{east.pk}"]
    assert v.evidence["camera"] == [camera.pk] and v.evidence["entrance"] == [east.pk]
    assert "累计离线 420 分钟" in v.evidence["text"]
    assert v.counted and v.enterprise == world.enterprises["gc"]


def test_v1_covered_entrance_is_not_found(world, cam_rule):
    p1, gc = world.projects["p1"], world.user("gc_labor")
    _, a = entrance_with_camera(gc, p1, name="东门", serial=1)
    online(a, at(6), at(21))
    # Two cameras at one entrance: their union covers the day; a 20-minute reboot is within the tolerance.
    _, b = entrance_with_camera(gc, p1, name="西门", serial=2)
    c = entrance_with_camera(gc, p1, name="西门", serial=3)[1]
    online(b, at(6), at(13))
    online(c, at(12), at(15))
    online(b, at(15, 20))  # still online
    run(p1)
    assert found(p1) == []


def test_v1_vehicle_and_closed_entrances_are_not_judged(world, cam_rule):
    p1 = world.projects["p1"]
    Entrance.objects.create(project=p1, name="车辆门", kind=Entrance.Kind.VEHICLE)
    Entrance.objects.create(
        project=p1,
        name="旧门",
        status=Entrance.Status.CLOSED,
        closed_at=at(18, day=DAY - dt.timedelta(days=1)),
    )
    run(p1)
    assert found(p1) == []
    # A site that need not attend yet (before planned start + 10 days) is not judged either.
    Entrance.objects.create(project=p1, name="北门")
    early = dt.date(2024, 2, 5)
    run(p1, early)
    assert found(p1, early) == []


def test_v1_one_finding_per_entrance_capped_per_day(world, cam_rule):
    p1 = world.projects["p1"]
    for name in ("一号门", "二号门", "三号门", "四号门"):
        Entrance.objects.create(project=p1, name=name)
    run(p1)
    rows = found(p1)
    assert len(rows) == 4
    assert [v.counted for v in rows].count(True) == 3  # per_day_cap 3 at 1 point an entrance
    (capped,) = [v for v in rows if not v.counted]
    assert capped.not_counted_reason == "已达每日上限 3 分"
    # Idempotent: a re-run rewrites the same rows.
    result = run(p1)
    assert result.created == 0 and result.by_rule[CODE] == 3 and len(found(p1)) == 4


def test_v1_rule_is_enabled_from_the_video_go_live():
    (rule,) = [r for r in table.table_data()["rules"] if r["code"] == CODE]
    assert rule["enabled"] is True and rule["effective_from"] == "2026-12-05"
    assert rule["basis"].startswith("通知 一（二）4")


def test_v1_deduction_evidence_links_the_camera_and_the_entrance(world, cam_rule):
    p1, gc = world.projects["p1"], world.user("gc_labor")
    east, camera = entrance_with_camera(gc, p1, name="东门", serial=1)
    run(p1)
    deductions_propose(DAY, DAY)
    deduction = Deduction.objects.get(violation__rule__code=CODE)
    links = {link.label: link.url for link in evidence_links(deduction)}
    assert links["视频监控点"] == f"/video/cameras/{camera.pk}/"
    assert links["出入口"] == f"/video/entrances/{east.pk}/"
