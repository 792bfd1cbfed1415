"""Paying through the project's special account (总包代发, L2): the account, payment batches exported for the
bank, the bank's result file imported line by line, receipts."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from smz.core.errors import DomainError, Forbidden, field_errors
from smz.core.events import event_record
from smz.core.numbering import dated_no, temporary_no
from smz.core.uploads import EXTENSIONS, upload_check
from smz.labor.errors import LaborErrorCode
from smz.labor.events import LaborEventKind
from smz.labor.models import (
    PaymentBatch,
    PaymentLine,
    Payroll,
    PayrollLine,
    WageAccount,
)
from smz.labor.selectors import payable_lines
from smz.registry import scoping
from smz.registry.models import Project

# ---- the special account ---------------------------------------------------------------------------


def wage_account_set(
    *,
    actor: Any,
    project: Project,
    bank_code: str,
    bank_name: str,
    account_name: str,
    account_no: str,
    opened_on: dt.date | None,
) -> WageAccount:
    """工资专用账户 (条例 Art.26): the general contractor records the project's account."""
    if not scoping.is_gc_of(actor, project):
        raise Forbidden("工资专用账户由施工总承包单位登记")
    account_no = account_no.replace(" ", "")
    errors = {}
    if not (account_no.isdigit() and 8 <= len(account_no) <= 32):
        errors["account_no"] = "账号应为8至32位数字"
    if not (bank_code.isdigit() and len(bank_code) == 3):
        errors["bank_code"] = "银行代码应为3位数字"
    if not bank_name.strip() or not account_name.strip():
        errors["bank_name"] = "请填写开户行和账户名称"
    if opened_on is None:
        errors["opened_on"] = "请填写开户日期"
    if errors or opened_on is None:  # opened_on is None only with an error recorded
        raise field_errors(errors)
    with transaction.atomic():
        account, created = WageAccount.objects.update_or_create(
            project=project,
            defaults={
                "bank_code": bank_code,
                "bank_name": bank_name.strip()[:60],
                "account_name": account_name.strip()[:80],
                "account_no": account_no,
                "opened_on": opened_on,
            },
        )
        event_record(
            actor=actor,
            kind=LaborEventKind.WAGE_ACCOUNT_SET,
            subject=account,
            data={"created": created, "bank_code": bank_code},
        )
    return account


# ---- paying through the special account (总包代发) --------------------------------------------------


def payment_batch_export(*, actor: Any, project: Project) -> PaymentBatch:
    """Put every payable line into one batch for the bank (the file is rendered from the batch)."""
    if not scoping.is_gc_of(actor, project):
        raise Forbidden("代发由施工总承包单位办理")
    if not WageAccount.objects.filter(project=project).exists():
        raise DomainError(LaborErrorCode.PAYMENT_NO_ACCOUNT, "项目尚未登记工资专用账户")
    with transaction.atomic():
        lines = list(payable_lines(project).select_for_update(of=("self",)))
        if not lines:
            raise DomainError(
                LaborErrorCode.PAYMENT_NOTHING, "没有待发放的工资（须为总包已审核的工资表）"
            )
        missing = [line.worker.name for line in lines if not line.worker.bank_card]
        if missing:
            raise DomainError(
                LaborErrorCode.PAYMENT_NO_BANK_CARD,
                "以下人员未登记工资卡，不能代发：" + "、".join(missing[:10]),
                {"workers": missing},
            )
        batch = PaymentBatch.objects.create(
            no=temporary_no(),
            project=project,
            total_fen=sum(line.net_fen - line.paid_fen for line in lines),
            line_count=len(lines),
            exported_by=actor,
        )
        dated_no(batch, "DF")
        PaymentLine.objects.bulk_create(
            PaymentLine(
                batch=batch,
                payroll_line=line,
                line_ref=f"{batch.no}-{i:04d}",
                amount_fen=line.net_fen - line.paid_fen,
            )
            for i, line in enumerate(lines, start=1)
        )
        PayrollLine.objects.filter(pk__in=[line.pk for line in lines]).update(
            pay_status=PayrollLine.PayStatus.SENT, fail_reason=""
        )
        Payroll.objects.filter(pk__in={line.payroll_id for line in lines}).update(
            state=Payroll.State.PAYING
        )
        event_record(
            actor=actor,
            kind=LaborEventKind.PAYMENT_EXPORTED,
            subject=batch,
            data={"lines": len(lines), "total_fen": batch.total_fen},
        )
    return batch


