"""`manage.py seed_video [--if-empty]`: the demo city's entrances and cameras (V1, V2, issue 16).

On the first few active demo sites: the personnel entrances the devices named (migrated labels, or 东门 when a
site has none), a vehicle entrance, and on the first site one more personnel entrance left without a camera; an
IPC at every other personnel entrance, and on the second site an NVR whose two channels watch its entrances;
each site's SIP password (printed here once, for the camera simulator); a week of online intervals (nightly
reboots of a few minutes; one camera offline for half a working day) so C-CAM-ENTRANCE has findings; and the
`sample` video platform. `--if-empty` skips when cameras exist already. Run after simulate_demo_week (its gates
name the entrances) and before compliance_run --demo-week."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from smz.accounts.models import Role, User
from smz.core.seeding import seed_step_done, seed_step_finish
from smz.core.timeutil import CITY_TZ, business_date
from smz.devices.models import Entrance
from smz.devices.services import entrance_create
from smz.registry.demo import SITES
from smz.registry.models import Participant, Project
from smz.registry.scoping import can_manage_site
from smz.video.models import Camera, CameraOnlineInterval, VideoPlatform
from smz.video.services.cameras import camera_register, sip_password_set

STEP = "demo_video"
SITES_WITH_CAMERAS = 4
WEEK = 7
REBOOT = (
    dt.time(2, 0),
    dt.time(2, 6),
)  # a nightly reboot: outside the working hours, forgiven anyway
SAMPLE_PLATFORM = "演示视频平台（样片）"
BARE_ENTRANCE = "西门（生活区）"
VEHICLE_ENTRANCE = "车辆出入口"


def demo_gb(type_code: str, serial: int) -> str:
    """A GB/T 28181 id of the city: division + 00 (centre) + industry 00 + type + 7 (互联网) + serial."""
    return f"{settings.SMZ_VIDEO_CITY_CODE}0000{type_code}7{serial:06d}"


def _site_manager(project: Project) -> Any:
    """The GC's labor specialist or admin who manages the site, else a city administrator."""
    gcs = Participant.objects.filter(project=project, corp_type=Participant.GC).values("enterprise")
    for user in User.objects.filter(
        role__in=[Role.LABOR_SPECIALIST, Role.ENTERPRISE_ADMIN], enterprise__in=gcs
    ).order_by("role", "pk"):
        if can_manage_site(user, project):
            return user
    return (
        User.objects.filter(Q(role=Role.CITY_ADMIN) | Q(is_superuser=True)).order_by("pk").first()
    )


def _at(day: dt.date, time: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, time, tzinfo=CITY_TZ)


def week_intervals(
    camera_id: int, now: dt.datetime, outage: tuple[dt.datetime, dt.datetime] | None = None
) -> list[CameraOnlineInterval]:
    """Online from six days ago, down a few minutes each night, and through an outage if given; the last
    interval is still open (online now)."""
    today = business_date(now)
    gaps = [
        (_at(today - dt.timedelta(days=n), REBOOT[0]), _at(today - dt.timedelta(days=n), REBOOT[1]))
        for n in range(WEEK - 2, -1, -1)
    ]
    if outage is not None:
        gaps.append(outage)
    gaps = sorted(g for g in gaps if g[1] <= now)
    rows, start = [], _at(today - dt.timedelta(days=WEEK - 1), dt.time(0))
    for down, up in gaps:
        rows.append(
            CameraOnlineInterval(
                camera_id=camera_id,
                started_at=start,
                ended_at=down,
                end_reason=CameraOnlineInterval.EndReason.KEEPALIVE_TIMEOUT,
            )
        )
        start = up
    rows.append(CameraOnlineInterval(camera_id=camera_id, started_at=start))
    return rows


