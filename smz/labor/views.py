"""Labor pages: a project's contracts, payrolls and payments (labor specialists, the GC, authorities), and a
worker's own wages (confirm, pay slips)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from smz.accounts.models import Role, User
from smz.approvals.services import approving_authority
from smz.core import scoping
from smz.core.errors import DomainError, Forbidden
from smz.core.forms import form_date, form_int
from smz.core.pii import mask_bank_card, masked
from smz.labor import (
    arrears,
    bankfile,
    complaints,
    deposits,
    entry,
    exits,
    idcard,
    selectors,
    services,
)
from smz.labor.documents import (
    ContractData,
    ExitData,
    NoticeBoardData,
    PaySlipData,
    contract_pdf,
    exit_confirmation_pdf,
    notice_board_pdf,
    pay_slip_pdf,
)
from smz.labor.models import (
    Complaint,
    ExitSettlement,
    IdCardScan,
    LaborContract,
    Payroll,
    PayrollLine,
    WageKind,
)
from smz.registry import project_changes
from smz.registry.codes import code_name, code_table
from smz.registry.models import Employment, Enterprise, KeyPost, Participant, Project, Team
from smz.registry.selectors import employment_get_for, project_get_for
from smz.registry.services import WorkerData


def _month(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(f"{value}-01") if value else None
    except ValueError:
        return None


def _decimal(value: str) -> Decimal:
    try:
        return Decimal(value.strip() or "0")
    except InvalidOperation:
        return Decimal(-1)


@login_required
def project_labor(request: HttpRequest, pk: int) -> HttpResponse:
    """A project's wages hub: the special account, contracts, payrolls and payment batches."""
    project = project_get_for(request.user, pk)
    user = request.user
    if user.role == Role.WORKER:
        raise Http404
    if request.method == "POST" and request.POST.get("form") == "account":
        try:
            services.wage_account_set(
                actor=user,
                project=project,
                bank_code=request.POST.get("bank_code", ""),
                bank_name=request.POST.get("bank_name", ""),
                account_name=request.POST.get("account_name", ""),
                account_no=request.POST.get("account_no", ""),
                opened_on=form_date(request.POST.get("opened_on", "")),
            )
            messages.success(request, "工资专用账户已登记")
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("labor:project", project.pk)
    if request.method == "POST" and request.POST.get("form") == "draft":
        employer = Enterprise.objects.filter(
            pk=form_int(request.POST.get("employer", "")) or 0
        ).first()
        team = Team.objects.filter(pk=form_int(request.POST.get("team", "")) or 0).first()
        month = _month(request.POST.get("month", ""))
        try:
            if employer is None or month is None:
                raise DomainError("payroll.form", "请选择用工企业和月份")
            payroll = services.payroll_draft(
                actor=user, project=project, employer=employer, team=team, month=month
            )
            messages.success(request, f"已按考勤和合同生成 {payroll.no}，请核对后让工人确认。")
            return redirect("labor:payroll", payroll.pk)
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("labor:project", project.pk)
    if request.method == "POST" and request.POST.get("form") == "typed":
        post = request.POST
        employer = Enterprise.objects.filter(pk=form_int(post.get("employer", "")) or 0).first()
        team = Team.objects.filter(project=project, pk=form_int(post.get("team", "")) or 0).first()
        upload = request.FILES.get("card_photo")
        try:
            if employer is None:
                raise DomainError("entry.form", "请选择用工企业")
            employment = idcard.typed_entry(
                actor=user,
                project=project,
                data=WorkerData(
                    id_card_type="01",
                    id_number=post.get("id_number", ""),
                    name=post.get("name", ""),
                    nation=post.get("nation", ""),
                    address=post.get("address", ""),
                    grant_org=post.get("grant_org", ""),
                    id_valid_from=form_date(post.get("id_valid_from", "")),
                    id_valid_to=form_date(post.get("id_valid_to", "")),
                    phone=post.get("phone", ""),
                    bank_card=post.get("bank_card", ""),
                    bank_code=post.get("bank_code", ""),
                    bank_name=post.get("bank_name", ""),
                ),
                card_photo=upload.read() if upload else b"",
                employer=employer,
                team=team,
                work_type=post.get("work_type", ""),
                entry_on=form_date(post.get("entry_on", "")) or timezone.localdate(),
            )
            messages.success(request, "已登记进场，请完成进场核验后下发闸机。")
            return redirect("labor:entry", employment.pk)
        except DomainError as exc:
            reasons = "；".join(f"{v}" for v in exc.detail.get("fields", {}).values())
            messages.error(request, exc.message + (f"：{reasons}" if reasons else ""))
        return redirect("labor:project", project.pk)
    if request.method == "POST" and request.POST.get("form") == "admit_all":
        _admit_all(request, project)
        return redirect("labor:project", project.pk)
    if request.method == "POST" and request.POST.get("form") == "scan":
        scan = IdCardScan.objects.filter(
            project=project, pk=form_int(request.POST.get("scan", "")) or 0
        ).first()
        employer = Enterprise.objects.filter(
            pk=form_int(request.POST.get("employer", "")) or 0
        ).first()
        team = Team.objects.filter(
            project=project, pk=form_int(request.POST.get("team", "")) or 0
        ).first()
        try:
            if scan is None or employer is None:
                raise DomainError("idcard.form", "请选择读卡记录和用工企业")
            employment = idcard.idcard_scan_register(
                actor=user,
                scan=scan,
                employer=employer,
                team=team,
                work_type=request.POST.get("work_type", ""),
                entry_on=form_date(request.POST.get("entry_on", "")) or timezone.localdate(),
            )
            messages.success(request, f"{scan.worker.name} 已登记进场，请完成进场核验后下发闸机。")
            return redirect("labor:entry", employment.pk)
        except DomainError as exc:
            reasons = "；".join(exc.detail.get("fields", {}).values())
            messages.error(request, exc.message + (f"：{reasons}" if reasons else ""))
        return redirect("labor:project", project.pk)
    if request.method == "POST" and request.POST.get("form", "").startswith("deposit"):
        _deposit_post(request, project)
        return redirect("labor:project", project.pk)
    account = selectors.wage_account_of(project)
    employers = [
        p.enterprise
        for p in Participant.objects.filter(project=project).select_related("enterprise")
        if scoping.can_maintain_roster(user, project, p.enterprise_id)
        and p.corp_type not in {Participant.BUILDER, Participant.SUPERVISION}
    ]
    last_month = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    return render(
        request,
        "labor/project.html",
        {
            "project": project,
            "account": account,
            "account_masked": mask_bank_card(account.account_no) if account else "",
            "is_gc": scoping.is_gc_of(user, project),
            "roster": _with_rights(user, project, selectors.roster_contracts_for(user, project)),
            "pending": Employment.objects.filter(
                project=project, status=Employment.Status.ACTIVE, gate_status="pending"
            )
            .filter(employer__in=[e.pk for e in employers])
            .count(),
            "expiring": selectors.contracts_expiring(user, project),
            "scans": [
                {"s": s, "id_masked": masked(s.worker, "id_number")}
                for s in IdCardScan.objects.filter(project=project, status=IdCardScan.Status.NEW)
                .select_related("worker")
                .order_by("-received_at")[:50]
            ]
            if employers
            else [],
            "work_type_choices": sorted(code_table("work_type").items()),
            "payrolls": selectors.payroll_list_for(user, project),
            "batches": selectors.batches_for(user, project),
            "payable": services.payable_lines(project).count()
            if scoping.is_gc_of(user, project)
            else 0,
            "employers": employers,
            "teams": Team.objects.filter(project=project, enterprise__in=employers),
            "last_month": last_month,
            "deposit": getattr(project, "wage_deposit", None),
            "top_up_due": deposits.top_up_due(project.wage_deposit)
            if hasattr(project, "wage_deposit")
            else None,
            "is_authority": scoping.is_authority(user),
            "today": timezone.localdate().isoformat(),
        },
    )


