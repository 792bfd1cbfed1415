"""Upward reporting (数据上报): smz pushes the city's records to a provincial or national platform that speaks the
附件8 protocol, one UpstreamUpload per record and target.

One push pass (`upstream_push`), each step committed on its own:
1. sweep: a `sending` upload with no upstream serial whose send is older than SENDING_TIMEOUT goes back to
   `pending` (a crash between the send and the state write leaves it so);
2. poll: each upstream serial awaiting its result is asked `AsyncHandleResult.Query`: status 0 waits (polled
   again with backoff), 20 marks its uploads done (`Team.Add` gives the `teamSysNo`), 10 marks the records the
   result names failed with the upstream's text and the others done;
3. send, kind by kind in the order rules (participant → team → worker → contract / entry-exit / attendance /
   payroll / training): only pending uploads whose prerequisite is done; grouped (one team's workers, one
   sheet's lines) into dataLists of at most 500. Each batch is claimed (`sending`, attempts + 1, committed)
   before the HTTP call and its answer written after it: an accepted serial, a refusal (failed, with the text),
   or no usable answer (pending again, next attempt after exponential backoff; failed after MAX_ATTEMPTS).

Why a restart loses nothing and stores nothing twice: a record is `sending` (committed) before any byte leaves,
so a crash leaves it `sending` and the sweep sends it again; no record is ever in neither state, and one is
`done` only after the upstream's AsyncHandleResult said so. Sent again, a record is not stored twice: the platform
stores a record once per identity (a worker by project + ID number, a pass by person + second + direction, a
payroll line by person + month …, as smz's own gateway does). The first send cannot arrive late either:
SENDING_TIMEOUT is longer than the protocol's 5-minute timestamp window, so by the time the sweep resends, the
upstream would refuse the earlier copy as stale. Teams are not resent blind at all: a team sent before without a
known outcome is first looked up with Team.Query (a second Team.Add could make a second team and teamSysNo).
Only the send and the answer's write are not atomic together — the one window a resend covers.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from smz.core.errors import DomainError
from smz.core.events import event_record
from smz.docking.errors import DockingErrorCode
from smz.docking.events import DockingEventKind
from smz.docking.models import UpstreamTarget, UpstreamUpload
from smz.docking.selectors import upward as sel
from smz.docking.upward_client import Reply, Transient, Transport, UpwardClient, http_transport
from smz.registry.models import Project

log = logging.getLogger(__name__)

Kind = UpstreamUpload.Kind
State = UpstreamUpload.State

MAX_RECORDS = 500
MAX_ATTEMPTS = 8
BACKOFF_BASE = dt.timedelta(seconds=30)
BACKOFF_CAP = dt.timedelta(hours=2)
POLL_BASE = dt.timedelta(seconds=10)
POLL_GIVE_UP = dt.timedelta(hours=24)
# Longer than the protocol's timestamp window (5 minutes): an unanswered send older than this can no longer be
# accepted upstream, so sending its records again cannot make a second copy arrive.
SENDING_TIMEOUT = dt.timedelta(minutes=6)
# Envelope refusals (appid, sign, clock, replay): the target's configuration or clock, not the records — retried
# with backoff like a network failure, so fixing the secret lets everything through.
ENVELOPE_CODES = frozenset({1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008})

SECRET_HINT = "AppSecret 应为 16、24 或 32 位字符（AES 密钥）"  # noqa: S105 (a hint, not a secret)
_PERSONAL_NUMBER = re.compile(r"\d{6,}[\dXx]*")


def scrub(text: str) -> str:
    """An upstream's message kept for people: long digit runs (ID, bank card, phone numbers) masked, cut to fit."""
    return _PERSONAL_NUMBER.sub("＊＊＊", text or "")[:300]


def backoff(attempts: int, base: dt.timedelta = BACKOFF_BASE) -> dt.timedelta:
    """30 s, 1 min, 2 min, 4 min … capped at 2 hours."""
    return min(base * (2 ** max(attempts - 1, 0)), BACKOFF_CAP)


# ---- configuration (the city administrator's page)


@dataclass
class TargetInput:
    name: str
    url: str
    app_id: str
    secret: str  # "" on an edit keeps the stored one (write-only field)
    project_code: str
    enabled: bool


