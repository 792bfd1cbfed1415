"""Attendance roll-up benchmark on PostgreSQL (issue 17 goal 3). Results and method: docs/bench.md.

    .venv/bin/python bench/rollup.py                                     # a city morning: 400,000 passes
    .venv/bin/python bench/rollup.py --projects 100 --workers 20000      # small, to iterate

The city of bench/compliance.py (1,000 in-scope projects, three devices and five key posts each, 200,000 workers
employed, one in 40 a manager holding a post) gets a morning of passes written with INSERT … SELECT: every worker
enters (07:00–08:59) and leaves for lunch (11:30–12:14) through two different gates of his project, 400,000 passes
at the default size. About 2 % carry no snapshot (stored invalid), 1 % were judged off site at ingest, 3 % have no
direction; every other pass carries the same 400×300 JPEG of a face (written to the snapshot store, so the face
check reads, decodes and runs the detector on a real file). The projects started long ago (actual start set).
Nothing is rolled up yet: no SnapshotCheck, DailyAttendance or KeyPostDay row.

Then `attendance_recompute` runs over every (person, day) key the morning touched, the way `recompute_days` tasks
call it: `--batch project` (default) gives each project's morning to one call (1,000 batches of ~200 person-days);
`--batch N` cuts each project's keys into batches of N person-days (what devices uploading small batches enqueue);
`--procs N` deals the batches to N forked processes (N task workers).
Reported: wall time, CPU of this process and of its PostgreSQL backend, SQL statements (all and per batch), the
face detector's share (it runs once per distinct snapshot file per batch), rows written. Before the timed run, the
row-by-row code it replaced (smz/testing/rollup_reference.py) runs on a sample of projects inside a transaction that
is rolled back: its time per person-day, and after the timed run the sample's rows must be identical.

Creates its own database (smz_bench_<pid>) and drops it at the end (like bench/ingest.py).
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import json
import os
import pstats
import sys
import tempfile
import time
import warnings
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.compliance import Counter, build_city, insert  # noqa: E402
from bench.ingest import (  # noqa: E402
    bench_teardown,
    code_version,
    cpu_seconds,
    create_database,
    django_setup,
    machine_busy,
    sql_timer,
    top_functions,
)

DAY = dt.date(2026, 3, 12)


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument(
        "--admin-url",
        default=os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432/postgres"),
    )
    p.add_argument("--projects", type=int, default=1000, help="in-scope projects")
    p.add_argument("--workers", type=int, default=200_000, help="workers (2 passes each)")
    p.add_argument(
        "--batch",
        default="project",
        help="'project' (one batch per project's morning) or N person-days per batch",
    )
    p.add_argument(
        "--sample", type=int, default=5, help="projects rolled up by the old code too (0: none)"
    )
    p.add_argument(
        "--procs", type=int, default=1, help="worker processes sharing the batches (task workers)"
    )
    p.add_argument("--keep-db", action="store_true", help="do not drop the database at the end")
    p.add_argument("--profile", action="store_true", help="cProfile the re-run: top functions")
    p.add_argument("--summary", type=Path, help="write the headline figures to this JSON file")
    return p.parse_args()


def say(msg: str = "") -> None:
    print(msg, flush=True)


def build_morning(snapshot: str) -> int:
    """Every employed worker's morning: in through gate 1 or 2, out for lunch through the other one."""
    from django.db import connection

    from smz.attendance.models import PassRecord

    with connection.cursor() as c:
        c.execute("SELECT min(id) FROM registry_worker")
        w0 = c.fetchone()[0]
    written = 0
    for k, (start, spread, direction) in enumerate((("07:00", 120, "in"), ("11:30", 45, "out"))):
        source = (
            "registry_employment e, LATERAL (SELECT e.worker_id - %s AS g) s,"
            " LATERAL (SELECT array_agg(d.id ORDER BY d.id) AS ids FROM devices_device d"
            " WHERE d.project_id = e.project_id) d"
        )
        written += insert(
            PassRecord,
            source,
            {
                "device_id": f"d.ids[1 + mod(g + {k}, 2)]",
                "device_record_id": f"'{DAY:%m%d}-{k}-' || e.worker_id::text",
                "project_id": "e.project_id",
                "worker_id": "e.worker_id",
                "event_time": f"TIMESTAMPTZ '{DAY} {start}+08' + mod(g * 7, {spread}) * interval '1 minute'",
                "work_date": f"DATE '{DAY}'",
                "received_at": "now()",
                "direction": f"CASE WHEN mod(g, 33) = 5 THEN '' ELSE '{direction}' END",
                "verify_mode": "'face'",
                "snapshot": f"CASE WHEN mod(g, 50) = 1 THEN '' ELSE '{snapshot}' END",
                "valid": "mod(g, 50) <> 1 AND mod(g + 17 * " + str(k) + ", 100) <> 2",
                "invalid_reason": "CASE WHEN mod(g, 50) = 1 THEN 'no_snapshot'"
                f" WHEN mod(g + 17 * {k}, 100) = 2 THEN 'off_site' ELSE '' END",
                "off_site": f"mod(g + 17 * {k}, 100) = 2",
            },
            (w0,),
        )
    return written