def _with_rights(user, project, rows: list[dict]) -> list[dict]:
    """Mark the rows whose person the user may act for (sign, check in, exit): authorities only read."""
    allowed: dict[int, bool] = {}
    for row in rows:
        employer = row["e"].employer_id
        if employer not in allowed:
            allowed[employer] = scoping.can_maintain_roster(user, project, employer)
        row["may"] = allowed[employer]
    return rows


def _admit_all(request: HttpRequest, project) -> None:
    """批量进场核验: run the entry checks for everyone waiting whom the user may act for."""
    admitted, refused = 0, []
    for employment in Employment.objects.filter(
        project=project, status=Employment.Status.ACTIVE, gate_status="pending"
    ).select_related("worker", "project"):
        if not scoping.can_maintain_roster(request.user, project, employment.employer_id):
            continue
        try:
            entry.entry_admit(actor=request.user, employment=employment)
            admitted += 1
        except DomainError:
            refused.append(employment.worker.name)
    messages.success(request, f"核验通过并下发 {admitted} 人")
    if refused:
        messages.warning(
            request, f"未通过 {len(refused)} 人：" + "、".join(refused[:20]) + "（逐人查看原因）"
        )


def _deposit_post(request: HttpRequest, project) -> None:
    """The 工资保证金 forms on the hub: the GC registers and tops up; the authority records draws and refunds."""
    post, user = request.POST, request.user
    form = post.get("form")
    deposit = getattr(project, "wage_deposit", None)
    try:
        if form == "deposit":
            deposits.deposit_register(
                actor=user,
                project=project,
                form=post.get("deposit_form", ""),
                contract_price_yuan=post.get("contract_price_yuan", ""),
                rate_permille=form_int(post.get("rate_permille", "")),
                due_on=form_date(post.get("due_on", "")),
                deposited_on=form_date(post.get("deposited_on", "")),
                bank_name=post.get("bank_name", ""),
                guarantee_no=post.get("guarantee_no", ""),
                exempt_reason=post.get("exempt_reason", ""),
            )
        elif deposit is None:
            raise DomainError("deposit.none", "尚未登记工资保证金")
        elif form == "deposit_draw":
            deposits.deposit_draw(
                actor=user,
                deposit=deposit,
                amount_yuan=post.get("amount_yuan", ""),
                on=form_date(post.get("on", "")) or timezone.localdate(),
                note=post.get("note", ""),
            )
        elif form == "deposit_top_up":
            deposits.deposit_top_up(
                actor=user,
                deposit=deposit,
                amount_yuan=post.get("amount_yuan", ""),
                on=form_date(post.get("on", "")) or timezone.localdate(),
            )
        elif form == "deposit_refund":
            deposits.deposit_refund(
                actor=user,
                deposit=deposit,
                on=form_date(post.get("on", "")) or timezone.localdate(),
            )
        else:
            raise DomainError("deposit.action", "无效的操作")
        messages.success(request, "工资保证金已更新")
    except DomainError as exc:
        messages.error(request, exc.message)


