"""工资保证金: rate limits, exemption only under 3 million, draws by the authority and the GC's top-up, refund
only after completion, the 30-day notice and with no arrears."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from smz.core.errors import DomainError
from smz.labor import selectors
from smz.labor.models import WageDeposit
from smz.labor.services import deposits
from smz.testing.errors import refused

D = dt.date(2026, 3, 1)


def register(world, who="gc_labor", **kw):
    args = (
        dict(
            form="cash",
            contract_price_yuan="80,000,000",
            rate_permille=15,
            due_on=D,
            deposited_on=D - dt.timedelta(days=3),
            bank_name="中国工商银行中山分行",
        )
        | kw
    )
    return deposits.deposit_register(actor=world.user(who), project=world.projects["p1"], **args)


def test_r_l2_deposit_amount_rate_and_exemption(world):
    with pytest.raises(DomainError) as exc:
        register(world, rate_permille=40)
    assert "rate_permille" in exc.value.detail["fields"]
    with pytest.raises(DomainError) as exc:
        register(world, form="guarantee")
    assert "guarantee_no" in exc.value.detail["fields"]
    with pytest.raises(DomainError) as exc:
        register(world, exempt_reason="小项目")
    assert "exempt_reason" in exc.value.detail["fields"]  # 80 million is not under 3 million
    with pytest.raises(DomainError):
        register(world, who="sub_labor")
    d = register(world)
    assert d.amount_fen == d.balance_fen == 120_000_000  # 80,000,000 yuan × 1.5% = 1,200,000 yuan
    with pytest.raises(DomainError) as exc:
        register(world)
    assert exc.value.code == "labor.deposit_exists"


def test_r_l2_small_project_may_be_exempt(world):
    d = register(
        world, contract_price_yuan="2,500,000", exempt_reason="合同额不足300万元且一年内无拖欠"
    )
    assert d.status == WageDeposit.Status.EXEMPT and d.amount_fen == 0


def test_r_l2_draw_top_up_and_refund(world):
    d = register(world)
    with refused("forbidden"):
        deposits.deposit_draw(
            actor=world.user("gc_labor"), deposit=d, amount_yuan="1000", on=D, note=""
        )
    with refused("forbidden"):
        deposits.deposit_draw(
            actor=world.user("neighbour_town"), deposit=d, amount_yuan="1000", on=D, note=""
        )
    deposits.deposit_draw(
        actor=world.user("town_l1"),
        deposit=d,
        amount_yuan="50,400",
        on=dt.date(2026, 11, 20),
        note="责令书",
    )
    d.refresh_from_db()
    assert d.balance_fen == 120_000_000 - 5_040_000
    assert selectors.top_up_due(d) == dt.date(2026, 12, 4)  # 10 working days after the draw
    with refused("validation_error"):
        deposits.deposit_top_up(actor=world.user("gc_labor"), deposit=d, amount_yuan="60,000", on=D)
    deposits.deposit_top_up(
        actor=world.user("gc_labor"), deposit=d, amount_yuan="50,400", on=dt.date(2026, 11, 27)
    )
    d.refresh_from_db()
    assert d.balance_fen == d.amount_fen and selectors.top_up_due(d) is None
    with pytest.raises(DomainError) as exc:
        deposits.deposit_refund(actor=world.user("town_l1"), deposit=d, on=dt.date(2027, 1, 1))
    assert exc.value.code == "labor.deposit_not_completed"
    p1 = world.projects["p1"]
    p1.completed_on = dt.date(2026, 12, 31)
    p1.save()
    d.refresh_from_db()
    with pytest.raises(DomainError) as exc:
        deposits.deposit_refund(actor=world.user("town_l1"), deposit=d, on=dt.date(2027, 1, 15))
    assert exc.value.code == "labor.deposit_notice_period"
    deposits.deposit_refund(actor=world.user("town_l1"), deposit=d, on=dt.date(2027, 2, 1))
    d.refresh_from_db()
    assert d.status == WageDeposit.Status.REFUNDED and d.balance_fen == 0
    assert [m.kind for m in d.movements.all()] == ["deposit", "draw", "top_up", "refund"]


def test_r_l2_deposit_on_the_hub(world, as_user):
    p1 = world.projects["p1"]
    as_user("gc_labor").post(
        reverse("labor:project", args=[p1.pk]),
        {
            "form": "deposit",
            "deposit_form": "guarantee",
            "contract_price_yuan": "80000000",
            "rate_permille": "10",
            "due_on": "2026-03-01",
            "deposited_on": "2026-02-20",
            "guarantee_no": "BH2026-001",
        },
    )
    page = as_user("town_l1").get(reverse("labor:project", args=[p1.pk])).content.decode()
    assert "800,000.00" in page and "BH2026-001" in page and "登记动用" in page
