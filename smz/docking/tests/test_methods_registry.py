"""参建单位, 班组, 项目人员 through the gateway (附件8, D3/X8): ProjectSubContractor / Team / ProjectWorker
Add, Update and Query, processed as the background worker does, answered by AsyncHandleResult.Query."""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from smz.core.models import PersonalDataAccess
from smz.core.pii import mask_id_number
from smz.docking import protocol
from smz.docking.errors import DockingErrorCode, GatewayCode
from smz.docking.models import DockingReceipt
from smz.docking.services.requests import docking_requests_pending_process
from smz.registry.models import Employment, Enterprise, Participant, Team, Worker
from smz.registry.synthetic import synthetic_id_number, synthetic_uscc
from smz.testing.devices import jpeg
from smz.testing.docking import answer, docking_app, gateway_post

NEW_CORP = synthetic_uscc(seq=71)


def new_id(seq: int) -> str:
    return synthetic_id_number(
        birth=dt.date(1991, 2, 3) + dt.timedelta(days=seq), seq=seq, male=True
    )


class Vendor:
    """A vendor system docked to smz: posts signed calls, runs the background worker, polls the result.
    Every answer is kept, so a test can check that none of them names a personal number."""

    def __init__(self, client, app, secret, project):
        self.client, self.app, self.secret, self.project = client, app, secret, project
        self.answers: list[dict[str, Any]] = []

    def call(self, method: str, data: dict[str, Any]) -> dict[str, Any]:
        body = answer(
            gateway_post(
                self.client,
                self.app,
                self.secret,
                method,
                {"projectCode": self.project.code} | data,
            )
        )
        self.answers.append(body)
        return body

    def push(self, method: str, data: dict[str, Any]) -> dict[str, Any]:
        """An Add/Update: accepted at once, processed, then its AsyncHandleResult.Query data."""
        body = self.call(method, data)
        assert body["code"] == 0, body
        serial = body["data"]["requestSerialCode"]
        assert (
            self.call("AsyncHandleResult.Query", {"requestSerialCode": serial})["data"]["status"]
            == 0
        )
        docking_requests_pending_process()
        result = self.call("AsyncHandleResult.Query", {"requestSerialCode": serial})
        assert result["code"] == 0, result
        return result["data"]

    def query(self, method: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
        body = self.call(method, data or {})
        assert body["code"] == 0, body
        return body["data"]

    def text(self) -> str:
        return json.dumps(self.answers, ensure_ascii=False)


@pytest.fixture
def vendor(client, world):
    app, secret = docking_app(world, ("p1",))
    return Vendor(client, app, secret, world.projects["p1"])


@pytest.fixture
def neighbour(client, world):
    app, secret = docking_app(world, ("p2",), by="city_admin", enterprise="neighbour")
    return Vendor(client, app, secret, world.projects["p2"])


def participant(corp_code: str = NEW_CORP, **extra) -> dict[str, Any]:
    return {
        "corpCode": corp_code,
        "corpName": "己劳务派遣有限公司",
        "corpType": "006",
        "entryTime": "2024-03-01",
        "pmName": "己经理",
        "pmIdcardType": "01",
        "pmIdcardNumber": new_id(90),
        "pmPhone": "13700001111",
    } | extra


def team(corp_code: str, **extra) -> dict[str, Any]:
    return {
        "corpCode": corp_code,
        "corpName": "乙劳务有限公司",
        "teamName": "乙钢筋二班",
        "teamLeaderName": "班长甲",
        "teamLeaderPhone": "13700002222",
        "teamLeaderIdcardType": "01",
        "teamLeaderIdNumber": new_id(91),
        "responsiblePersonName": "责任人乙",
        "responsiblePersonPhone": "13700003333",
        "responsiblePersonIdcardType": "01",
        "responsiblePersonIdNumber": new_id(92),
        "remark": "对接上传",
        "entryTime": "2024-04-01",
    } | extra


def person(seq: int, **extra) -> dict[str, Any]:
    return {
        "workerName": f"对接工{seq}",
        "isTeamLeader": 0,
        "idCardType": "01",
        "idCardNumber": new_id(seq),
        "workType": "020",
        "workRole": 20,
        "nation": "汉",
        "address": "广东省中山市小榄镇对接路1号",
        "grantOrg": "中山市公安局",
        "startDate": "2020-01-01",
        "expiryDate": "2040-01-01",
        "cellPhone": f"1390000{seq:04d}",
        "cultureLevelType": "02",
        "payRollBankCardNumber": f"622202020012{seq:07d}",
        "payRollTopBankCode": "102",
        "payRollBankName": "中国工商银行中山分行",
        "issueCardDate": "2024-04-01",
        "hasBuyInsurance": 1,
    } | extra


def workers(world, team_no: int, *people: dict[str, Any], corp: str = "sub") -> dict[str, Any]:
    return {
        "corpCode": world.enterprises[corp].corp_code,
        "corpName": world.enterprises[corp].name,
        "teamSysNo": team_no,
        "teamName": "任意",
        "workerList": list(people),
    }


def failures(result: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {f["index"]: f for f in result["result"]}


# ---- ProjectSubContractor ---------------------------------------------------------------------------------


def test_participant_add_registers_the_corp_once_and_query_answers_it(vendor, world):
    result = vendor.push("ProjectSubContractor.Add", participant())
    assert (result["status"], result["successCount"], result["result"]) == (20, 1, [])
    corp = Enterprise.objects.get(corp_code=NEW_CORP)
    assert corp.name == "己劳务派遣有限公司"
    row = Participant.objects.get(project=world.projects["p1"], enterprise=corp)
    assert (row.corp_type, row.entry_on, row.pm_name, row.pm_phone) == (
        "006",
        dt.date(2024, 3, 1),
        "己经理",
        "13700001111",
    )
    # A resend (new nonce) is accepted and stores nothing twice.
    again = vendor.push("ProjectSubContractor.Add", participant(corpName="别的名字"))
    assert again["status"] == 20
    assert Participant.objects.filter(enterprise=corp).count() == 1
    assert Enterprise.objects.get(pk=corp.pk).name == "己劳务派遣有限公司"
    receipt = DockingReceipt.objects.get(
        project=world.projects["p1"], kind=DockingReceipt.Kind.PARTICIPANT
    )
    assert receipt.records == 2 and receipt.last_app == vendor.app

    data = vendor.query("ProjectSubContractor.Query", {"corpCode": NEW_CORP})
    assert data["total"] == 1
    row = data["rows"][0]
    assert (row["corpType"], row["entryTime"], row["pmName"], row["exitTime"]) == (
        "006",
        "2024-03-01",
        "己经理",
        "",
    )
    assert "pmIdcardNumber" not in row  # checked on the way in, not stored
    everyone = vendor.query("ProjectSubContractor.Query", {"pageSize": 100})
    assert everyone["total"] == 5  # GC, builder, sub, supervision and the new one


@pytest.mark.parametrize(
    ("extra", "field", "code"),
    [
        ({"corpType": "013"}, "corpType", DockingErrorCode.RECORD_INVALID),
        ({"corpType": 6}, "corpType", DockingErrorCode.RECORD_INVALID),
        ({"corpCode": "91442000ABCDEFGHIJ"}, "corpCode", DockingErrorCode.RECORD_INVALID),
        ({"entryTime": "2999-01-01"}, "entryTime", DockingErrorCode.RECORD_INVALID),
        ({"pmPhone": "12345"}, "pmPhone", DockingErrorCode.RECORD_INVALID),
        (
            {"pmIdcardNumber": "440101199001011230"},
            "pmIdcardNumber",
            DockingErrorCode.RECORD_INVALID,
        ),
        ({"corpType": "009"}, "corpType", DockingErrorCode.ROLE_RESERVED),
    ],
)
def test_participant_add_refusals(vendor, world, extra, field, code):
    result = vendor.push("ProjectSubContractor.Add", participant(**extra))
    assert result["status"] == 10 and result["successCount"] == 0
    [failure] = result["result"]
    assert (failure["index"], failure["code"], failure["field"]) == (0, code, field), failure
    assert field in failure["message"] or code == DockingErrorCode.ROLE_RESERVED
    assert not Participant.objects.filter(
        project=world.projects["p1"], enterprise__corp_code=NEW_CORP
    ).exists()
    assert "440101199001011230" not in vendor.text()


def test_participant_update_changes_dates_and_leader_and_refuses_unknown(vendor, world):
    sub = world.enterprises["sub"]
    result = vendor.push(
        "ProjectSubContractor.Update",
        {"corpCode": sub.corp_code, "exitTime": "2024-06-30", "pmName": "乙新经理"},
    )
    assert result["status"] == 20, result
    row = Participant.objects.get(project=world.projects["p1"], enterprise=sub)
    assert (row.exit_on, row.pm_name) == (dt.date(2024, 6, 30), "乙新经理")

    result = vendor.push("ProjectSubContractor.Update", {"corpCode": NEW_CORP, "pmName": "某"})
    assert result["status"] == 10
    assert result["result"][0]["code"] == DockingErrorCode.UNKNOWN_PARTICIPANT
    assert "参建单位" in result["result"][0]["message"]

    tomorrow = (timezone.localdate() + dt.timedelta(days=2)).isoformat()
    result = vendor.push(
        "ProjectSubContractor.Update", {"corpCode": sub.corp_code, "exitTime": tomorrow}
    )
    assert result["result"][0]["message"] == "[exitTime]最晚为当前时间"
    assert Participant.objects.get(pk=row.pk).exit_on == dt.date(2024, 6, 30)


# ---- Team -------------------------------------------------------------------------------------------------


def test_team_add_issues_team_sys_no_once_and_query_answers_it(vendor, world):
    sub = world.enterprises["sub"]
    result = vendor.push("Team.Add", team(sub.corp_code))
    assert result["status"] == 20, result
    number = result["teamSysNo"]
    assert isinstance(number, int)
    created = Team.objects.get(pk=number)
    assert (created.project, created.enterprise, created.name) == (
        world.projects["p1"],
        sub,
        "乙钢筋二班",
    )
    assert (created.responsible_name, created.responsible_phone, created.entry_on) == (
        "责任人乙",
        "13700003333",
        dt.date(2024, 4, 1),
    )
    again = vendor.push("Team.Add", team(sub.corp_code, remark="重发"))
    assert (again["status"], again["teamSysNo"]) == (20, number)
    assert Team.objects.filter(project=world.projects["p1"], name="乙钢筋二班").count() == 1

    data = vendor.query("Team.Query", {"teamSysNo": number})
    assert data["total"] == 1
    assert data["rows"][0]["teamSysNo"] == number
    assert data["rows"][0]["corpCode"] == sub.corp_code
    all_teams = vendor.query("Team.Query")
    assert {r["teamSysNo"] for r in all_teams["rows"]} == {
        world.teams["gc"].pk,
        world.teams["sub"].pk,
        number,
    }


def test_team_add_before_its_participant_is_refused(vendor, world):
    result = vendor.push("Team.Add", team(NEW_CORP))
    assert result["status"] == 10 and "teamSysNo" not in result
    [failure] = result["result"]
    assert failure["code"] == DockingErrorCode.ORDER_PARTICIPANT
    assert failure["message"].startswith("[corpCode]") and "参建单位" in failure["message"]
    # The neighbour is a real enterprise, but not on p1.
    result = vendor.push("Team.Add", team(world.enterprises["neighbour"].corp_code))
    assert result["result"][0]["code"] == DockingErrorCode.ORDER_PARTICIPANT
    assert not Team.objects.filter(name="乙钢筋二班").exists()
    # Once the corp is a participant, the same team is accepted.
    assert vendor.push("ProjectSubContractor.Add", participant())["status"] == 20
    assert vendor.push("Team.Add", team(NEW_CORP))["status"] == 20


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("5", "[teamSysNo]应为整数"),
        (True, "[teamSysNo]应为整数"),
        (None, "[teamSysNo]不能为空"),
        (987654, "[teamSysNo]值超出范围或无效"),
        (-1, "[teamSysNo]值超出范围或无效"),
    ],
)
def test_team_update_takes_a_strict_team_sys_no(vendor, world, number, message):
    result = vendor.push("Team.Update", {"teamSysNo": number, "teamName": "新名字"})
    assert result["status"] == 10
    assert result["result"][0]["message"] == message
    assert not Team.objects.filter(name="新名字").exists()


