"""The rules pages: the city administrator reads and makes versions; the city supervisor, the authorities and
enterprise staff read; workers are refused; a refused write changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from smz.compliance import selectors
from smz.compliance.models import DeductionRuleVersion

LIST = "/compliance/rules/"
DETAIL = "/compliance/rules/C-KP-ABSENT/"


def _form(**kw):
    return {
        "points": "1.5",
        "per_day_cap": "3",
        "per_month_cap": "20",
        "responsible": "post_owner",
        "evidence": ["key_post_day", "key_post", "pass"],
        "enabled": "on",
        "effective_from": selectors.today().isoformat(),
        "effective_to": "",
        "reason": "市建筑市场监管科复核后调整",
    } | kw


def test_the_city_administrator_sees_the_table_and_the_regimes(
    as_user, rules, django_assert_max_num_queries
):
    client = as_user("city_admin")
    with django_assert_max_num_queries(12):
        r = client.get(LIST)
    page = r.content.decode()
    assert r.status_code == 200
    for text in (
        "C-KP-ABSENT",
        "关键岗位人员缺勤",
        "C-DEV-OFFSITE",
        "C-CAM-ENTRANCE",  # enabled since the video go-live (issue 16): no rule is 暂不启用 now
        "试运行期",
        "2020-01-31",
    ):
        assert text in page
    assert 'href="/compliance/rules/C-KP-ABSENT/"' in page
    assert "/guide/compliance/deductions/" in page


def test_the_detail_shows_the_history_and_the_form(as_user, rules):
    r = as_user("city_admin").get(DETAIL)
    page = r.content.decode()
    assert r.status_code == 200
    assert "版本历史" in page and "初始载入" in page and "系统载入" in page
    assert 'data-testid="superseded"' not in page
    assert 'data-testid="new-version"' in page
    assert f'min="{selectors.today():%Y-%m-%d}"' in page


def test_a_new_version_from_the_form(as_user, rules, world):
    client = as_user("city_admin")
    r = client.post(DETAIL, _form())
    assert r.status_code == 302 and r["Location"] == DETAIL
    v2 = DeductionRuleVersion.objects.get(rule__code="C-KP-ABSENT", number=2)
    assert str(v2.points) == "1.5" and v2.changed_by == world.user("city_admin")
    page = client.get(DETAIL).content.decode()
    assert "已新建 C-KP-ABSENT 第 2 版" in page and "市建筑市场监管科复核后调整" in page
    assert f"{selectors.today():%Y-%m-%d} 起由第 2 版取代" in page


def test_a_bad_form_is_answered_with_the_fields_and_kept(as_user, rules):
    yesterday = selectors.today() - dt.timedelta(days=1)
    r = as_user("city_admin").post(
        DETAIL, _form(reason="", points="abc", effective_from=yesterday.isoformat())
    )
    page = r.content.decode()
    assert r.status_code == 422
    assert "请填写变更原因" in page and "请填写数字" in page and "生效日期不能早于今天" in page
    assert 'value="abc"' in page
    assert not DeductionRuleVersion.objects.filter(number=2).exists()


def test_a_parameter_from_the_form(as_user, rules):
    client = as_user("city_admin")
    r = client.post("/compliance/rules/C-DOCK-SILENT/", _form(param_days="5"))
    assert r.status_code == 302
    assert DeductionRuleVersion.objects.get(rule__code="C-DOCK-SILENT", number=2).params == {
        "days": 5
    }
    r = client.post("/compliance/rules/C-DOCK-SILENT/", _form(param_days="五"))
    assert r.status_code == 422 and "参数应为" in r.content.decode()


@pytest.mark.parametrize("persona", ["city_supervisor", "town_l1", "gc_labor", "sup_manager"])
def test_readers_see_no_form_and_cannot_write(as_user, rules, persona):
    client = as_user(persona)
    assert client.get(LIST).status_code == 200
    r = client.get(DETAIL)
    assert r.status_code == 200 and 'data-testid="new-version"' not in r.content.decode()
    assert client.post(DETAIL, _form()).status_code == 403
    assert not DeductionRuleVersion.objects.filter(number=2).exists()


@pytest.mark.parametrize("persona", ["worker", "outsider"])
def test_workers_and_accounts_without_a_role_are_refused(as_user, rules, persona):
    client = as_user(persona)
    assert client.get(LIST).status_code == 403
    assert client.get(DETAIL).status_code == 403
    assert client.post(DETAIL, _form()).status_code == 403


def test_anonymous_visitors_log_in(client, rules):
    r = client.get(LIST)
    assert r.status_code == 302 and r["Location"].startswith("/login/")


def test_an_unknown_rule_is_not_found(as_user, rules):
    assert as_user("city_admin").get("/compliance/rules/C-NOPE/").status_code == 404


def test_the_menu_links_the_table_for_the_authorities(as_user, rules):
    assert 'href="/compliance/rules/"' in as_user("city_supervisor").get("/").content.decode()
    assert 'href="/compliance/rules/"' not in as_user("gc_labor").get("/").content.decode()


def test_the_deduction_document_is_served_in_the_portal(as_user):
    """docs/compliance/deductions.md is linked from the rules page: staff read it (page and PDF), a worker not."""
    client = as_user("gc_labor")
    page = client.get("/guide/compliance/deductions/").content.decode()
    assert "不良行为扣分标准（附件6）" in page and 'id="c-kp-absent"' in page
    assert 'href="#c-kp-absent"' in page
    pdf = client.get("/guide/compliance/deductions.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert as_user("worker").get("/guide/compliance/deductions/").status_code in (403, 404)
