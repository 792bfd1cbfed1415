"""Writes for the city's other systems (对接系统, WF4, WF5, R2): register, rotate and retire a system, and the
three notices it posts (施工许可, 质量监督任务完成告知书, 安全生产标准化评定报告). Each message is handled once in one
transaction and stored with its answer, so a repeat gets the same answer and a changed repeat a 409."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from smz.accounts.models import Role
from smz.approvals.errors import ApprovalsErrorCode
from smz.approvals.events import ApprovalsEventKind
from smz.approvals.inbound.kinds import MessageKind
from smz.approvals.models import InboundMessage, InboundNonce, InboundSystem
from smz.core.errors import DomainError, Forbidden, field_errors
from smz.core.events import event_record
from smz.core.pii import mask_id_number
from smz.core.validators import id_number_error, normalize_id_number
from smz.registry.codes import code_valid
from smz.registry.identity import id_number_index
from smz.registry.models import Enterprise, KeyPost, KeyPostChange, Participant, Project, Worker
from smz.registry.project_changes import (
    key_post_change_record,
    key_post_person,
    project_attendance_stop,
    project_completion_record,
    project_start_change,
)
from smz.registry.selectors import worker_find_by_id_number

log = logging.getLogger(__name__)

SYSTEM_CODE_RE = re.compile(r"^[A-Za-z0-9_-]{2,32}$")
# A notice dated more than a day ahead of the platform's clock is a typo, not a notice.
FUTURE_SLACK = dt.timedelta(days=1)


# Error codes of the inbound interface: (HTTP status, zh-CN message). Documented in docs/interfaces/inbound.md.
CODES: dict[str, tuple[int, str]] = {
    ApprovalsErrorCode.INBOUND_MISSING_HEADERS: (
        401,
        "缺少签名请求头（X-Smz-System/Timestamp/Nonce/Signature）",
    ),
    ApprovalsErrorCode.INBOUND_UNKNOWN_SYSTEM: (401, "对接系统未登记或已停用"),
    ApprovalsErrorCode.INBOUND_STALE_TIMESTAMP: (401, "请求时间超出允许范围（±300秒）"),
    ApprovalsErrorCode.INBOUND_BAD_SIGNATURE: (401, "签名错误"),
    ApprovalsErrorCode.INBOUND_REPLAYED_NONCE: (401, "nonce 已使用，疑似重放"),
    ApprovalsErrorCode.INBOUND_WRONG_SYSTEM: (403, "该对接系统无权调用此接口"),
    ApprovalsErrorCode.INBOUND_UNKNOWN_PROJECT: (404, "项目不存在：请核对项目编码或施工许可证号"),
    ApprovalsErrorCode.INBOUND_PERMIT_NO_TAKEN: (409, "该施工许可证号已属于另一个项目"),
    ApprovalsErrorCode.INBOUND_MESSAGE_CONFLICT: (
        409,
        "报文编号已用于内容不同的另一份报文：请使用新的报文编号",
    ),
}

# Per key-post rejection codes inside a 200 permit answer (the rest of the message still applies).
ITEM_CODES: dict[str, str] = {
    ApprovalsErrorCode.KEY_POST_UNKNOWN_POST: "岗位代码无效",
    ApprovalsErrorCode.KEY_POST_DUPLICATE_ITEM: "同一报文中该单位的该岗位重复出现",
    ApprovalsErrorCode.KEY_POST_UNKNOWN_ENTERPRISE: "企业未在平台登记（统一社会信用代码不存在）",
    ApprovalsErrorCode.KEY_POST_NOT_PARTICIPANT: "该企业不是本项目的参建单位",
    ApprovalsErrorCode.KEY_POST_BAD_PERSON: "人员身份信息无效",
    ApprovalsErrorCode.KEY_POST_NAME_MISMATCH: "姓名与平台登记的该证件号码人员不一致",
}


def inbound_error(code: str, detail: dict[str, Any] | None = None) -> DomainError:
    status, message = CODES[code]
    return DomainError(code, message, detail, status=status)


# ---- systems ------------------------------------------------------------------------------------------


def _require_city_admin(actor: Any) -> None:
    if not getattr(actor, "is_authenticated", False) or not (
        actor.is_superuser or actor.role == Role.CITY_ADMIN
    ):
        raise Forbidden("仅市级管理员可管理对接系统")


def _new_secret() -> str:
    return secrets.token_urlsafe(32)


def inbound_system_register(
    *, actor: Any, code: str, name: str, kind: str, docked_on: dt.date | None = None
) -> tuple[InboundSystem, str]:
    """Register another city system; returns it and its signing secret (shown once)."""
    _require_city_admin(actor)
    code, name = code.strip(), name.strip()
    errors = {}
    if not SYSTEM_CODE_RE.match(code):
        errors["code"] = "系统编码为2-32位字母、数字、下划线或连字符"
    if not name or len(name) > 80:
        errors["name"] = "名称不能为空且不超过80个字"
    if kind not in InboundSystem.Kind.values:
        errors["kind"] = "类型无效"
    if errors:
        raise field_errors(errors)
    secret = _new_secret()
    try:
        with transaction.atomic():
            system = InboundSystem.objects.create(
                code=code, name=name, kind=kind, secret=secret, docked_on=docked_on
            )
            event_record(
                actor=actor,
                kind=ApprovalsEventKind.INBOUND_SYSTEM_REGISTERED,
                subject=system,
                data={"code": code, "kind": kind},
            )
    except IntegrityError:
        raise field_errors({"code": "该系统编码已登记"}) from None
    return system, secret


def inbound_system_rotate(*, actor: Any, system: InboundSystem) -> str:
    """Issue a new signing secret; the old one stops working at once."""
    _require_city_admin(actor)
    if system.retired_at is not None:
        raise DomainError(ApprovalsErrorCode.INBOUND_SYSTEM_RETIRED, "该系统已停用，不能更换密钥")
    secret = _new_secret()
    with transaction.atomic():
        system.secret = secret
        system.save(update_fields=["secret", "updated_at"])
        event_record(
            actor=actor,
            kind=ApprovalsEventKind.INBOUND_SECRET_ROTATED,
            subject=system,
            data={"code": system.code},
        )
    return secret


def inbound_system_retire(*, actor: Any, system: InboundSystem) -> InboundSystem:
    """Stop accepting the system's messages (its requests are refused as unknown)."""
    _require_city_admin(actor)
    if system.retired_at is not None:
        raise DomainError(ApprovalsErrorCode.INBOUND_SYSTEM_RETIRED, "该系统已停用")
    with transaction.atomic():
        system.retired_at = timezone.now()
        system.save(update_fields=["retired_at", "updated_at"])
        event_record(
            actor=actor,
            kind=ApprovalsEventKind.INBOUND_SYSTEM_RETIRED,
            subject=system,
            data={"code": system.code},
        )
    return system


