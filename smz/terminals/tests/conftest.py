from __future__ import annotations

import pytest

from smz.devices.models import Device
from smz.devices.services import device_register
from smz.testing.devices import DeviceClient


@pytest.fixture
def immediate_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def gate(world, client):
    device, secret = device_register(
        actor=world.user("gc_labor"),
        project=world.projects["p1"],
        serial="GATE-P1-01",
        kind=Device.Kind.FACE_GATE,
        protocol=Device.Protocol.DIRECT_V1,
        entrance="东门",
        direction=Device.Direction.IN,
    )
    return DeviceClient(client, device, secret)
