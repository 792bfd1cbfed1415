"""The daily run (issue 13 item 4): crafted project-days, one persona per responsible party — 甲建设集团 (the
GC), 乙劳务 (a worker's employer), 丙监理 (the supervision firm's post), 丁置业 (the builder, C-BLD-START) — and
the boundaries: trial period, regimes, suspensions, WF4, the start-date rules (C6), caps, idempotent re-runs."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from smz.approvals.models import ApprovalRequest, RequestKind
from smz.attendance.models import DailyAttendance, KeyPostDay, PassRecord
from smz.attendance.services import key_post_days_compute
from smz.compliance.models import Deduction, LegacySystemProject, Violation
from smz.compliance.services.engine import judge
from smz.compliance.tasks import compliance_run_day
from smz.devices.models import SiteBoundary
from smz.docking.models import DockingRequest
from smz.labor.models import LaborContract, Payroll, PayrollLine, SafetyTraining
from smz.registry.identity import id_number_index
from smz.registry.models import (
    Authority,
    KeyPost,
    KeyPostChange,
    PlannedStartDeclaration,
    ProjectPause,
    Worker,
)
from smz.registry.synthetic import synthetic_id_number
from smz.testing.attendance import gate_for
from smz.testing.docking import docking_app

DAY = dt.date(2024, 6, 3)  # a Monday, formal phase, p1 attending since 2024-02-11
_seq = itertools.count(1)


@pytest.fixture
def site(world, rules):
    """p1 with a gate; its GC's labor, the subcontractor's worker and the PM papered (contract + training)."""
    gate = gate_for(world, "p1", "ENGINE-GATE")
    for key in ("gc", "sub"):
        emp = world.employments[key]
        LaborContract.objects.create(
            no=f"HT{emp.pk:06d}",
            employment=emp,
            period_type="fixed",
            start_on=dt.date(2024, 3, 1),
            wage_kind="daily",
            rate_fen=30000,
            pay_day=15,
            created_by=world.user("gc_labor"),
        )
        SafetyTraining.objects.create(
            project=world.projects["p1"],
            worker=world.workers[key],
            trained_on=dt.date(2024, 3, 1),
            course="三级安全教育",
            hours=24,
            recorded_by=world.user("gc_labor"),
        )
    return gate


def passes(
    gate, worker, day, *, valid=True, reason="", snapshot="s.jpg", off_site=False, project=None
):
    """Two passes of a person on a day, stored as ingest would, and the day's row."""
    ids = []
    for hh, direction in ((8, "in"), (17, "out")):
        ids.append(
            PassRecord.objects.create(
                device=gate,
                device_record_id=f"r{next(_seq)}",
                project=project or gate.project,
                worker=worker,
                event_time=dt.datetime.combine(
                    day, dt.time(hh), tzinfo=timezone.get_current_timezone()
                ),
                work_date=day,
                received_at=timezone.now(),
                direction=direction,
                snapshot=snapshot,
                valid=valid,
                invalid_reason=reason,
                off_site=off_site,
            ).pk
        )
    DailyAttendance.objects.update_or_create(
        project=project or gate.project,
        worker=worker,
        work_date=day,
        defaults={
            "attended": valid,
            "valid_passes": 2 if valid else 0,
            "invalid_passes": 0 if valid else 2,
        },
    )
    return ids


def close(world, day, project="p1"):
    return key_post_days_compute(project_id=world.projects[project].pk, day=day)


def found(project=None, code=None, day=DAY):
    qs = Violation.objects.filter(day=day)
    if project is not None:
        qs = qs.filter(project=project)
    if code is not None:
        qs = qs.filter(rule__code=code)
    return list(qs.order_by("rule__code", "subject"))


def p1_only(world, day=DAY, last=None):
    return judge(day, last or day, projects=[world.projects["p1"].pk])


def staff_all_present(world, gate, day=DAY):
    for key in ("gc", "sub", "pm"):
        passes(gate, world.workers[key], day)


# ---- key posts --------------------------------------------------------------------------------------


