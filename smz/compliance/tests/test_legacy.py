"""The old integrity system (issue 13 item 3): the city administrator flags a project and imports its records from
.xlsx or .csv; a file with any invalid row imports nothing; re-importing the same 来源编号 updates, never
duplicates; only the city administrator reads or writes; the records count in the enterprise credit."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from smz.compliance.errors import ComplianceErrorCode
from smz.compliance.models import LegacyIntegrityRecord, LegacySystemProject
from smz.compliance.selectors import today
from smz.compliance.selectors.review import credit_rows
from smz.compliance.services.legacy import legacy_flag, legacy_import, legacy_parse
from smz.testing.errors import refused

HEADER = ["扣分日期", "统一社会信用代码", "扣分事项", "扣分分值", "来源编号", "备注"]


def _csv(rows, header=HEADER, encoding="utf-8-sig") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def _xlsx(rows, header=HEADER) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for r in rows:
        sheet.append(r)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


@pytest.fixture
def flagged(world):
    p1 = world.projects["p1"]
    legacy_flag(actor=world.user("city_admin"), project=p1, attended_since=dt.date(2019, 6, 1))
    return p1


def _rows(world, day="2019-08-12"):
    gc, sub = world.enterprises["gc"].corp_code, world.enterprises["sub"].corp_code
    return [
        [day, gc, "项目经理未按规定到岗", "2", "YX-2019-0001", ""],
        [day, sub, "未按规定建立劳务人员花名册", "1.5", "YX-2019-0002", "原系统截图存档"],
    ]


def test_a_valid_csv_is_imported(world, flagged):
    result = legacy_import(
        actor=world.user("city_admin"), project=flagged, content=_csv(_rows(world)), today=today()
    )
    assert (result.rows, result.created, result.updated) == (2, 2, 0)
    rec = LegacyIntegrityRecord.objects.get(source_ref="YX-2019-0002")
    assert rec.enterprise == world.enterprises["sub"] and rec.points == Decimal("1.5")
    assert rec.day == dt.date(2019, 8, 12) and rec.note == "原系统截图存档"
    assert rec.imported_by == world.user("city_admin") and rec.batch == result.batch


def test_a_valid_xlsx_and_a_gb18030_csv_are_imported(world, flagged):
    admin = world.user("city_admin")
    rows = _rows(world)
    rows[0][0] = dt.date(2019, 8, 12)
    legacy_import(actor=admin, project=flagged, content=_xlsx(rows), today=today())
    assert LegacyIntegrityRecord.objects.count() == 2
    LegacyIntegrityRecord.objects.all().delete()
    legacy_import(
        actor=admin,
        project=flagged,
        content=_csv(_rows(world), encoding="gb18030"),
        today=today(),
    )
    assert (
        LegacyIntegrityRecord.objects.get(source_ref="YX-2019-0001").item == "项目经理未按规定到岗"
    )


def test_re_import_updates_the_same_record(world, flagged):
    admin = world.user("city_admin")
    legacy_import(actor=admin, project=flagged, content=_csv(_rows(world)), today=today())
    rows = _rows(world)
    rows[0][3] = "3"
    result = legacy_import(actor=admin, project=flagged, content=_csv(rows), today=today())
    assert (result.created, result.updated) == (0, 2)
    assert LegacyIntegrityRecord.objects.count() == 2
    assert LegacyIntegrityRecord.objects.get(source_ref="YX-2019-0001").points == Decimal(3)


def test_one_bad_row_rejects_the_whole_file_with_every_error(world, flagged):
    rows = _rows(world)
    rows.append(["2019-13-40", "91442000XXXXXXXXX", "", "-1", "YX-2019-0001", ""])
    rows.append(["2019-08-01", "91442000MA4UUUUUU9", "事项", "101", "YX-2019-0009", ""])
    with refused(ComplianceErrorCode.LEGACY_INVALID_ROWS) as info:
        legacy_import(
            actor=world.user("city_admin"), project=flagged, content=_csv(rows), today=today()
        )
    errors = {(e["row"], e["field"]): e["reason"] for e in info.value.detail["rows"]}
    assert errors[(4, "扣分日期")] == "日期格式应为YYYY-MM-DD"
    assert errors[(4, "统一社会信用代码")] == "统一社会信用代码应为18位字母或数字"
    assert errors[(4, "扣分事项")] == "扣分事项不能为空"
    assert errors[(4, "扣分分值")] == "扣分分值应大于0且不超过100"
    assert errors[(4, "来源编号")] == "与第2行来源编号重复"
    assert errors[(5, "统一社会信用代码")] == "未找到该统一社会信用代码的企业"
    assert errors[(5, "扣分分值")] == "扣分分值应大于0且不超过100"
    assert "未导入任何数据" in info.value.message
    assert not LegacyIntegrityRecord.objects.exists()


def test_a_future_date_and_a_missing_column_are_refused(world, flagged):
    admin = world.user("city_admin")
    rows = _rows(world, day=(today() + dt.timedelta(days=1)).isoformat())
    with refused(ComplianceErrorCode.LEGACY_INVALID_ROWS):
        legacy_import(actor=admin, project=flagged, content=_csv(rows), today=today())
    with refused(ComplianceErrorCode.LEGACY_BAD_HEADER) as info:
        legacy_import(
            actor=admin,
            project=flagged,
            content=_csv([], header=[*HEADER[:3], "来源编号"]),
            today=today(),
        )
    assert "扣分分值" in info.value.message
    with refused(ComplianceErrorCode.LEGACY_EMPTY):
        legacy_import(actor=admin, project=flagged, content=_csv([]), today=today())
    with refused(ComplianceErrorCode.LEGACY_BAD_FILE):
        legacy_import(actor=admin, project=flagged, content=b"PK\x03\x04broken", today=today())


def test_an_unflagged_project_takes_no_records(world):
    with refused(ComplianceErrorCode.LEGACY_NOT_FLAGGED):
        legacy_import(
            actor=world.user("city_admin"),
            project=world.projects["p2"],
            content=_csv(_rows(world)),
            today=today(),
        )


def test_the_flag_needs_a_date_before_the_new_regime(world):
    admin, p1 = world.user("city_admin"), world.projects["p1"]
    with refused(ComplianceErrorCode.LEGACY_FLAG_INVALID) as info:
        legacy_flag(actor=admin, project=p1, attended_since=dt.date(2020, 2, 1))
    assert "attended_since" in info.value.detail["fields"]
    legacy_flag(actor=admin, project=p1, attended_since=dt.date(2020, 1, 31), note="原系统编号 X1")
    assert LegacySystemProject.objects.get(project=p1).recorded_by == admin


@pytest.mark.parametrize("persona", ["city_supervisor", "town_l1", "gc_labor", "worker"])
def test_only_the_city_administrator_writes(world, flagged, persona):
    with refused(ComplianceErrorCode.FORBIDDEN):
        legacy_import(
            actor=world.user(persona), project=flagged, content=_csv(_rows(world)), today=today()
        )
    with refused(ComplianceErrorCode.FORBIDDEN):
        legacy_flag(
            actor=world.user(persona),
            project=world.projects["p2"],
            attended_since=dt.date(2019, 1, 1),
        )
    assert not LegacyIntegrityRecord.objects.exists()
    assert not LegacySystemProject.objects.filter(project=world.projects["p2"]).exists()


@pytest.mark.parametrize("persona", ["city_supervisor", "town_l1", "gc_labor", "worker"])
def test_the_pages_are_the_city_administrators(as_user, world, flagged, persona):
    client = as_user(persona)
    assert client.get("/compliance/legacy/").status_code == 403
    url = f"/compliance/legacy/{flagged.pk}/"
    assert client.get(url).status_code == 403
    upload = SimpleUploadedFile("old.csv", _csv(_rows(world)), "text/csv")
    assert client.post(url, {"form": "import", "file": upload}).status_code == 403
    assert not LegacyIntegrityRecord.objects.exists()


def test_the_city_administrator_flags_uploads_and_lists(as_user, world):
    client = as_user("city_admin")
    p1 = world.projects["p1"]
    r = client.get("/compliance/legacy/", {"code": p1.code})
    assert r.status_code == 302 and r["Location"] == f"/compliance/legacy/{p1.pk}/"
    url = f"/compliance/legacy/{p1.pk}/"
    r = client.post(url, {"form": "flag", "attended_since": "2019-06-01", "note": ""})
    assert r.status_code == 302
    upload = SimpleUploadedFile("old.csv", _csv(_rows(world)), "text/csv")
    r = client.post(url, {"form": "import", "file": upload}, follow=True)
    body = r.content.decode()
    assert "已导入2条记录（新增2条，更新0条）" in body and "YX-2019-0002" in body
    assert "小榄甲住宅项目" in client.get("/compliance/legacy/").content.decode()
    rows = _rows(world)
    rows[1][3] = "abc"
    upload = SimpleUploadedFile("old.csv", _csv(rows), "text/csv")
    r = client.post(url, {"form": "import", "file": upload})
    assert r.status_code == 422
    assert "扣分分值应为数字" in r.content.decode()


def test_legacy_points_count_in_the_credit_within_the_window(world, flagged):
    recent = (today() - dt.timedelta(days=10)).isoformat()
    rows = _rows(world, day=recent)
    rows.append(["2019-08-12", world.enterprises["gc"].corp_code, "旧记录", "5", "YX-OLD", ""])
    legacy_import(
        actor=world.user("city_admin"), project=flagged, content=_csv(rows), today=today()
    )
    points = {r.enterprise.pk: r.points for r in credit_rows()}
    assert points[world.enterprises["gc"].pk] == Decimal(2)  # the 2019 record is outside the window
    assert points[world.enterprises["sub"].pk] == Decimal("1.5")


def test_the_credit_page_explains_the_legacy_points(as_user, world, flagged):
    recent = (today() - dt.timedelta(days=3)).isoformat()
    legacy_import(
        actor=world.user("city_admin"),
        project=flagged,
        content=_csv(_rows(world, day=recent)),
        today=today(),
    )
    body = as_user("gc_labor").get(f"/compliance/credit/{world.enterprises['gc'].pk}/")
    text = body.content.decode()
    assert 'data-testid="legacy-item"' in text and "YX-2019-0001" in text
    assert "YX-2019-0002" not in text  # the subcontractor's record is on its own page


def test_the_template_downloads_and_parses_as_the_import_reads_it(world, client):
    client.force_login(world.user("city_admin"))
    r = client.get(reverse("compliance:legacy_template"))
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(r.content))
    sheet = book["扣分记录"]
    header = [c.value for c in sheet[1]]
    assert header == [
        "扣分日期*",
        "统一社会信用代码*",
        "扣分事项*",
        "扣分分值*",
        "来源编号*",
        "备注",
    ]
    # The header is what the import reads: the example row, pointed at a registered enterprise, parses.
    rows = legacy_parse(r.content, filename="t.xlsx", today=dt.date(2026, 1, 1))
    assert len(rows) == 1 and rows[0].values["source_ref"] == "ZS-CX-2019-0001"
    client.force_login(world.user("gc_admin"))
    assert client.get(reverse("compliance:legacy_template")).status_code == 403