def test_team_update_changes_the_team_and_sets_a_member_leader(vendor, world):
    t = world.teams["sub"]
    member = world.workers["sub"]
    result = vendor.push(
        "Team.Update",
        {
            "teamSysNo": t.pk,
            "corpCode": world.enterprises["sub"].corp_code,
            "teamName": "乙木工一班",
            "exitTime": "2024-09-30",
            "teamLeaderIdcardType": "01",
            "teamLeaderIdNumber": member.id_number,
        },
    )
    assert (result["status"], result["teamSysNo"]) == (20, t.pk), result
    t.refresh_from_db()
    assert (t.name, t.exit_on, t.leader) == ("乙木工一班", dt.date(2024, 9, 30), member)
    data = vendor.query("Team.Query", {"teamSysNo": t.pk})
    assert data["rows"][0]["teamLeaderName"] == member.name
    assert data["rows"][0]["teamLeaderIdNumber"] != member.id_number  # sealed on the way out
    assert (
        protocol.aes_decrypt(data["rows"][0]["teamLeaderIdNumber"], vendor.secret)
        == member.id_number
    )
    # The corp's other team is not this one; a stranger is not a member.
    result = vendor.push(
        "Team.Update", {"teamSysNo": t.pk, "corpCode": world.enterprises["gc"].corp_code}
    )
    assert result["result"][0]["message"] == "[teamSysNo]班组不属于该企业"
    result = vendor.push(
        "Team.Update",
        {"teamSysNo": t.pk, "teamLeaderIdcardType": "01", "teamLeaderIdNumber": new_id(5)},
    )
    assert result["result"][0]["code"] == DockingErrorCode.ORDER_WORKER


