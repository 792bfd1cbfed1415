"""工作台 (issue 11 item 6): each role's home page shows its own work, every figure scoped to the user
(a neighbouring town's or enterprise's data never counts), every figure a link to the list it counts, charts
drawn from json_script data by a static file, and a fixed number of queries however many projects."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import make_worker
from smz.attendance import selectors as attendance_selectors
from smz.labor.models import Payroll, PayrollLine
from smz.portal.dashboard import dashboard_for
from smz.registry import selectors as registry_selectors
from smz.registry.models import (
    Employment,
    Jurisdiction,
    KeyPost,
    Participant,
    Project,
)
from smz.testing.portal import attendance_day, busy_day, gate_device, passes_add


def _html(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def _figure(html: str, testid: str) -> str:
    """The linked number inside the element with data-testid=testid."""
    m = re.search(rf'data-testid="{testid}"[^>]*>\s*<a[^>]*>([^<]*)</a>', html)
    assert m, testid
    return m.group(1).strip()


@pytest.fixture
def busy(world):
    return busy_day(world)


def test_i11_6_approver_sees_his_queue_and_his_town_only(busy, as_user):
    html = _html(as_user("town_l1").get("/"))
    assert 'data-testid="dashboard-approver"' in html
    assert _figure(html, "queue-count") == "1"
    assert _figure(html, "queue-overdue") == "0"
    assert f'href="{reverse("approvals:list")}?tab=queue"' in html
    assert f'href="{reverse("approvals:list")}?tab=queue&amp;overdue=1"' in html
    assert f'href="{reverse("approvals:detail", args=[busy.request.pk])}"' in html
    # His town's picture today: 小榄 only, the neighbour's five passes and attendance not counted.
    assert _figure(html, "city-passes") == "4"
    assert _figure(html, "city-attended") == "2"
    assert "古镇" not in html.split('data-testid="towns"')[1].split("</table>")[0]

    other = _html(as_user("neighbour_town").get("/"))
    assert _figure(other, "queue-count") == "0"
    assert busy.request.no not in other
    assert _figure(other, "city-passes") == "5"


def test_i11_6_labor_specialist_sees_unconfirmed_lines_contracts_and_entry_checks(busy, as_user):
    html = _html(as_user("gc_labor").get("/"))
    assert 'data-testid="dashboard-labor"' in html
    assert _figure(html, "labor-unconfirmed") == "2"
    assert _figure(html, "labor-expiring") == "1"
    # The GC sees everyone on its project: the subcontractor's worker waiting for his entry checks.
    assert _figure(html, "labor-pending") == "1"
    p1 = busy.projects["p1"]
    for anchor in ("#payrolls", "#contracts"):
        assert f'href="{reverse("labor:project", args=[p1.pk])}{anchor}"' in html
    assert busy.projects["p2"].name not in html
    assert f'href="{reverse("labor:alerts")}"' in html

    work = dashboard_for(busy.user("neighbour_labor"))["labor"]
    assert (work["unconfirmed"], work["expiring"], work["pending"]) == (1, 1, 1)
    assert [r["project"] for r in work["rows"]] == [busy.projects["p2"]]
    # The subcontractor sees his own people only: his worker's entry check, none of the GC's lines.
    work = dashboard_for(busy.user("sub_labor"))["labor"]
    assert (work["unconfirmed"], work["expiring"], work["pending"]) == (0, 0, 1)


def test_i11_6_enterprise_admin_gets_the_labor_dashboard(busy, as_user):
    html = _html(as_user("gc_admin").get("/"))
    assert 'data-testid="dashboard-labor"' in html
    assert _figure(html, "labor-unconfirmed") == "2"


def test_i11_6_site_managers_see_their_projects_today(busy, as_user):
    html = _html(as_user("gc_pm").get("/"))
    assert 'data-testid="dashboard-site"' in html
    (row,) = dashboard_for(busy.user("gc_pm"))["site"]
    assert row["project"] == busy.projects["p1"]
    assert (row["roster"], row["attended"]) == (3, 2)
    assert [r["post"].post for r in row["present"]] == ["P01"]
    assert sorted((r["post"].post, r["status"]) for r in row["missing"]) == [
        ("P03", "vacant"),
        ("S01", "vacant"),
    ]
    assert f'href="{reverse("attendance:calendar", args=[busy.projects["p1"].pk])}"' in html
    assert f'data-testid="site-missing-{busy.projects["p1"].pk}"' in html
    # The supervision firm sees the posts (public to the project) but only its own people (none here).
    (row,) = dashboard_for(busy.user("sup_manager"))["site"]
    assert (row["roster"], row["attended"], len(row["present"])) == (0, 0, 1)
    assert (row["roster_all"], row["attended_all"]) == (3, 2)
    html = _html(as_user("sup_manager").get("/"))
    assert _figure(html, f"site-roster-{busy.projects['p1'].pk}") == "3"
    assert _figure(html, f"site-attended-{busy.projects['p1'].pk}") == "2"


def test_i11_6_city_sees_today_by_town_devices_and_arrears(busy, as_user):
    html = _html(as_user("city_admin").get("/"))
    assert 'data-testid="dashboard-city"' in html
    city = dashboard_for(busy.user("city_admin"))["city"]
    towns = {t["jurisdiction"].short_name: t for t in city["towns"]}
    assert set(towns) == {"小榄", "古镇", "石岐区"}
    assert (towns["小榄"]["roster"], towns["小榄"]["attended"], towns["小榄"]["rate"]) == (3, 2, 67)
    assert (towns["古镇"]["passes"], towns["古镇"]["rate"]) == (5, 100)
    assert towns["石岐区"]["rate"] is None
    assert towns["小榄"]["key_posts_missing"] == 2
    assert _figure(html, "city-passes") == "9"
    assert _figure(html, "devices-offline") == "2"
    assert f'href="{reverse("devices:list")}?status=active&amp;online=0"' in html
    assert re.fullmatch(r"\d+", _figure(html, "arrears-total"))
    xiaolan = Jurisdiction.objects.get(short_name="小榄")
    assert f'href="{reverse("portal:projects")}?jurisdiction={xiaolan.code}"' in html
    # The offline filter the figure links to lists exactly those devices.
    listed = _html(as_user("city_admin").get(reverse("devices:list") + "?status=active&online=0"))
    assert "P1-SIDE" in listed and "P2-GATE" in listed and "P1-GATE" not in listed


def test_i11_6_city_charts_are_data_blocks_and_a_static_script(busy, as_user):
    html = _html(as_user("city_supervisor").get("/"))
    assert '<script id="chart-towns" type="application/json">' in html
    assert 'data-chart="chart-towns"' in html and 'data-chart="chart-rates"' in html
    assert "vendor/chartjs/chart.umd.min.js" in html and "portal/charts.js" in html
    for tag in re.findall(r"<script[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert " onclick=" not in html and ' style="' not in html
    # The same figures stand in a table for readers without JavaScript.
    assert 'data-testid="towns"' in html


def test_i11_6_quality_clerk_reads_the_city_picture(busy, as_user):
    html = _html(as_user("quality_clerk").get("/"))
    assert 'data-testid="dashboard-city"' in html


def test_i11_6_window_clerk_sees_pending_face_enrollments(busy, as_user):
    html = _html(as_user("window_clerk").get("/"))
    assert _figure(html, "enrollments-pending") == "1"
    assert f'href="{reverse("approvals:enroll_list")}"' in html
    assert "测试甲工" in html


def test_i11_6_worker_still_lands_on_his_own_record(busy, as_user):
    response = as_user("worker").get("/")
    assert response.status_code == 302


def test_i11_6_head_counts_explain_each_other(busy, as_user):
    """监理 saw 在场人员 3 beside 164 in his only project's row: the card counts the people he may see, the
    table shows the whole project and, beside it, the part he may see (the card's sum)."""
    for persona in ("sup_manager", "sub_labor", "gc_labor", "town_l1"):
        user = busy.user(persona)
        counts = registry_selectors.home_counts_for(user)
        rows = registry_selectors.home_projects_for(user)
        assert sum(p.visible_count for p in rows) == counts["active_workers"], persona
    (p1,) = registry_selectors.home_projects_for(busy.user("sub_labor"))
    assert (p1.active_count, p1.visible_count) == (3, 1)
    html = _html(as_user("sub_labor").get("/"))
    assert (
        "本单位可查看的在场人员" in html and "在场人数（全项目）" in html and "其中您可查看" in html
    )


def _grow(world, n: int) -> None:
    """n more 小榄 projects of the GC, each with people, attendance, key posts, a device and a draft line."""
    today = attendance_selectors.today()
    xiaolan = Jurisdiction.objects.get(short_name="小榄")
    gc = world.enterprises["gc"]
    base = Project.objects.count()
    for i in range(n):
        p = Project.objects.create(
            code=f"44200020259{base + i:04d}",
            name=f"小榄扩展项目{base + i}",
            jurisdiction=xiaolan,
            builder=world.enterprises["builder"],
            planned_start=dt.date(2024, 2, 1),
            status=Project.Status.ACTIVE,
        )
        Participant.objects.create(project=p, enterprise=gc, corp_type=Participant.GC)
        for persona in ("gc_pm", "gc_labor"):
            world.user(persona).projects.add(p)
        people = []
        for k in range(2):
            worker = make_worker(100 + 10 * (base + i) + k, f"扩展{base + i}-{k}")
            people.append(
                Employment.objects.create(
                    project=p,
                    worker=worker,
                    employer=gc,
                    work_type="020",
                    work_role="20",
                    entry_on=dt.date(2024, 3, 1),
                    gate_status="pending",
                )
            )
        KeyPost.objects.create(
            project=p,
            enterprise=gc,
            post="P01",
            holder=people[0].worker,
            holder_since=p.planned_start,
        )
        KeyPost.objects.create(project=p, enterprise=gc, post="P03")
        attendance_day(people[0], today)
        passes_add(gate_device(p, f"GROW-{base + i}", online=i % 2 == 0), people[0], 2, today)
        world.employments[f"grow{i}"] = people[1]
        payroll = Payroll.objects.create(
            no=f"GROW-{base + i}",
            project=p,
            employer=gc,
            month=dt.date(2026, 10, 1),
            pay_due_on=dt.date(2026, 11, 10),
            created_by=world.user("gc_labor"),
        )
        PayrollLine.objects.create(
            payroll=payroll,
            employment=people[1],
            worker=people[1].worker,
            days_attended=1,
            minutes_attended=480,
            days_paid=1,
            hours_paid=8,
            wage_kind="daily",
            rate_fen=30000,
            gross_fen=30000,
            net_fen=30000,
        )


@pytest.mark.parametrize(
    "persona", ["city_admin", "town_l1", "gc_labor", "gc_admin", "gc_pm", "window_clerk"]
)
def test_i11_6_home_pages_do_not_grow_with_projects(busy, client, persona):
    """A fixed number of queries whatever the number of projects (no N+1)."""
    user = busy.user(persona)
    client.force_login(user)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/").status_code == 200
        return len(ctx)

    _grow(busy, 1)
    queries()  # the first request also loads per-process and per-session state (session, axes, caches)
    before = queries()
    _grow(busy, 4)
    after = queries()
    assert after == before, f"{persona}: {before} → {after} queries"
    board = dashboard_for(user)
    if persona == "gc_pm":
        assert len(board["site"]) == 6
    if persona == "gc_labor":
        assert board["labor"]["pending"] == 1 + 5 * 2


@pytest.mark.parametrize("login", ["city_admin", "town_l1", "gc_pm"])
def test_issue17_4_key_post_states_for_counts_are_those_of_the_full_rows(busy, login) -> None:
    """The city's home counts key posts from tuples (holders=False): the same posts in the same states."""
    from smz.registry.models import ProjectPause

    user = busy.user(login)
    city = attendance_selectors.key_posts_today_for(busy.user("city_admin"))
    vacant = next(r["project_id"] for r in city if r["status"] == "vacant")
    # that project's posts exempt (paused), the others' not
    ProjectPause.objects.create(project_id=vacant, start_on=dt.date(2020, 1, 1), end_on=None)
    full = attendance_selectors.key_posts_today_for(user)
    light = attendance_selectors.key_posts_today_for(user, holders=False)
    assert full, login
    if login == "city_admin":
        assert {"exempt", "present"} <= {r["status"] for r in full}
    assert sorted((r["post"].pk, r["project_id"], r["status"]) for r in full) == sorted(
        (r["post"].pk, r["project_id"], r["status"]) for r in light
    )
