"""Registry reads. Every function takes the user and narrows through smz.registry.scoping first, but for the two
unscoped lookups by identity number that the writes use to find a person (registration, login, inbound notices)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from smz.core.errors import DomainError, NotFound
from smz.core.models import Event
from smz.core.timeutil import business_date
from smz.registry import scoping
from smz.registry.errors import RegistryErrorCode
from smz.registry.events import RegistryEventKind
from smz.registry.identity import WORKER_CHANGE_KINDS, id_number_index, phone_index
from smz.registry.models import (
    Authority,
    Employment,
    Enterprise,
    Jurisdiction,
    KeyPost,
    Project,
    Team,
    Worker,
)
from smz.registry.roster import CITY, roster_people


def worker_find_by_id_number(*, id_card_type: str, id_number: str) -> Worker | None:
    """Exact lookup by full document number through the blind index (no decryption of the table)."""
    return Worker.objects.filter(
        id_card_type=id_card_type, id_number_index=id_number_index(id_card_type, id_number)
    ).first()


def workers_find_by_phone(*, phone: str) -> QuerySet[Worker]:
    """People registered with this mobile number, through its blind index (family members may share one)."""
    index = phone_index(phone)
    if not index:
        return Worker.objects.none()
    return Worker.objects.filter(phone_index=index).order_by("pk")


def project_list_for(
    user: Any,
    *,
    q: str = "",
    jurisdiction: str = "",
    status: str = "",
    kind: str = "",
    in_scope: bool | None = None,
) -> QuerySet[Project]:
    qs = scoping.projects_for(user).select_related("jurisdiction", "builder")
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__icontains=q) | Q(permit_no__icontains=q))
    if jurisdiction:
        qs = qs.filter(jurisdiction__code=jurisdiction)
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    if in_scope is not None:
        qs = qs.filter(in_scope=in_scope)
    return qs.annotate(active_count=_active_count("project")).order_by("code")


def _active_count(field: str) -> Coalesce:
    """The row's active employments (by `field`, the employment's link to it) as a correlated subquery: worked
    out for the rows of the page only (after ORDER BY … LIMIT), and left out of the paginator's count, where a
    grouped join counted every employment of the city first (scale-baseline.md, cause 1)."""
    active = (
        Employment.objects.filter(**{field: OuterRef("pk")}, status=Employment.Status.ACTIVE)
        .order_by()
        .values(field)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(active), 0)


def project_get_for(user: Any, pk: int) -> Project:
    project = (
        scoping.projects_for(user).select_related("jurisdiction", "builder").filter(pk=pk).first()
    )
    if project is None:
        raise NotFound("项目")
    return project


def worker_get_for(user: Any, pk: int) -> Worker:
    worker = scoping.workers_for(user).filter(pk=pk).first()
    if worker is None:
        raise NotFound("人员")
    return worker


def worker_list_for(
    user: Any, *, q: str = "", id_number_index: str | None = None
) -> QuerySet[Worker]:
    """The people the user sees, by name; `id_number_index` (a keyed hash) finds one by his full number."""
    qs = scoping.workers_for(user)
    if q:
        qs = qs.filter(name__icontains=q)
    if id_number_index is not None:
        qs = qs.filter(id_number_index=id_number_index)
    return qs.order_by("name", "pk")


def team_get_for(user: Any, pk: int) -> Team:
    team = scoping.teams_for(user).select_related("project", "enterprise").filter(pk=pk).first()
    if team is None:
        raise NotFound("班组")
    return team


def team_list_for(user: Any, *, project: int | None = None) -> QuerySet[Team]:
    qs = scoping.teams_for(user).select_related("enterprise", "leader")
    if project:
        qs = qs.filter(project=project)
    return qs.annotate(active_count=_active_count("team")).order_by("project", "name")


def employment_get_for(user: Any, pk: int) -> Employment:
    employment = (
        scoping.employments_for(user)
        .select_related("project", "worker", "employer", "team")
        .filter(pk=pk)
        .first()
    )
    if employment is None:
        raise NotFound("项目人员")
    return employment


# The people lists' order; its first key, the project, splits a city's people into a thousand small runs, so a deep
# page is found by counting each project's people and sorting only the page's project(s) (smz.core.paging.Buckets).
EMPLOYMENT_ORDER = ("project__code", "team__name", "worker__name", "pk")
EMPLOYMENT_BUCKET = EMPLOYMENT_ORDER[0]


def employment_list_for(
    user: Any,
    *,
    project: int | None = None,
    team: int | None = None,
    employer: int | None = None,
    status: str = "",
    work_role: str = "",
    q: str = "",
    id_number_index: str = "",
    worker: Worker | None = None,
) -> QuerySet[Employment]:
    qs = scoping.employments_for(user).select_related("project", "worker", "employer", "team")
    if worker is not None:
        qs = qs.filter(worker=worker)
    if project:
        qs = qs.filter(project=project)
    if team:
        qs = qs.filter(team=team)
    if employer:
        qs = qs.filter(employer=employer)
    if status:
        qs = qs.filter(status=status)
    if work_role:
        qs = qs.filter(work_role=work_role)
    if q:
        qs = qs.filter(worker__name__icontains=q)
    if id_number_index:
        qs = qs.filter(worker__id_number_index=id_number_index)
    return qs.order_by(*EMPLOYMENT_ORDER)


def key_post_list_for(user: Any, *, project: int | None = None) -> QuerySet[KeyPost]:
    qs = scoping.key_posts_for(user).select_related("enterprise", "holder", "project")
    if project:
        qs = qs.filter(project=project)
    return qs.order_by("project", "post")


def participant_list(project: Project) -> QuerySet:
    """Participants of a project the caller has already been allowed to see."""
    return project.participants.select_related("enterprise").order_by(
        "corp_type", "enterprise__name"
    )


def enterprise_by_corp_code(corp_code: str) -> Enterprise | None:
    """The enterprise with this 统一社会信用代码 (as typed: trimmed, upper-cased), or None."""
    return Enterprise.objects.filter(corp_code=corp_code.strip().upper()).first()


def jurisdictions() -> QuerySet[Jurisdiction]:
    """The city's towns and districts (镇区), by code: public reference data."""
    return Jurisdiction.objects.order_by("code")