# ---- ProjectWorker ----------------------------------------------------------------------------------------


def test_worker_add_each_record_on_its_own_and_a_resend_stores_nothing_twice(vendor, world):
    t = world.teams["sub"]
    good, bad = person(11, isTeamLeader=1), person(12, workType="999")
    result = vendor.push("ProjectWorker.Add", workers(world, t.pk, good, bad))
    assert (result["status"], result["total"], result["successCount"], result["failCount"]) == (
        10,
        2,
        1,
        1,
    )
    failure = failures(result)[1]
    assert (failure["code"], failure["field"]) == (DockingErrorCode.RECORD_INVALID, "workType")
    assert failure["message"].startswith("[workType]")
    w = Worker.objects.get(name="对接工11")
    assert w.id_number == good["idCardNumber"] and w.nation == "01"
    assert (w.phone, w.bank_card, w.bank_code) == (
        good["cellPhone"],
        good["payRollBankCardNumber"],
        "102",
    )
    e = Employment.objects.get(worker=w, project=world.projects["p1"])
    assert (e.employer, e.team, e.work_type, e.work_role, e.is_team_leader) == (
        world.enterprises["sub"],
        t,
        "020",
        "20",
        True,
    )
    t.refresh_from_db()
    assert t.leader == w
    assert not Worker.objects.filter(name="对接工12").exists()

    fixed = person(12)
    result = vendor.push("ProjectWorker.Add", workers(world, t.pk, good, fixed))
    assert (result["status"], result["successCount"]) == (20, 2), result
    assert Employment.objects.filter(project=world.projects["p1"], worker=w).count() == 1
    assert Worker.objects.filter(name__startswith="对接工").count() == 2
    receipt = DockingReceipt.objects.get(
        project=world.projects["p1"], kind=DockingReceipt.Kind.WORKER
    )
    assert receipt.records == 3

    data = vendor.query("ProjectWorker.Query", {"teamSysNo": t.pk, "pageSize": 10})
    assert data["total"] == 3  # 测试乙工 and the two docked
    rows = {r["workerName"]: r for r in data["rows"]}
    sealed = rows["对接工11"]["idCardNumber"]
    assert sealed != good["idCardNumber"]
    assert protocol.aes_decrypt(sealed, vendor.secret) == good["idCardNumber"]
    assert (rows["对接工11"]["workRole"], rows["对接工11"]["isTeamLeader"]) == (20, 1)
    assert rows["对接工11"]["teamSysNo"] == t.pk
    one = vendor.query(
        "ProjectWorker.Query", {"idCardType": "01", "idCardNumber": fixed["idCardNumber"]}
    )
    assert [r["workerName"] for r in one["rows"]] == ["对接工12"]
    page = vendor.query("ProjectWorker.Query", {"pageIndex": 1, "pageSize": 2})
    assert page["total"] == 5 and len(page["rows"]) == 2  # p1: three people and the two docked


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"workRole": "20"}, "workRole"),
        ({"workRole": 30}, "workRole"),
        ({"isTeamLeader": True}, "isTeamLeader"),
        ({"isTeamLeader": "1"}, "isTeamLeader"),
        ({"idCardType": "77"}, "idCardType"),
        ({"idCardNumber": "440101199001011230"}, "idCardNumber"),
        ({"nation": "火星"}, "nation"),
        ({"payRollTopBankCode": "999"}, "payRollTopBankCode"),
        ({"cellPhone": "2390000"}, "cellPhone"),
        ({"workerName": 7}, "workerName"),
        ({"expiryDate": "2040/01/01"}, "expiryDate"),
        ({"payRollBankCardNumber": "12AB"}, "payRollBankCardNumber"),
    ],
)
def test_worker_add_refuses_bad_values(vendor, world, extra, field):
    result = vendor.push(
        "ProjectWorker.Add", workers(world, world.teams["sub"].pk, person(21, **extra))
    )
    assert result["status"] == 10
    [failure] = result["result"]
    assert failure["field"] == field, failure
    assert failure["message"].startswith(f"[{field}]")
    assert not Worker.objects.filter(name="对接工21").exists()
    assert "440101199001011230" not in vendor.text()


