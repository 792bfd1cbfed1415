"""Daily attendance (A3, A4, A5): recomputed from pass records whenever passes for a day arrive (late ones too).

Order of work for a batch's (person, day) keys — see tasks.recompute_days:
1. face check of every new snapshot (SnapshotCheck), 2. the people's days (DailyAttendance),
3. every key post of the project on the days its holders passed (KeyPostDay: the post counts, not the person).

Set-based (issue 17 goal 3, N5): a batch costs a fixed number of SQL statements whatever its size — the passes
of all its person-days in one read with each pass's validity decided in SQL (validity.pass_reason_expression),
the face checks in one insert, every DailyAttendance row in one upsert (smz.core.bulk), the key posts' days
likewise; first in, last out, minutes and anomalies are summed up in Python over those rows. Before, it was
several queries per person-day and per key post per day (kept for comparison in smz/testing/rollup_reference.py;
docs/bench.md "Attendance roll-up" has both measured).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import transaction
from django.db.models import F, Min, Q, QuerySet
from django.utils import timezone

from smz.attendance.errors import AttendanceErrorCode
from smz.attendance.events import AttendanceEventKind
from smz.attendance.models import (
    DailyAttendance,
    KeyPostDay,
    PassContest,
    PassRecord,
    SnapshotCheck,
)
from smz.attendance.selectors import contest_may_decide, contest_may_file, key_post_holders_on
from smz.attendance.signals import contest_changed_announce
from smz.attendance.snapshots import snapshot_places, snapshot_read
from smz.attendance.validity import (
    CONTESTABLE_REASONS,
    VALIDITY_FIELDS,
    pass_invalid_reason,
    pass_reason_expression,
    passes_excluded,
    with_validity,
)
from smz.core import faces
from smz.core.bulk import AnyOf, rows_upsert
from smz.core.errors import DomainError, Forbidden
from smz.core.events import event_record
from smz.core.locks import lock_row
from smz.core.roles import Role
from smz.core.timeutil import business_date
from smz.registry.models import KeyPost, KeyPostHolding, Project
from smz.registry.obligations import key_post_exemption, project_calendar
from smz.registry.project_changes import project_start_record
from smz.registry.selectors import approving_authority

log = logging.getLogger(__name__)

Key = tuple[int, dt.date]


def _faces_in_file(pass_id: int, name: str, places: dict[str, tuple[str, int]]) -> int:
    try:
        return faces.faces_in_jpeg(snapshot_read(name, places))
    except FileNotFoundError:
        log.warning("snapshot file missing for pass %s", pass_id)
        return 0


def _batch_passes(project_id: int, keys: set[Key]) -> QuerySet[PassRecord]:
    """The passes of a batch's (person, day) pairs on a project: the people and the days as two lists, so
    pairs outside the batch may come too (the callers drop them)."""
    return PassRecord.objects.filter(
        AnyOf(F("work_date"), sorted({day for _, day in keys})),
        AnyOf(F("worker"), sorted({worker for worker, _ in keys})),
        project=project_id,
    )


def _snapshot_checks_prepare(project_id: int, keys: set[Key]) -> list[tuple[int, int, str]]:
    """The face check of every not yet checked snapshot (sent with the pass or attached later) of these
    pairs: one read; the files read and the detector run here, nothing written."""
    if not keys:
        return []
    pending = (
        _batch_passes(project_id, keys)
        .filter(snapshot_check__isnull=True)
        .filter(~Q(snapshot="") | Q(late_snapshot__isnull=False))
        .order_by("pk")
        .values_list("pk", "worker", "work_date", "snapshot", "late_snapshot__snapshot")
    )
    wanted = [
        (pk, name or late) for pk, worker_id, day, name, late in pending if (worker_id, day) in keys
    ]
    places = snapshot_places(
        name for _, name in wanted
    )  # one read for all, whichever pack they are in
    # Snapshot files are content-addressed: same name, same bytes, same answer.
    known: dict[str, int] = {}
    checks = []
    for pk, name in wanted:
        if name not in known:
            known[name] = _faces_in_file(pk, name, places)
        checks.append((pk, known[name], faces.DETECTOR))
    return checks


def _snapshot_checks_store(checks: list[tuple[int, int, str]]) -> None:
    """One insert; a check a concurrent run stored first stays (same file, same answer)."""
    now = timezone.now()
    rows_upsert(
        SnapshotCheck,
        ("pass_record", "faces", "detector", "checked_at"),
        [(*check, now) for check in checks],
        unique=("pass_record",),
    )


def snapshot_checks_run(*, project_id: int, keys: Iterable[Key]) -> int:
    """Face-check the not yet checked snapshots of these (person, day) pairs on a project; returns how many
    were checked."""
    checks = _snapshot_checks_prepare(project_id, set(keys))
    with transaction.atomic():
        _snapshot_checks_store(checks)
    return len(checks)


Judged = tuple[int, dt.datetime, str, bool, str]  # pk, event_time, direction, off_site, reason


def _judged_passes(project_id: int, keys: set[Key]) -> dict[Key, list[Judged]]:
    """Every pass of these pairs with its effective reason for not counting ("" = it counts), decided in the
    database for the whole batch (validity.pass_reason_expression): one read, by pair, in id order."""
    judged: dict[Key, list[Judged]] = {key: [] for key in keys}
    if not keys:
        return judged
    rows = (
        _batch_passes(project_id, keys)
        .annotate(reason=pass_reason_expression())
        .order_by("pk")
        .values_list("worker", "work_date", "pk", "event_time", "direction", "off_site", "reason")
    )
    for worker_id, day, *rest in rows:
        if (worker_id, day) in judged:
            judged[worker_id, day].append(tuple(rest))
    return judged


def _daily_rows(
    project_id: int, judged: dict[Key, list[Judged]], excluded: set[Key], now: dt.datetime
) -> list[tuple[Any, ...]]:
    """One person's day on one project for each pair (A3, A5): first in, last out, minutes on site,
    valid/invalid passes, anomalies. `excluded` are the pairs with a counted pass a pass exclusion reader
    excludes. Rows in DAILY_COLUMNS order, sorted by pair."""
    rows = []
    for key in sorted(judged):
        passes = judged[key]
        valid = [p for p in passes if not p[4]]
        ins = [p[1] for p in valid if p[2] in ("in", "")]
        outs = [p[1] for p in valid if p[2] in ("out", "")]
        first_in = min(ins) if ins else None
        last_out = max(outs) if outs else None
        if first_in and last_out and last_out <= first_in:
            last_out = None  # last_out is the latest exit: none came after the first entry
        minutes = int((last_out - first_in).total_seconds() // 60) if first_in and last_out else 0
        invalid = len(passes) - len(valid)
        anomalies = []
        if invalid and not valid:
            anomalies.append("only_invalid_passes")
        if first_in and not last_out:
            anomalies.append("no_exit")
        if any(p[3] for p in passes):
            anomalies.append("off_site")
        if any(p[4] == "no_face" for p in passes):
            anomalies.append("no_face")
        if key in excluded:  # still counted for the person's day; a key post's day is decided below
            anomalies.append("not_same_person")
        row = (project_id, *key, first_in, last_out, minutes, len(valid), invalid, bool(valid))
        rows.append((*row, sorted(anomalies), now))
    return rows


KEY_POST_DAY_FIELDS = (
    "project",
    "holder",
    "attended",
    "first_in",
    "minutes",
    "exemption",
    "absence_reason",
    "computed_at",
)
DAILY_COLUMNS = (
    "project",
    "worker",
    "work_date",
    "first_in",
    "last_out",
    "minutes",
    "valid_passes",
    "invalid_passes",
    "attended",
    "anomalies",
    "computed_at",
)


def _excluded_pairs(judged: dict[Key, list[Judged]]) -> tuple[set[Key], dict[Key, str]]:
    """From the judged passes by pair: the pairs with a counted pass excluded by a pass exclusion reader (one
    call for the batch: validity.passes_excluded), and for the pairs whose counted passes are all excluded,
    the reason of the first of them (by id)."""
    counted = {key: [p[0] for p in passes if not p[4]] for key, passes in judged.items()}
    excluded = passes_excluded(pk for pks in counted.values() for pk in pks)
    some = {key for key, pks in counted.items() if any(pk in excluded for pk in pks)}
    every = {
        key: excluded[pks[0]]
        for key, pks in counted.items()
        if pks and all(pk in excluded for pk in pks)
    }
    return some, every


def _daily_write(project_id: int, judged: dict[Key, list[Judged]]) -> dict[Key, str]:
    """The people's days of these pairs in one upsert, in pair order (concurrent batches take the row
    locks in the same order); returns for each pair the reason when its every counted pass is excluded
    (else "")."""
    some, every = _excluded_pairs(judged)
    rows_upsert(
        DailyAttendance,
        DAILY_COLUMNS,
        _daily_rows(project_id, judged, some, timezone.now()),
        unique=("project", "worker", "work_date"),
        update=DAILY_COLUMNS[3:],
    )
    return {key: every.get(key, "") for key in judged}


def daily_attendance_recompute(*, project_id: int, worker_id: int, day: dt.date) -> DailyAttendance:
    """One person's day on one project (a batch of one)."""
    keys = {(worker_id, day)}
    _daily_write(project_id, _judged_passes(project_id, keys))
    return DailyAttendance.objects.get(project=project_id, worker=worker_id, work_date=day)


