"""More labor pages in the browser: 进场核验 (A2), 退场 with the worker's confirmation (L3), 欠薪预警 with the
Excel export (L5), a worker's complaint handled by the area's authority (L5), 工资保证金 on the hub (L2) and
the site notice board PDF. Each test saves the screenshots the guides in docs/guide/ embed."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import expect

from smz.labor import selectors as labor_selectors
from smz.labor.models import Complaint, ExitSettlement, PayrollLine, WageDeposit
from smz.labor.services import entry
from smz.registry.models import Employment
from smz.testing.devices import jpeg
from smz.testing.labor import (
    attend,
    contract,
    submitted_october,
)

pytestmark = pytest.mark.browser

EXIT_ON = dt.date(2026, 11, 5)
REPLY = "已约谈总包，责令于12月5日前通过专用账户足额代发10月工资"


def _as(page, login, name: str):
    """Switch persona in the same browser context (the login page sends a logged-in user away)."""
    page.context.clear_cookies()
    return login(name)


def _click(page, locator) -> None:
    locator.click()
    page.wait_for_load_state("networkidle")


def _card(page, header: str):
    return page.locator(".card").filter(has=page.locator(".card-header", has_text=header))


def _success(page):
    return page.locator("main .alert-success[role=alert]")


def _submitted_october(w, *, paid_fen: int | None = None):
    """测试乙工: 18 days in October at 280 a day, 5,040.00 on a submitted sheet (optionally partly paid, as
    `paid_october` in smz/labor/tests/test_exit.py does, on 10 November)."""
    payroll = submitted_october(w)
    if paid_fen is not None:
        PayrollLine.objects.filter(payroll=payroll).update(
            paid_fen=paid_fen, pay_status="paid", paid_on=dt.date(2026, 11, 10)
        )
    return payroll


def test_a2_entry_checks_training_face_and_admission(
    live_world, login, shot, live_server, tmp_path
):
    w = live_world
    e = w.employments["sub"]
    entry.entry_hold(
        actor=w.user("sub_labor"), employment=e
    )  # registered at the desk, not yet on the gates
    base = live_server.url

    page = login("sub_labor")
    page.goto(f"{base}/projects/{w.projects['p1'].pk}/labor/")
    row = page.get_by_test_id("contracts").locator("tr", has_text="测试乙工")
    _click(page, row.get_by_role("link", name="进场核验"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        "进场核验 · 测试乙工（乙劳务有限公司）"
    )
    gate = page.get_by_test_id("gate")
    expect(gate).to_have_text("待进场核验")
    checks = page.get_by_test_id("checks")
    expect(checks).to_contain_text("✘ 未签订劳动合同（或合同已到期）")
    expect(checks).to_contain_text("✘ 未登记本项目岗前安全培训")
    expect(checks).to_contain_text("✘ 未采集现场人脸照片")
    expect(checks).to_contain_text("✔ 不在黑名单")
    expect(checks).to_contain_text("✔ 证件长期有效")
    expect(checks).to_contain_text("✔ 未在其他项目在场")

    # Admitting now is refused, with the reasons; the refusal is on record.
    _click(page, page.get_by_role("button", name="核验并准予进场（下发闸机）"))
    error = page.locator("main .alert-danger[role=alert]")
    expect(error).to_contain_text("未通过进场核验")
    expect(error).to_contain_text("未签订劳动合同")
    records = _card(page, "核验记录")
    expect(records).to_contain_text("未通过")
    expect(gate).to_have_text("待进场核验")
    shot(page, "labor-entry-checks")

    # 岗前安全培训.
    page.get_by_label("培训内容").fill("三级安全教育")
    page.get_by_label("学时").fill("8")
    _click(page, page.get_by_role("button", name="登记培训"))
    expect(_success(page)).to_contain_text("培训已登记")
    expect(_card(page, "岗前安全培训")).to_contain_text("三级安全教育")
    expect(checks).to_contain_text("✔ 已进行岗前安全培训")

    # 现场人脸: a photo taken at the entry desk (the tablet's camera, here a file).
    photo = tmp_path / "face.jpg"
    photo.write_bytes(jpeg(640, 480))
    page.get_by_label("人脸照片").set_input_files(str(photo))
    _click(page, page.get_by_role("button", name="上传并核验"))
    expect(_success(page)).to_contain_text("现场人脸已采集")
    expect(checks).to_contain_text("✔ 已采集现场人脸")

    # The contract is signed (through its own form, covered elsewhere); then every check passes.
    contract(w, "sub", rate="280", actor="sub_labor")
    page.reload()
    page.wait_for_load_state("networkidle")
    expect(checks).to_contain_text("✔ 已签订劳动合同")
    expect(checks.locator("li", has_text="✘")).to_have_count(0)
    _click(page, page.get_by_role("button", name="核验并准予进场（下发闸机）"))
    expect(_success(page)).to_contain_text("核验通过，已下发至现场考勤设备")
    expect(gate).to_have_text("已下发")
    expect(records.locator("li").first).to_contain_text("准予进场")
    expect(page.get_by_role("button", name="暂缓下发")).to_be_visible()
    shot(page, "labor-entry")
    e.refresh_from_db()
    assert e.gate_status == "admitted"


def test_l3_exit_settled_confirmed_by_the_worker_and_registered(
    live_world, login, shot, live_server
):
    w = live_world
    _submitted_october(w, paid_fen=300000)  # 5,040.00 owed, 3,000.00 paid
    e = w.employments["sub"]
    base = live_server.url

    # The subcontractor's labor specialist: hub → 退场 → workload → the confirmation is drawn up.
    page = login("sub_labor")
    page.goto(f"{base}/projects/{w.projects['p1'].pk}/labor/")
    row = page.get_by_test_id("contracts").locator("tr", has_text="测试乙工")
    _click(page, row.get_by_role("link", name="退场"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        "退场 · 测试乙工（乙劳务有限公司 / 乙木工班）"
    )
    form = page.get_by_test_id("prepare")
    form.get_by_label("退场日期").fill(EXIT_ON.isoformat())
    form.get_by_label("已完成工作量").fill("木模板安装 1,200 平方米")
    _click(page, form.get_by_role("button", name="按考勤和工资表核算，生成确认书"))
    expect(_success(page)).to_contain_text("退场确认书已生成")
    expect(page.get_by_test_id("state")).to_have_text("待工人确认")
    settlement = page.get_by_test_id("settlement")
    expect(settlement).to_contain_text("2024-03-01 / 2026-11-05")
    expect(settlement).to_contain_text("18 天")
    expect(settlement).to_contain_text("木模板安装 1,200 平方米")
    expect(settlement).to_contain_text("5,040.00 元")
    expect(settlement).to_contain_text("3,000.00 元")
    expect(settlement.locator("dd.text-danger").last).to_have_text("2,040.00 元")
    expect(settlement).to_contain_text("未确认")
    frame = page.locator("iframe[title=退场确认书]")
    expect(frame).to_have_attribute("src", re.compile(r"^/labor/exits/\d+\.pdf$"))
    pdf = page.request.get(f"{base}{frame.get_attribute('src')}")
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")
    # Not yet confirmed: no exit registration offered.
    expect(page.get_by_role("button", name=re.compile("办理退场登记"))).to_have_count(0)
    page.wait_for_timeout(1500)  # the PDF viewer draws after the frame loads
    shot(page, "labor-exit")
    exit_url = page.url

    # The worker: 我的工资 → 退场确认书 (with the balance in red) and 我的考勤 → confirm.
    page = _as(page, login, "worker")
    _click(page, page.get_by_role("link", name="我的工资"))
    mine = page.get_by_test_id("my-exits")
    expect(mine).to_contain_text("小榄甲住宅项目 · 2026-11-05 退场 · 出勤 18 天")
    expect(mine).to_contain_text("未结清 2,040.00 元")
    expect(page.get_by_test_id("my-lines")).to_contain_text("2026-11-10 到账 3,000.00 元")
    attendance = page.get_by_test_id("my-attendance")
    expect(attendance.locator("tbody tr")).to_have_count(18)
    expect(attendance).to_contain_text("10-18")
    expect(attendance).to_contain_text("小榄甲住宅项目")
    expect(attendance).to_contain_text("8.0")
    _click(page, mine.get_by_role("button", name="核对无误，确认"))
    expect(_success(page)).to_contain_text("已确认退场确认书")
    expect(mine).to_contain_text("✔ 工人已确认")
    expect(mine.get_by_role("button", name="核对无误，确认")).to_have_count(0)
    shot(page, "labor-my-wages-exit")

    # Back at the subcontractor: confirmed figures are final; register the exit.
    page = _as(page, login, "sub_labor")
    page.goto(exit_url)
    expect(page.get_by_test_id("state")).to_have_text("工人已确认")
    expect(page.get_by_test_id("settlement")).to_contain_text("工人本人在线确认")
    expect(page.get_by_test_id("prepare")).to_have_count(0)  # no recalculation after confirmation
    _click(page, page.get_by_role("button", name="办理退场登记（从现场设备删除）"))
    expect(_success(page)).to_contain_text("已办理退场登记")
    expect(page.get_by_test_id("state")).to_have_text("已办理退场登记")
    e.refresh_from_db()
    assert e.status == Employment.Status.EXITED and e.exit_on == EXIT_ON
    assert ExitSettlement.objects.get(employment=e).balance_fen == 204000


def test_l5_alerts_filter_and_excel(live_world, login, shot, live_server, tmp_path, on_day):
    w = live_world
    # October on p1: the sub's worker on a submitted sheet, unpaid; the GC's worker attended but is on no
    # sheet; no special account. Seen on 29 November, when October's pay day (10 November) has passed and
    # October is within the attendance checks' six months.
    _submitted_october(w)
    attend(w, "gc", 20)
    on_day(dt.date(2026, 11, 29))

    page = login("town_l1")
    _click(page, page.locator("nav").get_by_role("link", name="欠薪预警"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("欠薪预警")
    table = page.get_by_test_id("alerts")
    unpaid = table.locator("tbody tr", has_text="逾期未足额发放")
    expect(unpaid).to_have_count(1)
    expect(unpaid).to_contain_text("小榄甲住宅项目")
    expect(unpaid).to_contain_text("乙劳务有限公司")
    expect(unpaid).to_contain_text("2026-10")
    expect(unpaid).to_contain_text("5,040.00")
    expect(table).to_contain_text("有考勤无工资表")
    expect(table).to_contain_text("出勤 2 人，发薪 0 人")
    expect(table).to_contain_text("未开设工资专用账户")
    expect(table).not_to_contain_text("古镇戊厂房项目")  # the neighbouring town's business
    shot(page, "labor-alerts")

    counts = page.get_by_test_id("alert-counts")
    _click(page, counts.get_by_role("link", name=re.compile(r"^逾期未足额发放")))
    assert "rule=unpaid" in page.url
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table).to_contain_text("5,040.00")
    expect(table).not_to_contain_text("有考勤无工资表")

    with page.expect_download() as d:
        page.get_by_test_id("export").click()
    assert re.fullmatch(r"arrears-\d{8}\.xlsx", d.value.suggested_filename)
    file = tmp_path / d.value.suggested_filename
    d.value.save_as(file)
    data = file.read_bytes()
    assert data[:2] == b"PK"  # an xlsx is a zip
    rows = list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))
    assert rows[0][0] == "预警类型" and len(rows) == 2  # the filter applies to the export
    assert rows[1][0] == "逾期未足额发放" and rows[1][2] == "小榄甲住宅项目" and rows[1][6] == 5040


def test_l5_worker_complaint_handled_by_the_town(live_world, login, shot, live_server):
    base = live_server.url

    # The worker: 我的工资 → 我要投诉 → file.
    page = login("worker")
    _click(page, page.get_by_role("link", name="我的工资"))
    _click(page, page.get_by_role("link", name="我要投诉"))
    expect(page.get_by_role("heading", level=1)).to_have_text("维权投诉")
    form = page.get_by_test_id("complaint-form")
    expect(form.get_by_label("项目")).to_contain_text("小榄甲住宅项目")
    form.get_by_label("类型").select_option(label="拖欠工资")
    form.get_by_label("情况说明").fill("2026年10月工资5040元至今未发，劳资员说要等总包拨款")
    form.get_by_label("涉及金额（元，可不填）").fill("5040")
    _click(page, form.get_by_role("button", name="提交投诉"))
    expect(_success(page)).to_contain_text("投诉已提交")
    expect(_success(page)).to_contain_text("小榄镇住房城乡建设部门将受理并答复")
    c = Complaint.objects.get()
    mine = page.get_by_test_id("my-complaints")
    expect(mine).to_contain_text(c.no)
    expect(mine).to_contain_text("待受理")
    expect(mine).to_contain_text("小榄甲住宅项目 · 拖欠工资")
    shot(page, "labor-my-complaints")

    # 小榄's approver: 欠薪预警 → 工人投诉 → 受理, then 办结 with a reply.
    page = _as(page, login, "town_l1")
    _click(page, page.locator("nav").get_by_role("link", name="欠薪预警"))
    _click(page, page.get_by_role("link", name="工人投诉"))
    expect(page.get_by_role("heading", level=1)).to_have_text("工人投诉")
    item = page.get_by_test_id("complaints").locator("li", has_text=c.no)
    expect(item).to_contain_text("测试乙工")
    expect(item).to_contain_text("5,040.00 元")
    expect(item).to_contain_text("待受理")
    _click(page, item.get_by_role("button", name="受理", exact=True))
    expect(_success(page)).to_contain_text(f"{c.no} 已更新")
    item = page.get_by_test_id("complaints").locator("li", has_text=c.no)
    expect(item).to_contain_text("已受理处理中")
    expect(item.get_by_role("button", name="受理", exact=True)).to_have_count(0)
    item.get_by_label("处理意见").fill(REPLY)
    shot(page, "labor-complaints")
    _click(page, item.get_by_role("button", name="办结"))
    expect(_success(page)).to_contain_text(f"{c.no} 已更新")
    expect(page.get_by_test_id("complaints")).to_contain_text("没有投诉")  # nothing open any more
    _click(page, page.get_by_role("link", name="已办结"))
    item = page.get_by_test_id("complaints").locator("li", has_text=c.no)
    expect(item).to_contain_text("已办结")
    expect(item).to_contain_text(f"答复：{REPLY}")

    # The worker reads the outcome.
    page = _as(page, login, "worker")
    page.goto(f"{base}/me/complaints/")
    mine = page.get_by_test_id("my-complaints")
    expect(mine).to_contain_text("已办结")
    expect(mine).to_contain_text(f"答复：{REPLY}")

    # 古镇's approver never sees it, in any tab.
    page = _as(page, login, "neighbour_town")
    for status in ("open", "resolved"):
        page.goto(f"{base}/labor/complaints/?status={status}")
        expect(page.get_by_test_id("complaints")).to_contain_text("没有投诉")
        expect(page.locator("main")).not_to_contain_text(c.no)
        expect(page.locator("main")).not_to_contain_text("测试乙工")


def test_l2_deposit_registered_by_the_gc_and_drawn_by_the_town(
    live_world, login, shot, live_server
):
    w = live_world
    hub = f"{live_server.url}/projects/{w.projects['p1'].pk}/labor/"

    page = login("gc_labor")
    page.goto(hub)
    form = page.get_by_test_id("deposit-form")
    form.get_by_label("形式").select_option(label="现金存储")
    form.get_by_label("合同额").fill("80,000,000")
    form.get_by_label("比例（‰）").fill("15")
    form.get_by_label("应存截止日期").fill("2026-03-01")
    form.get_by_label("存储日期").fill("2026-02-26")
    shot(page, "labor-deposit-register")
    _click(page, form.get_by_role("button", name="登记"))
    expect(_success(page)).to_contain_text("工资保证金已更新")
    card = page.get_by_test_id("deposit")
    expect(card).to_contain_text("在存")
    expect(card).to_contain_text("现金存储")
    expect(card).to_contain_text("合同额 80,000,000.00 元 × 15‰ = 应存 1,200,000.00 元")
    expect(card).to_contain_text("余额 1,200,000.00 元")
    expect(card).to_contain_text("存储 2026-02-26（截止 2026-03-01）")
    expect(page.get_by_test_id("deposit-form")).to_have_count(0)
    expect(card.get_by_role("button", name="登记动用")).to_have_count(0)  # the authority's

    # 小榄's approver records wages paid from the deposit.
    page = _as(page, login, "town_l1")
    page.goto(hub)
    card = page.get_by_test_id("deposit")
    card.get_by_label("动用金额").fill("50,400")
    card.get_by_label("依据").fill("小榄住建责〔2026〕12号")
    _click(page, card.get_by_role("button", name="登记动用"))
    expect(_success(page)).to_contain_text("工资保证金已更新")
    due = labor_selectors.add_working_days(
        timezone.localdate(), labor_selectors.TOP_UP_WORKING_DAYS
    )
    expect(card).to_contain_text(f"须于 {due:%Y-%m-%d} 前补足")
    expect(card).to_contain_text("余额 1,149,600.00 元")
    expect(card).to_contain_text("动用支付工资 50,400.00 元 小榄住建责〔2026〕12号")
    shot(page, "labor-deposit")
    assert WageDeposit.objects.get().balance_fen == 114_960_000

    # The GC is offered the top-up.
    page = _as(page, login, "gc_labor")
    page.goto(hub)
    expect(page.get_by_test_id("deposit").get_by_role("button", name="登记补足")).to_be_visible()


def test_l5_notice_board_pdf_from_the_hub(live_world, login, live_server):
    w = live_world
    page = login("gc_labor")
    page.goto(f"{live_server.url}/projects/{w.projects['p1'].pk}/labor/")
    link = page.get_by_role("link", name="维权信息告示牌（PDF）")
    href = link.get_attribute("href")
    assert href == f"/projects/{w.projects['p1'].pk}/labor/notice-board.pdf"
    response = page.request.get(f"{live_server.url}{href}")
    assert response.ok and response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")


def test_l4_city_admin_places_a_legal_hold(live_world, login, shot, live_server):
    p1 = live_world.projects["p1"]
    page = login("city_admin")
    page.goto(f"{live_server.url}/labor/alerts/")
    _click(page, page.get_by_role("link", name="法律保全"))
    expect(page.get_by_role("heading", level=1)).to_have_text("法律保全")
    expect(page.get_by_test_id("holds")).to_contain_text("没有法律保全")
    form = page.get_by_test_id("place")
    form.get_by_label("项目编码").fill(p1.code)
    form.get_by_label("保全原因").fill("劳动仲裁案件取证（工资纠纷）")
    _click(page, form.get_by_role("button", name="设置保全"))
    expect(_success(page)).to_contain_text(f"已对 {p1.name} 设置法律保全")
    row = page.get_by_test_id("holds").locator("tbody tr").first
    expect(row).to_contain_text(p1.name)
    expect(row).to_contain_text("劳动仲裁案件取证（工资纠纷）")
    expect(row).to_contain_text("保全中")
    expect(row.get_by_role("button", name="解除")).to_be_visible()
    shot(page, "labor-legal-holds")
