"""Camera registry writes (V1, V2): a site's staff register cameras and recorders with their GB/T 28181 ids,
assign them to entrances, retire them; the site's SIP password. All evented, all scoped (can_manage_site)."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from smz.core.errors import DomainError, Forbidden, field_errors
from smz.core.events import event_record
from smz.devices.models import Entrance
from smz.registry.models import Project
from smz.registry.scoping import can_manage_site
from smz.video.errors import VideoErrorCode
from smz.video.events import VideoEventKind
from smz.video.gbid import CAMERA_TYPES, DEVICE_TYPES, GbIdError, gb_id_parse
from smz.video.models import Camera, CameraOnlineInterval, ProjectVideo, VideoPlatform
from smz.video.services.status import cameras_gone

SIP_PASSWORD_MIN = 8
SIP_PASSWORD_MAX = 32


def _text(
    errors: dict[str, str], field: str, value: object, label: str, limit: int, *, required: bool
) -> str:
    if not isinstance(value, str):
        errors[field] = f"{label}应为文本"
        return ""
    value = value.strip()
    if required and not value:
        errors[field] = f"{label}不能为空"
    elif len(value) > limit:
        errors[field] = f"{label}不超过{limit}个字符"
    return value


def _check_gb_id(errors: dict[str, str], gb_id: object, types: dict[str, str]) -> str:
    try:
        return gb_id_parse(gb_id, city_code=settings.SMZ_VIDEO_CITY_CODE, allowed_types=types).value
    except GbIdError as exc:
        errors["gb_id"] = exc.message
        return ""


def camera_register(
    *,
    actor: Any,
    project: Project,
    gb_id: object,
    name: object,
    entrance: Entrance | None = None,
    nvr: Camera | None = None,
    maker: object = "",
    model_name: object = "",
    platform: VideoPlatform | None = None,
) -> Camera:
    """Register a camera, a recorder (NVR/DVR), or a recorder's channel (nvr given). The type comes from the
    id's type code (附件2 §4). A recorder has no entrance; a camera or channel may be registered before its
    entrance is chosen, but only an assigned camera covers an entrance (V1)."""
    if not can_manage_site(actor, project):
        raise Forbidden("无权为该项目登记视频监控点")
    errors: dict[str, str] = {}
    gb = _check_gb_id(errors, gb_id, CAMERA_TYPES if nvr is not None else DEVICE_TYPES)
    name = _text(errors, "name", name, "名称", 60, required=True)
    maker = _text(errors, "maker", maker, "厂商", 60, required=False)
    model_name = _text(errors, "model_name", model_name, "型号", 60, required=False)
    kind = gb[10:13] if gb else ""
    if entrance is not None and entrance.project_id != project.pk:
        errors["entrance"] = "出入口不属于该项目"
    if kind in (Camera.Kind.NVR, Camera.Kind.DVR) and entrance is not None:
        errors["entrance"] = "录像机本身不指定出入口，请为其通道指定"
    if nvr is not None and (nvr.project_id != project.pk or not nvr.is_recorder):
        errors["nvr"] = "所属录像机不属于该项目"
    if platform is not None and nvr is not None:
        errors["platform"] = "录像机通道随录像机接入"
    if errors:
        raise field_errors(errors)
    try:
        with transaction.atomic():
            camera = Camera.objects.create(
                project=project,
                entrance=entrance,
                nvr=nvr,
                gb_id=gb,
                kind=kind,
                name=name,
                maker=maker,
                model_name=model_name,
                source=Camera.Source.PLATFORM
                if platform
                else (nvr.source if nvr else Camera.Source.SIP),
                platform=platform or (nvr.platform if nvr else None),
                registered_by=actor,
            )
            event_record(
                actor=actor,
                kind=VideoEventKind.CAMERA_REGISTERED,
                subject=camera,
                data={"project": project.pk, "kind": kind},
            )
    except IntegrityError as exc:
        raise DomainError(
            VideoErrorCode.GB_ID_TAKEN,
            "该国标编码已登记",
            {"fields": {"gb_id": "国标编码已被登记"}},
            status=409,
        ) from exc
    return camera


def camera_assign(
    *, actor: Any, camera: Camera, entrance: Entrance | None, name: object = None
) -> Camera:
    """Move a camera (or a channel) to an entrance of its own site, or off any entrance; optionally rename."""
    if not can_manage_site(actor, camera.project):
        raise Forbidden("无权管理该视频监控点")
    errors: dict[str, str] = {}
    if entrance is not None and entrance.project_id != camera.project_id:
        errors["entrance"] = "出入口不属于该项目"
    if entrance is not None and camera.is_recorder:
        errors["entrance"] = "录像机本身不指定出入口，请为其通道指定"
    new_name = (
        camera.name if name is None else _text(errors, "name", name, "名称", 60, required=True)
    )
    if errors:
        raise field_errors(errors)
    with transaction.atomic():
        camera.entrance = entrance
        camera.name = new_name
        camera.save(update_fields=["entrance", "name", "updated_at"])
        event_record(
            actor=actor,
            kind=VideoEventKind.CAMERA_UPDATED,
            subject=camera,
            data={"entrance": entrance.pk if entrance else None},
        )
    return camera


def camera_retire(*, actor: Any, camera: Camera) -> Camera:
    """Retire a camera (a recorder takes its channels with it); its open interval ends now."""
    if not can_manage_site(actor, camera.project):
        raise Forbidden("无权管理该视频监控点")
    if camera.status == Camera.Status.RETIRED:
        raise DomainError(VideoErrorCode.ALREADY_RETIRED, "该视频监控点已停用")
    now = timezone.now()
    with transaction.atomic():
        ids = [
            camera.pk,
            *camera.channels.filter(status=Camera.Status.ACTIVE).values_list("pk", flat=True),
        ]
        cameras_gone(ids, now, CameraOnlineInterval.EndReason.RETIRED)
        Camera.objects.filter(pk__in=ids).update(
            status=Camera.Status.RETIRED, retired_at=now, online=False, updated_at=now
        )
        event_record(actor=actor, kind=VideoEventKind.CAMERA_RETIRED, subject=camera)
    camera.refresh_from_db()
    return camera


def sip_password_set(*, actor: Any, project: Project, password: object = None) -> str:
    """Set the site's SIP registration password (digest auth), or generate one. Returned once to show."""
    if not can_manage_site(actor, project):
        raise Forbidden("无权设置该项目的视频接入密码")
    if password is None or password == "":
        password = secrets.token_urlsafe(12)
    if (
        not isinstance(password, str)
        or not (SIP_PASSWORD_MIN <= len(password) <= SIP_PASSWORD_MAX)
        or not (password.isascii() and password.isprintable() and " " not in password)
    ):
        raise field_errors(
            {
                "password": f"密码应为{SIP_PASSWORD_MIN}–{SIP_PASSWORD_MAX}位可打印ASCII字符（不含空格）"
            }
        )
    with transaction.atomic():
        ProjectVideo.objects.update_or_create(
            project=project, defaults={"sip_password": password, "updated_by": actor}
        )
        event_record(actor=actor, kind=VideoEventKind.PROJECT_SIP_PASSWORD_SET, subject=project)
    return password


