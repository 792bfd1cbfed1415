"""Planning the demo city from seeded random streams, without touching the database: the same size gives the
same city; dates are relative to `today`."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal

from smz.registry.demo.city import (
    ACTIVE,
    BANK_BRANCHES,
    BANK_WEIGHTS,
    BUILDING,
    COMPLETED,
    DEFAULT_WORKERS,
    FIRM_BY_KEY,
    GC_POSTS,
    LABOR,
    MANAGER,
    MANAGER_WORK_TYPE,
    PENDING,
    REGIONS,
    SEED,
    SHOWCASE,
    SITES,
    SUPERVISION_POSTS,
    SURNAMES,
    SUSPENDED,
    TEAM_TEMPLATES,
    ZHONGSHAN_PLACES,
    Site,
    TeamTemplate,
    chinese_number,
    luhn_complete,
)
from smz.registry.identity import id_number_index
from smz.registry.models import (
    Participant,
    Worker,
)
from smz.registry.synthetic import synthetic_id_number


@dataclass
class Person:
    idx: int
    id_number: str
    name: str
    gender: str
    nation: str
    birth_date: dt.date
    address: str
    grant_org: str
    id_valid_from: dt.date
    id_valid_to: dt.date | None
    phone: str
    culture_level: str
    politics_type: str
    bank_card: str
    bank_code: str
    bank_name: str

    @property
    def index(self) -> str:
        return id_number_index(Worker.ID_CARD, self.id_number)


@dataclass
class Stint:
    """One planned Employment row."""

    site: int
    person: int
    employer: str
    team: str | None
    work_type: str
    role: str
    entry: dt.date
    exit: dt.date | None = None
    leader: bool = False


@dataclass
class TeamPlan:
    site: int
    firm: str
    name: str
    members: list[Stint] = field(default_factory=list)
    leader: int | None = None


@dataclass
class PostPlan:
    site: int
    firm: str
    post: str
    holder: int | None
    since: dt.date | None


@dataclass
class HoldingPlan:
    site: int
    firm: str
    post: str
    person: int
    start: dt.date
    end: dt.date | None
    basis: str


@dataclass
class ParticipantPlan:
    firm: str
    corp_type: str
    entry: dt.date | None
    exit: dt.date | None
    pm_name: str
    pm_phone: str


@dataclass
class SitePlan:
    site: Site
    permit: dt.date
    planned: dt.date
    actual: dt.date | None
    completed: dt.date | None
    halted: dt.date | None  # suspended since
    area: Decimal
    cost_fen: int
    participants: list[ParticipantPlan] = field(default_factory=list)

    @property
    def code(self) -> str:
        return self.site.code

    @property
    def permit_no(self) -> str:
        return f"442000{self.permit:%Y%m%d}{self.site.serial:02d}01"


@dataclass
class CityPlan:
    today: dt.date
    sites: dict[int, SitePlan]
    people: list[Person]
    stints: list[Stint]
    teams: dict[tuple[int, str, str], TeamPlan]
    posts: list[PostPlan]
    holdings: list[HoldingPlan]
    worker_login: int  # person idx of the worker who gets the "worker" login


class _People:
    """Draws fictional people with unique, checksum-valid ID numbers."""

    def __init__(self, rng: random.Random, today: dt.date, banks: dict[str, str]) -> None:
        self.rng = rng
        self.today = today
        self.banks = banks
        self.people: list[Person] = []
        self.taken: set[str] = set()

    def new(self, *, manager: bool) -> Person:
        rng, idx = self.rng, len(self.people)
        region, origin, police, _ = rng.choices(REGIONS, weights=[r[3] for r in REGIONS])[0]
        male = rng.random() < (0.8 if manager else 0.88)
        age = rng.randint(27, 56) if manager else rng.randint(20, 58)
        birth = self.today - dt.timedelta(days=age * 365 + rng.randint(0, 364))
        id_number = synthetic_id_number(region=region, birth=birth, seq=idx, male=male)
        while id_number in self.taken:
            birth -= dt.timedelta(days=1)
            id_number = synthetic_id_number(region=region, birth=birth, seq=idx, male=male)
        self.taken.add(id_number)
        surname = rng.choice(SURNAMES)
        name = f"{surname}{'示例' if manager else '演示'}{chinese_number(idx % 99 + 1)}"
        if region == "442000":
            address = f"{origin}{rng.choice(ZHONGSHAN_PLACES)}演示街{rng.randint(1, 199)}号"
        else:
            address = f"{origin}示例镇演示村{rng.randint(1, 30)}组{rng.randint(1, 99)}号"
        # GB/T 2261.1 validity: 10 years under 26, 20 years to 45, long-term from 46.
        years = 10 if age < 26 else 20 if age < 46 else 0
        if years:
            issued = self.today - dt.timedelta(days=rng.randint(60, years * 365 - 60))
            issued = issued.replace(day=min(issued.day, 28))  # no 29 Feb: valid_to keeps the day
            valid_to: dt.date | None = issued.replace(year=issued.year + years)
        else:
            issued = self.today - dt.timedelta(days=rng.randint(60, 15 * 365))
            valid_to = None
        if region.startswith("45"):
            nation = rng.choices(["01", "08", "13"], weights=[75, 22, 3])[0]
        elif region.startswith("43"):
            nation = rng.choices(["01", "15", "06"], weights=[85, 10, 5])[0]
        else:
            nation = rng.choices(["01", "03", "11"], weights=[98, 1, 1])[0]
        bank_code = rng.choices(
            list(self.banks), weights=[BANK_WEIGHTS.get(c, 2) for c in self.banks]
        )[0]
        bank, branch = self.banks[bank_code], rng.choice(BANK_BRANCHES)
        branch_name = (
            f"中山农村商业银行{branch}支行" if bank == "农村商业银行" else f"{bank}中山{branch}支行"
        )
        person = Person(
            idx=idx,
            id_number=id_number,
            name=name,
            gender="1" if male else "2",
            nation=nation,
            birth_date=birth,
            address=address,
            grant_org=police,
            id_valid_from=issued,
            id_valid_to=valid_to,
            phone=rng.choice(("13", "15", "18")) + f"{rng.randrange(10**9):09d}",
            culture_level=rng.choices(["05", "06"], weights=[6, 4])[0]
            if manager
            else rng.choices(["01", "02", "03", "04"], weights=[15, 55, 20, 10])[0],
            politics_type=rng.choices(["01", "13"], weights=[3, 7])[0] if manager else "13",
            bank_card=luhn_complete(f"62{bank_code}{rng.randrange(10**13):013d}"),
            bank_code=bank_code,
            bank_name=branch_name,
        )
        self.people.append(person)
        return person


def _days(rng: random.Random, lo: int, hi: int) -> dt.timedelta:
    return dt.timedelta(days=rng.randint(lo, max(lo, hi)))


def _plan_site(rng: random.Random, site: Site, today: dt.date) -> SitePlan:
    if site.status == PENDING:
        permit = today - _days(rng, 10, 60)
    elif site.status == COMPLETED:
        permit = today - _days(rng, 720, 1100)
    elif site.status == SUSPENDED:
        permit = today - _days(rng, 420, 800)
    else:
        permit = today - _days(rng, 150, 900)
    planned = permit + _days(rng, 7, 85)  # 拟开工 within three months of the permit
    actual = completed = halted = None
    if site.status != PENDING:
        actual = planned + _days(rng, 0, 20)
    if site.status == COMPLETED:
        assert actual is not None
        completed = min(actual + _days(rng, 300, 520), today - dt.timedelta(days=30))
    if site.status == SUSPENDED:
        halted = today - _days(rng, 30, 150)
    if site.kind == BUILDING:
        area = Decimal(site.size) + Decimal(rng.randint(0, 99)) / 100
        if site.size == 5000:  # exactly on the threshold, to show it is inclusive
            area = Decimal(5000)
        cost_fen = int(area * rng.randint(2800, 4200)) * 100
    else:
        area = Decimal(0)
        cost_fen = site.size * 10_000 * 100 + rng.randint(0, 9999) * 100
    return SitePlan(site, permit, planned, actual, completed, halted, area, cost_fen)


def _window(sp: SitePlan, today: dt.date) -> tuple[dt.date, dt.date, dt.date]:
    """(first entry day, last entry day, last exit day) for people on the site."""
    start = sp.actual or sp.permit
    stop = sp.completed or sp.halted or today
    entry_until = start + (stop - start) * 4 // 5
    return start, max(start, entry_until), max(start, sp.completed or today)


def _stint_dates(
    rng: random.Random, sp: SitePlan, today: dt.date, *, exited: bool
) -> tuple[dt.date, dt.date | None]:
    first, last, exit_until = _window(sp, today)
    entry = first + _days(rng, 0, (last - first).days)
    if not exited:
        return entry, None
    return entry, entry + _days(rng, 0, (exit_until - entry).days)


def _labor_choice(rng: random.Random, sp: SitePlan) -> tuple[str, TeamTemplate]:
    """Pick who employs a worker on the site (mostly the labor subcontractor) and in which team."""
    site = sp.site
    options: list[tuple[str, str]] = [(site.gc, f"gc/{site.kind}")]
    weights = [1]
    for key in site.subs:
        firm = FIRM_BY_KEY[key]
        if firm.role == "labor":
            options.append((key, f"labor/{site.kind}"))
            weights.append(6)
        else:
            options.append((key, firm.trade))
            weights.append(2)
    employer, template = rng.choices(options, weights=weights)[0]
    teams = TEAM_TEMPLATES[template]
    team = rng.choices(teams, weights=[t[2] for t in teams])[0]
    return employer, team


def _manager(
    site: Site, person: Person, firm: str, entry: dt.date, exit_on: dt.date | None
) -> Stint:
    return Stint(site.serial, person.idx, firm, None, MANAGER_WORK_TYPE, MANAGER, entry, exit_on)


def _labor(
    rng: random.Random,
    sp: SitePlan,
    person: Person,
    employer: str,
    team: TeamTemplate,
    entry: dt.date,
    exit_on: dt.date | None,
) -> Stint:
    work_type = rng.choice(team[1])
    return Stint(sp.site.serial, person.idx, employer, team[0], work_type, LABOR, entry, exit_on)


def plan_demo_city(
    *, workers: int = DEFAULT_WORKERS, today: dt.date, banks: dict[str, str]
) -> CityPlan:
    """The whole demo city in memory. Deterministic for a given (workers, today)."""
    site_rng = random.Random(SEED)  # noqa: S311 -- reproducible demo data, not secrets
    people_rng = random.Random(SEED + 1)  # noqa: S311
    work_rng = random.Random(SEED + 2)  # noqa: S311
    people = _People(people_rng, today, banks)
    sites = {s.serial: _plan_site(site_rng, s, today) for s in SITES}
    stints: list[Stint] = []
    posts: list[PostPlan] = []
    holdings: list[HoldingPlan] = []
    pm_of: dict[tuple[int, str], str] = {}

    # Managers: key-post holders of the GC and the supervision firm, one more of each, one per subcontractor.
    for sp in sites.values():
        site = sp.site
        if not site.has_roster:
            continue
        leaving = sp.completed
        for firm, codes in ((site.gc, GC_POSTS), (site.supervision, SUPERVISION_POSTS)):
            for post in codes:
                if post in site.vacant:
                    posts.append(PostPlan(site.serial, firm, post, None, None))
                    continue
                holder = people.new(manager=True)
                since = sp.permit
                if post == "P01" and site.pm_changed:
                    assert sp.actual is not None
                    changed = min(
                        sp.actual + _days(work_rng, 60, (today - sp.actual).days // 2),
                        today - dt.timedelta(days=10),
                    )
                    first = people.new(manager=True)
                    stints.append(_manager(site, first, firm, since, changed))
                    holdings.append(
                        HoldingPlan(site.serial, firm, post, first.idx, since, changed, "施工许可")
                    )
                    since, basis = changed, "项目经理变更"
                else:
                    basis = "施工许可"
                stints.append(_manager(site, holder, firm, since, leaving))
                posts.append(PostPlan(site.serial, firm, post, holder.idx, since))
                holdings.append(
                    HoldingPlan(site.serial, firm, post, holder.idx, since, leaving, basis)
                )
                if post in {"P01", "S01"}:
                    pm_of[(site.serial, firm)] = holder.name
            if site.status != PENDING:
                extra = people.new(manager=True)
                stints.append(_manager(site, extra, firm, sp.permit, leaving))
        if site.status != PENDING:
            for key in site.subs:
                boss = people.new(manager=True)
                entry, _ = _stint_dates(work_rng, sp, today, exited=False)
                stints.append(_manager(site, boss, key, entry, leaving))
                pm_of[(site.serial, key)] = boss.name

    # Workers: first one on every site with labor, a few more on the showcase, then by site size.
    labor_sites = [sp for sp in sites.values() if sp.site.has_labor]
    active_sites = [sp for sp in labor_sites if sp.site.status == ACTIVE]
    weights = [
        min(100.0, max(3.0, s.site.size / (1000 if s.site.kind == BUILDING else 300)))
        * {ACTIVE: 1.0, SUSPENDED: 0.6, COMPLETED: 0.5}[s.site.status]
        for s in labor_sites
    ]
    showcase = sites[SHOWCASE]
    forced = [*labor_sites, *[showcase] * 8]
    if workers < len(forced):
        raise ValueError(f"the demo city needs at least {len(forced)} workers")
    worker_login = -1
    for i in range(workers):
        sp = forced[i] if i < len(forced) else work_rng.choices(labor_sites, weights=weights)[0]
        employer, team = _labor_choice(work_rng, sp)
        if i == len(labor_sites):  # the showcase's worker login: a labor subcontractor's man
            employer = next(k for k in sp.site.subs if FIRM_BY_KEY[k].role == "labor")
            team = TEAM_TEMPLATES[f"labor/{sp.site.kind}"][0]
        status = sp.site.status
        share_exited = {ACTIVE: 0.12, SUSPENDED: 0.5, COMPLETED: 1.0}[status]
        exited = status == COMPLETED or (i >= len(forced) and work_rng.random() < share_exited)
        person = people.new(manager=False)
        if i == len(labor_sites):
            worker_login = person.idx
        entry, exit_on = _stint_dates(work_rng, sp, today, exited=exited)
        stints.append(_labor(work_rng, sp, person, employer, team, entry, exit_on))
        if status == COMPLETED and exit_on and work_rng.random() < 0.5:
            # Moved on to a site still under way.
            nxt = work_rng.choice(active_sites)
            employer, team = _labor_choice(work_rng, nxt)
            first, last, _ = _window(nxt, today)
            lo = max(first, exit_on + dt.timedelta(days=3))
            entry = min(lo + _days(work_rng, 0, (last - lo).days), today)
            stints.append(_labor(work_rng, nxt, person, employer, team, entry, None))

    teams: dict[tuple[int, str, str], TeamPlan] = {}
    for s in stints:
        if s.team is not None:
            key = (s.site, s.employer, s.team)
            teams.setdefault(key, TeamPlan(*key)).members.append(s)
    for team in teams.values():
        # The leader: the longest-serving member still on site (or, when all left, the first one).
        on_site = [m for m in team.members if m.exit is None] or team.members
        chief = min(on_site, key=lambda m: (m.entry, m.person))
        chief.leader = True
        team.leader = chief.person

    for sp in sites.values():
        site = sp.site
        sub_entry = (sp.actual + dt.timedelta(days=10)) if sp.actual else None
        roles = [
            (site.builder, Participant.BUILDER, sp.permit),
            (site.gc, Participant.GC, sp.planned - dt.timedelta(days=5)),
            (site.supervision, Participant.SUPERVISION, sp.planned - dt.timedelta(days=5)),
            *((k, FIRM_BY_KEY[k].corp_type, sub_entry) for k in site.subs),
        ]
        for firm, corp_type, entry in roles:
            name = pm_of.get((site.serial, firm)) or f"{site_rng.choice(SURNAMES)}示例负责人"
            phone = "13" + f"{site_rng.randrange(10**9):09d}"
            sp.participants.append(
                ParticipantPlan(firm, corp_type, entry, sp.completed, name, phone)
            )

    return CityPlan(
        today, sites, people.people, stints, teams, posts, holdings, worker_login=worker_login
    )
