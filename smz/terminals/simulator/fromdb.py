"""The simulator's view of the database (needs django.setup()): which devices to play, their secrets,
and simulator gates registered on demo projects. The traffic itself still goes over HTTP.

Secrets are stored encrypted (EncryptedTextField); in-process the model field decrypts them, which is how a
demo on one machine plays devices whose secrets were shown once and never written down.
"""

from __future__ import annotations

from django.db.models import Count, Q

from smz.accounts.models import Role, User
from smz.devices.models import Device, DeviceCommand
from smz.devices.services import device_command_queue, device_register
from smz.registry.models import Employment, KeyPost, Participant, Project
from smz.registry.scoping import can_manage_site
from smz.terminals.simulator.run import ZKTECO, DeviceSpec

PREFIX = "SIM"


def _site_manager(project: Project) -> User | None:
    """Who registers the simulator's gates: the GC's labor specialist or admin, else a city admin."""
    gcs = Participant.objects.filter(project=project, corp_type=Participant.GC).values("enterprise")
    for user in User.objects.filter(
        role__in=[Role.LABOR_SPECIALIST, Role.ENTERPRISE_ADMIN], enterprise__in=gcs
    ).order_by("role", "pk"):
        if can_manage_site(user, project):
            return user
    return (
        User.objects.filter(Q(role=Role.CITY_ADMIN) | Q(is_superuser=True)).order_by("pk").first()
    )


def demo_projects(count: int, *, skip: int = 0) -> list[Project]:
    """Active projects with people on site, in id order (the demo's showcase project comes first)."""
    projects = (
        Project.objects.filter(status=Project.Status.ACTIVE)
        .annotate(on_site=Count("employments", filter=Q(employments__status="active")))
        .filter(on_site__gt=0)
        .order_by("pk")
    )
    return list(projects[skip : skip + count])


def simulator_devices_ensure(*, projects: int, zkteco: int) -> list[Device]:
    """One face gate (device-direct) on each of the first `projects` demo projects and one ZKTeco terminal
    on each of the next `zkteco`; existing simulator devices are reused, missing ones registered."""
    wanted = [(p, Device.Protocol.DIRECT_V1) for p in demo_projects(projects)]
    wanted += [(p, Device.Protocol.ZKTECO_PUSH) for p in demo_projects(zkteco, skip=projects)]
    devices = []
    for project, protocol in wanted:
        suffix = "ZK1" if protocol == Device.Protocol.ZKTECO_PUSH else "GATE1"
        serial = f"{PREFIX}-{project.code[-5:]}-{suffix}"
        device = Device.objects.filter(serial=serial).first()
        if device is None:
            device, _ = device_register(
                actor=_site_manager(project),
                project=project,
                serial=serial,
                kind=Device.Kind.FACE_GATE,
                protocol=protocol,
                entrance="模拟东门" if protocol == Device.Protocol.DIRECT_V1 else "模拟北门",
                vendor="smz simulator",
                model_name=suffix,
            )
        devices.append(device)
    return devices


def device_specs(devices: list[Device]) -> list[DeviceSpec]:
    """What the simulator needs per active device. A ZKTeco terminal gets a people sync queued (a fresh
    simulator knows no one), unless one is still waiting."""
    specs = []
    for device in devices:
        if device.status != Device.Status.ACTIVE:
            continue
        on_site = Employment.objects.filter(
            project=device.project_id, status=Employment.Status.ACTIVE
        )
        since = dict(on_site.values_list("worker_id", "entry_on"))
        # Key-post holders and people with a login are always played, so their pages show a week.
        holders = KeyPost.objects.filter(project=device.project_id).values("holder")
        keep = frozenset(
            on_site.filter(Q(worker__in=holders) | Q(worker__user__isnull=False)).values_list(
                "worker_id", flat=True
            )
        )
        if device.protocol == Device.Protocol.ZKTECO_PUSH:
            waiting = DeviceCommand.objects.filter(
                device=device,
                kind=DeviceCommand.Kind.SYNC_PEOPLE,
                status=DeviceCommand.Status.PENDING,
            )
            if not waiting.exists():
                device_command_queue(actor=None, device=device, kind=DeviceCommand.Kind.SYNC_PEOPLE)
            specs.append(DeviceSpec(serial=device.serial, protocol=ZKTECO, since=since, keep=keep))
        else:
            specs.append(
                DeviceSpec(serial=device.serial, secret=device.secret, since=since, keep=keep)
            )
    return specs


def active_devices(serials: list[str] | None = None) -> list[Device]:
    qs = Device.objects.filter(status=Device.Status.ACTIVE).order_by("pk")
    return list(qs.filter(serial__in=serials) if serials else qs)
