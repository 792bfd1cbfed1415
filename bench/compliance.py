"""Compliance daily-run benchmark on PostgreSQL (issue 13 item 4). Results and method: docs/bench.md.

    .venv/bin/python bench/compliance.py                      # a city: 1,000 projects, 200,000 workers
    .venv/bin/python bench/compliance.py --projects 100 --workers 20000   # small, to iterate

One city is generated with INSERT … SELECT generate_series (seconds, not minutes): in-scope projects with their
GC, subcontractor and supervision firm, three devices each inside a site boundary (1 % of the projects have one
outside), five key posts (two of the supervision firm; 5 % vacant), the workers' employments (one in 40 is a
manager holding a post), labor contracts and safety trainings (about 1 % missing each). Then three days of
attendance of growing size — a quarter, half, and all of the workers attend, two passes each: 100k, 200k and
400k passes at the default size — each with its daily rows and closed key-post days, about 2 % of the passes
without a snapshot, 1 % of the projects without any attendance, one post holder in fifty also attending a
neighbouring project.

Each day is judged by `smz.compliance.services.engine.judge` over every project (first run: the violations are
created), then judged again (the re-run: nothing changes); wall time and SQL statements are reported.

Creates its own database (smz_bench_<pid>) and drops it at the end (like bench/ingest.py).
"""

# ruff: noqa: S608 — the SQL is built from the benchmark's own numbers and identifiers, never from input

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ingest import bench_teardown, create_database, django_setup  # noqa: E402
from smz.core.bulk import rows_insert_select as insert  # noqa: E402

DAYS = [(dt.date(2026, 3, 10), 4), (dt.date(2026, 3, 11), 2), (dt.date(2026, 3, 12), 1)]


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument(
        "--admin-url",
        default=os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432/postgres"),
    )
    p.add_argument("--projects", type=int, default=1000, help="in-scope projects")
    p.add_argument(
        "--workers", type=int, default=200_000, help="workers (2 passes each on the full day)"
    )
    p.add_argument("--keep-db", action="store_true", help="do not drop the database at the end")
    return p.parse_args()


def say(msg: str = "") -> None:
    print(msg, flush=True)


