"""Registry writes. Each service is atomic, checks business rules, and appends to the event log."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from smz.accounts.tasks import sms_deliver, sms_seal
from smz.core.errors import DomainError, Forbidden, field_errors
from smz.core.events import event_record, pii_access_record
from smz.core.models import Event
from smz.core.strict import text_error
from smz.core.validators import (
    id_number_birth_date,
    id_number_error,
    id_number_sex,
    normalize_id_number,
    phone_error,
    uscc_error,
)
from smz.registry.codes import code_valid
from smz.registry.errors import RegistryErrorCode
from smz.registry.events import RegistryEventKind
from smz.registry.identity import CONTACT_CHANGED, id_number_index
from smz.registry.models import (
    Employment,
    Enterprise,
    KeyPost,
    KeyPostHolding,
    Participant,
    Project,
    Team,
    Worker,
)
from smz.registry.scoping import can_maintain_roster


@dataclass
class WorkerData:
    """Validated identity data of a person (as read from the ID card or typed)."""

    id_card_type: str
    id_number: str
    name: str
    gender: str = ""
    nation: str = ""
    birth_date: dt.date | None = None
    address: str = ""
    grant_org: str = ""
    id_valid_from: dt.date | None = None
    id_valid_to: dt.date | None = None
    phone: str = ""
    culture_level: str = ""
    politics_type: str = ""
    bank_card: str = ""
    bank_code: str = ""
    bank_name: str = ""


def worker_data_errors(data: WorkerData) -> dict[str, str]:
    """Field → reason (zh-CN) for identity data; fills derivable fields (sex, birth date) in place."""
    errors: dict[str, str] = {}
    data.id_number = normalize_id_number(data.id_number)
    data.name = data.name.strip()
    if not code_valid("id_card_type", data.id_card_type):
        errors["id_card_type"] = "证件类型代码无效"
    if not data.id_number:
        errors["id_number"] = "证件号码不能为空"
    elif data.id_card_type == Worker.ID_CARD:
        if err := id_number_error(data.id_number):
            errors["id_number"] = err
        else:
            data.birth_date = data.birth_date or id_number_birth_date(data.id_number)
            derived = id_number_sex(data.id_number)
            if data.gender and data.gender != derived:
                errors["gender"] = "性别与身份证号码不一致"
            data.gender = derived
    if not data.name or len(data.name) > 40:
        errors["name"] = "姓名不能为空且不超过40个字"
    if data.gender and data.gender not in {"1", "2"}:
        errors["gender"] = "性别应为男或女"
    if not data.gender and "gender" not in errors:
        errors["gender"] = "性别不能为空"
    for field, table in (
        ("nation", "nation"),
        ("culture_level", "culture_level"),
        ("politics_type", "politics_type"),
        ("bank_code", "bank"),
    ):
        value = getattr(data, field)
        if value and not code_valid(table, value):
            errors[field] = "代码无效"
    if data.phone and not (data.phone.isdigit() and len(data.phone) == 11 and data.phone[0] == "1"):
        errors["phone"] = "手机号码应为以1开头的11位数字"
    card = data.bank_card.replace(" ", "")
    if card and not (card.isdigit() and 12 <= len(card) <= 19):
        errors["bank_card"] = "工资卡号应为12-19位数字"
    data.bank_card = card
    if data.id_valid_from and data.id_valid_to and data.id_valid_to < data.id_valid_from:
        errors["id_valid_to"] = "证件有效期止不能早于起始日期"
    # Pages and roster files reach here without the API's strict schema: control characters poison exports.
    for field, value in vars(data).items():
        if isinstance(value, str) and (err := text_error(value)):
            errors[field] = err
    return errors


WORKER_FIELDS = (
    "name",
    "gender",
    "nation",
    "birth_date",
    "address",
    "grant_org",
    "id_valid_from",
    "id_valid_to",
    "phone",
    "culture_level",
    "politics_type",
    "bank_card",
    "bank_code",
    "bank_name",
)


def worker_for_document(
    id_card_type: str, id_number: str, *, lock: bool = True
) -> tuple[Worker, bool]:
    """The person holding this document (locked for the caller's transaction unless `lock` is off), or a new
    unsaved Worker carrying it; the flag says it is new. The ID card is the identity: every registration
    path (the roster, ID-card readers, permits) finds its person here."""
    index = id_number_index(id_card_type, id_number)
    people = Worker.objects.select_for_update() if lock else Worker.objects
    worker = people.filter(id_card_type=id_card_type, id_number_index=index).first()
    if worker is not None:
        return worker, False
    return Worker(id_card_type=id_card_type, id_number=id_number, id_number_index=index), True


# 手机号码和工资卡: whoever changes them can divert wages or log in as the person (issue 10 item 1), so they
# change only through worker_contact_change, and every change is an event the worker sees (我的资料变更记录).
CONTACT_FIELDS = ("phone", "bank_card", "bank_code", "bank_name")
CONTACT_LABELS = {
    "phone": "手机号码",
    "bank_card": "工资卡号",
    "bank_code": "工资卡银行",
    "bank_name": "工资卡开户行",
}
MATCH_PURPOSE = "登记时按证件号码匹配已登记人员"
CHANGE_NOTICE = "【中山实名制平台】您登记的{what}已由{who}变更。如非本人申请，请立即向项目劳资专管员或住建部门反映。"
_PERSONAL_NUMBER = re.compile(r"\d{11,}")


def _exists_elsewhere() -> DomainError:
    # One answer for every person the caller is not responsible for, without a word about him (item 2).
    return DomainError(
        RegistryErrorCode.WORKER_EXISTS_OTHER_EMPLOYER,
        "该证件号码的人员已在平台登记，且不是贵单位的在场人员，不能查看或修改其信息。"
        "需要用工的，请通过项目人员登记（进场）办理。",
        status=409,
    )


def _identity_apply(*, actor: Any, worker: Worker, data: WorkerData) -> None:
    """Refresh identity fields (never blanking one); contact fields go through worker_contact_change."""
    changed = [
        field
        for field in WORKER_FIELDS
        if field not in CONTACT_FIELDS
        and getattr(data, field) not in ("", None)
        and getattr(worker, field) != getattr(data, field)
    ]
    if not changed:
        return
    for field in changed:
        setattr(worker, field, getattr(data, field))
    worker.save()
    event_record(
        actor=actor,
        kind=RegistryEventKind.WORKER_UPDATED,
        subject=worker,
        data={"fields": sorted(changed)},
    )


def _worker_create(*, actor: Any, worker: Worker, data: WorkerData) -> Worker:
    for field in WORKER_FIELDS:
        setattr(worker, field, getattr(data, field))
    worker.save()
    event_record(
        actor=actor,
        kind=RegistryEventKind.WORKER_REGISTERED,
        subject=worker,
        data={"fields": sorted(WORKER_FIELDS)},
    )
    return worker


def worker_upsert(
    *, actor: Any, data: WorkerData, change_reason: str = "", evidence_ref: str = ""
) -> tuple[Worker, bool]:
    """Register a person, or update one the caller is responsible for (the ID card is the identity).

    Anyone else's person is the one 409 that says nothing about him; a phone or wage card replacing a
    stored one needs `change_reason` and `evidence_ref` (worker_contact_change)."""
    if not worker_may_register(actor):
        raise Forbidden("无权登记人员")
    if errors := worker_data_errors(data):
        raise field_errors(errors)
    with transaction.atomic():
        worker, created = worker_for_document(data.id_card_type, data.id_number)
        if created:
            return _worker_create(actor=actor, worker=worker, data=data), True
        if not worker_may_edit(actor, worker):
            raise _exists_elsewhere()
        pii_access_record(actor=actor, subject=worker, field="identity", purpose=MATCH_PURPOSE)
        _identity_apply(actor=actor, worker=worker, data=data)
        worker_contact_change(
            actor=actor,
            worker=worker,
            changes={f: getattr(data, f) for f in CONTACT_FIELDS if getattr(data, f)},
            reason=change_reason,
            evidence_ref=evidence_ref,
        )
    return worker, False


def worker_for_entry(*, actor: Any, data: WorkerData) -> tuple[Worker, bool]:
    """The person to put on a project (项目人员登记, roster import, typed entry): registered if new, updated if the
    caller is responsible for him; someone else's person is linked unchanged when the name on his card
    matches (a new employer takes on a man who worked elsewhere), and his stored data are never touched."""
    if not worker_may_register(actor):
        raise Forbidden("无权登记人员")
    if errors := worker_data_errors(data):
        raise field_errors(errors)
    with transaction.atomic():
        worker, created = worker_for_document(data.id_card_type, data.id_number)
        if created:
            return _worker_create(actor=actor, worker=worker, data=data), True
        if worker_may_edit(actor, worker):
            pii_access_record(actor=actor, subject=worker, field="identity", purpose=MATCH_PURPOSE)
            _identity_apply(actor=actor, worker=worker, data=data)
            worker_contact_change(
                actor=actor,
                worker=worker,
                changes={f: getattr(data, f) for f in CONTACT_FIELDS if getattr(data, f)},
            )
            return worker, False
        if worker.name != data.name:
            # The number alone is not enough to take a person on: the name read from the same card must match.
            raise DomainError(
                RegistryErrorCode.WORKER_NAME_MISMATCH,
                "证件号码与姓名不一致，请按身份证原件核对后重新登记",
                {"fields": {"name": "与该证件号码登记的姓名不一致"}},
                status=422,
            )
        pii_access_record(actor=actor, subject=worker, field="identity", purpose=MATCH_PURPOSE)
    return worker, False


def contact_errors(changes: dict[str, str]) -> dict[str, str]:
    """Field → reason (zh-CN) for new contact values; unknown fields are refused."""
    errors: dict[str, str] = {}
    for field, value in changes.items():
        if field not in CONTACT_FIELDS:
            errors[field] = "不可修改"
        elif field == "phone" and (err := phone_error(value)):
            errors[field] = err
        elif field == "bank_card" and not (value.isdigit() and 12 <= len(value) <= 19):
            errors[field] = "工资卡号应为12-19位数字"
        elif field == "bank_code" and not code_valid("bank", value):
            errors[field] = "代码无效"
        elif field == "bank_name" and not (0 < len(value) <= 60):
            errors[field] = "开户行不能为空且不超过60个字"
    return errors


def worker_is_self(actor: Any, worker: Worker) -> bool:
    """The worker's own account."""
    return (
        getattr(actor, "is_authenticated", False)
        and getattr(actor, "role", "") == "worker"
        and actor.worker_id == worker.pk
    )


def worker_contact_change(
    *,
    actor: Any,
    worker: Worker,
    changes: dict[str, str],
    reason: str = "",
    evidence_ref: str = "",
    code_confirmed: bool = False,
) -> list[str]:
    """手机号码/工资卡变更 (issue 10 item 1): by roster staff of the person's current employer (or the city) with a
    reason and evidence when a stored value is replaced, or by the worker himself after a code texted to his
    old phone (`code_confirmed`, see smz.registry.worker_codes). Writes one event the worker sees on 我的资料; an
    employer's change is also texted to the old phone. Returns the changed fields."""
    changes = {
        f: v.replace(" ", "") if f in ("phone", "bank_card") else v.strip()
        for f, v in changes.items()
    }
    self_service = worker_is_self(actor, worker)
    if self_service and not code_confirmed:
        raise Forbidden("请先用原手机号码接收的验证码确认")
    if not self_service and not worker_may_edit(actor, worker):
        raise Forbidden("无权修改该人员的手机号码或工资卡")
    if errors := contact_errors(changes):
        raise field_errors(errors)
    with transaction.atomic():
        # Locked, then read afresh: two changes at once must not both pass as "first set".
        list(Worker.objects.select_for_update().filter(pk=worker.pk).values_list("pk"))
        worker.refresh_from_db(fields=list(CONTACT_FIELDS))
        changed = sorted(f for f, v in changes.items() if getattr(worker, f) != v)
        if not changed:
            return []
        reason, evidence_ref = reason.strip(), evidence_ref.strip()
        replacing = [f for f in changed if getattr(worker, f)]
        if replacing and not self_service:
            missing = {}
            if not reason:
                missing["change_reason"] = "修改已登记的手机号码或工资卡须填写变更原因"
            if not evidence_ref:
                missing["evidence_ref"] = "须填写证明材料（如本人签字的变更申请表编号及存档位置）"
            if missing:
                replaced = {
                    f: f"与已登记的{CONTACT_LABELS[f]}不一致，替换须提供变更原因和证明材料"
                    for f in replacing
                }
                raise DomainError(
                    RegistryErrorCode.CHANGE_EVIDENCE_REQUIRED,
                    "修改已登记的手机号码或工资卡须提供变更原因和证明材料",
                    {"fields": replaced | missing},
                    status=422,
                )
        if len(reason) > 200 or len(evidence_ref) > 100:
            raise field_errors({"change_reason": "变更原因不超过200字，证明材料不超过100字"})
        if _PERSONAL_NUMBER.search(reason + evidence_ref):
            raise field_errors(
                {"change_reason": "请勿在变更原因或证明材料中填写手机号、卡号等个人号码"}
            )
        old_phone = worker.phone
        for field in changed:
            setattr(worker, field, changes[field])
        worker.save()
        employer = getattr(actor, "enterprise", None) if not self_service else None
        event_record(
            actor=actor,
            kind=CONTACT_CHANGED,
            subject=worker,
            data={
                "fields": changed,
                "via": "self" if self_service else "staff",
                "enterprise": employer.pk if employer else None,
                "reason": reason
                or ("本人申请，原手机号码验证码确认" if self_service else "首次登记"),
                "evidence_ref": evidence_ref,
            },
        )
        if old_phone and replacing and not self_service:
            what = "、".join(
                dict.fromkeys("手机号码" if f == "phone" else "工资卡" for f in replacing)
            )
            who = employer.name if employer else "平台管理员"
            sealed = sms_seal(old_phone, CHANGE_NOTICE.format(what=what, who=who))
            transaction.on_commit(lambda: sms_deliver.enqueue(sealed))
    return changed


def worker_may_register(actor: Any) -> bool:
    """Roster staff (R3, P3): an enterprise's administrator or labor specialist, the city administrator."""
    if not getattr(actor, "is_authenticated", False):
        return False
    if actor.is_superuser or actor.role == "city_admin":
        return True
    return (
        actor.role in {"enterprise_admin", "labor_specialist"} and actor.enterprise_id is not None
    )


def worker_may_edit(actor: Any, worker: Worker) -> bool:
    """Roster staff responsible for one of the person's current employments (or the city administrator); for
    a person employed nowhere yet, only the enterprise that registered him. Nobody else, ever: knowing an ID
    number gives no right over the person's data (issue 10 item 1)."""
    if not getattr(actor, "is_authenticated", False):
        return False
    if actor.is_superuser or getattr(actor, "role", "") == "city_admin":
        return True
    if getattr(actor, "role", "") not in {"enterprise_admin", "labor_specialist"}:
        return False
    for employment in worker.employments.filter(status=Employment.Status.ACTIVE).select_related(
        "project"
    ):
        if can_maintain_roster(actor, employment.project, employment.employer_id):
            return True
    if worker.employments.exists() or actor.enterprise_id is None:
        return False
    return Event.objects.filter(
        kind=RegistryEventKind.WORKER_REGISTERED,
        subject_type=Worker._meta.label_lower,
        subject_id=worker.pk,
        actor__enterprise_id=actor.enterprise_id,
    ).exists()


def _participant_of(project: Project, enterprise_id: int) -> Participant | None:
    return Participant.objects.filter(project=project, enterprise=enterprise_id).first()


def team_create(
    *,
    actor: Any,
    project: Project,
    enterprise: Enterprise,
    name: str,
    responsible_name: str = "",
    responsible_phone: str = "",
    entry_on: dt.date | None = None,
    remark: str = "",
) -> Team:
    """班组登记 (Team.Add): a team of an enterprise that participates in the project."""
    if not can_maintain_roster(actor, project, enterprise.pk):
        raise Forbidden("无权为该企业登记班组")
    errors = _team_text_errors(name=name, responsible_name=responsible_name, remark=remark)
    if not name.strip():
        errors["name"] = "班组名称不能为空"
    if _participant_of(project, enterprise.pk) is None:
        errors["enterprise"] = "该企业不是本项目的参建单位"
    if responsible_phone and not (responsible_phone.isdigit() and len(responsible_phone) == 11):
        errors["responsible_phone"] = "手机号码应为11位数字"
    if errors:
        raise field_errors(errors)
    try:
        with transaction.atomic():
            team = Team.objects.create(
                project=project,
                enterprise=enterprise,
                name=name.strip(),
                responsible_name=responsible_name,
                responsible_phone=responsible_phone,
                entry_on=entry_on,
                remark=remark,
            )
            event_record(
                actor=actor,
                kind=RegistryEventKind.TEAM_CREATED,
                subject=team,
                data={"project": project.pk},
            )
    except IntegrityError as exc:
        raise _team_exists() from exc
    return team


def team_update(*, actor: Any, team: Team, **changes: Any) -> Team:
    if not can_maintain_roster(actor, team.project, team.enterprise_id):
        raise Forbidden("无权修改该班组")
    allowed = {
        "name",
        "responsible_name",
        "responsible_phone",
        "entry_on",
        "exit_on",
        "remark",
        "leader",
    }
    unknown = set(changes) - allowed
    if unknown:
        raise field_errors({f: "不可修改" for f in unknown})
    if "name" in changes and not str(changes["name"]).strip():
        raise field_errors({"name": "班组名称不能为空"})
    if errors := _team_text_errors(**{k: v for k, v in changes.items() if k != "leader"}):
        raise field_errors(errors)
    try:
        with transaction.atomic():
            for field, value in changes.items():
                setattr(team, field, value)
            team.save()
            event_record(
                actor=actor,
                kind=RegistryEventKind.TEAM_UPDATED,
                subject=team,
                data={"fields": sorted(changes)},
            )
    except IntegrityError as exc:
        raise _team_exists() from exc
    return team


def _team_text_errors(**values: Any) -> dict[str, str]:
    """Control characters in a team's text are refused: they would break every export naming the team."""
    return {
        field: err
        for field, value in values.items()
        if isinstance(value, str) and (err := text_error(value, multiline=field == "remark"))
    }


def _team_exists() -> DomainError:
    return DomainError(
        RegistryErrorCode.TEAM_EXISTS,
        "该企业在本项目已有同名班组",
        {"fields": {"name": "班组名称重复"}},
        status=409,
    )


def employment_errors(
    *,
    project: Project,
    employer: Enterprise | None,
    team: Team | None,
    work_type: str,
    work_role: str,
    entry_on: dt.date | None,
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if employer is None:
        errors["employer"] = "用工单位不能为空"
    elif _participant_of(project, employer.pk) is None:
        errors["employer"] = "用工单位不是本项目的参建单位"
    if team is not None:
        if team.project_id != project.pk:
            errors["team"] = "班组不属于本项目"
        elif employer is not None and team.enterprise_id != employer.pk:
            errors["team"] = "班组不属于该用工单位"
    elif work_role == Employment.Role.WORKER:
        errors["team"] = "建筑工人必须属于一个班组"
    if not code_valid("work_type", work_type):
        errors["work_type"] = "工种代码无效"
    if work_role not in Employment.Role.values:
        errors["work_role"] = "人员类型应为10(管理人员)或20(建筑工人)"
    if entry_on is None:
        errors["entry_on"] = "进场日期不能为空"
    return errors


def employment_register(
    *,
    actor: Any,
    project: Project,
    worker: Worker,
    employer: Enterprise,
    team: Team | None,
    work_type: str,
    work_role: str = Employment.Role.WORKER,
    entry_on: dt.date,
    is_team_leader: bool = False,
) -> Employment:
    """项目人员登记 (ProjectWorker.Add): put a registered person on a project. Labor (建筑工人) waits for the
    entry checks (进场核验, smz.labor.services.entry) before the gates learn of him; managers are admitted at once
    (key-post managers' faces come from the bureau's window)."""
    if not can_maintain_roster(actor, project, employer.pk if employer else None):
        raise Forbidden("无权为该企业登记项目人员")
    if errors := employment_errors(
        project=project,
        employer=employer,
        team=team,
        work_type=work_type,
        work_role=work_role,
        entry_on=entry_on,
    ):
        raise field_errors(errors)
    try:
        with transaction.atomic():
            employment = Employment.objects.create(
                project=project,
                worker=worker,
                employer=employer,
                team=team,
                work_type=work_type,
                work_role=work_role,
                entry_on=entry_on,
                is_team_leader=is_team_leader,
                gate_status="pending" if work_role == Employment.Role.WORKER else "admitted",
            )
            if is_team_leader and team is not None:
                team.leader = worker
                team.save(update_fields=["leader", "updated_at"])
            event_record(
                actor=actor,
                kind=RegistryEventKind.EMPLOYMENT_REGISTERED,
                subject=employment,
                data={"project": project.pk, "worker": worker.pk, "employer": employer.pk},
            )
    except IntegrityError as exc:
        raise DomainError(
            RegistryErrorCode.ALREADY_ON_PROJECT,
            "该人员已在本项目在场，不能重复登记",
            {"fields": {"id_number": "该人员已在本项目在场"}},
            status=409,
        ) from exc
    return employment


def employment_update(*, actor: Any, employment: Employment, **changes: Any) -> Employment:
    if not can_maintain_roster(actor, employment.project, employment.employer_id):
        raise Forbidden("无权修改该项目人员")
    allowed = {"team", "work_type", "work_role", "is_team_leader"}
    if unknown := set(changes) - allowed:
        raise field_errors({f: "不可修改" for f in unknown})
    merged = {
        "team": changes.get("team", employment.team),
        "work_type": changes.get("work_type", employment.work_type),
        "work_role": changes.get("work_role", employment.work_role),
    }
    if errors := employment_errors(
        project=employment.project,
        employer=employment.employer,
        entry_on=employment.entry_on,
        **merged,
    ):
        raise field_errors(errors)
    with transaction.atomic():
        for field, value in changes.items():
            setattr(employment, field, value)
        employment.save()
        event_record(
            actor=actor,
            kind=RegistryEventKind.EMPLOYMENT_UPDATED,
            subject=employment,
            data={"fields": sorted(changes)},
        )
    return employment


def employment_exit(*, actor: Any, employment: Employment, exit_on: dt.date) -> Employment:
    """退场登记 (WorkerEntryExit type 0). The full settlement workflow lives in the labor app."""
    if not can_maintain_roster(actor, employment.project, employment.employer_id):
        raise Forbidden("无权为该人员办理退场")
    if employment.status == Employment.Status.EXITED:
        raise DomainError(RegistryErrorCode.ALREADY_EXITED, "该人员已退场")
    if exit_on < employment.entry_on:
        raise field_errors({"exit_on": "退场日期不能早于进场日期"})
    if exit_on > timezone.localdate():
        # As the labor app's exit settlement: an exit is registered when it happened, not years ahead.
        raise field_errors({"exit_on": "退场日期不能晚于今天"})
    with transaction.atomic():
        employment.exit_on = exit_on
        employment.status = Employment.Status.EXITED
        employment.save(update_fields=["exit_on", "status", "updated_at"])
        event_record(
            actor=actor,
            kind=RegistryEventKind.EMPLOYMENT_EXITED,
            subject=employment,
            data={"exit_on": str(exit_on)},
        )
    return employment


def enterprise_register(*, actor: Any, corp_code: str, name: str, **fields: Any) -> Enterprise:
    corp_code = corp_code.strip().upper()
    errors = {}
    if err := uscc_error(corp_code):
        errors["corp_code"] = err
    if not name.strip():
        errors["name"] = "企业名称不能为空"
    if fields.get("reg_type") and not code_valid("reg_type", fields["reg_type"]):
        errors["reg_type"] = "登记注册类型代码无效"
    if errors:
        raise field_errors(errors)
    with transaction.atomic():
        enterprise, created = Enterprise.objects.update_or_create(
            corp_code=corp_code, defaults={"name": name.strip(), **fields}
        )
        event_record(
            actor=actor,
            kind=RegistryEventKind.ENTERPRISE_REGISTERED
            if created
            else RegistryEventKind.ENTERPRISE_UPDATED,
            subject=enterprise,
        )
    return enterprise


def key_post_assign(
    *, actor: Any, key_post: KeyPost, worker: Worker, start_on: dt.date, basis: str = "施工许可"
) -> KeyPost:
    """Set a key post's holder, closing the previous holding (R4). WF4 adds the approval gate on top."""
    if not code_valid("key_post", key_post.post):
        raise field_errors({"post": "岗位代码无效"})
    with transaction.atomic():
        KeyPost.objects.select_for_update().filter(pk=key_post.pk).first()
        KeyPostHolding.objects.filter(key_post=key_post, end_on__isnull=True).update(
            end_on=start_on
        )
        KeyPostHolding.objects.create(
            key_post=key_post,
            worker=worker,
            start_on=start_on,
            basis=basis,
            recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        previous = key_post.holder_id
        key_post.holder = worker
        key_post.holder_since = start_on
        key_post.save(update_fields=["holder", "holder_since", "updated_at"])
        event_record(
            actor=actor,
            kind=RegistryEventKind.KEY_POST_ASSIGNED,
            subject=key_post,
            data={"worker": worker.pk, "previous": previous, "basis": basis},
        )
    return key_post


# 总承包单位 and 建设单位 carry powers (the GC's staff see and write everyone on the project, the builder reads
# it), so they come from the permit, never from a contractor's own registration.
PARTICIPANT_RESERVED_ROLES = frozenset({Participant.GC, Participant.BUILDER})


def participant_may_maintain(actor: Any, project: Project) -> bool:
    """参建单位 are registered by the project's general contractor (its administrator or labor specialist)
    or the city administrator: the GC answers for the site's real-name data (notice 三(二))."""
    if not getattr(actor, "is_authenticated", False):
        return False
    if actor.is_superuser or actor.role == "city_admin":
        return True
    return actor.role in {"enterprise_admin", "labor_specialist"} and (
        can_maintain_roster(actor, project)
        and Participant.objects.filter(
            project=project, enterprise=actor.enterprise_id, corp_type=Participant.GC
        ).exists()
    )


def _participant_errors(
    *,
    entry_on: dt.date | None,
    exit_on: dt.date | None,
    pm_name: str,
    pm_phone: str,
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if entry_on and exit_on and exit_on < entry_on:
        errors["exit_on"] = "退场日期不能早于进场日期"
    if len(pm_name) > 40:
        errors["pm_name"] = "项目负责人姓名不超过40个字"
    elif err := text_error(pm_name):
        errors["pm_name"] = err
    if pm_phone and (err := phone_error(pm_phone)):
        errors["pm_phone"] = err
    return errors


def participant_register(
    *,
    actor: Any,
    project: Project,
    enterprise: Enterprise,
    corp_type: str,
    entry_on: dt.date | None = None,
    exit_on: dt.date | None = None,
    pm_name: str = "",
    pm_phone: str = "",
) -> tuple[Participant, bool]:
    """参建单位登记 (ProjectSubContractor.Add): an enterprise joins the project in a role (corpType 001–012).
    Registering the same enterprise in the same role again answers the existing row unchanged (flag False)."""
    if not participant_may_maintain(actor, project):
        raise Forbidden("无权登记本项目的参建单位")
    existing = Participant.objects.filter(
        project=project, enterprise=enterprise, corp_type=corp_type
    ).first()
    if existing is not None:
        return existing, False
    errors = _participant_errors(
        entry_on=entry_on, exit_on=exit_on, pm_name=pm_name, pm_phone=pm_phone
    )
    if not code_valid("corp_type", corp_type):
        errors["corp_type"] = "参建类型代码无效"
    if errors:
        raise field_errors(errors)
    if (
        corp_type in PARTICIPANT_RESERVED_ROLES
        and not actor.is_superuser
        and (actor.role != "city_admin")
    ):
        raise DomainError(
            RegistryErrorCode.PARTICIPANT_ROLE_RESERVED,
            "总承包单位、建设单位按施工许可登记，不能由参建单位登记添加",
            {"fields": {"corp_type": "不能登记为总承包单位或建设单位"}},
        )
    try:
        with transaction.atomic():
            participant = Participant.objects.create(
                project=project,
                enterprise=enterprise,
                corp_type=corp_type,
                entry_on=entry_on,
                exit_on=exit_on,
                pm_name=pm_name,
                pm_phone=pm_phone,
            )
            event_record(
                actor=actor,
                kind=RegistryEventKind.PARTICIPANT_ADDED,
                subject=participant,
                data={"project": project.pk, "enterprise": enterprise.pk, "corp_type": corp_type},
            )
    except IntegrityError:
        # The same registration arriving twice at once: the first one stands.
        return Participant.objects.get(
            project=project, enterprise=enterprise, corp_type=corp_type
        ), False
    return participant, True


def participant_update(*, actor: Any, participant: Participant, **changes: Any) -> Participant:
    """参建单位变更 (ProjectSubContractor.Update): entry and exit dates, the project leader's name and phone."""
    if not participant_may_maintain(actor, participant.project):
        raise Forbidden("无权修改本项目的参建单位")
    allowed = {"entry_on", "exit_on", "pm_name", "pm_phone"}
    if unknown := set(changes) - allowed:
        raise field_errors({f: "不可修改" for f in unknown})
    merged = {f: changes.get(f, getattr(participant, f)) for f in allowed}
    if errors := _participant_errors(**merged):
        raise field_errors(errors)
    changed = sorted(f for f, v in changes.items() if getattr(participant, f) != v)
    if not changed:
        return participant
    with transaction.atomic():
        for field in changed:
            setattr(participant, field, changes[field])
        participant.save()
        event_record(
            actor=actor,
            kind=RegistryEventKind.PARTICIPANT_UPDATED,
            subject=participant,
            data={"fields": changed},
        )
    return participant
