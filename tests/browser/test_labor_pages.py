"""Labor pages in the browser (L1, L2): a month's payroll drafted from attendance, confirmed by the worker,
submitted, reviewed by the general contractor, paid through the special account (the bank file out, the
bank's result file in) and the pay slip on the worker's page; a mixed bank result with the failed line paid
in the next batch; a locked sheet and its correction sheet; a contract signed through the form; the GC's hub;
a neighbour refused."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from playwright.sync_api import expect

from smz.labor import services
from smz.labor.models import PaymentBatch, Payroll
from smz.testing.labor import (
    MONTH,
    attend,
    contract,
    draft,
    submitted,
)

pytestmark = pytest.mark.browser

ACCOUNT_NO = "2011002109200012345"
CARD = "6222020200112233445"  # every conftest worker's card (19 digits)
SMALL_PDF = b"%PDF-1.4\n%%EOF\n"  # passes the content check; used where the scan is never looked at
RESULT_HEADER = "明细编号,收款户名,收款账号,金额（元）,处理状态,银行流水号,失败原因,入账日期"
# Per employer key: (labor specialist, days attended in MONTH, contract day rate in yuan).
MONTHS = {"sub": ("sub_labor", 18, "280"), "gc": ("gc_labor", 20, "300")}


def _as(page, login, name: str):
    """Switch persona in the same browser context (the login page sends a logged-in user away)."""
    page.context.clear_cookies()
    return login(name)


def _click(page, locator) -> None:
    locator.click()
    page.wait_for_load_state("networkidle")


def _attended_with_contract(w, key: str) -> None:
    actor, days, rate = MONTHS[key]
    attend(w, key, days)
    contract(w, key, rate=rate, actor=actor)


def wage_account(w) -> None:
    services.wage_account_set(
        actor=w.user("gc_labor"),
        project=w.projects["p1"],
        bank_code="102",
        bank_name="中国工商银行中山小榄支行",
        account_name="甲建设集团有限公司农民工工资专用账户",
        account_no=ACCOUNT_NO,
        opened_on=dt.date(2024, 2, 1),
    )


def _payroll(w, key: str, *, review: bool = True) -> Payroll:
    """MONTH's payroll for one employer: drafted, confirmed by everyone, submitted (and reviewed by the GC)."""
    payroll = submitted(w, MONTHS[key][0], key)
    if review:
        services.payroll_review(actor=w.user("gc_labor"), payroll=payroll)
    return payroll


def _refs(batch: PaymentBatch) -> dict[str, str]:
    """Worker name → the line reference the bank must bring back."""
    return {
        p.payroll_line.worker.name: p.line_ref
        for p in batch.lines.select_related("payroll_line__worker")
    }


def _result_file(tmp_path, lines: list[str]):
    """A bank's result export as most banks write it: GBK, a title line above the header."""
    path = tmp_path / "代发结果.csv"
    text = "\r\n".join(["中国工商银行代发工资处理结果", RESULT_HEADER, *lines]) + "\r\n"
    path.write_bytes(text.encode("gbk"))
    return path


def _import_result(page, path) -> None:
    form = page.get_by_test_id("result-form")
    form.locator("input[type=file]").set_input_files(str(path))
    _click(page, form.get_by_role("button", name="导入"))


