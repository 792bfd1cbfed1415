"""Portal pages and API lists on city-sized data (issue 17 goal 4). Results and method: docs/bench.md.

    .venv/bin/python bench/pages.py                                   # full size: 20 M passes; seeding took 5 min 19 s here
    .venv/bin/python bench/pages.py --projects 50 --workers 10000 --days 50 --passes-per-day 10000   # to iterate
    .venv/bin/python bench/pages.py --keep-db                         # keep the seeded database …
    .venv/bin/python bench/pages.py --reuse-db smz_bench_1234         # … and measure it again (migrated first)

Creates its own database (smz_bench_<pid>, like bench/ingest.py), seeds it with `manage.py seed_scale` (the sizes
are its options) and requests every page in-process through Django's test client (the whole middleware stack,
DEBUG off, sessions in the database; no HTTP server, so the figures leave out gunicorn and the network) as the
city supervisor (市级监督, city-wide) and as a 小榄 approver (his town). Each page: `--warmup` requests, then
`--requests` timed ones; p50 and p95 against the target p95 < 200 ms. Exports run once each in a forked child
process, which reports its wall time and how far its resident memory rose above its start (VmHWM after
clear_refs), to see whether an export holds its rows in memory.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.compliance import Counter  # noqa: E402
from bench.ingest import bench_teardown, code_version, create_database, django_setup  # noqa: E402

TARGET_MS = 200.0


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument(
        "--admin-url",
        default=os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432/postgres"),
    )
    p.add_argument("--projects", type=int, default=1000)
    p.add_argument("--workers", type=int, default=200_000)
    p.add_argument("--days", type=int, default=100)
    p.add_argument("--passes-per-day", type=int, default=200_000)
    p.add_argument("--requests", type=int, default=20, help="timed requests per page and user")
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--only", default="", help="a regular expression: measure only matching pages")
    p.add_argument("--no-exports", action="store_true")
    p.add_argument("--keep-db", action="store_true", help="do not drop the database at the end")
    p.add_argument("--reuse-db", default="", help="measure this already seeded database (kept)")
    p.add_argument(
        "--quick",
        action="store_true",
        help="a small city (50 projects, 10,000 workers, 30 days of 10,000 passes), 5 requests a page",
    )
    p.add_argument("--summary", type=Path, help="write the figures to this JSON file")
    args = p.parse_args()
    if args.quick:
        args.projects, args.workers, args.days, args.passes_per_day = 50, 10_000, 30, 10_000
        args.requests = 5
    return args


def say(msg: str = "") -> None:
    print(msg, flush=True)


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(q * (len(s) - 1)))]


@dataclass
class Figure:
    p50: float
    p95: float
    status: int
    queries: int


@dataclass
class Row:
    label: str
    figures: dict[str, Figure | None] = field(default_factory=dict)


def measure(client: Any, url: str, args: argparse.Namespace, method: str = "get") -> Figure:
    from django.db import connection

    call = getattr(client, method)
    for _ in range(args.warmup):
        response = call(url)
    counter = (
        Counter()
    )  # the statements of one request (the test client resets Django's own query log)
    with connection.execute_wrapper(counter):
        response = call(url)
    times = []
    for _ in range(args.requests):
        t0 = time.perf_counter()
        response = call(url)
        if getattr(response, "streaming", False):
            for _chunk in response.streaming_content:
                pass
        else:
            _ = response.content
        times.append((time.perf_counter() - t0) * 1000)
    return Figure(pct(times, 0.5), pct(times, 0.95), response.status_code, counter.n)


def export_in_child(client: Any, url: str) -> tuple[int, float, float, int]:
    """(status, seconds, MB above the child's resident size at the start, bytes) of one export, in a fork."""
    from django.db import connections

    connections.close_all()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: one request, its memory peak
        os.close(read)
        Path("/proc/self/clear_refs").write_text("5")  # VmHWM := VmRSS
        start = _status_kb("VmRSS")
        t0 = time.perf_counter()
        response = client.get(url)
        size = _consume(response)
        took = time.perf_counter() - t0
        peak = _status_kb("VmHWM")
        os.write(write, f"{response.status_code} {took} {(peak - start) / 1024} {size}".encode())
        os._exit(0)
    os.close(write)
    out = b""
    while chunk := os.read(read, 4096):
        out += chunk
    os.waitpid(pid, 0)
    status, took, mb, size = out.decode().split()
    return int(status), float(took), float(mb), int(size)


def _consume(response: Any) -> int:
    """The body's length, read as a client would (a streamed body chunk by chunk)."""
    if getattr(response, "streaming", False):
        return sum(len(chunk) for chunk in response.streaming_content)
    return len(response.content)


def _status_kb(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def seed(url: str, args: argparse.Namespace) -> None:
    env = os.environ | {"DATABASE_URL": url, "DEBUG": "0", "LOG_LEVEL": "WARNING"}
    cmd = [sys.executable, "manage.py"]
    subprocess.run([*cmd, "migrate", "-v0"], cwd=ROOT, env=env, check=True)  # noqa: S603
    subprocess.run(  # noqa: S603
        [
            *cmd,
            "seed_scale",
            f"--projects={args.projects}",
            f"--workers={args.workers}",
            f"--days={args.days}",
            f"--passes-per-day={args.passes_per_day}",
        ],
        cwd=ROOT,
        env=env | {"PYTHONUNBUFFERED": "1"},
        check=True,
    )


def pages(city: Any, town: Any) -> list[tuple[str, str, str]]:
    """(label, URL for the city user, URL for the town user); the same page with each user's own ids."""
    from smz.attendance.models import DailyAttendance
    from smz.attendance.scale import CODE_PREFIX
    from smz.registry import selectors
    from smz.registry.models import Employment, Project

    big = Project.objects.get(code=f"{CODE_PREFIX}0000000")
    last = DailyAttendance.objects.order_by("-work_date").values_list("work_date", flat=True)[0]
    month = f"{last:%Y-%m}"
    worker = (
        Employment.objects.filter(project=big, status="active").order_by("worker").first().worker
    )
    full_name = worker.name
    d1 = f"from={last}&to={last}"
    d30 = f"from={last - dt.timedelta(days=29)}&to={last}"

    def deep(user: Any, per: int) -> int:
        return max(1, selectors.employment_list_for(user).count() // per // 2)

    def deep_projects(user: Any) -> int:
        return max(1, selectors.project_list_for(user).count() // 25 // 2)

    def both(label: str, path: str) -> tuple[str, str, str]:
        return (label, path, path)

    return [
        both("home", "/"),
        both("projects, page 1", "/projects/"),
        both("projects, search 住宅", "/projects/?q=住宅"),
        (
            "projects, middle page",
            f"/projects/?page={deep_projects(city)}",
            f"/projects/?page={deep_projects(town)}",
        ),
        both("big project detail", f"/projects/{big.pk}/"),
        both("people, page 1", "/workers/"),
        (
            "people, middle page",
            f"/workers/?page={deep(city, 50)}",
            f"/workers/?page={deep(town, 50)}",
        ),
        both("people, search surname 王", "/workers/?q=王"),
        both("people, search full name", f"/workers/?q={full_name}"),
        both("passes of a person, 30 days", f"/workers/{worker.pk}/passes/?{d30}"),
        both("attendance calendar, big project", f"/projects/{big.pk}/attendance/?month={month}"),
        both("anomalies: double shift, 1 day", f"/attendance/anomalies/?tab=double_shift&{d1}"),
        both("anomalies: double shift, 30 days", f"/attendance/anomalies/?tab=double_shift&{d30}"),
        both("anomalies: no exit, 1 day", f"/attendance/anomalies/?tab=no_exit&{d1}"),
        both("anomalies: no exit, 30 days", f"/attendance/anomalies/?tab=no_exit&{d30}"),
        both("anomalies: off site, 30 days", f"/attendance/anomalies/?tab=off_site&{d30}"),
        both("anomalies: key posts, 30 days", f"/attendance/anomalies/?tab=key_posts&{d30}"),
        both("欠薪预警", "/labor/alerts/"),
        both("approvals", "/approvals/"),
        both("API /projects", "/api/v1/projects"),
        both("API /projects?q=住宅", "/api/v1/projects?q=住宅"),
        both("API /teams", "/api/v1/teams"),
        both("API /workers", "/api/v1/workers"),
        (
            "API /workers, middle page",
            f"/api/v1/workers?page={deep(city, 50)}",
            f"/api/v1/workers?page={deep(town, 50)}",
        ),
        both("API /workers?q=王", "/api/v1/workers?q=王"),
        both("API /employments", "/api/v1/employments"),
        (
            "API /employments, middle page",
            f"/api/v1/employments?page={deep(city, 50)}",
            f"/api/v1/employments?page={deep(town, 50)}",
        ),
        both("API /enterprises", "/api/v1/enterprises"),
    ]


def exports(city_month: str, big: int, small: int) -> list[tuple[str, str, str]]:
    """(label, user, URL): each export at a small and a big size, to see whether memory follows the rows."""
    return [
        (
            "attendance month of a small project",
            "city",
            f"/projects/{small}/attendance/export/?month={city_month}",
        ),
        (
            "attendance month of the big project",
            "city",
            f"/projects/{big}/attendance/export/?month={city_month}",
        ),
        (
            "people of a small project (API xlsx)",
            "city",
            f"/api/v1/employments/export.xlsx?project={small}",
        ),
        (
            "people of the big project (API xlsx)",
            "city",
            f"/api/v1/employments/export.xlsx?project={big}",
        ),
        ("people, all in the town (API xlsx)", "town", "/api/v1/employments/export.xlsx"),
        ("people, all in scope (API xlsx)", "city", "/api/v1/employments/export.xlsx"),
        ("欠薪预警 xlsx, town", "town", "/labor/alerts/?export=xlsx"),
        ("欠薪预警 xlsx", "city", "/labor/alerts/?export=xlsx"),
        ("企业信用等级 xlsx", "city", "/compliance/credit/export.xlsx"),
    ]


def small_project() -> int:
    """A project of the long tail with at least 20 people on its roster (the fewest such)."""
    from django.db.models import Count

    from smz.registry.models import Employment

    row = (
        Employment.objects.values("project")
        .annotate(n=Count("pk"))
        .filter(n__gte=20)
        .order_by("n", "project")
        .first()
    )
    assert row is not None
    return int(row["project"])


def fmt(f: Figure | None) -> str:
    if f is None:
        return "—"
    mark = "" if f.status == 200 else f" ({f.status})"
    return f"{f.p50:.0f} / {f.p95:.0f}{mark}"


def verdict(row: Row) -> str:
    figs = [f for f in row.figures.values() if f is not None]
    if any(f.status != 200 for f in figs):
        return "ERROR"
    return "PASS" if all(f.p95 < TARGET_MS for f in figs) else "MISS"


def run(args: argparse.Namespace) -> dict[str, Any]:
    from django.test import Client
    from django.urls import resolve

    from smz.accounts.models import User
    from smz.attendance.models import DailyAttendance, PassRecord
    from smz.attendance.scale import CITY_LOGIN, CODE_PREFIX, TOWN_LOGIN
    from smz.registry.models import Project, Worker

    users = {
        "city": User.objects.get(username=CITY_LOGIN),
        "town": User.objects.get(username=TOWN_LOGIN),
    }
    clients = {}
    for key, user in users.items():
        clients[key] = Client()
        clients[key].force_login(user)
    say(
        f"data: {Project.objects.count():,} projects, {Worker.objects.count():,} workers,"
        f" {PassRecord.objects.count():,} passes, {DailyAttendance.objects.count():,} daily rows"
    )
    pattern = re.compile(args.only) if args.only else None
    rows = []
    say(
        "\n| page | city p50 / p95 ms | town p50 / p95 ms | target p95 | verdict | queries city/town |"
    )
    say("|---|---:|---:|---:|---|---:|")
    for label, city_url, town_url in pages(users["city"], users["town"]):
        if pattern and not pattern.search(label):
            continue
        row = Row(label)
        for key, url in (("city", city_url), ("town", town_url)):
            row.figures[key] = measure(clients[key], url, args)
        rows.append(row)
        q = "/".join(str(f.queries) for f in row.figures.values() if f)
        say(
            f"| {label} | {fmt(row.figures['city'])} | {fmt(row.figures['town'])} | < {TARGET_MS:.0f}"
            f" | {verdict(row)} | {q} |"
        )
    passed = sum(verdict(r) == "PASS" for r in rows)
    say(
        f"\n{passed} of {len(rows)} pages meet p95 < {TARGET_MS:.0f} ms for both users; load {load()}"
    )
    summary: dict[str, Any] = {
        "passes": PassRecord.objects.count(),
        "pages": [
            {"name": r.label, "user": user, "p50_ms": f.p50, "p95_ms": f.p95, "status": f.status}
            for r in rows
            for user, f in r.figures.items()
            if f is not None
        ],
        "load": load(),
    }
    if args.no_exports:
        return summary
    big = Project.objects.get(code=f"{CODE_PREFIX}0000000").pk
    last = DailyAttendance.objects.order_by("-work_date").values_list("work_date", flat=True)[0]
    chosen = [
        (label, user, url)
        for label, user, url in exports(f"{last:%Y-%m}", big, small_project())
        if not pattern or pattern.search(label)
    ]
    # Each route's first (smallest) export once in this process before the children fork: the imports and
    # caches of a first request are then not counted as the export's memory.
    warmed: set[str] = set()
    for _label, user, url in chosen:
        if (route := resolve(urlsplit(url).path).view_name) not in warmed:
            warmed.add(route)
            _consume(clients[user].get(url))
    say("\n| export | user | status | seconds | memory above start, MB | bytes |")
    say("|---|---|---:|---:|---:|---:|")
    for label, user, url in chosen:
        status, took, mb, size = export_in_child(clients[user], url)
        say(f"| {label} | {user} | {status} | {took:.1f} | {mb:.0f} | {size:,} |")
        summary.setdefault("exports", []).append(
            {"name": label, "user": user, "status": status, "seconds": took, "mb_above_start": mb}
        )
    return summary


def main() -> int:
    args = parse_args()
    var_dir = Path(tempfile.mkdtemp(prefix="smz_bench_"))
    os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
    if args.reuse_db:
        admin = None
        parts = urlsplit(args.admin_url)
        name, url = args.reuse_db, urlunsplit(parts._replace(path=f"/{args.reuse_db}"))
    else:
        admin, name, url = create_database(args.admin_url)
    say(
        f"smz pages benchmark — database {name}, code {code_version()}, {os.cpu_count()} cores,"
        f" {time.strftime('%Y-%m-%d %H:%M:%S %Z')}, load {load()}"
    )
    try:
        if not args.reuse_db:
            t0 = time.perf_counter()
            seed(url, args)
            say(f"seeded in {time.perf_counter() - t0:.0f} s")
        django_setup(url, var_dir)
        summary = run(args)
        if args.summary:
            summary["code"] = code_version()
            args.summary.write_text(json.dumps(summary, indent=2))
    finally:
        if admin is not None:
            bench_teardown(admin, name, var_dir, keep_db=args.keep_db)
        else:
            from django.db import connections

            connections.close_all()
            say(f"\nreused database {name} (kept)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