def actual_starts_record(*, project_id: int | None = None) -> int:
    """registry.lifecycle: a project without an actual start gets the first day of valid attendance on it
    (pending → active). Cheap when nothing is to do: one query for the projects still waiting."""
    waiting = Project.objects.filter(actual_start__isnull=True)
    if project_id is not None:
        waiting = waiting.filter(pk=project_id)
    firsts = dict(
        DailyAttendance.objects.filter(
            project__in=waiting.values("pk"),
            attended=True,
            work_date__lte=business_date(timezone.now()),
        )
        .values("project")
        .annotate(first=Min("work_date"))
        .values_list("project", "first")
    )
    n = 0
    for project in Project.objects.filter(pk__in=list(firsts)):
        n += project_start_record(
            actor=None, project=project, day=firsts[project.pk], basis="首个有效考勤日"
        )
    return n


def key_post_days_write(
    *,
    project_id: int,
    days: Iterable[dt.date],
    posts: Sequence[KeyPost] | None = None,
    project: Project | None = None,
    all_excluded: dict[Key, str] | None = None,
) -> list[KeyPostDay]:
    """Every key post of a project on these days: attended when its holder that day attended (A4), and
    whether the post had to be attended at all that day (A3, WF1–WF5: registry.obligations). Not attended
    either when every counted pass of the holder that day was excluded (validity.passes_excluded: e.g. face
    identity found another person in every snapshot), with the reason. A fixed number of statements for any
    number of days; rows in (day, post) order. `all_excluded` answers that for the (holder, day) pairs
    already looked at ("" when not every counted pass is excluded). The rows returned are not read back
    (no ids)."""
    days = sorted(set(days))
    if posts is None:
        posts = list(KeyPost.objects.filter(project=project_id))
    if not days or not posts:
        return []
    calendar = project_calendar(project or Project.objects.get(pk=project_id))
    holders = key_post_holders_on(posts, days)
    daily = {
        (row["worker"], row["work_date"]): row
        for row in DailyAttendance.objects.filter(
            project=project_id,
            work_date__in=days,
            worker__in=sorted({h for h in holders.values() if h is not None}),
        ).values("worker", "work_date", "attended", "first_in", "minutes")
    }
    reasons = dict(all_excluded or {})
    attended = {
        (h, day)
        for (_, day), h in holders.items()
        if h is not None and (d := daily.get((h, day))) and d["attended"]
    }
    if unknown := {(h, day) for h, day in attended if h is not None} - set(reasons):
        reasons.update(_excluded_pairs(_judged_passes(project_id, unknown))[1])
    rows = []
    for day in days:
        for post in posts:
            holder_id = holders[post.pk, day]
            d = daily.get((holder_id, day)) if holder_id is not None else None
            attended_ = bool(d and d["attended"])
            absence_reason = (
                reasons.get((holder_id, day), "") if holder_id is not None and attended_ else ""
            )
            rows.append(
                KeyPostDay(
                    key_post=post,
                    work_date=day,
                    project_id=project_id,
                    holder_id=holder_id,
                    attended=attended_ and not absence_reason,
                    first_in=d["first_in"] if d else None,
                    minutes=d["minutes"] if d else 0,
                    exemption=key_post_exemption(calendar, post.post, day),
                    absence_reason=absence_reason,
                )
            )
    # (key_post, work_date) order for the row locks, whatever the order of the answer
    now = timezone.now()
    rows_upsert(
        KeyPostDay,
        ("key_post", "work_date", *KEY_POST_DAY_FIELDS),
        sorted(_post_day_columns(r, now) for r in rows),
        unique=("key_post", "work_date"),
        update=KEY_POST_DAY_FIELDS,
    )
    return rows