@login_required
def contract_new(request: HttpRequest, pk: int) -> HttpResponse:
    employment = employment_get_for(request.user, pk)
    if not scoping.can_maintain_roster(request.user, employment.project, employment.employer_id):
        raise Forbidden("无权为该企业的人员签订劳动合同")
    form: dict = {"pay_day": "15", "start_on": employment.entry_on.isoformat()}
    if request.method == "POST":
        form = request.POST.dict()
        data = services.ContractInput(
            period_type=form.get("period_type", ""),
            start_on=form_date(form.get("start_on", "")),
            end_on=form_date(form.get("end_on", "")),
            task_description=form.get("task_description", ""),
            wage_kind=form.get("wage_kind", ""),
            rate_yuan=form.get("rate_yuan", ""),
            piece_unit=form.get("piece_unit", ""),
            pay_day=form_int(form.get("pay_day", "")),
        )
        try:
            contract = services.contract_create(
                actor=request.user, employment=employment, data=data
            )
            messages.success(request, f"合同 {contract.no} 已登记：请打印签字后上传扫描件。")
            return redirect("labor:contract", contract.pk)
        except DomainError as exc:
            messages.error(request, exc.message)
            form["errors"] = exc.detail.get("fields", {})
    return render(
        request,
        "labor/contract_new.html",
        {
            "e": employment,
            "form": form,
            "periods": LaborContract.PeriodType.choices,
            "kinds": WageKind.choices,
            "units": services.PIECE_UNITS.items(),
        },
    )