def test_absent_key_post_charges_the_posts_enterprise_vacant_posts_too(world, site):
    passes(site, world.workers["gc"], DAY)  # the site attends, the PM does not
    close(world, DAY)
    p1 = world.projects["p1"]
    p1_only(world)
    absent = found(p1, "C-KP-ABSENT")
    assert [v.subject for v in absent] == [f"post:{KeyPost.objects.get(project=p1, post='P01').pk}"]
    assert absent[0].enterprise == world.enterprises["gc"]  # 甲建设集团 answers for its PM post
    assert absent[0].responsible == "post_owner" and absent[0].counted and absent[0].points == 1
    kpd = KeyPostDay.objects.get(key_post__post="P01", work_date=DAY)
    assert absent[0].evidence["key_post_day"] == [kpd.pk]
    assert "无有效考勤" in absent[0].evidence["text"]
    vacant = {v.evidence["key_post"][0]: v for v in found(p1, "C-KP-VACANT")}
    s01 = KeyPost.objects.get(project=p1, post="S01")
    assert vacant[s01.pk].enterprise == world.enterprises["sup"]  # 丙监理 answers for its own post
    assert len(vacant) == 2 and not found(p1, "C-ATT-NONE")


def test_present_holder_and_exempt_days_are_not_judged(world, site):
    staff_all_present(world, site)
    close(world, DAY)
    KeyPost.objects.filter(post__in=["P03", "S01"]).delete()
    KeyPostDay.objects.filter(key_post__post__in=["P03", "S01"]).delete()
    p1_only(world)
    assert found(world.projects["p1"]) == []
    before = dt.date(2024, 2, 10)  # planned start 2024-02-01 + 10 days = 2024-02-11
    close(world, before)
    p1_only(world, before)
    # Only the docking deadline (the planned start) applies before the attendance start: nothing had arrived.
    assert [v.rule.code for v in found(world.projects["p1"], day=before)] == ["C-DOCK-LATE"]


def test_wf4_old_holder_counts_until_the_new_face_is_enrolled(world, site):
    """The change approved on 05-20 waits for the new PM's face: the old PM still holds P01 (his absence is
    C-KP-ABSENT, not a vacancy), and after 7 days the post is also C-WF4-FACE."""
    p01 = KeyPost.objects.get(project=world.projects["p1"], post="P01")
    KeyPostChange.objects.create(
        key_post=p01,
        old_worker=world.workers["pm"],
        new_worker=world.workers["gc"],
        permit_ref="变更〔2024〕1号",
        permit_approved_on=dt.date(2024, 5, 20),
        source="authority",
    )
    passes(site, world.workers["gc"], DAY)  # the new one attends: does not count yet
    (row,) = [r for r in close(world, DAY) if r.key_post_id == p01.pk]
    assert row.holder == world.workers["pm"] and not row.attended
    p1_only(world)
    (absent,) = found(world.projects["p1"], "C-KP-ABSENT")
    assert absent.evidence["worker"] == [world.workers["pm"].pk]
    (late,) = found(world.projects["p1"], "C-WF4-FACE")
    assert late.subject == f"post:{p01.pk}" and late.enterprise == world.enterprises["gc"]
    early = dt.date(2024, 5, 27)  # 7 days after approval: not yet late
    p1_only(world, early)
    assert found(world.projects["p1"], "C-WF4-FACE", day=early) == []


def test_double_shift_of_a_post_holder(world, site):
    staff_all_present(world, site)
    other = gate_for(world, "p2", "ENGINE-P2")
    passes(other, world.workers["pm"], DAY)
    close(world, DAY)
    p1_only(world)
    (double,) = found(world.projects["p1"], "C-KP-DOUBLE")
    assert double.subject == f"worker:{world.workers['pm'].pk}"
    assert double.enterprise == world.enterprises["gc"]
    assert len(double.evidence["pass"]) == 4  # both sites' passes
    assert "另在 1 个项目" in double.evidence["text"]


# ---- attendance, devices -------------------------------------------------------------------------


def test_no_valid_attendance_on_a_working_day_charges_the_gc(world, site):
    close(world, DAY)
    p1_only(world)
    (none,) = found(world.projects["p1"], "C-ATT-NONE")
    assert none.subject == "project" and none.enterprise == world.enterprises["gc"]
    assert none.evidence["device"] == [site.pk] and none.points == 2