def _invalid(errors: dict[str, str]) -> DomainError:
    return DomainError(
        DockingErrorCode.UPSTREAM_INVALID, "上报平台配置有误", {"fields": errors}, status=422
    )


def upstream_target_save(
    *, actor: Any, data: TargetInput, target: UpstreamTarget | None = None
) -> UpstreamTarget:
    """Add or edit a target (上报平台). The secret is write-only: never shown again, kept when left empty."""
    sel.require_upward(actor)
    errors: dict[str, str] = {}
    name = data.name.strip()
    if not name or len(name) > 80:
        errors["name"] = "请填写平台名称（不超过80字）"
    parts = urlsplit(data.url.strip())
    if parts.scheme not in {"http", "https"} or not parts.netloc or len(data.url) > 300:
        errors["url"] = "接口地址应为 http(s):// 开头的完整地址"
    app_id = data.app_id.strip()
    if not app_id or len(app_id) > 32 or not app_id.isascii() or not app_id.isprintable():
        errors["app_id"] = "AppID 应为不超过32位的字母或数字"
    secret = data.secret.strip()
    if (secret or target is None) and (
        len(secret.encode()) not in (16, 24, 32) or not secret.isascii()
    ):
        errors["secret"] = SECRET_HINT
    project = None
    if data.project_code.strip():
        project = Project.objects.filter(code=data.project_code.strip()).first()
        if project is None:
            errors["project_code"] = "项目编码不存在"
    if errors:
        raise _invalid(errors)
    with transaction.atomic():
        created = target is None
        if target is None:
            target = UpstreamTarget(created_by=actor)
        before = {"enabled": target.enabled, "url": target.url, "app_id": target.app_id}
        target.name, target.url, target.app_id = name, data.url.strip(), app_id
        target.project = project
        target.enabled = data.enabled
        if secret:
            target.secret = secret
        target.save()
        event_record(
            actor=actor,
            kind=DockingEventKind.UPSTREAM_TARGET_SAVED,
            subject=target,
            data={
                "created": created,
                "before": before,
                "after": {"enabled": target.enabled, "url": target.url, "app_id": target.app_id},
                "project": project.pk if project else None,
                "secret_changed": bool(secret),
            },
        )
    return target


def upstream_retry(*, actor: Any, target: UpstreamTarget, upload_ids: list[int] | None) -> int:
    """Send failed records again (the page's retry button): the named ones, or all of the target's failures."""
    sel.require_upward(actor)
    with transaction.atomic():
        qs = UpstreamUpload.objects.filter(target=target, state=State.FAILED)
        if upload_ids is not None:
            qs = qs.filter(pk__in=upload_ids)
        ids = list(qs.select_for_update().order_by("pk").values_list("pk", flat=True))
        n = UpstreamUpload.objects.filter(pk__in=ids).update(
            state=State.PENDING, attempts=0, next_attempt_at=None, serial=""
        )
        if n:
            event_record(
                actor=actor,
                kind=DockingEventKind.UPSTREAM_RETRIED,
                subject=target,
                data={"uploads": ids[:100], "count": n},
            )
    return n


# ---- enqueue


def _bulk(target: UpstreamTarget, rows: list[UpstreamUpload]) -> int:
    UpstreamUpload.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    return len(rows)


def _index(target: UpstreamTarget, kind: str) -> dict[tuple[int, str], UpstreamUpload]:
    return {
        (u.object_id, u.part): u
        for u in UpstreamUpload.objects.filter(target=target, kind=kind).only(
            "pk", "object_id", "part", "state"
        )
    }