@login_required
def contract_detail(request: HttpRequest, pk: int) -> HttpResponse:
    contract = selectors.contract_get_for(request.user, pk)
    e = contract.employment
    may_edit = scoping.can_maintain_roster(request.user, e.project, e.employer_id)
    if request.method == "POST":
        if not may_edit:
            raise Forbidden()
        upload = request.FILES.get("file")
        try:
            if upload is None:
                raise DomainError("upload.empty", "请选择扫描件")
            services.contract_scan_attach(
                actor=request.user, contract=contract, data=upload.read(), filename=upload.name
            )
            messages.success(request, "签字合同扫描件已上传")
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("labor:contract", contract.pk)
    return render(request, "labor/contract.html", {"c": contract, "e": e, "may_edit": may_edit})


def _contract_data(contract: LaborContract) -> ContractData:
    e = contract.employment
    account = selectors.wage_account_of(e.project)
    return ContractData(
        contract_no=contract.no,
        employer_name=e.employer.name,
        employer_code=e.employer.corp_code,
        employer_address="",
        employer_rep="",
        worker_name=e.worker.name,
        worker_id_masked=masked(e.worker, "id_number"),
        worker_phone_masked=masked(e.worker, "phone"),
        worker_address=e.worker.address,
        project_name=e.project.name,
        project_address=e.project.address,
        team_name=e.team.name if e.team else "",
        work_type=code_name("work_type", e.work_type),
        period_type="fixed" if contract.period_type == "fixed" else "task",
        start_on=contract.start_on,
        end_on=contract.end_on,
        task_description=contract.task_description,
        wage_kind=contract.wage_kind,
        rate_fen=contract.rate_fen,
        piece_unit=services.PIECE_UNITS.get(contract.piece_unit, ""),  # the name, not the code
        pay_day=contract.pay_day,
        special_account=f"{account.bank_name} 工资专用账户（尾号{account.account_no[-4:]}）"
        if account
        else "（总包单位尚未登记工资专用账户）",
        generated_at=timezone.now(),
    )


@xframe_options_sameorigin  # shown beside the contract's details
@login_required
def contract_file(request: HttpRequest, pk: int, what: str) -> HttpResponse:
    """The pre-filled contract PDF, or the signed scan (its parties and the authorities only)."""
    contract = selectors.contract_get_for(request.user, pk)
    if what == "pdf":
        response = HttpResponse(
            contract_pdf(_contract_data(contract)), content_type="application/pdf"
        )
        response["Content-Disposition"] = f'inline; filename="{contract.no}.pdf"'
        return response
    if what == "scan" and contract.signed_scan:
        response = FileResponse(contract.signed_scan.open("rb"))
        response["Cache-Control"] = "private, no-store"
        return response
    raise Http404