def test_passes_without_a_usable_snapshot(world, site):
    staff_all_present(world, site)
    bad = passes(
        site,
        world.workers["sub"],
        DAY + dt.timedelta(days=0),
        valid=False,
        reason="no_snapshot",
        snapshot="",
    )
    DailyAttendance.objects.filter(worker=world.workers["sub"], work_date=DAY).update(attended=True)
    p1_only(world)
    (snap,) = found(world.projects["p1"], "C-ATT-SNAPSHOT")
    assert snap.evidence["pass"] == sorted(bad) and "无抓拍照片 2 条" in snap.evidence["text"]
    assert snap.enterprise == world.enterprises["gc"] and snap.points == Decimal("0.5")


def test_accepted_pass_contests_clear_the_snapshot_rule(world, site):
    """Issue 13 item 5: passes whose contest the authority accepted count; the next run no longer finds them."""
    from smz.attendance.models import PassRecord, SnapshotCheck
    from smz.attendance.services import pass_contest_decide, pass_contest_file

    staff_all_present(world, site)
    for pk in PassRecord.objects.exclude(snapshot="").values_list("pk", flat=True):
        # the staff's snapshots were checked (the recompute after the decision would find no file here)
        SnapshotCheck.objects.create(pass_record_id=pk, faces=1, detector="test")
    bad = passes(site, world.workers["sub"], DAY, valid=False, reason="no_snapshot", snapshot="")
    DailyAttendance.objects.filter(worker=world.workers["sub"], work_date=DAY).update(attended=True)
    for pk in bad:
        contest = pass_contest_file(
            actor=world.user("worker"), pass_record=PassRecord.objects.get(pk=pk), reason="r"
        )
        pass_contest_decide(actor=world.user("town_l1"), contest=contest, accept=True, decision="d")
    p1_only(world)
    assert found(world.projects["p1"], "C-ATT-SNAPSHOT") == []


def test_device_off_the_site(world, site):
    staff_all_present(world, site)
    SiteBoundary.objects.create(
        project=world.projects["p1"],
        polygon=[[113.0, 22.0], [113.1, 22.0], [113.1, 22.1], [113.0, 22.1]],
    )
    type(site).objects.filter(pk=site.pk).update(lng=Decimal("113.5"), lat=Decimal("22.5"))
    p1_only(world)
    (off,) = found(world.projects["p1"], "C-DEV-OFFSITE")
    assert off.subject == f"device:{site.pk}" and off.points == 11 and off.counted
    # the month cap is 11: the next day's finding is recorded but not counted
    nxt = DAY + dt.timedelta(days=1)
    staff_all_present(world, site, nxt)
    p1_only(world, nxt)
    (again,) = found(world.projects["p1"], "C-DEV-OFFSITE", day=nxt)
    assert not again.counted and "每月上限" in again.not_counted_reason


# ---- labor ----------------------------------------------------------------------------------------


def test_labor_without_contract_or_training_charges_the_employer(world, site):
    staff_all_present(world, site)
    LaborContract.objects.filter(employment=world.employments["sub"]).update(
        end_on=dt.date(2024, 5, 31)
    )
    SafetyTraining.objects.filter(worker=world.workers["sub"]).delete()
    p1_only(world)
    (nc,) = found(world.projects["p1"], "C-LB-NOCONTRACT")
    (nt,) = found(world.projects["p1"], "C-LB-NOTRAIN")
    for v in (nc, nt):
        assert v.subject == f"worker:{world.workers['sub'].pk}"
        assert v.enterprise == world.enterprises["sub"]  # 乙劳务, the employer
        assert v.responsible == "employer" and len(v.evidence["pass"]) == 2


def test_a_person_not_on_the_roster(world, site):
    staff_all_present(world, site)
    passes(site, world.workers["neighbour"], DAY)  # on p2's roster only
    p1_only(world)
    (unreg,) = found(world.projects["p1"], "C-LB-UNREG")
    assert unreg.subject == f"worker:{world.workers['neighbour'].pk}"
    assert unreg.enterprise == world.enterprises["gc"]


# ---- wages ----------------------------------------------------------------------------------------


