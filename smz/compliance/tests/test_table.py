"""附件6 as one source (X6): the JSON file shipped in the app is what the database loads and what
docs/compliance/deductions.md shows; the rules the issue names are all there and well formed."""

from __future__ import annotations

from decimal import Decimal

import pytest

from smz.compliance import table
from smz.compliance.models import Evidence, Obligation, Responsible

# Issue 13 item 2: the rules the table must have at least.
REQUIRED = {
    "C-KP-ABSENT",  # key post absent on a working day
    "C-KP-VACANT",  # key post without a holder
    "C-ATT-NONE",  # no valid attendance on an active day
    "C-LB-UNREG",  # labor present without registration
    "C-LB-NOCONTRACT",  # … without a contract
    "C-LB-NOTRAIN",  # … without training
    "C-ATT-SNAPSHOT",  # attendance invalid: no usable snapshot
    "C-DEV-OFFSITE",  # device off the site
    "C-DOCK-LATE",  # not docked
    "C-DOCK-SILENT",  # no data received for N days
    "C-KP-DOUBLE",  # double shift of a key-post holder
    "C-PAY-MISSING",  # payroll missing
    "C-PAY-HEADCOUNT",  # paid headcount ≠ attended headcount
    "C-WF1-LATE",  # WF1 not filed in time (C6)
    "C-WF4-FACE",  # WF4: new holder's face not enrolled in time (C6)
    "C-BLD-START",  # the builder answers for the declared planned start (C6)
    "C-CAM-ENTRANCE",  # camera rules once video lands
}


def test_the_document_shows_exactly_the_data_file():
    text = table.DOC_FILE.read_text(encoding="utf-8")
    for name in table.BLOCKS:
        assert table.doc_block(text, name) == table.render_block(name), (
            f"docs/compliance/deductions.md 的「{name}」表与 {table.DATA_FILE.name} 不一致："
            "运行 manage.py compliance_rules --write-doc"
        )
    assert table.doc_rewrite(text) == text


def test_every_rule_the_issue_names_is_in_the_table():
    codes = [r["code"] for r in table.table_data()["rules"]]
    assert len(codes) == len(set(codes))
    assert sorted(REQUIRED - set(codes)) == []


@pytest.mark.parametrize("rule", table.table_data()["rules"], ids=lambda r: r["code"])
def test_each_rule_is_well_formed(rule):
    assert rule["obligation"] in Obligation.values
    assert rule["responsible"] in Responsible.values
    assert rule["evidence"] and set(rule["evidence"]) <= set(Evidence.values)
    points = Decimal(rule["points"])
    assert points >= 0
    for cap in ("per_day_cap", "per_month_cap"):
        if rule[cap] is not None:
            assert Decimal(rule[cap]) >= points, (rule["code"], cap)
    assert table.parse_date(rule["effective_from"]) is not None
    assert rule["title"] and rule["checks"] and rule["basis"] and rule["note"]
    assert all(isinstance(v, int) for v in rule["params"].values())


def test_every_obligation_a_regime_lists_is_known_and_checked_by_a_rule():
    data = table.table_data()
    checked = {r["obligation"] for r in data["rules"]}
    for regime in data["regimes"]:
        assert set(regime["obligations"]) <= set(Obligation.values)
        assert set(regime["obligations"]) <= checked


def test_the_regime_dates_are_the_notices():
    data = table.table_data()
    phases = {p["code"]: p for p in data["phases"]}
    assert phases["trial"]["ends_on"] == "2020-01-31" and not phases["trial"]["deducts"]
    assert phases["formal"]["starts_on"] == "2020-02-01" and phases["formal"]["deducts"]
    regimes = {r["code"]: r for r in data["regimes"]}
    assert regimes["permit_2020"]["permit_from"] == "2020-02-01"
    assert regimes["registered_before"]["permit_before"] == "2020-02-01"
    assert regimes["registered_before"]["dock_by"] == "2020-02-01"
    assert regimes["old_system"]["legacy_system"]


def test_points_text():
    assert table.points_text(Decimal("1.0")) == "1"
    assert table.points_text(Decimal("0.5")) == "0.5"
    assert table.points_text(Decimal("10")) == "10"
    assert table.points_text(None) == "不设"