def morning_keys() -> dict[int, list[tuple[int, dt.date]]]:
    """Each project's (person, day) keys, as the ingest's tasks carry them."""
    from smz.attendance.models import PassRecord

    keys: dict[int, list[tuple[int, dt.date]]] = defaultdict(list)
    for project_id, worker_id, day in (
        PassRecord.objects.filter(work_date=DAY)
        .values_list("project", "worker", "work_date")
        .distinct()
        .order_by("project", "worker")
    ):
        keys[project_id].append((worker_id, day))
    return keys


def batches_of(keys: dict[int, list], batch: str) -> list[tuple[int, list]]:
    if batch == "project":
        return list(keys.items())
    n = int(batch)
    return [(pid, ks[i : i + n]) for pid, ks in keys.items() for i in range(0, len(ks), n)]


def rows_of(project_ids: list[int]) -> dict[str, list[tuple]]:
    from smz.attendance.models import DailyAttendance, KeyPostDay, SnapshotCheck
    from smz.registry.models import Project

    daily = ("project", "worker", "work_date", "first_in", "last_out", "minutes", "valid_passes")
    daily += ("invalid_passes", "attended", "anomalies")
    post = ("key_post", "work_date", "project", "holder", "attended", "first_in", "minutes")
    post += ("exemption", "absence_reason")
    return {
        "daily": sorted(
            DailyAttendance.objects.filter(project__in=project_ids).values_list(*daily)
        ),
        "posts": sorted(KeyPostDay.objects.filter(project__in=project_ids).values_list(*post)),
        "checks": sorted(
            SnapshotCheck.objects.filter(pass_record__project__in=project_ids).values_list(
                "pass_record", "faces"
            )
        ),
        "starts": sorted(
            Project.objects.filter(pk__in=project_ids).values_list("pk", "actual_start")
        ),
    }


class Detector:
    """Counts and times the face detector (smz.core.faces.faces_in_jpeg) where the roll-up calls it."""

    def __init__(self) -> None:
        self.calls, self.seconds = 0, 0.0

    def install(self) -> None:
        from smz.core import faces

        real = faces.faces_in_jpeg

        def timed(data: bytes) -> int:
            t0 = time.perf_counter()
            try:
                return real(data)
            finally:
                self.calls += 1
                self.seconds += time.perf_counter() - t0

        faces.faces_in_jpeg = timed


