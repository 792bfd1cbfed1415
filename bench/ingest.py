"""Ingest benchmark on PostgreSQL (issue 4, item 9). Results and method: docs/bench.md.

    .venv/bin/python bench/ingest.py            # or: make bench   (about 4 minutes on 2 cores)
    .venv/bin/python bench/ingest.py --help     # sizes, gunicorn and client settings

0. The cost of one durable commit on this disk (the floor under every write).
1. Core: `pass_records_ingest` in 1,000-record batches (validate + dedup + durable insert + the
   recompute task row it enqueues) against raw `COPY` (psycopg cursor.copy) of the same rows
   into `attendance_passrecord`. The methods run interleaved batch by batch, each on its own device,
   so the unique (device, record id) index grows alike for all and load from other processes falls
   on all alike; wall clock and CPU (this process + its PostgreSQL backend) are both reported.
   What-ifs in the same run: server-side binding for the ingest, COPY into the table without FKs.
   Then one ingest call taken apart: every statement timed, and a cProfile of the Python side.
2. HTTP: gunicorn serving `config.wsgi`, driven by client processes (stdlib http.client, keep-alive)
   posting signed 100-record batches to /device/v1/passes from many devices; CPU of gunicorn,
   PostgreSQL and the clients is read from /proc. With py-spy in the venv (`pip install py-spy`, not a
   project requirement) the gunicorn workers are sampled and the samples folded into request phases.
3. Where the time goes: one request path run in-process through the same WSGI handler gunicorn
   calls, first with every SQL statement and commit timed, then under cProfile.

Creates its own database (smz_bench_<pid>) and a scratch SMZ_VAR_DIR, and drops both at the end.
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import datetime as dt
import hashlib
import http.client
import io
import json
import multiprocessing as mp
import os
import pstats
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PASSES_PATH = "/device/v1/passes"
TARGET_RECORDS_PER_S = 28_000  # national morning peak (issue 4)
CST = dt.timezone(dt.timedelta(hours=8))


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument(
        "--admin-url",
        default=os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432/postgres"),
    )
    p.add_argument("--workers", type=int, default=2000, help="workers employed on the project")
    p.add_argument("--rows", type=int, default=50_000, help="rows per core run (ingest and COPY)")
    p.add_argument("--batch", type=int, default=1000, help="records per ingest call / COPY")
    p.add_argument("--snapshot-rows", type=int, default=3000, help="rows with a JPEG (0: skip)")
    p.add_argument(
        "--http-batches", type=int, default=400, help="100-record batches over HTTP (0: skip)"
    )
    p.add_argument("--http-records", type=int, default=100, help="records per HTTP batch")
    p.add_argument(
        "--http-snapshot-batches", type=int, default=40, help="HTTP batches with JPEGs (0: skip)"
    )
    p.add_argument("--devices", type=int, default=200, help="devices for the HTTP run")
    p.add_argument(
        "--checkin-devices",
        type=int,
        default=500,
        help="devices each sending single check-ins on its own connection (0: skip)",
    )
    p.add_argument(
        "--checkin-intervals",
        default="10,5,2",
        help="seconds between one device's check-ins; one run per value (comma-separated)",
    )
    p.add_argument("--checkin-seconds", type=float, default=30.0, help="length of the check-in run")
    p.add_argument(
        "--disk-mb", type=int, default=400, help="MB written by the disk-limit probe (0: skip)"
    )
    p.add_argument("--summary", type=Path, help="write the headline figures to this JSON file")
    p.add_argument("--clients", type=int, default=4, help="client processes")
    p.add_argument("--conns", type=int, default=2, help="keep-alive connections per client process")
    p.add_argument("--gunicorn-workers", type=int, default=3)
    p.add_argument("--gunicorn-threads", type=int, default=2)
    p.add_argument("--profile-requests", type=int, default=60, help="in-process requests profiled")
    p.add_argument("--py-spy", type=int, default=8, help="seconds of py-spy sampling (0: skip)")
    p.add_argument("--no-what-if", dest="what_if", action="store_false", help="skip what-if runs")
    p.add_argument("--keep-db", action="store_true", help="do not drop the database at the end")
    return p.parse_args()


# --- output ---------------------------------------------------------------------------------------


def say(msg: str = "") -> None:
    print(msg, flush=True)


def rate(n: int, seconds: float) -> str:
    return f"{n / seconds:,.0f}" if seconds > 0 else "inf"


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


# --- database lifecycle ---------------------------------------------------------------------------


@dataclass
class Bench:
    args: argparse.Namespace
    db_name: str
    db_url: str
    var_dir: Path
    admin: Any  # psycopg connection to the maintenance database (autocommit)
    project: Any = None
    workers: list[int] = field(default_factory=list)
    actor: Any = None
    device_seq: int = 0
    jpeg: bytes = b""
    summary: dict[str, Any] = field(default_factory=dict)  # headline figures for bench/all.py


def create_database(admin_url: str) -> tuple[Any, str, str]:
    import psycopg

    name = f"smz_bench_{os.getpid()}"
    admin = psycopg.connect(admin_url, autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    base = admin_url.rsplit("/", 1)[0]
    return admin, name, f"{base}/{name}"


def drop_database(admin: Any, name: str) -> None:
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def bench_teardown(admin: Any, name: str, var_dir: Path, *, keep_db: bool) -> None:
    """End of every benchmark: close Django's connections (it may not be set up; DROP … WITH (FORCE) ends
    sessions anyway), drop the bench database unless kept, remove the bench's files."""
    with suppress(Exception):
        from django.db import connections

        connections.close_all()
    if keep_db:
        say(f"\nkept database {name} (drop it with: DROP DATABASE {name})")
    else:
        drop_database(admin, name)
    admin.close()
    shutil.rmtree(var_dir, ignore_errors=True)


def django_setup(db_url: str, var_dir: Path) -> None:
    os.environ.update(
        DATABASE_URL=db_url,
        SMZ_VAR_DIR=str(var_dir),
        DEBUG="0",
        LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="config.settings",
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


# --- the world: one project, ~2,000 workers employed on it, devices ---------------------------------


def site_with_workers(*, seq: int, prefix: str, workers: int) -> tuple[Any, Any, Any, list[str]]:
    """One active project of a new GC (and its builder) in 小榄 with one team, and `workers` people with distinct
    synthetic ID numbers (bulk): (gc, project, team, the ID numbers). Shared by the benchmarks."""
    from smz.registry.identity import id_number_index
    from smz.registry.models import Enterprise, Jurisdiction, Participant, Project, Team, Worker
    from smz.registry.synthetic import synthetic_id_number, synthetic_uscc

    gc = Enterprise.objects.create(
        corp_code=synthetic_uscc(seq=seq + 1), name=f"{prefix}建设集团有限公司", reg_type="150"
    )
    builder = Enterprise.objects.create(
        corp_code=synthetic_uscc(seq=seq + 2), name=f"{prefix}置业有限公司", reg_type="150"
    )
    jurisdiction = (
        Jurisdiction.objects.filter(short_name="小榄").first() or Jurisdiction.objects.first()
    )
    project = Project.objects.create(
        code=f"4420002026{seq + 100:05d}",
        name=f"{prefix}住宅项目",
        permit_no=f"442000202601{seq + 100:05d}",
        kind=Project.Kind.BUILDING,
        floor_area_m2=80000,
        jurisdiction=jurisdiction,
        builder=builder,
        permit_issued_on=dt.date(2026, 1, 10),
        planned_start=dt.date(2026, 2, 1),
        status=Project.Status.ACTIVE,
    )
    Participant.objects.create(project=project, enterprise=gc, corp_type=Participant.GC)
    Participant.objects.create(project=project, enterprise=builder, corp_type=Participant.BUILDER)
    team = Team.objects.create(project=project, enterprise=gc, name=f"{prefix}钢筋班")
    people, numbers = [], []
    for i in range(workers):
        birth = dt.date(1970, 1, 1) + dt.timedelta(
            days=i
        )  # distinct birth date → distinct ID number
        idn = synthetic_id_number(birth=birth, seq=i, male=i % 5 != 0)
        numbers.append(idn)
        people.append(
            Worker(
                id_card_type="01",
                id_number=idn,
                id_number_index=id_number_index("01", idn),
                name=f"压测工{i:05d}",
                gender="1" if i % 5 else "2",
                nation="01",
                birth_date=birth,
            )
        )
    Worker.objects.bulk_create(people, batch_size=500)
    return gc, project, team, numbers


def build_world(b: Bench) -> None:
    """Like conftest.py's world, but one project and many workers (ORM bulk + synthetic identifiers)."""
    from smz.accounts.models import User
    from smz.registry.models import (
        Employment,
        Worker,
    )

    gc, project, team, _ = site_with_workers(seq=9000, prefix="压测", workers=b.args.workers)
    b.workers = list(Worker.objects.order_by("pk").values_list("pk", flat=True))
    Employment.objects.bulk_create(
        [
            Employment(
                project=project,
                worker_id=w,
                employer=gc,
                team=team,
                work_type="020",
                work_role="20",
                entry_on=dt.date(2026, 3, 1),
            )
            for w in b.workers
        ],
        batch_size=500,
    )
    b.project = project
    b.actor = User.objects.create(username="bench", is_superuser=True, display_name="bench")


def new_device(b: Bench, prefix: str) -> tuple[Any, str]:
    from smz.devices.models import Device
    from smz.devices.services import device_register

    b.device_seq += 1
    return device_register(
        actor=b.actor,
        project=b.project,
        serial=f"{prefix}-{b.device_seq:05d}",
        kind=Device.Kind.FACE_GATE,
        protocol=Device.Protocol.DIRECT_V1,
        entrance=f"{b.device_seq % 4 + 1}号门",
        direction=Device.Direction.IN,
    )


def small_jpeg(width: int = 320, height: int = 240) -> bytes:
    """The smallest snapshot that still counts (320×240), blurred noise over a gradient (~9 KB at
    quality 75, about what a face gate sends at this size)."""
    from PIL import Image, ImageFilter

    gradient = Image.linear_gradient("L").resize((width, height))
    noise = Image.effect_noise((width, height), 60).filter(ImageFilter.GaussianBlur(1.5))
    img = Image.merge("RGB", (gradient, noise, Image.blend(gradient, noise, 0.5)))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=75)
    return buf.getvalue()


