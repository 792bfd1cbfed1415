"""Upward reporting (issue 14 item 5, D3/X8): the push against the fake upstream — order rules, dataLists, async
results polled, refusals kept with the upstream's text, retries with backoff, a restart in the middle (nothing lost,
nothing sent twice), scope; and the fake upstream's own envelope checks."""

from __future__ import annotations

import datetime as dt
import io
import json
import threading
import time

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from smz.docking import protocol
from smz.docking.fake_upstream import FakeUpstream
from smz.docking.management.commands.docking_fake_upstream import Command as FakeUpstreamCommand
from smz.docking.models import UpstreamTarget, UpstreamUpload
from smz.docking.services import upward
from smz.docking.tasks import upstream_push_task
from smz.docking.upward_client import UpwardClient
from smz.labor.models import SafetyTraining
from smz.registry.models import Employment
from smz.testing import labor
from smz.testing.attendance import attend, gate_for, today

SECRET = "0123456789abcdefABCDEF0123456789"
APPID = "44000020261205001"
State = UpstreamUpload.State
Kind = UpstreamUpload.Kind


class Clock:
    """The push's and the fake's shared notion of now, moved by the test."""

    def __init__(self) -> None:
        self.now = timezone.now()

    def __call__(self) -> dt.datetime:
        return self.now

    def tick(self, **kw: float) -> dt.datetime:
        self.now += dt.timedelta(**kw)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def fake(clock) -> FakeUpstream:
    return FakeUpstream(APPID, SECRET, now=clock)


def make_target(world, project: str | None = "p1", **kw) -> UpstreamTarget:
    return UpstreamTarget.objects.create(
        name="广东省建筑工人管理服务信息平台",
        url="http://upstream.test/gateway",
        app_id=APPID,
        secret=SECRET,
        project=world.projects[project] if project else None,
        enabled=True,
        created_by=world.user("city_admin"),
        **kw,
    )


def p1_records(world) -> None:
    """On p1: both workers attend today at the gate, 测试乙工 has a contract and a submitted October sheet, one
    safety training."""
    gate = gate_for(world, "p1", "UPW-GATE-1")
    attend(gate, world.workers["gc"], today())
    attend(gate, world.workers["sub"], today())
    labor.submitted_october(world)
    SafetyTraining.objects.create(
        project=world.projects["p1"],
        worker=world.workers["sub"],
        trained_on=today() - dt.timedelta(days=30),
        course="三级安全教育",
        hours=8,
        recorded_by=world.user("gc_labor"),
    )


def drive(target, fake, clock, *, passes: int = 30, step: float = 60) -> list[upward.PushReport]:
    """Push passes, a minute apart, until nothing is left to send or wait for."""
    reports = []
    for _ in range(passes):
        reports.append(upward.upstream_push(target=target, transport=fake.transport, now=clock()))
        clock.tick(seconds=step)
        busy = target.uploads.filter(state=State.SENDING).exists() or any(
            upward.sel.uploads_due(target, k, clock()).exists() for k in upward.sel.KIND_ORDER
        )
        if not busy:
            break
    return reports


def states(target) -> dict[tuple[str, str], str]:
    return {(u.kind, f"{u.object_id}{u.part}"): u.state for u in target.uploads.all()}


