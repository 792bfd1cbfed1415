"""在场登记人数 (RosterTown, RosterCount; issue 17 goal 4, N5): the triggers keep the people with an active
employment, by town and for the city, equal to counting them from the employments (smz/testing/roster.py, the
old computation), whichever way employments and projects are written; the city's home page shows the same
figures as before; concurrent writers cannot leave a person in a town the project has left."""

from __future__ import annotations

import datetime as dt
import random
import sys

import pytest
from django.db import IntegrityError, connection, transaction

from conftest import make_worker
from smz.attendance.selectors import city_today_for, town_roster_for
from smz.core.tests.races import postgres_only, race
from smz.registry.models import Employment, Jurisdiction, Project, RosterCount, RosterTown
from smz.registry.roster import CITY, roster_fill, roster_people
from smz.registry.selectors import active_people_for, home_counts_for
from smz.testing.roster import (
    consistent,
    reference_active_people_for,
    reference_town_roster_for,
)

USERS = ("city_supervisor", "city_admin", "quality_clerk", "town_l1", "neighbour_town", "safety_l1")
USERS += ("gc_admin", "gc_labor", "sub_labor", "builder", "worker", "outsider")


def _same_as_before(world) -> None:
    """Every user's figures equal the old computation (the summary serves the city-wide ones)."""
    for name in USERS:
        user = world.user(name)
        assert active_people_for(user) == reference_active_people_for(user), name
        towns = {t: n for t, n in town_roster_for(user).items() if n and t != CITY}
        assert towns == reference_town_roster_for(user), name  # a town of 0: shown as 0 either way


def _employ(project: Project, worker, firm, status=Employment.Status.ACTIVE) -> Employment | None:
    try:
        with transaction.atomic():
            return Employment.objects.create(
                project=project,
                worker=worker,
                employer=firm,
                work_type="020",
                work_role="20",
                entry_on=dt.date(2024, 3, 1),
                status=status,
                exit_on=None if status == Employment.Status.ACTIVE else dt.date(2024, 4, 1),
            )
    except IntegrityError:  # already active there (one active employment a project and person)
        return None


