"""Attendance reads (A1–A5), always narrowed through the one scoping layer (smz.registry.scoping)."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.db.models import Count, Exists, F, Max, Min, OuterRef, Q, QuerySet
from django.utils import timezone

from smz.attendance.errors import AttendanceErrorCode
from smz.attendance.models import DailyAttendance, KeyPostDay, PassContest, PassRecord
from smz.attendance.validity import (
    CONTESTABLE_REASONS,
    INVALID_REASONS,
    VALIDITY_FIELDS,
    pass_invalid_reason,
    with_validity,
)
from smz.core.bulk import AnyOf
from smz.core.errors import DomainError, NotFound
from smz.core.roles import Role
from smz.core.timeutil import business_date
from smz.registry import scoping
from smz.registry.codes import code_table
from smz.registry.models import (
    Employment,
    Jurisdiction,
    KeyPost,
    KeyPostHolding,
    Project,
    Worker,
)
from smz.registry.obligations import (
    PROJECT_MANAGER_POST,
    Exemption,
    ProjectCalendar,
    key_post_exemption,
    project_calendar,
    project_calendars,
)
from smz.registry.roster import roster_people

ANOMALY_LABELS = {
    "only_invalid_passes": "仅有无效通行",
    "no_exit": "无出场记录",
    "off_site": "场外通行",
    "no_face": "抓拍无人脸",
    "double_shift": "同日多项目出勤",
    "not_same_person": "抓拍人脸非本人",
}
MAX_RANGE_DAYS = 31


def today() -> dt.date:
    return business_date(timezone.now())


def month_parse(value: str | None) -> dt.date:
    """'2026-11' → 2026-11-01; empty → this month. A bad value is a clear error, not a silent default."""
    if not value:
        return today().replace(day=1)
    try:
        return dt.date.fromisoformat(f"{value}-01")
    except ValueError:
        raise DomainError(
            AttendanceErrorCode.MONTH_INVALID, "月份格式应为 YYYY-MM", status=400
        ) from None


def range_parse(
    start: str | None, end: str | None, *, default_days: int = 1
) -> tuple[dt.date, dt.date]:
    """A date range of at most 31 days; by default the `default_days` days up to today."""
    try:
        last = dt.date.fromisoformat(end) if end else today()
        first = (
            dt.date.fromisoformat(start) if start else last - dt.timedelta(days=default_days - 1)
        )
    except ValueError:
        raise DomainError(
            AttendanceErrorCode.DATE_INVALID, "日期格式应为 YYYY-MM-DD", status=400
        ) from None
    if first > last:
        first, last = last, first
    if (last - first).days >= MAX_RANGE_DAYS:
        raise DomainError(
            AttendanceErrorCode.RANGE_TOO_LONG, f"查询范围不能超过 {MAX_RANGE_DAYS} 天", status=400
        )
    return first, last


def passes_for(user: Any) -> QuerySet[PassRecord]:
    return scoping.attendance_scope(user, PassRecord.objects.all())


def daily_for(user: Any) -> QuerySet[DailyAttendance]:
    return scoping.attendance_scope(user, DailyAttendance.objects.all())


def daily_of_worker(
    user: Any, *, worker: Worker, first: dt.date, last: dt.date, project: int | None = None
) -> QuerySet[DailyAttendance]:
    """A person's attendance days between two dates (on one project if given), newest first."""
    daily = (
        daily_for(user)
        .filter(worker=worker, work_date__range=(first, last))
        .select_related("project")
        .order_by("-work_date", "project__name")
    )
    return daily.filter(project=project) if project else daily


def pass_get_for(user: Any, pk: int) -> PassRecord:
    record = passes_for(user).filter(pk=pk).select_related("worker").first()
    if record is None:
        raise NotFound("通行记录")
    return record