def test_push_delivers_the_projects_records_in_the_order_rules(world, fake, clock):
    p1_records(world)
    target = make_target(world)
    new = upward.upstream_enqueue(target=target)
    # 4 participants, 2 teams, 3 people (one a manager without a team), 3 entries, 4 passes, 1 contract,
    # 1 payroll line, 1 training.
    assert new == 4 + 2 + 3 + 3 + 4 + 1 + 1 + 1
    assert upward.upstream_enqueue(target=target) == 0  # nothing twice

    first = upward.upstream_push(target=target, transport=fake.transport, now=clock())
    # Only participants go first: the teams wait for them to be done upstream.
    assert fake.calls == ["ProjectSubContractor.Add"] * 4 and first.requests == 4
    clock.tick(minutes=1)
    second = upward.upstream_push(target=target, transport=fake.transport, now=clock())
    # The fake answers status 0 to the first query: still pending, nothing else sent.
    assert second.polled == 4 and second.requests == 0 and second.done == 0
    clock.tick(minutes=1)
    third = upward.upstream_push(target=target, transport=fake.transport, now=clock())
    assert third.done == 4 and fake.calls[-2:] == ["Team.Add", "Team.Add"]

    drive(target, fake, clock)
    calls = fake.calls
    # participant → team → worker → the rest, never out of order
    assert max(i for i, m in enumerate(calls) if m == "ProjectSubContractor.Add") < calls.index(
        "Team.Add"
    )
    assert max(i for i, m in enumerate(calls) if m == "Team.Add") < calls.index("ProjectWorker.Add")
    last_worker = max(i for i, m in enumerate(calls) if m == "ProjectWorker.Add")
    for method in (
        "WorkerContract.Add",
        "WorkerEntryExit.Add",
        "WorkerAttendance.Add",
        "Payroll.Add",
    ):
        assert calls.index(method) > calls.index("ProjectWorker.Add")
    assert last_worker < calls.index("Payroll.Add")
    assert (
        fake.count("participant"),
        fake.count("team"),
        fake.count("worker"),
        fake.count("entry_exit"),
        fake.count("attendance"),
        fake.count("contract"),
        fake.count("payroll"),
        fake.count("training"),
    ) == (4, 2, 2, 2, 4, 1, 1, 1)
    assert fake.stored_twice() == []
    # Each team's workers went in one dataList.
    assert calls.count("ProjectWorker.Add") == 2
    # The project manager has no team: refused here, in Chinese, and what depends on him waits.
    pm = world.employments["pm"]
    row = target.uploads.get(kind=Kind.WORKER, object_id=pm.pk)
    assert row.state == State.FAILED and "teamSysNo" in row.error
    assert target.uploads.get(kind=Kind.ENTRY_EXIT, object_id=pm.pk).state == State.PENDING
    counts = dict(target.uploads.values_list("state").annotate(n=Count("pk")))
    assert counts == {State.DONE: 17, State.FAILED: 1, State.PENDING: 1}
    # Scope: nothing of p2 (another town's project) went up.
    p2 = world.projects["p2"].code
    assert not [k for k in fake.stored if k[1] == p2]
    # the teamSysNo issued upstream is kept, and the team's workers carried it
    team = target.uploads.get(kind=Kind.TEAM, object_id=world.teams["sub"].pk)
    assert team.team_sys_no.isdigit() and team.serial.startswith("team-add-")


def test_sensitive_fields_travel_encrypted(world, fake, clock):
    p1_records(world)
    target = make_target(world)
    upward.upstream_enqueue(target=target)
    sent: list[dict[str, str]] = []

    def spy(url, form):
        sent.append(form)
        return fake.transport(url, form)

    drive_with = upward.upstream_push
    for _ in range(12):
        drive_with(target=target, transport=spy, now=clock())
        clock.tick(minutes=1)
    workers = [f for f in sent if f["method"] == "ProjectWorker.Add"]
    assert workers
    number = world.workers["gc"].id_number
    assert all(number not in f["data"] for f in sent)
    assert "idCardNumber" in workers[0]["data"] and protocol.sign_matches(workers[0], SECRET)


def test_transient_failures_back_off_then_succeed(world, fake, clock):
    target = make_target(world)
    upward.upstream_enqueue(target=target)
    fake.fail_next(2, "500")
    start = clock()
    report = upward.upstream_push(target=target, transport=fake.transport, now=start)
    assert report.transient == 2
    failed_once = list(target.uploads.filter(kind=Kind.PARTICIPANT, attempts=1, serial=""))
    assert len(failed_once) == 2
    for row in failed_once:
        assert row.state == State.PENDING
        assert row.next_attempt_at == start + dt.timedelta(seconds=30)
        assert row.error == "上级平台服务器错误（HTTP 500）"
    # 10 s later they are not due yet; after 30 s they are sent again and accepted.
    calls = len(fake.calls)
    upward.upstream_push(target=target, transport=fake.transport, now=clock.tick(seconds=10))
    assert [m for m in fake.calls[calls:] if m != "AsyncHandleResult.Query"] == []
    upward.upstream_push(target=target, transport=fake.transport, now=clock.tick(seconds=25))
    for row in failed_once:
        row.refresh_from_db()
        assert row.serial and row.attempts == 2
    assert upward.backoff(1) == dt.timedelta(seconds=30)
    assert upward.backoff(3) == dt.timedelta(minutes=2)
    assert upward.backoff(20) == dt.timedelta(hours=2)


def test_a_record_that_keeps_failing_ends_failed_after_max_attempts(world, fake, clock):
    target = make_target(world)
    upward.upstream_enqueue(target=target)
    row = target.uploads.filter(kind=Kind.PARTICIPANT).first()
    target.uploads.exclude(pk=row.pk).delete()
    for _ in range(upward.MAX_ATTEMPTS):
        fake.fail_next(1, "timeout")
        upward.upstream_push(target=target, transport=fake.transport, now=clock())
        clock.tick(hours=3)
    row.refresh_from_db()
    assert row.state == State.FAILED and row.attempts == upward.MAX_ATTEMPTS
    assert row.error.startswith(f"重试{upward.MAX_ATTEMPTS}次仍失败：连接上级平台失败")
    assert fake.count("participant") == 0


