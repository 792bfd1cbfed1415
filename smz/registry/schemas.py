"""Ninja schemas for the registry API. Personal numbers leave the server masked unless revealed (audited)."""

import datetime as dt
from decimal import Decimal

from ninja import Field, Schema

from smz.core.pii import mask_bank_card, mask_id_number, mask_phone
from smz.core.strict import Day, Flag, Id, text


class ProjectOut(Schema):
    id: int
    code: str
    name: str
    permit_no: str
    kind: str
    floor_area_m2: Decimal
    cost_fen: int
    jurisdiction_code: str = Field(..., alias="jurisdiction.code")
    jurisdiction_name: str = Field(..., alias="jurisdiction.short_name")
    builder_corp_code: str = Field(..., alias="builder.corp_code")
    builder_name: str = Field(..., alias="builder.name")
    permit_issued_on: dt.date | None
    planned_start: dt.date | None
    actual_start: dt.date | None
    completed_on: dt.date | None
    status: str
    in_scope: bool
    opt_in: bool


class ParticipantOut(Schema):
    corp_code: str = Field(..., alias="enterprise.corp_code")
    corp_name: str = Field(..., alias="enterprise.name")
    corp_type: str
    entry_on: dt.date | None
    exit_on: dt.date | None
    pm_name: str


class KeyPostOut(Schema):
    id: int
    project_id: int
    post: str
    corp_code: str = Field(..., alias="enterprise.corp_code")
    holder_id: int | None
    holder_name: str | None
    holder_since: dt.date | None

    @staticmethod
    def resolve_holder_name(obj) -> str | None:
        return obj.holder.name if obj.holder_id else None


class TeamIn(Schema):
    project_id: Id
    corp_code: text(max_length=18, min_length=1) = Field(
        ..., description="班组所属企业的统一社会信用代码"
    )
    name: text(max_length=60, min_length=1)
    responsible_name: text(max_length=40) = ""
    responsible_phone: text(max_length=20) = ""
    entry_on: Day | None = None
    remark: text(max_length=200, multiline=True) = ""


class TeamPatch(Schema):
    """Only the fields sent change; `null` clears a date and is refused for text (the columns hold text)."""

    name: text(max_length=60, min_length=1) = None
    responsible_name: text(max_length=40) = None
    responsible_phone: text(max_length=20) = None
    entry_on: Day | None = None
    exit_on: Day | None = None
    remark: text(max_length=200, multiline=True) = None


class TeamOut(Schema):
    id: int
    project_id: int
    corp_code: str = Field(..., alias="enterprise.corp_code")
    corp_name: str = Field(..., alias="enterprise.name")
    name: str
    leader_name: str | None
    responsible_name: str
    responsible_phone_masked: str
    entry_on: dt.date | None
    exit_on: dt.date | None
    remark: str

    @staticmethod
    def resolve_leader_name(obj) -> str | None:
        return obj.leader.name if obj.leader_id else None

    @staticmethod
    def resolve_responsible_phone_masked(obj) -> str:
        return mask_phone(obj.responsible_phone)


class WorkerIn(Schema):
    """Identity as read from the 2nd-generation ID card (or typed), plus contact and wage card."""

    id_card_type: text(max_length=2) = "01"
    id_number: text(max_length=30, min_length=1)
    name: text(max_length=40, min_length=1)
    gender: text(max_length=1) = ""
    nation: text(max_length=2) = ""
    birth_date: Day | None = None
    address: text(max_length=200) = ""
    grant_org: text(max_length=80) = ""
    id_valid_from: Day | None = None
    id_valid_to: Day | None = None
    phone: text(max_length=20) = ""
    culture_level: text(max_length=2) = ""
    politics_type: text(max_length=2) = ""
    bank_card: text(max_length=30) = ""
    bank_code: text(max_length=3) = ""
    bank_name: text(max_length=60) = ""