def pass_list_for(
    user: Any, *, worker: Worker, first: dt.date, last: dt.date, project: int | None = None
) -> list[dict[str, Any]]:
    """A person's passes in a date range, newest first, with each pass's effective validity."""
    qs = passes_for(user).filter(worker=worker, work_date__range=(first, last))
    if project:
        qs = qs.filter(project=project)
    rows = list(
        with_validity(qs)
        .order_by("-event_time", "-pk")
        .values(
            "pk",
            "event_time",
            "event_offset_minutes",
            "received_at",
            "direction",
            "verify_mode",
            "similarity",
            "lng",
            "lat",
            "project__name",
            "device__serial",
            "device__entrance__name",
            "late_snapshot__snapshot",
            *VALIDITY_FIELDS,
        )[:1000]
    )
    for r in rows:
        reason = pass_invalid_reason(r)
        r["valid"] = not reason
        r["reason"] = INVALID_REASONS.get(reason, reason)
        r["contestable"] = reason in CONTESTABLE_REASONS
        r["has_snapshot"] = bool(r["snapshot"] or r["late_snapshot__snapshot"])
        r["face_pending"] = r["has_snapshot"] and r["snapshot_check__faces"] is None
        r["late_minutes"] = int((r["received_at"] - r["event_time"]).total_seconds() // 60)
    return rows


@dataclass
class CalendarRow:
    employment: Employment
    days: dict[int, DailyAttendance | None] = field(default_factory=dict)
    attended_days: int = 0
    minutes: int = 0


def month_days(month: dt.date) -> list[dt.date]:
    count = calendar.monthrange(month.year, month.month)[1]
    return [month.replace(day=d) for d in range(1, count + 1)]


def calendar_employments_for(
    user: Any, *, project: Project, month: dt.date, team: int | None = None
) -> QuerySet[Employment]:
    """The people on the project at some time during the month, as the user may see them."""
    days = month_days(month)
    qs = (
        scoping.employments_for(user)
        .filter(project=project, entry_on__lte=days[-1])
        .filter(Q(exit_on__isnull=True) | Q(exit_on__gte=days[0]))
        .select_related("worker", "team", "employer")
        .order_by("team__name", "worker__name", "pk")
    )
    if team:
        qs = qs.filter(team=team)
    return qs


def calendar_rows(employments: list[Employment], *, project: Project, month: dt.date) -> list:
    """People × days of one month: each cell the person's daily row (or None)."""
    days = month_days(month)
    rows = {e.worker_id: CalendarRow(employment=e) for e in employments}
    for daily in DailyAttendance.objects.filter(
        project=project, worker__in=list(rows), work_date__range=(days[0], days[-1])
    ):
        row = rows[daily.worker_id]
        row.days[daily.work_date.day] = daily
        if daily.attended:
            row.attended_days += 1
            row.minutes += daily.minutes
    return list(rows.values())


def calendar_rows_iter(
    employments: QuerySet[Employment], *, project: Project, month: dt.date, chunk_size: int = 500
) -> Iterator[CalendarRow]:
    """calendar_rows of a whole queryset, chunk_size people at a time (the month's Excel, N5): the same rows in
    the same order, without holding them all. As in calendar_rows, a person with several employments in the month
    (an exit and a re-entry) has one row, in the place of his first employment, showing his last."""
    repeated = (
        employments.order_by()
        .values("worker")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .values_list("worker", flat=True)
    )
    last: dict[int, Employment] = {}
    for e in employments.filter(worker__in=list(repeated)):
        last[e.worker_id] = e
    shown: set[int] = set()
    chunk: list[Employment] = []
    for e in employments.iterator(chunk_size=chunk_size):
        if e.worker_id in last:
            if e.worker_id in shown:
                continue
            shown.add(e.worker_id)
            e = last[e.worker_id]
        chunk.append(e)
        if len(chunk) == chunk_size:
            yield from calendar_rows(chunk, project=project, month=month)
            chunk = []
    if chunk:
        yield from calendar_rows(chunk, project=project, month=month)


def day_totals(rows: list[CalendarRow], month: dt.date) -> list[int]:
    return [
        sum(1 for r in rows if (d := r.days.get(day.day)) and d.attended)
        for day in month_days(month)
    ]


def project_today_for(user: Any, project: Project) -> dict[str, Any]:
    """Today on a project: people on the roster, people attended, invalid passes, each key post's status."""
    day = today()
    people = scoping.employments_for(user).filter(project=project, status=Employment.Status.ACTIVE)
    daily = daily_for(user).filter(project=project, work_date=day)
    figures = daily.aggregate(
        attended=Count("pk", filter=Q(attended=True)),
        invalid=Count("pk", filter=Q(invalid_passes__gt=0)),
        anomalies=Count("pk", filter=~Q(anomalies=[])),
    )
    return {
        "day": day,
        "roster": people.count(),
        **figures,
        "key_posts": key_post_status_for(user, project, day),
    }


def key_post_holder_on(key_post: KeyPost, day: dt.date) -> int | None:
    """Who held the post that day: the holding history first, the current holder when there is none."""
    return key_post_holders_on([key_post], [day])[key_post.pk, day]


def key_post_holders_on(
    posts: Iterable[KeyPost], days: Iterable[dt.date]
) -> dict[tuple[int, dt.date], int | None]:
    """key_post_holder_on for every (post, day), in one query (the posts' holding histories): the holding
    that covers the day and started last (ties: the later record); with no history at all, the current
    holder from holder_since on."""
    posts, days = list(posts), sorted(set(days))
    history: dict[int, list[tuple[dt.date, dt.date | None, int]]] = {p.pk: [] for p in posts}
    for post_id, start, end, worker_id in (
        KeyPostHolding.objects.filter(key_post__in=[p.pk for p in posts])
        .order_by("key_post", "-start_on", "-pk")
        .values_list("key_post", "start_on", "end_on", "worker")
    ):
        history[post_id].append((start, end, worker_id))
    holders: dict[tuple[int, dt.date], int | None] = {}
    for post in posts:
        held = history[post.pk]
        for day in days:
            holder = next(
                (w for start, end, w in held if start <= day and (end is None or end >= day)),
                None,
            )
            since = post.holder_since
            if holder is None and not held and post.holder_id and (since is None or since <= day):
                holder = post.holder_id
            holders[post.pk, day] = holder
    return holders


def key_post_status_for(user: Any, project: Project, day: dt.date) -> list[dict[str, Any]]:
    """Each key post on a day: holder that day, attended or not. Uses the computed KeyPostDay row when there
    is one, and otherwise works it out (no passes yet today means not attended)."""
    computed = {
        k.key_post_id: k
        for k in KeyPostDay.objects.filter(project=project, work_date=day).select_related("holder")
    }
    result = []
    calendar = project_calendar(project)
    for post in (
        scoping.key_posts_for(user)
        .filter(project=project)
        .select_related("enterprise", "holder")
        .order_by("post", "pk")
    ):
        row = computed.get(post.pk)
        absence_reason = ""
        if row is not None:
            holder, attended, first_in = row.holder, row.attended, row.first_in
            absence_reason = INVALID_REASONS.get(row.absence_reason, row.absence_reason)
        else:
            holder_id = key_post_holder_on(post, day)
            holder = Worker.objects.filter(pk=holder_id).first() if holder_id else None
            d = (
                DailyAttendance.objects.filter(project=project, worker=holder_id, work_date=day)
                .only("attended", "first_in")
                .first()
            )
            attended, first_in = bool(d and d.attended), d.first_in if d else None
        exemption = key_post_exemption(calendar, post.post, day)
        if attended:
            status = "present"
        elif exemption:
            status = "exempt"
        else:
            status = "vacant" if holder is None else "absent"
        result.append(
            {
                "post": post,
                "holder": holder,
                "status": status,
                "first_in": first_in,
                "day": day,
                "exemption": Exemption(exemption).label if exemption else "",
                "absence_reason": "" if attended else absence_reason,
            }
        )
    return result


# The lists show a person's name, never his numbers: left unread, they are not decrypted row by row.
UNSHOWN_WORKER_FIELDS = (
    "worker__id_number",
    "worker__address",
    "worker__phone",
    "worker__bank_card",
)


DOUBLE_SHIFTS_MAX = (
    500  # the newest person-days listed; one more is read to tell that there are more
)


def double_shifts_for(user: Any, *, first: dt.date, last: dt.date) -> list[dict[str, Any]]:
    """The same person attended on two or more projects the same day (A4), where the user can see at least
    one of those projects' attendance: the newest `DOUBLE_SHIFTS_MAX` person-days with their rows. The page
    lists them a page at a time (`double_shift_days_for`, then `double_shift_rows_for` of the page's days)."""
    days = double_shift_days_for(user, first=first, last=last)[:DOUBLE_SHIFTS_MAX]
    return double_shift_rows_for(user, days=days)


def double_shift_days_for(
    user: Any, *, first: dt.date, last: dt.date
) -> list[tuple[int, dt.date, int]]:
    """(worker, day, projects attended) of each person-day on two or more projects where the user sees one,
    newest first (then by worker), at most `DOUBLE_SHIFTS_MAX` + 1. Only rows in the user's scope are shown
    (P3, issue 10 item 4): the other projects are a count (`hidden`), never a name or a time, so a
    subcontractor or a town learns that its person worked elsewhere that day but not where or when."""
    visible = daily_for(user).filter(
        work_date__range=(first, last),
        attended=True,
        worker=OuterRef("worker"),
        work_date=OuterRef("work_date"),
    )
    # Two projects on one day means two rosters that day (the one ingest path stores a pass only for a
    # person on the project's roster on the pass's day): only people with two employments overlapping the
    # range are looked at, not every attended person-day of the city (scale-baseline.md, cause 5).
    overlapping = (
        Employment.objects.filter(entry_on__lte=last)
        .filter(Q(exit_on__isnull=True) | Q(exit_on__gte=first))
        .order_by()
    )
    if not scoping.sees_all_attendance(user):
        # and, for a user who does not see every row, people with an employment he sees (a row he sees is
        # on a project where the person has one, attendance_scope): a town looks at its people, not the city's
        overlapping = overlapping.filter(worker__in=scoping.employments_for(user).values("worker"))
    two_rosters = (
        overlapping.values("worker")
        .annotate(lo=Min("project_id"), hi=Max("project_id"))  # two projects: the ends differ
        .filter(lo__lt=F("hi"))
        .values("worker")
    )
    people = list(two_rosters.values_list("worker", flat=True))
    if not people:
        return []

    def between(lo: dt.date, hi: dt.date, limit: int) -> list[tuple[int, dt.date, int]]:
        # as a list, not a subquery: the database then knows how few they are and reads their days by index
        candidates = DailyAttendance.objects.filter(
            AnyOf(F("worker"), people), work_date__range=(lo, hi), attended=True
        )
        if not scoping.sees_all_attendance(
            user
        ):  # else every row is visible: its own row is the test
            # the same for every row of a person-day: counts are unaffected
            candidates = candidates.filter(Exists(visible))
        pairs = (
            candidates.values("worker", "work_date")
            .annotate(projects=Count("project", distinct=True))
            .filter(projects__gt=1)
            .order_by("-work_date", "worker")
        )
        return [(p["worker"], p["work_date"], p["projects"]) for p in pairs[:limit]]

    # The newest day first: in a city it fills the list alone, and one day is grouped instead of 30.
    limit = DOUBLE_SHIFTS_MAX + 1
    found = between(last, last, limit)
    if len(found) < limit and first < last:
        found += between(first, last - dt.timedelta(days=1), limit - len(found))
    return found


def double_shift_rows_for(
    user: Any, *, days: Iterable[tuple[int, dt.date, int]]
) -> list[dict[str, Any]]:
    """Each of `days` (from `double_shift_days_for`) with the person and his rows the user may see, in the
    same order; `hidden` counts the projects he may not."""
    counts = {(worker, day): projects for worker, day, projects in days}
    if not counts:
        return []
    dates = [day for _, day in counts]
    theirs = daily_for(user).filter(
        worker__in={w for w, _ in counts}, work_date__range=(min(dates), max(dates)), attended=True
    )
    # Their other days come too (people and days as two lists): keep only the counted pairs' rows before
    # making model instances of them (for 30 days, tens of thousands of rows against a thousand).
    wanted = [
        pk for pk, *key in theirs.values_list("pk", "worker", "work_date") if tuple(key) in counts
    ]
    rows = (
        theirs.filter(AnyOf(F("pk"), wanted))
        .select_related("project", "worker")
        .defer(*UNSHOWN_WORKER_FIELDS)
        .order_by("first_in")
    )
    grouped: dict[tuple[int, dt.date], list[DailyAttendance]] = {}
    for r in rows:
        if (r.worker_id, r.work_date) in counts:
            grouped.setdefault((r.worker_id, r.work_date), []).append(r)
    result = []
    for key, projects in counts.items():
        days_rows = grouped.get(key, [])
        if not days_rows:
            continue
        result.append(
            {
                "worker": days_rows[0].worker,
                "work_date": key[1],
                "days": days_rows,
                "hidden": projects - len({d.project_id for d in days_rows}),
            }
        )
    return result


# The anomaly lists' order; its first key, the day, splits a month into 30 runs (smz.core.paging.Buckets).
ANOMALY_ORDER = ("-work_date", "project__code", "pk")
ANOMALY_BUCKET = ANOMALY_ORDER[0].lstrip("-")


def anomaly_list_for(
    user: Any, *, first: dt.date, last: dt.date, kind: str = ""
) -> QuerySet[DailyAttendance]:
    """Daily rows with an anomaly (invalid-only, no exit, off site, no face) in the user's scope."""
    qs = daily_for(user).filter(work_date__range=(first, last)).exclude(anomalies=[])
    if kind:
        # codes are distinct words; works on SQLite and PG. The same filter as the kind's partial index
        # (models.DailyAttendance, daily_<kind>), so that PostgreSQL may use it.
        qs = qs.filter(anomalies__icontains=kind)
    return qs.select_related("project", "worker").order_by(*ANOMALY_ORDER)


def key_post_absences_for(user: Any, *, first: dt.date, last: dt.date) -> QuerySet[KeyPostDay]:
    """Key posts not attended on a day (including vacant posts), on projects the user may see."""
    return (
        KeyPostDay.objects.filter(
            project__in=scoping.projects_for(user).values("pk"),
            work_date__range=(first, last),
            attended=False,
            exemption="",
        )
        .select_related("key_post", "key_post__enterprise", "project", "holder")
        .order_by("-work_date", "project__code", "key_post__post")
    )


class _PostState(NamedTuple):
    pk: int
    project_id: int
    post: str
    holder_id: int | None
    holder_since: dt.date | None


def key_posts_today_for(
    user: Any, *, project_ids: list[int] | None = None, holders: bool = True
) -> list[dict[str, Any]]:
    """Every key post the user may see (or of `project_ids`) today, so far: present, absent, vacant or
    exempt (工作台). A fixed number of queries however many projects: the computed KeyPostDay row when
    there is one, otherwise the current holder and his attendance today (no pass yet means absent).
    `holders=False` (counts only: the city's 7,000 posts) reads neither the holders nor an order, only the
    columns the status needs, as tuples (`_PostState`), and each row's "post" is that tuple. The ids go as
    arrays (AnyOf): 8,000 placeholders cost ≈ 0.1 s to bind."""
    day = today()
    visible = scoping.key_posts_for(user)
    if project_ids is not None:
        visible = visible.filter(AnyOf(F("project"), project_ids))
    posts: list[Any]
    if holders:
        posts = list(visible.select_related("holder").order_by("project", "post", "pk"))
    else:
        posts = [
            _PostState(*row)
            for row in visible.order_by().values_list(
                "pk", "project_id", "post", "holder_id", "holder_since"
            )
        ]
    if not posts:
        return []
    ids = sorted({p.project_id for p in posts})
    computed = {
        key_post: (holder, came)
        for key_post, holder, came in KeyPostDay.objects.filter(
            AnyOf(F("project"), ids), work_date=day
        ).values_list("key_post", "holder", "attended")
    }
    people = sorted({p.holder_id for p in posts if p.holder_id and p.pk not in computed})
    attended = set(
        DailyAttendance.objects.filter(
            AnyOf(F("project"), ids), AnyOf(F("worker"), people), work_date=day, attended=True
        ).values_list("project", "worker")
    )
    calendars = _calendars(ids)
    # An exemption depends on the project and on whether the post is the project manager's: worked out
    # once per pair, not once per post (the city's 7,000 posts; a project's pauses are walked each time).
    exempt: dict[tuple[int, bool], bool] = {}

    def exempted(post: Any) -> bool:
        pair = (post.project_id, post.post == PROJECT_MANAGER_POST)
        if (known := exempt.get(pair)) is None:
            known = exempt[pair] = bool(
                key_post_exemption(calendars[post.project_id], post.post, day)
            )
        return known

    rows = []
    for post in posts:
        holder_id: int | None
        row = computed.get(post.pk)
        if row is not None:
            holder_id, present = row
        else:
            on_post = post.holder_id and (post.holder_since is None or post.holder_since <= day)
            holder_id = post.holder_id if on_post else None
            present = (post.project_id, holder_id) in attended
        if present:
            status = "present"
        elif exempted(post):
            status = "exempt"
        else:
            status = "vacant" if holder_id is None else "absent"
        rows.append({"post": post, "project_id": post.project_id, "status": status})
    return rows


def _calendars(project_ids: Iterable[int]) -> dict[int, ProjectCalendar]:
    """Each project's attendance calendar (registry.obligations), read in two queries."""
    return project_calendars(project_ids)


def projects_today_for(user: Any, *, projects: list[Project]) -> list[dict[str, Any]]:
    """Today on each of the user's projects (项目经理/总监工作台): people on the roster and attended, on the
    whole project and those he may see, and the key posts present/absent so far. A fixed number of queries however many projects."""
    day = today()
    ids = [p.pk for p in projects]
    roster = dict(
        scoping.employments_for(user)
        .filter(project__in=ids, status=Employment.Status.ACTIVE)
        .values("project")
        .annotate(n=Count("pk"))
        .values_list("project", "n")
    )
    attended = dict(
        daily_for(user)
        .filter(project__in=ids, work_date=day, attended=True)
        .values("project")
        .annotate(n=Count("pk"))
        .values_list("project", "n")
    )
    # Whole-project head counts (every participating enterprise), as the project list shows them: a number,
    # no names, so a supervision firm sees how many are on the site it supervises.
    roster_all = dict(
        Employment.objects.filter(project__in=ids, status=Employment.Status.ACTIVE)
        .values("project")
        .annotate(n=Count("pk"))
        .values_list("project", "n")
        .order_by()
    )
    attended_all = dict(
        DailyAttendance.objects.filter(project__in=ids, work_date=day, attended=True)
        .values("project")
        .annotate(n=Count("pk"))
        .values_list("project", "n")
        .order_by()
    )
    posts: dict[int, list[dict[str, Any]]] = {}
    for row in key_posts_today_for(user, project_ids=ids):
        posts.setdefault(row["project_id"], []).append(row)
    key_post_names = code_table("key_post")
    result = []
    for p in projects:
        rows = posts.get(p.pk, [])
        for r in rows:
            r["name"] = key_post_names.get(r["post"].post, r["post"].post)
        result.append(
            {
                "project": p,
                "roster": roster.get(p.pk, 0),
                "attended": attended.get(p.pk, 0),
                "roster_all": roster_all.get(p.pk, 0),
                "attended_all": attended_all.get(p.pk, 0),
                "present": [r for r in rows if r["status"] == "present"],
                "missing": [r for r in rows if r["status"] in {"absent", "vacant"}],
                "exempt": sum(1 for r in rows if r["status"] == "exempt"),
            }
        )
    return result


def town_roster_for(user: Any) -> dict[int, int]:
    """People with an active employment the user sees, by the town of the project (jurisdiction id → people):
    the city-wide staff's from the city's summary (smz.registry.roster, the 200,000 people of a city counted
    in 31 ms otherwise), counted from the employments for everyone else."""
    if scoping.sees_every_employment(user):
        return roster_people()
    town = "project__jurisdiction"
    return dict(
        scoping.employments_for(user)
        .filter(status=Employment.Status.ACTIVE)
        .values(town)
        .annotate(n=Count("worker", distinct=True))
        .values_list(town, "n")
        .order_by()  # without it the default ordering joins every person (the city: 174 → 91 ms)
    )


def city_today_for(user: Any) -> dict[str, Any]:
    """The picture of today by town (镇街) in the user's scope: people on the roster, passes, people attended
    and the attendance rate; key posts not yet attended today and those absent yesterday (closed day).
    A fixed number of queries however many projects and towns."""
    day = today()
    town = "project__jurisdiction"
    roster = town_roster_for(user)
    passes = dict(
        passes_for(user)
        .filter(work_date=day)
        .values(town)
        .annotate(n=Count("pk"))
        .values_list(town, "n")
    )
    attended = dict(
        daily_for(user)
        .filter(work_date=day, attended=True)
        .values(town)
        .annotate(n=Count("worker", distinct=True))
        .values_list(town, "n")
    )
    posts = key_posts_today_for(user, holders=False)
    town_of = dict(scoping.projects_for(user).values_list("pk", "jurisdiction").order_by())
    missing: dict[int | None, int] = {}
    for r in posts:
        if r["status"] in {"absent", "vacant"}:
            town_pk = town_of.get(r["project_id"])
            missing[town_pk] = missing.get(town_pk, 0) + 1
    towns = []
    for j in Jurisdiction.objects.filter(pk__in=set(town_of.values())).order_by("code"):
        people, came = roster.get(j.pk, 0), attended.get(j.pk, 0)
        towns.append(
            {
                "jurisdiction": j,
                "roster": people,
                "passes": passes.get(j.pk, 0),
                "attended": came,
                "rate": round(100 * came / people) if people else None,
                "key_posts_missing": missing.get(j.pk, 0),
            }
        )
    yesterday = day - dt.timedelta(days=1)
    total_roster = sum(t["roster"] for t in towns)
    total_attended = sum(t["attended"] for t in towns)
    return {
        "day": day,
        "yesterday": yesterday,
        "towns": towns,
        "roster": total_roster,
        "passes": sum(t["passes"] for t in towns),
        "attended": total_attended,
        "rate": round(100 * total_attended / total_roster) if total_roster else None,
        "key_posts_missing": sum(missing.values()),
        "key_posts_absent_yesterday": key_post_absences_for(
            user, first=yesterday, last=yesterday
        ).count(),
    }


# ---- contests of invalid passes (issue 13 item 5) -----------------------------------------------------


def contest_may_file(user: Any, record: PassRecord) -> bool:
    """The person himself, or an admin / labor specialist of his employer on that project (who sees him)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.role == Role.WORKER:
        return bool(user.worker_id) and user.worker_id == record.worker_id
    if user.role not in {Role.ENTERPRISE_ADMIN, Role.LABOR_SPECIALIST} or not user.enterprise_id:
        return False
    return (
        scoping.employments_for(user)
        .filter(project=record.project_id, worker=record.worker_id, employer=user.enterprise_id)
        .exists()
    )


def contest_may_file_for_worker(user: Any, worker: Worker) -> bool:
    """Whether the "申诉此记录" action shows on a person's passes (the service checks each pass again)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.role == Role.WORKER:
        return user.worker_id == worker.pk
    return (
        user.role in {Role.ENTERPRISE_ADMIN, Role.LABOR_SPECIALIST}
        and scoping.employments_for(user)
        .filter(worker=worker, employer=user.enterprise_id)
        .exists()
    )


def contest_may_decide(user: Any, contest: PassContest) -> bool:
    """An approver (either level) of the authority the project was routed to when the contest was filed."""
    return (
        contest.state == PassContest.State.FILED
        and getattr(user, "is_authenticated", False)
        and user.role in {Role.APPROVER_L1, Role.APPROVER_L2}
        and user.authority_id == contest.authority_id
    )


def contests_for(user: Any) -> QuerySet[PassContest]:
    """A worker sees his own contests, an enterprise its people's, an authority its jurisdiction's (the
    people's attendance scope); the deciding authority always sees the contests routed to it."""
    qs = PassContest.objects.select_related("pass_record__device", "project", "worker", "filed_by")
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    scoped = scoping.attendance_scope(user, PassContest.objects.all()).values("pk")
    if user.authority_id:
        return qs.filter(Q(pk__in=scoped) | Q(authority=user.authority_id))
    return qs.filter(pk__in=scoped)


def contest_list_for(user: Any, *, state: str = "") -> list[PassContest]:
    qs = contests_for(user)
    if state in PassContest.State.values:
        qs = qs.filter(state=state)
    return list(qs[:500])


def contest_get_for(user: Any, pk: int) -> PassContest:
    contest = contests_for(user).filter(pk=pk).first()
    if contest is None:
        raise NotFound("通行记录申诉")
    return contest


def contest_pass_for(user: Any, pk: int) -> dict[str, Any]:
    """The pass a user is about to contest, with its effective reason; refused unless he may contest it."""
    record = pass_get_for(user, pk)
    if not contest_may_file(user, record):
        raise NotFound("通行记录")
    row = with_validity(PassRecord.objects.filter(pk=pk)).values(*VALIDITY_FIELDS).get()
    reason = pass_invalid_reason(row)
    return {
        "record": record,
        "reason": reason,
        "reason_label": INVALID_REASONS.get(reason, reason),
        "contestable": reason in CONTESTABLE_REASONS,
        "contests": list(PassContest.objects.filter(pass_record=pk).select_related("decided_by")),
    }
