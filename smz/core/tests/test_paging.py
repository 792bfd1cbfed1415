"""Paging by keys first (smz.core.paging, issue 17 goal 4): every page holds exactly the rows, in exactly the
order, that Django's own Paginator gives for the same query, ties and joins included."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.paginator import Paginator

from conftest import make_worker
from smz.core.paging import KeysFirstPaginator, rows_by_keys
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