def test_upstream_refusals_are_kept_with_their_text_and_retried(world, fake, clock):
    p1_records(world)
    target = make_target(world)
    upward.upstream_enqueue(target=target)
    # The teams are issued their numbers, then the upstream forgets them (a platform reset its team table).
    for _ in range(4):
        upward.upstream_push(target=target, transport=fake.transport, now=clock())
        clock.tick(minutes=1)
    issued = dict(fake._team_projects)
    assert len(issued) == 2
    fake._team_projects.clear()
    drive(target, fake, clock)
    worker = target.uploads.get(kind=Kind.WORKER, object_id=world.employments["sub"].pk)
    assert worker.state == State.FAILED and worker.error == "[teamSysNo]值超出范围或无效"
    failures = upward.sel.upstream_failures_for(world.user("city_admin"), target)
    assert worker in failures and any("测试乙工" in f.label for f in failures)
    # what depends on the refused worker waits for it
    assert target.uploads.get(kind=Kind.CONTRACT).state == State.PENDING
    # the administrator fixes it and retries: it goes through
    fake._team_projects.update(issued)
    assert (
        upward.upstream_retry(actor=world.user("city_admin"), target=target, upload_ids=[worker.pk])
        == 1
    )
    drive(target, fake, clock)
    worker.refresh_from_db()
    assert worker.state == State.DONE
    assert target.uploads.get(kind=Kind.CONTRACT).state == State.DONE
    assert fake.count("payroll") == 1 and fake.stored_twice() == []


def test_dates_after_the_upstream_today_are_refused_with_the_national_text(world, fake, clock):
    p1_records(world)
    target = make_target(world)
    upward.upstream_enqueue(target=target)
    # The upstream's day is yesterday (both sides' clocks agree, so the envelope passes): today's passes are
    # "in the future" for it.
    clock.tick(days=-1)
    drive(target, fake, clock)
    passes = target.uploads.filter(kind=Kind.ATTENDANCE)
    assert {p.state for p in passes} == {State.FAILED}
    assert {p.error for p in passes} == {"[date]不能大于当天"}


def test_payroll_of_a_worker_unknown_upstream_is_refused(world, fake, clock):
    p1_records(world)
    target = make_target(world)
    upward.upstream_enqueue(target=target)
    line = target.uploads.get(kind=Kind.PAYROLL)
    # Break the order rule on purpose: the sheet's worker is marked done without ever going up.
    sub = world.employments["sub"].pk
    UpstreamUpload.objects.filter(kind=Kind.WORKER, object_id=sub, target=target).update(
        state=State.DONE
    )
    drive(target, fake, clock)
    line.refresh_from_db()
    assert line.state == State.FAILED
    assert line.error.endswith("不允许上传该工人的工资发放信息")
    assert "4420" not in line.error and world.workers["sub"].id_number not in line.error


def test_a_crash_after_the_send_loses_nothing_and_stores_nothing_twice(world, fake, clock):
    p1_records(world)
    target = make_target(world)
    upward.upstream_enqueue(target=target)

    class Crash(BaseException):
        """The process dies: after the upstream stored the call, before smz wrote the answer."""

    crash_on = {"Team.Add", "ProjectWorker.Add", "WorkerAttendance.Add"}

    def dying(url, form):
        answer = fake.transport(url, form)
        if form["method"] in crash_on:
            crash_on.discard(form["method"])
            raise Crash
        return answer

    crashes = 0
    for _ in range(40):
        try:
            upward.upstream_push(target=target, transport=dying, now=clock())
        except Crash:
            crashes += 1
            # Right after the restart the unanswered batch is not sent again (it may still be in flight) ...
            stuck = {
                s.pk: s.attempts for s in target.uploads.filter(state=State.SENDING, serial="")
            }
            assert stuck
            upward.upstream_push(target=target, transport=fake.transport, now=clock.tick(minutes=1))
            again = target.uploads.filter(pk__in=stuck)
            assert {s.pk: s.attempts for s in again.filter(state=State.SENDING, serial="")} == stuck
            # ... after the timeout it is (its earlier copy could no longer pass the timestamp check).
            clock.tick(minutes=6)
        clock.tick(minutes=1)
    assert crashes == 3
    # Nothing lost: every record that could go is done.
    assert target.uploads.filter(state=State.DONE).count() == 17
    # Nothing stored twice, though the crashed worker and pass batches reached the upstream twice.
    assert fake.stored_twice() == []
    assert {k[0] for k, n in fake.received.items() if n == 2} == {"worker", "attendance"}
    assert (fake.count("worker"), fake.count("attendance")) == (2, 4)
    # The team whose answer was lost was looked up (Team.Query), not added a second time.
    assert fake.calls.count("Team.Add") == 2 and fake.calls.count("Team.Query") == 1
    assert {n for k, n in fake.received.items() if k[0] == "team"} == {1}