def test_worker_add_order_rules(vendor, world):
    people = (person(31), person(32))
    # Unknown team: every record refused with the national text.
    result = vendor.push("ProjectWorker.Add", workers(world, 987654, *people))
    assert (result["status"], result["failCount"]) == (10, 2)
    assert {f["message"] for f in result["result"]} == {"[teamSysNo]值超出范围或无效"}
    assert {f["code"] for f in result["result"]} == {DockingErrorCode.ORDER_TEAM}
    # A team of another corp.
    result = vendor.push("ProjectWorker.Add", workers(world, world.teams["gc"].pk, *people))
    assert result["result"][0]["message"] == "[teamSysNo]班组不属于该企业"
    # A corp that is not a participant.
    result = vendor.push(
        "ProjectWorker.Add", workers(world, world.teams["sub"].pk, *people, corp="neighbour")
    )
    assert {f["code"] for f in result["result"]} == {DockingErrorCode.ORDER_PARTICIPANT}
    # teamSysNo as text is not a number.
    as_text = workers(world, world.teams["sub"].pk, *people) | {
        "teamSysNo": str(world.teams["sub"].pk)
    }
    result = vendor.push("ProjectWorker.Add", as_text)
    assert result["result"][0]["message"] == "[teamSysNo]应为整数"
    assert not Worker.objects.filter(name__startswith="对接工").exists()