def run_slice(plan: list[tuple[int, list]], detector: Detector) -> dict[str, float]:
    """Roll up these batches on this process's own connection; what it cost."""
    from django.db import connection

    from smz.attendance.services import attendance_recompute

    counter = Counter()
    pid = backend_pid()
    cpu_app0, cpu_db0 = time.process_time(), cpu_seconds(pid)
    calls0, seconds0 = detector.calls, detector.seconds
    with connection.execute_wrapper(counter):
        for project_id, part in plan:
            attendance_recompute(project_id=project_id, keys=part)
    return {
        "cpu_app": time.process_time() - cpu_app0,
        "cpu_db": cpu_seconds(pid) - cpu_db0,
        "statements": counter.n,
        "detector_calls": detector.calls - calls0,
        "detector_s": detector.seconds - seconds0,
    }


def run_batches(plan: list[tuple[int, list]], procs: int, detector: Detector) -> list[dict]:
    """The batches on `procs` processes (forked, each with its own connection, batches dealt in turn), as
    that many task workers would run them."""
    if procs <= 1:
        return [run_slice(plan, detector)]
    from django.db import connections

    connections.close_all()
    # The parent has idle threads (OpenCV's pool); the children only use their own connection and code.
    warnings.filterwarnings("ignore", "This process .* is multi-threaded", DeprecationWarning)
    children = []
    for i in range(procs):
        read, write = os.pipe()
        child = os.fork()
        if child == 0:  # pragma: no cover - the child
            os.close(read)
            try:
                result = run_slice(plan[i::procs], detector)
                connections.close_all()
                os.write(write, json.dumps(result).encode())
            finally:
                os._exit(0)
        os.close(write)
        children.append((child, read))
    results = []
    for child, read in children:
        with os.fdopen(read) as fh:
            results.append(json.loads(fh.read()))
        os.waitpid(child, 0)
    return results


def backend_pid() -> int:
    from django.db import connection

    with connection.cursor() as c:
        c.execute("SELECT pg_backend_pid()")
        return c.fetchone()[0]