def test_l2_month_from_draft_to_the_workers_pay_slip(
    live_world, login, shot, live_server, tmp_path
):
    w = live_world
    _attended_with_contract(w, "sub")
    p1 = w.projects["p1"]
    base = live_server.url

    # The subcontractor's labor specialist: project page → 合同与工资 → draft October from attendance.
    page = login("sub_labor")
    page.goto(f"{base}/projects/{p1.pk}/")
    _click(page, page.get_by_role("link", name="合同与工资"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("合同与工资")
    draft = page.get_by_test_id("draft-form")
    draft.locator("input[name=month]").fill(f"{MONTH:%Y-%m}")
    _click(page, draft.get_by_role("button", name="按考勤生成"))
    expect(page.locator("main .alert-success[role=alert]")).to_contain_text("已按考勤和合同生成")
    expect(page.get_by_test_id("state")).to_have_text("编制中")
    row = page.get_by_test_id("lines").locator("tbody tr", has_text="测试乙工")
    expect(row).to_contain_text("5,040.00")  # 18 days × 280
    expect(row).to_contain_text("未确认")
    expect(row).to_contain_text("工人尚未确认")
    expect(page.get_by_test_id("problems")).to_contain_text("提交前须解决 1 处问题")
    expect(page.locator("main")).not_to_contain_text(CARD)  # the card is masked on the page
    shot(page, "labor-payroll-draft")
    payroll_url = page.url

    # The worker: 我的工资 → October → confirm.
    page = _as(page, login, "worker")
    _click(page, page.get_by_role("link", name="我的工资"))
    mine = page.get_by_test_id("my-lines")
    expect(mine).to_contain_text("2026年10月")
    expect(mine).to_contain_text("5,040.00")
    expect(mine).to_contain_text("出勤 18 天，计薪 18 天")
    shot(page, "labor-my-wages")
    _click(page, mine.get_by_role("button", name="核对无误，确认"))
    expect(page.locator("main .alert-success[role=alert]")).to_contain_text(
        "已确认 2026年10月 工资"
    )
    expect(mine).to_contain_text("✔ 已确认")
    expect(mine.get_by_role("button", name="核对无误，确认")).to_have_count(0)

    # The subcontractor submits: the checks pass, the sheet locks.
    page = _as(page, login, "sub_labor")
    page.goto(payroll_url)
    expect(page.get_by_test_id("problems")).to_contain_text("检查通过，可以提交")
    expect(page.get_by_test_id("lines")).to_contain_text("✔ 工人本人在线确认")
    _click(page, page.get_by_role("button", name="提交并锁定"))
    expect(page.locator("main .alert-success[role=alert]")).to_contain_text("工资表已提交并锁定")
    expect(page.get_by_test_id("state")).to_have_text("已提交待总包审核")
    expect(page.get_by_role("button", name="总包审核通过")).to_have_count(0)

    # The general contractor reviews, registers the special account and exports a batch.
    page = _as(page, login, "gc_labor")
    page.goto(payroll_url)
    _click(page, page.get_by_role("button", name="总包审核通过"))
    expect(page.get_by_test_id("state")).to_have_text("总包已审核待发放")
    _click(page, page.get_by_role("link", name=f"{p1.name} · 合同与工资"))
    account = page.get_by_test_id("account")
    expect(account).to_contain_text("尚未登记工资专用账户")
    expect(page.get_by_role("button", name="生成代发批次（待发 1 笔）")).to_be_visible()
    account.get_by_label("银行代码").fill("102")
    account.get_by_label("开户行").fill("中国工商银行中山小榄支行")
    account.get_by_label("账户名称").fill("甲建设集团有限公司农民工工资专用账户")
    account.get_by_label("账号").fill(ACCOUNT_NO)
    account.get_by_label("开户日期").fill("2024-02-01")
    _click(page, account.get_by_role("button", name="保存"))
    expect(page.locator("main .alert-success[role=alert]")).to_contain_text("工资专用账户已登记")
    expect(account).to_contain_text("中国工商银行中山小榄支行（102）")
    expect(account).to_contain_text("2011 **** **** 2345")
    expect(account).not_to_contain_text(ACCOUNT_NO)
    _click(page, page.get_by_role("button", name="生成代发批次（待发 1 笔）"))
    expect(page.locator("main .alert-success[role=alert]")).to_contain_text(
        "1 笔，请下载代发文件交银行"
    )
    expect(page.get_by_test_id("state")).to_have_text("已导出待银行处理")
    batch = PaymentBatch.objects.get(project=p1)
    ref = _refs(batch)["测试乙工"]
    expect(page.get_by_test_id("payments")).to_contain_text(ref)
    expect(page.get_by_test_id("payments")).to_contain_text("待银行结果")

    # The bank file: the full 19-digit card as text, the line reference, the amount without separators.
    with page.expect_download() as d:
        page.get_by_test_id("download-csv").click()
    assert d.value.suggested_filename == f"{batch.no}.csv"
    file = tmp_path / d.value.suggested_filename
    d.value.save_as(file)
    text = file.read_bytes().decode("utf-8-sig")
    assert text.startswith("明细编号,付款账号,付款户名,收款账号,收款户名")
    line = next(row for row in text.splitlines() if row.startswith(ref))
    assert CARD in line and ACCOUNT_NO in line and "5040.00" in line and "2026年10月工资" in line

    # The bank's answer: one line paid.
    result = _result_file(
        tmp_path, [f"{ref},测试乙工,{CARD},5040.00,成功,2026111200012345,,20261112"]
    )
    _import_result(page, result)
    expect(page.locator("main .alert-success[role=alert]")).to_contain_text("成功 1 笔，失败 0 笔")
    expect(page.get_by_test_id("state")).to_have_text("已导入银行结果")
    paid = page.get_by_test_id("payments").locator("tbody tr", has_text=ref)
    expect(paid).to_contain_text("成功")
    expect(paid).to_contain_text("2026111200012345")
    expect(page.get_by_test_id("import-errors")).to_have_count(0)
    shot(page, "labor-batch")
    page.goto(payroll_url)
    expect(page.get_by_test_id("state")).to_have_text("已发放")

    # The worker: 已发放, and the pay slip opens as a PDF.
    page = _as(page, login, "worker")
    _click(page, page.get_by_role("link", name="我的工资"))
    mine = page.get_by_test_id("my-lines")
    expect(mine).to_contain_text("已发放")
    expect(mine).to_contain_text("2026-11-12 到账 5,040.00 元")
    shot(page, "labor-my-wages-paid")
    href = mine.get_by_role("link", name="工资条").get_attribute("href")
    slip = page.request.get(f"{base}{href}")
    assert slip.ok and slip.headers["content-type"] == "application/pdf"
    assert slip.body().startswith(b"%PDF")


def test_l2_mixed_bank_result_and_the_failed_line_in_the_next_batch(
    live_world, login, shot, live_server, tmp_path
):
    w = live_world
    for key in ("sub", "gc"):
        _attended_with_contract(w, key)
    sub_payroll, gc_payroll = _payroll(w, "sub"), _payroll(w, "gc")
    wage_account(w)
    p1 = w.projects["p1"]
    base = live_server.url

    page = login("gc_labor")
    page.goto(f"{base}/projects/{p1.pk}/labor/")
    _click(page, page.get_by_role("button", name="生成代发批次（待发 2 笔）"))
    expect(page.locator("main p.small").first).to_contain_text("2 笔，合计 11,040.00 元")
    refs = _refs(PaymentBatch.objects.get(project=p1))
    result = _result_file(
        tmp_path,
        [
            f"{refs['测试乙工']},测试乙工,{CARD},5040.00,成功,2026111200012345,,20261112",
            f"{refs['测试甲工']},测试甲工,{CARD},6000.00,失败,,户名与账号不符,",
        ],
    )
    _import_result(page, result)
    expect(page.locator("main .alert-success[role=alert]")).to_contain_text("成功 1 笔，失败 1 笔")
    payments = page.get_by_test_id("payments")
    failed = payments.locator("tbody tr", has_text="测试甲工")
    expect(failed).to_contain_text("失败")
    expect(failed).to_contain_text("户名与账号不符")
    expect(failed).to_have_class("table-danger")
    expect(payments.locator("tbody tr", has_text="测试乙工")).to_contain_text("成功")
    shot(page, "labor-batch-mixed")

    # The failed sheet says so, with the reason on the line; the other is paid.
    page.goto(f"{base}/labor/payrolls/{gc_payroll.pk}/")
    expect(page.get_by_test_id("state")).to_have_text("部分发放失败")
    line = page.get_by_test_id("lines").locator("tbody tr", has_text="测试甲工")
    expect(line).to_contain_text("发放失败")
    expect(line).to_contain_text("户名与账号不符")
    page.goto(f"{base}/labor/payrolls/{sub_payroll.pk}/")
    expect(page.get_by_test_id("state")).to_have_text("已发放")

    # The next batch offers exactly the failed line.
    page.goto(f"{base}/projects/{p1.pk}/labor/")
    payrolls = page.get_by_test_id("payrolls")
    expect(payrolls.locator("tr", has_text=gc_payroll.no)).to_contain_text("部分发放失败")
    expect(payrolls.locator("tr", has_text=sub_payroll.no)).to_contain_text("已发放")
    _click(page, page.get_by_role("button", name="生成代发批次（待发 1 笔）"))
    expect(page.locator("main .alert-success[role=alert]")).to_contain_text("1 笔")
    rows = page.get_by_test_id("payments").locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("测试甲工")
    expect(rows.first).to_contain_text("6,000.00")
    expect(rows.first).to_contain_text("待银行结果")
    assert PaymentBatch.objects.filter(project=p1).count() == 2


def test_l2_submitted_payroll_is_locked_and_offers_a_correction(
    live_world, login, shot, live_server
):
    w = live_world
    _attended_with_contract(w, "sub")
    payroll = _payroll(w, "sub", review=False)

    page = login("sub_labor")
    page.goto(f"{live_server.url}/labor/payrolls/{payroll.pk}/")
    expect(page.get_by_test_id("state")).to_have_text("已提交待总包审核")
    expect(page.locator("details summary", has_text="修改")).to_have_count(0)
    expect(page.locator("input[name=days_paid]")).to_have_count(0)
    expect(page.get_by_role("button", name="提交并锁定")).to_have_count(0)
    expect(page.get_by_label("工人签字工资表")).to_have_count(0)
    expect(page.get_by_test_id("problems")).to_have_count(0)

    # 补发: a correction sheet for the same month, same people, amounts from zero.
    _click(page, page.get_by_role("button", name="编制更正表（补发）"))
    expect(page.locator("main .alert-success[role=alert]")).to_contain_text("已生成更正表")
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"更正 {payroll.no}")
    expect(page.get_by_test_id("state")).to_have_text("编制中")
    row = page.get_by_test_id("lines").locator("tbody tr", has_text="测试乙工")
    expect(row).to_contain_text("更正补发")
    row.locator("summary", has_text="修改").click()
    row.get_by_label("计薪天数").fill("1")
    row.get_by_label("说明", exact=True).fill("10月31日加班漏计1天，补发")
    shot(page, "labor-payroll-correction")
    _click(page, row.get_by_role("button", name="保存（须工人重新确认）"))
    expect(page.locator("main .alert-success[role=alert]")).to_contain_text("测试乙工 的工资已更新")
    row = page.get_by_test_id("lines").locator("tbody tr", has_text="测试乙工")
    expect(row).to_contain_text("280.00")
    expect(page.get_by_test_id("lines").locator("tfoot")).to_contain_text("280.00")
    expect(row).to_contain_text("10月31日加班漏计1天，补发")
    expect(row).to_contain_text("未确认")
    page.goto(f"{live_server.url}/projects/{w.projects['p1'].pk}/labor/")
    expect(page.get_by_test_id("payrolls").locator("tr", has_text="更正")).to_have_count(1)


def test_l1_gc_signs_a_contract_through_the_form(live_world, login, shot, live_server, tmp_path):
    w = live_world
    p1 = w.projects["p1"]

    page = login("gc_labor")
    page.goto(f"{live_server.url}/projects/{p1.pk}/labor/")
    row = page.get_by_test_id("contracts").locator("tr", has_text="测试甲工")
    expect(row).to_contain_text("无劳动合同")
    _click(page, row.get_by_role("link", name="签订"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("测试甲工（甲建设集团有限公司）")
    form = page.get_by_test_id("contract-form")
    form.get_by_label("期限类型").select_option("fixed")
    form.get_by_label("开始日期").fill("2026-03-01")
    form.get_by_label("终止日期").fill("2027-02-28")
    form.get_by_label("工资形式").select_option("daily")
    form.get_by_label("工资标准（元）").fill("320")
    form.get_by_label("每月支付日").fill("10")
    _click(page, form.get_by_role("button", name="登记合同"))
    expect(page.locator("main .alert-success[role=alert]")).to_contain_text(
        "请打印签字后上传扫描件"
    )
    details = page.get_by_test_id("contract")
    expect(details).to_contain_text("测试甲工")
    expect(details).to_contain_text("2026-03-01 至 2027-02-28")
    expect(details).to_contain_text("日工资 320.00 元，每月 10 日前支付上月工资")
    expect(details).to_contain_text("未上传")
    frame = page.locator("iframe[title=合同]")
    expect(frame).to_have_attribute("src", re.compile(r"^/labor/contracts/\d+/pdf/$"))
    pdf = page.request.get(f"{live_server.url}{frame.get_attribute('src')}")
    assert pdf.ok and pdf.body().startswith(b"%PDF")

    scan = tmp_path / "signed.pdf"
    scan.write_bytes(SMALL_PDF)
    page.get_by_label("签字合同扫描件").set_input_files(str(scan))
    _click(page, page.get_by_role("button", name="上传签字扫描件"))
    expect(page.locator("main .alert-success[role=alert]")).to_contain_text("签字合同扫描件已上传")
    expect(details.get_by_role("link", name="查看")).to_be_visible()
    page.wait_for_timeout(1500)  # the PDF viewer draws after the frame loads
    shot(page, "labor-contract")

    page.goto(f"{live_server.url}/projects/{p1.pk}/labor/")
    row = page.get_by_test_id("contracts").locator("tr", has_text="测试甲工")
    expect(row).to_contain_text("320.00 日工资")
    expect(row).to_contain_text("已上传")


def test_l2_gc_hub_shows_account_payrolls_batches_and_contracts(
    live_world, login, shot, live_server
):
    w = live_world
    for key in ("sub", "gc"):
        _attended_with_contract(w, key)
    _payroll(w, "sub")
    _payroll(w, "gc", review=False)
    wage_account(w)
    p1 = w.projects["p1"]

    page = login("gc_labor")
    page.goto(f"{live_server.url}/projects/{p1.pk}/labor/")
    account = page.get_by_test_id("account")
    expect(account).to_contain_text("甲建设集团有限公司农民工工资专用账户")
    expect(account).to_contain_text("2011 **** **** 2345")
    expect(account.locator("details")).not_to_have_attribute("open", "")
    payrolls = page.get_by_test_id("payrolls")
    expect(payrolls.locator("tbody tr")).to_have_count(2)
    expect(payrolls).to_contain_text("总包已审核待发放")
    expect(payrolls).to_contain_text("已提交待总包审核")
    expect(payrolls).to_contain_text("5,040.00")
    expect(payrolls).to_contain_text("6,000.00")
    # Only the reviewed sheet is payable.
    expect(page.get_by_role("button", name="生成代发批次（待发 1 笔）")).to_be_enabled()
    contracts = page.get_by_test_id("contracts")
    expect(contracts).to_contain_text("测试乙工")
    expect(contracts).to_contain_text("乙劳务有限公司")
    expect(contracts.locator("tr", has_text="测试项目经理")).to_contain_text("无劳动合同")
    # The GC drafts for itself and for its subcontractors.
    employers = page.get_by_test_id("draft-form").get_by_label("用工企业")
    expect(employers.locator("option")).to_have_count(2)
    expect(employers).to_contain_text("甲建设集团有限公司")
    expect(employers).to_contain_text("乙劳务有限公司")
    shot(page, "labor-hub")


def test_l2_neighbour_cannot_open_the_payroll(live_world, login, live_server):
    w = live_world
    _attended_with_contract(w, "sub")
    payroll = draft(w)
    line = payroll.lines.get()
    base = live_server.url

    page = login("neighbour_labor")
    response = page.goto(f"{base}/labor/payrolls/{payroll.pk}/")
    assert response.status == 404
    main = page.locator("main")
    expect(main.locator(".alert-warning")).to_contain_text("工资表不存在或无权访问")
    expect(main).not_to_contain_text("测试乙工")
    expect(main).not_to_contain_text(payroll.no)
    expect(main).not_to_contain_text("乙劳务")
    assert page.request.get(f"{base}/labor/slips/{line.pk}.pdf").status == 404
    assert page.goto(f"{base}/projects/{w.projects['p1'].pk}/labor/").status in (403, 404)
    expect(page.locator("main")).not_to_contain_text("测试乙工")
    # A forged submit with a valid CSRF token of his own session is refused too.
    token = json.loads(page.locator("body").get_attribute("hx-headers"))["X-CSRFToken"]
    forged = page.request.post(
        f"{base}/labor/payrolls/{payroll.pk}/act/",
        form={"action": "submit"},
        headers={"X-CSRFToken": token, "Referer": f"{base}/"},
    )
    assert forged.status == 404
    payroll.refresh_from_db()
    assert payroll.state == Payroll.State.DRAFT