def test_worker_of_another_employer_is_never_taken_over(vendor, world):
    theirs = world.workers["neighbour"]  # on p2 for the neighbour
    stored = (theirs.phone, theirs.bank_card, theirs.address)
    other_name = person(41, idCardNumber=theirs.id_number, workerName="冒名者")
    result = vendor.push("ProjectWorker.Add", workers(world, world.teams["sub"].pk, other_name))
    assert result["status"] == 10
    assert result["result"][0]["code"] == DockingErrorCode.NAME_MISMATCH
    assert theirs.id_number not in vendor.text()

    same = person(41, idCardNumber=theirs.id_number, workerName=theirs.name)
    result = vendor.push("ProjectWorker.Add", workers(world, world.teams["sub"].pk, same))
    assert result["status"] == 20, result
    theirs.refresh_from_db()
    # Linked to p1 for the sub, his own data untouched (the sub's system cannot rewrite his phone or card).
    assert (theirs.phone, theirs.bank_card, theirs.address) == stored
    assert Employment.objects.filter(worker=theirs, status="active").count() == 2

    # A person already on p1 for another corp is not registered again for this one.
    gc_man = world.workers["gc"]
    result = vendor.push(
        "ProjectWorker.Add",
        workers(
            world,
            world.teams["sub"].pk,
            person(42, idCardNumber=gc_man.id_number, workerName=gc_man.name),
        ),
    )
    assert result["result"][0]["code"] == DockingErrorCode.ALREADY_ON_PROJECT


