"""Daily attendance (A3, A4, A5): recomputed from pass records whenever passes for a day arrive (late ones too).

Order of work for a batch's (person, day) keys — see tasks.recompute_days:
1. face check of every new snapshot (SnapshotCheck), 2. the person's day (DailyAttendance),
3. every key post of the project that day (KeyPostDay: the post counts, not the person).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Min, Q
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
from smz.attendance.selectors import contest_may_decide, contest_may_file, key_post_holder_on
from smz.attendance.signals import contest_changed_announce
from smz.attendance.snapshots import snapshot_read
from smz.attendance.validity import (
    CONTESTABLE_REASONS,
    VALIDITY_FIELDS,
    pass_invalid_reason,
    passes_excluded,
    with_validity,
)
from smz.core import faces
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


def _faces_in_file(pass_id: int, name: str) -> int:
    try:
        return faces.faces_in_jpeg(snapshot_read(name))
    except FileNotFoundError:
        log.warning("snapshot file missing for pass %s", pass_id)
        return 0


def snapshot_checks_run(*, project_id: int, keys: Iterable[tuple[int, dt.date]]) -> int:
    """Face-check the not yet checked snapshots (sent with the pass or attached later) of these (person, day)
    pairs on a project; returns how many were checked."""
    done = 0
    # Snapshot files are content-addressed: same name, same bytes, same answer.
    known: dict[str, int] = {}
    for worker_id, day in keys:
        pending = PassRecord.objects.filter(
            project=project_id, worker=worker_id, work_date=day, snapshot_check__isnull=True
        ).filter(~Q(snapshot="") | Q(late_snapshot__isnull=False))
        for pk, name, late in pending.values_list("pk", "snapshot", "late_snapshot__snapshot"):
            name = name or late
            count = known.get(name)
            if count is None:
                count = _faces_in_file(pk, name)
                known[name] = count
            try:
                with transaction.atomic():
                    SnapshotCheck.objects.create(
                        pass_record_id=pk, faces=count, detector=faces.DETECTOR
                    )
            except IntegrityError:  # a concurrent run checked it first
                continue
            done += 1
    return done


def daily_attendance_recompute(*, project_id: int, worker_id: int, day: dt.date) -> DailyAttendance:
    """One person's day on one project: first in, last out, minutes on site, valid/invalid passes, anomalies."""
    passes = list(
        with_validity(
            PassRecord.objects.filter(project=project_id, worker=worker_id, work_date=day)
        )
        .order_by("event_time", "pk")
        .values("pk", "event_time", "direction", *VALIDITY_FIELDS)
    )
    for p in passes:
        p["reason"] = pass_invalid_reason(p)
    valid = [p for p in passes if not p["reason"]]
    excluded = passes_excluded(p["pk"] for p in valid)
    invalid = [p for p in passes if p["reason"]]
    ins = [p["event_time"] for p in valid if p["direction"] in ("in", "")]
    outs = [p["event_time"] for p in valid if p["direction"] in ("out", "")]
    first_in = min(ins) if ins else None
    last_out = max(outs) if outs else None
    if first_in and last_out and last_out <= first_in:
        last_out = None  # last_out is the latest exit: none came after the first entry
    minutes = int((last_out - first_in).total_seconds() // 60) if first_in and last_out else 0
    anomalies = []
    if invalid and not valid:
        anomalies.append("only_invalid_passes")
    if first_in and not last_out:
        anomalies.append("no_exit")
    if any(p["off_site"] for p in passes):
        anomalies.append("off_site")
    if any(p["reason"] == "no_face" for p in passes):
        anomalies.append("no_face")
    if excluded:  # still counted for the person's day; a key post's day is decided below
        anomalies.append("not_same_person")
    with transaction.atomic():
        row, _ = DailyAttendance.objects.update_or_create(
            project_id=project_id,
            worker_id=worker_id,
            work_date=day,
            defaults={
                "first_in": first_in,
                "last_out": last_out,
                "minutes": minutes,
                "valid_passes": len(valid),
                "invalid_passes": len(invalid),
                "attended": bool(valid),
                "anomalies": sorted(set(anomalies)),
            },
        )
    return row


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


def _holder_passes_excluded(project_id: int, worker_id: int | None, day: dt.date) -> str:
    """The reason when every counted pass of the holder that day was excluded (validity.passes_excluded:
    e.g. face identity found another person in every snapshot), else "": the post was not really attended."""
    rows = (
        with_validity(
            PassRecord.objects.filter(project=project_id, worker=worker_id, work_date=day)
        )
        .order_by("pk")
        .values("pk", *VALIDITY_FIELDS)
    )
    counted = [row["pk"] for row in rows if not pass_invalid_reason(row)]
    excluded = passes_excluded(counted)
    if not counted or len(excluded) < len(counted):
        return ""
    return excluded[counted[0]]


def key_post_days_compute(*, project_id: int, day: dt.date) -> list[KeyPostDay]:
    """Every key post of a project on one day: attended when its holder that day attended (A4), and whether
    the post had to be attended at all that day (A3, WF1–WF5: registry.obligations)."""
    rows = []
    calendar = project_calendar(Project.objects.get(pk=project_id))
    for post in KeyPost.objects.filter(project=project_id):
        holder_id = key_post_holder_on(post, day)
        daily = (
            DailyAttendance.objects.filter(
                project=project_id, worker=holder_id, work_date=day
            ).first()
            if holder_id
            else None
        )
        attended = bool(daily and daily.attended)
        absence_reason = _holder_passes_excluded(project_id, holder_id, day) if attended else ""
        row, _ = KeyPostDay.objects.update_or_create(
            key_post=post,
            work_date=day,
            defaults={
                "project_id": project_id,
                "holder_id": holder_id,
                "attended": attended and not absence_reason,
                "first_in": daily.first_in if daily else None,
                "minutes": daily.minutes if daily else 0,
                "exemption": key_post_exemption(calendar, post.post, day),
                "absence_reason": absence_reason,
            },
        )
        rows.append(row)
    return rows


def attendance_recompute(*, project_id: int, keys: Iterable[tuple[int, dt.date]]) -> int:
    """Everything a batch of new passes touches: face checks, the people's days, the key posts' days."""
    keys = sorted(set(keys))
    snapshot_checks_run(project_id=project_id, keys=keys)
    for worker_id, day in keys:
        daily_attendance_recompute(project_id=project_id, worker_id=worker_id, day=day)
    # A post's day changes only when someone who holds (or held) a post on the project passed that day;
    # days nobody of them touched are written by attendance_close_day.
    holders = set(
        KeyPost.objects.filter(project=project_id, holder__isnull=False).values_list(
            "holder_id", flat=True
        )
    ) | set(
        KeyPostHolding.objects.filter(key_post__project=project_id).values_list(
            "worker_id", flat=True
        )
    )
    for day in sorted({day for worker_id, day in keys if worker_id in holders}):
        key_post_days_compute(project_id=project_id, day=day)
    actual_starts_record(project_id=project_id)
    return len(keys)


def key_post_days_recompute(*, project_id: int, first: dt.date, last: dt.date) -> int:
    """Rewrite a project's key-post days over a range after its obligations changed (an approval took
    effect): the days already computed and, up to today, the ones not yet written."""
    day, n = first, 0
    while day <= last:
        n += len(key_post_days_compute(project_id=project_id, day=day))
        day += dt.timedelta(days=1)
    return n


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
