"""A city-sized data set (issue 17 goal 4, `manage.py seed_scale`): 1,000 projects, 200,000 workers and 20 million
passes over 100 city days at the default size, on PostgreSQL, for the page benchmark (bench/pages.py).

The registry rows are generated in Python and loaded with COPY (`smz.core.bulk.rows_copy`): ID numbers and phones
are real ciphertext with their blind indexes (`smz.registry.identity`), one encryption per value. The passes,
the daily rows (日考勤) and the key-post days are generated in the database, one day at a time, from the same
formulas over the employments (`smz.core.bulk.rows_insert_select`), so a daily row is exactly what the roll-up
(`services.attendance_recompute`) computes from that day's passes: first valid in, last valid out, minutes,
valid/invalid counts and the anomalies no_exit / only_invalid_passes / off_site. The three attendance tables are
loaded without their secondary indexes and constraints, which are rebuilt (and the foreign keys validated) at the
end (`smz.core.bulk.indexes_deferred`), with the daily rows' summary triggers off; the monthly summaries
(MonthlyAttendance, LaborMonth: `monthly.py`) are then filled in one statement; then VACUUM ANALYZE, as
autovacuum would.

Nothing here is a person: names are drawn from common characters, numbers are checksum-valid synthetic ones
(`smz.registry.synthetic`), the logins have no usable password unless one is given.
"""

# ruff: noqa: S608 — the SQL is built from the generator's own numbers, never from input

from __future__ import annotations

import datetime as dt
import json
import random
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.db import connection, transaction

from smz.accounts.models import User
from smz.attendance.models import (
    DailyAttendance,
    KeyPostDay,
    LaborMonth,
    MonthlyAttendance,
    PassRecord,
)
from smz.attendance.monthly import daily_triggers_disabled, monthly_fill
from smz.core import crypto
from smz.core.bulk import indexes_deferred, rows_copy, rows_insert_select
from smz.core.roles import Role
from smz.devices.models import Device, SiteBoundary
from smz.registry import identity
from smz.registry.models import (
    Authority,
    Employment,
    Enterprise,
    Jurisdiction,
    KeyPost,
    KeyPostHolding,
    Participant,
    Project,
    Team,
    Worker,
)
from smz.registry.reference import MARKET_AUTHORITY
from smz.registry.synthetic import synthetic_id_number, synthetic_uscc

CODE_PREFIX = "SC"  # project codes SC0000001…: the scale city's own, so a second run is refused
CODE_END = "SD"  # codes from CODE_PREFIX up to this one (an index range, not LIKE)
TOWN = "小榄"  # the town user's town; it gets twice a town's share of the projects
CITY_LOGIN = "scale_city"  # 市级监督（只读）
TOWN_LOGIN = "scale_xiaolan"  # 小榄镇住房城乡建设部门, 一级审批人
BIG_PROJECT_WORKERS = 3_000  # the first project (in 小榄) is a big site (a quarter of a small city)
TEAMS_PER_PROJECT = 5
DOUBLE_ROSTER_EVERY = 100  # one worker in 100 is on two sites' rosters at once
MANAGER_EVERY = 40  # one employment in 40 is a manager (管理人员), the key posts' holders
GC_POSTS = ("P01", "P02", "P03", "P05", "P08")
SUPERVISION_POSTS = ("S01", "S02")
SNAPSHOT = "snap/scale/face.jpg"  # passes that count carry a snapshot path (no file: the pages never open it)

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红文辉玉兰海燕俊鹏德兵春林"


@dataclass(frozen=True)
class ScaleSize:
    projects: int = 1_000
    workers: int = 200_000
    days: int = 100
    passes_per_day: int = 200_000


Say = Callable[[str], None]


