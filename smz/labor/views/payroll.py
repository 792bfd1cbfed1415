"""Payrolls (edit, confirm, submit, review) and payment batches through the special account (L2, L4)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from smz.core.downloads import csv_download, xlsx_download
from smz.core.errors import CoreErrorCode, DomainError, Forbidden
from smz.core.forms import form_int
from smz.core.pii import masked, may_unmask, pii_reveal
from smz.core.uploads import upload_read
from smz.labor import bankfile, selectors, services
from smz.labor.errors import LaborErrorCode
from smz.labor.models import Payroll
from smz.registry import scoping
from smz.registry.selectors import project_get_for


def _decimal(value: str) -> Decimal:
    try:
        return Decimal(value.strip() or "0")
    except InvalidOperation:
        return Decimal(-1)


@login_required
def payroll_detail(request: HttpRequest, pk: int) -> HttpResponse:
    payroll = selectors.payroll_get_for(request.user, pk)
    user = request.user
    may_edit = not payroll.locked and scoping.can_maintain_roster(
        user, payroll.project, payroll.employer_id
    )
    lines = selectors.payroll_lines_of(payroll)
    problems = services.payroll_problems(payroll) if not payroll.locked else []
    by_line: dict[int, list[str]] = {}
    for p in problems:
        if p.line:
            by_line.setdefault(p.line.pk, []).append(p.text)
    return render(
        request,
        "labor/payroll.html",
        {
            "p": payroll,
            "rows": [
                {
                    "l": line,
                    "problems": by_line.get(line.pk, []),
                    "bank": masked(line.worker, "bank_card"),
                }
                for line in lines
            ],
            "general_problems": [p for p in problems if p.line is None],
            "problem_count": len(problems),
            "may_edit": may_edit,
            "may_review": payroll.state == Payroll.State.SUBMITTED
            and scoping.is_gc_of(user, payroll.project),
            "may_correct": payroll.locked
            and scoping.can_maintain_roster(user, payroll.project, payroll.employer_id),
            "totals": {
                "gross": sum(line.gross_fen for line in lines),
                "net": sum(line.net_fen for line in lines),
                "paid": sum(line.paid_fen for line in lines),
            },
        },
    )


@login_required
@require_POST
def payroll_act(request: HttpRequest, pk: int) -> HttpResponse:
    payroll = selectors.payroll_get_for(request.user, pk)
    action = request.POST.get("action", "")
    try:
        if action == "line":
            line = selectors.payroll_line_of(payroll, form_int(request.POST.get("line", "")))
            if line is None:
                raise DomainError(LaborErrorCode.PAYROLL_LINE, "明细不存在")
            services.payroll_line_update(
                actor=request.user,
                line=line,
                data=services.LineInput(
                    days_paid=form_int(request.POST.get("days_paid", "")) or 0,
                    hours_paid=_decimal(request.POST.get("hours_paid", "0")),
                    rate_yuan=request.POST.get("rate_yuan", ""),
                    quantity=_decimal(request.POST.get("quantity", "0")),
                    deductions_yuan=request.POST.get("deductions_yuan", "0"),
                    deductions_note=request.POST.get("deductions_note", ""),
                    note=request.POST.get("note", ""),
                ),
            )
            messages.success(request, f"{line.worker.name} 的工资已更新")
        elif action == "signed_sheet":
            upload = request.FILES.get("file")
            if upload is None:
                raise DomainError(CoreErrorCode.UPLOAD_EMPTY, "请选择扫描件")
            services.payroll_signed_sheet_attach(
                actor=request.user, payroll=payroll, data=upload_read(upload), filename=upload.name
            )
            messages.success(request, "工人签字工资表已上传，未在线确认的人员按签字表确认")
        elif action == "delete":
            project_id = payroll.project_id
            services.payroll_draft_delete(actor=request.user, payroll=payroll)
            messages.success(request, "草稿已删除，可重新按考勤生成")
            return redirect("labor:project", project_id)
        elif action == "submit":
            services.payroll_submit(actor=request.user, payroll=payroll)
            messages.success(request, "工资表已提交并锁定，待总包审核")
        elif action == "review":
            services.payroll_review(actor=request.user, payroll=payroll)
            messages.success(request, "已审核，可纳入代发批次")
        elif action == "correct":
            correction = services.payroll_correction_create(actor=request.user, payroll=payroll)
            messages.success(request, f"已生成更正表 {correction.no}（补发）")
            return redirect("labor:payroll", correction.pk)
        else:
            raise DomainError(LaborErrorCode.PAYROLL_ACTION, "无效的操作")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("labor:payroll", payroll.pk)


@login_required
@require_POST
def batch_export(request: HttpRequest, pk: int) -> HttpResponse:
    project = project_get_for(request.user, pk)
    try:
        batch = services.payment_batch_export(actor=request.user, project=project)
        messages.success(
            request, f"已生成代发批次 {batch.no}：{batch.line_count} 笔，请下载代发文件交银行。"
        )
        return redirect("labor:batch", batch.pk)
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("labor:project", project.pk)


def _payment_rows(batch, *, user) -> list[bankfile.PaymentRow]:
    """The batch's transfers with full card numbers: each payee's card is revealed through the unmask
    policy (pii_reveal), so every person whose number leaves in the file has his own audit row."""
    account = selectors.wage_account_of(batch.project)
    purpose = f"代发文件 {batch.no}"
    cards: dict[int, str] = {}
    rows = []
    for p in selectors.batch_lines_of(batch):
        worker = p.payroll_line.worker
        if worker.pk not in cards:
            cards[worker.pk] = pii_reveal(
                user=user, worker=worker, field="bank_card", purpose=purpose
            )
        rows.append(
            bankfile.PaymentRow(
                line_ref=p.line_ref,
                payer_account=account.account_no,
                payer_name=account.account_name,
                payee_name=worker.name,
                payee_account=cards[worker.pk],
                payee_bank_code=worker.bank_code,
                payee_bank_name=worker.bank_name,
                amount_fen=p.amount_fen,
                purpose=f"{p.payroll_line.payroll.month:%Y年%m月}工资",
            )
        )
    return rows


@login_required
def batch_detail(request: HttpRequest, pk: int) -> HttpResponseBase:
    batch = selectors.batch_get_for(request.user, pk)
    is_gc = scoping.is_gc_of(request.user, batch.project)
    outcome = None
    if request.method == "POST":
        if not is_gc:
            raise Forbidden("代发由施工总承包单位办理")
        upload = request.FILES.get("file")
        try:
            if upload is None:
                raise DomainError(CoreErrorCode.UPLOAD_EMPTY, "请选择文件")
            data = upload_read(upload)
            if request.POST.get("form") == "receipt":
                services.payment_receipt_attach(
                    actor=request.user, batch=batch, data=data, filename=upload.name
                )
                messages.success(request, "银行回单已上传")
                return redirect("labor:batch", batch.pk)
            parsed = bankfile.result_file_parse(data, upload.name)
            outcome = services.payment_result_import(
                actor=request.user, batch=batch, rows=parsed.rows, parse_errors=parsed.errors
            )
            messages.success(
                request,
                f"已导入银行结果：成功 {outcome.paid} 笔，失败 {outcome.failed} 笔，"
                f"重复 {outcome.unchanged} 笔，问题 {len(outcome.errors)} 行",
            )
            batch = selectors.batch_get_for(request.user, batch.pk)
        except DomainError as exc:
            messages.error(request, exc.message)
    may_download = is_gc and may_unmask(request.user, "bank_card")
    if request.GET.get("download") in {"csv", "xlsx"}:
        if not is_gc:
            raise Forbidden("代发文件含完整账号，仅施工总承包单位可下载")
        if not may_download:
            # A bank file exists to pay; with masked cards it is useless to the bank, so roles the unmask
            # policy refuses (项目经理, 企业管理员) are refused the file; the page shows them masked cards.
            raise Forbidden(
                "代发文件含完整工资卡号，仅劳务专管员可下载", code=CoreErrorCode.PII_FORBIDDEN
            )
        rows = _payment_rows(batch, user=request.user)
        name = f"{batch.no}.{request.GET['download']}"
        if request.GET["download"] == "csv":
            return csv_download(bankfile.payment_file_rows(rows), name)
        return xlsx_download(lambda book: bankfile.payment_file_sheet(book, rows), name)
    lines = selectors.batch_lines_of(batch)
    return render(
        request,
        "labor/batch.html",
        {
            "b": batch,
            "is_gc": is_gc,
            "may_download": may_download,
            "rows": [{"p": p, "bank": masked(p.payroll_line.worker, "bank_card")} for p in lines],
            "outcome": outcome,
        },
    )