def test_payroll_missing_and_headcount_judged_on_the_pay_deadline(world, site):
    may = dt.date(2024, 5, 6)
    staff_all_present(world, site, may)
    payroll = Payroll.objects.create(
        no="GZ0001",
        project=world.projects["p1"],
        employer=world.enterprises["gc"],
        team=world.teams["gc"],
        month=dt.date(2024, 5, 1),
        state=Payroll.State.PAID,
        pay_due_on=dt.date(2024, 6, 15),
        created_by=world.user("gc_labor"),
    )
    PayrollLine.objects.create(
        payroll=payroll,
        employment=world.employments["gc"],
        worker=world.workers["gc"],
        wage_kind="daily",
        pay_status=PayrollLine.PayStatus.PAID,
        days_attended=1,
        minutes_attended=480,
        days_paid=1,
        hours_paid=8,
        rate_fen=30000,
        gross_fen=30000,
        net_fen=30000,
    )
    due = dt.date(2024, 6, 15)
    p1_only(world, dt.date(2024, 6, 14))
    assert found(world.projects["p1"], "C-PAY-MISSING", day=dt.date(2024, 6, 14)) == []
    p1_only(world, due)
    (missing,) = found(world.projects["p1"], "C-PAY-MISSING", day=due)
    assert missing.subject == f"team:{world.teams['sub'].pk}"
    assert missing.enterprise == world.enterprises["sub"]  # 乙劳务's team has no payroll
    (head,) = found(world.projects["p1"], "C-PAY-HEADCOUNT", day=due)
    assert head.enterprise == world.enterprises["gc"] and head.evidence["payroll"] == [payroll.pk]
    assert "建筑工人 2 人，工资表实发 1 人" in head.evidence["text"]


# ---- phases, regimes, suspensions -------------------------------------------------------------------


def _dates_2020(world):
    p1 = world.projects["p1"]
    p1.permit_issued_on = dt.date(2019, 11, 1)  # registered before 2020-02-01: labor real name only
    p1.planned_start = dt.date(2019, 11, 10)
    p1.save()
    return p1


def test_trial_period_computed_never_counted(world, site):
    """In the trial period only labor real name is owed (attendance from 2020-02-01): an untrained worker
    on 2020-01-31 is recorded but not counted; the same on 2020-02-01 is counted."""
    p1 = _dates_2020(world)
    type(world.employments["sub"]).objects.filter(pk=world.employments["sub"].pk).update(
        entry_on=dt.date(2019, 12, 1)
    )
    SafetyTraining.objects.all().delete()
    last_trial, first_formal = dt.date(2020, 1, 31), dt.date(2020, 2, 1)
    for day in (last_trial, first_formal):
        passes(site, world.workers["sub"], day)
    judge(last_trial, first_formal, projects=[p1.pk])
    (trial,) = found(p1, "C-LB-NOTRAIN", day=last_trial)
    assert not trial.counted and trial.not_counted_reason == "试运行期：只计算、不扣分"
    assert found(p1, "C-ATT-NONE", day=last_trial) == []  # attendance owed from 2020-02-01 only
    (formal,) = found(p1, "C-LB-NOTRAIN", day=first_formal)
    assert formal.counted and formal.not_counted_reason == ""


def test_regime_without_manager_attendance_finds_no_key_post_violation(world, site):
    """A permit before 2020-02-01 owes no manager attendance (C1/C3): the closing job exempts its posts
    (registry.obligations, reason old_permit), so no key-post rule finds anything; attendance is still owed."""
    p1 = _dates_2020(world)
    day = dt.date(2020, 2, 3)
    close(world, day)
    judge(day, day, projects=[p1.pk])
    assert found(p1, "C-KP-VACANT", day=day) == []
    assert found(p1, "C-KP-ABSENT", day=day) == []
    assert found(p1, "C-ATT-NONE", day=day)[0].counted  # attendance is owed by this regime


def test_old_system_project_only_real_name_and_wages(world, site):
    p1 = _dates_2020(world)
    LegacySystemProject.objects.create(project=p1, attended_since=dt.date(2019, 12, 1))
    day = dt.date(2020, 2, 3)
    judge(day, day, projects=[p1.pk])
    (none,) = found(p1, "C-ATT-NONE", day=day)
    assert not none.counted and "原诚信管理系统" in none.not_counted_reason


def test_a_suspension_is_not_judged(world, site):
    close(world, DAY)
    p1_only(world)
    assert found(world.projects["p1"])  # absent posts, no attendance
    ProjectPause.objects.create(project=world.projects["p1"], start_on=DAY, suspension_ref="TG1")
    p1_only(world)
    assert found(world.projects["p1"]) == []  # withdrawn: nothing had been proposed from them