class Phases:
    """Wall seconds per phase, printed as they end."""

    def __init__(self, say: Say) -> None:
        self.say = say
        self.seconds: dict[str, float] = {}
        self._t = time.perf_counter()

    def done(self, name: str, rows: int | None = None) -> None:
        now = time.perf_counter()
        took, self._t = now - self._t, now
        self.seconds[name] = took
        rate = f", {rows:,} rows, {rows / took:,.0f} rows/s" if rows else ""
        self.say(f"  {name}: {took:.1f} s{rate}")


def scale_city_exists() -> bool:
    return Project.objects.filter(code__startswith=CODE_PREFIX).exists()


def scale_city_build(
    *, size: ScaleSize, last_day: dt.date, say: Say, password: str = ""
) -> dict[str, float]:
    """Write the scale city into an empty database (its reference data migrated); returns seconds per phase."""
    phases = Phases(say)
    rng = random.Random(17)  # the same city every run  # noqa: S311 - not security
    with transaction.atomic():
        firms = _enterprises(size)
        phases.done("enterprises", len(firms))
        projects = _projects(size, firms, last_day)
        _participants(projects)
        phases.done("projects and participants", len(projects))
        teams = _teams(projects)
        phases.done("teams", sum(len(t) for t in teams.values()))
        workers = _workers(size)
        phases.done("workers (encrypted ID numbers and phones, blind indexes)", len(workers))
        managers, n = _employments(
            size, projects, workers, teams, rng, last_day - dt.timedelta(days=size.days)
        )
        phases.done("employments", n)
        n = _key_posts(projects, managers)
        phases.done("key posts and holdings", n)
        n = _devices(projects)
        phases.done("devices and site boundaries", n)
        _logins(password)
        phases.done("logins")
    first_day = last_day - dt.timedelta(days=size.days - 1)
    total = 0
    with indexes_deferred(PassRecord, DailyAttendance, KeyPostDay), daily_triggers_disabled():
        _attendance_sources()
        workers_active = len(workers)
        share = min(10_000, round(10_000 * size.passes_per_day / (2 * workers_active)))
        started = time.perf_counter()
        for k, day in enumerate(_days(first_day, last_day)):
            with transaction.atomic():
                total += _attendance_day(day, k, share)
            if k % 10 == 9 or day == last_day:
                took = time.perf_counter() - started
                say(f"    {day}: {total:,} passes so far ({total / took:,.0f} passes/s)")
        phases.done("passes, daily rows, key-post days (indexes deferred)", total)
    phases.done("indexes and constraints rebuilt, foreign keys validated")
    n = monthly_fill()  # the triggers were off: the monthly summaries in one statement
    phases.done("monthly attendance summaries (MonthlyAttendance, LaborMonth)", n)
    with connection.cursor() as cursor:
        for model in (
            PassRecord,
            DailyAttendance,
            KeyPostDay,
            MonthlyAttendance,
            LaborMonth,
            Employment,
            Worker,
        ):
            cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")
        cursor.execute("ANALYZE")
    phases.done("VACUUM ANALYZE")
    return phases.seconds


def _days(first: dt.date, last: dt.date) -> Iterator[dt.date]:
    day = first
    while day <= last:
        yield day
        day += dt.timedelta(days=1)


def _ids(model: type[Project], field: str, prefix: str) -> list[int]:
    return list(
        model.objects.filter(**{f"{field}__startswith": prefix})
        .order_by(field)
        .values_list("pk", flat=True)
    )


