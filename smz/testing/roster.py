"""在场登记人数 as it was counted before the roster summary (smz/registry/roster.py, issue 17 goal 4): the people
with an active employment, counted from every employment, for the whole city and by the project's town, to
compare the summary the triggers keep with."""

from __future__ import annotations

from typing import Any

from django.db.models import Count

from smz.registry import scoping
from smz.registry.models import Employment, RosterTown
from smz.registry.roster import CITY, roster_people


def reference_active_people_for(user: Any) -> int:
    """home_counts_for's 在场人员 as it was: the distinct people of the user's active employments."""
    return (
        scoping.employments_for(user)
        .filter(status=Employment.Status.ACTIVE)
        .values("worker")
        .distinct()
        .count()
    )


def reference_town_roster_for(user: Any) -> dict[int, int]:
    """city_today_for's people on the roster by town as it was."""
    town = "project__jurisdiction"
    return dict(
        scoping.employments_for(user)
        .filter(status=Employment.Status.ACTIVE)
        .values(town)
        .annotate(n=Count("worker", distinct=True))
        .values_list(town, "n")
        .order_by()
    )


def recount() -> dict[tuple[int, int], int]:
    """RosterTown as the employments say it should be: (town, person) → active employments."""
    rows: dict[tuple[int, int], int] = {}
    for town, worker in Employment.objects.filter(status=Employment.Status.ACTIVE).values_list(
        "project__jurisdiction", "worker"
    ):
        for key in ((town, worker), (CITY, worker)):
            rows[key] = rows.get(key, 0) + 1
    return rows


def consistent() -> bool:
    """The summary equals the recount, and its people equal the old distinct counts."""
    assert {
        (t, w): n
        for t, w, n in RosterTown.objects.values_list("town", "worker", "employments")
        if n
    } == recount()
    people = {t: n for t, n in roster_people().items() if n}
    expected = {t: n for t, n in _distinct_people().items() if n}
    assert people == expected, (people, expected)
    return True


def _distinct_people() -> dict[int, int]:
    active = Employment.objects.filter(status=Employment.Status.ACTIVE)
    by_town = dict(
        active.values("project__jurisdiction")
        .annotate(n=Count("worker", distinct=True))
        .values_list("project__jurisdiction", "n")
        .order_by()
    )
    return by_town | {CITY: active.values("worker").distinct().count()}
