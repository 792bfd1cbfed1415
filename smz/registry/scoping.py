"""The one scoping layer (P3), owned by the registry whose records it narrows; apps above add their own
`*_for(user)` in their selectors on top of these (labor: payrolls, payroll lines, contracts). Every selector, page and API narrows its querysets through these functions.

- City-wide authorities (market section, quality center) and superusers: everything.
- Other authorities (safety center, town housing departments): projects in their jurisdictions.
- Enterprise users: projects their enterprise participates in (project-bound roles: only assigned ones);
  people: their own enterprise's, or everyone on a project where their enterprise is the GC (施工总承包).
- Builders (建设单位项目负责人): the projects their enterprise builds (Project.builder or a 建设单位 participant),
  read-only; no person, team or roster row.
- Workers: themselves only.
- Anyone else (anonymous, no role): nothing.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from smz.core.roles import AUTHORITY_ROLES, ENTERPRISE_ROLES, PROJECT_BOUND_ROLES, Role
from smz.core.timeutil import business_date
from smz.registry.models import (
    Employment,
    Enterprise,
    KeyPost,
    Participant,
    Project,
    Team,
    Worker,
)


def _is_city_wide(user: Any) -> bool:
    if user.is_superuser:
        return True
    authority = getattr(user, "authority", None)
    return user.role in AUTHORITY_ROLES and authority is not None and authority.city_wide


def sees_all_attendance(user: Any) -> bool:
    """Every attendance row is visible to the user (attendance_scope filters nothing): city-wide users."""
    return user.is_authenticated and _is_city_wide(user)


def sees_every_employment(user: Any) -> bool:
    """employments_for(user) is every employment (city-wide staff): figures over it may be read from the
    city's summaries (smz.registry.roster) instead."""
    return (
        user.is_authenticated
        and user.role not in {Role.WORKER, Role.BUILDER}
        and _is_city_wide(user)
    )


def is_authority(user: Any) -> bool:
    return user.is_authenticated and (user.is_superuser or user.role in AUTHORITY_ROLES)


def is_enterprise_user(user: Any) -> bool:
    return (
        user.is_authenticated and user.role in ENTERPRISE_ROLES and user.enterprise_id is not None
    )


def is_builder(user: Any) -> bool:
    return user.is_authenticated and user.role == Role.BUILDER and user.enterprise_id is not None


def built_projects(enterprise_id: int) -> QuerySet[Project]:
    """Projects an enterprise answers for as the builder (建设单位, corpType 008)."""
    return Project.objects.filter(
        Q(builder=enterprise_id)
        | Exists(
            Participant.objects.filter(
                project=OuterRef("pk"), enterprise=enterprise_id, corp_type=Participant.BUILDER
            )
        )
    )


def projects_for(user: Any) -> QuerySet[Project]:
    """Projects the user may see."""
    qs = Project.objects.all()
    if not user.is_authenticated:
        return qs.none()
    if _is_city_wide(user):
        return qs
    if user.role in AUTHORITY_ROLES and user.authority_id:
        # A merged town's projects are also its successor's from the day after the merge (东升 → 小榄).
        merged = Q(
            jurisdiction__valid_to__lt=business_date(timezone.now()),
            jurisdiction__successor__authorities=user.authority_id,
        )
        return qs.filter(Q(jurisdiction__authorities=user.authority_id) | merged).distinct()
    if is_enterprise_user(user):
        qs = qs.filter(
            Exists(
                Participant.objects.filter(project=OuterRef("pk"), enterprise=user.enterprise_id)
            )
        )
        if user.role in PROJECT_BOUND_ROLES:
            qs = qs.filter(assigned_users=user)
        return qs
    if is_builder(user):
        return qs.filter(pk__in=built_projects(user.enterprise_id).values("pk"))
    if user.role == Role.WORKER and user.worker_id:
        return qs.filter(employments__worker=user.worker_id).distinct()
    return qs.none()


def gc_project_ids(user: Any) -> QuerySet:
    """Projects (visible to the user) on which the user's enterprise is the general contractor."""
    return (
        projects_for(user)
        .filter(
            Exists(
                Participant.objects.filter(
                    project=OuterRef("pk"), enterprise=user.enterprise_id, corp_type=Participant.GC
                )
            )
        )
        .values("pk")
    )


def employments_for(user: Any) -> QuerySet[Employment]:
    """Project people the user may see."""
    qs = Employment.objects.all()
    if not user.is_authenticated:
        return qs.none()
    if user.role == Role.WORKER:
        return qs.filter(worker=user.worker_id) if user.worker_id else qs.none()
    if user.role == Role.BUILDER:
        return qs.none()
    if _is_city_wide(user):
        # Every project is visible: no project list to test each employment against (a list of every
        # project made PostgreSQL start anomaly queries from every employment: scale-baseline.md, cause 4).
        return qs
    qs = qs.filter(project__in=projects_for(user).values("pk"))
    if is_enterprise_user(user):
        qs = qs.filter(Q(employer=user.enterprise_id) | Q(project__in=gc_project_ids(user)))
    return qs