def distinct_jpeg(jpeg: bytes, tag: str) -> str:
    """The JPEG with a comment segment (FFFE) naming the record, base64: every snapshot is distinct,
    as real ones are (the ingest path stores snapshots content-addressed)."""
    comment = tag.encode()
    segment = b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment
    return base64.b64encode(jpeg[:2] + segment + jpeg[2:]).decode()


def record_dicts(
    serial: str, start: int, n: int, workers: list[int], now: dt.datetime, snapshot: bytes | None
) -> list[dict[str, Any]]:
    """Wire-format records (device-direct §6): distinct ids, passes spread over the last 6 hours."""
    out = []
    for i in range(start, start + n):
        when = (now - dt.timedelta(seconds=(i * 7919) % 21_600 + 60)).astimezone(CST)
        r = {
            "record_id": f"{serial}-{i:08d}",
            "person_id": workers[(i * 31) % len(workers)],
            "time": when.isoformat(timespec="seconds"),
            "direction": "in",
            "verify_mode": "face",
            "similarity": 92.5,
        }
        if snapshot is not None:
            r["snapshot"] = distinct_jpeg(snapshot, r["record_id"])
        out.append(r)
    return out


def raw_passes(records: list[dict[str, Any]]) -> list[Any]:
    """What the device-direct adapter hands to the ingest path (same conversion as smz/terminals/direct.py)."""
    from smz.attendance.ingest import RawPass

    return [
        RawPass(
            record_id=r["record_id"],
            person_id=r["person_id"],
            event_time=r["time"],
            direction=r["direction"],
            verify_mode=r["verify_mode"],
            similarity=r["similarity"],
            snapshot=r.get("snapshot"),
        )
        for r in records
    ]


def copy_rows(
    device: Any, records: list[dict[str, Any]], now: dt.datetime, with_snapshot: bool
) -> list[tuple]:
    """The rows the ingest path would insert for these records, ready for COPY."""
    from decimal import Decimal

    from smz.core.timeutil import business_date

    rows = []
    for r in records:
        moment = dt.datetime.fromisoformat(r["time"])
        day = business_date(moment)
        digest = hashlib.sha256(r["record_id"].encode()).hexdigest()
        snap = f"snap/{day:%Y/%m}/{digest}.jpg" if with_snapshot else ""
        rows.append(
            (
                device.pk,
                r["record_id"],
                device.project_id,
                r["person_id"],
                moment.astimezone(dt.UTC),
                480,
                day,
                now,
                None,
                r["direction"],
                r["verify_mode"],
                Decimal(str(r["similarity"])),
                snap,
                320 if with_snapshot else None,
                240 if with_snapshot else None,
                None,
                None,
                with_snapshot,
                "" if with_snapshot else "no_snapshot",
                False,
            )
        )
    return rows


# --- 1. core: pass_records_ingest vs COPY ----------------------------------------------------------


def pass_tables() -> tuple[str, ...]:
    """Pass records and their keys, stored batch answers, and the task queue table (django-tasks-db)."""
    from django_tasks_db.models import DBTaskResult

    from smz.attendance.models import IngestBatch, PassKey, PassRecord

    return (
        PassRecord._meta.db_table,
        PassKey._meta.db_table,
        IngestBatch._meta.db_table,
        DBTaskResult._meta.db_table,
    )


def reset_pass_tables(b: Bench) -> None:
    """Empty the pass tables so each run starts with equal indexes; checkpoint so no run pays another's."""
    import psycopg

    with psycopg.connect(b.db_url, autocommit=True) as conn:
        conn.execute(f"TRUNCATE {', '.join(pass_tables())} CASCADE")
        conn.execute("CHECKPOINT")
    shutil.rmtree(b.var_dir / "private" / "snap", ignore_errors=True)


CLK_TCK = os.sysconf("SC_CLK_TCK")


def machine_busy() -> float:
    """Busy CPU-seconds of the whole machine, all cores (from /proc/stat)."""
    with open("/proc/stat") as fh:
        vals = [int(x) for x in fh.readline().split()[1:9]]
    return (sum(vals) - vals[3] - vals[4]) / CLK_TCK


@dataclass
class Acc:
    """Accumulated wall time and CPU (this process; the PostgreSQL backend serving it) of one method."""

    wall: float = 0.0
    app: float = 0.0
    db: float = 0.0

    def run(self, backend_pid: int, fn: Callable[[], Any]) -> Any:
        t = os.times()
        a0, d0, t0 = t.user + t.system, cpu_seconds(backend_pid), time.perf_counter()
        result = fn()
        self.wall += time.perf_counter() - t0
        t = os.times()
        self.app += t.user + t.system - a0
        self.db += cpu_seconds(backend_pid) - d0
        return result

    def line(self, name: str, rows: int) -> str:
        return (
            f"{name:<34} {rate(rows, self.wall):>7} rows/s  ({self.wall:6.2f} s)   CPU "
            f"{(self.app + self.db) / rows * 1e6:5.0f} µs/row = app {self.app / rows * 1e6:4.0f}"
            f" + db {self.db / rows * 1e6:3.0f}"
        )


def django_connection(*, server_side_binding: bool) -> Any:
    """A second wrapper for the default alias (same database), optionally with server-side binding."""
    import copy

    from django.db import connections

    wrapper = connections.create_connection("default")
    wrapper.settings_dict = copy.deepcopy(wrapper.settings_dict)
    if server_side_binding:
        wrapper.settings_dict.setdefault("OPTIONS", {})["server_side_binding"] = True
    wrapper.ensure_connection()
    return wrapper


def table_counts(b: Bench) -> tuple[int, int]:
    import psycopg

    with psycopg.connect(b.db_url, autocommit=True) as conn:
        passes_table, _, _, tasks_table = pass_tables()
        passes = conn.execute(f"SELECT count(*) FROM {passes_table}").fetchone()[0]  # noqa: S608
        tasks = conn.execute(f"SELECT count(*) FROM {tasks_table}").fetchone()[0]  # noqa: S608
    return passes, tasks


