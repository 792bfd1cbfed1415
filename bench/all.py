"""`make bench`: every figure of issue 17 measured in one run, each printed beside its target (docs/bench.md).

    .venv/bin/python bench/all.py              # full sizes, about 8 minutes on 2 cores (7 min 51 s on 2026-12-05 20:38, code a024910)
    .venv/bin/python bench/all.py --quick      # small sizes, a few minutes: checks the benches run
    .venv/bin/python bench/all.py --only ingest,rollup

Runs, one after the other (each creates and drops its own PostgreSQL database, BENCH_PG):
  ingest  bench/ingest.py: HTTP uploads with and without a 9 KB JPEG per record, 500 devices sending single
          check-ins, the disk's own limit for the snapshot bytes (goals 1 and 2)
  rollup  bench/rollup.py: the roll-up of a city morning of 400,000 passes with 2 task workers (goal 3)
  pages   bench/pages.py: list pages and API lists on city-sized data, city and town user (goal 4)
Each writes its headline figures to a JSON file; this script prints them as one table and keeps the JSON
(--out). The full output of each bench goes to the terminal as it runs.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable

QUICK = {
    "ingest": [
        "--rows",
        "5000",
        "--snapshot-rows",
        "1000",
        "--http-batches",
        "60",
        "--http-snapshot-batches",
        "30",
        "--checkin-devices",
        "100",
        "--checkin-seconds",
        "10",
        "--checkin-intervals",
        "4",
        "--disk-mb",
        "100",
        "--profile-requests",
        "0",
        "--py-spy",
        "0",
        "--no-what-if",
    ],
    "rollup": ["--projects", "40", "--workers", "8000", "--sample", "2"],
    "pages": ["--quick"],
}
FULL = {
    "ingest": [
        "--http-batches",
        "800",
        "--http-snapshot-batches",
        "400",
        "--profile-requests",
        "0",
        "--py-spy",
        "0",
        "--no-what-if",
    ],
    "rollup": ["--procs", "2"],
    "pages": [],
}


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument(
        "--quick", action="store_true", help="small sizes (a smoke run, not the figures)"
    )
    p.add_argument("--only", default="ingest,rollup,pages", help="comma-separated benches to run")
    p.add_argument("--out", type=Path, help="keep the collected figures in this JSON file")
    return p.parse_args()


def run(name: str, extra: list[str], summary: Path) -> tuple[int, float]:
    script = ROOT / "bench" / f"{name}.py"
    if not script.exists():
        print(f"\n##### {name}: bench/{name}.py is not there; skipped", flush=True)
        return 127, 0.0
    cmd = [PY, str(script), *extra, "--summary", str(summary)]
    print(f"\n##### {name}: {' '.join(cmd[1:])}", flush=True)
    t0 = time.perf_counter()
    rc = subprocess.run(cmd, cwd=ROOT, check=False).returncode  # noqa: S603 - our own scripts
    return rc, time.perf_counter() - t0


def row(
    goal: str, figure: str, value: float | None, fmt: str, target: str, met: bool | None
) -> str:
    shown = "—" if value is None else format(value, fmt)
    verdict = "—" if met is None else ("met" if met else "NOT met")
    return f"| {goal} | {figure} | {shown} | {target} | {verdict} |"


def table(figures: dict[str, Any]) -> list[str]:
    lines = ["| goal | figure | measured | target | |", "|---|---|---|---|---|"]
    ingest = figures.get("ingest", {})
    snap = ingest.get("http_snapshots", {})
    plain = ingest.get("http_plain", {})
    checkins = ingest.get("checkins", [])
    disk = ingest.get("disk", {})
    if snap:
        lines.append(
            row(
                "1",
                "HTTP uploads with a 9 KB JPEG per record, records/s",
                snap["records_s"],
                ",.0f",
                "≥ 8,000",
                snap["records_s"] >= 8000,
            )
        )
        cpu = snap["cpu_us_per_record"]
        lines.append(
            row(
                "1",
                "  server CPU per record (gunicorn + PostgreSQL), µs",
                cpu,
                ",.0f",
                "≤ 200",
                cpu is not None and cpu <= 200,
            )
        )
    if disk:
        need = 8000 * disk["bytes_per_record"] / 1024 / 1024
        lines.append(
            row(
                "1",
                "  disk: packs written with fsync, MB/s (dd: {:,.0f} MB/s)".format(disk["dd_mb_s"]),
                disk["packs_mb_s"],
                ",.0f",
                f"≥ {need:,.0f} (8,000 records/s)",
                disk["packs_mb_s"] >= need,
            )
        )
        if snap:
            lines.append(
                row(
                    "1",
                    "  snapshot bytes written at the measured rate, % of the pack-write limit",
                    snap["records_s"] / disk["records_s_at_packs"] * 100,
                    ".0f",
                    "(how close)",
                    None,
                )
            )
    if plain:
        cpu = plain["cpu_us_per_record"]
        lines.append(
            row(
                "2",
                "HTTP uploads without snapshots, server CPU per record, µs",
                cpu,
                ",.0f",
                "≤ 60",
                cpu is not None and cpu <= 60,
            )
        )
        lines.append(
            row(
                "2",
                "  records/s on this machine (clients on the same 2 cores)",
                plain["records_s"],
                ",.0f",
                "(28,000 needs ≤ 71 µs/record on 2 cores)",
                None,
            )
        )
    for checkin in checkins:
        lines.append(
            row(
                "2",
                f"single check-in p99, {checkin['devices']} devices, {checkin['offered_s']:,.0f}/s "
                f"offered ({checkin['cpu_ms_per_checkin']:.1f} ms server CPU each), ms",
                checkin["p99_ms"],
                ".1f",
                "< 50",
                checkin["p99_ms"] < 50,
            )
        )
    rollup = figures.get("rollup", {})
    if rollup:
        lines.append(
            row(
                "3",
                f"roll-up of {rollup['passes']:,} passes, {rollup['procs']} worker(s), s",
                rollup["wall_s"],
                ".1f",
                "< 60",
                rollup["wall_s"] < 60,
            )
        )
        lines.append(
            row(
                "3",
                "  statements per batch; same rows as the row-by-row code",
                rollup["statements_per_batch"],
                ".1f",
                "fixed; identical",
                rollup["same_as_row_by_row"],
            )
        )
    pages = figures.get("pages", {})
    for export in pages.get("exports", []):
        lines.append(
            row(
                "4",
                f"export: {export['name']} ({export.get('user', 'city')} user), MB above start",
                export["mb_above_start"],
                ",.0f",
                "flat (streamed)",
                None,
            )
        )
    for page in pages.get("pages", []):
        lines.append(
            row(
                "4",
                f"{page['name']} ({page['user']}), p95 ms",
                page["p95_ms"],
                ",.0f",
                "< 200",
                page["p95_ms"] < 200,
            )
        )
    return lines


def main() -> int:
    args = parse_args()
    sizes = QUICK if args.quick else FULL
    wanted = [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = [n for n in wanted if n not in sizes]
    if unknown:
        raise SystemExit(f"unknown bench: {', '.join(unknown)} (ingest, rollup, pages)")
    figures: dict[str, Any] = {}
    failed = []
    with tempfile.TemporaryDirectory(prefix="smz_bench_all_") as tmp:
        for name in wanted:
            summary = Path(tmp) / f"{name}.json"
            rc, seconds = run(name, sizes[name], summary)
            if summary.exists():
                figures[name] = json.loads(summary.read_text()) | {"seconds": seconds}
            if rc != 0:
                failed.append(f"{name} (exit {rc})")
    load = os.getloadavg()
    print(
        f"\n##### issue 17 figures, {time.strftime('%Y-%m-%d %H:%M %Z')}, "
        f"{'QUICK sizes (not the figures)' if args.quick else 'full sizes'}, "
        f"{os.cpu_count()} cores, load average now {load[0]:.2f}/{load[1]:.2f}/{load[2]:.2f}"
    )
    codes = {f.get("code") for f in figures.values() if f.get("code")}
    print(f"code {', '.join(sorted(codes)) or 'unknown'}\n")
    print("\n".join(table(figures)))
    if args.out:
        args.out.write_text(json.dumps(figures, indent=2))
    if failed:
        print(f"\nbenches that failed: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
