"""Authorizing a vendor system (对接应用): the GC's enterprise administrator or the city administrator issues an app id
and a secret for chosen projects; the secret is shown once, can be rotated, and the app can be revoked."""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from smz.core.errors import DomainError
from smz.core.events import event_record
from smz.core.roles import Role
from smz.docking import protocol
from smz.docking.errors import DockingErrorCode
from smz.docking.events import DockingEventKind
from smz.docking.models import DockingApp
from smz.docking.selectors.apps import gc_projects, may_authorize
from smz.registry.models import Enterprise, Jurisdiction, Participant, Project


def _forbidden() -> DomainError:
    return DomainError(DockingErrorCode.FORBIDDEN, "无权管理该企业的对接应用", status=403)


def _scope_checked(actor: Any, enterprise: Enterprise, project_ids: list[int]) -> list[Project]:
    if not project_ids:
        raise DomainError(
            DockingErrorCode.NO_PROJECTS,
            "请选择至少一个授权项目",
            {"fields": {"projects": "请选择至少一个授权项目"}},
        )
    projects = list(gc_projects(actor, enterprise).filter(pk__in=project_ids))
    if len(projects) != len(set(project_ids)):
        raise DomainError(
            DockingErrorCode.NOT_GC,
            "只能授权本企业为总承包单位的项目",
            {"fields": {"projects": "只能授权本企业为总承包单位的项目"}},
        )
    return projects


def _new_app_id() -> str:
    # 4420 (中山) + date + 5 random digits = 17 digits, as the national platform's app ids (an 18-character
    # number would read as an ID number to the log masker); unique, not guessable from another app's id.
    while True:
        candidate = f"4420{timezone.localdate():%Y%m%d}{secrets.randbelow(10**5):05d}"
        if not DockingApp.objects.filter(app_id=candidate).exists():
            return candidate


def _sandbox_project(actor: Any, enterprise: Enterprise, app_id: str) -> Project:
    """A sandbox app docks its own test project: out of the real-name scope (never judged, never counted), with
    the enterprise as its general contractor, so a vendor can run every method end to end without touching a
    live project."""
    home = gc_projects(actor, enterprise).select_related("jurisdiction").first()
    jurisdiction = home.jurisdiction if home else Jurisdiction.objects.order_by("pk").first()
    if jurisdiction is None:
        raise DomainError(DockingErrorCode.NO_PROJECTS, "尚无行政区划，无法建立沙箱项目")
    project = Project.objects.create(
        code=f"SBX{app_id[-12:]}",
        name=f"{enterprise.name}对接测试项目"[:120],
        kind=Project.Kind.BUILDING,
        jurisdiction=jurisdiction,
        builder=enterprise,
        status=Project.Status.ACTIVE,
        address="对接沙箱（不纳入实名制管理）",
    )
    Participant.objects.create(
        project=project,
        enterprise=enterprise,
        corp_type=Participant.GC,
        entry_on=timezone.localdate(),
    )
    return project


@transaction.atomic
def docking_app_authorize(
    *,
    actor: Any,
    enterprise: Enterprise,
    name: str,
    vendor: str = "",
    project_ids: list[int],
    mode: str = DockingApp.Mode.LIVE,
) -> tuple[DockingApp, str]:
    """A new app for the enterprise's chosen projects (a sandbox app: its own test project); answers the app and
    its secret (shown once)."""
    if not may_authorize(actor, enterprise):
        raise _forbidden()
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise DomainError(
            DockingErrorCode.NAME_REQUIRED,
            "请填写系统名称（不超过80字）",
            {"fields": {"name": "请填写系统名称（不超过80字）"}},
        )
    if mode not in DockingApp.Mode.values:
        raise DomainError(
            DockingErrorCode.FORBIDDEN, "环境无效", {"fields": {"mode": "环境应为沙箱或正式"}}
        )
    app_id = _new_app_id()
    if mode == DockingApp.Mode.SANDBOX:
        projects = [_sandbox_project(actor, enterprise, app_id)]
    else:
        projects = _scope_checked(actor, enterprise, project_ids)
    user = get_user_model()(
        username=f"dock-{app_id}",
        display_name=f"对接应用 {name}"[:40],
        role=Role.LABOR_SPECIALIST,
        enterprise=enterprise,
    )
    user.set_unusable_password()
    user.save()
    user.projects.set(projects)
    secret = protocol.new_secret()
    app = DockingApp.objects.create(
        app_id=app_id,
        name=name,
        vendor=(vendor or "").strip()[:80],
        enterprise=enterprise,
        mode=mode,
        secret=secret,
        user=user,
        created_by=actor,
    )
    event_record(
        actor=actor,
        kind=DockingEventKind.APP_AUTHORIZED,
        subject=app,
        data={"projects": sorted(p.pk for p in projects), "mode": mode},
    )
    return app, secret


def _manageable(actor: Any, app: DockingApp) -> None:
    if not may_authorize(actor, app.enterprise):
        raise _forbidden()
    if app.revoked_at is not None:
        raise DomainError(DockingErrorCode.ALREADY_REVOKED, "该应用已撤销", status=409)


@transaction.atomic
def docking_app_scope_set(*, actor: Any, app: DockingApp, project_ids: list[int]) -> DockingApp:
    _manageable(actor, app)
    if app.mode == DockingApp.Mode.SANDBOX:
        # A sandbox app writes test data: it stays on its own test project, never on a live one.
        raise DomainError(
            DockingErrorCode.SANDBOX_SCOPE,
            "沙箱应用只能对接其测试项目；对接正式项目请授权正式环境的应用",
            {"fields": {"projects": "沙箱应用不能调整授权项目"}},
            status=409,
        )
    projects = _scope_checked(actor, app.enterprise, project_ids)
    before = sorted(app.user.projects.values_list("pk", flat=True))
    app.user.projects.set(projects)
    event_record(
        actor=actor,
        kind=DockingEventKind.APP_SCOPE_CHANGED,
        subject=app,
        data={"before": before, "after": sorted(p.pk for p in projects)},
    )
    return app


@transaction.atomic
def docking_app_rotate(*, actor: Any, app: DockingApp) -> str:
    """A new secret (shown once); the old one stops working at once."""
    _manageable(actor, app)
    secret = protocol.new_secret()
    app.secret = secret
    app.rotated_at = timezone.now()
    app.save(update_fields=["secret", "rotated_at"])
    event_record(actor=actor, kind=DockingEventKind.APP_SECRET_ROTATED, subject=app)
    return secret


@transaction.atomic
def docking_app_revoke(*, actor: Any, app: DockingApp, reason: str) -> DockingApp:
    _manageable(actor, app)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(
            DockingErrorCode.REASON_REQUIRED,
            "请填写撤销原因",
            {"fields": {"reason": "请填写撤销原因"}},
        )
    app.revoked_at = timezone.now()
    app.revoke_reason = reason[:200]
    app.save(update_fields=["revoked_at", "revoke_reason"])
    app.user.is_active = False
    app.user.save(update_fields=["is_active"])
    event_record(
        actor=actor, kind=DockingEventKind.APP_REVOKED, subject=app, data={"reason": reason[:200]}
    )
    return app