def test_out_of_scope_projects_are_not_judged(world, rules):
    p3 = world.projects["p3"]
    type(p3).objects.filter(pk=p3.pk).update(in_scope=False)
    result = judge(DAY, DAY)
    assert result.project_days == 2 and found(p3) == []


# ---- caps, re-runs ----------------------------------------------------------------------------------


def test_day_cap_counts_up_to_the_cap(world, site):
    """C-LB-NOTRAIN: 1 point per person, 5 per day: the sixth untrained worker is recorded, not counted."""
    staff_all_present(world, site)
    SafetyTraining.objects.all().delete()
    for i in range(5):
        idn = synthetic_id_number(birth=dt.date(1990, 1, 1), seq=100 + i, male=True)
        w = Worker.objects.create(
            id_card_type="01",
            id_number=idn,
            id_number_index=id_number_index("01", idn),
            name=f"测试工{i}",
            gender="1",
        )
        world.workers[f"x{i}"] = w
        world.employ("p1", f"x{i}")
        passes(site, w, DAY)
    p1_only(world)
    rows = found(world.projects["p1"], "C-LB-NOTRAIN")
    assert len(rows) == 7
    assert sum(v.counted for v in rows) == 5
    assert {v.not_counted_reason for v in rows if not v.counted} == {"已达每日上限 5 分"}


def test_a_rerun_gives_identical_rows_and_keeps_what_was_proposed(world, site):
    close(world, DAY)
    first = p1_only(world)
    snapshot = [(v.pk, v.rule_id, v.subject, v.counted, v.points, v.evidence) for v in found()]
    second = p1_only(world)
    assert [
        (v.pk, v.rule_id, v.subject, v.counted, v.points, v.evidence) for v in found()
    ] == snapshot
    assert (second.found, second.counted, second.created, second.updated) == (
        first.found,
        first.counted,
        0,
        0,
    )
    assert second.unchanged == first.found
    # a deduction was proposed from the no-attendance finding; then the day's passes arrive late
    none = found(world.projects["p1"], "C-ATT-NONE")[0]
    Deduction.objects.create(violation=none, enterprise=none.enterprise, points=none.points)
    staff_all_present(world, site)
    close(world, DAY)
    third = p1_only(world)
    none.refresh_from_db()
    assert none.evidence["stale"] is True and "未再发现" in none.evidence["stale_text"]
    assert third.stale == 1 and not found(world.projects["p1"], "C-KP-ABSENT")  # deleted
    p1_only(world)
    none.refresh_from_db()
    assert none.evidence["stale"] is True


def test_command_judges_a_range(world, site, capsys):
    call_command(
        "compliance_run",
        "--from",
        "2024-06-03",
        "--to",
        "2024-06-04",
        "--project",
        str(world.projects["p1"].pk),
    )
    out = capsys.readouterr().out
    assert "判定 2 天、2 个项目日" in out
    assert Violation.objects.filter(rule__code="C-ATT-NONE").count() == 2


def test_demo_week_is_judged_once(world, rules, capsys):
    call_command("compliance_run", "--demo-week")
    assert "判定 7 天" in capsys.readouterr().out
    call_command("compliance_run", "--demo-week")
    assert "跳过" in capsys.readouterr().out


def test_wf5_stops_end_the_attendance_rules(world, site):
    """The safety report stops the staff and the labor force (no C-ATT-NONE, posts exempt); the project
    manager attends until the quality notice."""
    p1 = world.projects["p1"]
    type(p1).objects.filter(pk=p1.pk).update(
        staff_attendance_stop_on=DAY, pm_attendance_stop_on=DAY + dt.timedelta(days=5)
    )
    close(world, DAY)
    p1_only(world)
    assert found(p1, "C-ATT-NONE") == [] and found(p1, "C-KP-VACANT") == []
    (absent,) = found(p1, "C-KP-ABSENT")
    assert absent.subject == f"post:{KeyPost.objects.get(project=p1, post='P01').pk}"


def test_the_task_judges_a_day(world, site):
    summary = compliance_run_day.call(DAY.isoformat())
    assert "判定 1 天" in summary and "新拟扣分" in summary
    assert (
        Deduction.objects.filter(violation__day=DAY).count()
        == Violation.objects.filter(
            day=DAY, counted=True, enterprise__isnull=False, points__gt=0
        ).count()
        > 0
    )
    assert found(world.projects["p1"], "C-ATT-NONE")


