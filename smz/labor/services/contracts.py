"""Labor contracts (L1): create with checks, attach the signed scan, the contract in force on a day."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from smz.core import money
from smz.core.errors import Forbidden, field_errors
from smz.core.events import event_record
from smz.core.numbering import dated_no, temporary_no
from smz.core.uploads import EXTENSIONS, upload_check
from smz.labor.events import LaborEventKind
from smz.labor.models import (
    LaborContract,
    WageKind,
)
from smz.registry import scoping
from smz.registry.models import Employment

PIECE_UNITS = {"80": "米", "81": "平方米", "82": "立方米"}


def _actor(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


# ---- contracts (L1) --------------------------------------------------------------------------------


@dataclass
class ContractInput:
    period_type: str
    start_on: dt.date | None
    end_on: dt.date | None
    task_description: str
    wage_kind: str
    rate_yuan: str
    piece_unit: str
    pay_day: int | None


def yuan_to_fen(value: str) -> int | None:
    """A yuan amount typed by a person ("280", "1,280.50") → fen; None when it is not one."""
    try:
        return money.parse_yuan(value)
    except (ValueError, AttributeError):
        return None


def contract_errors(data: ContractInput) -> dict[str, str]:
    errors: dict[str, str] = {}
    if data.period_type not in LaborContract.PeriodType.values:
        errors["period_type"] = "请选择合同期限类型"
    if data.start_on is None:
        errors["start_on"] = "请填写开始日期"
    if data.period_type == LaborContract.PeriodType.FIXED:
        if data.end_on is None:
            errors["end_on"] = "固定期限合同须填写终止日期"
        elif data.start_on and data.end_on < data.start_on:
            errors["end_on"] = "终止日期不能早于开始日期"
    if data.period_type == LaborContract.PeriodType.TASK and not data.task_description.strip():
        errors["task_description"] = "以完成一定工作任务为期限的合同须写明工作任务"
    if data.wage_kind not in WageKind.values:
        errors["wage_kind"] = "请选择工资形式"
    rate = yuan_to_fen(data.rate_yuan)
    if not rate:
        errors["rate_yuan"] = "工资标准应为大于0的金额（元，最多两位小数）"
    if data.wage_kind == WageKind.PIECE and data.piece_unit not in PIECE_UNITS:
        errors["piece_unit"] = "计件工资须选择计量单位"
    if data.pay_day is None or not 1 <= data.pay_day <= 31:
        errors["pay_day"] = "工资支付日应为1至31"
    return errors


def contract_create(*, actor: Any, employment: Employment, data: ContractInput) -> LaborContract:
    """Sign a contract for a person on a project with his employer; a new one ends the previous one."""
    if not scoping.can_maintain_roster(actor, employment.project, employment.employer_id):
        raise Forbidden("无权为该企业的人员签订劳动合同")
    if errors := contract_errors(data):
        raise field_errors(errors)
    rate = yuan_to_fen(data.rate_yuan)
    # contract_errors refused a missing start date, pay day or rate; this only tells the type checker.
    assert data.start_on is not None and data.pay_day is not None and rate is not None
    with transaction.atomic():
        Employment.objects.select_for_update().filter(pk=employment.pk).first()
        previous = LaborContract.objects.filter(
            employment=employment, status=LaborContract.Status.ACTIVE
        ).first()
        if previous is not None:
            previous.status = LaborContract.Status.ENDED
            previous.save(update_fields=["status", "updated_at"])
        contract = LaborContract.objects.create(
            no=temporary_no(),
            employment=employment,
            period_type=data.period_type,
            start_on=data.start_on,
            end_on=data.end_on if data.period_type == LaborContract.PeriodType.FIXED else None,
            task_description=data.task_description.strip()[:200],
            wage_kind=data.wage_kind,
            rate_fen=rate,
            piece_unit=data.piece_unit if data.wage_kind == WageKind.PIECE else "",
            pay_day=data.pay_day,
            created_by=_actor(actor),
        )
        dated_no(contract, "HT")
        event_record(
            actor=actor,
            kind=LaborEventKind.CONTRACT_SIGNED,
            subject=contract,
            data={"employment": employment.pk, "replaces": previous.pk if previous else None},
        )
    return contract


def contract_scan_attach(
    *, actor: Any, contract: LaborContract, data: bytes, filename: str
) -> None:
    """The signed contract's scan (PDF/JPEG/PNG by content)."""
    employment = contract.employment
    if not scoping.can_maintain_roster(actor, employment.project, employment.employer_id):
        raise Forbidden("无权上传该合同")
    kind = upload_check(data, filename=filename)
    with transaction.atomic():
        contract.signed_scan.save(f"signed{EXTENSIONS[kind]}", ContentFile(data), save=False)
        contract.signed_uploaded_at = timezone.now()
        contract.save(update_fields=["signed_scan", "signed_uploaded_at", "updated_at"])
        event_record(
            actor=actor,
            kind=LaborEventKind.CONTRACT_SCAN_ATTACHED,
            subject=contract,
            data={"sha256": hashlib.sha256(data).hexdigest()},
        )
