"""在场登记人数 (RosterTown, RosterCount): how many people have an active employment, by town and for the whole
city, kept by triggers (issue 17 goal 4, N5: the city's home page counted the 200,000 people of 1,000 rosters
twice, 70 ms, to show 25 numbers).

- Employment → RosterTown.employments: a person's active employments on the projects of a town (`town`, the
  projects' jurisdiction id) and on every project (`town` 0, the whole city); each insert, delete or change of
  status, project or person adds its difference. Project → RosterTown: a project moved to another town takes
  its active employments from the old town's rows to the new town's.
- RosterTown → RosterCount.people: a person's row going from 0 to 1 or more employments adds one person to the
  town, back to 0 takes one away. The town's people are the sum of its RosterCount rows.

As with the monthly attendance summaries (smz/attendance/monthly.py), triggers rather than writes in the
services, so that every path keeps the summary in the same statement (registry services, the roster import,
the demo and test fixtures' ORM writes, `QuerySet.update`, cascades, COPY) and changes add deltas under the
summary row's lock. PostgreSQL: statement-level triggers over transition tables, rows in key order; a
statement that changes nothing counted writes nothing (a new photo, a gate status). SQLite: row-level triggers.

Concurrency (PostgreSQL):
- A town's people: each statement adds a row to RosterCount rather than updating the town's one, so two
  roster writes in different transactions never wait for each other there; when there are more than 512
  rows, the writer that gets the fold lock (a non-blocking advisory lock) folds them into one a town.
- A person's town is read from the project: a move of a project to another town takes an exclusive advisory
  lock on the project, each employment write a shared one before reading the town, so the write either sees
  the move or is seen by it.

The definitions are in registry migration 0014 (frozen there, as migrations must be).
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Sum

from smz.registry.models import Employment, Project, RosterCount, RosterTown

CITY = 0  # RosterTown.town / RosterCount.town of the whole city


def roster_people() -> dict[int, int]:
    """People with an active employment: town (jurisdiction id) → people, CITY → the whole city's."""
    return {
        town: int(n)
        for town, n in RosterCount.objects.values("town")
        .annotate(n=Sum("people"))
        .values_list("town", "n")
        .order_by()
    }


def roster_fill() -> int:
    """Rewrite the summary from the employments, set-based (a repair; the migration back-filled it). Returns
    the RosterTown rows written."""
    roster = RosterTown._meta.db_table
    employment = Employment._meta.db_table
    project = Project._meta.db_table
    active = Employment.Status.ACTIVE.value
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {roster}")  # noqa: S608 - model tables
        cursor.execute(f"DELETE FROM {RosterCount._meta.db_table}")  # noqa: S608
        cursor.execute(
            f"INSERT INTO {roster} (town, worker_id, employments)"  # noqa: S608
            f" SELECT p.jurisdiction_id, e.worker_id, COUNT(*) FROM {employment} e"
            f" JOIN {project} p ON p.id = e.project_id WHERE e.status = %s"
            " GROUP BY p.jurisdiction_id, e.worker_id"
            f" UNION ALL SELECT {CITY}, worker_id, COUNT(*) FROM {employment} WHERE status = %s"
            " GROUP BY worker_id",
            [active, active],
        )
        return int(cursor.rowcount)