class ChangeEvidence(Schema):
    """Why a stored phone or wage card is replaced, and the evidence kept for it (issue 10 item 1)."""

    change_reason: text(max_length=200) = Field(
        "",
        description="变更原因：替换已登记的手机号码或工资卡时必填（如“本人申请更换工资卡”）",
    )
    evidence_ref: text(max_length=100) = Field(
        "",
        description="证明材料：替换已登记的手机号码或工资卡时必填（如本人签字的变更申请表编号及存档位置）",
    )


class WorkerPostIn(WorkerIn, ChangeEvidence):
    """POST /workers: a person's data, with the reason and evidence for replacing a phone or wage card."""


class WorkerSearchIn(Schema):
    """An exact search by ID number, POSTed so the number never appears in a URL or an access log (N2)."""

    id_card_type: text(max_length=2, min_length=1) = "01"
    id_number: text(max_length=30, min_length=1)


class WorkerPatch(ChangeEvidence):
    address: text(max_length=200) | None = None
    phone: text(max_length=20) | None = None
    culture_level: text(max_length=2) | None = None
    politics_type: text(max_length=2) | None = None
    bank_card: text(max_length=30) | None = None
    bank_code: text(max_length=3) | None = None
    bank_name: text(max_length=60) | None = None


class WorkerOut(Schema):
    id: int
    name: str
    gender: str
    nation: str
    birth_date: dt.date | None
    id_card_type: str
    id_number_masked: str
    phone_masked: str
    bank_card_masked: str
    bank_name: str
    id_valid_to: dt.date | None
    has_face_photo: bool

    @staticmethod
    def resolve_id_number_masked(obj) -> str:
        return mask_id_number(obj.id_number)

    @staticmethod
    def resolve_phone_masked(obj) -> str:
        return mask_phone(obj.phone)

    @staticmethod
    def resolve_bank_card_masked(obj) -> str:
        return mask_bank_card(obj.bank_card)

    @staticmethod
    def resolve_has_face_photo(obj) -> bool:
        return bool(obj.face_photo)


class RevealOut(Schema):
    field: str
    value: str


class EmploymentIn(Schema):
    project_id: Id
    corp_code: text(max_length=18, min_length=1) = Field(
        ..., description="用工单位统一社会信用代码"
    )
    team_id: Id | None = None
    worker_id: Id | None = Field(None, description="已登记人员的ID；与 worker 二选一")
    worker: WorkerIn | None = Field(None, description="人员身份信息；已存在的人员按证件号码匹配")
    work_type: text(max_length=3, min_length=1) = Field(..., description="工种代码，如 020 钢筋工")
    work_role: text(max_length=2) = Field("20", description="10 管理人员 / 20 建筑工人")
    entry_on: Day
    is_team_leader: Flag = False


class EmploymentPatch(Schema):
    """Only the fields sent change; `team_id: null` removes the person from his team."""

    team_id: Id | None = None
    work_type: text(max_length=3, min_length=1) = None
    work_role: text(max_length=2, min_length=1) = None
    is_team_leader: Flag = None


class ExitIn(Schema):
    exit_on: Day = Field(..., description="退场日期，不能早于进场日期，也不能晚于今天")


class EmploymentOut(Schema):
    id: int
    project_id: int
    project_code: str = Field(..., alias="project.code")
    worker: WorkerOut
    corp_code: str = Field(..., alias="employer.corp_code")
    corp_name: str = Field(..., alias="employer.name")
    team_id: int | None
    team_name: str | None
    work_type: str
    work_role: str
    is_team_leader: bool
    entry_on: dt.date
    exit_on: dt.date | None
    status: str

    @staticmethod
    def resolve_team_name(obj) -> str | None:
        return obj.team.name if obj.team_id else None


class JurisdictionOut(Schema):
    code: str
    name: str
    short_name: str
    kind: str
    is_urban: bool


class EnterpriseOut(Schema):
    id: int
    corp_code: str
    name: str
    reg_type: str
    area_code: str


class CodeOut(Schema):
    code: str
    name: str