def upstream_enqueue(*, target: UpstreamTarget) -> int:
    """Add an upload for every record of the target's projects that has none yet; answers how many were new.
    Kinds are added in the order rules so each can name its prerequisite (the upload that must be done first)."""
    projects = sel.target_projects(target)
    new = 0

    def make(
        kind: str, obj_id: int, project_id: int, group: str, prereq: Any, part: str = ""
    ) -> UpstreamUpload:
        return UpstreamUpload(
            target=target,
            kind=kind,
            object_id=obj_id,
            part=part,
            project_id=project_id,
            group=group,
            prerequisite=prereq,
        )

    have = _index(target, Kind.PARTICIPANT)
    new += _bulk(
        target,
        [
            make(Kind.PARTICIPANT, p.pk, p.project_id, "", None)
            for p in sel.participants_in(projects)
            if (p.pk, "") not in have
        ],
    )
    participants = _index(target, Kind.PARTICIPANT)
    # A team needs its enterprise on the project as a participant (any role of it).
    part_of: dict[tuple[int, int], UpstreamUpload] = {}
    for p in sel.participants_in(projects).only("pk", "project_id", "enterprise_id"):
        part_of.setdefault((p.project_id, p.enterprise_id), participants[(p.pk, "")])

    have = _index(target, Kind.TEAM)
    new += _bulk(
        target,
        [
            make(Kind.TEAM, t.pk, t.project_id, "", part_of.get((t.project_id, t.enterprise_id)))
            for t in sel.teams_in(projects)
            if (t.pk, "") not in have
        ],
    )
    teams = _index(target, Kind.TEAM)

    have = _index(target, Kind.WORKER)
    employments = list(sel.employments_in(projects))
    new += _bulk(
        target,
        [
            make(
                Kind.WORKER,
                e.pk,
                e.project_id,
                f"team:{e.team_id or 0}",
                teams.get((e.team_id, "")) if e.team_id else None,
            )
            for e in employments
            if (e.pk, "") not in have
        ],
    )
    workers = _index(target, Kind.WORKER)
    # The employment a person is on a project by (the latest: passes and trainings name the person, not it).
    employment_of: dict[tuple[int, int], int] = {}
    for e in employments:
        employment_of[(e.project_id, e.worker_id)] = e.pk

    have = _index(target, Kind.CONTRACT)
    new += _bulk(
        target,
        [
            make(Kind.CONTRACT, c.pk, c.employment.project_id, "", workers[(c.employment_id, "")])
            for c in sel.contracts_in(projects).select_related("employment")
            if (c.pk, "") not in have
        ],
    )

    have = _index(target, Kind.ENTRY_EXIT)
    rows = []
    for e in employments:
        for part, day in (("in", e.entry_on), ("out", e.exit_on)):
            if day is not None and (e.pk, part) not in have:
                rows.append(
                    make(
                        Kind.ENTRY_EXIT,
                        e.pk,
                        e.project_id,
                        f"team:{e.team_id or 0}",
                        workers[(e.pk, "")],
                        part,
                    )
                )
    new += _bulk(target, rows)

    # Attendance is the big one: only passes after the last one already enqueued (pass ids only grow).
    watermark = (
        UpstreamUpload.objects.filter(target=target, kind=Kind.ATTENDANCE).aggregate(
            m=Max("object_id")
        )["m"]
        or 0
    )
    team_of = {e.pk: e.team_id or 0 for e in employments}
    rows = []
    for r in sel.passes_in(projects, watermark).only("pk", "project_id", "worker_id").iterator():
        emp = employment_of.get((r.project_id, r.worker_id))
        rows.append(
            make(
                Kind.ATTENDANCE,
                r.pk,
                r.project_id,
                f"team:{team_of.get(emp, 0) if emp else 0}",
                workers.get((emp, "")) if emp else None,
            )
        )
    new += _bulk(target, rows)

    have = _index(target, Kind.PAYROLL)
    new += _bulk(
        target,
        [
            make(
                Kind.PAYROLL,
                line.pk,
                line.payroll.project_id,
                f"payroll:{line.payroll_id}:team:{line.employment.team_id or 0}",
                workers.get((line.employment_id, "")),
            )
            for line in sel.payroll_lines_in(projects).select_related("payroll", "employment")
            if (line.pk, "") not in have
        ],
    )

    have = _index(target, Kind.TRAINING)
    rows = []
    for s in sel.trainings_in(projects):
        if (s.pk, "") in have:
            continue
        emp = employment_of.get((s.project_id, s.worker_id))
        rows.append(
            make(Kind.TRAINING, s.pk, s.project_id, "", workers.get((emp, "")) if emp else None)
        )
    new += _bulk(target, rows)
    return new


# ---- push