def inbound_nonce_use(*, system: InboundSystem, nonce: str) -> bool:
    """Remember a nonce; False when the system already used it (a replay)."""
    try:
        with transaction.atomic():
            InboundNonce.objects.create(system=system, nonce=nonce, seen_at=timezone.now())
    except IntegrityError:
        return False
    return True


def inbound_nonces_purge(older_than_seconds: int = 600) -> int:
    """Nonces older than twice the window can never be replayed successfully (the timestamp check refuses)."""
    cutoff = timezone.now() - dt.timedelta(seconds=older_than_seconds)
    return InboundNonce.objects.filter(seen_at__lt=cutoff).delete()[0]


# ---- messages -----------------------------------------------------------------------------------------


def payload_digest(payload: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON (sorted keys, no spaces, UTF-8): key order and spacing do not matter."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _payload_for_storage(payload: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The payload as stored (ID numbers masked) and its digest (ID numbers as their keyed index, so a changed
    number is still a changed message while neither the table nor the digest can give a number away)."""
    people = payload.get("key_posts") or []
    stored = payload | {
        "key_posts": [p | {"id_number": mask_id_number(p["id_number"])} for p in people]
    }
    hashed = payload | {
        "key_posts": [
            p | {"id_number": id_number_index(Worker.ID_CARD, p["id_number"])} for p in people
        ]
    }
    if "key_posts" not in payload:
        stored.pop("key_posts")
        hashed.pop("key_posts")
    return stored, payload_digest(hashed)


def _message_handle(
    *,
    system: InboundSystem,
    kind: str,
    payload: dict[str, Any],
    apply: Callable[[Project], dict[str, Any]],
) -> dict[str, Any]:
    """Idempotency at the seam: (system, message_id) once; a repeat gets the first answer, a changed repeat a
    409. Only successful answers are stored, so a corrected retry of a refused message can still succeed."""
    message_id = payload["message_id"]
    stored_payload, digest = _payload_for_storage(payload)
    try:
        with transaction.atomic():
            stored = _stored_answer(system, message_id, digest)
            if stored is not None:
                return stored
            project = _project_find(payload["project_code"])
            answer = {"message_id": message_id, "project_code": project.code, **apply(project)}
            InboundMessage.objects.create(
                system=system,
                message_id=message_id,
                kind=kind,
                digest=digest,
                payload=stored_payload,
                answer=answer,
            )
            event_record(
                actor=None,
                kind=ApprovalsEventKind(f"inbound.{kind}"),
                subject=project,
                data={"system": system.code, "message_id": message_id},
            )
    except IntegrityError:
        # The same message arrived twice at once: the other copy committed first; answer as it did.
        stored = _stored_answer(system, message_id, digest)
        if stored is None:
            raise
        return stored
    log.info("inbound message %s from %s applied to project %s", kind, system.code, project.pk)
    return answer | {"replayed": False}


def _stored_answer(system: InboundSystem, message_id: str, digest: str) -> dict[str, Any] | None:
    row = InboundMessage.objects.filter(system=system, message_id=message_id).first()
    if row is None:
        return None
    if row.digest != digest:
        raise inbound_error(ApprovalsErrorCode.INBOUND_MESSAGE_CONFLICT, {"message_id": message_id})
    return row.answer | {"replayed": True}


def _project_find(code: str) -> Project:
    """A project by its 项目编码, or else by its 施工许可证号."""
    project = Project.objects.filter(code=code).first()
    if project is None and code:
        matches = list(Project.objects.filter(permit_no=code)[:2])
        project = matches[0] if len(matches) == 1 else None
    if project is None:
        raise inbound_error(ApprovalsErrorCode.INBOUND_UNKNOWN_PROJECT, {"project_code": code})
    return project


def _not_future(**dates: dt.date | None) -> None:
    latest = timezone.localdate() + FUTURE_SLACK
    errors = {k: "日期不能晚于今天" for k, v in dates.items() if v is not None and v > latest}
    if errors:
        raise field_errors(errors)


def _basis(system: InboundSystem, what: str, ref: str) -> str:
    return f"{system.code} {what} {ref}"[:80]


def quality_notice_receive(
    *,
    system: InboundSystem,
    message_id: str,
    project_code: str,
    notice_no: str,
    issued_on: dt.date,
    completion_date: dt.date,
) -> dict[str, Any]:
    """工程现场施工质量监督任务完成告知书 (WF5): the project manager's attendance ends on the notice's date, and
    the project's completion date is the one the quality center states (notice 三(六)3)."""
    _not_future(issued_on=issued_on, completion_date=completion_date)
    payload = {
        "message_id": message_id,
        "project_code": project_code,
        "notice_no": notice_no,
        "issued_on": issued_on.isoformat(),
        "completion_date": completion_date.isoformat(),
    }

    def apply(project: Project) -> dict[str, Any]:
        basis = _basis(system, "质量监督任务完成告知书", notice_no)
        before = project.pm_attendance_stop_on
        project = project_attendance_stop(
            actor=None, project=project, group="pm", stop_on=issued_on, basis=basis
        )
        project = project_completion_record(
            actor=None, project=project, completed_on=completion_date, basis=basis
        )
        # Both are set now: by these calls, or (the stop) already before.
        assert project.pm_attendance_stop_on is not None and project.completed_on is not None
        return {
            "notice_no": notice_no,
            "pm_attendance_stop_on": project.pm_attendance_stop_on.isoformat(),
            "stop_applied": before is None,
            "completed_on": project.completed_on.isoformat(),
        }

    return _message_handle(
        system=system, kind=MessageKind.QUALITY_NOTICE, payload=payload, apply=apply
    )


