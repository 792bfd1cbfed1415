"""农民工工资保证金 (条例 Art.32–33; 《工程建设领域农民工工资保证金规定》人社部发〔2021〕65号):

- the general contractor deposits 1%–3% of the contract price (down to 0.5% under the multi-project float)
  within 20 working days, in cash or as a bank guarantee; contracts under 3,000,000 yuan without arrears in
  the past year may be exempt;
- after the authorities order it, the bank pays wages from it; the contractor tops it up within 10 working
  days;
- after completion, with no arrears and a 30-day public notice, it is returned.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction

from smz.core.errors import DomainError, Forbidden, field_errors
from smz.core.events import event_record
from smz.labor.errors import LaborErrorCode
from smz.labor.events import LaborEventKind
from smz.labor.models import DepositMovement, PayrollLine, WageDeposit
from smz.labor.services import yuan_to_fen
from smz.registry import scoping
from smz.registry.models import Project

MIN_PERMILLE, MAX_PERMILLE = 5, 30  # 0.5%–3%
EXEMPT_BELOW_FEN = 3_000_000 * 100
PUBLIC_NOTICE_DAYS = 30


def _authority(actor: Any, project: Project) -> bool:
    return (
        scoping.is_authority(actor) and scoping.projects_for(actor).filter(pk=project.pk).exists()
    )


def deposit_register(
    *,
    actor: Any,
    project: Project,
    form: str,
    contract_price_yuan: str,
    rate_permille: int | None,
    due_on: dt.date | None,
    deposited_on: dt.date | None,
    bank_name: str = "",
    guarantee_no: str = "",
    exempt_reason: str = "",
) -> WageDeposit:
    """The GC records its deposit (or the exemption it relies on)."""
    if not scoping.is_gc_of(actor, project):
        raise Forbidden("工资保证金由施工总承包单位登记")
    price = yuan_to_fen(contract_price_yuan)
    errors = {}
    if not price:
        errors["contract_price_yuan"] = "请填写施工合同额（元）"
    if due_on is None:
        errors["due_on"] = "请填写应存截止日期"
    exempt = bool(exempt_reason.strip())
    if exempt:
        if price and price >= EXEMPT_BELOW_FEN:
            errors["exempt_reason"] = "合同额300万元以上的项目不能免缴"
    else:
        if form not in WageDeposit.Form.values:
            errors["form"] = "请选择存储形式"
        if rate_permille is None or not MIN_PERMILLE <= rate_permille <= MAX_PERMILLE:
            errors["rate_permille"] = "比例应为 5‰–30‰（0.5%–3%）"
        if form == WageDeposit.Form.GUARANTEE and not guarantee_no.strip():
            errors["guarantee_no"] = "银行保函须填写保函编号"
        if deposited_on is None:
            errors["deposited_on"] = "请填写存储日期"
    if errors or price is None or due_on is None:
        raise field_errors(errors)
    rate = 0 if exempt or rate_permille is None else rate_permille
    amount = 0 if exempt else int((Decimal(price) * rate / 1000).to_integral_value())
    with transaction.atomic():
        if WageDeposit.objects.filter(project=project).exists():
            raise DomainError(LaborErrorCode.DEPOSIT_EXISTS, "本项目已登记工资保证金", status=409)
        deposit = WageDeposit.objects.create(
            project=project,
            form=form if not exempt else WageDeposit.Form.CASH,
            contract_price_fen=price,
            rate_permille=rate,
            amount_fen=amount,
            balance_fen=amount,
            due_on=due_on,
            deposited_on=deposited_on,
            bank_name=bank_name.strip()[:60],
            guarantee_no=guarantee_no.strip()[:60],
            status=WageDeposit.Status.EXEMPT if exempt else WageDeposit.Status.ACTIVE,
            exempt_reason=exempt_reason.strip()[:120],
        )
        if amount and deposited_on is not None:  # an amount is never exempt: a date was required
            DepositMovement.objects.create(
                deposit=deposit,
                kind="deposit",
                amount_fen=amount,
                on=deposited_on,
                recorded_by=actor,
            )
        event_record(
            actor=actor,
            kind=LaborEventKind.DEPOSIT_REGISTERED,
            subject=deposit,
            data={
                "amount_fen": amount,
                "exempt": exempt,
                "late": bool(deposited_on and deposited_on > due_on),
            },
        )
    return deposit


def deposit_draw(
    *, actor: Any, deposit: WageDeposit, amount_yuan: str, on: dt.date, note: str
) -> DepositMovement:
    """The authority records wages paid from the deposit (after a 责令 was ignored)."""
    if not _authority(actor, deposit.project):
        raise Forbidden("动用保证金由主管部门登记")
    amount = yuan_to_fen(amount_yuan)
    if not amount or amount > deposit.balance_fen:
        raise field_errors({"amount_yuan": "金额应大于0且不超过保证金余额"})
    return _move(actor, deposit, "draw", -amount, amount, on, note or "动用保证金支付拖欠工资")


def deposit_top_up(
    *, actor: Any, deposit: WageDeposit, amount_yuan: str, on: dt.date
) -> DepositMovement:
    """The GC restores the deposit after a draw (within 10 working days)."""
    if not scoping.is_gc_of(actor, deposit.project):
        raise Forbidden("补足保证金由施工总承包单位登记")
    amount = yuan_to_fen(amount_yuan)
    if not amount or deposit.balance_fen + amount > deposit.amount_fen:
        raise field_errors({"amount_yuan": "补足金额应大于0且补足后不超过应存金额"})
    return _move(actor, deposit, "top_up", amount, amount, on, "")


def deposit_refund(*, actor: Any, deposit: WageDeposit, on: dt.date) -> DepositMovement:
    """Return the balance after completion, a 30-day public notice and no arrears on the project."""
    if not _authority(actor, deposit.project):
        raise Forbidden("返还保证金由主管部门办理")
    completed = deposit.project.completed_on
    if completed is None:
        raise DomainError(LaborErrorCode.DEPOSIT_NOT_COMPLETED, "项目未竣工，不能返还保证金")
    if on < completed + dt.timedelta(days=PUBLIC_NOTICE_DAYS):
        raise DomainError(
            LaborErrorCode.DEPOSIT_NOTICE_PERIOD,
            f"竣工后须公示 {PUBLIC_NOTICE_DAYS} 日，最早 {completed + dt.timedelta(days=PUBLIC_NOTICE_DAYS):%Y-%m-%d} 返还",
        )
    unpaid = (
        PayrollLine.objects.filter(payroll__project=deposit.project, net_fen__gt=0)
        .exclude(payroll__state="draft")
        .exclude(pay_status="paid")
        .count()
    )
    if unpaid:
        raise DomainError(
            LaborErrorCode.DEPOSIT_ARREARS, f"项目仍有 {unpaid} 笔工资未发放，不能返还保证金"
        )
    if deposit.balance_fen <= 0:
        raise DomainError(LaborErrorCode.DEPOSIT_EMPTY, "保证金余额为零")
    return _move(
        actor,
        deposit,
        "refund",
        -deposit.balance_fen,
        deposit.balance_fen,
        on,
        "竣工公示期满无拖欠",
    )


def _move(
    actor: Any,
    deposit: WageDeposit,
    kind: str,
    delta: int,
    amount: int,
    on: dt.date,
    note: str,
) -> DepositMovement:
    with transaction.atomic():
        deposit = WageDeposit.objects.select_for_update().get(pk=deposit.pk)
        if deposit.status == WageDeposit.Status.REFUNDED:
            raise DomainError(LaborErrorCode.DEPOSIT_REFUNDED, "保证金已返还", status=409)
        movement = DepositMovement.objects.create(
            deposit=deposit, kind=kind, amount_fen=amount, on=on, note=note[:200], recorded_by=actor
        )
        deposit.balance_fen += delta
        if kind == "refund":
            deposit.status = WageDeposit.Status.REFUNDED
        deposit.save(update_fields=["balance_fen", "status", "updated_at"])
        event_record(
            actor=actor,
            kind=LaborEventKind(f"deposit.{kind}"),
            subject=deposit,
            data={"amount_fen": amount, "balance_fen": deposit.balance_fen},
        )
    return movement
