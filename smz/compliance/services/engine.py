"""The daily run (issue 13 item 4): every in-scope project-day judged against the deduction table in force that
day, each violation found written as a `Violation` with its evidence and its responsible enterprise.

`judge(day_from, day_to, projects=None)` walks the days in order. For each day it reads the rule table
(`rule_table_on`), the phase and the regimes once, the in-scope projects and their pauses, and then runs each
implemented rule as a handful of set-based queries over all the projects at once (never one per person-day):
the benchmark (bench/compliance.py, docs/bench.md) judges a city day of 400,000 passes in a few seconds.

What a finding becomes:
- the project-day is not judged at all when the project is out of scope, before the platform started, or in an
  approved suspension (ProjectPause) — nothing is found, and what an earlier run found there is withdrawn;
- the attendance rules skip what `registry.obligations` exempts: before planned start + 10 days, after the WF5
  stops (post by post: KeyPostDay.exemption, written by attendance_close_day);
- a violation is stored with the rule version's points; `counted` is False, with the reason in Chinese, in the
  trial period (试运行期, to 2020-01-31), when the project's regime does not carry the rule's obligation (e.g.
  manager attendance on a project registered before 2020-02-01), when the regime cannot be decided, or when
  the rule's per-day or per-month cap (per project and rule) is already reached by the violations counted
  before it (same day in subject order; earlier days of the calendar month as stored).

Re-runs are idempotent: the key is (project, day, rule, subject); a re-run rewrites the same rows with the same
values. A violation an earlier run found and this run no longer finds is deleted when no deduction was proposed
from it yet; when one was (the review has started or ended), it is kept unchanged and marked stale in its
evidence (`evidence["stale"] = true` with a Chinese note) for the reviewers — a later run that finds it again
clears the mark. Only the rules implemented here are ever written or withdrawn.

The start-date rules (C6): C-WF1-LATE (not started by planned start + `days`, no WF1 request filed) and
C-BLD-START (the builder has not declared the planned start by planned start + `days`). The docking rules
(D3): C-DOCK-LATE (the regime's docking deadline has passed and the platform has received nothing from the project:
no pass from a device, no call from a docking app) and C-DOCK-SILENT (a docked project whose passes stopped for
`days` days; a day it counts, C-ATT-NONE is not also found). The camera rule (V1): C-CAM-ENTRANCE (an open
personnel entrance without an online camera in the working hours, one finding per entrance and day).
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.utils import timezone

from smz.approvals.models import ApprovalRequest, RequestKind
from smz.approvals.models import State as RequestState
from smz.attendance.models import DailyAttendance, KeyPostDay, PassRecord
from smz.attendance.validity import VALIDITY_FIELDS, pass_invalid_reason, with_validity
from smz.compliance.models import (
    Deduction,
    DeductionRuleVersion,
    LegacySystemProject,
    Obligation,
    Phase,
    Regime,
    Responsible,
    Violation,
)
from smz.compliance.selectors import RegimeAnswer, phase_in, regime_answer, rule_table_on
from smz.compliance.table import points_text
from smz.devices.geo import point_in_polygon
from smz.devices.models import Device, SiteBoundary
from smz.docking.models import DockingApp, DockingRequest
from smz.faceid.models import IdentityCheck, IdentityReview
from smz.labor.models import LaborContract, Payroll, PayrollLine, SafetyTraining
from smz.registry.models import (
    Employment,
    KeyPostChange,
    Participant,
    PlannedStartDeclaration,
    Project,
    ProjectPause,
)
from smz.registry.obligations import ProjectCalendar, key_post_exemption
from smz.video.selectors import uncovered_entrances

EVIDENCE_IDS_MAX = 50  # ids of one kind kept per violation (the text gives the total)
TRIAL_REASON = "试运行期：只计算、不扣分"
STALE_TEXT = "重新判定时未再发现该违规（已生成扣分，保留待审核人员处理）"


class Code:
    """The rule codes this run judges (smz/compliance/data/deductions_v1.json)."""

    KP_ABSENT = "C-KP-ABSENT"
    KP_VACANT = "C-KP-VACANT"
    KP_DOUBLE = "C-KP-DOUBLE"
    WF4_FACE = "C-WF4-FACE"
    ATT_NONE = "C-ATT-NONE"
    ATT_SNAPSHOT = "C-ATT-SNAPSHOT"
    DEV_OFFSITE = "C-DEV-OFFSITE"
    LB_UNREG = "C-LB-UNREG"
    LB_NOCONTRACT = "C-LB-NOCONTRACT"
    LB_NOTRAIN = "C-LB-NOTRAIN"
    PAY_MISSING = "C-PAY-MISSING"
    PAY_HEADCOUNT = "C-PAY-HEADCOUNT"
    WF1_LATE = "C-WF1-LATE"
    BLD_START = "C-BLD-START"
    DOCK_LATE = "C-DOCK-LATE"
    DOCK_SILENT = "C-DOCK-SILENT"
    CAM_ENTRANCE = "C-CAM-ENTRANCE"


@dataclass
class Finding:
    """One rule broken by one subject on one project-day, before points and caps."""

    project_id: int
    subject: str
    text: str
    ids: dict[str, list[int]] = field(default_factory=dict)
    enterprise_id: int | None = (
        None  # the post's enterprise / the worker's employer, when the rule needs it
    )

    def evidence(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            k: sorted(set(v))[:EVIDENCE_IDS_MAX] for k, v in self.ids.items() if v
        }
        out["text"] = self.text
        return out


@dataclass
class RunResult:
    """What a run did: days and project-days judged, violations found (and counted), rows written."""

    day_from: dt.date
    day_to: dt.date
    days: int = 0
    project_days: int = 0
    found: int = 0
    counted: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    stale: int = 0
    by_rule: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    timings: dict[str, float] = field(
        default_factory=dict
    )  # seconds per step (context, rules, write)

    def summary(self) -> str:
        rules = "，".join(f"{k} {v}" for k, v in sorted(self.by_rule.items())) or "无"
        return (
            f"{self.day_from}～{self.day_to}：判定 {self.days} 天、{self.project_days} 个项目日；"
            f"发现违规 {self.found} 条（计分 {self.counted} 条：{rules}）；新增 {self.created}、"
            f"更新 {self.updated}、未变 {self.unchanged}、撤销 {self.deleted}、标记过时 {self.stale}；"
            f"用时 {self.seconds:.2f} 秒"
        )


@dataclass
class DayContext:
    """Everything read once for a day: the projects judged, their regimes, calendars and parties."""

    day: dt.date
    projects: dict[int, Project]
    answers: dict[int, RegimeAnswer]
    calendars: dict[int, ProjectCalendar]
    gc: dict[int, int]
    supervision: dict[int, int]
    scope: list[int] | None = None

    @property
    def ids(self) -> list[int]:
        return list(self.projects)

    def attendance_due(self) -> list[int]:
        """Projects whose site must attend that day (labor force and staff: the WF5 staff stop)."""
        due = []
        for pid, cal in self.calendars.items():
            start = self.answers[pid].attendance_from
            if not key_post_exemption(cal, "", self.day) and (start is None or self.day >= start):
                due.append(pid)
        return due


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _prev_month(day: dt.date) -> tuple[dt.date, dt.date]:
    last = _month_start(day) - dt.timedelta(days=1)
    return last.replace(day=1), last


def _covering(prefix: str, day: dt.date) -> Q:
    return Q(**{f"{prefix}entry_on__lte": day}) & (
        Q(**{f"{prefix}exit_on__isnull": True}) | Q(**{f"{prefix}exit_on__gte": day})
    )


def _passes_by(day: dt.date, pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], list[int]]:
    """Pass ids of (project, worker) pairs on a day (evidence for the few people found)."""
    pairs = set(pairs)
    if not pairs:
        return {}
    out: dict[tuple[int, int], list[int]] = defaultdict(list)
    for pid, project_id, worker_id in PassRecord.objects.filter(
        work_date=day,
        project__in={p for p, _ in pairs},
        worker__in={w for _, w in pairs},
    ).values_list("id", "project_id", "worker_id"):
        if (project_id, worker_id) in pairs:
            out[(project_id, worker_id)].append(pid)
    return out


# ---- the rules: each takes the day's context and returns its findings, a few queries for all projects


def key_posts(ctx: DayContext) -> dict[str, list[Finding]]:
    """C-KP-ABSENT / C-KP-VACANT from the closed key-post days (the holder that day per WF4: the old holder
    until the new one's face is enrolled — attendance.key_post_holder_on)."""
    absent: list[Finding] = []
    vacant: list[Finding] = []
    rows = list(
        KeyPostDay.objects.filter(
            work_date=ctx.day, project__in=ctx.ids, exemption="", attended=False
        ).values(
            "id",
            "project_id",
            "key_post_id",
            "key_post__post",
            "key_post__enterprise_id",
            "holder_id",
            "absence_reason",
        )
    )
    # A day absent because every pass was someone else's face (issue 15): the checks are its evidence.
    stand_in = {
        (c["project_id"], c["worker_id"]): c["ids"]
        for c in _stand_in_checks(
            ctx.day, [(r["project_id"], r["holder_id"]) for r in rows if r["absence_reason"]]
        )
    }
    for r in rows:
        ids = {"key_post_day": [r["id"]], "key_post": [r["key_post_id"]]}
        if r["holder_id"] is None:
            vacant.append(
                Finding(
                    r["project_id"],
                    f"post:{r['key_post_id']}",
                    f"岗位 {r['key_post__post']} 当日无在岗人员",
                    ids,
                    r["key_post__enterprise_id"],
                )
            )
        else:
            checks = stand_in.get((r["project_id"], r["holder_id"]), [])
            text = f"岗位 {r['key_post__post']} 在岗人员（人员 {r['holder_id']}）当日无有效考勤"
            if checks:
                text += f"：当日 {len(checks)} 条通行经人脸核验均非本人（疑似代打卡）"
            absent.append(
                Finding(
                    r["project_id"],
                    f"post:{r['key_post_id']}",
                    text,
                    {**ids, "worker": [r["holder_id"]], "identity_check": checks},
                    r["key_post__enterprise_id"],
                )
            )
    return {Code.KP_ABSENT: absent, Code.KP_VACANT: vacant}


def _stand_in_checks(day: dt.date, pairs: list[tuple[int, int]]) -> list[dict[str, Any]]:
    """Per (project, holder): the ids of that day's "not the same person" checks not overturned on review."""
    if not pairs:
        return []
    wanted = set(pairs)
    projects = {p for p, _ in wanted}
    workers = {w for _, w in wanted}
    found: dict[tuple[int, int], list[int]] = defaultdict(list)
    for pk, pid, wid in (
        IdentityCheck.objects.filter(
            work_date=day,
            project__in=projects,
            worker__in=workers,
            result=IdentityCheck.Result.NOT_SAME_PERSON,
        )
        .exclude(reviews__outcome=IdentityReview.Outcome.OVERTURNED)
        .values_list("pk", "project_id", "worker_id")
    ):
        if (pid, wid) in wanted:
            found[(pid, wid)].append(pk)
    return [{"project_id": p, "worker_id": w, "ids": ids} for (p, w), ids in found.items()]


def double_shifts(ctx: DayContext) -> dict[str, list[Finding]]:
    """C-KP-DOUBLE: a post's holder that day attended here and on another project the same day."""
    holders = KeyPostDay.objects.filter(
        work_date=ctx.day, project__in=ctx.ids, holder__isnull=False, exemption=""
    ).values("holder_id")
    doubled = dict(
        DailyAttendance.objects.filter(work_date=ctx.day, attended=True, worker__in=holders)
        .values("worker")
        .annotate(n=Count("project", distinct=True))
        .filter(n__gt=1)
        .values_list("worker", "n")
    )
    if not doubled:
        return {Code.KP_DOUBLE: []}
    attended = defaultdict(set)
    for project_id, worker_id in DailyAttendance.objects.filter(
        work_date=ctx.day, attended=True, worker__in=list(doubled)
    ).values_list("project_id", "worker_id"):
        attended[worker_id].add(project_id)
    posts = KeyPostDay.objects.filter(
        work_date=ctx.day, project__in=ctx.ids, holder__in=list(doubled), exemption=""
    ).values(
        "id", "project_id", "key_post_id", "key_post__post", "key_post__enterprise_id", "holder_id"
    )
    found: dict[tuple[int, int], Finding] = {}
    for r in sorted(posts, key=lambda r: r["id"]):
        worker, project = r["holder_id"], r["project_id"]
        if project not in attended[worker]:
            continue  # absent here: C-KP-ABSENT, not a double shift
        f = found.get((project, worker))
        if f is None:
            others = len(attended[worker]) - 1
            f = found[(project, worker)] = Finding(
                project,
                f"worker:{worker}",
                f"岗位在岗人员（人员 {worker}）当日另在 {others} 个项目有有效考勤",
                {"key_post_day": [], "key_post": [], "worker": [worker]},
                r["key_post__enterprise_id"],
            )
        f.ids["key_post_day"].append(r["id"])
        f.ids["key_post"].append(r["key_post_id"])
    passes = PassRecord.objects.filter(
        work_date=ctx.day, worker__in=list(doubled), valid=True
    ).values_list("id", "worker_id")
    by_worker = defaultdict(list)
    for pid, worker in passes:
        by_worker[worker].append(pid)
    for (_, worker), f in found.items():
        f.ids["pass"] = by_worker[worker]
    return {Code.KP_DOUBLE: list(found.values())}


def face_changes(ctx: DayContext, version: DeductionRuleVersion) -> list[Finding]:
    """C-WF4-FACE: a post change approved more than `days` ago still waits for the new holder's face."""
    days = int((version.params or {}).get("days", 7))
    rows = KeyPostChange.objects.filter(
        status=KeyPostChange.Status.AWAITING_FACE,
        key_post__project__in=ctx.ids,
        permit_approved_on__lt=ctx.day - dt.timedelta(days=days),
    ).values(
        "id",
        "key_post_id",
        "key_post__project_id",
        "key_post__post",
        "key_post__enterprise_id",
        "new_worker_id",
        "permit_approved_on",
    )
    return [
        Finding(
            r["key_post__project_id"],
            f"post:{r['key_post_id']}",
            f"岗位 {r['key_post__post']} 变更于 {r['permit_approved_on']:%Y-%m-%d} 批准，"
            f"新岗位人员（人员 {r['new_worker_id']}）超过 {days} 天仍未采集人脸",
            {"key_post_change": [r["id"]], "key_post": [r["key_post_id"]]},
            r["key_post__enterprise_id"],
        )
        for r in rows
    ]


def no_attendance(ctx: DayContext) -> list[Finding]:
    """C-ATT-NONE: a site that had to attend has not one valid attendance that day."""
    due = ctx.attendance_due()
    if not due:
        return []
    attended = set(
        DailyAttendance.objects.filter(work_date=ctx.day, attended=True, project__in=due)
        .values_list("project_id", flat=True)
        .distinct()
    )
    missing = [pid for pid in due if pid not in attended]
    devices = defaultdict(list)
    for did, pid in Device.objects.filter(project__in=missing).values_list("id", "project_id"):
        devices[pid].append(did)
    return [
        Finding(
            pid,
            "project",
            f"当日全体人员无一条有效考勤记录（项目考勤设备 {len(devices[pid])} 台）",
            {"device": devices[pid]},
        )
        for pid in missing
    ]


SNAPSHOT_REASONS = {"no_snapshot", "low_resolution", "no_face"}
REASON_WORDS = {
    "no_snapshot": "无抓拍照片",
    "low_resolution": "抓拍照片分辨率过低",
    "no_face": "抓拍照片中未检测到人脸",
}


def invalid_snapshots(ctx: DayContext) -> list[Finding]:
    """C-ATT-SNAPSHOT: the project's passes that day without a usable snapshot (research/zhongshan.md: such a
    punch is invalid), judged by their effective reason (late snapshot, face check)."""
    rows = (
        with_validity(PassRecord.objects.filter(work_date=ctx.day, project__in=ctx.ids))
        .filter(Q(valid=False) | Q(snapshot_check__faces=0))
        .values("id", "project_id", "device_id", *VALIDITY_FIELDS)
    )
    per_project: dict[int, Finding] = {}
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in rows:
        reason = pass_invalid_reason(r)
        if reason not in SNAPSHOT_REASONS:
            continue
        pid = r["project_id"]
        f = per_project.setdefault(pid, Finding(pid, "project", "", {"pass": [], "device": []}))
        f.ids["pass"].append(r["id"])
        f.ids["device"].append(r["device_id"])
        counts[pid][reason] += 1
    for pid, f in per_project.items():
        parts = "、".join(f"{REASON_WORDS[k]} {n} 条" for k, n in sorted(counts[pid].items()))
        f.text = f"当日无有效抓拍的考勤记录：{parts}（不计出勤）"
    return list(per_project.values())


def off_site_devices(ctx: DayContext) -> list[Finding]:
    """C-DEV-OFFSITE: a device located outside the site boundary was used that day, or passes of that day were
    punched outside the site (tablet location)."""
    used = {
        r["device_id"]: r
        for r in PassRecord.objects.filter(work_date=ctx.day, project__in=ctx.ids)
        .values("device_id")
        .annotate(n=Count("id"), off=Count("id", filter=Q(off_site=True)))
    }
    if not used:
        return []
    polygons = dict(
        SiteBoundary.objects.filter(project__in=ctx.ids).values_list("project_id", "polygon")
    )
    found = []
    for d in Device.objects.filter(pk__in=list(used)).values("id", "project_id", "lng", "lat"):
        pid, row = d["project_id"], used[d["id"]]
        if pid not in ctx.projects:
            continue
        outside = (
            d["lng"] is not None
            and d["lat"] is not None
            and pid in polygons
            and bool(polygons[pid])
            and not point_in_polygon(float(d["lng"]), float(d["lat"]), polygons[pid])
        )
        if not outside and not row["off"]:
            continue
        text = (
            f"考勤设备（设备 {d['id']}）定位在项目红线以外，当日有 {row['n']} 条通过该设备的考勤记录"
            if outside
            else f"考勤设备（设备 {d['id']}）当日有 {row['off']} 条通行位置不在施工现场范围内的考勤记录"
        )
        ids: dict[str, list[int]] = {"device": [d["id"]]}
        if row["off"]:
            ids["pass"] = list(
                PassRecord.objects.filter(
                    work_date=ctx.day, device=d["id"], off_site=True
                ).values_list("id", flat=True)[:EVIDENCE_IDS_MAX]
            )
        found.append(Finding(pid, f"device:{d['id']}", text, ids))
    return found


def unregistered(ctx: DayContext) -> list[Finding]:
    """C-LB-UNREG: a person passed a project's gate that day without being on its roster that day."""
    on_roster = Employment.objects.filter(
        _covering("", ctx.day), project=OuterRef("project"), worker=OuterRef("worker")
    )
    pairs = list(
        DailyAttendance.objects.filter(work_date=ctx.day, project__in=ctx.ids)
        .filter(~Exists(on_roster))
        .values_list("project_id", "worker_id")
    )
    passes = _passes_by(ctx.day, pairs)
    return [
        Finding(
            pid,
            f"worker:{wid}",
            f"人员 {wid} 当日在项目有通行记录，但不在项目在场人员名册中",
            {"worker": [wid], "pass": passes.get((pid, wid), [])},
        )
        for pid, wid in pairs
    ]


def _attended_labor(ctx: DayContext, missing: Any) -> list[dict[str, Any]]:
    attended = DailyAttendance.objects.filter(
        work_date=ctx.day, attended=True, project=OuterRef("project"), worker=OuterRef("worker")
    )
    rows: Any = (
        Employment.objects.filter(
            _covering("", ctx.day),
            project__in=ctx.ids,
            work_role=Employment.Role.WORKER,
        )
        .filter(Exists(attended))
        .filter(missing)
        .values("id", "project_id", "worker_id", "employer_id")
        .order_by("project_id", "worker_id", "id")
    )
    return list(rows)


def labor_papers(ctx: DayContext) -> dict[str, list[Finding]]:
    """C-LB-NOCONTRACT / C-LB-NOTRAIN: a construction worker attended without a labor contract in force that
    day, or without the pre-entry safety training; charged to the worker's employer."""
    contract = LaborContract.objects.filter(
        employment=OuterRef("pk"), start_on__lte=ctx.day
    ).filter(Q(end_on__isnull=True) | Q(end_on__gte=ctx.day))
    training = SafetyTraining.objects.filter(
        project=OuterRef("project"), worker=OuterRef("worker"), trained_on__lte=ctx.day
    )
    out: dict[str, list[Finding]] = {}
    for code, missing, words in (
        (Code.LB_NOCONTRACT, ~Exists(contract), "当日没有有效的劳动合同"),
        (Code.LB_NOTRAIN, ~Exists(training), "没有进场前的基本安全培训记录"),
    ):
        rows = _attended_labor(ctx, missing)
        passes = _passes_by(ctx.day, ((r["project_id"], r["worker_id"]) for r in rows))
        seen: set[tuple[int, int]] = set()
        found = []
        for r in rows:
            key = (r["project_id"], r["worker_id"])
            if key in seen:
                continue
            seen.add(key)
            found.append(
                Finding(
                    r["project_id"],
                    f"worker:{r['worker_id']}",
                    f"建筑工人（人员 {r['worker_id']}）当日有有效考勤，{words}",
                    {
                        "employment": [r["id"]],
                        "worker": [r["worker_id"]],
                        "pass": passes.get(key, []),
                    },
                    r["employer_id"],
                )
            )
        out[code] = found
    return out


def payroll_due(version: DeductionRuleVersion, day: dt.date) -> bool:
    """Monthly wage rules are judged once, on the month's pay deadline (params.due_day, default 15)."""
    return day.day == int((version.params or {}).get("due_day", 15))


def payroll_missing(ctx: DayContext) -> list[Finding]:
    """C-PAY-MISSING: on the pay deadline, a team that attended last month has no submitted payroll for it."""
    first, last = _prev_month(ctx.day)
    attended = DailyAttendance.objects.filter(
        work_date__range=(first, last),
        attended=True,
        project=OuterRef("project"),
        worker=OuterRef("worker"),
    )
    teams = (
        Employment.objects.filter(project__in=ctx.ids, team__isnull=False, entry_on__lte=last)
        .filter(Q(exit_on__isnull=True) | Q(exit_on__gte=first))
        .filter(Exists(attended))
        .values_list("project_id", "team_id", "team__enterprise_id")
        .distinct()
    )
    paid = set(
        Payroll.objects.filter(project__in=ctx.ids, month=first, team__isnull=False)
        .exclude(state=Payroll.State.DRAFT)
        .values_list("project_id", "team_id")
    )
    return [
        Finding(
            pid,
            f"team:{team}",
            f"班组（班组 {team}）{first:%Y年%m月}有考勤，截至 {ctx.day:%m月%d日} 没有已提交的工资表",
            {"team": [team]},
            enterprise,
        )
        for pid, team, enterprise in sorted(set(teams))
        if (pid, team) not in paid
    ]


def payroll_headcount(ctx: DayContext) -> list[Finding]:
    """C-PAY-HEADCOUNT (欠薪预警): last month's attended construction workers ≠ the workers paid for it."""
    first, last = _prev_month(ctx.day)
    labor = Employment.objects.filter(
        project=OuterRef("project"), worker=OuterRef("worker"), work_role=Employment.Role.WORKER
    )
    attended = dict(
        DailyAttendance.objects.filter(
            work_date__range=(first, last), attended=True, project__in=ctx.ids
        )
        .filter(Exists(labor))
        .values("project_id")
        .annotate(n=Count("worker", distinct=True))
        .values_list("project_id", "n")
    )
    paid = dict(
        PayrollLine.objects.filter(
            payroll__project__in=ctx.ids,
            payroll__month=first,
            pay_status=PayrollLine.PayStatus.PAID,
        )
        .exclude(payroll__state=Payroll.State.DRAFT)
        .values("payroll__project_id")
        .annotate(n=Count("worker", distinct=True))
        .values_list("payroll__project_id", "n")
    )
    payrolls = defaultdict(list)
    for pk, pid in (
        Payroll.objects.filter(project__in=ctx.ids, month=first)
        .exclude(state=Payroll.State.DRAFT)
        .values_list("id", "project_id")
    ):
        payrolls[pid].append(pk)
    return [
        Finding(
            pid,
            f"month:{first:%Y-%m}",
            f"{first:%Y年%m月}有效考勤的建筑工人 {attended.get(pid, 0)} 人，工资表实发 {paid.get(pid, 0)} 人",
            {"payroll": payrolls[pid]},
        )
        for pid in sorted(set(attended) | set(paid))
        if attended.get(pid, 0) != paid.get(pid, 0)
    ]


def _days_param(version: DeductionRuleVersion, default: int) -> int:
    return int((version.params or {}).get("days", default))


def _day_end(day: dt.date) -> dt.datetime:
    """The first instant after `day` (Asia/Shanghai): "filed on or before `day`" is `< _day_end(day)`."""
    return dt.datetime.combine(
        day + dt.timedelta(days=1), dt.time(), tzinfo=timezone.get_current_timezone()
    )


def not_started(project: Project, day: dt.date) -> bool:
    """Not started on `day` (registry.lifecycle.status_derived): no actual start on or before it, and not a
    project recorded as started without one (status other than pending, from before the lifecycle)."""
    if project.actual_start is not None:
        return project.actual_start > day
    return project.status == Project.Status.PENDING


def start_change_late(ctx: DayContext, version: DeductionRuleVersion) -> list[Finding]:
    """C-WF1-LATE (C6, notice 三（六）2、三（八）): planned start + `days` (default 10, the attendance start) has
    passed, the project has not started (no actual start on or before the day) and no WF1 request (变更开工日期)
    was filed (submitted, not withdrawn) on or before the day (`not_started`). A request filed in time means no finding; one filed
    late ends the findings from its day. Found every such day; the per-month cap counts it once a month."""
    days = _days_param(version, 10)
    late = [
        p
        for p in ctx.projects.values()
        if p.planned_start is not None
        and ctx.day >= p.planned_start + dt.timedelta(days=days)
        and not_started(p, ctx.day)
    ]
    if not late:
        return []
    requests: dict[int, list[tuple[int, bool]]] = defaultdict(list)
    end = _day_end(ctx.day)
    for pk, project_id, state, submitted_at in ApprovalRequest.objects.filter(
        kind=RequestKind.START_CHANGE, project__in=[p.pk for p in late]
    ).values_list("id", "project_id", "state", "submitted_at"):
        filed = (
            submitted_at is not None
            and submitted_at < end
            and state not in (RequestState.DRAFT, RequestState.WITHDRAWN)
        )
        requests[project_id].append((pk, filed))
    out = []
    for p in late:
        if any(filed for _, filed in requests[p.pk]):
            continue
        due = p.planned_start + dt.timedelta(days=days)  # type: ignore[operator]
        out.append(
            Finding(
                p.pk,
                "project",
                f"拟开工日期 {p.planned_start:%Y-%m-%d}，考勤起始日 {due:%Y-%m-%d} 已过，截至 "
                f"{ctx.day:%Y-%m-%d} 项目未开工，也未提交“变更开工日期”申请",
                {"approval": [pk for pk, _ in requests[p.pk]]},
            )
        )
    return out


def start_undeclared(ctx: DayContext, version: DeductionRuleVersion) -> list[Finding]:
    """C-BLD-START (C6, notice 三（六）1): the builder had not declared or confirmed the planned start
    (PlannedStartDeclaration) by planned start + `days` (default 0). Judged once, the day after that deadline
    (每项目每次); the evidence lists the declarations made later, if any."""
    days = _days_param(version, 0)
    due = {
        p.pk: p.planned_start + dt.timedelta(days=days)
        for p in ctx.projects.values()
        if p.planned_start is not None and ctx.day == p.planned_start + dt.timedelta(days=days + 1)
    }
    if not due:
        return []
    declarations: dict[int, list[tuple[int, dt.datetime]]] = defaultdict(list)
    for pk, project_id, declared_at in PlannedStartDeclaration.objects.filter(
        project__in=list(due)
    ).values_list("id", "project_id", "declared_at"):
        declarations[project_id].append((pk, declared_at))
    out = []
    for pid, deadline in sorted(due.items()):
        made = declarations[pid]
        if any(at < _day_end(deadline) for _, at in made):
            continue
        project = ctx.projects[pid]
        out.append(
            Finding(
                pid,
                "project",
                f"建设单位截至 {deadline:%Y-%m-%d} 未申报或确认拟开工日期（系统拟开工日期 "
                f"{project.planned_start:%Y-%m-%d}；此后申报 {len(made)} 次）",
                {"declaration": [pk for pk, _ in made]},
            )
        )
    return out


def _project_devices(ids: list[int]) -> dict[int, list[int]]:
    devices: dict[int, list[int]] = defaultdict(list)
    for did, pid in Device.objects.filter(project__in=ids).values_list("id", "project_id"):
        devices[pid].append(did)
    return devices


def _docking_apps(ids: list[int]) -> dict[int, list[int]]:
    apps: dict[int, list[int]] = defaultdict(list)
    for aid, pid in DockingApp.objects.filter(user__projects__in=ids).values_list(
        "id", "user__projects"
    ):
        apps[pid].append(aid)
    return apps


def _received_before(ids: list[int], day: dt.date) -> set[int]:
    """Projects the platform had received anything from by the end of `day`: a pass (from a device or a docking
    app, work date on or before it) or a docking call (D3)."""
    end = _day_end(day)
    passes = Project.objects.filter(pk__in=ids).filter(
        Exists(PassRecord.objects.filter(project=OuterRef("pk"), work_date__lte=day))
        | Exists(DockingRequest.objects.filter(project=OuterRef("pk"), received_at__lt=end))
    )
    return set(passes.values_list("pk", flat=True))


def dock_late(ctx: DayContext) -> list[Finding]:
    """C-DOCK-LATE (notice 四（一）（二）): the project's docking deadline (its regime: 2020-02-01, or the planned
    start) has passed and the platform has received nothing from it."""
    due = [
        pid
        for pid, answer in ctx.answers.items()
        if answer.dock_deadline is not None and ctx.day >= answer.dock_deadline
    ]
    if not due:
        return []
    docked = _received_before(due, ctx.day)
    late = [pid for pid in due if pid not in docked]
    devices, apps = _project_devices(late), _docking_apps(late)
    out = []
    for pid in late:
        deadline = ctx.answers[pid].dock_deadline
        out.append(
            Finding(
                pid,
                "project",
                f"对接期限 {deadline:%Y-%m-%d} 已过，截至 {ctx.day:%Y-%m-%d} 平台未收到该项目任何通行记录"
                f"或对接数据（登记考勤设备 {len(devices[pid])} 台，对接应用 {len(apps[pid])} 个）",
                {"device": devices[pid], "docking": apps[pid]},
            )
        )
    return out


def dock_silent(ctx: DayContext, version: DeductionRuleVersion) -> list[Finding]:
    """C-DOCK-SILENT: a project that had docked (data received before the window) has no pass with a work date in
    the last `days` days (the day included), on a day its site had to attend."""
    days = _days_param(version, 3)
    due = ctx.attendance_due()
    if not due:
        return []
    first = ctx.day - dt.timedelta(days=days - 1)
    docked = _received_before(due, first - dt.timedelta(days=1))
    if not docked:
        return []
    recent = set(
        PassRecord.objects.filter(
            project__in=list(docked), work_date__gte=first, work_date__lte=ctx.day
        )
        .values_list("project_id", flat=True)
        .distinct()
    )
    silent = sorted(docked - recent)
    devices, apps = _project_devices(silent), _docking_apps(silent)
    return [
        Finding(
            pid,
            "project",
            f"{first:%Y-%m-%d} 至 {ctx.day:%Y-%m-%d} 连续 {days} 天平台未收到该项目任何通行记录"
            f"（登记考勤设备 {len(devices[pid])} 台，对接应用 {len(apps[pid])} 个）",
            {"device": devices[pid], "docking": apps[pid]},
        )
        for pid in silent
    ]


def camera_entrances(ctx: DayContext) -> list[Finding]:
    """C-CAM-ENTRANCE (V1, notice 一（二）4, 附件2): an open personnel entrance of a site that had to attend that
    day had no assigned camera online for longer than the tolerance in the working hours (video.selectors:
    uncovered_entrances; today is judged up to now). One finding per entrance: the per-day cap bounds a site."""
    due = ctx.attendance_due()
    if not due:
        return []
    tolerance = settings.SMZ_VIDEO_GAP_TOLERANCE_MINUTES
    out = []
    for c in uncovered_entrances(due, ctx.day, now=timezone.now()):
        if not c.cameras:
            text = f"人员出入口“{c.name}”没有指定视频监控点"
        else:
            text = (
                f"人员出入口“{c.name}”作业时段内指定的 {len(c.cameras)} 个视频监控点累计离线 "
                f"{c.gap_seconds // 60} 分钟（在线 {c.covered_seconds // 60} 分钟，允许离线 {tolerance} 分钟）"
            )
        out.append(
            Finding(
                c.project_id,
                f"entrance:{c.entrance_id}",
                text,
                {"camera": c.cameras, "entrance": [c.entrance_id]},
            )
        )
    return out


# ---- the run


def _day_context(
    day: dt.date,
    scope: list[int] | None,
    phase: Phase | None,
    regimes: list[Regime],
    legacy: set[int],
) -> DayContext:
    qs = Project.objects.filter(in_scope=True).only(
        "id",
        "in_scope",
        "permit_issued_on",
        "planned_start",
        "actual_start",
        "status",
        "staff_attendance_stop_on",
        "pm_attendance_stop_on",
        "builder_id",
    )
    if scope is not None:
        qs = qs.filter(pk__in=scope)
    projects = {p.pk: p for p in qs.order_by("pk")}
    paused = set(
        ProjectPause.objects.filter(project__in=list(projects), start_on__lte=day)
        .filter(Q(end_on__isnull=True) | Q(end_on__gte=day))
        .values_list("project_id", flat=True)
    )
    projects = {pk: p for pk, p in projects.items() if pk not in paused}
    answers = {
        pk: regime_answer(p, day, phase=phase, regimes=regimes, legacy=pk in legacy)
        for pk, p in projects.items()
    }
    calendars = {
        pk: ProjectCalendar(
            planned_start=p.planned_start,
            staff_stop_on=p.staff_attendance_stop_on,
            pm_stop_on=p.pm_attendance_stop_on,
        )
        for pk, p in projects.items()
    }
    gc: dict[int, int] = {}
    supervision: dict[int, int] = {}
    for pid, ent, corp in (
        Participant.objects.filter(
            project__in=list(projects), corp_type__in=[Participant.GC, Participant.SUPERVISION]
        )
        .order_by("pk")
        .values_list("project_id", "enterprise_id", "corp_type")
    ):
        (gc if corp == Participant.GC else supervision).setdefault(pid, ent)
    return DayContext(day, projects, answers, calendars, gc, supervision, scope)


def _findings(
    ctx: DayContext, table: dict[str, DeductionRuleVersion], timings: dict[str, float]
) -> dict[str, list[Finding]]:
    """Run every enabled, implemented rule in force that day."""
    out: dict[str, list[Finding]] = {}

    def want(*codes: str) -> bool:
        return any(c in table for c in codes)

    groups: list[tuple[tuple[str, ...], Callable[[], dict[str, list[Finding]]]]] = [
        ((Code.KP_ABSENT, Code.KP_VACANT), lambda: key_posts(ctx)),
        ((Code.KP_DOUBLE,), lambda: double_shifts(ctx)),
        ((Code.WF4_FACE,), lambda: {Code.WF4_FACE: face_changes(ctx, table[Code.WF4_FACE])}),
        ((Code.ATT_NONE,), lambda: {Code.ATT_NONE: no_attendance(ctx)}),
        ((Code.ATT_SNAPSHOT,), lambda: {Code.ATT_SNAPSHOT: invalid_snapshots(ctx)}),
        ((Code.DEV_OFFSITE,), lambda: {Code.DEV_OFFSITE: off_site_devices(ctx)}),
        ((Code.LB_UNREG,), lambda: {Code.LB_UNREG: unregistered(ctx)}),
        ((Code.LB_NOCONTRACT, Code.LB_NOTRAIN), lambda: labor_papers(ctx)),
        ((Code.PAY_MISSING,), lambda: {Code.PAY_MISSING: payroll_missing(ctx)}),
        ((Code.PAY_HEADCOUNT,), lambda: {Code.PAY_HEADCOUNT: payroll_headcount(ctx)}),
        (
            (Code.WF1_LATE,),
            lambda: {Code.WF1_LATE: start_change_late(ctx, table[Code.WF1_LATE])},
        ),
        (
            (Code.BLD_START,),
            lambda: {Code.BLD_START: start_undeclared(ctx, table[Code.BLD_START])},
        ),
        ((Code.DOCK_LATE,), lambda: {Code.DOCK_LATE: dock_late(ctx)}),
        (
            (Code.DOCK_SILENT,),
            lambda: {Code.DOCK_SILENT: dock_silent(ctx, table[Code.DOCK_SILENT])},
        ),
        ((Code.CAM_ENTRANCE,), lambda: {Code.CAM_ENTRANCE: camera_entrances(ctx)}),
    ]
    for codes, run in groups:
        codes = tuple(
            c
            for c in codes
            if c in table
            and (c not in (Code.PAY_MISSING, Code.PAY_HEADCOUNT) or payroll_due(table[c], ctx.day))
        )
        if not codes or not want(*codes):
            continue
        started = time.perf_counter()
        produced = run()
        _lap(timings, "/".join(codes), started)
        for code, found in produced.items():
            if code in codes:
                out[code] = found
    # A silent project's day is one finding: C-DOCK-SILENT, not also C-ATT-NONE (deductions.md, C-ATT-NONE note).
    silent = {f.project_id for f in out.get(Code.DOCK_SILENT, [])}
    if silent and Code.ATT_NONE in out:
        out[Code.ATT_NONE] = [f for f in out[Code.ATT_NONE] if f.project_id not in silent]
    return out


def implemented_codes() -> list[str]:
    return [v for k, v in vars(Code).items() if not k.startswith("_")]


def _enterprise(
    ctx: DayContext, version: DeductionRuleVersion, f: Finding
) -> tuple[str, int | None]:
    responsible = version.responsible
    project = ctx.projects[f.project_id]
    if responsible == Responsible.BUILDER:
        return responsible, project.builder_id
    if responsible == Responsible.SUPERVISION:
        return responsible, ctx.supervision.get(f.project_id)
    if responsible in (Responsible.POST_OWNER, Responsible.EMPLOYER) and f.enterprise_id:
        return responsible, f.enterprise_id
    return responsible, ctx.gc.get(f.project_id)


def _not_counted_reason(answer: RegimeAnswer, obligation: str) -> str:
    if answer.regime is None:
        return (answer.reasons[-1] if answer.reasons else "无法确定适用制度")[:120]
    if obligation not in answer.regime.obligations:
        return f"适用制度“{answer.regime.name}”不考核{Obligation(obligation).label}"[:120]
    if not (answer.phase and answer.phase.deducts):
        return TRIAL_REASON
    return ""


def _judge_day(
    day: dt.date,
    scope: list[int] | None,
    phases: list[Phase],
    regimes: list[Regime],
    legacy: set[int],
    result: RunResult,
) -> None:
    phase = phase_in(phases, day)
    table = {
        code: v
        for code, v in rule_table_on(day).items()
        if v.enabled and code in implemented_codes()
    }
    started = time.perf_counter()
    ctx = _day_context(day, scope, phase, regimes, legacy)
    _lap(result.timings, "context", started)
    if phase is None:
        ctx.projects.clear()
    result.days += 1
    result.project_days += len(ctx.projects)
    findings = _findings(ctx, table, result.timings) if ctx.projects else {}

    # points already counted earlier this month (stored), per project and rule
    month_used: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    if day.day > 1:
        for pid, rule_id, total in (
            Violation.objects.filter(
                day__gte=_month_start(day), day__lt=day, counted=True, rule__code__in=list(table)
            )
            .values("project_id", "rule_id")
            .annotate(total=Sum("points"))
            .values_list("project_id", "rule_id", "total")
        ):
            month_used[(pid, rule_id)] = total or Decimal(0)

    rows: dict[tuple[int, int, str], dict[str, Any]] = {}
    for code, found in findings.items():
        version = table[code]
        day_used: dict[int, Decimal] = defaultdict(Decimal)
        for f in sorted(found, key=lambda f: (f.project_id, f.subject)):
            if f.project_id not in ctx.projects:
                continue
            responsible, enterprise = _enterprise(ctx, version, f)
            reason = _not_counted_reason(ctx.answers[f.project_id], version.rule.obligation)
            key = (f.project_id, version.rule_id)
            if not reason:
                if (
                    version.per_day_cap is not None
                    and day_used[f.project_id] + version.points > version.per_day_cap
                ):
                    reason = f"已达每日上限 {points_text(version.per_day_cap)} 分"
                elif (
                    version.per_month_cap is not None
                    and month_used[key] + version.points > version.per_month_cap
                ):
                    reason = f"已达每月上限 {points_text(version.per_month_cap)} 分"
            if not reason:
                day_used[f.project_id] += version.points
                month_used[key] += version.points
            rows[(f.project_id, version.rule_id, f.subject)] = {
                "rule_version_id": version.pk,
                "responsible": responsible,
                "enterprise_id": enterprise,
                "points": version.points,
                "counted": not reason,
                "not_counted_reason": reason,
                "evidence": f.evidence(),
            }
            result.found += 1
            if not reason:
                result.counted += 1
                result.by_rule[code] = result.by_rule.get(code, 0) + 1
    started = time.perf_counter()
    _write(day, ctx, table, rows, result)
    _lap(result.timings, "write", started)


def _lap(timings: dict[str, float], name: str, started: float) -> None:
    timings[name] = timings.get(name, 0.0) + time.perf_counter() - started


FIELDS = (
    "rule_version_id",
    "responsible",
    "enterprise_id",
    "points",
    "counted",
    "not_counted_reason",
    "evidence",
)


@transaction.atomic
def _write(
    day: dt.date,
    ctx: DayContext,
    table: dict[str, DeductionRuleVersion],
    rows: dict[tuple[int, int, str], dict[str, Any]],
    result: RunResult,
) -> None:
    """Upsert the day's violations; withdraw (or mark stale) those no longer found."""
    existing = Violation.objects.filter(day=day, rule__code__in=implemented_codes())
    if ctx.scope is not None:
        existing = existing.filter(project__in=ctx.scope)
    existing_rows = {
        (v.project_id, v.rule_id, v.subject): v
        for v in existing.annotate(has_deduction=Exists(_deductions())).only(
            "id", "project_id", "rule_id", "subject", *FIELDS
        )
    }
    create, update, delete = [], [], []
    for key, values in rows.items():
        old = existing_rows.pop(key, None)
        if old is None:
            create.append(
                Violation(project_id=key[0], rule_id=key[1], subject=key[2], day=day, **values)
            )
            continue
        if all(getattr(old, k) == v for k, v in values.items()):
            result.unchanged += 1
            continue
        for k, v in values.items():
            setattr(old, k, v)
        update.append(old)
    for old in existing_rows.values():
        if old.has_deduction:
            if not old.evidence.get("stale"):
                old.evidence = {**old.evidence, "stale": True, "stale_text": STALE_TEXT}
                update.append(old)
            result.stale += 1
        else:
            delete.append(old.pk)
    Violation.objects.bulk_create(create, batch_size=2000)
    if update:
        now = timezone.now()
        for v in update:
            v.updated_at = now
        Violation.objects.bulk_update(update, [*FIELDS, "updated_at"], batch_size=2000)
    if delete:
        Violation.objects.filter(pk__in=delete).delete()
    result.created += len(create)
    result.updated += len(update)
    result.deleted += len(delete)


def _deductions() -> Any:
    return Deduction.objects.filter(violation=OuterRef("pk"))


def judge(
    day_from: dt.date, day_to: dt.date, *, projects: Iterable[int] | None = None
) -> RunResult:
    """Judge every in-scope project (or the given ones) on every day from `day_from` to `day_to`."""
    started = time.perf_counter()
    scope = sorted(set(projects)) if projects is not None else None
    result = RunResult(day_from, day_to)
    phases = list(Phase.objects.order_by("starts_on"))
    regimes = list(Regime.objects.order_by("rank"))
    legacy = set(LegacySystemProject.objects.values_list("project_id", flat=True))
    day = day_from
    while day <= day_to:
        _judge_day(day, scope, phases, regimes, legacy, result)
        day += dt.timedelta(days=1)
    result.seconds = time.perf_counter() - started
    return result