def test_a_lost_team_answer_is_settled_by_team_query(world, fake, clock):
    target = make_target(world)
    upward.upstream_enqueue(target=target)
    lose = ["Team.Add"]

    def losing(url, form):
        if form["method"] in lose:  # the first Team.Add is stored upstream, its answer lost
            lose.clear()
            fake.fail_next(1, "lost_answer")
        return fake.transport(url, form)

    for _ in range(3):
        upward.upstream_push(target=target, transport=losing, now=clock())
        clock.tick(minutes=1)
    lost = target.uploads.get(kind=Kind.TEAM, attempts=1, serial="")
    assert lost.state == State.PENDING and lost.error.startswith("连接上级平台失败")
    drive(target, fake, clock)
    lost.refresh_from_db()
    assert lost.state == State.DONE and lost.team_sys_no.isdigit()
    assert fake.calls.count("Team.Add") == 2 and fake.count("team") == 2


def test_a_request_never_processed_upstream_ends_failed_after_a_day(world, clock):
    slow = FakeUpstream(APPID, SECRET, now=clock, pending_polls=10**6)
    target = make_target(world)
    upward.upstream_enqueue(target=target)
    upward.upstream_push(target=target, transport=slow.transport, now=clock())
    upward.upstream_push(target=target, transport=slow.transport, now=clock.tick(hours=2))
    assert set(target.uploads.filter(kind=Kind.PARTICIPANT).values_list("state", flat=True)) == {
        State.SENDING
    }
    upward.upstream_push(target=target, transport=slow.transport, now=clock.tick(hours=23))
    rows = target.uploads.filter(kind=Kind.PARTICIPANT)
    assert {(r.state, r.error) for r in rows} == {
        (State.FAILED, "上级平台超过24小时仍未处理该请求（可重新上报）")
    }


def test_an_exit_registered_later_goes_up_as_its_own_record(world, fake, clock):
    target = make_target(world)
    upward.upstream_enqueue(target=target)
    drive(target, fake, clock)
    assert fake.count("entry_exit") == 2
    sub = world.employments["sub"]
    Employment.objects.filter(pk=sub.pk).update(exit_on=today(), status="exited")
    assert upward.upstream_enqueue(target=target) == 1
    drive(target, fake, clock)
    out = target.uploads.get(kind=Kind.ENTRY_EXIT, object_id=sub.pk, part="out")
    assert out.state == State.DONE
    assert [k for k in fake.stored if k[0] == "entry_exit" and k[4] == 0] != []
    assert fake.stored_twice() == []


def test_a_platform_answering_status_as_text_and_one_reason_is_understood(world, clock):
    """Some platforms answer `"status": "10"` and one `result` text for the request: read the same way."""
    target = make_target(world)
    upward.upstream_enqueue(target=target)

    def texty(url, form):
        if form["method"] == "AsyncHandleResult.Query":
            body = {
                "status": "10",
                "statusName": "处理失败",
                "result": "[corpType]值超出范围或无效",
            }
            return 200, json.dumps({"code": 0, "message": "成功", "data": body})
        return 200, json.dumps({"code": 0, "message": "成功", "data": {"requestSerialCode": "s-1"}})

    upward.upstream_push(target=target, transport=texty, now=clock())
    upward.upstream_push(target=target, transport=texty, now=clock.tick(minutes=1))
    rows = target.uploads.filter(kind=Kind.PARTICIPANT)
    assert {(r.state, r.error) for r in rows} == {(State.FAILED, "[corpType]值超出范围或无效")}


def test_scope_project_target_and_city_target(world, fake, clock):
    p1_only = make_target(world, "p1")
    city = make_target(world, None)
    upward.upstream_enqueue(target=p1_only)
    upward.upstream_enqueue(target=city)
    p1 = world.projects["p1"]
    assert set(p1_only.uploads.values_list("project_id", flat=True)) == {p1.pk}
    in_scope = {p.pk for p in world.projects.values() if p.in_scope}
    assert set(city.uploads.values_list("project_id", flat=True)) == in_scope
    assert len(in_scope) == 3


