"""Labor pages through the Django client: the project hub, contracts, payroll editing and submission, the
GC's review, the bank file out and the bank's result in, the worker's own page; neighbours refused."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from smz.labor.models import LaborContract, PaymentBatch, Payroll
from smz.testing.approvals import PDF
from smz.testing.downloads import download_body
from smz.testing.labor import MONTH, attend, contract, draft, submitted


@pytest.fixture
def month(world):
    attend(world, "sub", 18)
    contract(world, "sub", rate="280", actor="sub_labor")
    return world


def test_r_l2_month_from_attendance_to_paid_through_the_pages(month, as_user):
    p1 = month.projects["p1"]
    sub = as_user("sub_labor")
    hub = sub.get(reverse("labor:project", args=[p1.pk])).content.decode()
    assert "按考勤生成" in hub and "测试乙工" in hub
    resp = sub.post(
        reverse("labor:project", args=[p1.pk]),
        {"form": "draft", "employer": month.enterprises["sub"].pk, "month": f"{MONTH:%Y-%m}"},
    )
    payroll = Payroll.objects.get(project=p1)
    assert resp.url == reverse("labor:payroll", args=[payroll.pk])
    page = sub.get(resp.url).content.decode()
    assert "工人尚未确认" in page and "5,040.00" in page  # 18 × 280
    worker = as_user("worker")
    mine = worker.get(reverse("labor:my_wages")).content.decode()
    assert "5,040.00" in mine and "核对无误，确认" in mine
    line = payroll.lines.get()
    worker.post(reverse("labor:my_wages"), {"line": line.pk})
    sub = as_user("sub_labor")
    sub.post(reverse("labor:payroll_act", args=[payroll.pk]), {"action": "submit"})
    payroll.refresh_from_db()
    assert payroll.state == Payroll.State.SUBMITTED
    gc = as_user("gc_labor")
    gc.post(reverse("labor:payroll_act", args=[payroll.pk]), {"action": "review"})
    gc.post(
        reverse("labor:project", args=[p1.pk]),
        {
            "form": "account",
            "bank_code": "102",
            "bank_name": "中国工商银行中山小榄支行",
            "account_name": "甲建设集团有限公司农民工工资专用账户",
            "account_no": "2011002109200012345",
            "opened_on": "2024-02-01",
        },
    )
    gc.post(reverse("labor:batch_export", args=[p1.pk]))
    batch = PaymentBatch.objects.get(project=p1)
    csv = gc.get(reverse("labor:batch", args=[batch.pk]) + "?download=csv")
    assert csv.status_code == 200 and b"6222020200112233445" in download_body(csv)
    ref = batch.lines.get().line_ref
    result = f"明细编号,处理结果,金额,银行流水号,失败原因,处理日期\r\n{ref},成功,5040.00,B9,,2026-11-09\r\n"
    page = gc.post(
        reverse("labor:batch", args=[batch.pk]),
        {
            "form": "result",
            "file": SimpleUploadedFile("result.csv", result.encode("gbk"), "text/csv"),
        },
        follow=True,
    ).content.decode()
    assert "成功 1 笔" in page
    payroll.refresh_from_db()
    assert payroll.state == Payroll.State.PAID
    slip = as_user("worker").get(reverse("labor:pay_slip", args=[line.pk]))
    assert slip.status_code == 200 and slip.content.startswith(b"%PDF")


def test_r_l1_contract_pages(month, as_user):
    e = month.employments["gc"]
    gc = as_user("gc_labor")
    form = {
        "period_type": "task",
        "start_on": "2026-03-01",
        "task_description": "3#楼主体钢筋绑扎",
        "wage_kind": "daily",
        "rate_yuan": "320",
        "pay_day": "10",
    }
    resp = gc.post(reverse("labor:contract_new", args=[e.pk]), form)
    c = LaborContract.objects.get(employment=e)
    assert resp.url == reverse("labor:contract", args=[c.pk])
    pdf = gc.get(reverse("labor:contract_file", args=[c.pk, "pdf"]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    gc.post(
        reverse("labor:contract", args=[c.pk]),
        {"file": SimpleUploadedFile("signed.pdf", PDF, "application/pdf")},
    )
    c.refresh_from_db()
    assert c.signed_scan
    bad = gc.post(reverse("labor:contract_new", args=[e.pk]), form | {"rate_yuan": "abc"})
    assert "工资标准应为" in bad.content.decode()


@pytest.mark.parametrize("who", ["neighbour_labor", "neighbour_town", "outsider"])
def test_r_p3_neighbours_refused_on_labor_pages(month, as_user, who):
    p1 = month.projects["p1"]

    payroll_id = draft(month).pk
    c = as_user(who)
    for url in (
        reverse("labor:project", args=[p1.pk]),
        reverse("labor:payroll", args=[payroll_id]),
        reverse("labor:contract", args=[LaborContract.objects.get().pk]),
        reverse("labor:pay_slip", args=[Payroll.objects.get().lines.get().pk]),
    ):
        assert c.get(url).status_code in (302, 403, 404), url
    c.post(reverse("labor:payroll_act", args=[payroll_id]), {"action": "submit"})
    assert Payroll.objects.get().state == Payroll.State.DRAFT


def test_r_p3_subcontractor_cannot_review_or_download_bank_files(month, as_user):

    p1 = month.projects["p1"]
    payroll = submitted(month)
    sub = as_user("sub_labor")
    sub.post(reverse("labor:payroll_act", args=[payroll.pk]), {"action": "review"})
    payroll.refresh_from_db()
    assert payroll.state == Payroll.State.SUBMITTED
    assert (
        "总包审核通过" not in sub.get(reverse("labor:payroll", args=[payroll.pk])).content.decode()
    )
    other = as_user("worker")
    assert other.get(reverse("labor:payroll", args=[payroll.pk])).status_code in (302, 403, 404)
    assert other.get(reverse("labor:project", args=[p1.pk])).status_code == 404


def test_n2_worker_reads_his_attendance_month_by_month(month, as_user):
    """His latest month by default, whatever today is; another of his months on request; someone else's
    days never (the neighbour's worker attends on p2 in November, and the "worker" persona is not him)."""
    from smz.attendance.models import DailyAttendance

    sub = month.employments["sub"]
    DailyAttendance.objects.create(
        project=sub.project,
        worker=sub.worker,
        work_date=dt.date(2026, 9, 30),
        attended=False,
        minutes=0,
        invalid_passes=2,
    )
    neighbour = month.employments["neighbour"]
    DailyAttendance.objects.create(
        project=neighbour.project,
        worker=neighbour.worker,
        work_date=dt.date(2026, 11, 2),
        attended=True,
        minutes=480,
    )
    worker = as_user("worker")
    page = worker.get(reverse("labor:my_wages")).content.decode()
    assert "我的考勤 · 2026年10月" in page
    assert page.count("10-01") == 1 and "10-18" in page and "09-30" not in page
    assert '<option value="2026-09"' in page and "2026-11" not in page
    september = worker.get(reverse("labor:my_wages") + "?month=2026-09").content.decode()
    assert "我的考勤 · 2026年9月" in september and "不计出勤" in september
    assert "10-18" not in september
    # A month he has no days in, or nonsense, shows his latest month.
    for other in ["2026-11", "bad"]:
        page = worker.get(reverse("labor:my_wages") + f"?month={other}").content.decode()
        assert "我的考勤 · 2026年10月" in page and "11-02" not in page


def test_r_l4_city_admin_places_and_releases_legal_holds_on_the_page(world, as_user):
    from smz.core.models import Event
    from smz.labor.models import LegalHold

    p1 = world.projects["p1"]
    url = reverse("labor:holds")
    admin = as_user("city_admin")
    admin.post(url, {"project": "NO-SUCH", "reason": "取证"})
    admin.post(url, {"project": p1.code, "reason": "  "})
    assert not LegalHold.objects.exists()
    admin.post(url, {"project": p1.code, "reason": "劳动仲裁案件取证"})
    hold = LegalHold.objects.get()
    assert hold.project == p1 and hold.placed_by == world.user("city_admin")
    page = admin.get(url).content.decode()
    assert "劳动仲裁案件取证" in page and "保全中" in page and 'data-testid="place"' in page
    # The city's supervisor reads the list but cannot place or release.
    supervisor = as_user("city_supervisor")
    page = supervisor.get(url).content.decode()
    assert "劳动仲裁案件取证" in page and 'data-testid="place"' not in page
    supervisor.post(url, {"release": hold.pk})
    supervisor.post(url, {"project": world.projects["p2"].code, "reason": "x"})
    hold.refresh_from_db()
    assert hold.released_at is None and LegalHold.objects.count() == 1
    # Nobody else sees the page at all.
    for persona in ["town_l1", "safety_l2", "gc_labor", "worker"]:
        assert as_user(persona).get(url).status_code == 404
        as_user(persona).post(url, {"release": hold.pk})
    hold.refresh_from_db()
    assert hold.released_at is None
    as_user("city_admin").post(url, {"release": hold.pk})
    hold.refresh_from_db()
    assert hold.released_by == world.user("city_admin") and hold.released_at is not None
    kinds = list(
        Event.objects.filter(kind__startswith="retention.hold").values_list("kind", flat=True)
    )
    assert sorted(kinds) == ["retention.hold_placed", "retention.hold_released"]


def test_issue12_payroll_page_line_problems_and_an_unknown_line(month, as_user):
    """Issue 12 item 3: the page lists a line's problem without the worker's name cut off the message,
    and an edit naming no line of this payroll says so."""
    payroll = draft(month)
    sub = as_user("sub_labor")
    page = sub.get(reverse("labor:payroll", args=[payroll.pk])).content.decode()
    assert "工人尚未确认（或上传工人签字工资表）" in page
    resp = sub.post(
        reverse("labor:payroll_act", args=[payroll.pk]),
        {"action": "line", "line": "999999", "days_paid": "1", "rate_yuan": "1"},
        follow=True,
    )
    assert "明细不存在" in resp.content.decode()