@dataclass
class PushReport:
    swept: int = 0
    polled: int = 0
    requests: int = 0
    sent: int = 0
    done: int = 0
    failed: int = 0
    transient: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)

    @property
    def progressed(self) -> bool:
        return bool(self.swept or self.sent or self.done or self.failed)


def _client(target: UpstreamTarget, transport: Transport | None) -> UpwardClient:
    return UpwardClient(target.url, target.app_id, target.secret, transport or http_transport)


def upstream_sweep(*, target: UpstreamTarget, now: dt.datetime) -> int:
    """Unanswered sends older than SENDING_TIMEOUT back to pending (after a crash or a lost answer)."""
    return UpstreamUpload.objects.filter(
        target=target, state=State.SENDING, serial="", sent_at__lt=now - SENDING_TIMEOUT
    ).update(
        state=State.PENDING,
        next_attempt_at=None,
        error="上次发送未获应答，重新发送",
        updated_at=now,
    )


def _team_sys_no(target: UpstreamTarget, team_id: int) -> str:
    row = (
        UpstreamUpload.objects.filter(target=target, kind=Kind.TEAM, object_id=team_id)
        .values_list("team_sys_no", flat=True)
        .first()
    )
    return row or ""


def _fail_local(upload: UpstreamUpload, message: str, now: dt.datetime) -> None:
    UpstreamUpload.objects.filter(pk=upload.pk).update(
        state=State.FAILED, error=message, updated_at=now
    )


def _build(
    target: UpstreamTarget, kind: str, group: str, uploads: list[UpstreamUpload], now: dt.datetime
) -> list[sel.Batch]:
    """The calls for one group of due uploads; records that cannot be expressed fail here (locally). A call's
    dataList lists its uploads in primary-key order (what `_poll` relies on to read the result's indexes)."""
    uploads = sorted(uploads, key=lambda u: u.pk)
    ids = [u.object_id for u in uploads]
    method = sel.METHOD_OF[Kind(kind)]
    if kind == Kind.PARTICIPANT:
        objs = sel.participants_of(ids)
        return [
            sel.Batch(kind, method, sel.participant_payload(objs[u.object_id]), [u])
            for u in uploads
            if u.object_id in objs
        ]
    if kind == Kind.TEAM:
        teams = sel.teams_of(ids)
        return [
            sel.Batch(kind, method, sel.team_payload(teams[u.object_id]), [u])
            for u in uploads
            if u.object_id in teams
        ]
    if kind == Kind.TRAINING:
        trainings = sel.trainings_of(ids)
        return [
            sel.Batch(kind, method, sel.training_payload(trainings[u.object_id]), [u])
            for u in uploads
            if u.object_id in trainings
        ]
    if kind == Kind.CONTRACT:
        contracts = sel.contracts_of(ids)
        kept = [u for u in uploads if u.object_id in contracts]
        if not kept:
            return []
        items = [sel.contract_item(contracts[u.object_id]) for u in kept]
        project = contracts[kept[0].object_id].employment.project
        return [sel.Batch(kind, method, {"projectCode": project.code, "contractList": items}, kept)]

    # The team-bound lists: workers, entry/exit, attendance, payroll.
    team_id = int(group.rsplit(":", 1)[1]) if ":" in group else 0
    if team_id == 0:
        for u in uploads:
            _fail_local(u, "人员未编入班组，无法取得上级平台的班组编号（teamSysNo）", now)
        return []
    team_sys_no = _team_sys_no(target, team_id)
    teams = sel.teams_of([team_id])
    team = teams.get(team_id)
    if team is None or not team_sys_no.isdigit():
        # The team is not done upstream yet (its records wait, like those of a failed prerequisite).
        UpstreamUpload.objects.filter(pk__in=[u.pk for u in uploads]).update(
            next_attempt_at=now + POLL_BASE, error="等待班组取得上级平台的班组编号（teamSysNo）"
        )
        return []
    head: dict[str, Any] = {
        "projectCode": team.project.code,
        "corpCode": team.enterprise.corp_code,
        "corpName": team.enterprise.name,
        "teamSysNo": int(team_sys_no),
    }
    if kind in {Kind.WORKER, Kind.ENTRY_EXIT}:
        emps = sel.employments_of(ids)
        kept = [u for u in uploads if u.object_id in emps]
        if kind == Kind.WORKER:
            items = [sel.worker_item(emps[u.object_id]) for u in kept]
        else:
            items = [sel.entry_exit_item(emps[u.object_id], u.part) for u in kept]
        return [sel.Batch(kind, method, {**head, "teamName": team.name, "workerList": items}, kept)]
    if kind == Kind.ATTENDANCE:
        passes = sel.passes_of(ids)
        kept = [u for u in uploads if u.object_id in passes]
        items = [sel.attendance_item(passes[u.object_id]) for u in kept]
        return [
            sel.Batch(
                kind,
                method,
                {
                    "projectCode": head["projectCode"],
                    "teamSysNo": head["teamSysNo"],
                    "dataList": items,
                },
                kept,
            )
        ]
    lines = sel.payroll_lines_of(ids)
    kept = [u for u in uploads if u.object_id in lines]
    if not kept:
        return []
    sheet = lines[kept[0].object_id].payroll
    account = sel.wage_account_of(sheet.project_id)
    items = [sel.payroll_item(lines[u.object_id], account) for u in kept]
    data = {
        **head,
        "corpCode": sheet.employer.corp_code,
        "corpName": sheet.employer.name,
        "payMonth": sheet.month.strftime("%Y-%m"),
        "detailList": items,
    }
    return [sel.Batch(kind, method, data, kept)]