def safety_report_receive(
    *,
    system: InboundSystem,
    message_id: str,
    project_code: str,
    report_no: str,
    issued_on: dt.date,
) -> dict[str, Any]:
    """安全生产标准化评定报告 (WF5): attendance of every other key post and the labor force ends on its date."""
    _not_future(issued_on=issued_on)
    payload = {
        "message_id": message_id,
        "project_code": project_code,
        "report_no": report_no,
        "issued_on": issued_on.isoformat(),
    }

    def apply(project: Project) -> dict[str, Any]:
        before = project.staff_attendance_stop_on
        project = project_attendance_stop(
            actor=None,
            project=project,
            group="staff",
            stop_on=issued_on,
            basis=_basis(system, "安全生产标准化评定报告", report_no),
        )
        assert project.staff_attendance_stop_on is not None  # set now, by this call or before
        return {
            "report_no": report_no,
            "staff_attendance_stop_on": project.staff_attendance_stop_on.isoformat(),
            "stop_applied": before is None,
        }

    return _message_handle(
        system=system, kind=MessageKind.SAFETY_REPORT, payload=payload, apply=apply
    )


@dataclass(frozen=True)
class KeyPostNamed:
    """One key post as the permit names it: the post, the enterprise holding it, and the person."""

    post: str
    corp_code: str
    id_number: str
    name: str
    approved_on: dt.date
    permit_ref: str

    def as_json(self) -> dict[str, str]:
        return {
            "post": self.post,
            "corp_code": self.corp_code,
            "id_number": self.id_number,
            "name": self.name,
            "approved_on": self.approved_on.isoformat(),
            "permit_ref": self.permit_ref,
        }


