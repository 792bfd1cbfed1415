"""Roster Excel (R3 import, N1 bulk entry, N2 masked export): template, all-or-nothing import, export."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import resolve, reverse
from openpyxl import load_workbook

from smz.core.models import Event
from smz.registry import excel
from smz.registry.excel import importing, workbooks
from smz.registry.models import Employment, Team, Worker
from smz.testing.downloads import download_body
from smz.testing.registry import HEADERS, new_id, person, roster_xlsx, upload

TEMPLATE_URL = reverse("api:roster_template")
IMPORT_URL = reverse("api:roster_import_api")
EXPORT_URL = reverse("api:employment_export")


def counts() -> tuple[int, int, int]:
    return Worker.objects.count(), Employment.objects.count(), Event.objects.count()


def cell_values(content: bytes) -> list[str]:
    book = load_workbook(io.BytesIO(content))
    return [
        str(v) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for v in row if v
    ]


def export_rows(content: bytes) -> list[dict]:
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


# --- template --------------------------------------------------------------------------------


def test_r3_template_has_headers_notes_code_sheet_and_dropdowns(world, as_user):
    p1 = world.projects["p1"]
    resp = as_user("gc_labor").get(f"{TEMPLATE_URL}?project_id={p1.pk}")
    assert resp.status_code == 200
    assert resp["Content-Type"] == excel.XLSX_CONTENT_TYPE
    assert "filename*=utf-8''" in resp["Content-Disposition"]
    book = load_workbook(io.BytesIO(resp.content))
    assert book.sheetnames == ["花名册", "代码表"]
    sheet = book["花名册"]
    assert [c.value for c in sheet[1]] == HEADERS
    assert str(sheet["A2"].value).startswith(excel.NOTE_MARK)
    codes = [v for row in book["代码表"].iter_rows(values_only=True) for v in row if v]
    for expected in ("工种名称", "钢筋工", "民族名称", "汉族", "证件类型名称", "居民身份证"):
        assert expected in codes
    assert "文化程度名称" in codes
    # The project's own units and teams (gc_labor's GC sees them all) are offered as lists.
    assert world.enterprises["sub"].corp_code in codes and "乙木工班" in codes
    assert world.enterprises["neighbour"].corp_code not in codes
    dropdown_ranges = {str(dv.sqref) for dv in sheet.data_validations.dataValidation}
    assert "O3:O5002" in dropdown_ranges  # 工种
    assert "N3:N5002" in dropdown_ranges  # 班组名称


def test_r3_template_downloaded_filled_and_reimported(world, as_user):
    client = as_user("gc_labor")
    p1 = world.projects["p1"]
    template = client.get(f"{TEMPLATE_URL}?project_id={p1.pk}").content
    book = load_workbook(io.BytesIO(template))
    sheet = book["花名册"]
    rows = [
        person(world, 1, 是否班组长="是", 进场日期=dt.date(2024, 5, 6)),
        person(world, 2, 证件号码=new_id(2, male=False), 性别="女", 民族="01", 工种="020"),
        person(world, 3, employer="sub", team="sub", 工种="木工"),
        person(world, 4, team=None, 人员类型="管理人员", 工种="900"),
    ]
    for row in rows:
        sheet.append([row.get(h) for h in HEADERS])
    buffer = io.BytesIO()
    book.save(buffer)
    before = counts()

    resp = upload(client, p1.pk, buffer.getvalue())

    assert resp.status_code == 201, resp.json()
    assert resp.json() == {
        "rows": 4,
        "workers_created": 4,
        "workers_updated": 0,
        "employments_created": 4,
    }
    assert counts()[0] == before[0] + 4 and counts()[1] == before[1] + 4
    first = Worker.objects.get(name="导入工1")
    assert first.id_number == new_id(1) and first.gender == "1" and first.id_valid_to is None
    assert first.bank_code == "102" and first.culture_level == "02"
    employment = Employment.objects.get(worker=first, project=p1)
    assert employment.entry_on == dt.date(2024, 5, 6) and employment.is_team_leader
    assert Team.objects.get(pk=world.teams["gc"].pk).leader == first
    second = Worker.objects.get(name="导入工2")
    assert second.gender == "2" and second.nation == "01"
    assert Employment.objects.get(worker__name="导入工3").employer == world.enterprises["sub"]
    manager = Employment.objects.get(worker__name="导入工4")
    assert manager.work_role == "10" and manager.team is None
    kinds = set(Event.objects.values_list("kind", flat=True))
    assert {"worker.registered", "employment.registered", "roster.imported"} <= kinds


def test_r3_existing_person_is_matched_not_duplicated(world, as_user):
    """A person registered before (here: exited from P3's roster) is employed again, not registered twice."""
    known = world.workers["neighbour"]
    row = person(
        world,
        1,
        姓名=known.name,
        证件号码=known.id_number,
        手机号码=known.phone,
        工资卡号=known.bank_card,
        开户行名称=known.bank_name,
    )
    resp = upload(as_user("city_admin"), world.projects["p1"].pk, roster_xlsx([row]))
    assert resp.status_code == 201, resp.json()
    assert resp.json()["workers_created"] == 0 and resp.json()["workers_updated"] == 1
    assert Employment.objects.filter(worker=known, project=world.projects["p1"]).exists()


# --- all or nothing --------------------------------------------------------------------------


def test_r3_one_bad_row_writes_nothing_and_reports_it(world, as_user):
    bad_id = new_id(2)[:-1] + ("0" if new_id(2)[-1] != "0" else "1")
    rows = [person(world, 1), person(world, 2, 证件号码=bad_id), person(world, 3)]
    before = counts()

    resp = upload(as_user("gc_labor"), world.projects["p1"].pk, roster_xlsx(rows))

    assert resp.status_code == 422
    body = resp.json()
    assert body["code"] == "roster.invalid_rows"
    assert "未导入任何数据" in body["message"]
    assert body["detail"]["rows"] == [
        {"row": 3, "field": "证件号码", "reason": "身份证号码校验位错误"}
    ]
    assert counts() == before


def test_r3_all_errors_reported_at_once(world, as_user):
    rows = [
        person(world, 1, 姓名=""),
        person(world, 2, 工种="飞行员", 进场日期="2024年5月"),
        person(world, 3, 手机号码="12345", 是否班组长="也许"),
    ]
    resp = upload(as_user("gc_labor"), world.projects["p1"].pk, roster_xlsx(rows))
    assert resp.status_code == 422
    errors = {(e["row"], e["field"]): e["reason"] for e in resp.json()["detail"]["rows"]}
    assert errors[(2, "姓名")] == "姓名不能为空"
    assert "不是有效的代码或名称" in errors[(3, "工种")]
    assert errors[(3, "进场日期")] == "日期格式应为YYYY-MM-DD"
    assert errors[(4, "手机号码")] == "手机号码应为以1开头的11位数字"
    assert errors[(4, "是否班组长")] == "应填“是”或“否”"


def test_r3_duplicate_id_in_file(world, as_user):
    rows = [person(world, 1), person(world, 2, 证件号码=new_id(1))]
    before = counts()
    resp = upload(as_user("gc_labor"), world.projects["p1"].pk, roster_xlsx(rows))
    assert resp.status_code == 422
    assert resp.json()["detail"]["rows"] == [
        {"row": 3, "field": "证件号码", "reason": "与第2行证件号码重复"}
    ]
    assert counts() == before


def test_r3_unknown_team(world, as_user):
    rows = [person(world, 1), person(world, 2, 班组名称="不存在的班组")]
    resp = upload(as_user("gc_labor"), world.projects["p1"].pk, roster_xlsx(rows))
    assert resp.status_code == 422
    [error] = resp.json()["detail"]["rows"]
    assert error["row"] == 3 and error["field"] == "班组名称"
    assert "不存在的班组" in error["reason"]


def test_r3_team_of_another_employer_is_unknown_for_this_employer(world, as_user):
    row = person(world, 1, employer="sub", team="gc")  # 甲钢筋班 belongs to the GC, not 乙劳务
    resp = upload(as_user("gc_labor"), world.projects["p1"].pk, roster_xlsx([row]))
    assert resp.status_code == 422
    assert resp.json()["detail"]["rows"][0]["field"] == "班组名称"


def test_r3_worker_without_team_and_unknown_employer(world, as_user):
    rows = [
        person(world, 1, team=None),
        person(world, 2, 用工单位统一社会信用代码="91442000MA4UXXXX1X"),
        person(world, 3, employer="neighbour", team=None, 人员类型="管理人员"),
    ]
    resp = upload(as_user("city_admin"), world.projects["p1"].pk, roster_xlsx(rows))
    errors = {(e["row"], e["field"]): e["reason"] for e in resp.json()["detail"]["rows"]}
    assert errors[(2, "班组名称")] == "建筑工人必须属于一个班组"
    assert errors[(3, "用工单位统一社会信用代码")] == "未找到该统一社会信用代码的企业"
    assert errors[(4, "用工单位统一社会信用代码")] == "用工单位不是本项目的参建单位"


def test_r3_person_already_active_on_project(world, as_user):
    active = world.workers["sub"]
    rows = [person(world, 1), person(world, 2, 证件号码=active.id_number, 姓名=active.name)]
    resp = upload(as_user("gc_labor"), world.projects["p1"].pk, roster_xlsx(rows))
    assert resp.status_code == 422
    assert resp.json()["detail"]["rows"] == [
        {"row": 3, "field": "证件号码", "reason": "该人员已在本项目在场，不能重复登记"}
    ]


def test_r3_subcontractor_may_not_import_for_the_gc(world, as_user):
    rows = [person(world, 1, employer="sub", team="sub"), person(world, 2)]
    before = counts()
    resp = upload(as_user("sub_labor"), world.projects["p1"].pk, roster_xlsx(rows))
    assert resp.status_code == 422
    assert resp.json()["detail"]["rows"] == [
        {"row": 3, "field": "用工单位统一社会信用代码", "reason": "无权为该用工单位登记人员"}
    ]
    assert counts() == before


def test_r3_two_leaders_for_one_team(world, as_user):
    rows = [person(world, 1, 是否班组长="是"), person(world, 2, 是否班组长="是")]
    resp = upload(as_user("gc_labor"), world.projects["p1"].pk, roster_xlsx(rows))
    assert resp.json()["detail"]["rows"] == [
        {"row": 3, "field": "是否班组长", "reason": "与第2行为同一班组的班组长"}
    ]


def test_r3_id_number_typed_as_number_is_refused(world, as_user):
    row = person(world, 1, 证件号码=float(new_id(1)[:17] + "1"))
    resp = upload(as_user("gc_labor"), world.projects["p1"].pk, roster_xlsx([row]))
    [error] = resp.json()["detail"]["rows"]
    assert error["field"] == "证件号码" and "15位" in error["reason"]


# --- file-level refusals ---------------------------------------------------------------------


def test_r3_non_xlsx_upload_is_bad_file(world, as_user):
    client = as_user("gc_labor")
    p1 = world.projects["p1"].pk
    resp = upload(client, p1, "姓名,证件号码\n张三,1\n".encode(), name="roster.csv")
    assert resp.status_code == 422 and resp.json()["code"] == "roster.bad_file"
    other_zip = io.BytesIO()
    with zipfile.ZipFile(other_zip, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    resp = upload(client, p1, other_zip.getvalue())
    assert resp.status_code == 422 and resp.json()["code"] == "roster.bad_file"
    resp = upload(client, p1, roster_xlsx([person(world, 1)])[:400])  # truncated
    assert resp.status_code == 422 and resp.json()["code"] == "roster.bad_file"
    good = zipfile.ZipFile(io.BytesIO(roster_xlsx([person(world, 1)])))
    damaged = io.BytesIO()
    with zipfile.ZipFile(damaged, "w") as archive:
        for name in good.namelist():
            data = good.read(name)
            archive.writestr(name, data[: len(data) // 2] if "worksheets/" in name else data)
    resp = upload(client, p1, damaged.getvalue())
    assert resp.status_code == 422 and resp.json()["code"] == "roster.bad_file"


def test_r3_missing_columns_empty_file_and_limits(world, as_user):
    client = as_user("gc_labor")
    p1 = world.projects["p1"].pk
    resp = upload(client, p1, roster_xlsx([person(world, 1)], headers=HEADERS[:14]))
    assert resp.json()["code"] == "roster.bad_header" and "工种" in resp.json()["message"]
    assert upload(client, p1, roster_xlsx([])).json()["code"] == "roster.empty"
    big = roster_xlsx([{"姓名": f"人{i}"} for i in range(excel.MAX_ROWS + 1)])
    resp = upload(client, p1, big)
    assert resp.status_code == 422 and resp.json()["code"] == "roster.too_many_rows"
    resp = upload(client, p1, b"PK\x03\x04" + b"\0" * excel.MAX_BYTES)
    assert resp.status_code == 413 and resp.json()["code"] == "roster.file_too_large"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-03-05", dt.date(2024, 3, 5)),
        ("2024/3/5", dt.date(2024, 3, 5)),
        (dt.datetime(2024, 3, 5, 0, 0), dt.date(2024, 3, 5)),
        (dt.date(2024, 3, 5), dt.date(2024, 3, 5)),
        (45356, dt.date(2024, 3, 5)),  # an Excel serial number in a cell without a date format
        (20240305, dt.date(2024, 3, 5)),
        (None, None),
    ],
)
def test_r3_dates_accept_excel_dates_and_iso_strings(value, expected):
    assert importing._cell_date(value) == expected


# --- permissions -----------------------------------------------------------------------------


def test_r3_neighbour_enterprise_cannot_import_into_p1(world, as_user):
    before = counts()
    row = person(world, 1, employer="neighbour", team=None, 人员类型="管理人员")
    resp = upload(as_user("neighbour_labor"), world.projects["p1"].pk, roster_xlsx([row]))
    assert resp.status_code == 404 and resp.json()["code"] == "not_found"
    assert counts() == before


def test_r3_read_only_roles_cannot_import(world, as_user):
    resp = upload(as_user("gc_pm"), world.projects["p1"].pk, roster_xlsx([person(world, 1)]))
    assert resp.status_code == 403 and resp.json()["code"] == "forbidden"


def test_outsider_and_anonymous_are_refused(world, client, as_user):
    p1 = world.projects["p1"].pk
    content = roster_xlsx([person(world, 1)])
    for url in (TEMPLATE_URL, EXPORT_URL):
        resp = client.get(url)
        assert resp.status_code == 401 and resp.json()["code"] == "unauthenticated"
    assert upload(client, p1, content).status_code == 401
    outsider = as_user("outsider")
    assert outsider.get(TEMPLATE_URL).json()["code"] == "forbidden"
    assert outsider.get(EXPORT_URL).status_code == 403
    assert outsider.get(f"{EXPORT_URL}?project={p1}").status_code == 404
    resp = upload(outsider, p1, content)
    assert resp.status_code == 404 and resp.json()["code"] == "not_found"


# --- export ----------------------------------------------------------------------------------


def test_export_route_is_not_shadowed_by_employment_ids():
    assert EXPORT_URL == "/api/v1/employments/export.xlsx"
    assert resolve(EXPORT_URL).url_name == "employment_export"


def test_n2_export_masked(world, as_user):
    p1 = world.projects["p1"]
    resp = as_user("gc_labor").get(f"{EXPORT_URL}?project={p1.pk}&status=active&q=")
    assert resp.status_code == 200
    assert resp["Content-Type"] == excel.XLSX_CONTENT_TYPE
    assert "filename*=utf-8''" in resp["Content-Disposition"]
    content = download_body(resp)
    values = cell_values(content)
    for worker in world.workers.values():
        assert worker.id_number not in values
        assert not any(worker.id_number in v for v in values)
        assert not any(worker.bank_card in v for v in values)
    assert not any("13800001234" in v for v in values)
    rows = export_rows(content)
    gc_worker = world.workers["gc"]
    [row] = [r for r in rows if r["姓名"] == gc_worker.name]
    assert row["证件号码"] == gc_worker.id_number[:4] + "*" * 10 + gc_worker.id_number[-4:]
    assert row["手机号码"] == "138****1234"
    assert row["工资卡号"] == "6222 **** **** 3445"
    assert row["工种"] == "钢筋工" and row["人员类型"] == "建筑工人" and row["状态"] == "在场"
    assert row["用工单位"] == "甲建设集团有限公司" and row["班组名称"] == "甲钢筋班"
    assert {r["姓名"] for r in rows} == {"测试甲工", "测试乙工", "测试项目经理"}


def test_n2_export_only_what_the_persona_sees(world, as_user):
    sub = export_rows(download_body(as_user("sub_labor").get(EXPORT_URL)))
    assert [r["姓名"] for r in sub] == ["测试乙工"]
    assert {r["用工单位"] for r in sub} == {"乙劳务有限公司"}

    neighbour = as_user("neighbour_labor")
    rows = export_rows(download_body(neighbour.get(EXPORT_URL)))
    assert [r["姓名"] for r in rows] == ["测试戊工"]
    assert all(r["项目名称"] != world.projects["p1"].name for r in rows)
    resp = neighbour.get(f"{EXPORT_URL}?project={world.projects['p1'].pk}")
    assert resp.status_code == 404


def test_n2_export_filters_status_and_name(world, as_user):
    client = as_user("city_admin")
    p1 = world.projects["p1"].pk
    assert [r["姓名"] for r in export_rows(download_body(client.get(f"{EXPORT_URL}?q=乙工")))] == [
        "测试乙工"
    ]
    rows = export_rows(download_body(client.get(f"{EXPORT_URL}?project={p1}&status=exited")))
    assert rows == []


# --- portal page -----------------------------------------------------------------------------


def test_r3_portal_page_lists_visible_projects_and_imports(world, as_user):
    client = as_user("gc_labor")
    page = client.get(reverse("portal:roster_import"))
    assert page.status_code == 200
    html = page.content.decode()
    assert world.projects["p1"].name in html
    assert world.projects["p2"].name not in html
    p1 = world.projects["p1"].pk
    resp = client.post(
        reverse("portal:roster_import"),
        {"project": str(p1), "file": SimpleUploadedFile("r.xlsx", roster_xlsx([person(world, 1)]))},
    )
    assert resp.status_code == 200
    assert "导入成功" in resp.content.decode() and "新增项目人员 1 条" in resp.content.decode()
    assert Employment.objects.filter(worker__name="导入工1", project=p1).exists()


def test_r3_portal_page_shows_row_errors_and_writes_nothing(world, as_user):
    client = as_user("gc_labor")
    before = counts()
    rows = [person(world, 1), person(world, 2, 班组名称="不存在的班组")]
    resp = client.post(
        reverse("portal:roster_import"),
        {
            "project": str(world.projects["p1"].pk),
            "file": SimpleUploadedFile("r.xlsx", roster_xlsx(rows)),
        },
    )
    assert resp.status_code == 422
    html = resp.content.decode()
    assert 'data-testid="roster-import-errors"' in html
    assert '<td class="text-end">3</td><td>班组名称</td>' in html
    assert counts() == before
    resp = client.post(
        reverse("portal:roster_import"),
        {"project": str(world.projects["p1"].pk), "file": SimpleUploadedFile("r.txt", b"hello")},
    )
    assert resp.status_code == 422 and "不是有效的 .xlsx" in resp.content.decode()


def test_r3_portal_page_refuses_other_roles(world, client, as_user):
    assert client.get(reverse("portal:roster_import")).status_code == 302  # to the login page
    assert as_user("gc_pm").get(reverse("portal:roster_import")).status_code == 403
    assert as_user("outsider").get(reverse("portal:roster_import")).status_code == 403


def test_pages_linking_the_export_render(world, as_user):
    client = as_user("gc_labor")
    for url in (
        reverse("portal:project_detail", args=[world.projects["p1"].pk]),
        reverse("portal:workers"),
    ):
        resp = client.get(url)
        assert resp.status_code == 200
        assert EXPORT_URL in resp.content.decode()


def test_issue11_project_template_link_is_there_before_a_project_is_chosen(world, as_user):
    """Issue 11 item 7: the 下载本项目模板 link appeared only after a reload with ?project=; now it is always
    on the page (disabled until a project is chosen) and follows the choice (portal/roster_import.js)."""
    html = as_user("gc_labor").get(reverse("portal:roster_import")).content.decode()
    assert 'data-testid="project-template"' in html and "下载本项目模板" in html
    assert f'data-base="{reverse("api:roster_template")}"' in html
    assert "portal/roster_import.js" in html and "<script>" not in html and 'style="' not in html
    p1 = world.projects["p1"].pk
    chosen = as_user("gc_labor").get(reverse("portal:roster_import") + f"?project={p1}")
    assert f'href="{reverse("api:roster_template")}?project_id={p1}"' in chosen.content.decode()


def test_n5_export_streams_and_a_too_large_one_is_refused_not_cut(world, as_user, monkeypatch):
    client = as_user("city_admin")
    resp = client.get(EXPORT_URL)
    assert resp.status_code == 200 and resp.streaming
    rows = export_rows(download_body(resp))
    assert len(rows) == 4
    monkeypatch.setattr(workbooks, "EXPORT_MAX_ROWS", 3)
    refused = client.get(EXPORT_URL)
    assert refused.status_code == 422 and not refused.streaming
    assert refused.json()["code"] == "roster.export_too_large"
    assert "导出超过3行" in refused.json()["message"]
    assert client.get(f"{EXPORT_URL}?project={world.projects['p1'].pk}").status_code == 200
