"""Shared fixtures: a small city with named personas for permission tests (STYLE.md: alice owns, charlie is refused).

World (built once per test through `world`):
- 小榄 project P1: GC 甲建设 (gc), labor subcontractor 乙劳务 (sub), supervision 丙监理, builder 丁置业.
- 古镇 project P2: GC 戊建设 (the neighbour enterprise, in the neighbouring town).
- 石岐区 project P3 (urban district, handled by the city safety affairs center): GC 甲建设.
Personas are users; see `World` for the names.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.hashers import make_password
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from smz.accounts.models import Role, User
from smz.registry.identity import id_number_index
from smz.registry.models import (
    Authority,
    Employment,
    Enterprise,
    Jurisdiction,
    KeyPost,
    Participant,
    Project,
    Team,
    Worker,
)
from smz.registry.reference import MARKET_AUTHORITY, QUALITY_AUTHORITY, SAFETY_AUTHORITY
from smz.registry.synthetic import synthetic_id_number, synthetic_uscc

PASSWORD = "Smz-test-pass-2026"  # noqa: S105


# The suite runs at 20:00 Asia/Shanghai on the day it starts, and the clock ticks from there. Tests put passes at
# 07:50 and 17:40 "today" and the ingest path rightly refuses passes from the future, so run between midnight and
# 17:40 local time (16:00–09:40 UTC) they failed. Only the time of day is fixed: the date is the real one, so
# weekday and month-end cases keep being exercised. Started before collection, so module-level TODAY agrees.
# SMZ_TEST_DATE=YYYY-MM-DD runs the suite on another day (a month's first day, a Sunday, New Year) to find
# tests that only pass on some dates.
_session_clock = None


def pytest_configure(config):
    global _session_clock
    zone = ZoneInfo("Asia/Shanghai")
    day = os.environ.get("SMZ_TEST_DATE")
    day = dt.date.fromisoformat(day) if day else dt.datetime.now(zone).date()
    evening = dt.datetime.combine(day, dt.time(20, 0), tzinfo=zone)
    _session_clock = time_machine.travel(evening, tick=True)
    _session_clock.start()


def pytest_unconfigure(config):
    if _session_clock is not None:
        _session_clock.stop()


@pytest.fixture
def real_clock():
    """The real time, for a test that talks to another process (which does not share the session clock)."""
    global _session_clock
    if _session_clock is None:
        yield
        return
    resume_at, paused_at = time.time(), time.monotonic()
    _session_clock.stop()
    try:
        yield
    finally:
        _session_clock = time_machine.travel(resume_at + time.monotonic() - paused_at, tick=True)
        _session_clock.start()


@pytest.fixture
def private_dir(settings, tmp_path):
    """Private files, encrypted as in production, go to a throw-away directory instead of var/private."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "smz.core.storage.EncryptedFileSystemStorage",
            "OPTIONS": {"location": str(tmp_path), "base_url": None},
        },
    }
    return tmp_path


@pytest.fixture
def on_day():
    """Move the clock to a given day (20:00 Shanghai, ticking) for the rest of the test: for data that sit on
    fixed dates (October 2026 payrolls) and pages that judge them against today."""
    moves = []

    def move(day: dt.date) -> None:
        evening = dt.datetime.combine(day, dt.time(20, 0), tzinfo=ZoneInfo("Asia/Shanghai"))
        moves.append(time_machine.travel(evening, tick=True))
        moves[-1].start()

    yield move
    for travel in reversed(moves):
        travel.stop()


def ensure_reference_data() -> None:
    """Transactional tests flush the database (migration data included); put reference data back."""
    from smz.registry.models import CodeItem
    from smz.registry.reference import load_reference_data

    if not CodeItem.objects.exists():
        load_reference_data()