def core_section(b: Bench, *, rows: int, snapshot: bool) -> dict[str, Any]:
    """COPY and ingest of the same rows, interleaved batch by batch (each method on its own device,
    the order rotating), so load from other processes falls on every method alike."""
    import psycopg
    from django.db import connections
    from django.utils import timezone

    from smz.attendance.ingest import pass_records_ingest

    args = b.args
    what_if = args.what_if and not snapshot
    label = (
        f"with a distinct {len(b.jpeg) / 1024:.0f} KB 320×240 JPEG per record"
        if snapshot
        else "no snapshot (stored invalid 'no_snapshot')"
    )
    say(f"\n== 1{'b' if snapshot else 'a'}. Ingest core vs COPY: {rows:,} rows each, {label} ==")
    reset_pass_tables(b)
    now = timezone.now()
    from smz.attendance.ingest import PASS_COLUMNS  # the columns the ingest path itself copies

    copy_sql = f"COPY {{table}} ({', '.join(PASS_COLUMNS)}) FROM STDIN"
    methods: dict[str, Acc] = {"copy": Acc(), "ingest": Acc()}
    if what_if:
        methods |= {"ingest_ssb": Acc()}
    copy_device, _ = new_device(b, "COPY")
    rows_for_copy = copy_rows(
        copy_device, record_dicts(copy_device.serial, 0, rows, b.workers, now, None), now, snapshot
    )
    ingest_devices = {m: new_device(b, m.upper())[0] for m in methods if m.startswith("ingest")}
    wrappers = {
        m: django_connection(server_side_binding=m == "ingest_ssb")
        for m in methods
        if m.startswith("ingest")
    }
    original = connections["default"]
    copy_conn = psycopg.connect(b.db_url)
    statuses: dict[str, int] = defaultdict(int)
    busy0, t_start = machine_busy(), time.perf_counter()
    try:
        for n, i in enumerate(range(0, rows, args.batch)):
            order = list(methods)
            order = order[n % len(order) :] + order[: n % len(order)]
            for method in order:
                acc = methods[method]
                if method.startswith("copy"):
                    table = "attendance_passrecord"

                    def copy_batch(table: str = table, i: int = i) -> None:
                        with (
                            copy_conn.cursor() as cur,
                            cur.copy(copy_sql.format(table=table)) as cp,
                        ):
                            for row in rows_for_copy[i : i + args.batch]:
                                cp.write_row(row)
                        copy_conn.commit()

                    acc.run(copy_conn.info.backend_pid, copy_batch)
                else:
                    device = ingest_devices[method]
                    batch = raw_passes(
                        record_dicts(
                            device.serial,
                            i,
                            args.batch,
                            b.workers,
                            now,
                            b.jpeg if snapshot else None,
                        )
                    )
                    wrapper = wrappers[method]
                    connections["default"] = wrapper
                    try:
                        answers = acc.run(
                            wrapper.connection.info.backend_pid,
                            lambda device=device, batch=batch, i=i: pass_records_ingest(
                                device=device, records=batch, batch_id=f"core-{i}"
                            ),
                        )
                    finally:
                        connections["default"] = original
                    if method == "ingest":
                        for a in answers:
                            statuses[
                                a["status"] if a.get("valid", True) else "accepted_invalid"
                            ] += 1
    finally:
        copy_conn.close()
        for wrapper in wrappers.values():
            wrapper.close()
    elapsed = time.perf_counter() - t_start
    ours = sum(acc.app + acc.db for acc in methods.values())
    others = max(0.0, machine_busy() - busy0 - ours) / elapsed
    stored, tasks = table_counts(b)
    per_table = rows * (len(methods) - (1 if what_if else 0))
    say(
        f"  interleaved in {args.batch}-row batches, one commit each; rows/s is wall clock; CPU µs/row = "
        "this process + its PostgreSQL backend (robust to other load); other processes used "
        f"{others:.2f} of {os.cpu_count()} cores meanwhile"
    )
    say("    " + methods["copy"].line("COPY (psycopg cursor.copy)", rows))
    say("    " + methods["ingest"].line("pass_records_ingest", rows))
    cp, ing = methods["copy"], methods["ingest"]
    ratio = cp.wall / ing.wall
    cpu_ratio = (cp.app + cp.db) / (ing.app + ing.db)
    say(
        f"  ingest/COPY = {ratio:.2f} by wall clock, {cpu_ratio:.2f} by CPU cost "
        f"(target ≥ 0.5: {'met' if min(ratio, cpu_ratio) >= 0.5 else 'NOT met'})"
    )
    say(
        f"  ingest answers {dict(statuses)}; table holds {stored:,} rows (expected {per_table:,}); "
        f"recompute tasks enqueued: {tasks} (one per ingest call)"
    )
    say(
        "  ingest is the real path: validation, replay/roster/boundary/dedup queries, the insert, the "
        "batch-answer row, the device's last_upload_at, and the recompute task row that "
        "django-tasks-db inserts (one per call)"
    )
    if what_if:
        say("  what-ifs, same run (no smz change):")
        say("    " + methods["ingest_ssb"].line("ingest, server_side_binding=True", rows))
        ssb = methods["ingest_ssb"]
        say(
            f"    server-side binding: ingest CPU {(ssb.app + ssb.db) / (ing.app + ing.db) - 1:+.0%}, wall "
            f"{ssb.wall / ing.wall - 1:+.0%} (the pass table checks no foreign key since attendance 0018: "
            "the COPY-without-foreign-keys what-if of before is the table itself)"
        )
    return {"methods": methods, "ratio": ratio, "cpu_ratio": cpu_ratio, "others": others}


def core_breakdown(b: Bench) -> None:
    """One 1,000-record ingest call: statements, their time, and a cProfile of the Python side."""
    from django.utils import timezone

    say(f"\n== 1c. One {b.args.batch}-record ingest call, measured ==")
    from smz.attendance.ingest import pass_records_ingest

    device, _ = new_device(b, "CPROF")
    now = timezone.now()
    calls = 5
    batches = [
        raw_passes(
            record_dicts(device.serial, n * b.args.batch, b.args.batch, b.workers, now, None)
        )
        for n in range(calls * 2)
    ]
    with sql_timer() as timer:
        t0 = time.perf_counter()
        for n in range(calls):
            pass_records_ingest(device=device, records=batches[n], batch_id=f"t-{n}")
        wall = (time.perf_counter() - t0) / calls
    timer.report(calls, wall)
    prof = cProfile.Profile()
    prof.enable()
    for n in range(calls, calls * 2):
        pass_records_ingest(device=device, records=batches[n], batch_id=f"p-{n}")
    prof.disable()
    stats = pstats.Stats(prof)
    total = cum(stats, "smz/attendance/ingest.py", "pass_records_ingest")
    rows = [
        ("validation (_check ×1000)", cum(stats, "smz/attendance/ingest.py", "_check")),
        ("  of which ISO time parse", cum(stats, "smz/core/timeutil.py", "parse_aware")),
        ("business_date (zoneinfo)", cum(stats, "smz/core/timeutil.py", "business_date")),
        ("PassRecord(...) construction", cum(stats, "django/db/models/base.py", "__init__")),
        ("bulk_create (ORM + INSERT)", cum(stats, "django/db/models/query.py", "bulk_create")),
        ("  of which SQL compile", cum(stats, "django/db/models/sql/compiler.py", "as_sql")),
        (
            "QuerySet.create (answers + task rows)",
            cum(stats, "django/db/models/query.py", "create"),
        ),
        (
            "enqueue recompute task",
            cum(stats, "smz/attendance/ingest.py", "_schedule_recompute"),
        ),
        ("psycopg execute (all SQL)", cum(stats, "psycopg/cursor.py", "execute")),
        ("commit", cum(stats, "psycopg/connection.py", "commit")),
    ]
    say(
        f"  cProfile of {calls} calls (profiler inflates Python-heavy parts): per call {total / calls * 1000:.1f} ms"
    )
    for name, secs in rows:
        say(
            f"    {name:<34} {secs / calls * 1000:7.1f} ms  {secs / total * 100 if total else 0:5.1f}%"
        )
    top_functions(stats, calls)

    # The snapshot path: decode, header read, content address, one sealed pack per batch.
    snap_calls = 2
    snap_batches = [
        raw_passes(
            record_dicts(
                device.serial, (100 + n) * b.args.batch, b.args.batch, b.workers, now, b.jpeg
            )
        )
        for n in range(snap_calls)
    ]
    prof = cProfile.Profile()
    prof.enable()
    for n, batch in enumerate(snap_batches):
        pass_records_ingest(device=device, records=batch, batch_id=f"s-{n}")
    prof.disable()
    stats = pstats.Stats(prof)
    total = cum(stats, "smz/attendance/ingest.py", "pass_records_ingest")
    say(
        f"  cProfile, {b.args.batch} records with a JPEG each: per call {total / snap_calls * 1000:.1f} ms"
    )
    for name, secs in [
        (
            "base64 decode (a2b_base64, strict)",
            cum(stats, "~", "<built-in method binascii.a2b_base64>"),
        ),
        (
            "JPEG size from the header (jpeg_size)",
            cum(stats, "smz/attendance/snapshots.py", "jpeg_size"),
        ),
        ("content address (sha256)", cum(stats, "~", "<built-in method _hashlib.openssl_sha256>")),
        (
            "the batch's pack (snapshots_pack)",
            cum(stats, "smz/attendance/snapshots.py", "snapshots_pack"),
        ),
        ("  of which sealing (AES-GCM)", cum(stats, "smz/core/crypto.py", "encrypt_file")),
        (
            "  of which write + 2 fsyncs",
            cum(stats, "smz/core/storage.py", "pack_write")
            - cum(stats, "smz/core/crypto.py", "encrypt_file"),
        ),
        (
            "pack entries indexed (snapshot_blobs_record)",
            cum(stats, "smz/attendance/snapshots.py", "snapshot_blobs_record"),
        ),
    ]:
        say(
            f"    {name:<44} {secs / snap_calls * 1000:7.1f} ms  {secs / total * 100 if total else 0:5.1f}%"
        )
    file_what_if(b)