def _enterprises(size: ScaleSize) -> list[int]:
    n = max(20, size.projects // 2)
    rows = (
        (synthetic_uscc(seq=700_000 + i), f"规模测试建设工程有限公司{i:04d}", "150")
        for i in range(n)
    )
    rows_copy(Enterprise, ("corp_code", "name", "reg_type"), rows)
    return list(
        Enterprise.objects.filter(name__startswith="规模测试建设")
        .order_by("name")
        .values_list("pk", flat=True)
    )


def _projects(
    size: ScaleSize, firms: list[int], last_day: dt.date
) -> list[tuple[int, int, int, int]]:
    """(project, GC, subcontractor, supervision firm) per project, in code order; the first is in 小榄."""
    towns = list(
        Jurisdiction.objects.filter(valid_to__isnull=True)
        .order_by("code")
        .values_list("pk", "short_name")
    )
    town = next(pk for pk, name in towns if name == TOWN)
    spread = [pk for pk, _ in towns] + [town]  # 小榄 twice
    kinds = ("住宅", "学校", "厂房", "商业综合体", "道路", "安置房", "医院", "办公楼")
    start = last_day - dt.timedelta(days=400)
    rows = []
    for i in range(size.projects):
        jur = town if i == 0 else spread[i % len(spread)]
        rows.append(
            (
                f"{CODE_PREFIX}{i:07d}",
                f"规模测试{i:04d}号{kinds[i % len(kinds)]}项目",
                Project.Kind.BUILDING,
                80_000,
                jur,
                firms[i % len(firms)],
                start,
                start,
                start,
                Project.Status.ACTIVE,
                True,
            )
        )
    rows_copy(
        Project,
        (
            "code",
            "name",
            "kind",
            "floor_area_m2",
            "jurisdiction",
            "builder",
            "permit_issued_on",
            "planned_start",
            "actual_start",
            "status",
            "in_scope",
        ),
        rows,
    )
    ids = _ids(Project, "code", CODE_PREFIX)
    n = len(firms)
    return [
        (pk, firms[(3 * i) % n], firms[(3 * i + 1) % n], firms[(3 * i + 2) % n])
        for i, pk in enumerate(ids)
    ]


def _participants(projects: list[tuple[int, int, int, int]]) -> None:
    rows = []
    for pk, gc, sub, sup in projects:
        rows += [(pk, gc, Participant.GC), (pk, sub, "006"), (pk, sup, Participant.SUPERVISION)]
    rows_copy(Participant, ("project", "enterprise", "corp_type"), rows)


def _teams(projects: list[tuple[int, int, int, int]]) -> dict[int, list[int]]:
    rows = [
        (pk, sub, f"第{k + 1}班组（{('钢筋', '木工', '泥水', '水电', '杂工')[k]}）")
        for pk, _gc, sub, _sup in projects
        for k in range(TEAMS_PER_PROJECT)
    ]
    rows_copy(Team, ("project", "enterprise", "name"), rows)
    teams: dict[int, list[int]] = {}
    for pk, project_id in (
        Team.objects.filter(project__code__startswith=CODE_PREFIX)
        .order_by("pk")
        .values_list("pk", "project_id")
    ):
        teams.setdefault(project_id, []).append(pk)
    return teams


def _workers(size: ScaleSize) -> list[int]:
    """Workers g = 0…n-1: a synthetic ID number unique by (birth day, order code), a phone, a name."""
    days = 14_600  # 40 years of birth days; 7919 is prime to it, so g → birth day is one-to-one per block

    def rows() -> Iterator[tuple]:
        for g in range(size.workers):
            male = g % 3 != 0
            birth = dt.date(1966, 1, 1) + dt.timedelta(days=g * 7_919 % days)
            number = synthetic_id_number(birth=birth, seq=g // days, male=male)
            phone = f"139{g:08d}"
            name = SURNAMES[g * 7 % len(SURNAMES)] + GIVEN[g % len(GIVEN)]
            if g % 3:
                name += GIVEN[(g // len(GIVEN)) % len(GIVEN)]
            yield (
                Worker.ID_CARD,
                crypto.encrypt(number),
                identity.id_number_index(Worker.ID_CARD, number),
                name,
                "1" if male else "2",
                birth,
                crypto.encrypt(phone),
                identity.phone_index(phone),
            )

    first = Worker.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    rows_copy(
        Worker,
        (
            "id_card_type",
            "id_number",
            "id_number_index",
            "name",
            "gender",
            "birth_date",
            "phone",
            "phone_index",
        ),
        rows(),
    )
    return list(Worker.objects.filter(pk__gt=first).order_by("pk").values_list("pk", flat=True))


def _employments(
    size: ScaleSize,
    projects: list[tuple[int, int, int, int]],
    workers: list[int],
    teams: dict[int, list[int]],
    rng: random.Random,
    history_from: dt.date,
) -> tuple[dict[int, list[int]], int]:
    """Each worker active on one project (the first BIG_PROJECT_WORKERS on the big one, the others spread with
    a long tail: a few big sites, many small ones); one in 100 is also on the next project's roster, one in
    33 left an earlier project. Returns each
    project's managers (worker ids) and the rows written."""
    weights = [1 / (1 + i % 97) ** 0.6 for i in range(len(projects))]
    weights[0] = 0  # the big project gets exactly its own
    big = min(BIG_PROJECT_WORKERS, len(workers) // 4)
    draws = rng.choices(range(len(projects)), weights=weights, k=len(workers))
    managers: dict[int, list[int]] = {}
    entry = history_from - dt.timedelta(days=60)

    def rows() -> Iterator[tuple]:
        for g, worker in enumerate(workers):
            i = 0 if g < big else draws[g]
            pk, gc, sub, _sup = projects[i]
            if g % MANAGER_EVERY == 0:
                managers.setdefault(pk, []).append(worker)
                yield (pk, worker, gc, None, "010", Employment.Role.MANAGER, entry, None, "active")
            else:
                team = teams[pk][g % TEAMS_PER_PROJECT]
                yield (pk, worker, sub, team, "020", Employment.Role.WORKER, entry, None, "active")
            if g % DOUBLE_ROSTER_EVERY == 7:  # on a second site's roster too (double shifts happen)
                pj, _gc, sj, _ = projects[(i + 1) % len(projects)]
                yield (pj, worker, sj, teams[pj][1], "020", "20", entry, None, "active")
            if g % 33 == 5:  # an earlier site, left before the attendance period
                j = (i + 1 + g % 7) % len(projects)
                pj, _gc, sj, _ = projects[j]
                left = entry - dt.timedelta(days=10)
                yield (
                    pj,
                    worker,
                    sj,
                    teams[pj][0],
                    "020",
                    "20",
                    left - dt.timedelta(days=90),
                    left,
                    "exited",
                )

    n = rows_copy(
        Employment,
        (
            "project",
            "worker",
            "employer",
            "team",
            "work_type",
            "work_role",
            "entry_on",
            "exit_on",
            "status",
        ),
        rows(),
    )
    return managers, n


def _key_posts(projects: list[tuple[int, int, int, int]], managers: dict[int, list[int]]) -> int:
    """Seven posts per project, held by its managers in turn (a post stays vacant when they run out)."""
    posts = []
    for pk, gc, _sub, sup in projects:
        held = iter(managers.get(pk, []))
        for post in (*GC_POSTS, *SUPERVISION_POSTS):
            posts.append((pk, gc if post.startswith("P") else sup, post, next(held, None)))
    since = dt.date(2026, 1, 5)
    rows_copy(
        KeyPost,
        ("project", "enterprise", "post", "holder", "holder_since"),
        ((pk, firm, post, holder, since if holder else None) for pk, firm, post, holder in posts),
    )
    held_rows = list(
        KeyPost.objects.filter(
            project__code__startswith=CODE_PREFIX, holder__isnull=False
        ).values_list("pk", "holder_id", "holder_since")
    )
    rows_copy(KeyPostHolding, ("key_post", "worker", "start_on"), held_rows)
    return len(posts) + len(held_rows)


def _devices(projects: list[tuple[int, int, int, int]]) -> int:
    """Three gates per project inside its site boundary."""
    rows = []
    for i, (pk, *_firms) in enumerate(projects):
        lng = 113.2 + (i % 100) * 0.004
        lat = 22.3 + (i // 100) * 0.004
        for k in range(3):
            rows.append(
                (
                    pk,
                    f"SCALE{i:06d}{k}",
                    Device.Kind.FACE_GATE,
                    Device.Protocol.DIRECT_V1,
                    Device.Direction.BOTH,
                    lng + 0.001,
                    lat + 0.001,
                    crypto.encrypt(secrets.token_hex(16)),
                )
            )
    n = rows_copy(
        Device, ("project", "serial", "kind", "protocol", "direction", "lng", "lat", "secret"), rows
    )
    boundaries = []
    for i, (pk, *_firms) in enumerate(projects):
        lng = 113.2 + (i % 100) * 0.004
        lat = 22.3 + (i // 100) * 0.004
        square = [[lng, lat], [lng + 0.003, lat], [lng + 0.003, lat + 0.003], [lng, lat + 0.003]]
        boundaries.append((pk, json.dumps(square)))
    rows_copy(SiteBoundary, ("project", "polygon"), boundaries)
    return n


def _logins(password: str) -> None:
    """The city supervisor (市级监督, read-only, city-wide) and a 小榄 approver (his town only)."""
    town = Authority.objects.get(name=f"{TOWN}镇住房城乡建设部门")
    market = Authority.objects.get(name=MARKET_AUTHORITY)
    for username, role, authority, display in (
        (CITY_LOGIN, Role.CITY_SUPERVISOR, market, "规模测试市级监督"),
        (TOWN_LOGIN, Role.APPROVER_L1, town, "规模测试小榄审批"),
    ):
        user = User(username=username, role=role, authority=authority, display_name=display)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()


# --- attendance, generated in the database ------------------------------------------------------------

# Per (employment, day k): attends when mod(e.id * 40503 + k * 9973, 10000) < share; r = mod(e.id * 7 + k * 13,
# 100) picks the rare cases: r in 0–1 the entry pass has no snapshot, r = 2 it was off site, r in 3–5 nobody left
# through a gate (no exit pass), r = 6 the exit pass has no snapshot. 1 project in 100 never sends a pass.
_R = "mod(s.eid * 7 + {k} * 13, 100)"
_IN_VALID = f"({_R} > 2)"
_HAS_OUT = f"({_R} NOT IN (3, 4, 5))"
_OUT_VALID = f"({_HAS_OUT} AND {_R} <> 6)"
_IN_TIME = "TIMESTAMPTZ '{day} 07:00+08' + mod(s.eid * 31 + {k} * 17, 120) * interval '1 minute'"
_OUT_TIME = "TIMESTAMPTZ '{day} 17:00+08' + mod(s.eid * 37 + {k} * 11, 120) * interval '1 minute'"


def _attendance_sources() -> None:
    """The employments that may attend, with their project's entry and exit gates (temporary tables)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE scale_att ON COMMIT PRESERVE ROWS AS"
            " SELECT e.id AS eid, e.project_id, e.worker_id, e.entry_on, e.exit_on, g.d_in, g.d_out"
            " FROM registry_employment e JOIN registry_project p ON p.id = e.project_id"
            " JOIN (SELECT project_id, min(id) AS d_in, max(id) AS d_out FROM devices_device"
            "  GROUP BY project_id) g ON g.project_id = e.project_id"
            f" WHERE p.code >= '{CODE_PREFIX}' AND p.code < '{CODE_END}' AND mod(p.id, 100) <> 7"
        )
        cursor.execute("ANALYZE scale_att")


def _attendance_day(day: dt.date, k: int, share: int, *, key_posts: bool = True) -> int:
    """One day's passes, daily rows and key-post days; returns the passes written."""
    fmt = {"day": day, "k": k}
    source = (
        f"scale_att s WHERE mod(s.eid * 40503 + {k} * 9973, 10000) < {share}"
        f" AND s.entry_on <= DATE '{day}' AND (s.exit_on IS NULL OR s.exit_on >= DATE '{day}')"
    )
    r = _R.format(**fmt)
    in_time, out_time = _IN_TIME.format(**fmt), _OUT_TIME.format(**fmt)
    in_valid, has_out, out_valid = (x.format(**fmt) for x in (_IN_VALID, _HAS_OUT, _OUT_VALID))
    common = {
        "project_id": "s.project_id",
        "worker_id": "s.worker_id",
        "work_date": f"DATE '{day}'",
        "received_at": "now()",
        "verify_mode": "'face'",
    }
    n = rows_insert_select(
        PassRecord,
        source,
        common
        | {
            "device_id": "s.d_in",
            "device_record_id": f"'{day:%y%m%d}i' || s.eid::text",
            "event_time": in_time,
            "direction": "'in'",
            "snapshot": f"CASE WHEN {r} IN (0, 1) THEN '' ELSE '{SNAPSHOT}' END",
            "valid": in_valid,
            "invalid_reason": f"CASE WHEN {r} IN (0, 1) THEN 'no_snapshot' WHEN {r} = 2 THEN 'off_site'"
            " ELSE '' END",
            "off_site": f"{r} = 2",
        },
    )
    n += rows_insert_select(
        PassRecord,
        f"{source} AND {has_out}",
        common
        | {
            "device_id": "s.d_out",
            "device_record_id": f"'{day:%y%m%d}o' || s.eid::text",
            "event_time": out_time,
            "direction": "'out'",
            "snapshot": f"CASE WHEN {r} = 6 THEN '' ELSE '{SNAPSHOT}' END",
            "valid": f"{r} <> 6",
            "invalid_reason": f"CASE WHEN {r} = 6 THEN 'no_snapshot' ELSE '' END",
        },
    )
    valid = f"({in_valid}::int + {out_valid}::int)"
    passes = f"(1 + {has_out}::int)"
    rows_insert_select(
        DailyAttendance,
        source,
        {
            "project_id": "s.project_id",
            "worker_id": "s.worker_id",
            "work_date": f"DATE '{day}'",
            "first_in": f"CASE WHEN {in_valid} THEN {in_time} END",
            "last_out": f"CASE WHEN {out_valid} THEN {out_time} END",
            "minutes": f"CASE WHEN {in_valid} AND {out_valid} THEN"
            f" (extract(epoch FROM ({out_time}) - ({in_time})) / 60)::int ELSE 0 END",
            "valid_passes": valid,
            "invalid_passes": f"{passes} - {valid}",
            "attended": f"{valid} > 0",
            "anomalies": "to_jsonb(array_remove(ARRAY["
            f"CASE WHEN {in_valid} AND NOT {out_valid} THEN 'no_exit' END,"
            f"CASE WHEN {r} = 2 THEN 'off_site' END,"
            f"CASE WHEN {valid} = 0 THEN 'only_invalid_passes' END], NULL)::text[])",
            "computed_at": "now()",
        },
    )
    if not key_posts:
        return n
    rows_insert_select(
        KeyPostDay,
        "registry_keypost kp JOIN registry_project p ON p.id = kp.project_id"
        f" LEFT JOIN scale_att s ON s.project_id = kp.project_id AND s.worker_id = kp.holder_id"
        f" AND mod(s.eid * 40503 + {k} * 9973, 10000) < {share}"
        f" WHERE p.code >= '{CODE_PREFIX}' AND p.code < '{CODE_END}'",
        {
            "key_post_id": "kp.id",
            "project_id": "kp.project_id",
            "work_date": f"DATE '{day}'",
            "holder_id": "kp.holder_id",
            "attended": f"(s.eid IS NOT NULL AND ({in_valid} OR {out_valid}))",
            "first_in": f"CASE WHEN s.eid IS NOT NULL AND {in_valid} THEN {in_time} END",
            "minutes": f"CASE WHEN s.eid IS NOT NULL AND {in_valid} AND {out_valid} THEN"
            f" (extract(epoch FROM ({out_time}) - ({in_time})) / 60)::int ELSE 0 END",
            "exemption": "''",
            "absence_reason": "''",
            "computed_at": "now()",
        },
    )
    return n