def test_worker_head_image(vendor, world):
    face = jpeg(640, 480)
    assert len(face) <= 50 * 1024
    small = jpeg(96, 120)
    big = jpeg(1600, 1200, face=False) + b"\0" * 60 * 1024
    result = vendor.push(
        "ProjectWorker.Add",
        workers(
            world,
            world.teams["sub"].pk,
            person(51, headImage=base64.b64encode(face).decode()),
            person(52, headImage=base64.b64encode(small).decode()),
            person(53, headImage=base64.b64encode(big).decode()),
            person(54, headImage=base64.b64encode(b"GIF89a" + b"0" * 100).decode()),
            person(55, headImage="not base64!"),
        ),
    )
    assert (result["status"], result["successCount"]) == (10, 2)
    refused = failures(result)
    assert refused[2]["message"] == "[headImage]大小超过限制50KB"
    assert refused[3]["message"] == "[headImage]图片格式只支持jpg、jpeg、png"
    assert refused[4]["field"] == "headImage"
    assert bool(Worker.objects.get(name="对接工51").face_photo)
    assert not Worker.objects.get(name="对接工52").face_photo
    [warning] = result["warnings"]
    assert warning["index"] == 1 and warning["message"].startswith("[headImage]")


def test_worker_update_changes_the_employment_and_the_person(vendor, world):
    t = world.teams["sub"]
    assert vendor.push("ProjectWorker.Add", workers(world, t.pk, person(61)))["status"] == 20
    second = vendor.push("Team.Add", team(world.enterprises["sub"].corp_code))["teamSysNo"]
    result = vendor.push(
        "ProjectWorker.Update",
        workers(
            world,
            second,
            {
                "idCardType": "01",
                "idCardNumber": new_id(61),
                "workType": "240",
                "workRole": 20,
                "isTeamLeader": 1,
                "address": "广东省中山市古镇新地址2号",
            },
        ),
    )
    assert result["status"] == 20, result
    e = Employment.objects.get(worker__name="对接工61")
    assert (e.team_id, e.work_type, e.is_team_leader) == (second, "240", True)
    assert e.worker.address == "广东省中山市古镇新地址2号"
    # A new wage card replacing the stored one needs the registry's change evidence: refused, card kept.
    result = vendor.push(
        "ProjectWorker.Update",
        workers(
            world,
            second,
            {
                "idCardType": "01",
                "idCardNumber": new_id(61),
                "payRollBankCardNumber": "6222020200999999999",
            },
        ),
    )
    assert result["result"][0]["code"] == DockingErrorCode.CONTACT_CHANGE
    assert Worker.objects.get(pk=e.worker_id).bank_card == person(61)["payRollBankCardNumber"]
    # Someone not on the project.
    result = vendor.push(
        "ProjectWorker.Update",
        workers(world, second, {"idCardType": "01", "idCardNumber": new_id(62), "workType": "240"}),
    )
    assert result["result"][0]["code"] == DockingErrorCode.UNKNOWN_WORKER
    assert "6222020200999999999" not in vendor.text() and new_id(62) not in vendor.text()


# ---- scope, personal numbers ------------------------------------------------------------------------------


def test_an_app_of_another_gc_cannot_read_or_write_p1(vendor, neighbour, world):
    p1_team = world.teams["sub"]
    # p1 named outright: out of scope for every method.
    for method, data in [
        ("ProjectSubContractor.Query", {}),
        ("Team.Query", {}),
        ("ProjectWorker.Query", {}),
        ("ProjectSubContractor.Add", participant()),
        ("Team.Add", team(world.enterprises["sub"].corp_code)),
        ("ProjectWorker.Add", workers(world, p1_team.pk, person(71))),
    ]:
        body = neighbour.call(method, data | {"projectCode": world.projects["p1"].code})
        assert body["code"] == GatewayCode.PROJECT_OUT_OF_SCOPE, (method, body)
    # p1's teamSysNo from its own project: no such team there.
    assert neighbour.query("Team.Query", {"teamSysNo": p1_team.pk})["total"] == 0
    result = neighbour.push("Team.Update", {"teamSysNo": p1_team.pk, "teamName": "改名"})
    assert result["result"][0]["message"] == "[teamSysNo]值超出范围或无效"
    result = neighbour.push(
        "ProjectWorker.Add", workers(world, p1_team.pk, person(72), corp="neighbour")
    )
    assert result["result"][0]["message"] == "[teamSysNo]值超出范围或无效"
    own = neighbour.query("ProjectWorker.Query")
    assert {r["workerName"] for r in own["rows"]} == {world.workers["neighbour"].name}
    assert Team.objects.get(pk=p1_team.pk).name == "乙木工班"
    assert not Worker.objects.filter(name__startswith="对接工").exists()
    # And the reverse: p1's app sees none of p2.
    assert vendor.query("Team.Query", {"teamSysNo": world.teams["neighbour"].pk})["total"] == 0


