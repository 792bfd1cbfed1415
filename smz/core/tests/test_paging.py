"""Paging by keys first (smz.core.paging, issue 17 goal 4): every page holds exactly the rows, in exactly the
order, that Django's own Paginator gives for the same query, ties and joins included."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.paginator import Paginator

from conftest import make_worker
from smz.core import paging
from smz.core.paging import KeysFirstPaginator, page_rows, rows_by_keys
from smz.registry import selectors
from smz.registry.models import Employment


@pytest.mark.django_db
def test_issue17_4_keys_first_pages_equal_offset_pages(world) -> None:
    project = world.projects["p1"]
    for seq in range(23):
        worker = make_worker(900 + seq, "同名" if seq % 3 else f"张{seq % 5}")  # ties on the name
        Employment.objects.create(
            project=project,
            worker=worker,
            employer=world.enterprises["sub"],
            work_type="020",
            entry_on=dt.date(2026, 1, 5),
        )
    qs = selectors.employment_list_for(world.user("town_l1"))
    assert qs.count() > 20
    for per_page, orphans in ((7, 0), (5, 2), (50, 0)):
        ours, django = KeysFirstPaginator(qs, per_page, orphans), Paginator(qs, per_page, orphans)
        assert ours.num_pages == django.num_pages
        for number in ours.page_range:
            page = ours.page(number)
            assert [e.pk for e in page] == [e.pk for e in django.page(number)]
            assert all(e.worker.name and e.project.code for e in page)  # select_related kept
    assert rows_by_keys(qs, 10_000, 10_050) == []


def _city_of_small_projects(world) -> None:
    """Three projects of uneven size (one empty), people with and without a team, ties on the name."""
    p1, p2 = world.projects["p1"], world.projects["p2"]
    for seq in range(31):
        project = (p1, p2, p1)[seq % 3]
        team = {p1.pk: world.teams["sub"], p2.pk: world.teams["neighbour"]}[project.pk]
        Employment.objects.create(
            project=project,
            worker=make_worker(950 + seq, "同名" if seq % 4 else f"李{seq % 6}"),
            employer=world.enterprises["sub" if project == p1 else "neighbour"],
            team=team
            if seq % 5
            else None,  # NULL team names sort last on PostgreSQL, first on SQLite
            work_type="020",
            entry_on=dt.date(2026, 1, 5),
            status="exited" if seq % 7 == 0 else "active",
        )


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["city_supervisor", "town_l1", "gc_labor", "neighbour_labor"])
@pytest.mark.parametrize("shallow", [0, 5])  # every page by buckets; the first rows by OFFSET
def test_issue17_4_pages_by_project_equal_offset_pages(
    world, persona, shallow, django_assert_num_queries
) -> None:
    """N5: paging by buckets (the project code, first key of the people list) changes no page, for every
    page size, orphans, filters and scope: the same rows in the same order as Django's Paginator."""
    _city_of_small_projects(world)
    user = world.user(persona)
    for filters in ({}, {"status": "active"}, {"q": "同"}, {"q": "无此人"}):
        qs = selectors.employment_list_for(user, **filters)
        for per_page, orphans in ((1, 0), (4, 0), (7, 2), (50, 0)):
            django = Paginator(qs, per_page, orphans)
            for number in range(1, django.num_pages + 1):
                ours = KeysFirstPaginator(
                    qs, per_page, orphans, bucket=selectors.EMPLOYMENT_BUCKET, shallow=shallow
                )  # a new one per page, as in a request: counted by bucket or not, as the page asks
                page = ours.get_page(number)
                assert (ours.count, ours.num_pages) == (django.count, django.num_pages)
                assert [e.pk for e in page] == [e.pk for e in django.page(number)]
                assert all(e.worker.name and e.project.code for e in page)
            if shallow == 0 and django.count:  # counted by bucket: no COUNT(*) besides
                with django_assert_num_queries(3):  # the buckets, the page's keys, its rows
                    bucketed = KeysFirstPaginator(
                        qs, per_page, orphans, bucket=selectors.EMPLOYMENT_BUCKET, shallow=0
                    )
                    assert bucketed.get_page(1).paginator.num_pages == django.num_pages
            past = KeysFirstPaginator(
                qs, per_page, orphans, bucket=selectors.EMPLOYMENT_BUCKET, shallow=0
            )
            assert [e.pk for e in past.get_page(10_000)] == [e.pk for e in django.get_page(10_000)]
            for bottom, top in ((0, 3), (2, 9), (10, 40), (django.count, django.count + 5)):
                rows, count = page_rows(
                    qs, bottom, top, bucket=selectors.EMPLOYMENT_BUCKET, shallow=shallow
                )
                assert count == django.count
                assert [e.pk for e in rows] == [e.pk for e in qs[bottom:top]]


@pytest.mark.django_db
def test_issue17_4_buckets_refuse_a_list_not_sorted_by_them(world) -> None:
    qs = selectors.employment_list_for(world.user("city_supervisor"))
    with pytest.raises(ValueError, match="not sorted by worker__name"):
        page_rows(qs, 0, 10, bucket="worker__name", shallow=0)
    with pytest.raises(ValueError):
        page_rows(qs.order_by(), 0, 10, bucket=selectors.EMPLOYMENT_BUCKET, shallow=0)


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["city_supervisor", "town_l1", "neighbour_labor"])
def test_issue17_4_people_page_and_api_deep_pages_by_project(
    world, as_user, persona, monkeypatch
) -> None:
    """Every page of the people list and of /api/v1/employments read by buckets (as deep pages are in the
    city) holds Django's rows in Django's order; the page links and the API's count are unchanged."""
    _city_of_small_projects(world)
    monkeypatch.setattr(paging, "SHALLOW_ROWS", 0)
    qs = selectors.employment_list_for(world.user(persona))
    client = as_user(persona)
    django = Paginator(qs, 50)
    for number in django.page_range:
        r = client.get(f"/workers/?page={number}")
        assert r.status_code == 200
        assert [e.pk for e in r.context["page"]] == [e.pk for e in django.page(number)]
        assert f"第 {number} / {django.num_pages} 页" in r.content.decode()
    django = Paginator(qs, 4)
    for number in django.page_range:
        r = client.get(f"/api/v1/employments?page={number}&page_size=4")
        assert r.status_code == 200
        body = r.json()
        assert body["count"] == django.count
        assert [e["id"] for e in body["items"]] == [e.pk for e in django.page(number)]
    r = client.get(f"/api/v1/employments?page={django.num_pages + 1}&page_size=4")
    assert r.json() == {"items": [], "count": django.count}