def _claim(ids: list[int], now: dt.datetime) -> list[UpstreamUpload]:
    """Mark a batch `sending`, attempts + 1 (committed before the call). Answers the claimed rows in pk order."""
    with transaction.atomic():
        rows = list(
            UpstreamUpload.objects.select_for_update()
            .filter(pk__in=ids, state=State.PENDING)
            .order_by("pk")
        )
        UpstreamUpload.objects.filter(pk__in=[r.pk for r in rows]).update(
            state=State.SENDING, attempts=F("attempts") + 1, sent_at=now, serial="", updated_at=now
        )
        for row in rows:
            row.state, row.attempts, row.sent_at, row.serial = (
                State.SENDING,
                row.attempts + 1,
                now,
                "",
            )
    return rows


def _by(rows: list[UpstreamUpload], key: Any) -> dict[Any, list[int]]:
    """Row ids grouped by a value (one UPDATE per distinct value instead of one per row)."""
    groups: dict[Any, list[int]] = defaultdict(list)
    for row in rows:
        groups[key(row)].append(row.pk)
    return groups


def _after_transient(rows: list[UpstreamUpload], message: str, now: dt.datetime) -> int:
    """No usable answer: back to pending after a backoff by attempts; failed once MAX_ATTEMPTS are used."""
    failed = 0
    with transaction.atomic():
        for attempts, ids in _by(rows, lambda r: r.attempts).items():
            qs = UpstreamUpload.objects.filter(pk__in=ids)
            if attempts >= MAX_ATTEMPTS:
                qs.update(
                    state=State.FAILED,
                    error=scrub(f"重试{attempts}次仍失败：{message}"),
                    updated_at=now,
                )
                failed += len(ids)
            else:
                qs.update(
                    state=State.PENDING,
                    next_attempt_at=now + backoff(attempts),
                    error=scrub(message),
                    updated_at=now,
                )
    return failed


def _send(client: UpwardClient, batch: sel.Batch, now: dt.datetime, report: PushReport) -> None:
    rows = _claim([u.pk for u in batch.uploads], now)
    if not rows:
        return
    if [r.pk for r in rows] != [u.pk for u in batch.uploads]:
        # Another push claimed part of the batch meanwhile: give back what this one claimed, rebuilt next pass.
        UpstreamUpload.objects.filter(pk__in=[r.pk for r in rows]).update(
            state=State.PENDING, attempts=F("attempts") - 1, sent_at=None
        )
        return
    report.requests += 1
    report.sent += len(rows)
    report.by_kind[batch.kind] = report.by_kind.get(batch.kind, 0) + len(rows)
    try:
        reply = client.call(batch.method, batch.data, now=now)
    except Transient as exc:
        report.transient += 1
        report.failed += _after_transient(rows, exc.message, now)
        return
    _record_reply(rows, reply, now, report)