def _post_day_columns(r: KeyPostDay, now: dt.datetime) -> tuple[Any, ...]:
    """A KeyPostDay as ("key_post", "work_date", *KEY_POST_DAY_FIELDS) values."""
    key = (r.key_post_id, r.work_date, r.project_id, r.holder_id, r.attended, r.first_in)
    return (*key, r.minutes, r.exemption, r.absence_reason, now)


def key_post_days_compute(*, project_id: int, day: dt.date) -> list[KeyPostDay]:
    """Every key post of a project on one day (A3, A4), in post order."""
    return key_post_days_write(project_id=project_id, days=[day])


def attendance_recompute(*, project_id: int, keys: Iterable[Key]) -> int:
    """Everything a batch of new passes touches: face checks, the people's days, the key posts' days.
    A fixed number of statements whatever the batch's size (test_rollup_sets counts them)."""
    pairs = set(keys)
    # The face check reads files and runs the detector: before the transaction, which holds no lock yet.
    checks = _snapshot_checks_prepare(project_id, pairs)
    with transaction.atomic():
        _snapshot_checks_store(checks)
        all_excluded = _daily_write(project_id, _judged_passes(project_id, pairs))
        project = Project.objects.get(pk=project_id)
        # A post's day changes only when someone who holds (or held) a post on the project passed that
        # day; days nobody of them touched are written by attendance_close_day.
        posts = list(KeyPost.objects.filter(project=project_id))
        holders = {p.holder_id for p in posts if p.holder_id} | set(
            KeyPostHolding.objects.filter(key_post__project=project_id).values_list(
                "worker_id", flat=True
            )
        )
        key_post_days_write(
            project_id=project_id,
            days={day for worker_id, day in pairs if worker_id in holders},
            posts=posts,
            project=project,
            all_excluded={key: r for key, r in all_excluded.items() if key[0] in holders},
        )
    if (
        project.actual_start is None
    ):  # else nothing to record (actual_starts_record: one query saved)
        actual_starts_record(project_id=project_id)
    return len(pairs)


