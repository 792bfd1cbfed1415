"""The anomaly pages a page at a time (N5, issue 17 goal 4): the lists paged by keys and by day, the double shifts
by person-day, show the same rows in the same order as the whole list, worked out here the plain way."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.paginator import Paginator
from django.db import connection

from conftest import make_worker
from smz.attendance import selectors
from smz.attendance.models import ANOMALY_KINDS, DailyAttendance
from smz.core.paging import KeysFirstPaginator
from smz.registry.models import Employment

PERSONAS = ["city_supervisor", "town_l1", "safety_l2", "gc_admin", "sub_labor", "neighbour_town"]
DAYS = 8


@pytest.fixture
def month(world):
    """14 people on p1 (小榄) and p3 (石岐区) or p2 (古镇), attended on both most days, with anomalies; ties on
    the day and project; the world's own people attended on p1 alone."""
    today = selectors.today()
    first = today - dt.timedelta(days=DAYS - 1)
    p1, p2, p3 = (world.projects[k] for k in ("p1", "p2", "p3"))
    rows = []
    for seq in range(14):
        worker = make_worker(700 + seq, f"双{seq % 4}")
        other = p3 if seq % 3 else p2
        employer = world.enterprises["sub" if seq % 2 else "gc"]
        world.employments[f"d{seq}"] = Employment.objects.create(
            project=p1, worker=worker, employer=employer, work_type="020", entry_on=first
        )
        world.employments[f"o{seq}"] = Employment.objects.create(
            project=other,
            worker=worker,
            employer=world.enterprises["gc" if other == p3 else "neighbour"],
            work_type="020",
            entry_on=first,
        )
        for n in range(DAYS):
            day = first + dt.timedelta(days=n)
            at = dt.datetime.combine(day, dt.time(7, seq % 60), tzinfo=dt.UTC)
            kinds = [k for i, k in enumerate(ANOMALY_KINDS) if (seq + n + i) % 3 == 0]
            rows.append(
                DailyAttendance(
                    project=p1,
                    worker=worker,
                    work_date=day,
                    attended=(seq + n) % 5 != 0,
                    first_in=at,
                    anomalies=sorted(kinds),
                )
            )
            if (seq * n) % 7 != 3:
                rows.append(
                    DailyAttendance(
                        project=other,
                        worker=worker,
                        work_date=day,
                        attended=(seq + 2 * n) % 6 != 0,
                        first_in=at + dt.timedelta(hours=(seq % 2) * 2 - 1),
                        anomalies=sorted(kinds[:1]),
                    )
                )
    for key in ("gc", "sub", "pm"):
        for n in range(DAYS):
            rows.append(
                DailyAttendance(
                    project=p1,
                    worker=world.workers[key],
                    work_date=first + dt.timedelta(days=n),
                    attended=True,
                    anomalies=["no_exit"],
                )
            )
    DailyAttendance.objects.bulk_create(rows)
    return first, today