def _record_reply(
    rows: list[UpstreamUpload], reply: Reply, now: dt.datetime, report: PushReport
) -> None:
    serial = reply.data.get("requestSerialCode") if isinstance(reply.data, dict) else None
    ids = [r.pk for r in rows]
    if reply.ok and isinstance(serial, str) and serial:
        UpstreamUpload.objects.filter(pk__in=ids, state=State.SENDING).update(
            serial=serial[:64], next_attempt_at=now, error="", updated_at=now
        )
        return
    if reply.ok or reply.code in ENVELOPE_CODES:
        message = f"上级平台拒绝请求（{reply.code}）：{reply.message}"
        if reply.ok:
            message = "上级平台应答缺少请求流水号"
        report.transient += 1
        report.failed += _after_transient(rows, message, now)
        return
    UpstreamUpload.objects.filter(pk__in=ids).update(
        state=State.FAILED,
        error=scrub(f"上级平台拒绝（{reply.code}）：{reply.message}"),
        updated_at=now,
    )
    report.failed += len(rows)


def _number(value: Any) -> Any:
    """An async status as a number: 20, or "20" as some platforms send it."""
    return int(value) if isinstance(value, str) and value.isdigit() else value


def _poll(
    client: UpwardClient, target: UpstreamTarget, serial: str, now: dt.datetime, report: PushReport
) -> None:
    """Ask the outcome of one upstream request. Its uploads in pk order are its dataList in order (how `_build`
    lays them out), so the result's `index` names the upload."""
    report.polled += 1
    mine = UpstreamUpload.objects.filter(target=target, state=State.SENDING, serial=serial)
    try:
        reply = client.call("AsyncHandleResult.Query", {"requestSerialCode": serial}, now=now)
    except Transient as exc:
        report.transient += 1
        mine.update(next_attempt_at=now + POLL_BASE, error=scrub(exc.message), updated_at=now)
        return
    with transaction.atomic():
        rows = list(mine.select_for_update().order_by("pk"))
        if not rows:
            return
        data = reply.data if isinstance(reply.data, dict) else {}
        status = _number(data.get("status"))
        waited = now - (rows[0].sent_at or now)
        if not reply.ok:
            # The upstream does not know the serial (or refused the query): send the records again.
            message = scrub(f"查询处理结果失败（{reply.code}）：{reply.message}")
            for attempts, ids in _by(rows, lambda r: r.attempts).items():
                UpstreamUpload.objects.filter(pk__in=ids).update(
                    state=State.PENDING,
                    serial="",
                    next_attempt_at=now + backoff(attempts),
                    error=message,
                    updated_at=now,
                )
            return
        if status not in (10, 20) and waited > POLL_GIVE_UP:
            mine.update(
                state=State.FAILED,
                error="上级平台超过24小时仍未处理该请求（可重新上报）",
                updated_at=now,
            )
            report.failed += len(rows)
            return
        if status not in (10, 20):
            # 0 待处理: ask again later, a little later each time.
            delay = min(max(POLL_BASE, waited), BACKOFF_CAP)
            mine.update(next_attempt_at=now + delay, updated_at=now)
            return
        result = data.get("result")
        refused: dict[int, str] = {}
        for item in result if isinstance(result, list) else []:
            if isinstance(item, dict) and isinstance(item.get("index"), int):
                refused.setdefault(item["index"], str(item.get("message") or "上级平台处理失败"))
        if status == 10 and not refused:
            # Some platforms answer one text for the whole request instead of a list per record.
            text = (
                result if isinstance(result, str) and result else "上级平台处理失败（未给出原因）"
            )
            refused = dict.fromkeys(range(len(rows)), text)
        failed = {rows[i].pk: scrub(m) for i, m in refused.items() if 0 <= i < len(rows)}
        done = [r.pk for r in rows if r.pk not in failed]
        team_no = data.get("teamSysNo")
        if team_no is None and isinstance(result, dict):
            team_no = result.get("teamSysNo")
        UpstreamUpload.objects.filter(pk__in=done).update(
            state=State.DONE, error="", done_at=now, updated_at=now
        )
        if team_no is not None:
            UpstreamUpload.objects.filter(pk__in=done, kind=Kind.TEAM).update(
                team_sys_no=str(team_no)[:32]
            )
        for message, ids in _by(
            [r for r in rows if r.pk in failed], lambda r: failed[r.pk]
        ).items():
            UpstreamUpload.objects.filter(pk__in=ids).update(
                state=State.FAILED, error=message, updated_at=now
            )
        report.done += len(done)
        report.failed += len(failed)