def enterprise_list_for(user: Any, *, q: str = "") -> QuerySet[Enterprise]:
    qs = scoping.enterprises_for(user)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(corp_code__icontains=q))
    return qs.order_by("name")


def home_counts_for(user: Any) -> dict[str, int]:
    """What a home page shows, in the user's scope."""
    projects = scoping.projects_for(user)
    return {
        "projects_in_scope": projects.filter(in_scope=True).count(),
        "projects_active": projects.filter(status=Project.Status.ACTIVE).count(),
        "active_workers": active_people_for(user),
        "key_posts_vacant": scoping.key_posts_for(user).filter(holder__isnull=True).count(),
    }


def active_people_for(user: Any) -> int:
    """People with an active employment the user sees: the city's from its summary (roster_people), for
    the city-wide staff who see every employment; counted from the employments otherwise."""
    if scoping.sees_every_employment(user):
        return roster_people().get(CITY, 0)
    return (
        scoping.employments_for(user)
        .filter(status=Employment.Status.ACTIVE)
        .values("worker")
        .distinct()
        .count()
    )


def home_projects_for(user: Any, *, limit: int = 8) -> list[Project]:
    """The first projects on a home page, each with two head counts that explain each other: everyone on
    site (`active_count`, all participating enterprises) and the people this user may see (`visible_count`,
    what the 在场人员 card adds up: an enterprise sees its own people, or everyone where it is the GC)."""
    projects = list(project_list_for(user)[:limit])
    visible = dict(
        scoping.employments_for(user)
        .filter(project__in=[p.pk for p in projects], status=Employment.Status.ACTIVE)
        .values("project")
        .annotate(n=Count("pk"))
        .values_list("project", "n")
        .order_by()
    )
    for p in projects:
        p.visible_count = visible.get(p.pk, 0)  # type: ignore[attr-defined]  # display-only, read by the template
    return projects


# How a change of a person's data reads on his own page (我的资料变更记录).
_CHANGE_TITLES: dict[str, str] = {
    RegistryEventKind.WORKER_REGISTERED: "登记入库",
    RegistryEventKind.WORKER_UPDATED: "身份信息更新",
    RegistryEventKind.WORKER_CONTACT_CHANGED: "手机号码/工资卡变更",
}
_FIELD_LABELS = {
    "name": "姓名",
    "address": "住址",
    "id_valid_to": "证件有效期",
    "phone": "手机号码",
    "bank_card": "工资卡号",
    "bank_code": "工资卡银行",
    "bank_name": "开户行",
}


def my_data_changes(user: Any) -> list[dict[str, Any]]:
    """The worker's own data changes (我的资料变更记录), newest first."""
    if not getattr(user, "worker_id", None):
        return []
    return worker_change_log(worker=Worker(pk=user.worker_id))


def worker_change_log(*, worker: Worker) -> list[dict[str, Any]]:
    """Changes of a person's data, newest first: what changed, by whom (本人, an enterprise, the city), why.
    The caller has fetched `worker` through the scoping layer (or it is the worker himself)."""
    events = list(
        Event.objects.filter(
            subject_type=Worker._meta.label_lower,
            subject_id=worker.pk,
            kind__in=WORKER_CHANGE_KINDS,
        )
        .select_related("actor__enterprise")
        .order_by("-at", "-pk")[:100]
    )
    rows = []
    for e in events:
        actor = e.actor
        if actor is not None and actor.worker_id == worker.pk:
            who = "本人"
        elif actor is not None and actor.enterprise is not None:  # select_related: no query
            who = actor.enterprise.name
        elif actor is not None:
            who = "平台管理部门"
        else:
            who = "读卡设备"
        fields = [f for f in e.data.get("fields", []) if f in _FIELD_LABELS]
        rows.append(
            {
                "at": e.at,
                "title": _CHANGE_TITLES[e.kind],
                "fields": "、".join(_FIELD_LABELS[f] for f in fields),
                "who": who,
                "reason": e.data.get("reason", ""),
                "evidence_ref": e.data.get("evidence_ref", ""),
            }
        )
    return rows


def approving_authority(project: Project) -> Authority:
    """The authority that answers for a project (approvals, complaints): urban districts → the safety affairs
    center; elsewhere the town's own housing department. A merged town's projects go to the town it was
    merged into from the day after the merge (Jurisdiction.on)."""
    jurisdiction = project.jurisdiction.on(business_date(timezone.now()))
    kind = Authority.Kind.SAFETY if jurisdiction.is_urban else Authority.Kind.TOWN
    authority = Authority.objects.filter(kind=kind, jurisdictions=jurisdiction.pk).first()
    if authority is None:
        raise DomainError(
            RegistryErrorCode.NO_AUTHORITY,
            f"{jurisdiction}未配置审批部门，请联系市建筑市场监管科",
        )
    return authority


def worker_by_id_number_for(user: Any, number: str) -> Worker | None:
    """The person (mainland ID card) with this ID number among those the user may see, or None."""
    return (
        scoping.workers_for(user)
        .filter(id_card_type="01", id_number_index=id_number_index("01", number))
        .first()
    )