def file_what_if(b: Bench) -> None:
    """What one snapshot file costs through default_storage (exists + save) vs a plain exclusive
    create-and-write of the same bytes (content-addressed names make get_available_name moot)."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    data = [base64.b64decode(distinct_jpeg(b.jpeg, f"what-if-{i}")) for i in range(b.args.batch)]
    names = [f"snap/what-if/{hashlib.sha256(d).hexdigest()}.jpg" for d in data]
    t0 = time.perf_counter()
    for name, d in zip(names, data, strict=True):
        if not default_storage.exists(name):
            default_storage.save(name, ContentFile(d))
    storage_s = time.perf_counter() - t0
    plain = b.var_dir / "plain-what-if"
    plain.mkdir(exist_ok=True)
    t0 = time.perf_counter()
    for name, d in zip(names, data, strict=True):
        try:
            fd = os.open(
                plain / name.rsplit("/", 1)[1], os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640
            )
        except FileExistsError:
            continue
        try:
            os.write(fd, d)
        finally:
            os.close(fd)
    plain_s = time.perf_counter() - t0
    say(
        f"  what-if, {len(data)} snapshot files (no profiler): default_storage exists+save "
        f"{storage_s / len(data) * 1e6:.0f} µs/file vs plain O_EXCL create+write "
        f"{plain_s / len(data) * 1e6:.0f} µs/file"
    )


# --- SQL timing -----------------------------------------------------------------------------------


class SqlTimer:
    def __init__(self) -> None:
        self.by_label: dict[str, list[float]] = defaultdict(list)
        self.commits: list[float] = []

    def __call__(self, execute: Callable, sql: str, params: Any, many: bool, context: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.by_label[sql_label(sql)].append(time.perf_counter() - t0)

    def report(self, calls: int, wall: float) -> None:
        n = sum(len(v) for v in self.by_label.values())
        sql_s = sum(sum(v) for v in self.by_label.values())
        commit_s = sum(self.commits)
        say(
            f"  per call: wall {wall * 1000:.1f} ms | {n / calls:.1f} statements, "
            f"{sql_s / calls * 1000:.1f} ms in SQL | {len(self.commits) / calls:.1f} explicit commits, "
            f"{commit_s / calls * 1000:.1f} ms | Python (Django + smz) "
            f"{(wall - (sql_s + commit_s) / calls) * 1000:.1f} ms"
        )
        for label, times in sorted(self.by_label.items(), key=lambda kv: -sum(kv[1])):
            say(f"    {len(times) / calls:4.1f}× {label:<48} {sum(times) / calls * 1000:7.2f} ms")
        if self.commits:
            say(
                f"    {len(self.commits) / calls:4.1f}× {'COMMIT (atomic block)':<48} {commit_s / calls * 1000:7.2f} ms"
            )


def sql_label(sql: str) -> str:
    verb = sql.lstrip().split(None, 1)[0].upper()
    if verb in ("SAVEPOINT", "RELEASE", "ROLLBACK"):
        return "SAVEPOINT / RELEASE SAVEPOINT"
    m = re.search(r'\b(?:FROM|INTO|UPDATE)\s+"?(\w+)"?', sql, re.IGNORECASE)
    return f"{verb} {m.group(1)}" if m else verb


@contextmanager
def sql_timer() -> Iterator[SqlTimer]:
    """Time every statement (execute_wrapper) and every commit of the default connection."""
    from django.db import connection

    timer = SqlTimer()
    original = connection.commit

    def commit() -> None:
        t0 = time.perf_counter()
        try:
            original()
        finally:
            timer.commits.append(time.perf_counter() - t0)

    connection.commit = commit
    try:
        with connection.execute_wrapper(timer):
            yield timer
    finally:
        del connection.commit


def top_functions(stats: pstats.Stats, calls: int, n: int = 14) -> None:
    say("  top functions by own time:")
    rows = sorted(stats.stats.items(), key=lambda kv: -kv[1][2])[:n]  # type: ignore[attr-defined]
    for (filename, line, name), (_cc, nc, tt, ct, _callers) in rows:
        short = re.sub(r".*/(site-packages|lib/python3\.\d+|work/main)/", "", filename)
        say(
            f"    {tt / calls * 1000:6.2f} ms own, {ct / calls * 1000:7.2f} ms cum, "
            f"{nc / calls:7.0f} calls  {short}:{line} {name}"
        )


def cum(stats: pstats.Stats, path: str, func: str) -> float:
    """Cumulative seconds of the functions named `func` defined in files whose path ends in `path`."""
    total = 0.0
    for (filename, _line, name), (_cc, _nc, _tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        if name == func and filename.replace("\\", "/").endswith(path):
            total += ct
    return total


# --- 2. HTTP: gunicorn + client processes ----------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(b: Bench, port: int, probe: tuple[str, str]) -> subprocess.Popen:
    """Start gunicorn; ready when it answers a signed heartbeat and all workers are up."""
    from smz.core.signing import signed_headers

    env = os.environ | {
        "DATABASE_URL": b.db_url,
        "SMZ_VAR_DIR": str(b.var_dir),
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    cmd = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "config.wsgi",
        "--chdir",
        str(ROOT),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(b.args.gunicorn_workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(b.args.gunicorn_threads),
        "--keep-alive",
        "30",
        "--log-level",
        "warning",
    ]
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, start_new_session=True)  # noqa: S603 - fixed argv
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode}")
        try:
            serial, secret = probe
            headers = signed_headers(
                secret,
                serial,
                "POST",
                "/device/v1/heartbeat",
                b"{}",
                timestamp=int(time.time()),
                nonce=uuid.uuid4().hex,
            )
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("POST", "/device/v1/heartbeat", b"{}", headers)
            conn.getresponse().read()
            conn.close()
            if len(children(proc.pid)) >= b.args.gunicorn_workers:
                return proc
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError("gunicorn did not come up within 60 s")


def stop_gunicorn(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)  # the master stops its own workers
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    if int(fh.read().rsplit(")", 1)[1].split()[1]) == pid:
                        out.append(int(entry))
            except (OSError, IndexError, ValueError):
                continue
    return out


def cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def postgres_pids(b: Bench) -> dict[str, list[int]]:
    rows = b.admin.execute(
        "SELECT pid, backend_type, datname FROM pg_stat_activity WHERE datname = %s OR datname IS NULL",
        [b.db_name],
    ).fetchall()
    out: dict[str, list[int]] = {"backends": [], "background": []}
    for pid, kind, datname in rows:
        out[
            "backends" if datname == b.db_name and kind == "client backend" else "background"
        ].append(pid)
    return out


@dataclass
class ClientPlan:
    port: int
    devices: list[tuple[str, str]]  # (serial, secret)
    batches: int
    records: int
    start: int  # first record sequence number, distinct per phase
    workers: list[int]
    project_code: str
    snapshot: bytes | None
    conns: int


def passes_post(conn: http.client.HTTPConnection, serial: str, secret: str, body: bytes) -> None:
    """Send one signed upload (fresh nonce, the current time) as a device does; the answer is read by the caller."""
    from smz.core.signing import signed_headers

    headers = signed_headers(
        secret,
        serial,
        "POST",
        PASSES_PATH,
        body,
        timestamp=int(time.time()),
        nonce=uuid.uuid4().hex,
    )
    headers["Content-Type"] = "application/json"
    conn.request("POST", PASSES_PATH, body, headers)


def client_main(plan: ClientPlan, ready: Any, go: Any, out: Any) -> None:
    """One client process: pre-builds its bodies, then posts them over keep-alive connections."""

    now = dt.datetime.now(dt.UTC)
    bodies = []
    for k in range(plan.batches):
        serial, secret = plan.devices[k % len(plan.devices)]
        seq = plan.start + (k // len(plan.devices)) * plan.records
        body = json.dumps(
            {
                "batch_id": f"{serial}-{seq:08d}",
                "project_code": plan.project_code,
                "records": record_dicts(
                    serial, seq, plan.records, plan.workers, now, plan.snapshot
                ),
            }
        ).encode()
        bodies.append((serial, secret, body))
    conns = [
        http.client.HTTPConnection("127.0.0.1", plan.port, timeout=120) for _ in range(plan.conns)
    ]
    ready.wait()
    go.wait()
    t_start = time.perf_counter()
    cpu0 = os.times()
    latencies: list[float] = []
    accepted = errors = 0
    statuses: dict[int, int] = defaultdict(int)
    # Each connection carries every plan.conns-th batch; a connection waits for its answer before the
    # next send (a device does the same), so a process keeps up to plan.conns requests in flight.
    import selectors

    sel = selectors.DefaultSelector()
    pending: dict[int, tuple[http.client.HTTPConnection, float]] = {}
    queue = list(range(len(bodies)))

    def send(conn: http.client.HTTPConnection, k: int) -> None:
        serial, secret, body = bodies[k]
        passes_post(conn, serial, secret, body)
        pending[id(conn)] = (conn, time.perf_counter())
        sel.register(conn.sock, selectors.EVENT_READ, conn)

    for conn in conns:
        if queue:
            send(conn, queue.pop(0))
    while pending:
        for key, _ in sel.select():
            conn = key.data
            sel.unregister(conn.sock)
            _, t0 = pending.pop(id(conn))
            try:
                resp = conn.getresponse()
                data = resp.read()
                latencies.append(time.perf_counter() - t0)
                statuses[resp.status] += 1
                if resp.status == 200:
                    accepted += json.loads(data)["accepted"]
                else:
                    errors += 1
            except (OSError, http.client.HTTPException):
                errors += 1
                conn.close()
            if queue:
                send(conn, queue.pop(0))
    elapsed = time.perf_counter() - t_start
    cpu1 = os.times()
    out.put(
        {
            "latencies": latencies,
            "accepted": accepted,
            "errors": errors,
            "statuses": dict(statuses),
            "elapsed": elapsed,
            "cpu": (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system),
        }
    )


def http_run(
    b: Bench,
    gunicorn: subprocess.Popen,
    devices: list[tuple[str, str]],
    *,
    batches: int,
    start: int,
    snapshot: bytes | None,
    label: str,
    spy: Callable[[], subprocess.Popen] | None = None,
    quiet: bool = False,
) -> dict[str, Any]:
    from django.db import connections

    args = b.args
    connections.close_all()  # forked clients must not share the parent's database socket
    ctx = mp.get_context("fork")
    ready, go = ctx.Barrier(args.clients + 1), ctx.Barrier(args.clients + 1)
    out = ctx.Queue()
    procs = []
    for c in range(args.clients):
        mine = devices[c :: args.clients]
        n = batches // args.clients + (1 if c < batches % args.clients else 0)
        plan = ClientPlan(
            port=args.port,
            devices=mine,
            batches=n,
            records=args.http_records,
            start=start,
            workers=b.workers,
            project_code=b.project.code,
            snapshot=snapshot,
            conns=args.conns,
        )
        p = ctx.Process(target=client_main, args=(plan, ready, go, out), daemon=True)
        p.start()
        procs.append(p)
    ready.wait()  # bodies built
    server = [gunicorn.pid, *children(gunicorn.pid)]
    pg = postgres_pids(b)
    cpu0 = {
        "gunicorn": sum(cpu_seconds(p) for p in server),
        "pg_backends": sum(cpu_seconds(p) for p in pg["backends"]),
        "pg_background": sum(cpu_seconds(p) for p in pg["background"]),
    }
    m0 = machine_busy()
    t0 = time.perf_counter()
    go.wait()
    sampler = spy() if spy else None
    results = [out.get(timeout=1800) for _ in procs]
    wall = time.perf_counter() - t0
    machine = machine_busy() - m0
    if sampler is not None:
        sampler.wait(timeout=300)
    pg = postgres_pids(b)  # backends opened during the run count from zero
    cpu1 = {
        "gunicorn": sum(cpu_seconds(p) for p in server),
        "pg_backends": sum(cpu_seconds(p) for p in pg["backends"]),
        "pg_background": sum(cpu_seconds(p) for p in pg["background"]),
    }
    for p in procs:
        p.join()
    lat = [x for r in results for x in r["latencies"]]
    accepted = sum(r["accepted"] for r in results)
    errors = sum(r["errors"] for r in results)
    statuses: dict[int, int] = defaultdict(int)
    for r in results:
        for k, v in r["statuses"].items():
            statuses[k] += v
    cpu = {k: cpu1[k] - cpu0[k] for k in cpu0} | {"clients": sum(r["cpu"] for r in results)}
    others = max(0.0, machine - sum(cpu.values())) / wall
    res = {
        "label": label,
        "records_s": accepted / wall,
        "batches_s": len(lat) / wall,
        "p50": pct(lat, 0.5),
        "p95": pct(lat, 0.95),
        "p99": pct(lat, 0.99),
        "accepted": accepted,
        "errors": errors,
        "wall": wall,
        "cpu": cpu,
        "statuses": dict(statuses),
        "others": others,
    }
    say(
        f"  {label}: {accepted:,} records in {wall:.1f} s → {res['records_s']:,.0f} records/s, "
        f"{res['batches_s']:.1f} batches/s | latency p50 {res['p50'] * 1000:.0f} ms, "
        f"p95 {res['p95'] * 1000:.0f} ms, p99 {res['p99'] * 1000:.0f} ms | HTTP {dict(statuses)}"
        f"{f' | {errors} errors' if errors else ''}"
    )
    if quiet:
        return res
    cores = os.cpu_count() or 1
    busy = sum(cpu.values())
    say(
        f"    CPU over the run ({cores} cores = {cores * wall:.1f} core-s available, {busy:.1f} used): "
        + ", ".join(f"{k} {v:.1f} s ({v / wall:.2f} cores)" for k, v in cpu.items())
        + f"; other processes on the machine {others:.2f} cores"
    )
    per_batch = {k: v / max(len(lat), 1) * 1000 for k, v in cpu.items()}
    say("    CPU per batch: " + ", ".join(f"{k} {v:.1f} ms" for k, v in per_batch.items()))
    server_cpu = cpu["gunicorn"] + cpu["pg_backends"] + cpu["pg_background"]
    if accepted:
        per_core = accepted / server_cpu if server_cpu else float("inf")
        say(
            f"    server-side cost: {server_cpu / accepted * 1e6:.0f} CPU-µs per record (app + database) "
            f"→ {per_core:,.0f} records/s per fully busy core; {TARGET_RECORDS_PER_S:,} records/s would "
            f"need ≈ {TARGET_RECORDS_PER_S / per_core:.1f} cores at this cost"
        )
    res["per_batch_cpu"] = per_batch
    return res


def http_section(b: Bench) -> None:
    from smz.devices.models import Device

    args = b.args
    say(
        f"\n== 2. HTTP device upload: gunicorn {args.gunicorn_workers} workers × {args.gunicorn_threads} "
        f"threads (gthread), {args.clients} client processes × {args.conns} keep-alive connections, "
        f"{args.devices} devices, {args.http_records}-record batches =="
    )
    devices = [new_device(b, "HTTP") for _ in range(args.devices)]
    creds = [(d.serial, secret) for d, secret in devices]
    args.port = free_port()
    reset_pass_tables(b)
    probe, probe_secret = new_device(b, "PROBE")
    gunicorn = start_gunicorn(b, args.port, (probe.serial, probe_secret))
    try:
        # Warm-up: every worker loads its code and opens its database connection.
        http_run(
            b,
            gunicorn,
            creds,
            batches=max(args.clients * args.conns * 4, 16),
            start=90_000_000,
            snapshot=None,
            label="warm-up",
        )
        total = max(args.http_batches, 1)
        res = http_run(
            b, gunicorn, creds, batches=total, start=0, snapshot=None, label="no snapshot"
        )
        res2: dict[str, Any] = {}
        gap = TARGET_RECORDS_PER_S / res["records_s"] if res["records_s"] else float("inf")
        say(
            f"  target {TARGET_RECORDS_PER_S:,} records/s: achieved {res['records_s'] / TARGET_RECORDS_PER_S:.0%} "
            f"of it on this {os.cpu_count()}-core machine (×{gap:.1f} short)"
        )
        b.summary["http_plain"] = _headline(res)
        if args.http_snapshot_batches:
            # Its own warm-up: the workers' first snapshots open the key, the pack folders and the code only
            # snapshots run; these one-time costs are not the per-record cost measured next.
            http_run(
                b,
                gunicorn,
                creds,
                batches=max(args.clients * args.conns * 2, 16),
                start=60_000_000,
                snapshot=b.jpeg,
                label="warm-up with JPEGs",
                quiet=True,
            )
            res2 = http_run(
                b,
                gunicorn,
                creds,
                batches=args.http_snapshot_batches,
                start=50_000_000,
                snapshot=b.jpeg,
                label=f"with a {len(b.jpeg) / 1024:.0f} KB JPEG per record",
            )
            b.summary["http_snapshots"] = _headline(res2)
            b.summary["http_snapshots"]["jpeg_bytes"] = len(b.jpeg)
        if args.checkin_devices:
            checkers = [new_device(b, "CHK") for _ in range(args.checkin_devices)]
            for k, interval in enumerate(float(x) for x in args.checkin_intervals.split(",")):
                checkin_run(b, gunicorn, checkers, interval, start=70_000_000 + k * 1_000_000)
        spy_bin = ROOT / ".venv" / "bin" / "py-spy"
        if args.py_spy and spy_bin.exists():
            say(
                f"  py-spy on the gunicorn workers ({args.py_spy} s at 250 Hz, samples holding the GIL only; "
                "throughput of sampled runs is not comparable, the sampler shares the cores):"
            )
            runs = [("no snapshot", None, res, 30_000_000)]
            if args.http_snapshot_batches:
                runs.append(("with JPEGs", b.jpeg, res2, 20_000_000))
            for label, snapshot, measured, start in runs:
                raw = b.var_dir / f"py-spy-{start}.txt"

                def spy(raw: Path = raw) -> subprocess.Popen:
                    cmd = [str(spy_bin), "record", "--pid", str(gunicorn.pid), "--subprocesses"]
                    cmd += ["--gil", "--nolineno", "--format", "raw", "--rate", "250"]
                    cmd += ["--duration", str(args.py_spy), "--output", str(raw)]
                    return subprocess.Popen(  # noqa: S603 - fixed argv
                        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                    )

                http_run(
                    b,
                    gunicorn,
                    creds,
                    batches=max(int(measured["batches_s"] * args.py_spy * 1.2), 10),
                    start=start,
                    snapshot=snapshot,
                    label=f"sampled, {label}",
                    spy=spy,
                    quiet=True,
                )
                if raw.exists():
                    spy_report(raw, label)
                else:
                    say("    py-spy produced no output (ptrace not permitted?)")
    finally:
        stop_gunicorn(gunicorn)
    stored, tasks = table_counts(b)
    say(
        f"  stored {stored:,} pass records, {tasks:,} recompute tasks enqueued; {Device.objects.count()} devices"
    )


def _headline(res: dict[str, Any]) -> dict[str, Any]:
    server = res["cpu"]["gunicorn"] + res["cpu"]["pg_backends"] + res["cpu"]["pg_background"]
    return {
        "records_s": res["records_s"],
        "cpu_us_per_record": server / res["accepted"] * 1e6 if res["accepted"] else None,
        "p50_ms": res["p50"] * 1000,
        "p99_ms": res["p99"] * 1000,
        "others_cores": res["others"],
    }


@dataclass
class CheckinPlan:
    port: int
    devices: list[tuple[str, str]]  # (serial, secret)
    interval: float
    seconds: float
    workers: list[int]
    project_code: str
    start: int


def checkin_client_main(plan: CheckinPlan, ready: Any, go: Any, out: Any) -> None:
    """One client process: a thread and a keep-alive connection per device; each device sends a single
    check-in every plan.interval seconds (first ones spread over the interval), waits for its answer, and
    records the latency from the moment the check-in was due (a late send counts against the server)."""
    import random
    import threading

    results: list[tuple[float, int]] = []
    lock = threading.Lock()
    rng = random.Random(plan.start)
    offsets = [rng.uniform(0, plan.interval) for _ in plan.devices]
    cpu0: list[Any] = []

    def device_loop(k: int, serial: str, secret: str, t0: float) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", plan.port, timeout=60)
        mine: list[tuple[float, int]] = []
        n = 0
        while True:
            due = t0 + offsets[k] + n * plan.interval
            if due > t0 + plan.seconds:
                break
            pause = due - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            seq = plan.start + n
            now = dt.datetime.now(dt.UTC)
            records = record_dicts(serial, seq, 1, plan.workers, now, None)
            body = json.dumps(
                {
                    "batch_id": f"{serial}-c{seq:08d}",
                    "project_code": plan.project_code,
                    "records": records,
                }
            ).encode()
            try:
                passes_post(conn, serial, secret, body)
                resp = conn.getresponse()
                resp.read()
                mine.append((time.perf_counter() - due, resp.status))
            except (OSError, http.client.HTTPException):
                mine.append((time.perf_counter() - due, 0))
                conn.close()
            n += 1
        with lock:
            results.extend(mine)

    ready.wait()
    go.wait()
    t0 = time.perf_counter()
    cpu0.append(os.times())
    threads = [
        threading.Thread(target=device_loop, args=(k, serial, secret, t0), daemon=True)
        for k, (serial, secret) in enumerate(plan.devices)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    cpu1 = os.times()
    out.put(
        {
            "results": results,
            "cpu": (cpu1.user - cpu0[0].user) + (cpu1.system - cpu0[0].system),
        }
    )


def checkin_run(
    b: Bench,
    gunicorn: subprocess.Popen,
    devices: list[tuple[Any, str]],
    interval: float,
    *,
    start: int,
) -> None:
    """Goal 2 of issue 17: the latency of a single check-in while many devices check in at once."""
    from django.db import connections

    args = b.args
    n = len(devices)
    rate = n / interval
    say(
        f"\n  single check-ins: {n} devices, each on its own keep-alive connection, one 1-record check-in "
        f"every {interval:g} s (≈ {rate:,.0f} check-ins/s offered) for {args.checkin_seconds:g} s"
    )
    creds = [(d.serial, secret) for d, secret in devices]
    connections.close_all()
    ctx = mp.get_context("fork")
    procs_n = max(1, min(args.clients, n))
    ready, go = ctx.Barrier(procs_n + 1), ctx.Barrier(procs_n + 1)
    out = ctx.Queue()
    procs = []
    for c in range(procs_n):
        plan = CheckinPlan(
            port=args.port,
            devices=creds[c::procs_n],
            interval=interval,
            seconds=args.checkin_seconds,
            workers=b.workers,
            project_code=b.project.code,
            start=start,
        )
        p = ctx.Process(target=checkin_client_main, args=(plan, ready, go, out), daemon=True)
        p.start()
        procs.append(p)
    ready.wait()
    server = [gunicorn.pid, *children(gunicorn.pid)]
    pg = postgres_pids(b)
    cpu0 = sum(cpu_seconds(p) for p in server) + sum(cpu_seconds(p) for p in pg["backends"])
    m0, t0 = machine_busy(), time.perf_counter()
    go.wait()
    results = [out.get(timeout=args.checkin_seconds + 600) for _ in procs]
    wall = time.perf_counter() - t0
    machine = machine_busy() - m0
    pg = postgres_pids(b)
    cpu1 = sum(cpu_seconds(p) for p in server) + sum(cpu_seconds(p) for p in pg["backends"])
    for p in procs:
        p.join()
    lat = [x for r in results for x, _ in r["results"]]
    ok = sum(1 for r in results for _, status in r["results"] if status == 200)
    clients = sum(r["cpu"] for r in results)
    server_cpu = cpu1 - cpu0
    others = max(0.0, machine - server_cpu - clients) / wall
    figures = {
        "devices": n,
        "offered_s": rate,
        "done_s": len(lat) / wall,
        "ok": ok,
        "sent": len(lat),
        "p50_ms": pct(lat, 0.5) * 1000,
        "p95_ms": pct(lat, 0.95) * 1000,
        "p99_ms": pct(lat, 0.99) * 1000,
        "cpu_ms_per_checkin": server_cpu / max(len(lat), 1) * 1000,
        "others_cores": others,
    }
    b.summary.setdefault("checkins", []).append(figures)
    say(
        f"  single check-ins: {len(lat):,} sent, {ok:,} answered 200, {figures['done_s']:,.0f}/s | latency "
        f"p50 {figures['p50_ms']:.1f} ms, p95 {figures['p95_ms']:.1f} ms, p99 {figures['p99_ms']:.1f} ms "
        f"(target p99 < 50 ms) | server CPU {figures['cpu_ms_per_checkin']:.2f} ms per check-in; clients "
        f"{clients / wall:.2f} cores, other processes {others:.2f} cores"
    )


def disk_section(b: Bench) -> None:
    """The disk's own limit for the snapshot bytes: `dd` with one fsync at the end, and plain writes of
    packs the size of a 100-record batch with an fsync each (what the ingest does, without the rest)."""
    args = b.args
    mb = args.disk_mb
    if not mb:
        return
    target = b.var_dir / "dd.bin"
    t0 = time.perf_counter()
    subprocess.run(  # noqa: S603 - fixed argv
        ["dd", "if=/dev/zero", f"of={target}", "bs=1M", f"count={mb}", "conv=fsync"],  # noqa: S607
        check=True,
        capture_output=True,
    )
    dd_mb_s = mb / (time.perf_counter() - t0)
    target.unlink()
    pack = os.urandom(len(b.jpeg) + 64) * 100  # a 100-record batch's pack, sealed overhead included
    n = max(1, mb * 1024 * 1024 // len(pack))
    folder = b.var_dir / "packs"
    folder.mkdir()
    t0 = time.perf_counter()
    for k in range(n):
        fd = os.open(folder / f"{k}.pack", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, pack)
        os.fsync(fd)
        os.close(fd)
        dfd = os.open(folder, os.O_RDONLY)
        os.fsync(dfd)
        os.close(dfd)
    plain_s = time.perf_counter() - t0
    shutil.rmtree(folder)
    plain_mb_s = n * len(pack) / plain_s / 1024 / 1024
    per_record = len(pack) / 100
    b.summary["disk"] = {
        "dd_mb_s": dd_mb_s,
        "packs_mb_s": plain_mb_s,
        "records_s_at_packs": n * 100 / plain_s,
        "bytes_per_record": per_record,
    }
    say(
        f"\n== 4. The disk's limit for snapshots ({mb} MB each way) ==\n"
        f"  dd (1 MB blocks, one fsync): {dd_mb_s:,.0f} MB/s | plain writes of {len(pack) / 1024:.0f} KB packs "
        f"with an fsync of each file and its folder (as ingest writes them): {plain_mb_s:,.0f} MB/s = "
        f"{n * 100 / plain_s:,.0f} records/s of {per_record / 1024:.1f} KB"
    )


SPY_PHASES = [  # (function, file fragment, phase): the deepest matching frame of a sample decides
    ("handle", "gunicorn/", "gunicorn: HTTP parsing, socket I/O"),
    ("__call__", "django/core/handlers/wsgi.py", "Django handler + middleware"),
    ("body", "django/http/request.py", "reading the request body"),
    ("authenticate_device", "smz/terminals/auth.py", "auth: device lookup, nonce INSERT + commit"),
    ("sign", "smz/core/signing.py", "auth: HMAC + SHA-256 of the body"),
    ("_body", "smz/terminals/direct.py", "JSON parse of the body"),
    ("passes", "smz/terminals/direct.py", "view: RawPass building, counts"),
    (
        "pass_records_ingest",
        "smz/attendance/ingest.py",
        "ingest: queries, answers, batch row, commit",
    ),
    ("_check", "smz/attendance/ingest.py", "ingest: validation (_check)"),
    ("b64decode", "base64.py", "ingest: base64 decode of snapshots"),
    ("open", "PIL/Image.py", "ingest: PIL reads the JPEG header"),
    ("__init__", "django/db/models/base.py", "ingest: PassRecord(...) construction"),
    (
        "snapshot_store",
        "smz/attendance/snapshots.py",
        "ingest: snapshot file store (1 file/record)",
    ),
    ("bulk_create", "django/db/models/query.py", "ingest: bulk_create (ORM compile + INSERT)"),
    ("_schedule_recompute", "smz/attendance/ingest.py", "ingest: recompute task enqueue"),
    ("_result_to_response", "ninja/operation.py", "response: ninja render + JSON"),
]


def spy_report(raw: Path, label: str) -> None:
    """Fold py-spy's collapsed stacks into request phases; psycopg time is shown within each phase,
    and for the larger phases the calls made directly from the phase's function."""
    phases: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    children: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    leaves: dict[str, int] = defaultdict(int)
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        phase, at = "other (gunicorn master, arbiter, idle loops)", -1
        in_psycopg = False
        frames = stack.split(";")
        for k, frame in enumerate(frames):
            qualname = frame.split(" (", 1)[0]  # "QuerySet.bulk_create (django/db/models/query.py)"
            for func, path, name in SPY_PHASES:
                ours = func != "__init__" or phase.startswith("ingest: queries")
                named = qualname == func or qualname.endswith("." + func)
                if ours and named and path in frame:
                    phase, at = name, k
            in_psycopg = in_psycopg or "(psycopg/" in frame
        phases[phase][0] += n
        phases[phase][1] += n if in_psycopg else 0
        child = frames[at + 1] if 0 <= at < len(frames) - 1 else "(its own code)"
        children[phase][child] += n
        leaves[frames[-1]] += n
        total += n
    if not total:
        say(f"    {label}: no samples")
        return
    say(f"    {label}: {total:,} samples; share of server CPU by phase (of which inside psycopg):")
    for name, (n, pg) in sorted(phases.items(), key=lambda kv: -kv[1][0]):
        say(f"    {n / total * 100:5.1f}%  {name:<52} ({pg / total * 100:4.1f}% psycopg)")
        if n / total >= 0.08:
            for child, m in sorted(children[name].items(), key=lambda kv: -kv[1])[:5]:
                say(f"             {m / total * 100:5.1f}%  ↳ {child[:90]}")
    say("      hottest leaf functions:")
    for frame, n in sorted(leaves.items(), key=lambda kv: -kv[1])[:8]:
        say(f"      {n / total * 100:5.1f}%  {frame[:110]}")