class _ItemRejected(Exception):
    def __init__(self, code: str, reason: str = ""):
        super().__init__(code)
        self.code = code
        self.reason = reason or ITEM_CODES[code]


def permit_receive(
    *,
    system: InboundSystem,
    message_id: str,
    project_code: str,
    permit_no: str,
    permit_issued_on: dt.date,
    planned_start: dt.date | None = None,
    key_posts: list[KeyPostNamed] | None = None,
) -> dict[str, Any]:
    """施工许可 issue or change (R2, WF4): the permit's number and date, the planned start (WF1 effect), and
    the key-post holders it names; a new holder takes the post once his face is enrolled at the window."""
    key_posts = key_posts or []
    _not_future(permit_issued_on=permit_issued_on)
    payload = {
        "message_id": message_id,
        "project_code": project_code,
        "permit_no": permit_no,
        "permit_issued_on": permit_issued_on.isoformat(),
        "planned_start": planned_start.isoformat() if planned_start else None,
        "key_posts": [k.as_json() for k in key_posts],
    }

    def apply(project: Project) -> dict[str, Any]:
        if Project.objects.filter(permit_no=permit_no).exclude(pk=project.pk).exists():
            raise inbound_error(
                ApprovalsErrorCode.INBOUND_PERMIT_NO_TAKEN, {"permit_no": permit_no}
            )
        project = _permit_record(
            system=system, project=project, permit_no=permit_no, issued_on=permit_issued_on
        )
        start_changed = planned_start is not None and planned_start != project.planned_start
        if start_changed and planned_start is not None:
            project = project_start_change(
                actor=None,
                project=project,
                new_start=planned_start,
                basis=_basis(system, "施工许可", permit_no),
            )
        answers = []
        seen: set[tuple[str, str]] = set()
        for item in key_posts:
            answers.append(_key_post_apply(system=system, project=project, item=item, seen=seen))
        assert project.permit_issued_on is not None  # _permit_record has just set it
        return {
            "permit_no": project.permit_no,
            "permit_issued_on": project.permit_issued_on.isoformat(),
            "planned_start": project.planned_start.isoformat() if project.planned_start else None,
            "planned_start_changed": start_changed,
            "key_posts": answers,
        }

    return _message_handle(system=system, kind=MessageKind.PERMIT, payload=payload, apply=apply)


