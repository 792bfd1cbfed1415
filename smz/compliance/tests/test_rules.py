"""Rule versions (X6, N4): loading is idempotent, versions are append-only, a change is a new version from
today on with its author and reason, and the lookup answers which version applied on a day."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from smz.compliance import selectors
from smz.compliance.models import DeductionRule, DeductionRuleVersion
from smz.compliance.selectors import rule_table_on, rule_version_on
from smz.compliance.services import rule_table_load, rule_version_create
from smz.core.models import Event
from smz.testing.errors import refused

TRIAL_LAST = dt.date(2020, 1, 31)
FORMAL_FIRST = dt.date(2020, 2, 1)


def _change(world, actor="city_admin", code="C-KP-ABSENT", **kw):
    args = {
        "points": "2",
        "per_day_cap": "4",
        "per_month_cap": "",
        "responsible": "post_owner",
        "evidence": ["key_post_day", "pass"],
        "enabled": True,
        "effective_from": selectors.today(),
        "effective_to": None,
        "reason": "依据市住建局通知调整分值",
    }
    return rule_version_create(
        actor=world.user(actor), rule=DeductionRule.objects.get(code=code), **(args | kw)
    )


def test_the_load_creates_every_rule_once_as_version_1(rules):
    assert rules.rules_created == rules.versions_created == DeductionRule.objects.count() >= 17
    again = rule_table_load()
    assert (again.rules_created, again.versions_created) == (0, 0)
    assert set(DeductionRuleVersion.objects.values_list("number", flat=True)) == {1}
    v1 = rule_version_on("C-DEV-OFFSITE", dt.date(2026, 1, 23))
    assert v1.points == Decimal("11") and v1.changed_by is None and v1.source == "file:v1"


def test_a_version_is_never_changed_or_deleted(rules):
    version = DeductionRuleVersion.objects.first()
    version.points = Decimal("9")
    with pytest.raises(PermissionError):
        version.save()
    with pytest.raises(PermissionError):
        version.delete()
    with pytest.raises(PermissionError):
        DeductionRuleVersion.objects.update(points=0)
    with pytest.raises(PermissionError):
        DeductionRuleVersion.objects.all().delete()


def test_a_change_is_a_new_version_with_its_author_reason_and_event(world, rules):
    v2 = _change(world)
    assert v2.number == 2 and v2.changed_by == world.user("city_admin")
    assert v2.points == Decimal("2") and v2.per_month_cap is None
    # text and basis carry over; the old version is untouched
    v1 = DeductionRuleVersion.objects.get(rule=v2.rule, number=1)
    assert (v2.title, v2.checks, v2.basis) == (v1.title, v1.checks, v1.basis)
    assert v1.points == Decimal("1")
    assert rule_version_on("C-KP-ABSENT", selectors.today()) == v2
    assert rule_version_on("C-KP-ABSENT", selectors.today() - dt.timedelta(days=1)) == v1
    event = Event.objects.get(
        kind="compliance.rule_version_created", actor=world.user("city_admin")
    )
    assert event.data["before"]["points"] == "1" and event.data["after"]["points"] == "2"
    assert event.data["reason"] == "依据市住建局通知调整分值"


@pytest.mark.parametrize(
    "persona", ["city_supervisor", "town_l2", "gc_admin", "gc_labor", "worker", "outsider"]
)
def test_only_the_city_administrator_changes_the_table(world, rules, persona):
    with refused("compliance.forbidden"):
        _change(world, actor=persona)
    assert not DeductionRuleVersion.objects.filter(number=2).exists()


def test_a_change_needs_a_reason_and_a_date_not_in_the_past(world, rules):
    with refused("validation_error") as info:
        _change(world, reason="  ")
    assert "reason" in info.value.detail["fields"]
    with refused("validation_error") as info:
        _change(world, effective_from=selectors.today() - dt.timedelta(days=1))
    assert "effective_from" in info.value.detail["fields"]
    with refused("validation_error") as info:
        _change(
            world,
            effective_from=selectors.today() + dt.timedelta(days=5),
            effective_to=selectors.today() + dt.timedelta(days=4),
        )
    assert "effective_to" in info.value.detail["fields"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("points", ""),
        ("points", "abc"),
        ("points", "-1"),
        ("points", "101"),
        ("points", "0.25"),
        ("points", "NaN"),
        ("per_day_cap", "x"),
        ("responsible", "nobody"),
        ("evidence", []),
        ("evidence", ["fingerprint"]),
        ("params", {"days": 0}),
        ("params", {"days": None}),
    ],
)
def test_malformed_values_are_refused_by_field(world, rules, field, value):
    code = "C-DOCK-SILENT" if field == "params" else "C-KP-ABSENT"
    with refused("validation_error") as info:
        _change(world, code=code, **{field: value})
    assert field in info.value.detail["fields"]
    assert DeductionRuleVersion.objects.filter(number=2).count() == 0


def test_a_parameter_is_versioned(world, rules):
    v2 = _change(world, code="C-DOCK-SILENT", params={"days": 5, "unknown": 9})
    assert v2.params == {"days": 5}
    assert rule_version_on("C-DOCK-SILENT", selectors.today()).params == {"days": 5}


def test_the_version_on_the_trial_and_formal_boundary(world, rules, on_day):
    """Decided on the trial's last day, effective from the formal start: each day gets its own version."""
    on_day(TRIAL_LAST)
    v2 = _change(world, points="3", effective_from=FORMAL_FIRST)
    assert rule_version_on("C-KP-ABSENT", TRIAL_LAST).number == 1
    assert rule_version_on("C-KP-ABSENT", FORMAL_FIRST) == v2
    assert rule_table_on(TRIAL_LAST)["C-KP-ABSENT"].number == 1
    assert rule_table_on(FORMAL_FIRST)["C-KP-ABSENT"] == v2
    # before a rule's first version nothing applies: the snapshot rule starts with 中建通〔2023〕90号
    assert rule_version_on("C-ATT-SNAPSHOT", FORMAL_FIRST) is None
    assert "C-ATT-SNAPSHOT" not in rule_table_on(FORMAL_FIRST)
    assert rule_version_on("C-ATT-SNAPSHOT", dt.date(2023, 6, 8)).number == 1