# ---- start date (C6): WF1 not filed in time, the builder's declaration ----------------------------------

START = dt.date(2024, 5, 20)  # p1's planned start in these tests: attendance from 2024-05-30


def _pending(world, planned=START, actual=None):
    """p1 not started (pending, no actual start) with a planned start; no key posts to close."""
    p1 = world.projects["p1"]
    type(p1).objects.filter(pk=p1.pk).update(
        planned_start=planned, actual_start=actual, status="pending"
    )
    return p1


def _start_change(world, *, submitted_on, state="pending_l1"):
    p1 = world.projects["p1"]
    at = None
    if submitted_on is not None:
        at = dt.datetime.combine(
            submitted_on, dt.time(23, 30), tzinfo=timezone.get_current_timezone()
        )
    return ApprovalRequest.objects.create(
        no=f"BG{next(_seq):06d}",
        kind=RequestKind.START_CHANGE,
        project=p1,
        authority=Authority.objects.get(name="小榄镇住房城乡建设部门"),
        state=state,
        applicant=world.user("gc_labor"),
        enterprise=world.enterprises["gc"],
        requested_date=dt.date(2024, 7, 1),
        reason="现场条件变化",
        submitted_at=at,
    )


def _wf1(p1, day):
    return [v for v in found(p1, "C-WF1-LATE", day=day)]


def test_wf1_late_from_the_attendance_start_charges_the_gc(world, rules):
    """甲建设集团 neither started nor filed WF1: found from planned start + 10 days, counted once a month."""
    p1 = _pending(world)
    judge(dt.date(2024, 5, 29), dt.date(2024, 6, 2), projects=[p1.pk])
    assert _wf1(p1, dt.date(2024, 5, 29)) == []  # the day before the attendance start
    (first,) = _wf1(p1, dt.date(2024, 5, 30))
    assert first.subject == "project" and first.responsible == "gc"
    assert first.enterprise == world.enterprises["gc"] and first.counted and first.points == 2
    assert "approval" not in first.evidence and "未提交“变更开工日期”申请" in first.evidence["text"]
    (again,) = _wf1(p1, dt.date(2024, 5, 31))
    assert not again.counted and again.not_counted_reason == "已达每月上限 2 分"
    (june,) = _wf1(p1, dt.date(2024, 6, 1))
    assert june.counted  # a new month


def test_wf1_filed_in_time_or_started_is_not_late(world, rules):
    p1 = _pending(world)
    draft = _start_change(world, submitted_on=None, state="draft")
    judge(dt.date(2024, 5, 30), dt.date(2024, 5, 30), projects=[p1.pk])
    (v,) = _wf1(p1, dt.date(2024, 5, 30))
    assert v.evidence["approval"] == [draft.pk]  # a draft is not filed
    draft.delete()
    _start_change(
        world, submitted_on=dt.date(2024, 5, 30), state="rejected"
    )  # filed on the day: in time
    judge(dt.date(2024, 5, 30), dt.date(2024, 6, 2), projects=[p1.pk])
    assert Violation.objects.filter(rule__code="C-WF1-LATE").count() == 0

    # started on the attendance start (actual start), or recorded as started before the lifecycle
    p1 = _pending(world, actual=dt.date(2024, 5, 30))
    ApprovalRequest.objects.all().delete()
    judge(dt.date(2024, 5, 29), dt.date(2024, 5, 30), projects=[p1.pk])
    assert Violation.objects.filter(rule__code="C-WF1-LATE").count() == 0
    type(p1).objects.filter(pk=p1.pk).update(actual_start=None, status="active")
    judge(dt.date(2024, 5, 30), dt.date(2024, 5, 30), projects=[p1.pk])
    assert Violation.objects.filter(rule__code="C-WF1-LATE").count() == 0


def test_wf1_filed_late_ends_the_findings_from_its_day(world, rules):
    p1 = _pending(world)
    late = _start_change(world, submitted_on=dt.date(2024, 6, 1), state="withdrawn")
    judge(dt.date(2024, 5, 30), dt.date(2024, 6, 2), projects=[p1.pk])
    assert len(_wf1(p1, dt.date(2024, 6, 1))) == 1  # a withdrawn request does not count as filed
    type(late).objects.filter(pk=late.pk).update(state="pending_l1")
    judge(dt.date(2024, 5, 30), dt.date(2024, 6, 2), projects=[p1.pk])
    assert len(_wf1(p1, dt.date(2024, 5, 31))) == 1
    assert _wf1(p1, dt.date(2024, 6, 1)) == [] and _wf1(p1, dt.date(2024, 6, 2)) == []