def key_post_days_recompute(*, project_id: int, first: dt.date, last: dt.date) -> int:
    """Rewrite a project's key-post days over a range after its obligations changed (an approval took
    effect): the days already computed and, up to today, the ones not yet written."""
    days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
    return len(key_post_days_write(project_id=project_id, days=days))


# ---- contests of invalid passes (issue 13 item 5) -----------------------------------------------------

CONTEST_FILER_ROLES = frozenset({Role.ENTERPRISE_ADMIN, Role.LABOR_SPECIALIST})
CONTEST_DECIDER_ROLES = frozenset({Role.APPROVER_L1, Role.APPROVER_L2})


def _text(value: str, field: str, label: str) -> str:
    value = value.strip()
    if not value:
        raise DomainError(
            AttendanceErrorCode.CONTEST_TEXT,
            f"请填写{label}",
            {"fields": {field: "必填"}},
            status=422,
        )
    return value[:2000]


@transaction.atomic
def pass_contest_file(*, actor: Any, pass_record: PassRecord, reason: str) -> PassContest:
    """The person himself, or the labor specialist / admin of his employer on the project, contests a pass
    judged invalid for its snapshot or face (validity.CONTESTABLE_REASONS). One open contest per pass."""
    locked = lock_row(PassRecord, pk=pass_record.pk)
    if not contest_may_file(actor, locked):
        raise Forbidden(
            "只有本人或其用工企业的劳资专管员、企业管理员可以申诉该通行记录",
            code=AttendanceErrorCode.CONTEST_FORBIDDEN,
        )
    row = with_validity(PassRecord.objects.filter(pk=locked.pk)).values(*VALIDITY_FIELDS).get()
    invalid = pass_invalid_reason(row)
    if invalid not in CONTESTABLE_REASONS:
        raise DomainError(
            AttendanceErrorCode.CONTEST_NOT_INVALID,
            "只能申诉因抓拍照片或人脸核验而无效的通行记录",
            status=409,
        )
    if PassContest.objects.filter(pass_record=locked, state=PassContest.State.FILED).exists():
        raise DomainError(AttendanceErrorCode.CONTEST_OPEN, "该记录已有待处理的申诉", status=409)
    contest = PassContest.objects.create(
        pass_record=locked,
        project_id=locked.project_id,
        worker_id=locked.worker_id,
        authority=approving_authority(locked.project),
        enterprise_id=actor.enterprise_id,
        filed_by=actor,
        reason=_text(reason, "reason", "申诉理由"),
        invalid_reason=invalid,
    )
    event_record(
        actor=actor,
        kind=AttendanceEventKind.PASS_CONTEST_FILED,
        subject=contest,
        data={"pass": locked.pk, "reason": invalid},
    )
    contest_changed_announce(contest_id=contest.pk, state=contest.state, actor=actor)
    return contest


