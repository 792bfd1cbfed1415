"""Video fixtures shared by tests: a site's entrance with a camera, and ids of the city (442000)."""

from __future__ import annotations

from smz.devices.models import Entrance
from smz.registry.models import Project
from smz.video.models import Camera
from smz.video.services.cameras import camera_register


def gb(
    type_code: str = "132", serial: int = 1, *, centre: str = "44200000", industry: str = "00"
) -> str:
    """A GB/T 28181 id of the city: centre + industry + type + network flag 7 (互联网) + 6-digit serial."""
    return f"{centre}{industry}{type_code}7{serial:06d}"


def entrance_with_camera(
    actor, project: Project, *, name: str = "东门", serial: int = 1
) -> tuple[Entrance, Camera]:
    entrance, _ = Entrance.objects.get_or_create(project=project, name=name)
    camera = camera_register(
        actor=actor,
        project=project,
        gb_id=gb("132", serial),
        name=f"{name}摄像机",
        entrance=entrance,
    )
    return entrance, camera


def video_platform(
    name: str = "市视频监控平台",
    *,
    kind: str = "wvp",
    base_url: str = "",
    password: str = "admin",  # noqa: S107 (the fake WVP's default account)
):
    """A configured video platform (WVP at `base_url`, account admin/`password`; or the demo's sample)."""
    from smz.video.models import VideoPlatform

    if kind == VideoPlatform.Kind.SAMPLE:
        return VideoPlatform.objects.create(name=name, kind=kind)
    return VideoPlatform.objects.create(
        name=name, kind=kind, base_url=base_url, username="admin", password=password
    )


def platform_camera(
    actor, project: Project, platform, *, serial: int, name: str = "东门", nvr: Camera | None = None
) -> Camera:
    """A camera (or an NVR's channel) of `project` that comes through the video platform, at entrance `name`."""
    entrance, _ = Entrance.objects.get_or_create(project=project, name=name)
    return camera_register(
        actor=actor,
        project=project,
        gb_id=gb("131" if nvr else "132", serial),
        name=f"{name}摄像机",
        entrance=entrance,
        nvr=nvr,
        platform=None if nvr else platform,
    )
