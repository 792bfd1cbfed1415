"""Writing the planned city (created only where missing, keyed by natural keys), the demo logins, and reading
them back for `demo_logins`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import models, transaction
from django.utils import timezone

from smz.accounts.models import AUTHORITY_ROLES, ENTERPRISE_ROLES, Role, User
from smz.core.timeutil import CITY_TZ
from smz.registry.codes import code_table
from smz.registry.demo.city import (
    DEFAULT_WORKERS,
    DEMO_PASSWORD,
    FIRMS,
    SHOWCASE,
    SITES,
    SURNAMES,
    TOWN_APPROVER_AUTHORITY,
    ZHONGSHAN_PLACES,
)
from smz.registry.demo.plan import CityPlan, plan_demo_city
from smz.registry.identity import phone_index
from smz.registry.models import (
    Authority,
    Employment,
    Enterprise,
    Jurisdiction,
    KeyPost,
    KeyPostHolding,
    Participant,
    PlannedStartDeclaration,
    Project,
    Qualification,
    Team,
    Worker,
)
from smz.registry.reference import MARKET_AUTHORITY, QUALITY_AUTHORITY, SAFETY_AUTHORITY
from smz.registry.scoping import built_projects
from smz.registry.synthetic import synthetic_uscc

# --- Logins ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Login:
    username: str
    role: str
    display_name: str
    authority: str = ""  # Authority.name
    firm: str = ""  # Firm.key
    assigned: tuple[int, ...] = ()  # User.projects (site serials)


LOGINS: tuple[Login, ...] = (
    Login("admin", Role.CITY_ADMIN, "市场科管理员", authority=MARKET_AUTHORITY),
    Login("supervisor", Role.CITY_SUPERVISOR, "市局监督员", authority=MARKET_AUTHORITY),
    Login("safety1", Role.APPROVER_L1, "安全中心一级审批", authority=SAFETY_AUTHORITY),
    Login("safety2", Role.APPROVER_L2, "安全中心二级审批", authority=SAFETY_AUTHORITY),
    Login("xiaolan1", Role.APPROVER_L1, "小榄住建一级审批", authority=TOWN_APPROVER_AUTHORITY),
    Login("xiaolan2", Role.APPROVER_L2, "小榄住建二级审批", authority=TOWN_APPROVER_AUTHORITY),
    Login("quality", Role.QUALITY_CLERK, "质量中心经办人", authority=QUALITY_AUTHORITY),
    Login("window", Role.WINDOW_CLERK, "窗口采集员", authority=MARKET_AUTHORITY),
    Login("gc_admin", Role.ENTERPRISE_ADMIN, "示例建设企业管理员", firm="gc"),
    Login("gc_labor", Role.LABOR_SPECIALIST, "示例建设劳资专管员", firm="gc", assigned=(1, 4)),
    Login("sub_labor", Role.LABOR_SPECIALIST, "演示劳务劳资专管员", firm="laowu", assigned=(1,)),
    Login("pm", Role.PROJECT_MANAGER, "", firm="gc", assigned=(1,)),
    Login("jianli", Role.SUPERVISION_MANAGER, "", firm="jianli", assigned=(1,)),
    Login("builder", Role.BUILDER, "示例置业项目负责人", firm="zhiye"),
    Login("worker", Role.WORKER, ""),
)
SUPERUSER = "root"


# --- Writing -----------------------------------------------------------------------------------


def database_has_data() -> bool:
    """True when there are projects, enterprises or people already (`seed_demo --if-empty` then skips)."""
    return (
        Project.objects.exists()
        or Enterprise.objects.exists()
        or Worker.objects.exists()
        or User.objects.filter(username__in=[lg.username for lg in LOGINS]).exists()
    )


def demo_city_started() -> bool:
    """True when the demo city's projects are in the database (a real city's data has none of them)."""
    return Project.objects.filter(code__in=[site.code for site in SITES]).exists()


def _create_missing[M: models.Model](
    model: type[M], objs: Iterable[M], key: Callable[[M], Any], existing: set[Any]
) -> int:
    fresh, seen = [], set(existing)
    for obj in objs:
        k = key(obj)
        if k not in seen:
            seen.add(k)
            fresh.append(obj)
    model.objects.bulk_create(fresh, batch_size=500)
    return len(fresh)


def _chunks(items: list[Any], size: int = 500) -> Iterable[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def build_demo_city(*, workers: int = DEFAULT_WORKERS, today: dt.date | None = None) -> dict:
    """Write the demo city; only missing rows are created. Returns the row counts afterwards."""
    today = today or timezone.localdate()
    plan = plan_demo_city(workers=workers, today=today, banks=code_table("bank"))
    with transaction.atomic():
        firms = _write_firms()
        projects = _write_projects(plan, firms)
        people = _write_people(plan)
        teams = _write_teams(plan, firms, projects, people)
        _write_employments(plan, firms, projects, people, teams)
        _write_key_posts(plan, firms, projects, people)
        _write_logins(plan, firms, projects, people)
    return demo_counts()


def _write_firms() -> dict[str, Enterprise]:
    codes = {f.key: synthetic_uscc(seq=26_000 + n, region=f.region) for n, f in enumerate(FIRMS, 1)}
    existing = set(Enterprise.objects.filter(corp_code__in=codes.values()).values_list("corp_code"))
    _create_missing(
        Enterprise,
        (
            Enterprise(
                corp_code=codes[f.key],
                name=f.name,
                reg_type=f.reg_type,
                area_code=f.region,
                legal_rep=f"{SURNAMES[n % len(SURNAMES)]}示例",
                address=f"中山市{ZHONGSHAN_PLACES[n % len(ZHONGSHAN_PLACES)]}演示大道{n * 11}号",
                contact_phone=f"0760-88{n:02d}{n * 37 % 10000:04d}",
            )
            for n, f in enumerate(FIRMS, 1)
        ),
        lambda e: (e.corp_code,),
        existing,
    )
    by_code = {e.corp_code: e for e in Enterprise.objects.filter(corp_code__in=codes.values())}
    firms = {key: by_code[code] for key, code in codes.items()}
    quals = []
    for n, f in enumerate(FIRMS, 1):
        for m, (name, grade) in enumerate(f.quals):
            prefix = {"builder": "粤房开", "supervision": "E244"}.get(f.role, "D244")
            quals.append(
                Qualification(
                    enterprise=firms[f.key],
                    name=name,
                    grade=grade,
                    cert_no=f"{prefix}{n:03d}{m + 1:03d}",
                    valid_to=dt.date(2027 + (n + m) % 3, (n * 5 + m) % 12 + 1, 28),
                )
            )
    existing = set(
        Qualification.objects.filter(enterprise__in=firms.values()).values_list(
            "enterprise_id", "cert_no"
        )
    )
    _create_missing(Qualification, quals, lambda q: (q.enterprise_id, q.cert_no), existing)
    return firms


def _write_projects(plan: CityPlan, firms: dict[str, Enterprise]) -> dict[int, Project]:
    places = {j.short_name: j for j in Jurisdiction.objects.all()}
    existing = {p.code: p for p in Project.objects.filter(code__in=[s.code for s in SITES])}
    for sp in plan.sites.values():
        if sp.code in existing:
            continue
        town = places[sp.site.town]
        # save(), not bulk_create: Project.save derives in_scope from the thresholds.
        existing[sp.code] = Project.objects.create(
            code=sp.code,
            name=sp.site.name,
            permit_no=sp.permit_no,
            kind=sp.site.kind,
            floor_area_m2=sp.area,
            cost_fen=sp.cost_fen,
            jurisdiction=town,
            address=f"中山市{town.name}示例路{sp.site.serial * 7 + 1}号",
            builder=firms[sp.site.builder],
            permit_issued_on=sp.permit,
            planned_start=sp.planned,
            actual_start=sp.actual,
            completed_on=sp.completed,
            status=sp.site.status,
            opt_in=sp.site.opt_in,
        )
    projects = {sp.site.serial: existing[sp.code] for sp in plan.sites.values()}
    current = set(
        Participant.objects.filter(project__in=projects.values()).values_list(
            "project_id", "enterprise_id", "corp_type"
        )
    )
    _create_missing(
        Participant,
        (
            Participant(
                project=projects[serial],
                enterprise=firms[pp.firm],
                corp_type=pp.corp_type,
                entry_on=pp.entry,
                exit_on=pp.exit,
                pm_name=pp.pm_name,
                pm_phone=pp.pm_phone,
            )
            for serial, sp in plan.sites.items()
            for pp in sp.participants
        ),
        lambda p: (p.project_id, p.enterprise_id, p.corp_type),
        current,
    )
    return projects


def _write_people(plan: CityPlan) -> dict[int, int]:
    """Workers by ID-number index; returns person idx → Worker pk."""
    index = {p.idx: p.index for p in plan.people}
    pks: dict[str, int] = {}
    for chunk in _chunks(list(index.values())):
        pks.update(
            Worker.objects.filter(id_card_type=Worker.ID_CARD, id_number_index__in=chunk)
            .values_list("id_number_index", "pk")
            .iterator()
        )
    fresh = [
        # bulk_create still calls get_prep_value (the personal numbers are encrypted on the way in) but
        # not Worker.save(): the phone's blind index is set here.
        Worker(
            id_card_type=Worker.ID_CARD,
            id_number=p.id_number,
            id_number_index=index[p.idx],
            name=p.name,
            gender=p.gender,
            nation=p.nation,
            birth_date=p.birth_date,
            address=p.address,
            grant_org=p.grant_org,
            id_valid_from=p.id_valid_from,
            id_valid_to=p.id_valid_to,
            phone=p.phone,
            phone_index=phone_index(p.phone),
            culture_level=p.culture_level,
            politics_type=p.politics_type,
            bank_card=p.bank_card,
            bank_code=p.bank_code,
            bank_name=p.bank_name,
        )
        for p in plan.people
        if index[p.idx] not in pks
    ]
    Worker.objects.bulk_create(fresh, batch_size=500)
    missing = [w.id_number_index for w in fresh if w.pk is None]
    for chunk in _chunks(missing):  # backends that do not return ids from bulk inserts
        pks.update(
            Worker.objects.filter(id_card_type=Worker.ID_CARD, id_number_index__in=chunk)
            .values_list("id_number_index", "pk")
            .iterator()
        )
    pks.update({w.id_number_index: w.pk for w in fresh if w.pk is not None})
    return {idx: pks[ix] for idx, ix in index.items()}


def _write_teams(
    plan: CityPlan,
    firms: dict[str, Enterprise],
    projects: dict[int, Project],
    people: dict[int, int],
) -> dict[tuple[int, str, str], int]:
    existing = set(
        Team.objects.filter(project__in=projects.values()).values_list(
            "project_id", "enterprise_id", "name"
        )
    )
    by_idx = {p.idx: p for p in plan.people}
    objs = []
    for (serial, firm, name), tp in plan.teams.items():
        chief = by_idx[tp.leader] if tp.leader is not None else None
        exits = [m.exit for m in tp.members]
        objs.append(
            Team(
                project=projects[serial],
                enterprise=firms[firm],
                name=name,
                leader_id=people[chief.idx] if chief else None,
                responsible_name=chief.name if chief else "",
                responsible_phone=chief.phone if chief else "",
                entry_on=min(m.entry for m in tp.members),
                exit_on=None if None in exits else max(e for e in exits if e),
            )
        )
    _create_missing(Team, objs, lambda t: (t.project_id, t.enterprise_id, t.name), existing)
    serial_of = {p.pk: serial for serial, p in projects.items()}
    firm_of = {e.pk: key for key, e in firms.items()}
    return {
        (serial_of[project_id], firm_of[enterprise_id], name): pk
        for pk, project_id, enterprise_id, name in Team.objects.filter(
            project__in=projects.values(), enterprise__in=firms.values()
        ).values_list("pk", "project_id", "enterprise_id", "name")
    }


def _write_employments(
    plan: CityPlan,
    firms: dict[str, Enterprise],
    projects: dict[int, Project],
    people: dict[int, int],
    teams: dict[tuple[int, str, str], int],
) -> None:
    existing = set(
        Employment.objects.filter(project__in=projects.values()).values_list(
            "project_id", "worker_id"
        )
    )
    _create_missing(
        Employment,
        (
            Employment(
                project=projects[s.site],
                worker_id=people[s.person],
                employer=firms[s.employer],
                team_id=teams[(s.site, s.employer, s.team)] if s.team else None,
                work_type=s.work_type,
                work_role=s.role,
                is_team_leader=s.leader,
                entry_on=s.entry,
                exit_on=s.exit,
                status=Employment.Status.EXITED if s.exit else Employment.Status.ACTIVE,
            )
            for s in plan.stints
        ),
        lambda e: (e.project_id, e.worker_id),
        existing,
    )


def _write_key_posts(
    plan: CityPlan,
    firms: dict[str, Enterprise],
    projects: dict[int, Project],
    people: dict[int, int],
) -> None:
    existing = set(
        KeyPost.objects.filter(project__in=projects.values()).values_list(
            "project_id", "enterprise_id", "post"
        )
    )
    _create_missing(
        KeyPost,
        (
            KeyPost(
                project=projects[pp.site],
                enterprise=firms[pp.firm],
                post=pp.post,
                holder_id=people[pp.holder] if pp.holder is not None else None,
                holder_since=pp.since,
            )
            for pp in plan.posts
        ),
        lambda k: (k.project_id, k.enterprise_id, k.post),
        existing,
    )
    post_pk = {
        (project_id, enterprise_id, post): pk
        for pk, project_id, enterprise_id, post in KeyPost.objects.filter(
            project__in=projects.values()
        ).values_list("pk", "project_id", "enterprise_id", "post")
    }
    held = set(
        KeyPostHolding.objects.filter(key_post_id__in=post_pk.values()).values_list(
            "key_post_id", "worker_id"
        )
    )
    _create_missing(
        KeyPostHolding,
        (
            KeyPostHolding(
                key_post_id=post_pk[(projects[h.site].pk, firms[h.firm].pk, h.post)],
                worker_id=people[h.person],
                start_on=h.start,
                end_on=h.end,
                basis=h.basis,
            )
            for h in plan.holdings
        ),
        lambda h: (h.key_post_id, h.worker_id),
        held,
    )


def _write_logins(
    plan: CityPlan,
    firms: dict[str, Enterprise],
    projects: dict[int, Project],
    people: dict[int, int],
) -> None:
    authorities = {a.name: a for a in Authority.objects.all()}
    by_idx = {p.idx: p for p in plan.people}
    holder = {(pp.site, pp.post): pp.holder for pp in plan.posts if pp.holder is not None}
    names = {
        "pm": by_idx[holder[(SHOWCASE, "P01")]].name,
        "jianli": by_idx[holder[(SHOWCASE, "S01")]].name,
        "worker": by_idx[plan.worker_login].name,
    }
    existing = set(User.objects.values_list("username", flat=True))
    # One argon2 hash for all demo logins (each costs ~0.5 s on a small machine); the password is public.
    hashed = make_password(DEMO_PASSWORD)
    for login in LOGINS:
        if login.username in existing:
            continue
        user = User(
            username=login.username,
            role=login.role,
            display_name=login.display_name or names[login.username],
            authority=authorities[login.authority] if login.authority else None,
            enterprise=firms[login.firm] if login.firm else None,
            worker_id=people[plan.worker_login] if login.role == Role.WORKER else None,
        )
        user.password = hashed
        user.save()
        if login.assigned:
            user.projects.add(*(projects[s] for s in login.assigned))
    _declare_showcase_start(projects[SHOWCASE])
    if SUPERUSER not in existing:
        User.objects.create(
            username=SUPERUSER,
            password=hashed,
            role="",
            display_name="系统超级管理员",
            is_staff=True,
            is_superuser=True,
        )


def _declare_showcase_start(project: Project) -> None:
    """The builder of the showcase site has confirmed its planned start (shown on the project page and WF1)."""
    builder = User.objects.filter(username="builder", role=Role.BUILDER).first()
    if builder is None or project.planned_start is None:
        return
    if not PlannedStartDeclaration.objects.filter(project=project).exists():
        PlannedStartDeclaration.objects.create(
            project=project,
            enterprise_id=builder.enterprise_id,
            declared_by=builder,
            declared_at=dt.datetime.combine(
                project.planned_start - dt.timedelta(days=12), dt.time(9, 30), tzinfo=CITY_TZ
            ),
            planned_start=project.planned_start,
            note="按施工许可及场地移交情况确认",
        )


def demo_counts() -> dict[str, int]:
    """Rows per table (verbose name → count), for the command's report and the tests."""
    tables: list[type[models.Model]] = [
        Enterprise,
        Qualification,
        Project,
        Participant,
        Team,
        Worker,
        Employment,
        KeyPost,
        KeyPostHolding,
        User,
    ]
    return {str(m._meta.verbose_name): m.objects.count() for m in tables}