# --- 3. where the time goes: one request path in-process ------------------------------------------


def wsgi_post(
    app: Callable,
    path: str,
    body: bytes,
    headers: dict[str, str],
    content_type: str = "application/json",
) -> tuple[int, bytes]:
    """Call the WSGI application gunicorn serves, with the environ a POST over HTTP produces."""
    from smz.testing.wsgi import wsgi_call

    status, _, data = wsgi_call(app, "POST", path, body, headers, content_type=content_type)
    return status, data


def profile_section(b: Bench, snapshot: bytes | None = None) -> None:
    from django.db import connection
    from django.utils import timezone

    from config.wsgi import application
    from smz.core.signing import signed_headers

    args = b.args
    n = args.profile_requests
    label = "with a 9 KB JPEG per record" if snapshot else "no snapshot"
    say(
        f"\n== 3{'b' if snapshot else 'a'}. Where the time goes: {args.http_records}-record POST {PASSES_PATH}"
        f" ({label}), in-process WSGI, sequential =="
    )
    devices = [new_device(b, "PROF") for _ in range(4)]
    now = timezone.now()

    def requests(start: int, count: int) -> list[tuple[bytes, dict[str, str]]]:
        out = []
        for k in range(count):
            d, secret = devices[k % len(devices)]
            seq = start + k * args.http_records
            body = json.dumps(
                {
                    "batch_id": f"{d.serial}-{seq:08d}",
                    "project_code": b.project.code,
                    "records": record_dicts(
                        d.serial, seq, args.http_records, b.workers, now, snapshot
                    ),
                }
            ).encode()
            headers = signed_headers(
                secret,
                d.serial,
                "POST",
                PASSES_PATH,
                body,
                timestamp=int(time.time()),
                nonce=uuid.uuid4().hex,
            )
            out.append((body, headers))
        return out

    for body, headers in requests(80_000_000, 5):  # warm-up
        code, data = wsgi_post(application, PASSES_PATH, body, headers)
        assert code == 200, data[:300]
    timed = requests(0, n)
    walls = []
    acc = Acc()
    busy0, t_start = machine_busy(), time.perf_counter()
    with sql_timer() as timer:
        for body, headers in timed:
            connection.ensure_connection()
            t0 = time.perf_counter()
            code, data = acc.run(
                connection.connection.info.backend_pid,
                lambda body=body, headers=headers: wsgi_post(
                    application, PASSES_PATH, body, headers
                ),
            )
            walls.append(time.perf_counter() - t0)
            assert code == 200, data[:300]
    others = max(0.0, machine_busy() - busy0 - acc.app - acc.db) / (time.perf_counter() - t_start)
    wall = statistics.fmean(walls)
    say(
        f"  a) {n} requests without a profiler: wall median {statistics.median(walls) * 1000:.1f} ms, "
        f"mean {wall * 1000:.1f} ms; CPU per request: app {acc.app / n * 1000:.1f} ms + PostgreSQL "
        f"{acc.db / n * 1000:.1f} ms (other processes used {others:.2f} cores meanwhile)"
    )
    timer.report(n, wall)

    profiled = requests(40_000_000, n)
    prof = cProfile.Profile()
    prof.enable()
    for body, headers in profiled:
        wsgi_post(application, PASSES_PATH, body, headers)
    prof.disable()
    stats = pstats.Stats(prof)
    total = cum(stats, "django/core/handlers/wsgi.py", "__call__")
    ingest = cum(stats, "smz/attendance/ingest.py", "pass_records_ingest")
    view = cum(stats, "smz/terminals/direct.py", "passes")
    auth = cum(stats, "smz/terminals/auth.py", "authenticate_device")
    body_parse = cum(stats, "smz/terminals/direct.py", "_body")
    render = cum(stats, "ninja/operation.py", "_result_to_response")
    lines = [
        ("whole request (WSGIHandler)", total),
        ("signature check: authenticate_device", auth),
        (
            "  HMAC-SHA256 + body SHA-256 (signing.sign)",
            cum(stats, "smz/core/signing.py", "sign"),
        ),
        ("  device lookup + nonce INSERT/commit (SQL)", None),
        ("JSON parse of the body (direct._body)", body_parse),
        ("RawPass building in the view", view - ingest - body_parse),
        ("pass_records_ingest", ingest),
        ("  validation (_check)", cum(stats, "smz/attendance/ingest.py", "_check")),
        ("  PassRecord(...) construction", cum(stats, "django/db/models/base.py", "__init__")),
        ("  bulk_create (ORM + INSERT)", cum(stats, "django/db/models/query.py", "bulk_create")),
        (
            "  enqueue recompute task",
            cum(stats, "smz/attendance/ingest.py", "_schedule_recompute"),
        ),
        ("response: ninja render + JSON", render),
        ("all SQL round-trips (psycopg execute)", cum(stats, "psycopg/cursor.py", "execute")),
        ("all commits (psycopg commit)", cum(stats, "psycopg/connection.py", "commit")),
        ("Django handler + middleware + ninja (rest)", total - view - auth - render),
    ]
    say(f"  b) cProfile over {n} more requests (the profiler inflates Python-heavy parts ~1.5–2×):")
    for name, secs in lines:
        if secs is None:
            say(f"    {name:<46}   (see the statement table above)")
            continue
        say(f"    {name:<46} {secs / n * 1000:7.2f} ms  {secs / total * 100 if total else 0:5.1f}%")
    top_functions(stats, n)


