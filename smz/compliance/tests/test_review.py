"""Review of deductions, appeals and enterprise credit (issue 13 items 4–6): two levels on the routed authority,
an appeal that wins is a reversal and the grade follows, every page scoped."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from smz.compliance.errors import ComplianceErrorCode
from smz.compliance.models import Appeal, Deduction, DeductionReversal
from smz.compliance.selectors import review as sel
from smz.compliance.services import review as svc
from smz.core.errors import CoreErrorCode
from smz.notifications.models import Notification
from smz.registry.models import Authority
from smz.testing.approvals import PDF
from smz.testing.compliance import confirmed, violation
from smz.testing.downloads import download_body
from smz.testing.errors import refused


@pytest.fixture
def day():
    return sel.today() - dt.timedelta(days=3)


def test_issue13_4_propose_is_idempotent_and_routed(world, day):
    v1 = violation(world, day=day)
    violation(world, day=day, subject="post:S01", enterprise="sup")
    violation(world, day=day, subject="post:P04", counted=False)
    violation(world, day=day - dt.timedelta(days=40))  # outside the range
    first = svc.deductions_propose(day, day)
    again = svc.deductions_propose(day, day)
    assert (first.created, first.existing) == (2, 0)
    assert (again.created, again.existing) == (0, 2)
    d = Deduction.objects.get(violation=v1)
    assert d.state == Deduction.State.PROPOSED
    assert d.points == v1.points and d.enterprise == world.enterprises["gc"]
    assert d.authority == Authority.objects.get(name="小榄镇住房城乡建设部门")


def test_issue13_4_two_levels_on_the_routed_authority(world, day):
    svc.deductions_propose(*(2 * [violation(world, day=day).day]))
    d = Deduction.objects.get()
    with refused(ComplianceErrorCode.FORBIDDEN):
        svc.deduction_act(actor=world.user("neighbour_town"), deduction=d, action="review")
    with refused(ComplianceErrorCode.FORBIDDEN):
        svc.deduction_act(actor=world.user("town_l2"), deduction=d, action="review")
    with refused(ComplianceErrorCode.FORBIDDEN):
        svc.deduction_act(actor=world.user("gc_admin"), deduction=d, action="confirm")
    with refused(ComplianceErrorCode.INVALID_TRANSITION):
        svc.deduction_act(actor=world.user("town_l2"), deduction=d, action="confirm")
    d = svc.deduction_act(actor=world.user("town_l1"), deduction=d, action="review", note="属实")
    assert d.state == Deduction.State.REVIEWED and d.note == "属实"
    with refused(ComplianceErrorCode.FORBIDDEN):
        svc.deduction_act(actor=world.user("town_l1"), deduction=d, action="confirm")
    d = svc.deduction_act(actor=world.user("town_l2"), deduction=d, action="confirm")
    assert d.state == Deduction.State.CONFIRMED
    assert d.appeal_until == sel.today() + dt.timedelta(days=15)
    notified = set(Notification.objects.values_list("user__username", flat=True))
    assert {"gc_admin", "gc_labor"} <= notified and "sub_labor" not in notified
    with refused(ComplianceErrorCode.INVALID_TRANSITION):
        svc.deduction_act(actor=world.user("town_l2"), deduction=d, action="dismiss", note="x")


def test_issue13_4_dismissal_needs_a_reason_and_appeal_window_is_a_setting(world, day, settings):
    settings.SMZ_APPEAL_WINDOW_DAYS = 7
    a, b = violation(world, day=day), violation(world, day=day, subject="post:P04")
    svc.deductions_propose(day, day)
    rows = list(Deduction.objects.order_by("pk"))
    result = svc.deductions_act(actor=world.user("town_l1"), deductions=rows, action="review")
    assert sorted(result.done) == [r.pk for r in rows]
    with refused(ComplianceErrorCode.NOTE_REQUIRED):
        svc.deduction_act(actor=world.user("town_l2"), deduction=rows[0], action="dismiss")
    svc.deduction_act(
        actor=world.user("town_l2"), deduction=rows[0], action="dismiss", note="设备故障"
    )
    d = svc.deduction_act(actor=world.user("town_l2"), deduction=rows[1], action="confirm")
    assert d.appeal_until == sel.today() + dt.timedelta(days=7)
    assert {a.deduction.state, b.deduction.state} == {"dismissed", "confirmed"}


def test_issue13_5_appeal_wins_reversal_and_grade_follows(world, day):
    v = violation(world, day=day, rule="C-DEV-OFFSITE", subject="device:1")  # 11 points
    d = confirmed(world, v)
    row = {r.enterprise.pk: r for r in sel.credit_rows()}[world.enterprises["gc"].pk]
    assert (row.score, row.grade) == (Decimal(89), "B")
    with refused(ComplianceErrorCode.FORBIDDEN):
        svc.appeal_file(actor=world.user("sub_labor"), deduction=d, text="x", files=[])
    with refused(ComplianceErrorCode.APPEAL_TEXT):
        svc.appeal_file(actor=world.user("gc_labor"), deduction=d, text=" ", files=[])
    appeal = svc.appeal_file(
        actor=world.user("gc_labor"),
        deduction=d,
        text="设备当日在场内，定位漂移",
        files=[(PDF, "定位记录.pdf")],
    )
    assert appeal.attachments.count() == 1
    with refused(ComplianceErrorCode.APPEAL_CLOSED):  # one open appeal at a time
        svc.appeal_file(actor=world.user("gc_admin"), deduction=d, text="再次", files=[])
    with refused(ComplianceErrorCode.FORBIDDEN):  # the one who confirmed does not judge the appeal
        svc.appeal_decide(actor=world.user("town_l2"), appeal=appeal, reverse_it=True, decision="x")
    with refused(ComplianceErrorCode.FORBIDDEN):
        svc.appeal_decide(
            actor=world.user("neighbour_town"), appeal=appeal, reverse_it=True, decision="x"
        )
    svc.appeal_decide(
        actor=world.user("town_l1"), appeal=appeal, reverse_it=True, decision="核实定位漂移"
    )
    appeal.refresh_from_db()
    assert appeal.state == Appeal.State.REVERSED
    reversal = DeductionReversal.objects.get(deduction=d)
    assert reversal.appeal == appeal and Deduction.objects.filter(pk=d.pk).exists()
    row = {r.enterprise.pk: r for r in sel.credit_rows()}[world.enterprises["gc"].pk]
    assert (row.score, row.grade) == (Decimal(100), "A")
    with refused(ComplianceErrorCode.APPEAL_CLOSED):  # reversed: nothing left to appeal
        svc.appeal_file(actor=world.user("gc_labor"), deduction=d, text="x", files=[])


def test_issue13_5_appeal_window_closes_and_upheld(world, day, settings):
    d = confirmed(world, violation(world, day=day))
    assert sel.appeal_refusal(world.user("gc_labor"), d, day=d.appeal_until) == ""
    assert sel.appeal_refusal(world.user("gc_labor"), d, day=d.appeal_until + dt.timedelta(days=1))
    appeal = svc.appeal_file(actor=world.user("gc_admin"), deduction=d, text="理由", files=[])
    svc.appeal_decide(
        actor=world.user("town_l1"), appeal=appeal, reverse_it=False, decision="证据不足"
    )
    assert not DeductionReversal.objects.exists()
    with refused(ComplianceErrorCode.APPEAL_DECIDED):
        svc.appeal_decide(actor=world.user("town_l1"), appeal=appeal, reverse_it=True, decision="x")


def test_issue13_5_attachment_type_is_checked(world, day):
    d = confirmed(world, violation(world, day=day))
    with refused(CoreErrorCode.UPLOAD_TYPE):
        svc.appeal_file(
            actor=world.user("gc_labor"), deduction=d, text="x", files=[(b"<html>", "a.pdf")]
        )
    assert not Appeal.objects.exists()


def test_issue13_6_grades_and_window_are_data():
    table = sel.credit_table()
    assert [g["grade"] for g in table["grades"]] == ["A", "B", "C", "D"]
    assert table["base"] == 100 and table["window_days"] == 365
    assert sel.grade_for(Decimal(90))[0] == "A"
    assert sel.grade_for(Decimal("89.5"))[0] == "B"
    assert sel.grade_for(Decimal(75))[0] == "B"
    assert sel.grade_for(Decimal(60))[0] == "C"
    assert sel.grade_for(Decimal(59))[0] == "D"
    assert sel.score_of(Decimal(130)) == 0


def test_issue13_6_rolling_window(world, day):
    old = sel.today() - dt.timedelta(days=365)
    confirmed(world, violation(world, day=old, rule="C-DEV-OFFSITE", subject="device:1"))
    confirmed(world, violation(world, day=day, rule="C-KP-VACANT"))
    gc = world.enterprises["gc"].pk
    assert {r.enterprise.pk: r for r in sel.credit_rows()}[gc].score == 98
    older_view = sel.credit_rows(as_of=old)
    assert {r.enterprise.pk: r for r in older_view}[gc].score == 89


# ---- pages and scoping ------------------------------------------------------------------------------


def test_issue13_4_queue_page_and_batch(world, day, as_user):
    violation(world, day=day)
    violation(world, day=day, subject="post:P04")
    svc.deductions_propose(day, day)
    ids = list(Deduction.objects.values_list("pk", flat=True))
    client = as_user("town_l1")
    page = client.get("/compliance/deductions/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "批量：一级审核通过" in body and "小榄甲住宅项目" in body
    client.post("/compliance/deductions/act/", {"ids": ids, "action": "review", "note": "属实"})
    assert set(Deduction.objects.values_list("state", flat=True)) == {"reviewed"}
    # the neighbouring town sees none of them and changes nothing
    other = as_user("neighbour_town")
    assert "小榄甲住宅项目" not in other.get("/compliance/deductions/?state=all").content.decode()
    other.post("/compliance/deductions/act/", {"ids": ids, "action": "review"})
    assert set(Deduction.objects.values_list("state", flat=True)) == {"reviewed"}


def test_issue13_4_deduction_page_shows_evidence_and_is_scoped(world, day, as_user):
    v = violation(world, day=day, evidence={"approval": [7], "text": "岗位空缺"})
    d = confirmed(world, v)
    body = as_user("gc_labor").get(f"/compliance/deductions/{d.pk}/").content.decode()
    assert "岗位空缺" in body and 'href="/approvals/7/"' in body and "审批申请及材料" in body
    assert f"/compliance/deductions/{d.pk}/appeal/" in body
    for persona in ("sub_labor", "neighbour_town", "neighbour_labor", "worker"):
        assert as_user(persona).get(f"/compliance/deductions/{d.pk}/").status_code in (403, 404)
    assert as_user("city_supervisor").get(f"/compliance/deductions/{d.pk}/").status_code == 200


def test_issue13_5_appeal_pages(world, day, as_user):
    d = confirmed(world, violation(world, day=day))
    client = as_user("gc_labor")
    response = client.post(
        f"/compliance/deductions/{d.pk}/appeal/",
        {"text": "当日在岗，考勤机故障", "file": SimpleUploadedFile("说明.pdf", PDF)},
    )
    appeal = Appeal.objects.get()
    assert (
        response.status_code == 302 and response["Location"] == f"/compliance/appeals/{appeal.pk}/"
    )
    body = client.get(f"/compliance/appeals/{appeal.pk}/").content.decode()
    assert "当日在岗" in body and "说明.pdf" in body
    file_pk = appeal.attachments.get().pk
    assert client.get(f"/compliance/appeal-files/{file_pk}/").status_code == 200
    assert as_user("neighbour_labor").get(f"/compliance/appeal-files/{file_pk}/").status_code == 404
    l1 = as_user("town_l1")
    assert "申诉成立，撤销扣分" in l1.get(f"/compliance/appeals/{appeal.pk}/").content.decode()
    l1.post(f"/compliance/appeals/{appeal.pk}/", {"outcome": "reverse", "decision": "属实"})
    assert DeductionReversal.objects.filter(deduction=d).exists()


def test_issue13_6_credit_pages_and_export(world, day, as_user):
    d = confirmed(world, violation(world, day=day, rule="C-DEV-OFFSITE", subject="device:1"))
    gc = world.enterprises["gc"]
    body = as_user("gc_labor").get(f"/compliance/credit/{gc.pk}/").content.decode()
    assert "89" in body and f"/compliance/deductions/{d.pk}/" in body and "B 良" in body
    assert as_user("sub_labor").get(f"/compliance/credit/{gc.pk}/").status_code == 404
    assert as_user("worker").get(f"/compliance/credit/{gc.pk}/").status_code == 403
    # another town's approver sees the score, not the items of a project outside its jurisdiction
    other = as_user("neighbour_town").get(f"/compliance/credit/{gc.pk}/").content.decode()
    assert f"/compliance/deductions/{d.pk}/" not in other and "本辖区以外项目的扣分" in other
    listing = as_user("sub_labor").get("/compliance/credit/").content.decode()
    assert gc.name in listing
    response = as_user("town_l1").get("/compliance/credit/export.xlsx")
    sheet = load_workbook(io.BytesIO(download_body(response))).active
    rows = {r[0]: r for r in sheet.iter_rows(min_row=3, values_only=True)}
    assert rows[gc.name][3:] == (89, "B")


def test_issue13_4_propose_command_notifies_level_one(world, day):
    from django.core.management import call_command

    violation(world, day=day)
    out = io.StringIO()
    call_command("compliance_propose", "--from", str(day), "--to", str(day), stdout=out)
    call_command("compliance_propose", "--from", str(day), "--to", str(day), stdout=out)
    assert (
        "新生成拟扣分 1 条" in out.getvalue() and "新生成拟扣分 0 条，已存在 1 条" in out.getvalue()
    )
    titles = list(Notification.objects.values_list("user__username", "title"))
    assert [u for u, t in titles if "待一级审核扣分 1 条" in t] == ["town_l1"]


def test_the_builder_reads_the_public_list_but_no_enterprise_detail(world, client):
    client.force_login(world.user("builder"))
    listing = client.get(reverse("compliance:credit_list"))
    assert listing.status_code == 200 and "甲建设集团有限公司".encode() in listing.content
    detail = client.get(reverse("compliance:credit", args=[world.enterprises["gc"].pk]))
    assert detail.status_code == 403