def build_city(args: argparse.Namespace) -> None:
    from smz.attendance.models import DailyAttendance, KeyPostDay, PassRecord
    from smz.devices.models import Device, SiteBoundary
    from smz.labor.models import LaborContract, SafetyTraining
    from smz.registry.models import (
        Employment,
        Enterprise,
        Jurisdiction,
        KeyPost,
        Participant,
        Project,
        Worker,
    )

    n_p, n_w = args.projects, args.workers
    jur = Jurisdiction.objects.order_by("pk").first().pk
    n_e = max(10, n_p // 2)
    insert(
        Enterprise,
        f"generate_series(1, {n_e}) g",
        {
            "corp_code": "'E' || lpad(g::text, 17, '0')",
            "name": "'压测企业' || g::text",
            "reg_type": "'150'",
        },
    )
    e0 = Enterprise.objects.order_by("pk").values_list("pk", flat=True)[0] - 1
    insert(
        Project,
        f"generate_series(1, {n_p}) g",
        {
            "code": "'B' || lpad(g::text, 12, '0')",
            "name": "'压测项目' || g::text",
            "kind": "'building'",
            "floor_area_m2": "80000",
            "jurisdiction_id": str(jur),
            "builder_id": str(e0 + 1),
            "permit_issued_on": "DATE '2026-01-05'",
            "planned_start": "DATE '2026-01-10'",
            "status": "'active'",
            "in_scope": "true",
        },
    )
    p0 = Project.objects.order_by("pk").values_list("pk", flat=True)[0] - 1
    # the GC, a subcontractor and the supervision firm of each project
    for corp, offset in ((Participant.GC, 0), ("006", 1), (Participant.SUPERVISION, 2)):
        insert(
            Participant,
            "registry_project p, LATERAL (SELECT p.id - %s AS g) s",
            {
                "project_id": "p.id",
                "enterprise_id": f"{e0} + 1 + mod(g * 3 + {offset}, {n_e})",
                "corp_type": f"'{corp}'",
            },
            (p0,),
        )
    insert(
        Worker,
        f"generate_series(1, {n_w}) g",
        {
            "id_card_type": "'01'",
            "id_number": "'x'",
            "id_number_index": "'W' || g::text",
            "name": "'压测工' || g::text",
            "gender": "'1'",
        },
    )
    w0 = Worker.objects.order_by("pk").values_list("pk", flat=True)[0] - 1
    # worker g works on project 1 + mod(g, n_p); one in 40 is a manager (the key posts' holders)
    insert(
        Employment,
        "registry_worker w, LATERAL (SELECT w.id - %s AS g) s",
        {
            "project_id": f"{p0} + 1 + mod(g, {n_p})",
            "worker_id": "w.id",
            "employer_id": f"{e0} + 1 + mod((1 + mod(g, {n_p})) * 3 + 1, {n_e})",
            "work_type": "'020'",
            "work_role": f"CASE WHEN mod(g / {n_p}, 40) = 0 THEN '10' ELSE '20' END",
            "entry_on": "DATE '2026-01-05'",
        },
        (w0,),
    )
    # three devices per project, inside a 0.01° square site; 1 % of the projects have gate 1 outside
    insert(
        SiteBoundary,
        "registry_project p, LATERAL (SELECT p.id - %s AS g) s",
        {
            "project_id": "p.id",
            "polygon": "json_build_array(json_build_array(113 + g * 0.02, 22.5),"
            " json_build_array(113.01 + g * 0.02, 22.5), json_build_array(113.01 + g * 0.02, 22.51),"
            " json_build_array(113 + g * 0.02, 22.51))::jsonb",
        },
        (p0,),
    )
    insert(
        Device,
        "registry_project p CROSS JOIN generate_series(1, 3) k, LATERAL (SELECT (p.id - %s) * 3 + k AS g,"
        " p.id - %s AS pg) s",
        {
            "project_id": "p.id",
            "serial": "'D' || g::text",
            "kind": "'face_gate'",
            "protocol": "'direct_v1'",
            "entrance": "'东门'",
            "direction": "'both'",
            "lng": "CASE WHEN k = 1 AND mod(pg, 100) = 50 THEN 114 ELSE 113.005 + pg * 0.02 END",
            "lat": "22.505",
        },
        (p0, p0),
    )
    # five posts per project (P01–P03 of the GC, S01–S02 of the supervision firm), held by its managers
    insert(
        KeyPost,
        "registry_project p CROSS JOIN generate_series(1, 5) k,"
        " LATERAL (SELECT (p.id - %s) * 5 + k AS g, p.id - %s AS pg) s,"
        " LATERAL (SELECT e.worker_id FROM registry_employment e WHERE e.project_id = p.id"
        " AND e.work_role = '10' ORDER BY e.worker_id OFFSET k - 1 LIMIT 1) h",
        {
            "project_id": "p.id",
            "enterprise_id": f"{e0} + 1 + mod(pg * 3 + CASE WHEN k <= 3 THEN 0 ELSE 2 END, {n_e})",
            "post": "(ARRAY['P01','P02','P03','S01','S02'])[k]",
            "holder_id": "CASE WHEN mod(g, 20) = 7 THEN NULL ELSE h.worker_id END",
            "holder_since": "DATE '2026-01-05'",
        },
        (p0, p0),
    )
    insert(
        LaborContract,
        "registry_employment e, LATERAL (SELECT e.id AS g) s",
        {
            "no": "'HT' || e.id::text",
            "employment_id": "e.id",
            "period_type": "'fixed'",
            "start_on": "DATE '2026-01-05'",
            "wage_kind": "'daily'",
            "rate_fen": "30000",
            "pay_day": "15",
        },
    )
    with __import__("django.db").db.connection.cursor() as c:
        c.execute("DELETE FROM labor_laborcontract WHERE mod(employment_id, 97) = 3")
    from smz.accounts.models import User

    actor = User.objects.create(username="bench", is_superuser=True, display_name="bench")
    insert(
        SafetyTraining,
        "registry_employment e, LATERAL (SELECT e.id AS g) s WHERE mod(e.worker_id, 89) <> 5",
        {
            "project_id": "e.project_id",
            "worker_id": "e.worker_id",
            "trained_on": "DATE '2026-01-05'",
            "course": "'三级安全教育'",
            "hours": "24",
            "recorded_by_id": str(actor.pk),
        },
    )
    del DailyAttendance, KeyPostDay, PassRecord


def build_day(args: argparse.Namespace, day: dt.date, every: int) -> int:
    """One day's facts: passes (in and out) of every `every`-th worker and all managers, daily rows, the
    closed key-post days; returns the passes written."""
    from django.db import connection

    from smz.attendance.models import DailyAttendance, KeyPostDay, PassRecord

    n_p = args.projects
    p0 = connection.cursor()
    p0.execute("SELECT min(id) - 1 FROM registry_project")
    first_p = p0.fetchone()[0]
    attends = (
        f"(mod(e.id / {n_p}, {every}) = 0 OR (e.work_role = '10' AND mod(e.worker_id, 10) <> 3))"
        f" AND mod(e.project_id - {first_p}, 100) <> 7"
    )
    written = 0
    for k, (hh, direction) in enumerate(((8, "in"), (17, "out"))):
        written += insert(
            PassRecord,
            "registry_employment e JOIN LATERAL (SELECT d.id FROM devices_device d WHERE d.project_id ="
            f" e.project_id ORDER BY d.id LIMIT 1) d ON true, LATERAL (SELECT e.id AS g) s WHERE {attends}",
            {
                "device_id": "d.id",
                "device_record_id": f"'{day:%m%d}-{k}-' || e.worker_id::text",
                "project_id": "e.project_id",
                "worker_id": "e.worker_id",
                "event_time": f"TIMESTAMPTZ '{day} {hh:02d}:00+08' + mod(e.worker_id, 60) * interval '1 minute'",
                "work_date": f"DATE '{day}'",
                "received_at": "now()",
                "direction": f"'{direction}'",
                "verify_mode": "'face'",
                "snapshot": "CASE WHEN mod(e.worker_id, 50) = 1 THEN '' ELSE 's.jpg' END",
                "valid": "mod(e.worker_id, 50) <> 1",
                "invalid_reason": "CASE WHEN mod(e.worker_id, 50) = 1 THEN 'no_snapshot' ELSE '' END",
            },
        )
    # one post holder in fifty also attends the neighbouring project (a double shift)
    written += insert(
        PassRecord,
        "registry_keypost kp JOIN LATERAL (SELECT d.id, d.project_id FROM devices_device d WHERE"
        f" d.project_id = {first_p} + 1 + mod(kp.project_id - {first_p}, {n_p}) ORDER BY d.id LIMIT 1) d"
        f" ON true, LATERAL (SELECT kp.id AS g) s WHERE kp.holder_id IS NOT NULL AND kp.post = 'P01'"
        f" AND mod(kp.project_id - {first_p}, 50) = 1",
        {
            "device_id": "d.id",
            "device_record_id": f"'{day:%m%d}-x-' || kp.holder_id::text",
            "project_id": "d.project_id",
            "worker_id": "kp.holder_id",
            "event_time": f"TIMESTAMPTZ '{day} 19:00+08'",
            "work_date": f"DATE '{day}'",
            "received_at": "now()",
            "direction": "'in'",
            "snapshot": "'s.jpg'",
            "valid": "true",
        },
    )
    insert(
        DailyAttendance,
        f"(SELECT project_id, worker_id, min(event_time) fi, max(event_time) la, count(*) FILTER (WHERE valid) v,"
        f" count(*) FILTER (WHERE NOT valid) iv, min(id) g FROM attendance_passrecord WHERE work_date = DATE '{day}'"
        " GROUP BY project_id, worker_id) x",
        {
            "project_id": "x.project_id",
            "worker_id": "x.worker_id",
            "work_date": f"DATE '{day}'",
            "first_in": "x.fi",
            "last_out": "x.la",
            "minutes": "(extract(epoch FROM x.la - x.fi) / 60)::int",
            "valid_passes": "x.v",
            "invalid_passes": "x.iv",
            "attended": "x.v > 0",
            "anomalies": "'[]'::jsonb",
        },
    )
    insert(
        KeyPostDay,
        "registry_keypost kp LEFT JOIN attendance_dailyattendance da ON da.project_id = kp.project_id AND"
        f" da.worker_id = kp.holder_id AND da.work_date = DATE '{day}', LATERAL (SELECT kp.id AS g) s",
        {
            "key_post_id": "kp.id",
            "project_id": "kp.project_id",
            "work_date": f"DATE '{day}'",
            "holder_id": "kp.holder_id",
            "attended": "coalesce(da.attended, false)",
            "first_in": "da.first_in",
            "minutes": "coalesce(da.minutes, 0)",
            "exemption": "''",
        },
    )
    return written


class Counter:
    def __init__(self) -> None:
        self.n = 0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.n += 1
        return execute(sql, params, many, context)


def main() -> int:
    args = parse_args()
    var_dir = Path(tempfile.mkdtemp(prefix="smz_bench_"))
    admin, name, url = create_database(args.admin_url)
    say(
        f"smz compliance benchmark — database {name}, {os.cpu_count()} cores, "
        f"{time.strftime('%Y-%m-%d %H:%M:%S %Z')}, {args.projects:,} projects, {args.workers:,} workers"
    )
    try:
        t0 = time.perf_counter()
        django_setup(url, var_dir)
        from django.core.management import call_command
        from django.db import connection

        from smz.compliance.models import Violation
        from smz.compliance.services.engine import judge

        call_command("compliance_rules", verbosity=0)
        say(f"migrated and rules loaded ({time.perf_counter() - t0:.1f} s)")
        t0 = time.perf_counter()
        build_city(args)
        say(f"city built ({time.perf_counter() - t0:.1f} s)")
        sizes = []
        for day, every in DAYS:
            t0 = time.perf_counter()
            n = build_day(args, day, every)
            sizes.append((day, n))
            say(f"{day}: {n:,} passes written ({time.perf_counter() - t0:.1f} s)")
        with connection.cursor() as c:
            c.execute("VACUUM ANALYZE")  # planner statistics as autovacuum would have them
        say("")
        say(
            "| day | passes | run | wall s | SQL statements | found | counted | created | unchanged |"
        )
        say("|---|---:|---|---:|---:|---:|---:|---:|---:|")
        steps: list[tuple[dt.date, str, dict[str, float]]] = []
        for day, n in sizes:
            for label in ("first", "re-run"):
                counter = Counter()
                with connection.execute_wrapper(counter):
                    r = judge(day, day)
                say(
                    f"| {day} | {n:,} | {label} | {r.seconds:.2f} | {counter.n} | {r.found:,} | "
                    f"{r.counted:,} | {r.created:,} | {r.unchanged:,} |"
                )
                steps.append((day, label, r.timings))
            by_rule = dict(
                Violation.objects.filter(day=day)
                .values_list("rule__code")
                .annotate(n=__import__("django.db.models").db.models.Count("id"))
            )
            say(f"  violations by rule on {day}: {by_rule}")
        say("")
        say("seconds per step (context = projects, regimes, pauses, parties; write = the upsert):")
        for day, label, timings in steps:
            parts = ", ".join(
                f"{k} {v:.2f}" for k, v in sorted(timings.items(), key=lambda kv: -kv[1])
            )
            say(f"  {day} {label}: {parts}")
    finally:
        bench_teardown(admin, name, var_dir, keep_db=args.keep_db)
    return 0


if __name__ == "__main__":
    sys.exit(main())