def test_batches_hold_at_most_500_records(world, fake, clock, monkeypatch):
    target = make_target(world)
    upward.upstream_enqueue(target=target)
    monkeypatch.setattr(upward, "MAX_RECORDS", 1)
    drive(target, fake, clock)
    # with a limit of one record a call, the two p1 teams' 2 workers take 2 calls, the 2 entries 2 calls
    assert fake.calls.count("ProjectWorker.Add") == 2
    assert fake.calls.count("WorkerEntryExit.Add") == 2


def test_push_over_a_real_socket_to_the_fake_upstream_command(world, clock):
    """`manage.py docking_fake_upstream` serving in a thread; `manage.py docking_push`, the task and the push
    talk to it over HTTP with the real transport (urllib)."""
    command = FakeUpstreamCommand()
    out = io.StringIO()
    args = ["--port", "0", "--appid", APPID, "--secret", SECRET, "--pending-polls", "0"]
    thread = threading.Thread(
        target=call_command, args=(command, *args), kwargs={"stdout": out}, daemon=True
    )
    thread.start()
    for _ in range(100):
        if getattr(command, "server", None) is not None:
            break
        time.sleep(0.05)
    server, fake = command.server, command.fake
    try:
        target = make_target(world)
        target.url = f"http://127.0.0.1:{server.server_port}/gateway"
        target.save()
        call_command("docking_push", "--once", "--target", str(target.pk), stdout=io.StringIO())
        assert fake.count("participant") == 4
        # the background task does the same pass (here: the polls and the teams)
        assert upstream_push_task.call(target.pk) == 2
        assert fake.count("team") == 2
        # An injected timeout: the server closes the connection without an answer → retried later.
        fake.fail_next(1, "timeout")
        report = upward.upstream_push(target=target)
        assert report.transient == 1
        row = target.uploads.exclude(error="").first()
        assert row is not None and row.error.startswith("连接上级平台失败")
        # A bad secret: the upstream refuses the sign.
        client = UpwardClient(target.url, APPID, "X" * 32)
        reply = client.call(
            "AsyncHandleResult.Query", {"requestSerialCode": "x"}, now=timezone.now()
        )
        assert (reply.code, reply.message) == (1006, "签名错误")
        # The rest goes through over the socket, in order, once (a minute ahead: past the 30 s backoff, well
        # inside the upstream's 5-minute timestamp window).
        for _ in range(6):
            upward.upstream_push(target=target, now=timezone.now() + dt.timedelta(minutes=1))
        assert (fake.count("worker"), fake.count("entry_exit")) == (2, 2)
    finally:
        server.shutdown()
        thread.join(timeout=10)
    assert "stored twice: 0" in out.getvalue()


def test_fake_upstream_checks_the_envelope(clock):
    fake = FakeUpstream(APPID, SECRET, now=clock)
    form = protocol.envelope(APPID, SECRET, "Team.Add", {"projectCode": "P"}, moment=clock())
    status, body = fake.handle(form)
    assert status == 200 and body["code"] == 0
    assert fake.handle(form)[1]["code"] == 1008  # the same nonce again: a replay
    stale = protocol.envelope(
        APPID, SECRET, "Team.Add", {}, moment=clock() - dt.timedelta(minutes=6)
    )
    assert fake.handle(stale)[1]["code"] == 1007
    forged = protocol.envelope(APPID, "Y" * 32, "Team.Add", {}, moment=clock())
    assert fake.handle(forged)[1]["code"] == 1006
    unknown = protocol.envelope(APPID, SECRET, "Worker.Fly", {"projectCode": "P"}, moment=clock())
    assert fake.handle(unknown)[1]["code"] == 1009
    # Team.Add without the participant: refused in the async result
    serial = body["data"]["requestSerialCode"]
    query = protocol.envelope(
        APPID, SECRET, "AsyncHandleResult.Query", {"requestSerialCode": serial}, moment=clock()
    )
    assert fake.handle(query)[1]["data"]["status"] == 0
    query = protocol.envelope(
        APPID, SECRET, "AsyncHandleResult.Query", {"requestSerialCode": serial}, moment=clock()
    )
    result = fake.handle(query)[1]["data"]
    assert result["status"] == 10 and "参建单位" in result["result"][0]["message"]
    fake.fail_next(1, "500")
    assert fake.handle(form)[0] == 500


def test_scrub_masks_personal_numbers():
    assert upward.scrub("证件号码440101199001011234不存在") == "证件号码＊＊＊不存在"
    assert upward.scrub("[teamSysNo]值超出范围或无效") == "[teamSysNo]值超出范围或无效"