# --- Reading the logins back (demo_logins) -----------------------------------------------------


def login_rows() -> list[tuple[str, str, str, str]]:
    """(role label, username, password, whom it belongs to) for each demo login present."""
    wanted = [lg.username for lg in LOGINS] + [SUPERUSER]
    users = {
        u.username: u
        for u in User.objects.filter(username__in=wanted)
        .select_related("authority", "enterprise", "worker")
        .prefetch_related("projects", "authority__jurisdictions")
    }
    rows = []
    for username in wanted:
        user = users.get(username)
        if user is None:
            continue
        rows.append((user.role_label, username, DEMO_PASSWORD, _belongs(user)))
    return rows


def _belongs(user: User) -> str:
    if user.is_superuser and not user.role:
        return f"{user.display_name}（后台 /admin/）"
    if user.role in AUTHORITY_ROLES and user.authority:
        authority = user.authority
        if authority.city_wide:
            return f"{authority.name}（全市）"
        places = "、".join(j.short_name for j in authority.jurisdictions.all())
        return f"{authority.name}（{places}）"
    if user.role in ENTERPRISE_ROLES and user.enterprise:
        assigned = "、".join(p.name for p in user.projects.all())
        who = (
            f"{user.display_name}，"
            if user.role in {Role.PROJECT_MANAGER, Role.SUPERVISION_MANAGER}
            else ""
        )
        return f"{who}{user.enterprise.name}" + (
            f"；项目：{assigned}" if assigned else "（全部项目）"
        )
    if user.role == Role.BUILDER and user.enterprise:
        built = "、".join(p.name for p in built_projects(user.enterprise_id).order_by("code")[:3])
        return f"{user.display_name}，{user.enterprise.name}（建设单位；项目：{built}等）"
    if user.role == Role.WORKER and user.worker:
        on = Employment.objects.filter(worker=user.worker, status=Employment.Status.ACTIVE)
        sites = "、".join(e.project.name for e in on.select_related("project"))
        return f"{user.worker.name}（在场：{sites or '无'}）"
    return user.display_name