def test_a_temporary_version_ends_and_the_earlier_one_applies_again(world, rules):
    start = selectors.today() + dt.timedelta(days=2)
    end = start + dt.timedelta(days=6)
    v2 = _change(world, points="5", effective_from=start, effective_to=end)
    assert rule_version_on("C-KP-ABSENT", start - dt.timedelta(days=1)).number == 1
    assert rule_version_on("C-KP-ABSENT", start) == v2
    assert rule_version_on("C-KP-ABSENT", end) == v2
    assert rule_version_on("C-KP-ABSENT", end + dt.timedelta(days=1)).number == 1


def test_the_latest_decision_wins_over_an_earlier_planned_one(world, rules):
    later = selectors.today() + dt.timedelta(days=10)
    v2 = _change(world, points="5", effective_from=later)
    v3 = _change(world, points="4", effective_from=selectors.today() + dt.timedelta(days=3))
    assert rule_version_on("C-KP-ABSENT", later) == v3
    assert v2.number == 2


def test_the_list_shows_today_and_what_is_decided_for_later(world, rules):
    v2 = _change(world, effective_from=selectors.today() + dt.timedelta(days=3))
    rows = {row.rule.code: row for row in selectors.rule_list_for(world.user("city_supervisor"))}
    assert rows["C-KP-ABSENT"].current.number == 1
    assert rows["C-KP-ABSENT"].upcoming == v2
    assert rows["C-KP-ABSENT"].version_count == 2
    cam = rows["C-CAM-ENTRANCE"]
    assert (cam.current or cam.upcoming).enabled is True  # from the video go-live (issue 16)


def test_workers_do_not_read_the_table(world, rules):
    with refused("compliance.forbidden"):
        selectors.rule_list_for(world.user("worker"))
    with refused("compliance.forbidden"):
        selectors.rule_get_for(world.user("outsider"), "C-KP-ABSENT")
    with refused("not_found"):
        selectors.rule_get_for(world.user("gc_labor"), "C-NOPE")


def test_the_command_loads_the_table_and_runs_again_harmlessly(db):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("compliance_rules", stdout=out)
    assert "新增规则 17 条、版本 17 个" in out.getvalue()
    call_command("compliance_rules", stdout=out)
    assert "新增规则 0 条、版本 0 个" in out.getvalue()


def test_the_history_says_from_when_a_later_version_takes_over(world, rules):
    start = selectors.today() + dt.timedelta(days=2)
    _change(world, points="5", effective_from=start, effective_to=start + dt.timedelta(days=3))
    assert selectors.rule_get_for(world.user("city_admin"), "C-KP-ABSENT").superseded == {}
    _change(world, points="4", effective_from=start + dt.timedelta(days=1))
    history = selectors.rule_get_for(world.user("city_admin"), "C-KP-ABSENT")
    assert history.superseded[1] == selectors.Superseded(3, start + dt.timedelta(days=1))
    assert history.superseded[2] == selectors.Superseded(3, start + dt.timedelta(days=1))
    assert 3 not in history.superseded
