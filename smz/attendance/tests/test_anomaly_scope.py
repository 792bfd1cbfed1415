"""Issue 10 item 4 (P3): every anomaly tab shows only what the user's scope covers; a double shift on a
project the user cannot see is a count, never that project's name or times."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from smz.attendance.ingest import RawPass, pass_records_ingest
from smz.attendance.services import attendance_recompute, key_post_days_compute
from smz.registry.models import KeyPost
from smz.testing.attendance import attend, gate_for
from smz.testing.devices import jpeg


def yesterday() -> dt.date:
    """Read when a test runs, never at import or collection (issue 11 item 9)."""
    return timezone.localdate() - dt.timedelta(days=1)


def day_range() -> str:
    return f"from={yesterday()}&to={yesterday()}"


TABS = ["double_shift", "only_invalid_passes", "no_exit", "off_site", "no_face", "key_posts"]
P1, P2 = "小榄甲住宅项目", "古镇戊厂房项目"


def night_shift(device, worker, day: dt.date) -> None:
    """Passes at unusual times (05:07 in, 23:41 out) so a leak of the foreign rows' times is visible."""
    tz = timezone.get_current_timezone()
    records = [
        RawPass(
            f"n-{worker.pk}-in",
            worker.pk,
            dt.datetime.combine(day, dt.time(5, 7), tz),
            "in",
            "face",
            95,
            jpeg(),
        ),
        RawPass(
            f"n-{worker.pk}-out",
            worker.pk,
            dt.datetime.combine(day, dt.time(23, 41), tz),
            "out",
            "face",
            94,
            jpeg(),
        ),
    ]
    pass_records_ingest(device=device, records=records)
    attendance_recompute(project_id=device.project_id, keys=[(worker.pk, day)])


@pytest.fixture
def foreign_day(world):
    """The subcontractor's worker works p1 (小榄) by day and p2 (古镇, the neighbour's) by night; p2 also has a
    snapshot without a face, a pass without exit and an absent key post."""
    p1_gate = gate_for(world, "p1", "GATE-P1-A")
    p2_gate = gate_for(world, "p2", "GATE-P2-A")
    world.employ("p2", "sub", employer="neighbour")
    attend(p1_gate, world.workers["sub"], yesterday())
    night_shift(p2_gate, world.workers["sub"], yesterday())
    attend(p2_gate, world.workers["neighbour"], yesterday(), snapshot=jpeg(face=False))
    KeyPost.objects.create(
        project=world.projects["p2"],
        enterprise=world.enterprises["neighbour"],
        post="P01",
        holder=world.workers["neighbour"],
        holder_since=dt.date(2024, 2, 1),
    )
    key_post_days_compute(project_id=world.projects["p2"].pk, day=yesterday())
    key_post_days_compute(project_id=world.projects["p1"].pk, day=yesterday())
    return world


@pytest.mark.parametrize("tab", TABS)
@pytest.mark.parametrize(
    ("persona", "foreign"),
    [("sub_labor", P2), ("neighbour_labor", P1), ("sup_manager", P2)],
)
def test_issue10_item4_anomaly_tabs_show_only_the_users_scope(
    as_user, foreign_day, persona, foreign, tab
):
    r = as_user(persona).get(f"/attendance/anomalies/?tab={tab}&{day_range()}")
    assert r.status_code == 200
    body = r.content.decode()
    assert foreign not in body
    if persona != "neighbour_labor":
        assert "测试戊工" not in body  # the neighbour's own people
    if persona == "sub_labor":
        assert "05:07" not in body and "23:41" not in body  # the night shift's times on p2
    if persona == "neighbour_labor":
        assert "07:50" not in body and "17:40" not in body  # the day shift's times on p1


def test_issue10_item4_double_shift_names_only_visible_projects(as_user, foreign_day):
    body = (
        as_user("sub_labor")
        .get(f"/attendance/anomalies/?tab=double_shift&{day_range()}")
        .content.decode()
    )
    assert "测试乙工" in body and P1 in body and "07:50" in body
    assert "另有 1 个项目出勤" in body
    body = (
        as_user("neighbour_labor")
        .get(f"/attendance/anomalies/?tab=double_shift&{day_range()}")
        .content.decode()
    )
    assert "测试乙工" in body and P2 in body and "05:07" in body and "另有 1 个项目出勤" in body
    body = (
        as_user("sup_manager")
        .get(f"/attendance/anomalies/?tab=double_shift&{day_range()}")
        .content.decode()
    )
    assert "测试乙工" not in body  # the supervisor sees no attendance of the subcontractor's people
    body = (
        as_user("city_supervisor")
        .get(f"/attendance/anomalies/?tab=double_shift&{day_range()}")
        .content.decode()
    )
    assert P1 in body and P2 in body and "另有" not in body
