"""Issue 10 item 8 (N3): every bad input to /api/v1/ is a clear 4xx in the one envelope, never a 500.

One test per server-error class schemathesis found (null into NOT NULL columns, page numbers past 2⁶³, control
characters stored in names that then broke every Excel export), plus strict types, refused limits, the envelope
of ninja's own errors, exit dates in the future, and the OpenAPI declaring every error status it answers.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from config.api import api
from smz.core.xlsx import safe_cell, safe_row
from smz.registry.models import Employment, Team, Worker
from smz.registry.services import WorkerData, worker_data_errors
from smz.registry.synthetic import synthetic_id_number
from smz.testing.downloads import download_body

API = "/api/v1"


def _post(client, path: str, body, **extra):
    return client.post(API + path, body, content_type="application/json", **extra)


def _patch(client, path: str, body, **extra):
    return client.patch(API + path, body, content_type="application/json", **extra)


def _envelope(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content.decode()
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"code", "message", "detail"}, body
    assert body["code"] == code, body
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["message"]), body  # a Chinese message
    assert isinstance(body["detail"], dict), body
    return body


def _fields(response) -> dict[str, str]:
    return _envelope(response, 422, "validation_error")["detail"]["fields"]


# --- nulls the schema allowed into NOT NULL columns (were 500 IntegrityError) ----------------------


def test_item8_team_name_null_is_422_not_500(as_user, world):
    team = world.teams["gc"]
    fields = _fields(_patch(as_user("gc_labor"), f"/teams/{team.pk}", {"name": None}))
    assert "name" in fields
    team.refresh_from_db()
    assert team.name == "甲钢筋班"


@pytest.mark.parametrize("field", ["responsible_name", "responsible_phone", "remark"])
def test_item8_team_text_null_is_422(as_user, world, field):
    response = _patch(as_user("gc_labor"), f"/teams/{world.teams['gc'].pk}", {field: None})
    assert field in _fields(response)


def test_item8_team_dates_may_still_be_cleared_with_null(as_user, world):
    team = world.teams["gc"]
    Team.objects.filter(pk=team.pk).update(exit_on=dt.date(2024, 6, 1))
    response = _patch(as_user("gc_labor"), f"/teams/{team.pk}", {"exit_on": None})
    assert response.status_code == 200, response.content
    team.refresh_from_db()
    assert team.exit_on is None


@pytest.mark.parametrize("field", ["is_team_leader", "work_type", "work_role"])
def test_item8_employment_not_null_fields_null_is_422(as_user, world, field):
    employment = world.employments["gc"]
    response = _patch(as_user("gc_labor"), f"/employments/{employment.pk}", {field: None})
    assert field in _fields(response)
    employment.refresh_from_db()
    assert employment.is_team_leader is False


def test_item8_team_rename_to_an_existing_name_is_409_not_500(as_user, world):
    Team.objects.create(
        project=world.projects["p1"], enterprise=world.enterprises["gc"], name="甲木工班"
    )
    response = _patch(as_user("gc_labor"), f"/teams/{world.teams['gc'].pk}", {"name": "甲木工班"})
    assert _envelope(response, 409, "registry.team_exists")["detail"]["fields"] == {
        "name": "班组名称重复"
    }


# --- page numbers and sizes: bounded, refused not cut --------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "page=9223372036854775808",  # 2**63: was a 500 (OFFSET overflow)
        "page=99999999999999999999",
        "page=0",
        "page=-1",
        "page_size=501",  # was silently clamped to 500
        "page_size=0",
        "page=true",
    ],
)
def test_item8_page_limits_are_refused(as_user, query):
    fields = _fields(as_user("gc_labor").get(f"{API}/teams?{query}"))
    assert set(fields) == {query.split("=")[0]}


def test_item8_largest_page_size_still_answers(as_user):
    response = as_user("gc_labor").get(f"{API}/employments?page_size=500&page=1000000")
    assert response.status_code == 200, response.content
    assert response.json()["items"] == []


@pytest.mark.parametrize(
    "path",
    ["/teams?project=99999999999999999999", "/employments?team=-3", "/employments?project=x"],
)
def test_item8_query_ids_are_bounded(as_user, path):
    assert _fields(as_user("gc_labor").get(API + path))


# --- strict types: `true` is not an int, "5" is not 5 ---------------------------------------------


def _team_body(world, **changes):
    return {
        "project_id": world.projects["p1"].pk,
        "corp_code": world.enterprises["gc"].corp_code,
        "name": "甲新班",
        **changes,
    }


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"project_id": True}, "project_id"),
        ({"project_id": "1"}, "project_id"),
        ({"project_id": 1.0}, "project_id"),
        ({"project_id": 2**63}, "project_id"),
        ({"project_id": 0}, "project_id"),
        ({"name": 5}, "name"),
        ({"name": "班" * 61}, "name"),  # refused, never cut to 60
        ({"entry_on": 1700000000}, "entry_on"),  # a Unix time is not a date
        ({"entry_on": "2024-02-30"}, "entry_on"),
        ({"entry_on": "9999-12-31"}, "entry_on"),
        ({"entry_on": "2024-01-01T00:00:00"}, "entry_on"),
    ],
)
def test_item8_strict_types_in_bodies(as_user, world, changes, field):
    response = _post(as_user("gc_labor"), "/teams", _team_body(world, **changes))
    assert field in _fields(response)
    assert not Team.objects.filter(name="甲新班").exists()


@pytest.mark.parametrize("value", [1, "true", "是"])
def test_item8_booleans_are_json_booleans(as_user, world, value):
    response = _patch(
        as_user("gc_labor"),
        f"/employments/{world.employments['gc'].pk}",
        {"is_team_leader": value},
    )
    assert "is_team_leader" in _fields(response)


# --- control characters: refused at input, survived at output --------------------------------------


@pytest.mark.parametrize(
    "bad", ["甲\x01班", "甲\x00班", "甲\n班", "甲\x7f班", "甲\x9b班", "甲\ud800班"]
)
def test_item8_control_characters_in_team_name_are_refused(as_user, world, bad):
    client = as_user("gc_labor")
    before = sorted(Team.objects.values_list("name", flat=True))
    assert "name" in _fields(_post(client, "/teams", _team_body(world, name=bad)))
    assert "name" in _fields(_patch(client, f"/teams/{world.teams['gc'].pk}", {"name": bad}))
    assert sorted(Team.objects.values_list("name", flat=True)) == before


def test_item8_remark_keeps_line_breaks_but_not_other_controls(as_user, world):
    client = as_user("gc_labor")
    path = f"/teams/{world.teams['gc'].pk}"
    assert _patch(client, path, {"remark": "第一行\n第二行"}).status_code == 200
    assert "remark" in _fields(_patch(client, path, {"remark": "响铃\x07"}))


def test_item8_control_characters_in_worker_name_are_refused(as_user):
    body = {
        "id_number": synthetic_id_number(birth=dt.date(1990, 6, 1), seq=77, male=True),
        "name": "张\x0b三",
    }
    assert "name" in _fields(_post(as_user("gc_labor"), "/workers", body))
    assert not Worker.objects.filter(name__startswith="张").exists()


def test_item8_control_characters_refused_by_the_service_for_pages_and_files():
    data = WorkerData(
        id_card_type="01",
        id_number=synthetic_id_number(birth=dt.date(1990, 6, 1), seq=78, male=True),
        name="李\x1f四",
        address="中山市\x00小榄镇",
    )
    errors = worker_data_errors(data)
    assert set(errors) >= {"name", "address"}


def test_item8_legacy_poisoned_names_still_export(as_user, world):
    """A name stored before the check (or by a page) no longer breaks the export and template for everyone."""
    Worker.objects.filter(pk=world.workers["gc"].pk).update(name="测试\x01甲工")
    Team.objects.filter(pk=world.teams["gc"].pk).update(name="甲\x08钢筋班")
    client = as_user("gc_labor")

    export = client.get(f"{API}/employments/export.xlsx?project={world.projects['p1'].pk}")
    assert export.status_code == 200, export.content[:300]
    values = {
        c.value
        for row in load_workbook(io.BytesIO(download_body(export))).active.iter_rows()
        for c in row
    }
    assert {"测试\ufffd甲工", "甲\ufffd钢筋班"} <= values  # the bad character shows as U+FFFD

    template = client.get(f"{API}/roster/template.xlsx?project_id={world.projects['p1'].pk}")
    assert template.status_code == 200, template.content[:300]
    codes = load_workbook(io.BytesIO(template.content)).worksheets[1]
    assert "甲\ufffd钢筋班" in {c.value for row in codes.iter_rows() for c in row}


def test_item8_cell_value_replaces_only_what_xml_cannot_carry():
    assert safe_cell("甲\x00\x01\x0b班\t\n") == "甲\ufffd\ufffd\ufffd班\t\n"
    row = safe_row(["a\x02", 5, None, dt.date(2024, 1, 1)])
    assert row == ["a\ufffd", 5, None, dt.date(2024, 1, 1)]


# --- exit dates ----------------------------------------------------------------------------------


@pytest.mark.parametrize("days_ahead", [1, 365 * 50])
def test_item8_exit_date_in_the_future_is_refused(as_user, world, days_ahead):
    employment = world.employments["gc"]
    exit_on = timezone.localdate() + dt.timedelta(days=days_ahead)
    response = _post(
        as_user("gc_labor"), f"/employments/{employment.pk}/exit", {"exit_on": f"{exit_on}"}
    )
    assert _fields(response) == {"exit_on": "退场日期不能晚于今天"}
    employment.refresh_from_db()
    assert employment.status == Employment.Status.ACTIVE


def test_item8_exit_today_is_registered(as_user, world):
    employment = world.employments["gc"]
    response = _post(
        as_user("gc_labor"),
        f"/employments/{employment.pk}/exit",
        {"exit_on": f"{timezone.localdate()}"},
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == Employment.Status.EXITED


# --- one envelope, ninja's own errors included -----------------------------------------------------


def test_item8_ninja_validation_error_is_the_envelope(as_user, world):
    response = _post(as_user("gc_labor"), "/teams", {"project_id": "x"})
    body = _envelope(response, 422, "validation_error")
    assert body["message"] == "提交的数据格式有误"
    assert body["detail"] == {
        "fields": {"project_id": "应为整数", "corp_code": "必填", "name": "必填"}
    }


def test_item8_unparseable_body_is_the_envelope(as_user, world):
    client = as_user("gc_labor")
    _envelope(_post(client, "/teams", "{bad"), 400, "bad_request")
    _envelope(_patch(client, f"/teams/{world.teams['gc'].pk}", b"\xff\x00"), 400, "bad_request")


@pytest.mark.parametrize("path", ["/projects/abc", "/no-such-endpoint", "/teams/1/x"])
def test_item8_unknown_api_url_is_the_envelope(as_user, path):
    _envelope(as_user("gc_labor").get(API + path), 404, "not_found")


# --- the OpenAPI declares what the API answers ----------------------------------------------------


def test_item8_openapi_declares_the_error_envelope_for_every_operation():
    schema = api.get_openapi_schema(path_prefix="/api/v1/")
    envelope = {"$ref": "#/components/schemas/ErrorOut"}
    assert set(schema["components"]["schemas"]["ErrorOut"]["properties"]) == {
        "code",
        "message",
        "detail",
    }
    for path, methods in schema["paths"].items():
        for method, op in methods.items():
            declared = {int(s) for s in op["responses"]}
            errors = {s for s in declared if s >= 400}
            where = f"{method.upper()} {path}"
            if op.get("security"):
                assert 401 in errors, where
            if op.get("parameters") or op.get("requestBody"):
                assert errors & {404, 422}, where
            if op.get("requestBody"):
                assert {400, 422} <= errors, where
            for status in errors:
                content = op["responses"][str(status) if str(status) in op["responses"] else status]
                assert content["content"]["application/json"]["schema"] == envelope, where
