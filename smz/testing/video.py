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