def main() -> int:
    args = parse_args()
    var_dir = Path(tempfile.mkdtemp(prefix="smz_bench_"))
    admin, name, url = create_database(args.admin_url)
    say(
        f"smz roll-up benchmark — database {name}, {os.cpu_count()} cores, "
        f"{time.strftime('%Y-%m-%d %H:%M:%S %Z')}, code {code_version()}, "
        f"{args.projects:,} projects, {args.workers:,} workers, batch {args.batch}"
    )
    try:
        t0 = time.perf_counter()
        django_setup(url, var_dir)
        from django.db import connection, transaction

        from smz.attendance.models import DailyAttendance, KeyPostDay, SnapshotCheck
        from smz.attendance.services import attendance_recompute
        from smz.attendance.snapshots import snapshot_name, snapshot_store
        from smz.testing.devices import jpeg as face_jpeg
        from smz.testing.rollup_reference import reference_attendance_recompute

        say(f"migrated ({time.perf_counter() - t0:.1f} s)")
        t0 = time.perf_counter()
        build_city(args)
        with connection.cursor() as c:
            # a morning of an ongoing city: its active projects started long ago (else the first roll-up of
            # each also records its actual start, once in its life: registry.project_start_record)
            c.execute("UPDATE registry_project SET actual_start = planned_start")
        jpeg = face_jpeg(400, 300)
        snapshot = snapshot_store(jpeg, snapshot_name(jpeg, DAY))
        passes = build_morning(snapshot)
        with connection.cursor() as c:
            c.execute("VACUUM ANALYZE")  # planner statistics as autovacuum would have them
        keys = morning_keys()
        person_days = sum(len(k) for k in keys.values())
        say(
            f"city and morning built: {passes:,} passes, {person_days:,} person-days on "
            f"{len(keys):,} projects ({time.perf_counter() - t0:.1f} s)"
        )
        detector = Detector()
        detector.install()

        # the old code on a sample, rolled back: its pace, and the rows to compare with
        sample = sorted(keys)[: args.sample]
        expected: dict[str, list[tuple]] = {}
        if sample:

            class Undo(Exception):
                pass

            sample_days = sum(len(keys[p]) for p in sample)
            counter = Counter()
            t0 = time.perf_counter()
            try:
                with transaction.atomic(), connection.execute_wrapper(counter):
                    for pid in sample:
                        reference_attendance_recompute(project_id=pid, keys=keys[pid])
                    old_s = time.perf_counter() - t0
                    expected = rows_of(sample)
                    raise Undo
            except Undo:
                pass
            say(
                f"row-by-row code (rolled back) on {len(sample)} projects, {sample_days:,} person-days:"
                f" {old_s:.2f} s, {counter.n:,} statements ({counter.n / sample_days:.1f} per"
                f" person-day); at that pace the whole morning: {old_s / sample_days * person_days:,.0f} s"
            )
        detector.calls, detector.seconds = 0, 0.0

        plan = batches_of(keys, args.batch)
        busy0 = machine_busy()
        t0 = time.perf_counter()
        results = run_batches(plan, args.procs, detector)
        wall = time.perf_counter() - t0
        cpu_app = sum(r["cpu_app"] for r in results)
        cpu_db = sum(r["cpu_db"] for r in results)
        statements = sum(r["statements"] for r in results)
        detector.calls = sum(r["detector_calls"] for r in results)
        detector.seconds = sum(r["detector_s"] for r in results)
        others = machine_busy() - busy0 - cpu_app - cpu_db
        say("")
        say(
            f"set-based roll-up of {passes:,} passes, {person_days:,} person-days, {len(plan):,} batches,"
            f" {args.procs} worker process(es):"
        )
        say(
            f"  wall {wall:.1f} s (target < 60 s); CPU app {cpu_app:.1f} s + PostgreSQL {cpu_db:.1f} s;"
            f" other processes used {others / wall:.2f} of the cores meanwhile"
        )
        say(
            f"  SQL statements: {statements:,} ({statements / len(plan):.1f} per batch,"
            f" {statements / person_days:.3f} per person-day)"
        )
        say(
            f"  face detector: {detector.calls:,} calls (one per distinct snapshot file per batch),"
            f" {detector.seconds:.1f} s of CPU; the roll-up without it:"
            f" {wall - detector.seconds / args.procs:.1f} s"
        )
        say(
            f"  rows: DailyAttendance {DailyAttendance.objects.count():,}, KeyPostDay"
            f" {KeyPostDay.objects.count():,}, SnapshotCheck {SnapshotCheck.objects.count():,};"
            f" {person_days / wall:,.0f} person-days/s, {passes / wall:,.0f} passes/s"
        )
        same: bool | None = None
        if sample:
            got = rows_of(sample)
            same = all(got[t] == expected[t] for t in expected)
            say(
                f"  sample of {len(sample)} projects identical to the row-by-row code's rows: {same}"
                f" ({', '.join(f'{t} {len(v):,}' for t, v in expected.items())})"
            )
        if args.summary:
            args.summary.write_text(
                json.dumps(
                    {
                        "passes": passes,
                        "person_days": person_days,
                        "procs": args.procs,
                        "wall_s": wall,
                        "statements_per_batch": statements / len(plan),
                        "detector_s": detector.seconds,
                        "same_as_row_by_row": same,
                        "others_cores": others / wall,
                        "code": code_version(),
                    },
                    indent=2,
                )
            )
        if sample and not same:
            return 1
        # a second run over the same keys: everything is already checked, every row rewritten
        profiler = cProfile.Profile() if args.profile else None
        t0 = time.perf_counter()
        with sql_timer() as timer:
            if profiler:
                profiler.enable()
            for project_id, part in plan:
                attendance_recompute(project_id=project_id, keys=part)
            if profiler:
                profiler.disable()
        rerun = time.perf_counter() - t0
        say(
            f"  re-run over the same keys (checks done, rows rewritten): {rerun:.1f} s;"
            " every statement timed:"
        )
        timer.report(len(plan), rerun / len(plan))
        if profiler:
            top_functions(pstats.Stats(profiler), len(plan), 30)
    finally:
        bench_teardown(admin, name, var_dir, keep_db=args.keep_db)
    return 0


if __name__ == "__main__":
    sys.exit(main())