def test_builder_not_declaring_the_planned_start_is_charged_once(world, rules):
    """丁置业 (the builder) declared nothing by the planned start: judged the next day only, charged to it."""
    p1 = _pending(world)
    judge(START, START + dt.timedelta(days=3), projects=[p1.pk])
    rows = list(Violation.objects.filter(rule__code="C-BLD-START"))
    assert [v.day for v in rows] == [START + dt.timedelta(days=1)]
    (v,) = rows
    assert v.responsible == "builder" and v.enterprise == world.enterprises["builder"]
    assert v.counted and "declaration" not in v.evidence

    tz = timezone.get_current_timezone()
    late = PlannedStartDeclaration.objects.create(
        project=p1,
        enterprise=world.enterprises["builder"],
        declared_by=world.user("builder"),
        declared_at=dt.datetime.combine(START + dt.timedelta(days=1), dt.time(0, 0), tzinfo=tz),
        planned_start=START,
    )
    judge(START + dt.timedelta(days=1), START + dt.timedelta(days=1), projects=[p1.pk])
    (v,) = Violation.objects.filter(rule__code="C-BLD-START")
    assert v.evidence["declaration"] == [late.pk]  # declared after the deadline: still found

    PlannedStartDeclaration.objects.create(
        project=p1,
        enterprise=world.enterprises["builder"],
        declared_by=world.user("builder"),
        declared_at=dt.datetime.combine(START, dt.time(23, 59), tzinfo=tz),  # the last minute
        planned_start=START,
    )
    judge(START + dt.timedelta(days=1), START + dt.timedelta(days=1), projects=[p1.pk])
    assert not Violation.objects.filter(rule__code="C-BLD-START").exists()  # withdrawn


# ---- docking (D3) -----------------------------------------------------------------------------------


def test_dock_late_when_nothing_ever_arrived_after_the_deadline(world, site):
    """p1 (permit 2024: deadline = planned start 2024-02-01) has a gate but never sent a pass."""
    p1_only(world)
    (late,) = found(world.projects["p1"], "C-DOCK-LATE")
    assert late.enterprise == world.enterprises["gc"] and late.counted
    assert late.evidence["device"] == [site.pk] and "2024-02-01" in late.evidence["text"]
    # One pass on an earlier day is "received": no longer late, and not silent on its own day either.
    passes(site, world.workers["gc"], DAY)
    p1_only(world)
    assert found(world.projects["p1"], "C-DOCK-LATE") == []


def test_a_docking_call_counts_as_docked(world, site):
    app, _ = docking_app(world, ("p1",))
    DockingRequest.objects.create(
        serial="team-add-engine",
        app=app,
        project=world.projects["p1"],
        method="Team.Add",
        data="{}",
        received_at=dt.datetime.combine(DAY, dt.time(9), tzinfo=timezone.get_current_timezone()),
    )
    p1_only(world)
    assert found(world.projects["p1"], "C-DOCK-LATE") == []


def test_dock_silent_after_three_days_without_passes_replaces_att_none(world, site):
    passes(site, world.workers["gc"], DAY - dt.timedelta(days=5))
    for back in (2, 1, 0):
        close(world, DAY - dt.timedelta(days=back))
    # Day 3 of silence (DAY-2 .. DAY): silent, and C-ATT-NONE is not also found that day.
    p1_only(world)
    (silent,) = found(world.projects["p1"], "C-DOCK-SILENT")
    assert silent.counted and silent.evidence["device"] == [site.pk]
    assert found(world.projects["p1"], "C-ATT-NONE") == []
    # A pass the day before yesterday breaks the silence: C-ATT-NONE again, no C-DOCK-SILENT.
    passes(site, world.workers["gc"], DAY - dt.timedelta(days=2))
    p1_only(world)
    assert found(world.projects["p1"], "C-DOCK-SILENT") == []
    assert len(found(world.projects["p1"], "C-ATT-NONE")) == 1