def test_every_way_of_writing_employments_keeps_the_counts(world):
    p1, p2, p3 = (world.projects[k] for k in ("p1", "p2", "p3"))
    gc = world.enterprises["gc"]
    assert consistent() and roster_people()[CITY] == 4
    people = [make_worker(200 + i, f"登记人{i}") for i in range(6)]
    # one by one, in bulk, exited ones (not counted)
    _employ(p1, people[0], gc)
    Employment.objects.bulk_create(
        [
            Employment(
                project=p,
                worker=w,
                employer=gc,
                work_type="020",
                work_role="20",
                entry_on=dt.date(2024, 3, 1),
            )
            for p, w in ((p2, people[0]), (p2, people[1]), (p3, people[2]), (p3, people[3]))
        ]
    )
    _employ(p1, people[4], gc, Employment.Status.EXITED)
    assert consistent() and roster_people()[CITY] == 8
    # a save that exits someone; a queryset's update that brings him back; one that changes nothing counted
    e = Employment.objects.get(project=p2, worker=people[0])
    e.status, e.exit_on = Employment.Status.EXITED, dt.date(2024, 5, 1)
    e.save()
    assert consistent()
    Employment.objects.filter(pk=e.pk).update(status=Employment.Status.ACTIVE, exit_on=None)
    before = RosterCount.objects.count()
    Employment.objects.filter(project=p3).update(work_type="030")
    assert consistent() and RosterCount.objects.count() == before  # nothing counted changed
    # another person or project on the same row
    Employment.objects.filter(project=p3, worker=people[3]).update(worker=people[5])
    Employment.objects.filter(project=p3, worker=people[2]).update(project=p1)
    assert consistent()
    # a project moved to another town, by save and by a queryset
    p3.jurisdiction = world.projects["p2"].jurisdiction
    p3.save()
    assert consistent()
    Project.objects.filter(pk=p1.pk).update(
        jurisdiction=Jurisdiction.objects.get(short_name="古镇")
    )
    assert consistent()
    # deletes: one, a queryset's
    Employment.objects.filter(project=p2, worker=people[1]).delete()
    Employment.objects.filter(worker__in=people[:3]).delete()
    assert consistent()
    _same_as_before(world)
    # the repair rewrites the same summary
    counted = {t: n for t, n in roster_people().items() if n}
    assert roster_fill() > 0 and consistent()
    assert {t: n for t, n in roster_people().items() if n} == counted


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_issue17_4_roster_counts_on_random_writes(world, seed):
    rng = random.Random(seed)
    projects = list(Project.objects.order_by("pk"))
    towns = list(Jurisdiction.objects.order_by("pk")[:4])
    firms = [world.enterprises[k] for k in ("gc", "sub", "neighbour")]
    people = [make_worker(300 + i, f"随机登记{i}") for i in range(12)]
    for _step in range(60):
        op = rng.random()
        if op < 0.35:
            _employ(rng.choice(projects), rng.choice(people), rng.choice(firms))
        elif op < 0.55:
            rows = Employment.objects.filter(worker__in=people).order_by("pk")
            if rows:
                e = rng.choice(list(rows))
                status = rng.choice(list(Employment.Status))
                try:
                    with transaction.atomic():
                        Employment.objects.filter(pk=e.pk).update(status=status)
                except IntegrityError:
                    pass
        elif op < 0.65:
            rows = list(Employment.objects.filter(worker__in=people).order_by("pk"))
            if rows:
                try:
                    with transaction.atomic():
                        Employment.objects.filter(pk=rng.choice(rows).pk).update(
                            project=rng.choice(projects)
                        )
                except IntegrityError:
                    pass
        elif op < 0.75:
            Project.objects.filter(pk=rng.choice(projects).pk).update(
                jurisdiction=rng.choice(towns)
            )
        elif op < 0.9:
            first = Employment.objects.filter(worker=rng.choice(people)).order_by("pk").first()
            if first is not None:
                first.delete()
        else:
            Employment.objects.filter(worker__in=rng.sample(people, 3)).update(
                status=Employment.Status.EXITED
            )
        assert consistent()
    _same_as_before(world)
    # the city's home page shows the figures it showed before
    city = world.user("city_supervisor")
    board = city_today_for(city)
    assert board["roster"] == sum(reference_town_roster_for(city).values())
    assert home_counts_for(city)["active_workers"] == reference_active_people_for(city)


@postgres_only
def test_the_counts_fold_into_a_row_a_town(world):
    """Each statement adds a row to RosterCount; past 512 rows a writer folds them, the sums unchanged."""
    e = world.employments["gc"]
    for _ in range(300):  # 600 statements, each changing the city's and 小榄's people
        Employment.objects.filter(pk=e.pk).update(status=Employment.Status.EXITED)
        Employment.objects.filter(pk=e.pk).update(status=Employment.Status.ACTIVE)
    assert RosterCount.objects.count() <= 512 + 2
    assert consistent()


def _hold() -> None:
    """Where a writer is held inside its transaction (race's hold_after)."""


@postgres_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("move_first", [True, False])
def test_a_project_moving_town_while_someone_is_employed_there(world, move_first):
    """A move of the project and a new employment on it, in two transactions at once, either way round: the
    person is counted in the town the project ends in."""
    p1 = world.projects["p1"]
    other = Jurisdiction.objects.get(short_name="古镇")
    newcomer = make_worker(400, "并发登记")

    def move() -> None:
        with transaction.atomic():
            Project.objects.filter(pk=p1.pk).update(jurisdiction=other)
            _hold()

    def employ() -> None:
        with transaction.atomic():
            _employ(p1, newcomer, world.enterprises["gc"])
            _hold()

    here = sys.modules[__name__]  # where the race's hold is patched

    first, second = (move, employ) if move_first else (employ, move)
    a, b = race(first=first, second=second, hold_after=(here, "_hold"))
    assert a.error is None and b.error is None
    connection.close()
    assert consistent()
    rows = dict(RosterTown.objects.filter(worker=newcomer).values_list("town", "employments"))
    assert rows.get(other.pk) == 1 and rows.get(CITY) == 1 and not rows.get(p1.jurisdiction_id)
