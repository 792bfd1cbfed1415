"""The labor methods of the gateway (附件8, D3/X8/N3): WorkerContract, WorkerEntryExit, WorkerAttendance, Payroll,
ProjectTraining — Add through the gateway and the background processing, per-record results, order rules, dates,
strict types, resends, scope; the records seen by the pages' selectors."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from smz.attendance.errors import AttendanceErrorCode
from smz.attendance.models import DailyAttendance, PassRecord
from smz.docking.errors import DockingErrorCode, GatewayCode
from smz.docking.models import DockingReceipt
from smz.docking.services.requests import docking_requests_pending_process
from smz.labor.errors import LaborErrorCode
from smz.labor.models import Admission, ExitSettlement, LaborContract, Payroll, SafetyTraining
from smz.labor.selectors import alerts_for
from smz.labor.selectors.worker import my_lines
from smz.labor.services import payroll_line_confirm
from smz.labor.services.exits import exit_confirm
from smz.registry.models import Employment
from smz.testing.devices import jpeg
from smz.testing.docking import answer, docking_app, gateway_post


@pytest.fixture
def immediate_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def app(world):
    return docking_app(world, ("p1",))


def today() -> dt.date:
    return timezone.localdate()


def moment(day: dt.date, hh: int, mm: int = 0, ss: int = 0) -> str:
    return f"{day.isoformat()} {hh:02d}:{mm:02d}:{ss:02d}"


def dock(client: Any, app: Any, method: str, data: dict[str, Any]) -> dict[str, Any]:
    """One Add through the gateway, processed, and its AsyncHandleResult.Query answer's data."""
    a, secret = app
    r = gateway_post(client, a, secret, method, data)
    body = answer(r)
    assert r.status_code == 200 and body["code"] == 0, body
    serial = body["data"]["requestSerialCode"]
    docking_requests_pending_process()
    q = answer(
        gateway_post(client, a, secret, "AsyncHandleResult.Query", {"requestSerialCode": serial})
    )
    assert q["code"] == 0, q
    return q["data"]


def query(client: Any, app: Any, method: str, data: dict[str, Any]) -> dict[str, Any]:
    from smz.docking.protocol import decrypt_sensitive

    a, secret = app
    body = answer(gateway_post(client, a, secret, method, data))
    assert body["code"] == 0, body
    opened, bad = decrypt_sensitive(body["data"], secret)
    assert not bad
    return opened


def idc(world: Any, key: str) -> dict[str, str]:
    return {"idCardType": "01", "idCardNumber": world.workers[key].id_number}


