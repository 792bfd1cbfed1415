"""A project's labor hub (roster and contracts, payrolls, payments, the deposit, bulk entry checks) and its
site notice board (维权信息告示牌) PDF."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from smz.accounts.models import Role
from smz.core.errors import DomainError
from smz.core.forms import form_date, form_int, form_month
from smz.core.pii import mask_bank_card
from smz.core.uploads import upload_read
from smz.labor import selectors, services
from smz.labor.documents import NoticeBoardData, notice_board_pdf
from smz.labor.errors import LaborErrorCode
from smz.labor.services import deposits, entry, idcard
from smz.registry import scoping
from smz.registry.codes import code_table
from smz.registry.models import Participant
from smz.registry.selectors import approving_authority, project_get_for
from smz.registry.services import WorkerData


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
        employer = selectors.enterprise_pick(form_int(request.POST.get("employer", "")))
        team = selectors.team_pick(form_int(request.POST.get("team", "")))
        month = form_month(request.POST.get("month", ""))
        try:
            if employer is None or month is None:
                raise DomainError(LaborErrorCode.PAYROLL_FORM, "请选择用工企业和月份")
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
        employer = selectors.enterprise_pick(form_int(post.get("employer", "")))
        team = selectors.team_pick(form_int(post.get("team", "")), project=project)
        upload = request.FILES.get("card_photo")
        try:
            if employer is None:
                raise DomainError(LaborErrorCode.ENTRY_FORM, "请选择用工企业")
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
                card_photo=upload_read(upload, max_bytes=5 * 1024 * 1024),
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
        scan = selectors.idcard_scan_pick(project, form_int(request.POST.get("scan", "")))
        employer = selectors.enterprise_pick(form_int(request.POST.get("employer", "")))
        team = selectors.team_pick(form_int(request.POST.get("team", "")), project=project)
        try:
            if scan is None or employer is None:
                raise DomainError(LaborErrorCode.IDCARD_FORM, "请选择读卡记录和用工企业")
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
    employers = selectors.hub_employers_for(user, project)
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
            "pending": selectors.entries_awaiting_count(project, employers),
            "expiring": selectors.contracts_expiring(user, project),
            "scans": selectors.idcard_scans_new(project) if employers else [],
            "work_type_choices": sorted(code_table("work_type").items()),
            "payrolls": selectors.payroll_list_for(user, project),
            "batches": selectors.batches_for(user, project),
            "payable": selectors.payable_count(project) if scoping.is_gc_of(user, project) else 0,
            "employers": employers,
            "teams": selectors.hub_teams(project, employers),
            "last_month": last_month,
            "deposit": getattr(project, "wage_deposit", None),
            "top_up_due": selectors.top_up_due(project.wage_deposit)
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
    admitted, refused = entry.entries_admit_all(actor=request.user, project=project)
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
            raise DomainError(LaborErrorCode.DEPOSIT_NONE, "尚未登记工资保证金")
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
            raise DomainError(LaborErrorCode.DEPOSIT_ACTION, "无效的操作")
        messages.success(request, "工资保证金已更新")
    except DomainError as exc:
        messages.error(request, exc.message)


@login_required
def notice_board(request: HttpRequest, pk: int) -> HttpResponse:
    """维权信息告示牌 (条例 Art.34) for the site entrance, with the QR code to the complaint page."""
    project = project_get_for(request.user, pk)
    if request.user.role == Role.WORKER:
        raise Http404
    facts = selectors.notice_board_facts(project)
    parts, pm, pay_days = facts["parts"], facts["pm"], facts["pay_days"]
    names = {p.corp_type: p.enterprise.name for p in parts}
    minimum = services.minimum_wage_on(timezone.localdate())
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
        labor_specialists=facts["specialists"],
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
