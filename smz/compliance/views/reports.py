"""Pages of the monthly compliance report (issue 13 item 7): the page with its pickers, the Excel and PDF
downloads. Parse → selector (smz.compliance.selectors.reports) → render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from smz.compliance.selectors import reports
from smz.core.downloads import XLSX_CONTENT_TYPE
from smz.core.forms import form_int


def _report(request: HttpRequest) -> reports.MonthReport:
    month = reports.month_of(request.GET.get("month", "").strip())
    jurisdiction = request.GET.get("jurisdiction", "").strip()
    jurisdiction_id = form_int(jurisdiction) if jurisdiction else None
    if jurisdiction_id is None and not reports.may_see_city(request.user):
        # A town's staff has no city report: their first jurisdiction is the default.
        jurisdiction_id = reports.default_jurisdiction_id(request.user)
    return reports.report_for(request.user, month=month, jurisdiction_id=jurisdiction_id)


def _download(
    report: reports.MonthReport, body: bytes, ext: str, content_type: str
) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{report.filename}.{ext}"'
    return response


@login_required
def report_page(request: HttpRequest) -> HttpResponse:
    """考核月报: month and jurisdiction pickers, the figures, the download links."""
    report = _report(request)
    return render(
        request,
        "compliance/reports.html",
        {
            "report": report,
            "jurisdictions": reports.report_jurisdictions_for(request.user),
            "city": reports.may_see_city(request.user),
            "query": f"month={report.month:%Y-%m}"
            + (f"&jurisdiction={report.jurisdiction.pk}" if report.jurisdiction else ""),
        },
    )


@login_required
def report_excel(request: HttpRequest) -> HttpResponse:
    report = _report(request)
    return _download(report, reports.report_xlsx(report), "xlsx", XLSX_CONTENT_TYPE)


@login_required
def report_pdf(request: HttpRequest) -> HttpResponse:
    report = _report(request)
    return _download(report, reports.report_pdf(report), "pdf", "application/pdf")