def commit_latency(b: Bench) -> None:
    """What one durable commit costs on this disk (synchronous_commit=on): the floor under every write."""
    import psycopg

    with psycopg.connect(b.db_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS bench_commit (x int)")
        n = 200
        t0 = time.perf_counter()
        for i in range(n):
            conn.execute("INSERT INTO bench_commit VALUES (%s)", [i])
        per = (time.perf_counter() - t0) / n
        sync = conn.execute("SHOW synchronous_commit").fetchone()[0]
        conn.execute("DROP TABLE bench_commit")
    say(
        f"\n== 0. One durable single-row commit on this machine: {per * 1000:.2f} ms (synchronous_commit={sync}) =="
    )


def code_version() -> str:
    """The commit measured, and whether the ingest path's files differ from it."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", "smz", "config"],  # noqa: S607
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{head}{' + uncommitted changes in smz/ or config/' if dirty else ''}"


def analyze_tables() -> None:
    """Planner statistics as a running server has them (autovacuum's ANALYZE), not the empty-table guesses
    of a database created a second ago: with those, the roster lookup plans a filter over every employment."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def main() -> int:
    args = parse_args()
    if args.batch < 1 or args.rows < args.batch:
        raise SystemExit("--rows must be at least --batch")
    var_dir = Path(tempfile.mkdtemp(prefix="smz_bench_"))
    admin, name, url = create_database(args.admin_url)
    b = Bench(args=args, db_name=name, db_url=url, var_dir=var_dir, admin=admin)
    say(
        f"smz ingest benchmark — database {name}, {os.cpu_count()} cores, "
        f"{time.strftime('%Y-%m-%d %H:%M:%S %Z')}, code {code_version()}"
    )
    try:
        t0 = time.perf_counter()
        django_setup(url, var_dir)
        build_world(b)
        analyze_tables()
        b.jpeg = small_jpeg()
        say(
            f"setup: migrated, 1 project, {len(b.workers):,} workers employed on it "
            f"({time.perf_counter() - t0:.1f} s); snapshot JPEG {len(b.jpeg):,} bytes"
        )
        commit_latency(b)
        core_section(b, rows=args.rows, snapshot=False)
        if args.snapshot_rows:
            core_section(b, rows=max(args.snapshot_rows, args.batch), snapshot=True)
        core_breakdown(b)
        if args.http_batches:
            http_section(b)
        if args.profile_requests:
            profile_section(b)
            if args.http_snapshot_batches:
                profile_section(b, b.jpeg)
        disk_section(b)
        if args.summary:
            b.summary["code"] = code_version()
            args.summary.write_text(json.dumps(b.summary, indent=2))
    finally:
        bench_teardown(admin, name, var_dir, keep_db=args.keep_db)
    return 0


if __name__ == "__main__":
    sys.exit(main())
