"""The virtual device a docked project's attendance arrives under (WorkerAttendance.Add → the one ingest path).

The ingest path stores passes per device and deduplicates on (device, record id); docking gives each project one
virtual device, serial `DOCK-<project code>`, kind `platform`, protocol `docking_v1`, registered through the devices
service by the app's service account. Its secret is never shown: no terminal can sign in as it (terminal auth
checks the protocol)."""

from __future__ import annotations

from typing import Any

from smz.core.errors import DomainError
from smz.devices.models import Device
from smz.devices.services import device_register
from smz.docking.selectors.national import docking_device_of
from smz.registry.models import Project


def docking_device_serial(project: Project) -> str:
    return f"DOCK-{project.code}"


def docking_device_for(*, actor: Any, project: Project) -> Device:
    """The project's docking device, registered on first use."""
    device = docking_device_of(project, docking_device_serial(project))
    if device is not None:
        return device
    try:
        device, _ = device_register(
            actor=actor,
            project=project,
            serial=docking_device_serial(project),
            kind=Device.Kind.PLATFORM,
            protocol=Device.Protocol.DOCKING,
            entrance="平台对接",
            direction=Device.Direction.BOTH,
            vendor="平台对接",
        )
    except DomainError:  # registered meanwhile by a concurrent request
        found = docking_device_of(project, docking_device_serial(project))
        if found is None:
            raise
        return found
    return device