@login_required
def payroll_detail(request: HttpRequest, pk: int) -> HttpResponse:
    payroll = selectors.payroll_get_for(request.user, pk)
    user = request.user
    may_edit = not payroll.locked and scoping.can_maintain_roster(
        user, payroll.project, payroll.employer_id
    )
    lines = list(payroll.lines.select_related("worker", "contract").order_by("worker__name"))
    problems = services.payroll_problems(payroll) if not payroll.locked else []
    by_line: dict[int, list[str]] = {}
    for p in problems:
        if p.line:
            by_line.setdefault(p.line.pk, []).append(p.message.split("：", 1)[-1])
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
            line = payroll.lines.get(pk=form_int(request.POST.get("line", "")) or 0)
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
                raise DomainError("upload.empty", "请选择扫描件")
            services.payroll_signed_sheet_attach(
                actor=request.user, payroll=payroll, data=upload.read(), filename=upload.name
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
            raise DomainError("payroll.action", "无效的操作")
    except PayrollLine.DoesNotExist:
        messages.error(request, "明细不存在")
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


def _payment_rows(batch) -> list[bankfile.PaymentRow]:
    account = selectors.wage_account_of(batch.project)
    rows = []
    for p in batch.lines.select_related("payroll_line__worker", "payroll_line__payroll"):
        worker = p.payroll_line.worker
        rows.append(
            bankfile.PaymentRow(
                line_ref=p.line_ref,
                payer_account=account.account_no,
                payer_name=account.account_name,
                payee_name=worker.name,
                payee_account=worker.bank_card,
                payee_bank_code=worker.bank_code,
                payee_bank_name=worker.bank_name,
                amount_fen=p.amount_fen,
                purpose=f"{p.payroll_line.payroll.month:%Y年%m月}工资",
            )
        )
    return rows


@login_required
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    batch = selectors.batch_get_for(request.user, pk)
    is_gc = scoping.is_gc_of(request.user, batch.project)
    outcome = None
    if request.method == "POST":
        if not is_gc:
            raise Forbidden("代发由施工总承包单位办理")
        upload = request.FILES.get("file")
        try:
            if upload is None:
                raise DomainError("upload.empty", "请选择文件")
            data = upload.read()
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
            batch.refresh_from_db()
        except DomainError as exc:
            messages.error(request, exc.message)
    if request.GET.get("download") in {"csv", "xlsx"}:
        if not is_gc:
            raise Forbidden("代发文件含完整账号，仅施工总承包单位可下载")
        rows = _payment_rows(batch)
        if request.GET["download"] == "csv":
            response = HttpResponse(bankfile.payment_file_csv(rows), content_type="text/csv")
        else:
            response = HttpResponse(
                bankfile.payment_file_xlsx(rows),
                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
        response["Content-Disposition"] = (
            f'attachment; filename="{batch.no}.{request.GET["download"]}"'
        )
        response["Cache-Control"] = "private, no-store"
        from smz.core.events import pii_access_record

        pii_access_record(actor=request.user, subject=batch, field="bank_card", purpose="代发文件")
        return response
    lines = batch.lines.select_related("payroll_line__worker", "payroll_line__payroll")
    return render(
        request,
        "labor/batch.html",
        {
            "b": batch,
            "is_gc": is_gc,
            "rows": [{"p": p, "bank": masked(p.payroll_line.worker, "bank_card")} for p in lines],
            "outcome": outcome,
        },
    )


@login_required
def my_wages(request: HttpRequest) -> HttpResponse:
    """A worker's own months: confirm a draft line, read the pay slip; his contracts."""
    user = request.user
    if user.role != Role.WORKER:
        raise Http404
    if request.method == "POST" and request.POST.get("exit"):
        try:
            exits.exit_confirm(
                actor=user, settlement=_exit_for(user, form_int(request.POST["exit"]) or 0)
            )
            messages.success(request, "已确认退场确认书")
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("labor:my_wages")
    if request.method == "POST":
        line = (
            selectors.my_lines(user).filter(pk=form_int(request.POST.get("line", "")) or 0).first()
        )
        try:
            if line is None:
                raise DomainError("payroll.line", "工资明细不存在")
            services.payroll_line_confirm(actor=user, line=line)
            messages.success(request, f"已确认 {line.payroll.month:%Y年%m月} 工资")
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("labor:my_wages")
    return render(
        request,
        "labor/my_wages.html",
        {
            "lines": selectors.my_lines(user),
            "contracts": scoping.contracts_for(user).select_related(
                "employment__project", "employment__employer"
            ),
            "attendance": selectors.my_attendance(user),
            "exits": ExitSettlement.objects.filter(
                employment__in=scoping.employments_for(user).values("pk")
            ).select_related("employment__project"),
        },
    )


@login_required
def pay_slip(request: HttpRequest, pk: int) -> HttpResponse:
    """工资清单 (条例 Art.15) for one worker's month: the worker himself, his employer, the GC, authorities."""
    line = (
        scoping.payroll_lines_for(request.user)
        .select_related("worker", "payroll__project", "payroll__employer", "payroll__team")
        .filter(pk=pk)
        .first()
    )
    if line is None:
        raise Http404
    p = line.payroll
    deductions = (
        [(line.deductions_note or "代扣代缴", line.deductions_fen)] if line.deductions_fen else []
    )
    confirmed = (
        f"{timezone.localtime(line.confirmed_at):%Y-%m-%d} {line.get_confirmed_via_display()}"
        if line.confirmed_at
        else "未确认"
    )
    data = PaySlipData(
        project_name=p.project.name,
        employer_name=p.employer.name,
        team_name=p.team.name if p.team else "",
        month=f"{p.month:%Y-%m}",
        worker_name=line.worker.name,
        worker_id_masked=masked(line.worker, "id_number"),
        bank_masked=masked(line.worker, "bank_card"),
        days=line.days_paid,
        hours=f"{line.hours_paid}",
        wage_kind_label=line.get_wage_kind_display(),
        rate_fen=line.rate_fen,
        gross_fen=line.gross_fen,
        deductions=deductions,
        net_fen=line.net_fen,
        paid_fen=line.paid_fen,
        paid_on=line.paid_on,
        pay_status_label=line.get_pay_status_display(),
        confirmed=confirmed,
        generated_at=timezone.now(),
    )
    response = HttpResponse(pay_slip_pdf(data), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="payslip-{p.month:%Y%m}.pdf"'
    return response


def _exit_for(user, pk: int) -> ExitSettlement:
    settlement = (
        ExitSettlement.objects.select_related(
            "employment__project", "employment__worker", "employment__employer", "employment__team"
        )
        .filter(pk=pk, employment__in=scoping.employments_for(user).values("pk"))
        .first()
    )
    if settlement is None:
        raise Http404
    return settlement


@login_required
def exit_page(request: HttpRequest, pk: int) -> HttpResponse:
    """退场: draw up the confirmation, print it, collect the worker's confirmation, register the exit."""
    employment = employment_get_for(request.user, pk)
    user = request.user
    may_edit = scoping.can_maintain_roster(user, employment.project, employment.employer_id)
    settlement = ExitSettlement.objects.filter(employment=employment).first()
    if request.method == "POST":
        if not may_edit:
            raise Forbidden("无权为该人员办理退场")
        action = request.POST.get("action", "")
        try:
            if action == "prepare":
                settlement = exits.exit_prepare(
                    actor=user,
                    employment=employment,
                    exit_on=form_date(request.POST.get("exit_on", "")),
                    workload=request.POST.get("workload", ""),
                )
                messages.success(
                    request,
                    "退场确认书已生成：请打印给工人核对签字（按手印），或请工人在本人页面确认。",
                )
            elif action == "scan" and settlement:
                upload = request.FILES.get("file")
                if upload is None:
                    raise DomainError("upload.empty", "请选择扫描件")
                exits.exit_signed_scan_attach(
                    actor=user, settlement=settlement, data=upload.read(), filename=upload.name
                )
                messages.success(request, "已上传工人签字（按手印）的退场确认书")
            elif action == "register" and settlement:
                exits.exit_register(actor=user, settlement=settlement)
                messages.success(request, "已办理退场登记，该人员将从现场考勤设备中删除")
            else:
                raise DomainError("exit.action", "无效的操作")
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("labor:exit", employment.pk)
    return render(
        request,
        "labor/exit.html",
        {
            "e": employment,
            "s": settlement,
            "may_edit": may_edit,
            "today": timezone.localdate().isoformat(),
        },
    )


@xframe_options_sameorigin
@login_required
def exit_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    s = _exit_for(request.user, pk)
    e = s.employment
    data = ExitData(
        project_name=e.project.name,
        employer_name=e.employer.name,
        team_name=e.team.name if e.team else "",
        worker_name=e.worker.name,
        worker_id_masked=masked(e.worker, "id_number"),
        entry_on=e.entry_on,
        exit_on=s.exit_on,
        days_attended=s.days_attended,
        workload=s.workload,
        months=[(m, owed, paid) for m, owed, paid in s.months],
        owed_fen=s.owed_fen,
        paid_fen=s.paid_fen,
        balance_fen=s.balance_fen,
        generated_at=timezone.now(),
    )
    response = HttpResponse(exit_confirmation_pdf(data), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{s.no}.pdf"'
    return response


@login_required
def alerts(request: HttpRequest) -> HttpResponse:
    """欠薪预警 for the GC (its projects), the authorities (their area) and the city; Excel export."""
    if not (scoping.is_authority(request.user) or scoping.is_enterprise_user(request.user)):
        raise Http404
    rule = request.GET.get("rule", "")
    rule = rule if rule in arrears.RULES else ""
    every = arrears.alerts_for(request.user)
    shown = [a for a in every if not rule or a.rule == rule]
    if request.GET.get("export") == "xlsx":
        response = HttpResponse(
            arrears.alerts_xlsx(shown),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = (
            f'attachment; filename="arrears-{timezone.localdate():%Y%m%d}.xlsx"'
        )
        return response
    return render(
        request,
        "labor/alerts.html",
        {
            "alerts": shown,
            "counts": arrears.alert_counts(every),
            "rules": arrears.RULES,
            "rule": rule,
        },
    )


@login_required(login_url="/w/login/")
def my_complaints(request: HttpRequest) -> HttpResponse:
    """A worker's complaints: file one (the QR on the site notice board lands here), follow its status."""
    user = request.user
    if user.role != Role.WORKER:
        raise Http404
    my_projects = Project.objects.filter(employments__worker=user.worker_id).distinct()
    form: dict = {"project": request.GET.get("project", "")}
    if request.method == "POST":
        form = request.POST.dict()
        project = my_projects.filter(code=form.get("project", "")).first()
        try:
            if project is None:
                raise DomainError(
                    "complaint.project", "请选择项目", {"fields": {"project": "必选"}}
                )
            c = complaints.complaint_file(
                actor=user,
                project=project,
                category=form.get("category", ""),
                text=form.get("text", ""),
                amount_yuan=form.get("amount_yuan", ""),
            )
            messages.success(request, f"投诉已提交（{c.no}），{c.authority.name}将受理并答复。")
            return redirect("labor:my_complaints")
        except DomainError as exc:
            messages.error(request, exc.message)
            form["errors"] = exc.detail.get("fields", {})
    return render(
        request,
        "labor/my_complaints.html",
        {
            "projects": my_projects,
            "items": complaints.complaints_for(user),
            "categories": Complaint.Category.choices,
            "form": form,
        },
    )


def complaint_qr(request: HttpRequest, code: str) -> HttpResponse:
    """The notice board's QR code: the project's complaint form (after the worker's phone login)."""
    return redirect(f"{reverse('labor:my_complaints')}?project={code[:20]}")


@login_required
def complaint_list(request: HttpRequest) -> HttpResponse:
    """Authorities: the complaints routed to them (the city: all), to accept, resolve or reject."""
    if not scoping.is_authority(request.user):
        raise Http404
    if request.method == "POST":
        item = (
            complaints.complaints_for(request.user)
            .filter(pk=form_int(request.POST.get("pk", "")) or 0)
            .first()
        )
        try:
            if item is None:
                raise DomainError("complaint.unknown", "投诉不存在")
            complaints.complaint_handle(
                actor=request.user,
                complaint=item,
                status=request.POST.get("status", ""),
                reply=request.POST.get("reply", ""),
            )
            messages.success(request, f"{item.no} 已更新")
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("labor:complaints")
    status = request.GET.get("status", "open")
    qs = complaints.complaints_for(request.user)
    if status == "open":
        qs = qs.filter(status__in=complaints.OPEN)
    elif status in Complaint.Status.values:
        qs = qs.filter(status=status)
    return render(
        request,
        "labor/complaints.html",
        {
            "items": [{"c": c, "may": complaints.may_handle(request.user, c)} for c in qs[:200]],
            "status": status,
            "statuses": Complaint.Status.choices,
        },
    )


@login_required
def notice_board(request: HttpRequest, pk: int) -> HttpResponse:
    """维权信息告示牌 (条例 Art.34) for the site entrance, with the QR code to the complaint page."""
    project = project_get_for(request.user, pk)
    if request.user.role == Role.WORKER:
        raise Http404
    parts = list(Participant.objects.filter(project=project).select_related("enterprise"))
    names = {p.corp_type: p.enterprise.name for p in parts}
    pm = KeyPost.objects.filter(project=project, post="P01").select_related("holder").first()
    specialists = [
        (u.enterprise.name, u.display_name or u.username, "")
        for u in User.objects.filter(
            projects=project, role=Role.LABOR_SPECIALIST, is_active=True
        ).select_related("enterprise")
    ]
    minimum = services.minimum_wage_on(timezone.localdate())
    pay_days = list(
        LaborContract.objects.filter(
            employment__project=project, status=LaborContract.Status.ACTIVE
        ).values_list("pay_day", flat=True)
    )
    data = NoticeBoardData(
        project_name=project.name,
        project_address=project.address,
        builder=project.builder.name,
        contractor=names.get(Participant.GC, ""),
        contractor_pm=pm.holder.name if pm and pm.holder else "",
        subcontractors=[
            p.enterprise.name
            for p in parts
            if p.corp_type not in {Participant.GC, Participant.BUILDER, Participant.SUPERVISION}
        ],
        authority=approving_authority(project).name,
        authority_phone="见主管部门公布的投诉电话",
        labor_inspection_phone="12333",
        labor_specialists=specialists,
        minimum_wage=(
            f"月最低工资标准 {minimum.monthly_fen / 100:,.0f} 元；非全日制 {minimum.hourly_fen / 100:.1f} 元/小时"
            if minimum
            else "按广东省公布的最低工资标准执行"
        ),
        pay_day=f"每月{min(pay_days)}日前发放上月工资" if pay_days else "每月发放上月工资",
        complaint_url=f"{settings.SITE_URL.rstrip('/')}{reverse('labor:complaint_qr', args=[project.code])}",
        arbitration="中山市劳动人事争议仲裁院",
        legal_aid="12348 公共法律服务热线",
        generated_at=timezone.now(),
    )
    response = HttpResponse(notice_board_pdf(data), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="notice-board-{project.code}.pdf"'
    return response


@login_required
def entry_page(request: HttpRequest, pk: int) -> HttpResponse:
    """进场核验: training, live face, the checks, then 准予进场 (sent to the gates) or 暂缓."""
    employment = employment_get_for(request.user, pk)
    user = request.user
    may_edit = scoping.can_maintain_roster(user, employment.project, employment.employer_id)
    if request.method == "POST":
        if not may_edit:
            raise Forbidden("无权为该人员办理进场")
        action = request.POST.get("action", "")
        try:
            if action == "training":
                entry.training_record(
                    actor=user,
                    employment=employment,
                    trained_on=form_date(request.POST.get("trained_on", "")),
                    course=request.POST.get("course", ""),
                    hours=request.POST.get("hours", ""),
                )
                messages.success(request, "培训已登记")
            elif action == "face":
                upload = request.FILES.get("photo")
                project_changes.site_face_capture(
                    actor=user, employment=employment, data=upload.read() if upload else b""
                )
                messages.success(request, "现场人脸已采集")
            elif action == "admit":
                entry.entry_admit(actor=user, employment=employment)
                messages.success(request, "核验通过，已下发至现场考勤设备")
            elif action == "hold":
                entry.entry_hold(actor=user, employment=employment)
                messages.success(request, "已暂缓下发，核验通过后再准予进场")
            else:
                raise DomainError("entry.action", "无效的操作")
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("labor:entry", employment.pk)
    employment.refresh_from_db()
    return render(
        request,
        "labor/entry.html",
        {
            "e": employment,
            "checks": entry.entry_checks(employment),
            "may_edit": may_edit,
            "trainings": employment.worker.trainings.filter(project=employment.project),
            "admissions": employment.admissions.select_related("checked_by")[:5],
            "today": timezone.localdate().isoformat(),
        },
    )