def test_no_personal_number_in_any_answer_or_log(vendor, world, caplog):
    caplog.set_level(logging.DEBUG)
    t = world.teams["sub"]
    numbers = [new_id(81), new_id(82), "440101199001011230", "6222020200123456789", "13900000081"]
    vendor.push(
        "ProjectWorker.Add",
        workers(
            world,
            t.pk,
            person(81),
            person(82, workType="999", payRollBankCardNumber="6222020200123456789"),
            person(83, idCardNumber="440101199001011230"),
        ),
    )
    vendor.push("ProjectWorker.Add", workers(world, 987654, person(81)))
    vendor.push(
        "Team.Add",
        team(world.enterprises["sub"].corp_code, teamLeaderIdNumber="440101199001011230"),
    )
    vendor.query("ProjectWorker.Query", {"teamSysNo": t.pk})
    text = vendor.text() + caplog.text
    for number in numbers:
        assert number not in text


def test_the_background_task_processes_team_add_when_the_call_commits(
    vendor, world, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        body = vendor.call("Team.Add", team(world.enterprises["sub"].corp_code))
    serial = body["data"]["requestSerialCode"]
    result = vendor.query("AsyncHandleResult.Query", {"requestSerialCode": serial})
    assert (result["status"], result["method"]) == (20, "Team.Add")
    assert Team.objects.get(pk=result["teamSysNo"]).name == "乙钢筋二班"
    receipt = DockingReceipt.objects.get(
        project=world.projects["p1"], kind=DockingReceipt.Kind.TEAM
    )
    assert receipt.records == 1


def test_queries_reveal_id_numbers_audited(vendor, world):
    before = PersonalDataAccess.objects.filter(actor=vendor.app.user).count()
    data = vendor.query("ProjectWorker.Query", {"teamSysNo": world.teams["sub"].pk})
    assert data["total"] == 1
    reads = PersonalDataAccess.objects.filter(actor=vendor.app.user).order_by("pk")[before:]
    assert [(r.subject_id, r.field) for r in reads] == [(world.workers["sub"].pk, "id_number")]
    assert "ProjectWorker.Query" in reads[0].purpose


def test_a_worker_list_over_500_is_refused_whole(vendor, world):
    people = [{"workerName": "某", "idCardType": "01"}] * 501
    body = vendor.call("ProjectWorker.Add", workers(world, world.teams["sub"].pk, *people))
    assert body["code"] == GatewayCode.TOO_MANY_RECORDS
    body = vendor.call("ProjectWorker.Add", workers(world, world.teams["sub"].pk))
    assert body["code"] == GatewayCode.INVALID_FIELD


# ---- the records on the portal (issue 14 "Done when") ------------------------------------------------------


def test_docked_workers_show_on_the_people_page_masked_and_only_in_scope(vendor, world, client):
    """Workers docked through the gateway are on the GC's people page like any others: the ID number masked,
    the phone not shown in full; another GC and another town do not see them."""
    result = vendor.push("ProjectWorker.Add", workers(world, world.teams["sub"].pk, person(41)))
    assert result["status"] == 20, result
    number = new_id(41)
    for who, shown in [("gc_labor", True), ("town_l1", True), ("neighbour_labor", False)]:
        client.force_login(world.user(who))
        page = client.get(reverse("portal:workers"))
        html = page.content.decode()
        assert page.status_code == 200
        assert ("对接工41" in html) is shown, who
        assert number not in html and "13900000041" not in html
        if shown:
            assert mask_id_number(number) in html  # 4420**********1234