CHANNELS_MAX = 256


def _channel_name(name: object, gb_id: str) -> str:
    """The Catalog's name when it is usable as is (1–60 printable characters), else one made from the id
    (a device's name is never cut)."""
    if isinstance(name, str) and 0 < len(name.strip()) <= 60 and name.strip().isprintable():
        return name.strip()
    return f"通道{gb_id[-6:]}"


def channels_discovered(*, recorder: Camera, items: list[dict[str, str]]) -> list[Camera]:
    """A recorder's Catalog named channels smz does not know: create them (no entrance yet, no user acting:
    the SIP server reports them; site staff assign them to entrances). Ids that are not the city's cameras,
    or are registered elsewhere, are left out. Returns the channels created."""
    if not recorder.is_recorder or recorder.status != Camera.Status.ACTIVE:
        return []
    known = recorder.channels.count()
    wanted: dict[str, str] = {}
    for item in items:
        gb_id = item.get("DeviceID", "")
        try:
            gb_id_parse(gb_id, city_code=settings.SMZ_VIDEO_CITY_CODE, allowed_types=CAMERA_TYPES)
        except GbIdError:
            continue
        wanted.setdefault(gb_id, _channel_name(item.get("Name"), gb_id))
    taken = set(Camera.objects.filter(gb_id__in=list(wanted)).values_list("gb_id", flat=True))
    new = [g for g in wanted if g not in taken][: max(0, CHANNELS_MAX - known)]
    created: list[Camera] = []
    with transaction.atomic():
        for gb_id in new:
            try:
                with transaction.atomic():
                    camera = Camera.objects.create(
                        project_id=recorder.project_id,
                        nvr=recorder,
                        gb_id=gb_id,
                        kind=gb_id[10:13],
                        name=wanted[gb_id],
                        source=recorder.source,
                        platform_id=recorder.platform_id,
                    )
            except IntegrityError:  # registered meanwhile by someone else
                continue
            event_record(
                actor=None,
                kind=VideoEventKind.CAMERA_DISCOVERED,
                subject=camera,
                data={"project": recorder.project_id, "recorder": recorder.pk, "kind": camera.kind},
            )
            created.append(camera)
    return created


def camera_device_info(*, camera: Camera, maker: str, model_name: str, firmware: str) -> bool:
    """What a device's DeviceInfo answer says it is; stored (and evented) only when it changed. Values that
    are not 1–60 printable characters are ignored, never cut. Returns whether anything changed."""
    changes: dict[str, str] = {}
    for field, value in (("maker", maker), ("model_name", model_name), ("firmware", firmware)):
        value = value.strip() if isinstance(value, str) else ""
        if 0 < len(value) <= 60 and value.isprintable() and getattr(camera, field) != value:
            changes[field] = value
    if not changes:
        return False
    with transaction.atomic():
        Camera.objects.filter(pk=camera.pk).update(**changes, updated_at=timezone.now())
        for field, value in changes.items():
            setattr(camera, field, value)
        event_record(
            actor=None, kind=VideoEventKind.CAMERA_DEVICE_INFO, subject=camera, data=changes
        )
    return True
