"""The objects the authorization matrix points at, built on the `world` fixture only when a row asks for them.

Every object belongs to the general contractor 甲建设 on 小榄 project p1 (its worker 测试甲工), so a refusal of
the neighbouring town, the neighbouring GC, the subcontractor on the same project, the worker (测试乙工), the
supervisor and the anonymous visitor means they cannot reach another party's object.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from smz.approvals.inbound.services import inbound_system_register
from smz.approvals.models import RequestKind
from smz.attendance.models import PassRecord
from smz.devices.models import Device, DeviceCommand
from smz.devices.services import device_register
from smz.labor import services as labor
from smz.labor.models import ExitSettlement, LaborContract, PaymentBatch, Payroll, PayrollLine
from smz.labor.services import exits
from smz.registry.synthetic import synthetic_id_number
from smz.testing.approvals import fresh_permit, request_filed
from smz.testing.attendance import attend as attend_gate
from smz.testing.devices import DeviceClient, jpeg
from smz.testing.docking import docking_app
from smz.testing.labor import attend, confirm_all, contract, draft
from smz.testing.registry import person, roster_xlsx

GATE_SERIAL = "GATE-AUTHZ-P1"
ZK_SERIAL = "ZK-AUTHZ-P1"
TERMINAL_ADDRESS, ELSEWHERE = "10.20.0.9", "203.0.113.7"


class Stage:
    """p1's objects for the matrix, each made on first use (a route test pays only for what it needs)."""

    def __init__(self, world: Any, client: Any) -> None:
        self.world, self.client = world, client

    def user(self, persona: str) -> Any:
        """A world persona, or a Django superuser (staff) for the admin site."""
        if persona == "superuser":
            return self.superuser
        return self.world.user(persona)

    @functools.cached_property
    def superuser(self) -> Any:
        from smz.accounts.models import User

        return User.objects.create_superuser(username="matrix_root", password=None)

    @property
    def today(self) -> dt.date:
        return timezone.localdate()

    @property
    def p1(self):
        return self.world.projects["p1"]

    @property
    def worker(self):
        return self.world.workers["gc"]

    @property
    def employment(self):
        return self.world.employments["gc"]

    @property
    def team(self):
        return self.world.teams["gc"]

    @functools.cached_property
    def gate(self) -> DeviceClient:
        """A device-direct v1 face gate on p1 with its secret."""
        device, secret = device_register(
            actor=self.world.user("gc_labor"),
            project=self.p1,
            serial=GATE_SERIAL,
            kind=Device.Kind.FACE_GATE,
            protocol=Device.Protocol.DIRECT_V1,
            entrance="东门",
            direction=Device.Direction.BOTH,
        )
        return DeviceClient(self.client, device, secret)

    @functools.cached_property
    def other_gate(self) -> DeviceClient:
        """The neighbouring GC's gate on 古镇 p2, correctly signed with its own secret."""
        device, secret = device_register(
            actor=self.world.user("neighbour_labor"),
            project=self.world.projects["p2"],
            serial="GATE-AUTHZ-P2",
            kind=Device.Kind.FACE_GATE,
            protocol=Device.Protocol.DIRECT_V1,
            entrance="东门",
            direction=Device.Direction.BOTH,
        )
        return DeviceClient(self.client, device, secret)

    @functools.cached_property
    def zk(self) -> Device:
        """A ZKTeco PUSH terminal on p1."""
        device, _ = device_register(
            actor=self.world.user("gc_labor"),
            project=self.p1,
            serial=ZK_SERIAL,
            kind=Device.Kind.FACE_GATE,
            protocol=Device.Protocol.ZKTECO_PUSH,
            entrance="北门",
        )
        # First contact from the site's network (the address the terminal is bound to).
        self.client.get(f"/iclock/cdata?SN={ZK_SERIAL}&options=all", REMOTE_ADDR=TERMINAL_ADDRESS)
        return device

    @functools.cached_property
    def zk_command(self) -> DeviceCommand:
        """A people sync queued for the ZKTeco terminal (rendered as USERINFO lines on its next poll)."""
        return DeviceCommand.objects.create(
            device=self.zk, kind=DeviceCommand.Kind.SYNC_PEOPLE, payload={}
        )

    def zk_sync(self) -> str:
        """Queue the sync; the text a terminal receives with the roster."""
        _ = self.zk_command
        return "USERINFO"

    @functools.cached_property
    def pass_record(self) -> PassRecord:
        """Yesterday's entry of 测试甲工 at the gate, with a snapshot."""
        attend_gate(self.gate.device, self.worker, timezone.localdate() - dt.timedelta(days=1))
        return PassRecord.objects.filter(worker=self.worker).order_by("pk").first()

    @functools.cache  # noqa: B019 - one stage per test
    def double_shift(self) -> str:
        """The subcontractor's worker 测试乙工 passes on p1 (小榄) and, hired by the GC, on p3 (石岐区) today:
        the subcontractor sees him on p1 but may not read where else he worked (issue 10 item 4)."""
        self.world.employ("p3", "sub")
        p3_gate, _ = device_register(
            actor=self.world.user("city_admin"),
            project=self.world.projects["p3"],
            serial="GATE-AUTHZ-P3",
            kind=Device.Kind.FACE_GATE,
            protocol=Device.Protocol.DIRECT_V1,
            entrance="南门",
            direction=Device.Direction.BOTH,
        )
        today = timezone.localdate()
        person = self.world.workers["sub"]
        attend_gate(self.gate.device, person, today)
        attend_gate(p3_gate, person, today, tag="p3-")
        return self.world.projects["p3"].name

    @functools.cached_property
    def request(self):
        """A start-date change request filed by the GC, attachments uploaded, not yet submitted."""
        p1 = fresh_permit(self.p1)
        return request_filed(
            self.world, RequestKind.START_CHANGE, date=p1.planned_start + dt.timedelta(days=7)
        )

    @functools.cached_property
    def api_token(self) -> Any:
        """An API token of the GC's labor specialist (rotate and revoke are his alone)."""
        from smz.accounts.models import ApiToken
        from smz.accounts.services import api_token_create

        gc_labor = self.user("gc_labor")
        api_token_create(actor=gc_labor, user=gc_labor, name="劳务对接")
        return ApiToken.objects.filter(user=gc_labor).latest("pk")

    @functools.cached_property
    def attachment(self):
        return self.request.attachments.order_by("pk").first()

    @functools.cached_property
    def contract(self) -> LaborContract:
        return contract(self.world, "gc")

    @functools.cached_property
    def payroll(self) -> Payroll:
        """October's draft sheet of the GC's own people (测试甲工, 20 days)."""
        attend(self.world, "gc", 20)
        _ = self.contract
        return draft(self.world, who="gc_labor", employer="gc")

    @functools.cached_property
    def payroll_line(self) -> PayrollLine:
        return self.payroll.lines.order_by("pk").first()

    @functools.cached_property
    def batch(self) -> PaymentBatch:
        """The payroll submitted, reviewed and put into a bank batch through the special account."""
        gc = self.world.user("gc_labor")
        confirm_all(self.world, self.payroll)
        labor.payroll_submit(actor=gc, payroll=self.payroll)
        labor.payroll_review(actor=gc, payroll=self.payroll)
        self.wage_account()
        return labor.payment_batch_export(actor=gc, project=self.p1)

    @functools.cached_property
    def exit(self) -> ExitSettlement:
        return exits.exit_prepare(
            actor=self.world.user("gc_labor"),
            employment=self.employment,
            exit_on=timezone.localdate(),
            workload="钢筋绑扎",
        )

    @functools.cache  # noqa: B019 - one stage per test
    def system(self, kind: str) -> tuple[Any, str]:
        """A docked inbound system (permit, quality or safety) and its secret."""
        return inbound_system_register(
            actor=self.world.user("city_admin"),
            code=f"ZS-{kind.upper()}-AUTHZ",
            name=f"{kind} 系统",
            kind=kind,
            docked_on=timezone.localdate(),
        )

    @functools.cache  # noqa: B019 - one stage per test
    def docking(self, other: bool) -> tuple[Any, str]:
        """A vendor system docked for p1 by its GC, or (other) one docked for 古镇 p2 by that GC."""
        if other:
            return docking_app(self.world, ("p2",), by="city_admin", enterprise="neighbour")
        return docking_app(self.world, ("p1",))

    @functools.cached_property
    def docking_request(self) -> Any:
        """An Add request of p1's docking app (REST docking's async result)."""
        from smz.docking.models import DockingRequest

        return DockingRequest.objects.create(
            serial="team-add-authz-1",
            app=self.docking(False)[0],
            project=self.p1,
            method="Team.Add",
            data="{}",
            received_at=timezone.now(),
        )

    @functools.cached_property
    def upstream_target(self) -> Any:
        """An upstream platform for p1 (数据上报) with one refused record."""
        from smz.docking.models import UpstreamTarget, UpstreamUpload

        target = UpstreamTarget.objects.create(
            name="省平台（授权矩阵）",
            url="http://upstream.test/gateway",
            app_id="44000020261205009",
            secret="0123456789abcdefABCDEF0123456789",
            project=self.p1,
            enabled=True,
            created_by=self.world.user("city_admin"),
        )
        UpstreamUpload.objects.create(
            target=target,
            project=self.p1,
            kind=UpstreamUpload.Kind.TEAM,
            object_id=self.team.pk,
            state=UpstreamUpload.State.FAILED,
            attempts=1,
            error="[corpCode]该企业不是本项目的参建单位",
        )
        return target

    @functools.cached_property
    def photo(self):
        """测试甲工 with a face photo on file."""
        self.worker.face_photo.save("face.jpg", ContentFile(jpeg()), save=True)
        return self.worker

    @functools.cached_property
    def gate_command(self) -> DeviceCommand:
        return DeviceCommand.objects.create(
            device=self.gate.device, kind=DeviceCommand.Kind.SYNC_PEOPLE, payload={}
        )

    @functools.cached_property
    def batch_ready(self) -> dict[str, str]:
        """Everything a bank batch needs but the batch: a reviewed sheet and the special account."""
        gc = self.world.user("gc_labor")
        confirm_all(self.world, self.payroll)
        labor.payroll_submit(actor=gc, payroll=self.payroll)
        labor.payroll_review(actor=gc, payroll=self.payroll)
        self.wage_account()
        return {}

    def wage_account(self) -> None:
        labor.wage_account_set(
            actor=self.world.user("gc_labor"),
            project=self.p1,
            bank_code="102",
            bank_name="中国工商银行中山小榄支行",
            account_name="甲建设集团有限公司农民工工资专用账户",
            account_no="2011002109200012345",
            opened_on=dt.date(2024, 2, 1),
        )

    def worker_payload(self) -> dict[str, Any]:
        """测试甲工's identity with another wage card and phone (the takeover of issue 10 item 1)."""
        return {
            "id_card_type": "01",
            "id_number": self.worker.id_number,
            "name": self.worker.name,
            "phone": "13900008888",
            "bank_card": "6222020200119999999",
            "bank_code": "102",
            "bank_name": "中国工商银行中山分行",
        }

    def employment_payload(self) -> dict[str, Any]:
        """A new person joining p1 under the GC."""
        return {
            "project_id": self.p1.pk,
            "corp_code": self.world.enterprises["gc"].corp_code,
            "team_id": self.team.pk,
            "worker": {
                "id_number": synthetic_id_number(birth=dt.date(1990, 4, 4), seq=91, male=True),
                "name": "矩阵新工",
                "gender": "1",
                "nation": "01",
                "birth_date": "1990-04-04",
            },
            "work_type": "020",
            "entry_on": str(timezone.localdate()),
        }

    def exit_payload(self) -> dict[str, Any]:
        return {"exit_on": str(timezone.localdate())}

    def roster_xlsx(self) -> SimpleUploadedFile:
        content = roster_xlsx([person(self.world, 92)])
        return SimpleUploadedFile(
            "roster.xlsx",
            content,
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )

    # ---- compliance judgements (issue 13 items 4–6): a deduction of 甲建设 on p1, confirmed by 小榄's approvers

    @functools.cached_property
    def deduction(self) -> Any:
        from smz.testing.compliance import confirmed, violation

        day = timezone.localdate() - dt.timedelta(days=2)
        return confirmed(self.world, violation(self.world, day=day))

    @functools.cached_property
    def proposed_deduction(self) -> Any:
        from smz.compliance.models import Deduction
        from smz.compliance.services.review import deductions_propose
        from smz.testing.compliance import violation

        day = timezone.localdate() - dt.timedelta(days=2)
        v = violation(self.world, day=day, subject="post:P04")
        deductions_propose(day, day)
        return Deduction.objects.get(violation=v)

    @functools.cached_property
    def appeal(self) -> Any:
        from smz.compliance.services.review import appeal_file
        from smz.testing.approvals import PDF

        return appeal_file(
            actor=self.user("gc_labor"),
            deduction=self.deduction,
            text="当日在岗，考勤机故障",
            files=[(PDF, "说明.pdf")],
        )

    # ---- contests of invalid passes (issue 13 item 5): a pass of 测试甲工 without a snapshot, contested by 甲建设

    @functools.cached_property
    def invalid_pass(self) -> PassRecord:
        """A pass of 测试甲工 stored without a snapshot (invalid: no_snapshot), copied from the gate's pass."""
        p = self.pass_record
        return PassRecord.objects.create(
            device_id=p.device_id,
            device_record_id=f"{p.device_record_id}-ns",
            project_id=p.project_id,
            worker_id=p.worker_id,
            event_time=p.event_time + dt.timedelta(hours=1),
            work_date=p.work_date,
            received_at=p.received_at,
            direction=p.direction,
            valid=False,
            invalid_reason="no_snapshot",
        )

    @functools.cached_property
    def pass_contest(self) -> Any:
        from smz.attendance.services import pass_contest_file

        return pass_contest_file(
            actor=self.user("gc_labor"),
            pass_record=self.invalid_pass,
            reason="抓拍正常，设备未上传照片",
        )

    # ---- face identity (issue 15 item 4): yesterday's pass of 测试甲工 found not to be him (to review, contest)

    @functools.cached_property
    def identity_check(self) -> Any:
        from django.core.files.base import ContentFile
        from django.core.files.storage import storages

        from smz.faceid.embedding import MODEL_VERSION
        from smz.faceid.models import FaceEmbedding, IdentityCheck
        from smz.testing.devices import jpeg

        record = self.pass_record
        enrolled = FaceEmbedding.objects.create(
            worker=self.worker,
            source="window",
            photo=storages["default"].save("face/matrix-check.jpg", ContentFile(jpeg())),
            vector="",
            usable=True,
            model=MODEL_VERSION,
        )
        return IdentityCheck.objects.create(
            pass_record=record,
            worker=self.worker,
            project_id=record.project_id,
            work_date=record.work_date,
            basis=IdentityCheck.Basis.SAMPLE,
            result=IdentityCheck.Result.NOT_SAME_PERSON,
            enrolled=enrolled,
            distance=0.81,
            threshold=0.6,
            model=MODEL_VERSION,
        )

    # ---- face identity (issue 15 item 3): 测试甲工's face also enrolled as 测试项目经理 (one face, two ID numbers)

    @functools.cached_property
    def face_duplicate(self) -> Any:
        from django.core.files.base import ContentFile
        from django.core.files.storage import storages

        from smz.faceid.embedding import MODEL_VERSION
        from smz.faceid.models import FaceDuplicate, FaceEmbedding
        from smz.testing.devices import jpeg

        rows = []
        for key in ("pm", "gc"):
            name = storages["default"].save("face/matrix.jpg", ContentFile(jpeg()))
            rows.append(
                FaceEmbedding.objects.create(
                    worker=self.world.workers[key],
                    source="window",
                    photo=name,
                    vector="",
                    usable=True,
                    model=MODEL_VERSION,
                )
            )
        return FaceDuplicate.objects.create(
            kind=FaceDuplicate.Kind.TWO_IDS,
            first=rows[0],
            second=rows[1],
            first_worker=rows[0].worker,
            second_worker=rows[1].worker,
            distance=0.21,
            threshold=0.6,
        )

    @functools.cached_property
    def video_platform(self) -> Any:
        """The demo's sample video platform (no network), configured by the city administrator."""
        from smz.testing.video import video_platform

        return video_platform("演示样片（授权矩阵）", kind="sample")

    @functools.cached_property
    def camera(self) -> Any:
        """p1's camera at 东门 through the sample platform, online after a sync (it has a stream to play)."""
        from smz.testing.video import platform_camera
        from smz.video.services.platforms import platform_sync

        camera = platform_camera(
            self.world.user("gc_labor"), self.p1, self.video_platform, serial=901, name="东门"
        )
        platform_sync(platform=self.video_platform)
        return camera
