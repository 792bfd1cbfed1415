"""Labor contracts: new contract form, details, the generated PDF and the signed scan (L1)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.clickjacking import xframe_options_sameorigin

from smz.core.errors import CoreErrorCode, DomainError, Forbidden
from smz.core.files import user_file_response
from smz.core.forms import form_date, form_int
from smz.core.pii import masked
from smz.core.uploads import upload_read
from smz.labor import selectors, services
from smz.labor.documents import ContractData, contract_pdf
from smz.labor.models import LaborContract, WageKind
from smz.registry import scoping
from smz.registry.codes import code_name
from smz.registry.selectors import employment_get_for


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
                raise DomainError(CoreErrorCode.UPLOAD_EMPTY, "请选择扫描件")
            services.contract_scan_attach(
                actor=request.user,
                contract=contract,
                data=upload_read(upload),
                filename=upload.name,
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
        with contract.signed_scan.open("rb") as fh:
            data = fh.read()
        return user_file_response(data=data, filename=f"{contract.no}-signed")
    raise Http404