def workers_for(user: Any) -> QuerySet[Worker]:
    """People the user may see: those with a visible employment (or himself, for a worker)."""
    qs = Worker.objects.all()
    if not user.is_authenticated:
        return qs.none()
    if _is_city_wide(user):
        return qs
    if user.role == Role.WORKER:
        return qs.filter(pk=user.worker_id) if user.worker_id else qs.none()
    return qs.filter(Exists(employments_for(user).filter(worker=OuterRef("pk"))))


def teams_for(user: Any) -> QuerySet[Team]:
    if user.is_authenticated and user.role == Role.BUILDER:
        return Team.objects.none()
    qs = Team.objects.filter(project__in=projects_for(user).values("pk"))
    if is_enterprise_user(user):
        qs = qs.filter(Q(enterprise=user.enterprise_id) | Q(project__in=gc_project_ids(user)))
    elif user.is_authenticated and user.role == Role.WORKER:
        qs = qs.filter(members__worker=user.worker_id).distinct()
    return qs


def key_posts_for(user: Any) -> QuerySet[KeyPost]:
    """Key posts are public to everyone who can see the project (the post is what is supervised)."""
    if user.is_authenticated and user.role == Role.WORKER:
        return KeyPost.objects.filter(holder=user.worker_id)
    return KeyPost.objects.filter(project__in=projects_for(user).values("pk"))


def enterprises_for(user: Any) -> QuerySet[Enterprise]:
    """Enterprises: the public register is readable by any staff account (names and USCC are public data)."""
    if not (is_authority(user) or is_enterprise_user(user)):
        return Enterprise.objects.none()
    return Enterprise.objects.all()


def can_maintain_roster(user: Any, project: Project, employer_id: int | None = None) -> bool:
    """Who may write teams, workers and employment on a project (R3): the enterprise's own roster staff
    for its own people; the GC's for anyone on its project; the city administrator for anything."""
    if not user.is_authenticated:
        return False
    if user.is_superuser or user.role == Role.CITY_ADMIN:
        return True
    if user.role not in {Role.ENTERPRISE_ADMIN, Role.LABOR_SPECIALIST}:
        return False
    if not projects_for(user).filter(pk=project.pk).exists():
        return False
    if employer_id is None or employer_id == user.enterprise_id:
        return True
    return Participant.objects.filter(
        project=project, enterprise=user.enterprise_id, corp_type=Participant.GC
    ).exists()


def can_manage_site(user: Any, project: Project) -> bool:
    """Site equipment (devices, site boundary) is the GC's: the general contractor answers for the site's
    real-name data (notice 三(二)); subcontractors see devices but do not manage them."""
    if not user.is_authenticated:
        return False
    if user.is_superuser or user.role == Role.CITY_ADMIN:
        return True
    if user.role not in {Role.ENTERPRISE_ADMIN, Role.LABOR_SPECIALIST}:
        return False
    return (
        projects_for(user).filter(pk=project.pk).exists()
        and Participant.objects.filter(
            project=project, enterprise=user.enterprise_id, corp_type=Participant.GC
        ).exists()
    )


def attendance_scope(user: Any, qs: QuerySet) -> QuerySet:
    """Passes and attendance rows (anything with project and worker) follow the people: a row is visible
    when the person's employment on that project is (A1–A5).

    A city-wide user sees every employment, and every row has one: the one ingest path stores a pass only for
    a person on the project's roster that day (ingest's roster check), attendance rows come from passes, and
    employments are never deleted (a project's deletion cascades to its rows). So the test is left out for
    him: it made PostgreSQL start each anomaly list from every employment of the city (scale-baseline.md,
    cause 4). An authority sees every employment of its projects (employments_for), so for it the project
    decides, for the same reason. For everyone else the row's project must be visible too, which the
    employment test implies; said outright, it lets the database start from the user's projects."""
    if not user.is_authenticated:
        return qs.none()
    if sees_all_attendance(user):
        return qs
    if is_authority(user):
        return qs.filter(project__in=projects_for(user).values("pk"))
    return qs.filter(
        Exists(employments_for(user).filter(project=OuterRef("project"), worker=OuterRef("worker")))
    ).filter(project__in=projects_for(user).values("pk"))


def is_gc_of(user: Any, project: Project) -> bool:
    """The user's enterprise is the project's general contractor (总包: reviews payrolls, pays them)."""
    return (
        is_enterprise_user(user)
        and user.role in {Role.ENTERPRISE_ADMIN, Role.LABOR_SPECIALIST, Role.PROJECT_MANAGER}
        and projects_for(user).filter(pk=project.pk).exists()
        and Participant.objects.filter(
            project=project, enterprise=user.enterprise_id, corp_type=Participant.GC
        ).exists()
    )