def make_worker(seq: int, name: str, *, male: bool = True, phone: str = "13800001234") -> Worker:
    idn = synthetic_id_number(
        birth=dt.date(1985, 1, 1) + dt.timedelta(days=seq * 37), seq=seq, male=male
    )
    return Worker.objects.create(
        id_card_type="01",
        id_number=idn,
        id_number_index=id_number_index("01", idn),
        name=name,
        gender="1" if male else "2",
        nation="01",
        birth_date=dt.date(1985, 1, 1) + dt.timedelta(days=seq * 37),
        phone=phone,
        bank_card="6222020200112233445",
        bank_code="102",
        bank_name="中国工商银行中山分行",
    )


@dataclass
class World:
    projects: dict[str, Project] = field(default_factory=dict)
    enterprises: dict[str, Enterprise] = field(default_factory=dict)
    teams: dict[str, Team] = field(default_factory=dict)
    workers: dict[str, Worker] = field(default_factory=dict)
    employments: dict[str, Employment] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)

    def user(self, name: str) -> User:
        return self.users[name]

    def employ(self, project: str, worker: str, employer: str = "gc") -> Employment:
        """Put a worker on one more project (a second active employment, a carpenter since March 2024)."""
        return Employment.objects.create(
            project=self.projects[project],
            worker=self.workers[worker],
            employer=self.enterprises[employer],
            work_type="020",
            work_role="20",
            entry_on=dt.date(2024, 3, 1),
        )


@functools.cache
def _password_hash() -> str:
    """Argon2 is slow on purpose; hash the shared test password once per process, not per persona."""
    return make_password(PASSWORD)


def _user(username: str, role: str, **kw) -> User:
    projects = kw.pop("projects", [])
    u = User.objects.create(
        username=username, password=_password_hash(), role=role, display_name=username, **kw
    )
    if projects:
        u.projects.set(projects)
    return u