def _teams_reconciled(
    client: UpwardClient,
    target: UpstreamTarget,
    uploads: list[UpstreamUpload],
    now: dt.datetime,
    report: PushReport,
) -> set[int]:
    """Teams sent before without a known outcome are looked up first (Team.Query): a team found upstream is done
    with its teamSysNo and not sent again — a second Team.Add could make a second team on a platform that does
    not match teams by name. Answers the uploads settled this way."""
    settled: set[int] = set()
    teams = sel.teams_of([u.object_id for u in uploads])
    for u in uploads:
        team = teams.get(u.object_id)
        if team is None:
            continue
        query = {
            "projectCode": team.project.code,
            "corpCode": team.enterprise.corp_code,
            "pageIndex": 0,
            "pageSize": 100,
        }
        try:
            reply = client.call("Team.Query", query, now=now)
        except Transient:
            report.transient += 1
            settled.add(u.pk)  # not sent blind: asked again next pass
            UpstreamUpload.objects.filter(pk=u.pk).update(next_attempt_at=now + POLL_BASE)
            continue
        rows = reply.data.get("rows") if reply.ok and isinstance(reply.data, dict) else None
        found = [
            r
            for r in rows or []
            if isinstance(r, dict) and r.get("teamName") == team.name and r.get("teamSysNo")
        ]
        if found:
            UpstreamUpload.objects.filter(pk=u.pk, state=State.PENDING).update(
                state=State.DONE,
                team_sys_no=str(found[0]["teamSysNo"])[:32],
                error="",
                done_at=now,
                updated_at=now,
            )
            report.done += 1
            settled.add(u.pk)
    return settled


def upstream_push(
    *,
    target: UpstreamTarget,
    transport: Transport | None = None,
    now: dt.datetime | None = None,
    max_requests: int | None = None,
) -> PushReport:
    """One pass for one target: sweep, poll, send what is due in the order rules. Slow I/O outside transactions."""
    now = now or timezone.now()
    report = PushReport()
    client = _client(target, transport)
    report.swept = upstream_sweep(target=target, now=now)
    serials = list(
        UpstreamUpload.objects.filter(target=target, state=State.SENDING, next_attempt_at__lte=now)
        .exclude(serial="")
        .order_by("serial")
        .values_list("serial", flat=True)
        .distinct()
    )
    for serial in serials:
        _poll(client, target, serial, now, report)
    for kind in sel.KIND_ORDER:
        due = list(sel.uploads_due(target, kind, now))
        if kind == Kind.TEAM:
            uncertain = [u for u in due if u.attempts > 0]
            if uncertain:
                settled = _teams_reconciled(client, target, uncertain, now, report)
                due = [u for u in due if u.pk not in settled]
        groups: dict[tuple[int, str], list[UpstreamUpload]] = defaultdict(list)
        for u in due:
            groups[(u.project_id, u.group)].append(u)
        for (_project, group), uploads in groups.items():
            for start in range(0, len(uploads), MAX_RECORDS):
                chunk = uploads[start : start + MAX_RECORDS]
                for batch in _build(target, kind, group, chunk, now):
                    if max_requests is not None and report.requests >= max_requests:
                        return report
                    _send(client, batch, now, report)
    UpstreamTarget.objects.filter(pk=target.pk).update(last_push_at=now)
    log.info(
        "upstream push target=%s requests=%d sent=%d done=%d failed=%d transient=%d",
        target.pk,
        report.requests,
        report.sent,
        report.done,
        report.failed,
        report.transient,
    )
    return report


def upstream_push_all(*, target_id: int | None = None, transport: Transport | None = None) -> int:
    """Enqueue and push every enabled target (or one): answers how many records were sent."""
    targets = UpstreamTarget.objects.filter(enabled=True)
    if target_id is not None:
        targets = targets.filter(pk=target_id)
    sent = 0
    for target in targets.order_by("pk"):
        upstream_enqueue(target=target)
        sent += upstream_push(target=target, transport=transport).sent
    return sent
