"""Device reads, scoped through the projects the user may see."""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.db import connection
from django.db.models import (
    Case,
    Count,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from smz.core import rows
from smz.core.bulk import hot_cursor
from smz.core.errors import NotFound
from smz.core.timeutil import business_date
from smz.devices.errors import DevicesErrorCode
from smz.devices.models import (
    ONLINE_WITHIN_SECONDS,
    Device,
    DeviceRejection,
    Entrance,
    SiteBoundary,
    TerminalNetwork,
)
from smz.registry import scoping
from smz.registry.models import Employment, Project

ADDRESS_REFUSALS = (DevicesErrorCode.ADDRESS_MISMATCH, DevicesErrorCode.ADDRESS_NOT_ALLOWED)
MOVED_SHOWN_FOR = dt.timedelta(days=7)


def _devices_for(user: Any) -> QuerySet[Device]:
    """Terminals are staff business (authorities, participants' staff): a ZKTeco terminal is known by its
    serial alone, so a worker is shown none (issue 10 matrix)."""
    if not (scoping.is_authority(user) or scoping.is_enterprise_user(user)):
        return Device.objects.none()
    return Device.objects.filter(project__in=scoping.projects_for(user).values("pk"))


def device_list_for(
    user: Any, *, project: int | None = None, status: str = "", offline: bool = False
) -> QuerySet[Device]:
    qs = _devices_for(user).select_related("project", "project__jurisdiction", "entrance")
    if project:
        qs = qs.filter(project=project)
    if status:
        qs = qs.filter(status=status)
    if offline:
        qs = qs.filter(device_offline_q())
    today = business_date(timezone.now())
    since = timezone.now() - dt.timedelta(days=1)
    return qs.annotate(
        passes_today=Count("passes", filter=Q(passes__work_date=today), distinct=True),
        invalid_today=Count(
            "passes", filter=Q(passes__work_date=today, passes__valid=False), distinct=True
        ),
        rejections_24h=Count("rejections", filter=Q(rejections__at__gte=since), distinct=True),
    ).order_by("project__code", "entrance__name", "serial")


def device_get_for(user: Any, pk: int) -> Device:
    device = _devices_for(user).filter(pk=pk).first()
    if device is None:
        raise NotFound("设备")
    return device


def device_is_online(device: Device, now: dt.datetime | None = None) -> bool:
    now = now or timezone.now()
    return bool(
        device.last_heartbeat_at
        and (now - device.last_heartbeat_at).total_seconds() <= ONLINE_WITHIN_SECONDS
    )


def device_off_site(device: Device, boundaries: dict[int, SiteBoundary]) -> bool | None:
    """True/False when both the device position and the site boundary are known; None otherwise."""
    boundary = boundaries.get(device.project_id)
    if boundary is None or device.lng is None or device.lat is None:
        return None
    return not boundary.contains(float(device.lng), float(device.lat))


def boundaries_for(project_ids: set[int]) -> dict[int, SiteBoundary]:
    return {b.project_id: b for b in SiteBoundary.objects.filter(project__in=project_ids)}


def address_normalize(text: str) -> str | None:
    """A client address in canonical form (an IPv4-mapped IPv6 address as IPv4); None if not an address."""
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return str(address)


def terminal_network_cidrs(project_id: int) -> list[str]:
    """The project's terminal address allow-list (empty: no list, pinning alone)."""
    network = TerminalNetwork.objects.filter(project=project_id).first()
    return list(network.cidrs) if network else []


def terminal_address_refusal(device: Device, address: str) -> str | None:
    """Why a ZKTeco terminal calling from this address gets nothing (an error code), or None when it may
    be served: inside the project's allow-list (if any) and at its bound address (or not bound yet).
    `address` is normalized (address_normalize); "" (unknown) is never served."""
    if not address:
        return DevicesErrorCode.ADDRESS_MISMATCH
    cidrs = terminal_network_cidrs(device.project_id)
    ip = ipaddress.ip_address(address)
    if cidrs and not any(ip in ipaddress.ip_network(c, strict=False) for c in cidrs):
        return DevicesErrorCode.ADDRESS_NOT_ALLOWED
    if device.bound_address and address_normalize(device.bound_address) != address:
        return DevicesErrorCode.ADDRESS_MISMATCH
    return None


def refused_addresses_for(devices: list[Device]) -> dict[int, DeviceRejection]:
    """Per ZKTeco device, the latest connection refused for its address since it was bound (last 7
    days): the page shows it and offers to re-bind the terminal there. Two queries for any page."""
    since = timezone.now() - MOVED_SHOWN_FOR
    latest = (
        DeviceRejection.objects.filter(
            device=OuterRef("pk"),
            code__in=ADDRESS_REFUSALS,
            at__gte=Greatest(Coalesce(OuterRef("bound_at"), Value(since)), Value(since)),
        )
        .order_by("-at", "-pk")
        .values("pk")[:1]
    )
    ids = (
        Device.objects.filter(
            pk__in=[d.pk for d in devices if d.protocol == Device.Protocol.ZKTECO_PUSH]
        )
        .annotate(refused=Subquery(latest))
        .filter(refused__isnull=False)
        .values_list("refused", flat=True)
    )
    rows = DeviceRejection.objects.filter(pk__in=list(ids))  # each found through its device
    return {r.device_id: r for r in rows if r.device_id is not None}


def entrances_of(project_id: int) -> QuerySet[Entrance]:
    """A project's entrances, open ones first (the registration form offers them; the caller checked scope)."""
    return Entrance.objects.filter(project=project_id).order_by("-status", "kind", "name")


def device_offline_q(now: dt.datetime | None = None) -> Q:
    """Devices with no heartbeat within ONLINE_WITHIN_SECONDS (the rule of device_is_online). A docking
    project's virtual device has no heartbeat to miss: never offline."""
    since = (now or timezone.now()) - dt.timedelta(seconds=ONLINE_WITHIN_SECONDS)
    return (Q(last_heartbeat_at__isnull=True) | Q(last_heartbeat_at__lt=since)) & ~Q(
        kind=Device.Kind.PLATFORM
    )


def device_counts_for(user: Any) -> dict[str, int]:
    """Devices in use on the user's projects, and how many of them are offline now (工作台)."""
    in_use = Device.objects.filter(
        project__in=scoping.projects_for(user).values("pk"), status=Device.Status.ACTIVE
    )
    return in_use.aggregate(active=Count("pk"), offline=Count("pk", filter=device_offline_q()))


# ---- the gate roster: who the site's terminals let through (both protocols) -------------------------

# An employment puts its person on the gates while it is active and its entry checks let him through
# (进场核验, smz.labor.services.entry: "admitted"; managers are admitted on registration).
ON_GATE = Q(status=Employment.Status.ACTIVE, gate_status="admitted")


@dataclass(frozen=True)
class GatePerson:
    """One person of a project's gate roster: on the gates now or not, and when that last may have changed."""

    worker_id: int
    on_gate: bool
    version: dt.datetime
    role: str = ""  # the work role of the employment that admits him ("" when off the gates)


def _gate_rows(project_id: int) -> QuerySet:
    """Per person ever employed on the project: on the gates if any employment admits him, and the
    latest change of any of his employments there or of the person himself."""
    return (
        Employment.objects.filter(project=project_id)
        .values("worker_id")
        .annotate(
            version=Max(Greatest("updated_at", "worker__updated_at")),
            on_gate=Max(Case(When(ON_GATE, then=1), default=0, output_field=IntegerField())),
        )
    )


def _gate_people(project_id: int, rows: Iterable[dict[str, Any]]) -> list[GatePerson]:
    rows = list(rows)
    admitted = [r["worker_id"] for r in rows if r["on_gate"]]
    roles = dict(
        Employment.objects.filter(ON_GATE, project=project_id, worker__in=admitted)
        .order_by("pk")
        .values_list("worker_id", "work_role")
    )  # one active employment per person and project (employment_one_active_per_project)
    return [
        GatePerson(
            worker_id=r["worker_id"],
            on_gate=bool(r["on_gate"]),
            version=r["version"],
            role=roles.get(r["worker_id"], "") if r["on_gate"] else "",
        )
        for r in rows
    ]


def gate_roster(
    *, project_id: int, after_worker: int = 0, workers: Iterable[int] | None = None, limit: int
) -> list[GatePerson]:
    """The project's gate roster by person id from `after_worker` (ZKTeco's full or named sync): everyone
    ever employed there, on the gates or to be deleted; `workers` narrows it to those people."""
    rows = _gate_rows(project_id).filter(worker_id__gt=after_worker)
    if workers is not None:
        rows = rows.filter(worker_id__in=list(workers))
    return _gate_people(project_id, rows.order_by("worker_id")[:limit])


def gate_changes_since(
    *, project_id: int, after: tuple[dt.datetime, int] | None, limit: int
) -> list[GatePerson]:
    """The people whose gate state may have changed since the cursor (version, person id), oldest change
    first (device-direct people feed). One entry per person, never per employment: a re-hired person's old
    employment can never send a delete after his upsert."""
    rows = _gate_rows(project_id)
    if after is not None:
        rows = rows.filter(Q(version__gt=after[0]) | Q(version=after[0], worker_id__gt=after[1]))
    return _gate_people(project_id, rows.order_by("version", "worker_id")[:limit])


def gate_person_on(*, project_id: int, worker_id: int) -> bool:
    """Whether this person is on the project's gates now."""
    return Employment.objects.filter(ON_GATE, project=project_id, worker=worker_id).exists()


def gate_projects_of(*, worker_id: int) -> QuerySet:
    """The projects (a values queryset of ids) on whose gates this person is now."""
    return Employment.objects.filter(ON_GATE, worker=worker_id).values("project")


# --- the device of a signed request ----------------------------------------------------------------


@cache
def _device_sql(vendor: str) -> str:
    def qn(name: str | None) -> str:
        return connection.ops.quote_name(str(name))

    device, project, boundary = Device._meta, Project._meta, SiteBoundary._meta
    return (
        f"SELECT {rows.columns(Device, 'd')}, {rows.columns(Project, 'p')},"  # noqa: S608 - names from _meta
        f" {rows.columns(SiteBoundary, 'b')} FROM {qn(device.db_table)} d"
        f" LEFT JOIN {qn(project.db_table)} p ON p.{qn(project.pk.column)} = d.{qn(device.get_field('project').column)}"
        f" LEFT JOIN {qn(boundary.db_table)} b ON b.{qn(boundary.get_field('project').column)} = p.{qn(project.pk.column)}"
        f" WHERE d.{qn(device.get_field('serial').column)} = %s"
    )


def device_by_serial(serial: str) -> Device | None:
    """The device with this serial, its project and the project's site boundary (None when it has none) read
    with it, as `select_related("project", "project__site_boundary")` would, in one query whose SQL is
    written once per process (smz.core.rows: compiling that ORM query cost more than running it)."""
    with hot_cursor() as cursor:
        cursor.execute(_device_sql(connection.vendor), [serial])
        row = cursor.fetchone()
    if row is None:
        return None
    nd, np = rows.width(Device), rows.width(Project)
    device = rows.from_row(Device, row[:nd])
    if row[nd] is None:
        return device
    project = rows.from_row(Project, row[nd : nd + np])
    Device._meta.get_field("project").set_cached_value(device, project)
    link = SiteBoundary._meta.get_field("project")
    boundary = None
    if row[nd + np] is not None:
        boundary = rows.from_row(SiteBoundary, row[nd + np :])
        link.set_cached_value(boundary, project)
    link.remote_field.set_cached_value(
        project, boundary
    )  # None: project.site_boundary raises, as the ORM's
    return device