def _permit_record(
    *, system: InboundSystem, project: Project, permit_no: str, issued_on: dt.date
) -> Project:
    """施工许可证号 and 发证日期 as the permit system states them (R2)."""
    with transaction.atomic():
        project = Project.objects.select_for_update().get(pk=project.pk)
        before = {
            "permit_no": project.permit_no,
            "permit_issued_on": project.permit_issued_on.isoformat()
            if project.permit_issued_on
            else None,
        }
        if project.permit_no == permit_no and project.permit_issued_on == issued_on:
            return project
        project.permit_no = permit_no
        project.permit_issued_on = issued_on
        project.save(update_fields=["permit_no", "permit_issued_on", "updated_at"])
        event_record(
            actor=None,
            kind=ApprovalsEventKind.PROJECT_PERMIT_RECORDED,
            subject=project,
            data={
                "system": system.code,
                "from": before,
                "to": {"permit_no": permit_no, "permit_issued_on": issued_on.isoformat()},
            },
        )
    return project


def _key_post_apply(
    *, system: InboundSystem, project: Project, item: KeyPostNamed, seen: set[tuple[str, str]]
) -> dict[str, Any]:
    """One named key post: effective / awaiting_face / unchanged, or rejected with a code (the other items
    and the rest of the permit still apply: each item runs in its own savepoint)."""
    answer: dict[str, Any] = {"post": item.post, "corp_code": item.corp_code}
    try:
        with transaction.atomic():
            answer["status"] = _key_post_change(
                system=system, project=project, item=item, seen=seen
            )
    except _ItemRejected as exc:
        answer |= {"status": "rejected", "code": exc.code, "reason": exc.reason}
    except DomainError as exc:
        answer |= {"status": "rejected", "code": exc.code, "reason": exc.message}
    return answer


def _key_post_change(
    *, system: InboundSystem, project: Project, item: KeyPostNamed, seen: set[tuple[str, str]]
) -> str:
    if not code_valid("key_post", item.post):
        raise _ItemRejected(ApprovalsErrorCode.KEY_POST_UNKNOWN_POST)
    key = (item.post, item.corp_code.strip().upper())
    if key in seen:
        raise _ItemRejected(ApprovalsErrorCode.KEY_POST_DUPLICATE_ITEM)
    seen.add(key)
    enterprise = Enterprise.objects.filter(corp_code=key[1]).first()
    if enterprise is None:
        raise _ItemRejected(ApprovalsErrorCode.KEY_POST_UNKNOWN_ENTERPRISE)
    if not Participant.objects.filter(project=project, enterprise=enterprise).exists():
        raise _ItemRejected(ApprovalsErrorCode.KEY_POST_NOT_PARTICIPANT)
    worker = _person_named(id_number=item.id_number, name=item.name)
    key_post = KeyPost.objects.filter(
        project=project, enterprise=enterprise, post=item.post
    ).first()
    if key_post is None:
        key_post = KeyPost.objects.create(project=project, enterprise=enterprise, post=item.post)
        event_record(
            actor=None,
            kind=ApprovalsEventKind.KEY_POST_CREATED,
            subject=key_post,
            data={"post": item.post, "system": system.code, "basis": "施工许可"},
        )
    if key_post.holder_id == worker.pk:
        return "unchanged"
    if KeyPostChange.objects.filter(
        key_post=key_post, new_worker=worker, status=KeyPostChange.Status.AWAITING_FACE
    ).exists():
        return KeyPostChange.Status.AWAITING_FACE
    change = key_post_change_record(
        actor=None,
        key_post=key_post,
        new_worker=worker,
        permit_ref=item.permit_ref,
        permit_approved_on=item.approved_on,
        source="permit_system",
    )
    return str(change.status)


def _person_named(*, id_number: str, name: str) -> Worker:
    """The person the permit names, found by ID number (the identity) or registered from the permit's data.
    A known number under another name is refused: more likely a mistyped number than a renamed person."""
    id_number = normalize_id_number(id_number)
    if err := id_number_error(id_number):
        raise _ItemRejected(ApprovalsErrorCode.KEY_POST_BAD_PERSON, err)
    worker = worker_find_by_id_number(id_card_type=Worker.ID_CARD, id_number=id_number)
    if worker is not None and worker.name != name.strip():
        raise _ItemRejected(ApprovalsErrorCode.KEY_POST_NAME_MISMATCH)
    try:
        return worker or key_post_person(actor=None, id_number=id_number, name=name)
    except DomainError as exc:
        reasons = "；".join(str(v) for v in exc.detail.get("fields", {}).values())
        raise _ItemRejected(
            ApprovalsErrorCode.KEY_POST_BAD_PERSON, reasons or exc.message
        ) from None