@dataclass(frozen=True)
class ImportOutcome:
    paid: int
    failed: int
    unchanged: int
    errors: list[tuple[int, str, str]]


def payment_result_import(
    *, actor: Any, batch: PaymentBatch, rows: list[Any], parse_errors: list[tuple[int, str, str]]
) -> ImportOutcome:
    """Apply the bank's per-line results (bankfile.result_file_parse rows). A repeat of the same result
    changes nothing; a result that contradicts an earlier one, an unknown reference or a wrong amount is
    reported and skipped — the valid lines still apply."""
    if not scoping.is_gc_of(actor, batch.project):
        raise Forbidden("代发结果由施工总承包单位导入")
    errors = list(parse_errors)
    paid = failed = unchanged = 0
    with transaction.atomic():
        by_ref = {
            p.line_ref: p
            for p in PaymentLine.objects.select_for_update()
            .filter(batch=batch)
            .select_related("payroll_line")
        }
        for n, row in enumerate(rows, start=1):
            payment = by_ref.get(row.line_ref)
            if payment is None:
                errors.append((n, "line_ref", f"明细编号 {row.line_ref} 不属于批次 {batch.no}"))
                continue
            if payment.status != "sent":
                if payment.status == row.status:
                    unchanged += 1
                else:
                    errors.append(
                        (n, "status", f"{row.line_ref} 已记为「{payment.status}」，与本次结果矛盾")
                    )
                continue
            if (
                row.status == "paid"
                and row.amount_fen is not None
                and row.amount_fen != payment.amount_fen
            ):
                errors.append((n, "amount", f"{row.line_ref} 金额与代发金额不符"))
                continue
            line = payment.payroll_line
            payment.status = row.status
            payment.bank_serial = row.bank_serial[:64]
            payment.reason = row.reason[:120]
            payment.settled_on = row.paid_on or timezone.localdate()
            payment.save(update_fields=["status", "bank_serial", "reason", "settled_on"])
            if row.status == "paid":
                line.paid_fen += payment.amount_fen
                line.pay_status = PayrollLine.PayStatus.PAID
                line.paid_on = payment.settled_on
                line.bank_serial = payment.bank_serial
                line.fail_reason = ""
                paid += 1
            else:
                line.pay_status = PayrollLine.PayStatus.FAILED
                line.fail_reason = payment.reason or "银行退回"
                failed += 1
            line.save(
                update_fields=["paid_fen", "pay_status", "paid_on", "bank_serial", "fail_reason"]
            )
        for payroll in Payroll.objects.filter(lines__payments__batch=batch).distinct():
            statuses = set(payroll.lines.filter(net_fen__gt=0).values_list("pay_status", flat=True))
            if statuses <= {PayrollLine.PayStatus.PAID}:
                payroll.state = Payroll.State.PAID
            elif PayrollLine.PayStatus.FAILED in statuses:
                payroll.state = Payroll.State.PARTLY_PAID
            else:
                payroll.state = Payroll.State.PAYING
            payroll.save(update_fields=["state", "updated_at"])
        if not batch.lines.filter(status="sent").exists():
            batch.state = PaymentBatch.State.SETTLED
        batch.result_imported_at = timezone.now()
        batch.save(update_fields=["state", "result_imported_at", "updated_at"])
        event_record(
            actor=actor,
            kind=LaborEventKind.PAYMENT_RESULT_IMPORTED,
            subject=batch,
            data={"paid": paid, "failed": failed, "unchanged": unchanged, "errors": len(errors)},
        )
    return ImportOutcome(paid=paid, failed=failed, unchanged=unchanged, errors=errors)


def payment_receipt_attach(*, actor: Any, batch: PaymentBatch, data: bytes, filename: str) -> None:
    """The bank's receipt (回单) for the batch: the payment proof the notice asks for (A1, L2)."""
    if not scoping.is_gc_of(actor, batch.project):
        raise Forbidden("代发回单由施工总承包单位上传")
    kind = upload_check(data, filename=filename)
    with transaction.atomic():
        batch.receipt.save(f"receipt{EXTENSIONS[kind]}", ContentFile(data), save=False)
        batch.save(update_fields=["receipt", "updated_at"])
        event_record(
            actor=actor,
            kind=LaborEventKind.PAYMENT_RECEIPT_ATTACHED,
            subject=batch,
            data={"sha256": hashlib.sha256(data).hexdigest()},
        )