def expected_double_shifts(user, first, last) -> list[tuple[int, dt.date, int]]:
    """Person-days on two or more projects where the user sees at least one, newest first: all rows read."""
    projects: dict[tuple[int, dt.date], set[int]] = {}
    for worker, day, project in DailyAttendance.objects.filter(
        work_date__range=(first, last), attended=True
    ).values_list("worker", "work_date", "project"):
        projects.setdefault((worker, day), set()).add(project)
    seen = set(
        selectors.daily_for(user)
        .filter(work_date__range=(first, last), attended=True)
        .values_list("worker", "work_date")
    )
    pairs = [(w, d, len(p)) for (w, d), p in projects.items() if len(p) > 1 and (w, d) in seen]
    return sorted(pairs, key=lambda p: (-p[1].toordinal(), p[0]))


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
def test_n5_double_shift_days_are_all_read_plainly(world, month, persona, monkeypatch) -> None:
    first, last = month
    user = world.user(persona)
    expected = expected_double_shifts(user, first, last)
    assert selectors.double_shift_days_for(user, first=first, last=last) == expected
    for cap in (1, 5, 13, 40):  # the newest day alone, or it and the days before
        monkeypatch.setattr(selectors, "DOUBLE_SHIFTS_MAX", cap)
        days = selectors.double_shift_days_for(user, first=first, last=last)
        assert days == expected[: cap + 1]
    monkeypatch.undo()
    if persona == "city_supervisor":
        assert len(expected) > 50  # more than one page
    if persona == "neighbour_town":
        assert expected and len(expected) < 40  # 古镇's own second rosters only
    shifts = selectors.double_shifts_for(user, first=first, last=last)
    assert [(s["worker"].pk, s["work_date"]) for s in shifts] == [(w, d) for w, d, _ in expected]
    visible = set(selectors.daily_for(user).values_list("pk", flat=True))
    for shift, (_, _, n) in zip(shifts, expected, strict=True):
        assert all(d.pk in visible for d in shift["days"])
        assert shift["hidden"] == n - len(shift["days"])
        assert [d.first_in for d in shift["days"]] == sorted(d.first_in for d in shift["days"])


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["city_supervisor", "town_l1"])
def test_n5_double_shift_pages_together_are_the_whole_list(
    world, month, as_user, persona, monkeypatch
) -> None:
    first, last = month
    user = world.user(persona)
    whole = selectors.double_shifts_for(user, first=first, last=last)
    client = as_user(persona)
    url = f"/attendance/anomalies/?tab=double_shift&from={first}&to={last}"
    pages, number = [], 1
    while True:
        r = client.get(f"{url}&page={number}")
        assert r.status_code == 200 and not r.context["shifts_more"]
        pages += r.context["shifts"]
        if not r.context["page"].has_next():
            break
        number += 1
    assert number == (len(whole) + 49) // 50
    assert [(s["worker"].pk, s["work_date"], s["hidden"]) for s in pages] == [
        (s["worker"].pk, s["work_date"], s["hidden"]) for s in whole
    ]
    assert [[d.pk for d in s["days"]] for s in pages] == [[d.pk for d in s["days"]] for s in whole]
    # more person-days than are listed: the newest ones, and the page says so
    monkeypatch.setattr(selectors, "DOUBLE_SHIFTS_MAX", 7)
    r = client.get(url)
    assert r.context["shifts_more"] and r.context["page"].paginator.count == 7
    assert [(s["worker"].pk, s["work_date"]) for s in r.context["shifts"]] == [
        (s["worker"].pk, s["work_date"]) for s in whole[:7]
    ]
    assert "超过 7 条，只列出最近的 7 条" in r.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("shallow", [0, 4])
def test_n5_anomaly_list_pages_equal_offset_pages(world, month, persona, shallow) -> None:
    first, last = month
    user = world.user(persona)
    for kind in ANOMALY_KINDS:
        qs = selectors.anomaly_list_for(user, first=first, last=last, kind=kind)
        every = [
            d.pk
            for d in selectors.daily_for(user).filter(work_date__range=(first, last))
            if kind in d.anomalies
        ]
        assert sorted(every) == sorted(qs.values_list("pk", flat=True))
        django = Paginator(qs, 7)
        for number in range(1, django.num_pages + 1):
            ours = KeysFirstPaginator(qs, 7, bucket=selectors.ANOMALY_BUCKET, shallow=shallow)
            page = ours.get_page(number)
            assert (ours.count, ours.num_pages) == (django.count, django.num_pages)
            assert [d.pk for d in page] == [d.pk for d in django.page(number)]


@pytest.mark.django_db
def test_n5_anomaly_tab_pages_through_the_view(world, month, as_user) -> None:
    first, last = month
    client = as_user("city_supervisor")
    qs = selectors.anomaly_list_for(
        world.user("city_supervisor"), first=first, last=last, kind="no_exit"
    )
    django = Paginator(qs, 50)
    assert django.num_pages > 1
    for number in django.page_range:
        r = client.get(f"/attendance/anomalies/?tab=no_exit&from={first}&to={last}&page={number}")
        assert [d.pk for d in r.context["page"]] == [d.pk for d in django.page(number)]
        assert f"第 {number} / {django.num_pages} 页" in r.content.decode()


@pytest.mark.django_db
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="partial indexes checked on PostgreSQL"
)
@pytest.mark.parametrize("kind", ANOMALY_KINDS)
def test_n5_each_anomaly_tab_may_use_its_index(world, kind) -> None:
    """The tab's filter implies its index's condition (else PostgreSQL cannot use it, silently)."""
    today = selectors.today()
    qs = selectors.anomaly_list_for(
        world.user("city_supervisor"), first=today - dt.timedelta(days=29), last=today, kind=kind
    )
    sql, params = qs.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute(f"EXPLAIN SELECT COUNT(*) FROM ({sql}) x", params)  # noqa: S608  # the ORM's own SQL
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert re.search(rf"Index Only Scan using daily_{kind}\b", plan), plan
