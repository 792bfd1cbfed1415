"""Contracts and wages (L1, L2): each payroll check, locking and correction sheets, worker confirmation,
the general contractor's review, paying through the special account and the bank's mixed results, scoping."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest

from smz.core.errors import DomainError
from smz.labor import selectors as labor_selectors
from smz.labor import services, wages
from smz.labor.models import PaymentLine, Payroll, PayrollLine
from smz.labor.services import LineInput
from smz.testing.errors import refused
from smz.testing.labor import (
    codes,
    confirm_all,
    contract,
    draft,
    line_of,
    ready_payroll,
    wage_account,
)


@dataclass(frozen=True)
class Row:
    """What bankfile.result_file_parse yields for one result line."""

    line_ref: str
    status: str
    amount_fen: int | None
    bank_serial: str = ""
    reason: str = ""
    paid_on: dt.date | None = None


def test_r_l1_contract_rules_and_renewal(world):
    with pytest.raises(DomainError) as exc:
        contract(world, "gc", rate="0")
    assert "rate_yuan" in exc.value.detail["fields"]
    with pytest.raises(DomainError) as exc:
        contract(world, "gc", period_type="fixed", end_on=None)
    assert "end_on" in exc.value.detail["fields"]
    with pytest.raises(DomainError) as exc:
        contract(world, "gc", period_type="task", task="")
    assert "task_description" in exc.value.detail["fields"]
    with pytest.raises(DomainError) as exc:
        contract(world, "gc", kind="piece", rate="35.5")
    assert "piece_unit" in exc.value.detail["fields"]
    first = contract(world, "gc", rate="300.5")
    assert first.rate_fen == 30050 and first.no.startswith("HT")
    second = contract(world, "gc", kind="piece", rate="35.5", unit="81")
    first.refresh_from_db()
    assert first.status == "ended" and second.status == "active" and second.piece_unit == "81"


def test_r_p3_subcontractor_cannot_contract_the_gcs_people(world):
    with refused("forbidden"):
        contract(world, "gc", actor="sub_labor")
    with refused("forbidden"):
        contract(world, "gc", actor="neighbour_labor")
    assert contract(world, "sub", actor="gc_labor")  # the GC may act for anyone on its project


def test_r_l2_money_is_exact():
    assert services.yuan_to_fen("1,280.50") == 128050
    assert services.yuan_to_fen("0.1") == 10
    assert services.yuan_to_fen("12.345") is None
    assert services.yuan_to_fen("abc") is None
    assert wages.gross_fen(kind="monthly", rate_fen=652500, days=20, quantity=Decimal(0)) == 600000
    assert wages.gross_fen(kind="monthly", rate_fen=652500, days=25, quantity=Decimal(0)) == 652500
    assert wages.gross_fen(kind="piece", rate_fen=3550, days=0, quantity=Decimal("10.5")) == 37275


# ---- drafting and checks ---------------------------------------------------------------------------


def test_r_l2_draft_from_attendance_and_contract(month):
    payroll = draft(month)
    line = line_of(payroll)
    assert line.worker == month.workers["sub"]
    assert (line.days_attended, line.days_paid, line.hours_paid) == (18, 18, Decimal("144.0"))
    assert line.rate_fen == 28000 and line.gross_fen == 18 * 28000 == line.net_fen
    assert payroll.pay_due_on == dt.date(2026, 11, 10)  # the contract's pay day
    gc = draft(month, who="gc_labor", employer="gc")
    assert [line.worker for line in gc.lines.all()] == [month.workers["gc"]]  # the PM is a manager
    with pytest.raises(DomainError) as exc:
        draft(month)
    assert exc.value.code == "labor.payroll_exists"


def test_r_l2_each_check_blocks_submission(month):
    payroll = draft(month)
    line = line_of(payroll)
    assert codes(payroll) == {"labor.payroll_unconfirmed"}
    actor = month.user("sub_labor")

    def edit(**kw):
        data = (
            dict(
                days_paid=line.days_paid,
                hours_paid=line.hours_paid,
                rate_yuan="280",
                quantity=Decimal(0),
                deductions_yuan="0",
                deductions_note="",
                note="",
            )
            | kw
        )
        return services.payroll_line_update(actor=actor, line=line, data=LineInput(**data))

    edit(days_paid=19)
    assert "labor.payroll_days_over_attended" in codes(payroll)
    edit(rate_yuan="300")
    assert "labor.payroll_rate_differs" in codes(payroll)
    edit(rate_yuan="300", note="10月起按班组长标准")
    assert "labor.payroll_rate_differs" not in codes(payroll)
    edit(rate_yuan="100")  # 18 days × 100 = 1,800 < 144 h × 18.10 = 2,606.40
    problems = {p.code: p.message for p in services.payroll_problems(payroll)}
    assert (
        "labor.payroll_below_minimum" in problems
        and "2606.40" in problems["labor.payroll_below_minimum"]
    )
    # Issue 12 item 4: the page shows a line's problem from its own text, never by cutting the message.
    below = next(
        p for p in services.payroll_problems(payroll) if p.code == "labor.payroll_below_minimum"
    )
    assert below.text.startswith("应发") and below.message == f"{line.worker.name}：{below.text}"
    edit(rate_yuan="280")
    worker = month.workers["sub"]
    worker.bank_card = ""
    worker.save()
    assert "labor.payroll_no_bank_card" in codes(payroll)
    PayrollLine.objects.filter(pk=line.pk).update(contract=None)  # drafted before any contract
    assert "labor.payroll_no_contract" in codes(payroll)
    with pytest.raises(DomainError) as exc:
        services.payroll_submit(actor=actor, payroll=payroll)
    assert exc.value.code == "labor.payroll_invalid" and exc.value.detail["problems"]


def test_r_l2_deductions_and_net(month):
    payroll = draft(month)
    line = services.payroll_line_update(
        actor=month.user("sub_labor"),
        line=line_of(payroll),
        data=LineInput(18, Decimal("144"), "280", Decimal(0), "120.50", "个人社保", ""),
    )
    assert line.net_fen == 18 * 28000 - 12050
    with refused("validation_error"):
        services.payroll_line_update(
            actor=month.user("sub_labor"),
            line=line,
            data=LineInput(18, Decimal("144"), "280", Decimal(0), "99999", "", ""),
        )


# ---- confirmation, locking, correction ---------------------------------------------------------------


def test_r_l2_worker_confirms_only_his_own_line_and_edits_reset_it(month):
    payroll = draft(month)
    line = line_of(payroll)
    with refused("forbidden"):
        services.payroll_line_confirm(actor=month.user("gc_labor"), line=line)
    services.payroll_line_confirm(actor=month.user("worker"), line=line)  # the sub's worker
    assert codes(payroll) == set()
    services.payroll_line_update(
        actor=month.user("sub_labor"),
        line=line,
        data=LineInput(17, Decimal("136"), "280", Decimal(0), "0", "", ""),
    )
    line.refresh_from_db()
    assert line.confirmed_at is None and codes(payroll) == {"labor.payroll_unconfirmed"}


def test_r_l2_signed_sheet_confirms_and_submitted_sheet_is_locked(month):
    from smz.testing.approvals import PDF

    payroll = draft(month)
    services.payroll_signed_sheet_attach(
        actor=month.user("sub_labor"), payroll=payroll, data=PDF, filename="signed.pdf"
    )
    assert line_of(payroll).confirmed_via == "signed_sheet"
    payroll = services.payroll_submit(actor=month.user("sub_labor"), payroll=payroll)
    assert payroll.state == Payroll.State.SUBMITTED
    assert payroll.retain_until is None  # set once the project's completion date is known
    with pytest.raises(DomainError) as exc:
        services.payroll_line_update(
            actor=month.user("sub_labor"),
            line=line_of(payroll),
            data=LineInput(18, Decimal("144"), "280", Decimal(0), "0", "", ""),
        )
    assert exc.value.code == "labor.payroll_locked"
    with refused("labor.payroll_locked"):
        services.payroll_line_confirm(actor=month.user("worker"), line=line_of(payroll))
    correction = services.payroll_correction_create(actor=month.user("sub_labor"), payroll=payroll)
    assert correction.corrects == payroll and line_of(correction).gross_fen == 0
    services.payroll_line_update(
        actor=month.user("sub_labor"),
        line=line_of(correction),
        data=LineInput(0, Decimal(0), "0", Decimal(0), "0", "", "补发10月加班费"),
    )


# ---- the general contractor pays ---------------------------------------------------------------------


def test_r_l2_only_the_gc_reviews_and_pays(month):
    payroll = ready_payroll(month)
    for who in ("sub_labor", "neighbour_labor", "town_l1"):
        with refused("forbidden"):
            services.payroll_review(actor=month.user(who), payroll=payroll)
    with refused("forbidden"):
        services.wage_account_set(
            actor=month.user("sub_labor"),
            project=month.projects["p1"],
            bank_code="102",
            bank_name="x",
            account_name="x",
            account_no="2011002109200012345",
            opened_on=dt.date(2024, 2, 1),
        )
    services.payroll_review(actor=month.user("gc_labor"), payroll=payroll)
    with pytest.raises(DomainError) as exc:
        services.payment_batch_export(actor=month.user("gc_labor"), project=month.projects["p1"])
    assert exc.value.code == "labor.payment_no_account"
    wage_account(month)
    with refused("forbidden"):
        services.payment_batch_export(actor=month.user("sub_labor"), project=month.projects["p1"])
    batch = services.payment_batch_export(
        actor=month.user("gc_labor"), project=month.projects["p1"]
    )
    assert batch.line_count == 1 and batch.total_fen == 18 * 28000
    payroll.refresh_from_db()
    assert payroll.state == Payroll.State.PAYING


def test_r_l2_bank_result_with_mixed_success_and_the_failed_line_paid_later(month):
    gc = draft(month, who="gc_labor", employer="gc")
    confirm_all(month, gc)
    services.payroll_submit(actor=month.user("gc_labor"), payroll=gc)
    sub = ready_payroll(month)
    for p in (gc, sub):
        services.payroll_review(actor=month.user("gc_labor"), payroll=p)
    wage_account(month)
    gl = month.user("gc_labor")
    batch = services.payment_batch_export(actor=gl, project=month.projects["p1"])
    refs = {
        p.payroll_line.worker.name: p.line_ref
        for p in batch.lines.select_related("payroll_line__worker")
    }
    outcome = services.payment_result_import(
        actor=gl,
        batch=batch,
        rows=[
            Row(refs["测试甲工"], "paid", 20 * 30000, "B001", "", dt.date(2026, 11, 9)),
            Row(refs["测试乙工"], "failed", None, "", "户名与账号不符"),
            Row("DF-UNKNOWN-0001", "paid", 100),
        ],
        parse_errors=[(4, "amount", "金额格式错误")],
    )
    assert (outcome.paid, outcome.failed) == (1, 1) and len(outcome.errors) == 2
    gc.refresh_from_db()
    sub.refresh_from_db()
    assert gc.state == Payroll.State.PAID and sub.state == Payroll.State.PARTLY_PAID
    failed = line_of(sub)
    assert failed.pay_status == "failed" and failed.fail_reason == "户名与账号不符"
    again = services.payment_result_import(
        actor=gl,
        batch=batch,
        rows=[Row(refs["测试甲工"], "paid", 20 * 30000, "B001")],
        parse_errors=[],
    )
    assert again.unchanged == 1 and again.paid == 0
    line_of(gc).refresh_from_db()
    assert line_of(gc).paid_fen == 20 * 30000  # not paid twice
    contradiction = services.payment_result_import(
        actor=gl, batch=batch, rows=[Row(refs["测试甲工"], "failed", None)], parse_errors=[]
    )
    assert contradiction.errors and line_of(gc).pay_status == "paid"
    # The card is fixed; the next batch carries only the failed line.
    second = services.payment_batch_export(actor=gl, project=month.projects["p1"])
    assert second.line_count == 1 and second.lines.get().payroll_line == failed
    ref = second.lines.get().line_ref
    services.payment_result_import(
        actor=gl, batch=second, rows=[Row(ref, "paid", 18 * 28000, "B002")], parse_errors=[]
    )
    sub.refresh_from_db()
    assert sub.state == Payroll.State.PAID
    assert PaymentLine.objects.filter(payroll_line=failed).count() == 2
    with pytest.raises(DomainError) as exc:
        services.payment_batch_export(actor=gl, project=month.projects["p1"])
    assert exc.value.code == "labor.payment_nothing"


def test_r_l2_wrong_amount_in_the_result_is_refused(month):
    services.payroll_review(actor=month.user("gc_labor"), payroll=ready_payroll(month))
    wage_account(month)
    batch = services.payment_batch_export(
        actor=month.user("gc_labor"), project=month.projects["p1"]
    )
    ref = batch.lines.get().line_ref
    outcome = services.payment_result_import(
        actor=month.user("gc_labor"), batch=batch, rows=[Row(ref, "paid", 1)], parse_errors=[]
    )
    assert outcome.paid == 0 and outcome.errors[0][1] == "amount"


# ---- scoping ----------------------------------------------------------------------------------------


def test_r_p3_payrolls_are_seen_by_their_employer_the_gc_and_authorities_only(month):
    sub = draft(month)
    gc = draft(month, who="gc_labor", employer="gc")
    see = lambda who: set(labor_selectors.payrolls_for(month.user(who)))  # noqa: E731
    assert see("sub_labor") == {sub}
    assert see("gc_labor") == {sub, gc}
    assert see("town_l1") == {sub, gc} and see("city_supervisor") == {sub, gc}
    assert see("neighbour_labor") == set() and see("neighbour_town") == set()
    assert see("worker") == set() and see("outsider") == set()
    lines = set(labor_selectors.payroll_lines_for(month.user("worker")))
    assert lines == {line_of(sub)}


def test_r_l2_a_line_changed_after_the_signed_sheet_needs_the_worker_again(month):
    from smz.testing.approvals import PDF

    payroll = draft(month)
    services.payroll_signed_sheet_attach(
        actor=month.user("sub_labor"), payroll=payroll, data=PDF, filename="signed.pdf"
    )
    assert codes(payroll) == set()
    services.payroll_line_update(
        actor=month.user("sub_labor"),
        line=line_of(payroll),
        data=LineInput(17, Decimal("136"), "280", Decimal(0), "0", "", ""),
    )
    assert codes(payroll) == {"labor.payroll_unconfirmed"}


def test_r_l2_a_draft_can_be_thrown_away_and_drawn_again(month):
    payroll = draft(month)
    with refused("forbidden"):
        services.payroll_draft_delete(actor=month.user("neighbour_labor"), payroll=payroll)
    services.payroll_draft_delete(actor=month.user("sub_labor"), payroll=payroll)
    assert not Payroll.objects.exists()
    again = draft(month)
    confirm_all(month, again)
    services.payroll_submit(actor=month.user("sub_labor"), payroll=again)
    with pytest.raises(DomainError) as exc:
        services.payroll_draft_delete(actor=month.user("sub_labor"), payroll=again)
    assert exc.value.code == "labor.payroll_locked"


def test_r_l1_expiring_contracts_are_shown_and_reminded(world, as_user):
    from django.urls import reverse
    from django.utils import timezone

    from smz.labor.services import arrears
    from smz.notifications.models import Notification

    today = timezone.localdate()
    contract(
        world,
        "sub",
        actor="sub_labor",
        start_on=today - dt.timedelta(days=300),
        end_on=today + dt.timedelta(days=20),
    )
    contract(
        world, "gc", start_on=today - dt.timedelta(days=30), end_on=today + dt.timedelta(days=200)
    )
    page = (
        as_user("sub_labor")
        .get(reverse("labor:project", args=[world.projects["p1"].pk]))
        .content.decode()
    )
    assert "1 份劳动合同将在30日内到期" in page and "测试乙工" in page
    arrears.contracts_expiring_notify(today=today)
    assert Notification.objects.filter(
        user=world.user("sub_labor"), title__contains="1 份"
    ).exists()
    assert Notification.objects.filter(user=world.user("gc_labor"), title__contains="1 份").exists()
    assert not Notification.objects.filter(user=world.user("neighbour_labor")).exists()
    # The digest counts from the day it is run for, not from the clock: a late run for an earlier day
    # (200 days on, the GC's contract is due too) says what was due then.
    later = today + dt.timedelta(days=190)
    arrears.contracts_expiring_notify(today=later)
    assert Notification.objects.filter(
        user=world.user("gc_labor"), title=f"劳动合同续签提醒 {later:%Y-%m-%d}：2 份30日内到期"
    ).exists()


def test_r_l2_a_stated_gross_replaces_rate_times_days_and_is_checked_alike(month):
    """应发 as the employer's own system computed it (a docked Payroll.Add, 附件8): kept to the fen, net = gross −
    deductions, the minimum-wage check at submission applies to it; a malformed amount is refused."""
    payroll = draft(month)
    actor = month.user("sub_labor")
    line = services.payroll_line_update(
        actor=actor,
        line=line_of(payroll),
        data=LineInput(18, Decimal("144"), "280", Decimal(0), "20", "", "", gross_yuan="5123.45"),
    )
    assert (line.gross_fen, line.net_fen, line.rate_fen) == (512345, 510345, 28000)
    line = services.payroll_line_update(
        actor=actor,
        line=line,
        data=LineInput(18, Decimal("144"), "280", Decimal(0), "0", "", "", gross_yuan="100"),
    )
    assert "labor.payroll_below_minimum" in codes(payroll)
    with refused("validation_error"):
        services.payroll_line_update(
            actor=actor,
            line=line,
            data=LineInput(18, Decimal("144"), "280", Decimal(0), "0", "", "", gross_yuan="1.234"),
        )