@pytest.fixture
def world(db) -> World:
    ensure_reference_data()
    w = World()
    j = {x.short_name: x for x in Jurisdiction.objects.all()}
    for key, name in [
        ("gc", "甲建设集团有限公司"),
        ("sub", "乙劳务有限公司"),
        ("sup", "丙工程监理有限公司"),
        ("builder", "丁置业有限公司"),
        ("neighbour", "戊建设有限公司"),
    ]:
        w.enterprises[key] = Enterprise.objects.create(
            corp_code=synthetic_uscc(seq=len(w.enterprises) + 1), name=name, reg_type="150"
        )
    e = w.enterprises

    def project(key, name, juris, gc, kind="building", area=12000):
        p = Project.objects.create(
            code=f"4420002024{len(w.projects) + 1:05d}",
            name=name,
            permit_no=f"442000202401010{len(w.projects) + 1}01",
            kind=kind,
            floor_area_m2=area,
            jurisdiction=j[juris],
            builder=e["builder"],
            permit_issued_on=dt.date(2024, 1, 10),
            planned_start=dt.date(2024, 2, 1),
            status=Project.Status.ACTIVE,
        )
        Participant.objects.create(project=p, enterprise=gc, corp_type=Participant.GC)
        Participant.objects.create(
            project=p, enterprise=e["builder"], corp_type=Participant.BUILDER
        )
        w.projects[key] = p
        return p

    p1 = project("p1", "小榄甲住宅项目", "小榄", e["gc"])
    Participant.objects.create(project=p1, enterprise=e["sub"], corp_type="006")
    Participant.objects.create(project=p1, enterprise=e["sup"], corp_type=Participant.SUPERVISION)
    p2 = project("p2", "古镇戊厂房项目", "古镇", e["neighbour"])
    project("p3", "石岐甲商业项目", "石岐区", e["gc"])

    w.teams["gc"] = Team.objects.create(project=p1, enterprise=e["gc"], name="甲钢筋班")
    w.teams["sub"] = Team.objects.create(project=p1, enterprise=e["sub"], name="乙木工班")
    w.teams["neighbour"] = Team.objects.create(
        project=p2, enterprise=e["neighbour"], name="戊混凝土班"
    )

    w.workers["gc"] = make_worker(1, "测试甲工")
    w.workers["sub"] = make_worker(2, "测试乙工", male=False)
    w.workers["neighbour"] = make_worker(3, "测试戊工")
    w.workers["pm"] = make_worker(4, "测试项目经理")
    for key, proj, emp, team, role in [
        ("gc", p1, e["gc"], w.teams["gc"], "20"),
        ("sub", p1, e["sub"], w.teams["sub"], "20"),
        ("neighbour", p2, e["neighbour"], w.teams["neighbour"], "20"),
        ("pm", p1, e["gc"], None, "10"),
    ]:
        w.employments[key] = Employment.objects.create(
            project=proj,
            worker=w.workers[key],
            employer=emp,
            team=team,
            work_type="900" if role == "10" else "020",
            work_role=role,
            entry_on=dt.date(2024, 3, 1),
        )
    KeyPost.objects.create(
        project=p1,
        enterprise=e["gc"],
        post="P01",
        holder=w.workers["pm"],
        holder_since=dt.date(2024, 2, 1),
    )
    KeyPost.objects.create(project=p1, enterprise=e["gc"], post="P03")
    KeyPost.objects.create(project=p1, enterprise=e["sup"], post="S01")

    market = Authority.objects.get(name=MARKET_AUTHORITY)
    safety = Authority.objects.get(name=SAFETY_AUTHORITY)
    quality = Authority.objects.get(name=QUALITY_AUTHORITY)
    xiaolan = Authority.objects.get(name="小榄镇住房城乡建设部门")
    guzhen = Authority.objects.get(name="古镇镇住房城乡建设部门")
    U = w.users
    U["city_admin"] = _user("city_admin", Role.CITY_ADMIN, authority=market)
    U["city_supervisor"] = _user("city_supervisor", Role.CITY_SUPERVISOR, authority=market)
    U["window_clerk"] = _user("window_clerk", Role.WINDOW_CLERK, authority=market)
    U["quality_clerk"] = _user("quality_clerk", Role.QUALITY_CLERK, authority=quality)
    U["safety_l1"] = _user("safety_l1", Role.APPROVER_L1, authority=safety)
    U["safety_l2"] = _user("safety_l2", Role.APPROVER_L2, authority=safety)
    U["town_l1"] = _user("town_l1", Role.APPROVER_L1, authority=xiaolan)
    U["town_l2"] = _user("town_l2", Role.APPROVER_L2, authority=xiaolan)
    U["neighbour_town"] = _user("neighbour_town", Role.APPROVER_L1, authority=guzhen)
    U["gc_admin"] = _user("gc_admin", Role.ENTERPRISE_ADMIN, enterprise=e["gc"])
    U["gc_labor"] = _user("gc_labor", Role.LABOR_SPECIALIST, enterprise=e["gc"], projects=[p1])
    U["gc_pm"] = _user("gc_pm", Role.PROJECT_MANAGER, enterprise=e["gc"], projects=[p1])
    U["sub_labor"] = _user("sub_labor", Role.LABOR_SPECIALIST, enterprise=e["sub"], projects=[p1])
    U["sup_manager"] = _user(
        "sup_manager", Role.SUPERVISION_MANAGER, enterprise=e["sup"], projects=[p1]
    )
    U["neighbour_labor"] = _user(
        "neighbour_labor", Role.LABOR_SPECIALIST, enterprise=e["neighbour"], projects=[p2]
    )
    U["builder"] = _user("builder", Role.BUILDER, enterprise=e["builder"])
    U["worker"] = _user("worker", Role.WORKER, worker=w.workers["sub"])
    U["outsider"] = _user("outsider", "")
    return w


@pytest.fixture
def as_user(client, world):
    """Log the test client in as a persona: `as_user("gc_labor")`."""

    def login(name: str):
        client.force_login(world.user(name))
        return client

    return login


@pytest.fixture
def keep_test_connection() -> Iterator[None]:
    """The WSGI handler closes the database connection after each request (as Django's test Client does not);
    on PostgreSQL that would end the test's transaction, so keep it open for the run."""
    signals = (request_started, request_finished)
    for signal in signals:
        signal.disconnect(close_old_connections)
    try:
        yield
    finally:
        for signal in signals:
            signal.connect(close_old_connections)
