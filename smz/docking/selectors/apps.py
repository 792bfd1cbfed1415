"""Reads for the docking pages (对接应用) and for the compliance rules: who may manage which apps, an app's recent
requests, a project's docking state, and the in-scope projects that are not docked.

"Docked" (已对接) is read in one place, `undocked_projects_for` / `docking_sources`, so the pages and the compliance
engine count the same thing: a project receives data when, within the last SMZ_DOCKING_STALE_DAYS days, a vendor
system sent it something through the gateway (DockingReceipt) or one of its own gates uploaded passes directly
(devices.Device.last_upload_at). A project with an active docking app but nothing received in that window is
"authorized, no data" — not docked.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from smz.core.errors import NotFound
from smz.core.roles import Role
from smz.devices.models import Device
from smz.docking.models import DockingApp, DockingReceipt, DockingRequest
from smz.registry.models import Enterprise, Participant, Project
from smz.registry.scoping import is_authority, projects_for

RECENT_REQUESTS = 50


def stale_days() -> int:
    return int(getattr(settings, "SMZ_DOCKING_STALE_DAYS", 3))


def may_authorize(actor: Any, enterprise: Enterprise) -> bool:
    """The city administrator for any GC; an enterprise administrator for its own enterprise."""
    if not actor.is_authenticated:
        return False
    if actor.is_superuser or (is_authority(actor) and actor.role == Role.CITY_ADMIN):
        return True
    return actor.role == Role.ENTERPRISE_ADMIN and actor.enterprise_id == enterprise.pk


def may_manage_docking(actor: Any) -> bool:
    """Whether the actor has a docking apps page at all (the city administrator, an enterprise administrator)."""
    if not actor.is_authenticated:
        return False
    if actor.is_superuser or (is_authority(actor) and actor.role == Role.CITY_ADMIN):
        return True
    return actor.role == Role.ENTERPRISE_ADMIN and actor.enterprise_id is not None


def _city_wide_admin(actor: Any) -> bool:
    return actor.is_superuser or (is_authority(actor) and actor.role == Role.CITY_ADMIN)


def gc_projects(actor: Any, enterprise: Enterprise) -> QuerySet[Project]:
    """The projects the actor sees on which the enterprise is the general contractor (an app's possible scope)."""
    return (
        projects_for(actor)
        .filter(participants__enterprise=enterprise, participants__corp_type=Participant.GC)
        .distinct()
    )


def scope_choices(actor: Any, enterprise: Enterprise) -> QuerySet[Project]:
    """The projects a live app of the enterprise may be authorized for (not the sandbox apps' test projects)."""
    return (
        gc_projects(actor, enterprise)
        .exclude(assigned_users__docking_app__mode=DockingApp.Mode.SANDBOX)
        .order_by("code")
    )


def gc_enterprises_for(actor: Any) -> list[Enterprise]:
    """The enterprises the actor may authorize apps for: its own, or (city administrator) every GC."""
    if not may_manage_docking(actor):
        return []
    if _city_wide_admin(actor):
        return list(
            Enterprise.objects.filter(participations__corp_type=Participant.GC)
            .distinct()
            .order_by("name")
        )
    return list(Enterprise.objects.filter(pk=actor.enterprise_id))


def apps_for(actor: Any) -> QuerySet[DockingApp]:
    """The docking apps the actor manages, newest first, with their projects (the service account's scope)."""
    if not may_manage_docking(actor):
        return DockingApp.objects.none()
    qs = DockingApp.objects.select_related("enterprise", "created_by")
    if not _city_wide_admin(actor):
        qs = qs.filter(enterprise_id=actor.enterprise_id)
    return qs.prefetch_related(
        Prefetch("user__projects", queryset=Project.objects.order_by("code"))
    ).order_by("-created_at")


def app_get_for(actor: Any, pk: int) -> DockingApp:
    """One app the actor may manage; any other (another GC's) is not found."""
    app = apps_for(actor).filter(pk=pk).first()
    if app is None or not may_authorize(actor, app.enterprise):
        raise NotFound("对接应用")
    return app


def app_projects(app: DockingApp) -> list[Project]:
    return list(app.user.projects.order_by("code"))


def app_requests_recent(app: DockingApp, limit: int = RECENT_REQUESTS) -> list[DockingRequest]:
    """The app's latest Add/Update requests (no data: the pages show counts and the failures' messages)."""
    return list(
        DockingRequest.objects.filter(app=app)
        .select_related("project")
        .defer("data")
        .order_by("-received_at")[:limit]
    )


def failure_messages(request: DockingRequest, limit: int = 5) -> list[str]:
    """The first refused records' Chinese reasons (they never carry a personal number)."""
    failures = (request.result or {}).get("failures", [])
    out = []
    for f in failures[:limit]:
        where = f"第{f.get('index', 0) + 1}条" if isinstance(f.get("index"), int) else ""
        out.append(f"{where} {f.get('message', '')}".strip())
    return out


@dataclass
class DockingState:
    """A project's docking state (项目对接状态)."""

    project: Project
    apps: list[DockingApp]  # active apps whose scope holds the project
    receipts: list[DockingReceipt]  # per kind, in the order of DockingReceipt.Kind
    docked_since: dt.datetime | None  # the first data received through the gateway
    last_received: dt.datetime | None
    device_last_upload: dt.datetime | None  # direct gates (附件7), for comparison
    kinds_missing: list[str] = field(default_factory=list)


def project_docking_state(project: Project) -> DockingState:
    """What a project has received through docking, per kind, and which systems are authorized for it."""
    apps = list(
        DockingApp.objects.filter(user__projects=project, revoked_at__isnull=True)
        .select_related("enterprise")
        .order_by("created_at")
    )
    order = {k: i for i, k in enumerate(DockingReceipt.Kind.values)}
    receipts = sorted(
        DockingReceipt.objects.filter(project=project).select_related("last_app"),
        key=lambda r: order.get(r.kind, 99),
    )
    got = {r.kind for r in receipts}
    device_last = (
        Device.objects.filter(project=project, status=Device.Status.ACTIVE)
        .exclude(last_upload_at=None)
        .order_by("-last_upload_at")
        .values_list("last_upload_at", flat=True)
        .first()
    )
    return DockingState(
        project=project,
        apps=apps,
        receipts=receipts,
        docked_since=min((r.first_at for r in receipts), default=None),
        last_received=max((r.last_at for r in receipts), default=None),
        device_last_upload=device_last,
        kinds_missing=[label for k, label in DockingReceipt.Kind.choices if k not in got],
    )


def _receiving(since: dt.datetime) -> dict[str, Any]:
    """Annotations: whether a project received data since `since`, through the gateway or its own gates."""
    return {
        "has_app": Exists(
            DockingApp.objects.filter(user__projects=OuterRef("pk"), revoked_at__isnull=True)
        ),
        "gateway_recent": Exists(
            DockingReceipt.objects.filter(project=OuterRef("pk"), last_at__gte=since)
        ),
        "device_recent": Exists(
            Device.objects.filter(
                project=OuterRef("pk"), status=Device.Status.ACTIVE, last_upload_at__gte=since
            )
        ),
    }


def docking_sources(projects: QuerySet[Project], *, now: dt.datetime) -> QuerySet[Project]:
    """The projects annotated with `has_app`, `gateway_recent` and `device_recent` (the window is
    SMZ_DOCKING_STALE_DAYS days back from `now`)."""
    since = now - dt.timedelta(days=stale_days())
    return projects.annotate(**_receiving(since))


def undocked_projects(projects: QuerySet[Project], *, now: dt.datetime) -> QuerySet[Project]:
    """Of the given projects, the active in-scope ones receiving no data: neither a gateway receipt nor a
    direct gate's upload in the window. For the compliance rules to count."""
    return (
        docking_sources(projects, now=now)
        .filter(in_scope=True, status=Project.Status.ACTIVE)
        .filter(Q(gateway_recent=False) & Q(device_recent=False))
    )


@dataclass
class UndockedRow:
    project: Project
    has_app: bool
    last_received: dt.datetime | None
    device_last_upload: dt.datetime | None


def undocked_projects_for(actor: Any, *, now: dt.datetime | None = None) -> list[UndockedRow]:
    """未对接项目: the authority's in-scope active projects (by jurisdiction) that receive no data, each with
    its last gateway receipt and its gates' last upload (both older than the window, or none)."""
    if not is_authority(actor):
        return []
    now = now or timezone.now()
    projects = list(
        undocked_projects(projects_for(actor), now=now)
        .select_related("jurisdiction")
        .order_by("jurisdiction__code", "code")
    )
    ids = [p.pk for p in projects]
    last_receipt: dict[int, dt.datetime] = {}
    for project_id, last_at in DockingReceipt.objects.filter(project_id__in=ids).values_list(
        "project_id", "last_at"
    ):
        if project_id not in last_receipt or last_at > last_receipt[project_id]:
            last_receipt[project_id] = last_at
    last_device: dict[int, dt.datetime] = {}
    for project_id, uploaded in (
        Device.objects.filter(project_id__in=ids, status=Device.Status.ACTIVE)
        .exclude(last_upload_at=None)
        .values_list("project_id", "last_upload_at")
    ):
        if uploaded is None:
            continue
        if project_id not in last_device or uploaded > last_device[project_id]:
            last_device[project_id] = uploaded
    return [
        UndockedRow(
            project=p,
            has_app=bool(getattr(p, "has_app", False)),
            last_received=last_receipt.get(p.pk),
            device_last_upload=last_device.get(p.pk),
        )
        for p in projects
    ]


def docked_counts_for(actor: Any, *, now: dt.datetime | None = None) -> dict[str, int]:
    """How many of the authority's active in-scope projects receive data, and by which way (for the page's
    summary): {"total", "gateway", "device", "undocked"}."""
    if not is_authority(actor):
        return {"total": 0, "gateway": 0, "device": 0, "undocked": 0}
    now = now or timezone.now()
    qs = docking_sources(
        projects_for(actor).filter(in_scope=True, status=Project.Status.ACTIVE), now=now
    )
    figures = qs.aggregate(
        total=Count("pk"),
        gateway=Count("pk", filter=Q(gateway_recent=True)),
        device=Count("pk", filter=Q(device_recent=True)),
        undocked=Count("pk", filter=Q(gateway_recent=False, device_recent=False)),
    )
    return {k: int(v or 0) for k, v in figures.items()}


def sandbox_apps_for(actor: Any) -> list[DockingApp]:
    """The active apps the actor manages (the sandbox page's choice)."""
    return list(apps_for(actor).filter(revoked_at__isnull=True))
