"""Roster Excel endpoints (/api/v1/): template download, all-or-nothing import, masked export (R3, N2)."""

from __future__ import annotations

from django.http import FileResponse, HttpRequest, HttpResponse
from django.utils import timezone
from ninja import File, Query, Router, Schema
from ninja.files import UploadedFile

from smz.core.api_errors import errors
from smz.core.downloads import xlsx_download
from smz.core.strict import QueryId, text
from smz.registry import excel, selectors

router = Router(tags=["roster-excel"])

XLSX_RESPONSE = {
    "responses": {
        200: {
            "description": "Excel 文件",
            "content": {
                excel.XLSX_CONTENT_TYPE: {"schema": {"type": "string", "format": "binary"}}
            },
        }
    }
}


class RosterImportOut(Schema):
    rows: int
    workers_created: int
    workers_updated: int
    employments_created: int


class ExportFilter(Schema):
    # Strings, not ints: the portal links send `project=` empty when no project is chosen.
    project: text(max_length=20) = ""
    status: text(max_length=20) = ""
    q: text(max_length=100) = ""


@router.get(
    "/roster/template.xlsx",
    url_name="roster_template",
    response=errors(401, 404, 422),
    summary="花名册导入模板（可按项目附带用工单位和班组下拉）",
    openapi_extra=XLSX_RESPONSE,
)
def roster_template(request: HttpRequest, project_id: QueryId | None = None) -> HttpResponse:
    project = selectors.project_get_for(request.user, project_id) if project_id else None
    content = excel.roster_template(user=request.user, project=project)
    name = f"花名册导入模板_{project.code}.xlsx" if project else "花名册导入模板.xlsx"
    return excel.xlsx_response(content, name)


@router.post(
    "/roster/import",
    url_name="roster_import_api",
    response={201: RosterImportOut, **errors(400, 401, 403, 404, 413, 422)},
    summary="花名册导入：全部行校验通过才写入，否则返回所有错误行（422 roster.invalid_rows）",
)
def roster_import(request: HttpRequest, project_id: QueryId, file: File[UploadedFile]):
    project = selectors.project_get_for(request.user, project_id)
    return 201, excel.roster_import_upload(actor=request.user, project=project, upload=file)


@router.get(
    "/employments/export.xlsx",
    url_name="employment_export",
    response=errors(401, 404, 422),
    summary="导出项目人员（证件号码、手机号码、工资卡号脱敏）",
    openapi_extra=XLSX_RESPONSE,
)
def employment_export(request: HttpRequest, filters: Query[ExportFilter]) -> FileResponse:
    project = (
        selectors.project_get_for(request.user, int(filters.project))
        if filters.project.isascii() and filters.project.isdigit()
        else None
    )
    stamp = f"{timezone.localdate():%Y%m%d}"
    name = f"项目人员_{project.name if project else '全部'}_{stamp}.xlsx"
    return xlsx_download(
        lambda book: excel.employment_export(
            book, user=request.user, project=project, status=filters.status, q=filters.q.strip()
        ),
        name,
    )