@transaction.atomic
def pass_contest_decide(
    *, actor: Any, contest: PassContest, accept: bool, decision: str
) -> PassContest:
    """An approver of the project's authority accepts or rejects a contest, once. Accepted: the pass counts
    (validity.pass_invalid_reason) and the person's day and the key posts are recomputed now; the compliance
    engine sees it on its next run over that day (compliance_run / the daily task)."""
    locked = lock_row(PassContest, pk=contest.pk)
    if not contest_may_decide(actor, locked):
        if locked.state != PassContest.State.FILED:
            raise DomainError(AttendanceErrorCode.CONTEST_DECIDED, "该申诉已处理", status=409)
        raise Forbidden(
            "只有该项目审批部门的审批人可以处理通行记录申诉",
            code=AttendanceErrorCode.CONTEST_FORBIDDEN,
        )
    locked.decision = _text(decision, "decision", "处理意见")
    locked.state = PassContest.State.ACCEPTED if accept else PassContest.State.REJECTED
    locked.decided_by, locked.decided_at = actor, timezone.now()
    locked.save(update_fields=["decision", "state", "decided_by", "decided_at"])
    event_record(
        actor=actor,
        kind=AttendanceEventKind.PASS_CONTEST_ACCEPTED
        if accept
        else AttendanceEventKind.PASS_CONTEST_REJECTED,
        subject=locked,
        data={"pass": locked.pass_record_id},
    )
    contest_changed_announce(contest_id=locked.pk, state=locked.state, actor=actor)
    if accept:
        day = PassRecord.objects.values_list("work_date", flat=True).get(pk=locked.pass_record_id)
        attendance_recompute(project_id=locked.project_id, keys=[(locked.worker_id, day)])
    return locked