def half_day_outage(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """Half a working day offline: today from the start of work when an hour of it has passed (so today's
    run finds it), else yesterday 07:00–13:00."""
    today = business_date(now)
    start = _at(today, dt.time(7))
    if now >= start + dt.timedelta(hours=1):
        return start, min(_at(today, dt.time(13)), now - dt.timedelta(minutes=5))
    yesterday = today - dt.timedelta(days=1)
    return _at(yesterday, dt.time(7)), _at(yesterday, dt.time(13))


class Command(BaseCommand):
    help = "为演示城市的前几个项目建立出入口、视频监控点（国标编码）、SIP注册密码和一周的在线记录。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--if-empty", action="store_true", help="已有视频监控点时跳过")

    def handle(self, *args: Any, **options: Any) -> None:
        if seed_step_done(name=STEP):
            self.stdout.write("演示视频监控点已建立，跳过（SIP注册密码只在建立时显示）。")
            return
        if options["if_empty"] and Camera.objects.exists():
            self.stdout.write("数据库已有视频监控点（不是本演示步骤建的），跳过演示视频。")
            return
        projects = list(
            Project.objects.filter(
                code__in=[s.code for s in SITES], status=Project.Status.ACTIVE, in_scope=True
            ).order_by("pk")[:SITES_WITH_CAMERAS]
        )
        if not projects:
            self.stdout.write("没有演示项目（先运行 seed_demo），跳过演示视频。")
            return
        now = timezone.now()
        lines = []
        with transaction.atomic():
            cameras, outage_camera, serial = [], None, 0
            for n, project in enumerate(projects):
                actor = _site_manager(project)
                gates = list(
                    Entrance.objects.filter(
                        project=project,
                        kind=Entrance.Kind.PERSONNEL,
                        status=Entrance.Status.OPEN,
                    ).order_by("name")
                )
                if not gates:
                    gates = [entrance_create(actor=actor, project=project, name="东门")]
                if not Entrance.objects.filter(project=project, name=VEHICLE_ENTRANCE).exists():
                    entrance_create(
                        actor=actor,
                        project=project,
                        name=VEHICLE_ENTRANCE,
                        kind=Entrance.Kind.VEHICLE,
                        position="施工便道",
                    )
                if n == 0:  # V1: a personnel entrance nobody put a camera at
                    entrance_create(
                        actor=actor, project=project, name=BARE_ENTRANCE, position="生活区一侧"
                    )
                if n == 1:  # an NVR whose channels watch the entrances
                    serial += 1
                    nvr = camera_register(
                        actor=actor,
                        project=project,
                        gb_id=demo_gb("118", serial),
                        name="项目部硬盘录像机",
                        maker="海康威视",
                        model_name="DS-7808N-K2",
                    )
                    cameras.append(nvr)
                    channel_gates = [
                        *gates,
                        Entrance.objects.get(project=project, name=VEHICLE_ENTRANCE),
                    ][:2]
                    for k, gate in enumerate(channel_gates, start=1):
                        serial += 1
                        cameras.append(
                            camera_register(
                                actor=actor,
                                project=project,
                                gb_id=demo_gb("131", serial),
                                name=f"通道{k} {gate.name}",
                                entrance=gate,
                                nvr=nvr,
                            )
                        )
                    gates = gates[len(channel_gates) :]
                for gate in gates:
                    serial += 1
                    camera = camera_register(
                        actor=actor,
                        project=project,
                        gb_id=demo_gb("132", serial),
                        name=f"{gate.name}摄像机",
                        entrance=gate,
                        maker="大华",
                        model_name="DH-IPC-HFW2431",
                    )
                    cameras.append(camera)
                    if n == 2 and outage_camera is None:
                        outage_camera = camera
                password = sip_password_set(actor=actor, project=project)
                lines.append(f"  {project.code} {project.name}：SIP注册密码 {password}")
            # The demo sites' entrances are on record for the simulated week (an entrance is judged only for
            # the days after it was recorded).
            Entrance.objects.filter(project__in=projects).update(
                created_at=_at(business_date(now) - dt.timedelta(days=WEEK - 1), dt.time(0))
            )
            outage = half_day_outage(now)
            rows = []
            for camera in cameras:
                if camera.nvr_id is None:
                    rows += week_intervals(
                        camera.pk, now, outage if camera == outage_camera else None
                    )
            channels = [c for c in cameras if c.nvr_id is not None]
            CameraOnlineInterval.objects.bulk_create(rows, batch_size=500)
            # A channel is online while its recorder is: the same intervals, ended by the recorder.
            CameraOnlineInterval.objects.bulk_create(
                [
                    CameraOnlineInterval(
                        camera_id=c.pk,
                        started_at=r.started_at,
                        ended_at=r.ended_at,
                        end_reason=CameraOnlineInterval.EndReason.RECORDER_OFFLINE
                        if r.ended_at
                        else "",
                    )
                    for c in channels
                    for r in rows
                    if r.camera_id == c.nvr_id
                ],
                batch_size=500,
            )
            Camera.objects.filter(pk__in=[c.pk for c in cameras]).update(
                online=True, last_keepalive_at=now
            )
            if not VideoPlatform.objects.exists():
                VideoPlatform.objects.create(
                    name=SAMPLE_PLATFORM, kind=VideoPlatform.Kind.SAMPLE, enabled=True
                )
            seed_step_finish(name=STEP)
        self.stdout.write(
            self.style.SUCCESS(
                f"演示视频：{len(projects)} 个项目、{len(cameras)} 个视频监控点（含录像机通道）；"
                f"{outage_camera.name if outage_camera else '—'} 离线 "
                f"{outage[0]:%m-%d %H:%M}–{outage[1].astimezone(CITY_TZ):%H:%M}。SIP注册密码只显示这一次："
            )
        )
        for line in lines:
            self.stdout.write(line)
