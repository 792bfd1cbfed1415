"""Registry writes. Each service is atomic, checks business rules, and appends to the event log."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from smz.core import crypto
from smz.core.errors import DomainError, Forbidden, field_errors
from smz.core.events import event_record
from smz.core.scoping import can_maintain_roster
from smz.core.strict import text_error
from smz.core.validators import (
    id_number_birth_date,
    id_number_error,
    id_number_sex,
    normalize_id_number,
    normalize_phone,
    uscc_error,
)
from smz.registry.codes import code_valid
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

ID_INDEX_PURPOSE = "worker.id_number"
# A purpose of its own: the HMAC input carries it as a prefix, so an ID number and a phone never collide.
PHONE_INDEX_PURPOSE = "worker.phone"


def id_number_index(id_card_type: str, id_number: str) -> str:
    return crypto.blind_index(
        f"{id_card_type}:{normalize_id_number(id_number)}", purpose=ID_INDEX_PURPOSE
    )


def phone_index(phone: str) -> str:
    """Keyed hash of a normalised mobile number (Worker.phone_index); "" for no number."""
    number = normalize_phone(phone)
    # A blank phone gets a blank index, not the hash of "": people without a phone must not match each other.
    return crypto.blind_index(number, purpose=PHONE_INDEX_PURPOSE) if number else ""


def worker_find_by_id_number(*, id_card_type: str, id_number: str) -> Worker | None:
    """Exact lookup by full document number through the blind index (no decryption of the table)."""
    return Worker.objects.filter(
        id_card_type=id_card_type, id_number_index=id_number_index(id_card_type, id_number)
    ).first()


def workers_find_by_phone(*, phone: str) -> QuerySet[Worker]:
    """People registered with this mobile number, through its blind index (family members may share one)."""
    index = phone_index(phone)
    if not index:
        return Worker.objects.none()
    return Worker.objects.filter(phone_index=index).order_by("pk")


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


def worker_upsert(*, actor: Any, data: WorkerData) -> tuple[Worker, bool]:
    """Register a person, or update the one with the same document (the ID card is the identity)."""
    if not worker_may_register(actor):
        raise Forbidden("无权登记人员")
    if errors := worker_data_errors(data):
        raise field_errors(errors)
    with transaction.atomic():
        worker, created = worker_for_document(data.id_card_type, data.id_number)
        if not created and not worker_may_edit(actor, worker):
            # Someone else's person: the caller may employ him (he proved the full ID number) but may not
            # change data another enterprise maintains (a bank card swap would divert wages).
            return worker, False
        changed = []
        for field in WORKER_FIELDS:
            value = getattr(data, field)
            # An update never blanks a field the caller left empty (a later upload may carry less).
            if created or (value not in ("", None) and getattr(worker, field) != value):
                setattr(worker, field, value)
                changed.append(field)
        worker.save()
        if created or changed:
            event_record(
                actor=actor,
                kind="worker.registered" if created else "worker.updated",
                subject=worker,
                data={"fields": sorted(changed)},
            )
    return worker, created


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
    """Only roster staff responsible for one of the person's current employments may change his data."""
    if actor.is_superuser or getattr(actor, "role", "") == "city_admin":
        return True
    for employment in worker.employments.filter(status=Employment.Status.ACTIVE).select_related(
        "project"
    ):
        if can_maintain_roster(actor, employment.project, employment.employer_id):
            return True
    return not worker.employments.exists() and getattr(actor, "role", "") in {
        "enterprise_admin",
        "labor_specialist",
    }


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
                actor=actor, kind="team.created", subject=team, data={"project": project.pk}
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
                actor=actor, kind="team.updated", subject=team, data={"fields": sorted(changes)}
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
        "registry.team_exists",
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
    entry checks (进场核验, smz.labor.entry) before the gates learn of him; managers are admitted at once
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
                kind="employment.registered",
                subject=employment,
                data={"project": project.pk, "worker": worker.pk, "employer": employer.pk},
            )
    except IntegrityError as exc:
        raise DomainError(
            "registry.already_on_project",
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
            kind="employment.updated",
            subject=employment,
            data={"fields": sorted(changes)},
        )
    return employment


def employment_exit(*, actor: Any, employment: Employment, exit_on: dt.date) -> Employment:
    """退场登记 (WorkerEntryExit type 0). The full settlement workflow lives in the labor app."""
    if not can_maintain_roster(actor, employment.project, employment.employer_id):
        raise Forbidden("无权为该人员办理退场")
    if employment.status == Employment.Status.EXITED:
        raise DomainError("registry.already_exited", "该人员已退场")
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
            kind="employment.exited",
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
            kind="enterprise.registered" if created else "enterprise.updated",
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
            kind="key_post.assigned",
            subject=key_post,
            data={"worker": worker.pk, "previous": previous, "basis": basis},
        )
    return key_post