def failures(result: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {f["index"]: f for f in result["result"]}


def no_numbers(result: dict[str, Any], world: Any) -> None:
    text = repr(result)
    for w in world.workers.values():
        assert w.id_number not in text


# ---- WorkerContract ----------------------------------------------------------------------------------


def contract_item(world: Any, key: str = "sub", corp: str = "sub", **kw: Any) -> dict[str, Any]:
    return {
        "corpCode": world.enterprises[corp].corp_code,
        "corpName": world.enterprises[corp].name,
        **idc(world, key),
        "contractPeriodType": 0,
        "startDate": (today() - dt.timedelta(days=10)).isoformat(),
        "endDate": (today() + dt.timedelta(days=365)).isoformat(),
        "unit": 81,
        "unitPrice": 35.5,
    } | kw


def test_contract_add_is_idempotent_and_answers_query(client, world, app):
    p1 = world.projects["p1"].code
    data = {"projectCode": p1, "contractList": [contract_item(world)]}
    result = dock(client, app, "WorkerContract.Add", data)
    assert (result["status"], result["successCount"], result["failCount"]) == (20, 1, 0), result
    contract = LaborContract.objects.get(employment=world.employments["sub"])
    assert (contract.wage_kind, contract.rate_fen, contract.piece_unit) == ("piece", 3550, "81")
    assert contract.period_type == LaborContract.PeriodType.FIXED
    # A resend (new nonce) changes nothing; another price is a renewal that ends the first.
    assert dock(client, app, "WorkerContract.Add", data)["status"] == 20
    assert LaborContract.objects.filter(employment=world.employments["sub"]).count() == 1
    renewed = {"projectCode": p1, "contractList": [contract_item(world, unitPrice=40)]}
    assert dock(client, app, "WorkerContract.Add", renewed)["status"] == 20
    assert list(
        LaborContract.objects.filter(employment=world.employments["sub"])
        .order_by("pk")
        .values_list("status", "rate_fen")
    ) == [("ended", 3550), ("active", 4000)]
    rows = query(client, app, "WorkerContract.Query", {"projectCode": p1})["rows"]
    active = [r for r in rows if r["status"] == "active"]
    assert active[0]["idCardNumber"] == world.workers["sub"].id_number
    assert (active[0]["unit"], active[0]["unitPrice"], active[0]["contractPeriodType"]) == (
        81,
        40.0,
        0,
    )
    assert DockingReceipt.objects.get(project=world.projects["p1"], kind="contract").records == 3


def test_contract_refusals_per_record(client, world, app):
    p1 = world.projects["p1"].code
    data = {
        "projectCode": p1,
        "contractList": [
            contract_item(world, "gc", "gc", contractPeriodType=1, endDate=None),  # 0: accepted
            contract_item(world, "neighbour", "sub"),  # 1: not on the project
            contract_item(world, startDate=(today() + dt.timedelta(days=1)).isoformat()),  # 2
            contract_item(world, unitPrice="35.5"),  # 3: a string is not a number
            contract_item(world, contractPeriodType=True),  # 4: true is not 0/1
            contract_item(world, unit=83),  # 5: not in the code table
            contract_item(world, "gc", "sub"),  # 6: on the project, not with this employer
        ],
    }
    result = dock(client, app, "WorkerContract.Add", data)
    assert (result["status"], result["successCount"], result["failCount"]) == (10, 1, 6), result
    f = failures(result)
    assert f[1]["code"] == DockingErrorCode.ORDER_WORKER
    assert "不允许上传该工人的劳动合同信息" in f[1]["message"]
    assert (f[2]["code"], f[2]["message"]) == (
        DockingErrorCode.FUTURE_DATE,
        "[startDate]不能大于当天",
    )
    assert f[3]["message"] == "[unitPrice]应为数值"
    assert f[4]["message"] == "[contractPeriodType]应为整数"
    assert f[5]["field"] == "unit"
    assert f[6]["code"] == DockingErrorCode.ORDER_WORKER
    no_numbers(result, world)
    task = LaborContract.objects.get(employment=world.employments["gc"])
    assert task.period_type == LaborContract.PeriodType.TASK and task.end_on is None


# ---- WorkerAttendance --------------------------------------------------------------------------------


def pass_item(world: Any, key: str, when: str, direction: str, **kw: Any) -> dict[str, Any]:
    return {**idc(world, key), "date": when, "direction": direction} | kw


def test_attendance_goes_through_the_ingest_and_is_the_workers_day(
    client, world, app, immediate_tasks
):
    p1, day = world.projects["p1"].code, today()
    snap = base64.b64encode(jpeg()).decode()
    data = {
        "projectCode": p1,
        "teamSysNo": world.teams["sub"].pk,
        "dataList": [
            pass_item(world, "sub", moment(day, 7, 50), "01", image=snap, attendType="face"),
            pass_item(world, "sub", moment(day, 17, 40), "02", image=snap, lng=113.25, lat=22.6),
        ],
    }
    result = dock(client, app, "WorkerAttendance.Add", data)
    assert (result["status"], result["successCount"]) == (20, 2), result
    passes = PassRecord.objects.filter(project=world.projects["p1"]).order_by("event_time")
    assert [(p.direction, p.device.serial, p.device.kind) for p in passes] == [
        ("in", f"DOCK-{p1}", "platform"),
        ("out", f"DOCK-{p1}", "platform"),
    ]
    assert passes[0].verify_mode == "face" and passes[0].valid
    day_row = DailyAttendance.objects.get(worker=world.workers["sub"], work_date=day)
    assert day_row.attended and day_row.minutes == 590
    rows = query(
        client, app, "WorkerAttendance.Query", {"projectCode": p1, "date": day.isoformat()}
    )["rows"]
    assert [(r["direction"], r["date"][11:]) for r in rows] == [
        ("01", "07:50:00"),
        ("02", "17:40:00"),
    ]
    assert rows[0]["idCardNumber"] == world.workers["sub"].id_number
    assert rows[0]["teamSysNo"] == world.teams["sub"].pk


def test_a_resend_of_500_records_with_a_new_nonce_stores_nothing_twice(
    client, world, app, django_assert_max_num_queries
):
    p1, day = world.projects["p1"].code, today()
    start = dt.datetime.combine(day, dt.time(6, 0))
    data = {
        "projectCode": p1,
        "teamSysNo": world.teams["sub"].pk,
        "dataList": [
            pass_item(
                world,
                "sub",
                (start + dt.timedelta(seconds=7 * i)).strftime("%Y-%m-%d %H:%M:%S"),
                "01" if i % 2 == 0 else "02",
            )
            for i in range(500)
        ],
    }
    first = dock(client, app, "WorkerAttendance.Add", data)
    assert (first["status"], first["successCount"], first["total"]) == (20, 500, 500)
    assert PassRecord.objects.filter(project=world.projects["p1"]).count() == 500
    # The query's page costs a fixed number of statements, however many rows it holds.
    for size, rows in ((1, 1), (100, 100)):
        with django_assert_max_num_queries(12):
            page = query(
                client,
                app,
                "WorkerAttendance.Query",
                {"projectCode": p1, "date": day.isoformat(), "pageSize": size},
            )
        assert (page["total"], len(page["rows"])) == (500, rows)
    again = dock(client, app, "WorkerAttendance.Add", data)  # dock() signs with a fresh nonce
    assert (again["status"], again["successCount"]) == (20, 500)
    assert PassRecord.objects.filter(project=world.projects["p1"]).count() == 500
    # The same second and direction with other content is a conflict, not a second pass.
    moved = {**data, "dataList": [data["dataList"][0] | {"lng": 100.0, "lat": 20.0}]}
    conflict = dock(client, app, "WorkerAttendance.Add", moved)
    assert (
        conflict["status"] == 10
        and conflict["result"][0]["code"] == AttendanceErrorCode.RECORD_CONFLICT
    )
    assert PassRecord.objects.filter(project=world.projects["p1"]).count() == 500
    # 501 records are refused whole at the gateway.
    a, secret = app
    big = {**data, "dataList": data["dataList"] + data["dataList"][:1]}
    r = gateway_post(client, a, secret, "WorkerAttendance.Add", big)
    assert (r.status_code, answer(r)["code"]) == (413, GatewayCode.TOO_MANY_RECORDS)


def test_attendance_per_record_failures_and_strict_types(client, world, app):
    p1, day = world.projects["p1"].code, today()
    later = (timezone.localtime() + dt.timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S")
    data = {
        "projectCode": p1,
        "teamSysNo": world.teams["sub"].pk,
        "dataList": [
            pass_item(world, "sub", moment(day, 8), "01"),  # 0: accepted (no photo: not counted)
            pass_item(world, "sub", later, "01"),  # 1: future
            pass_item(world, "sub", moment(day, 9), "03"),  # 2: not in the code table
            pass_item(world, "neighbour", moment(day, 9), "01"),  # 3: not on the project
            pass_item(world, "gc", moment(day, 9), "01"),  # 4: in another team
            pass_item(world, "sub", moment(day, 10), "01", image="not base64!"),  # 5: ingest
            pass_item(world, "sub", f"{day.isoformat()}T10:00:00", "01"),  # 6: format
            pass_item(world, "sub", moment(day, 11), "01", lng="113.2"),  # 7: a string
        ],
    }
    result = dock(client, app, "WorkerAttendance.Add", data)
    assert (result["status"], result["successCount"], result["failCount"]) == (10, 1, 7), result
    f = failures(result)
    assert f[1] == {
        "index": 1,
        "code": DockingErrorCode.FUTURE_DATE,
        "message": "[date]不能大于当前时间",
        "field": "date",
    }
    assert f[2]["field"] == "direction"
    assert f[3]["code"] == DockingErrorCode.ORDER_WORKER
    assert "不允许上传该工人的考勤信息" in f[3]["message"]
    assert f[4]["code"] == DockingErrorCode.NOT_IN_TEAM
    assert f[5]["code"] == AttendanceErrorCode.SNAPSHOT_BAD_BASE64
    assert f[6]["message"] == "[date]时间格式应为 yyyy-MM-dd HH:mm:ss"
    assert f[7]["message"] == "[lng]应为数值"
    no_numbers(result, world)
    stored = PassRecord.objects.get(project=world.projects["p1"])
    assert (stored.valid, stored.invalid_reason) == (False, "no_snapshot")
    # A teamSysNo as a string, or a team of another project, refuses the request before any record.
    for team in (str(world.teams["sub"].pk), world.teams["neighbour"].pk):
        whole = dock(client, app, "WorkerAttendance.Add", {**data, "teamSysNo": team})
        assert (whole["status"], whole["successCount"]) == (10, 0)
        assert whole["result"][0]["message"].startswith("[teamSysNo]")
    assert PassRecord.objects.filter(project=world.projects["p1"]).count() == 1


# ---- WorkerEntryExit ---------------------------------------------------------------------------------


def entry_data(world: Any, items: list[dict[str, Any]], corp: str = "sub") -> dict[str, Any]:
    return {
        "projectCode": world.projects["p1"].code,
        "corpCode": world.enterprises[corp].corp_code,
        "corpName": world.enterprises[corp].name,
        "teamSysNo": world.teams[corp].pk,
        "workerList": items,
    }


def test_exit_with_voucher_then_reentry_through_the_entry_checks(client, world, app, private_dir):
    day = today()
    voucher = base64.b64encode(jpeg(400, 300, face=False)).decode()
    before = {**idc(world, "sub"), "date": "2024-02-01", "type": 1}
    result = dock(client, app, "WorkerEntryExit.Add", entry_data(world, [before]))
    assert result["status"] == 10
    assert result["result"][0]["message"] == "[date]不能小于历史进退场时间"

    leave = {**idc(world, "sub"), "date": day.isoformat(), "type": 0, "voucher": voucher}
    result = dock(client, app, "WorkerEntryExit.Add", entry_data(world, [leave]))
    assert (result["status"], result["successCount"]) == (20, 1), result
    employment = Employment.objects.get(pk=world.employments["sub"].pk)
    assert (employment.status, employment.exit_on) == ("exited", day)
    settlement = ExitSettlement.objects.get(employment=employment)
    assert (settlement.state, settlement.confirmed_via) == ("registered", "signed_scan")
    assert dock(client, app, "WorkerEntryExit.Add", entry_data(world, [leave]))["status"] == 20

    back_early = {**idc(world, "sub"), "date": (day - dt.timedelta(days=1)).isoformat(), "type": 1}
    back = {**idc(world, "sub"), "date": day.isoformat(), "type": 1}
    future = {**idc(world, "sub"), "date": (day + dt.timedelta(days=1)).isoformat(), "type": 1}
    result = dock(client, app, "WorkerEntryExit.Add", entry_data(world, [back_early, back, future]))
    f = failures(result)
    assert f[0]["code"] == DockingErrorCode.HISTORY_DATE
    assert f[2]["code"] == DockingErrorCode.FUTURE_DATE
    # The re-entry is a new employment waiting for the entry checks, which refuse him (no contract, no
    # training here): the refusal is answered and kept, as at the entry desk.
    assert f[1]["code"] == LaborErrorCode.ENTRY_BLOCKED and f[1]["message"].startswith(
        "未通过进场核验"
    )
    again = Employment.objects.get(worker=world.workers["sub"], status="active")
    assert (again.entry_on, again.gate_status, again.team_id) == (
        day,
        "pending",
        world.teams["sub"].pk,
    )
    assert Admission.objects.filter(employment=again, admitted=False).count() == 1
    rows = query(client, app, "WorkerEntryExit.Query", {"projectCode": world.projects["p1"].code})[
        "rows"
    ]
    mine = [
        (r["date"], r["type"]) for r in rows if r["idCardNumber"] == world.workers["sub"].id_number
    ]
    assert mine == [(day.isoformat(), 1), (day.isoformat(), 0), ("2024-03-01", 1)]


def test_exit_without_voucher_waits_for_the_workers_confirmation(client, world, app):
    leave = {**idc(world, "sub"), "date": today().isoformat(), "type": 0}
    stranger = {**idc(world, "neighbour"), "date": today().isoformat(), "type": 0}
    bad = {**idc(world, "sub"), "date": today().isoformat(), "type": "0"}
    result = dock(client, app, "WorkerEntryExit.Add", entry_data(world, [leave, stranger, bad]))
    f = failures(result)
    assert result["status"] == 10 and result["successCount"] == 0
    assert "须工人本人在线确认" in f[0]["message"]
    assert "不允许上传该工人的进退场信息" in f[1]["message"]
    assert f[2]["message"] == "[type]应为整数"
    settlement = ExitSettlement.objects.get(employment=world.employments["sub"])
    assert settlement.state == "draft"  # kept: the worker confirms it on his page
    assert Employment.objects.get(pk=world.employments["sub"].pk).status == "active"
    # He confirms it online; the vendor's resend registers the exit.
    exit_confirm(actor=world.user("worker"), settlement=settlement)
    result = dock(client, app, "WorkerEntryExit.Add", entry_data(world, [leave]))
    assert (result["status"], result["successCount"]) == (20, 1), result
    assert Employment.objects.get(pk=world.employments["sub"].pk).status == "exited"


# ---- ProjectTraining ---------------------------------------------------------------------------------


def test_training_add_per_trainee_idempotent_and_query(client, world, app):
    p1 = world.projects["p1"].code
    data = {
        "projectCode": p1,
        "trainingDate": today().isoformat(),
        "trainingDuration": 2.5,
        "trainingName": "三级安全教育（班组级）",
        "trainingTypeCode": "003001",
        "workerList": [idc(world, "sub"), idc(world, "neighbour")],
    }
    result = dock(client, app, "ProjectTraining.Add", data)
    assert (result["status"], result["successCount"]) == (10, 1)
    assert "不允许上传该工人的培训信息" in result["result"][0]["message"]
    assert result["result"][0]["index"] == 1
    assert dock(client, app, "ProjectTraining.Add", data)["successCount"] == 1
    trainings = SafetyTraining.objects.filter(project=world.projects["p1"])
    assert [(t.worker_id, str(t.hours)) for t in trainings] == [(world.workers["sub"].pk, "2.5")]
    rows = query(client, app, "ProjectTraining.Query", {"projectCode": p1})["rows"]
    assert rows[0]["trainingDuration"] == 2.5
    assert [w["idCardNumber"] for w in rows[0]["workerList"]] == [world.workers["sub"].id_number]
    for bad in (
        {"trainingDuration": "2"},
        {"trainingDate": "2999-01-01"},
        {"trainingTypeCode": "x"},
    ):
        whole = dock(client, app, "ProjectTraining.Add", data | bad)
        assert (whole["status"], whole["successCount"]) == (10, 0), whole


# ---- Payroll -----------------------------------------------------------------------------------------


def payroll_data(world: Any, details: list[dict[str, Any]], month: str = "") -> dict[str, Any]:
    return {
        "projectCode": world.projects["p1"].code,
        "corpCode": world.enterprises["sub"].corp_code,
        "corpName": world.enterprises["sub"].name,
        "teamSysNo": world.teams["sub"].pk,
        "payMonth": month or today().strftime("%Y-%m"),
        "detailList": details,
    }


def detail(world: Any, key: str = "sub", **kw: Any) -> dict[str, Any]:
    return {
        **idc(world, key),
        "days": 1,
        "workHours": 9.8,
        "payRollBankCardNumber": "6222020200112233445",
        "payRollBankCode": "102",
        "payRollBankName": "中国工商银行中山分行",
        "payBankCardNumber": "44050112345678901234",
        "payBankCode": "105",
        "payBankName": "中国建设银行中山分行",
        "totalPayAmount": 350,
        "actualAmount": 340.0,
        "isBackPay": 0,
        "balanceDate": today().isoformat(),
        "thirdPayRollCode": "GZ-2026-0001",
    } | kw


def test_payroll_add_records_the_month_through_the_payroll_services(
    client, world, app, immediate_tasks
):
    p1, day = world.projects["p1"].code, today()
    contract = {"projectCode": p1, "contractList": [contract_item(world, unitPrice=35)]}
    assert dock(client, app, "WorkerContract.Add", contract)["status"] == 20
    snap = base64.b64encode(jpeg()).decode()
    passes = {
        "projectCode": p1,
        "teamSysNo": world.teams["sub"].pk,
        "dataList": [
            pass_item(world, "sub", moment(day, 7, 50), "01", image=snap),
            pass_item(world, "sub", moment(day, 17, 40), "02", image=snap),
        ],
    }
    assert dock(client, app, "WorkerAttendance.Add", passes)["status"] == 20

    data = payroll_data(world, [detail(world), detail(world, "neighbour")])
    result = dock(client, app, "Payroll.Add", data)
    f = failures(result)
    assert result["status"] == 10
    assert "不允许上传该工人的工资发放信息" in f[1]["message"]
    # Nothing is waived for a docked sheet: the worker has not confirmed his line yet.
    assert f[0]["code"] == LaborErrorCode.PAYROLL_UNCONFIRMED
    payroll = Payroll.objects.get(project=world.projects["p1"], team=world.teams["sub"])
    assert payroll.state == "draft" and result["payRollCode"] == payroll.no
    line = payroll.lines.get()
    assert (
        line.days_paid,
        str(line.hours_paid),
        line.gross_fen,
        line.deductions_fen,
        line.net_fen,
    ) == (
        1,
        "9.8",
        35000,
        1000,
        34000,
    )
    # The worker sees the docked line on his own page and confirms it; the vendor sends the same month
    # again and the sheet is submitted.
    worker = world.user("worker")
    assert [x.pk for x in my_lines(worker)] == [line.pk]
    payroll_line_confirm(actor=worker, line=line)
    result = dock(client, app, "Payroll.Add", payroll_data(world, [detail(world)]))
    assert (result["status"], result["successCount"], result["payRollState"]) == (
        20,
        1,
        "submitted",
    )
    payroll.refresh_from_db()
    assert payroll.state == "submitted" and payroll.lines.get().confirmed_at is not None
    # 欠薪预警 sees it: after its pay day, unpaid until the special account's bank result says paid.
    late = payroll.pay_due_on + dt.timedelta(days=1)
    unpaid = alerts_for(world.user("gc_labor"), today=late, rule="unpaid")
    assert [(a.month, a.amount_fen) for a in unpaid] == [(payroll.month, 34000)]
    assert not [
        a
        for a in alerts_for(world.user("gc_labor"), today=late, rule="attendance_no_payroll")
        if world.enterprises["sub"].name in a.employer_name
    ]
    # Resends: the same figures are accepted, others are refused (the month is locked).
    assert dock(client, app, "Payroll.Add", payroll_data(world, [detail(world)]))["status"] == 20
    changed = dock(
        client, app, "Payroll.Add", payroll_data(world, [detail(world, actualAmount=300)])
    )
    assert changed["result"][0]["code"] == DockingErrorCode.ALREADY_SUBMITTED
    rows = query(client, app, "Payroll.Query", {"projectCode": p1})["rows"]
    assert rows[0]["state"] == "submitted" and rows[0]["payMonth"] == day.strftime("%Y-%m")
    assert rows[0]["detailList"][0]["actualAmount"] == 340.0
    assert rows[0]["detailList"][0]["idCardNumber"] == world.workers["sub"].id_number


def test_a_docked_payroll_below_the_minimum_wage_is_not_submitted(
    client, world, app, immediate_tasks
):
    p1, day = world.projects["p1"].code, today()
    contract = {"projectCode": p1, "contractList": [contract_item(world, unitPrice=35)]}
    assert dock(client, app, "WorkerContract.Add", contract)["status"] == 20
    passes = {
        "projectCode": p1,
        "teamSysNo": world.teams["sub"].pk,
        "dataList": [
            pass_item(
                world, "sub", moment(day, 7, 50), "01", image=base64.b64encode(jpeg()).decode()
            ),
            pass_item(
                world, "sub", moment(day, 17, 40), "02", image=base64.b64encode(jpeg()).decode()
            ),
        ],
    }
    assert dock(client, app, "WorkerAttendance.Add", passes)["status"] == 20
    for amount in (50, 350):  # 50 yuan for 9.8 hours is below the hourly minimum; 350 is not
        data = payroll_data(world, [detail(world, totalPayAmount=amount, actualAmount=amount)])
        result = dock(client, app, "Payroll.Add", data)
        codes = {f["code"] for f in result["result"]}
        assert (LaborErrorCode.PAYROLL_BELOW_MINIMUM in codes) == (amount == 50), result
        line = Payroll.objects.get(team=world.teams["sub"]).lines.get()
        assert line.gross_fen == amount * 100
    assert Payroll.objects.get(team=world.teams["sub"]).state == "draft"  # still unconfirmed


def test_payroll_refusals(client, world, app):
    nxt = (today().replace(day=28) + dt.timedelta(days=5)).strftime("%Y-%m")
    future = dock(client, app, "Payroll.Add", payroll_data(world, [detail(world)], nxt))
    assert future["status"] == 10 and future["result"][0]["message"] == "[payMonth]不能大于今天"
    data = payroll_data(
        world,
        [
            detail(world),  # 0: no attendance this month in smz
            detail(world, balanceDate=(today() + dt.timedelta(days=1)).isoformat()),  # 1
            detail(world, totalPayAmount="350"),  # 2: a string
            detail(world, actualAmount=400),  # 3: more than 应发
            detail(world, isBackPay=1),  # 4
            detail(world, "gc"),  # 5: another employer's man
        ],
    )
    result = dock(client, app, "Payroll.Add", data)
    f = failures(result)
    assert result["status"] == 10 and result["successCount"] == 0
    assert f[0]["code"] == DockingErrorCode.NO_ATTENDANCE
    assert (f[1]["code"], f[1]["message"]) == (
        DockingErrorCode.FUTURE_DATE,
        "[balanceDate]发放日期不能大于今天",
    )
    assert f[2]["message"] == "[totalPayAmount]应为数值"
    assert f[3]["field"] == "actualAmount"
    assert f[4]["field"] == "isBackPay"
    assert "不允许上传该工人的工资发放信息" in f[5]["message"]
    no_numbers(result, world)


# ---- scope -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "data"),
    [
        ("WorkerAttendance.Add", {"teamSysNo": 1, "dataList": [{}]}),
        ("WorkerContract.Add", {"contractList": [{}]}),
        ("WorkerEntryExit.Add", {"workerList": [{}]}),
        ("Payroll.Add", {"detailList": [{}]}),
        ("ProjectTraining.Add", {"workerList": [{}]}),
        ("WorkerAttendance.Query", {"date": "2026-01-01"}),
        ("WorkerContract.Query", {}),
        ("WorkerEntryExit.Query", {}),
        ("Payroll.Query", {}),
        ("ProjectTraining.Query", {}),
    ],
)
def test_an_app_of_another_gc_can_neither_write_nor_read_p1(client, world, method, data):
    other, secret = docking_app(world, ("p2",), by="city_admin", enterprise="neighbour")
    r = gateway_post(
        client, other, secret, method, {"projectCode": world.projects["p1"].code} | data
    )
    assert (r.status_code, answer(r)["code"]) == (403, GatewayCode.PROJECT_OUT_OF_SCOPE)
    assert answer(r)["data"] is None
