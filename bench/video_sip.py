"""GB/T 28181 keepalive benchmark (issue 16): N simulated cameras keeping alive against one SIP server process.
Results and method: docs/bench.md ("Video: GB/T 28181 keepalives").

    .venv/bin/python bench/video_sip.py                     # 2,000 cameras, keepalive every 6 s (= 60 s × 10)
    .venv/bin/python bench/video_sip.py --cameras 200 --measure 30   # to iterate

Method: a fresh PostgreSQL database (BENCH_PG, as bench/ingest.py) with one site and N directly registering
IPCs; `manage.py video_sip_server` in its own process (the figure is that process's CPU time, read from its own
`--stats-every` lines: CPU seconds and keepalives answered between two lines after every camera is online);
the simulator in a second process (`python -m smz.video.simulator --json`, one UDP socket). Time is compressed:
a keepalive every `--keepalive` s instead of 60 s, i.e. the message rate of N × 60 / keepalive cameras at 60 s.
`--drop` cameras stop keeping alive mid-run; this process polls the database every 0.2 s and takes, for each,
lag = (first seen offline) − (its last_keepalive_at + 3 × keepalive): how late after the third missed
keepalive the camera is marked offline (the silence check runs every 2 s after a 1 s flush, so the lag is a
few seconds whatever the period: at 60 s it is the same number of seconds, not ten times more).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ingest import create_database, django_setup, drop_database, site_with_workers  # noqa: E402

PASSWORD = "Bench-pass-2026"  # noqa: S105 (a benchmark site's password)


def cpu_lines(path: Path) -> list[dict[str, float]]:
    rows = []
    for line in path.read_text().splitlines():
        if line.startswith("stats "):
            rows.append({k: float(v) for k, v in (p.split("=") for p in line.split()[1:])})
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cameras", type=int, default=2000)
    parser.add_argument("--keepalive", type=float, default=6.0, help="s (60 s compressed ×10)")
    parser.add_argument("--drop", type=int, default=50, help="cameras that stop keeping alive")
    parser.add_argument(
        "--measure", type=float, default=60.0, help="s of steady keepalives measured"
    )
    parser.add_argument("--port", type=int, default=25060)
    parser.add_argument(
        "--ramp", type=float, default=None, help="s over which cameras first register"
    )
    parser.add_argument(
        "--pg", default=os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432/postgres")
    )
    args = parser.parse_args()

    admin, name, db_url = create_database(args.pg)
    var_dir = Path(tempfile.mkdtemp(prefix="smz-bench-video-"))
    server = sim = None
    try:
        t = time.monotonic()
        django_setup(db_url, var_dir)
        from smz.video.models import Camera, ProjectVideo

        _, project, _, _ = site_with_workers(seq=9300, prefix="视频压测", workers=0)
        ProjectVideo.objects.create(project=project, sip_password=PASSWORD)
        ids = [f"44200000001327{i:06d}" for i in range(1, args.cameras + 1)]
        Camera.objects.bulk_create(
            [Camera(project=project, gb_id=g, kind="132", name=f"摄像机{g[-4:]}") for g in ids],
            batch_size=1000,
        )
        print(f"setup: migrated, {len(ids):,} cameras ({time.monotonic() - t:.0f} s)", flush=True)
        devices = var_dir / "devices.json"
        devices.write_text(json.dumps([{"gb_id": g, "password": PASSWORD} for g in ids]))
        env = {
            **os.environ,
            "DATABASE_URL": db_url,
            "SMZ_VAR_DIR": str(var_dir),
            "LOG_LEVEL": "WARNING",
        }
        server_log = var_dir / "server.log"
        server = subprocess.Popen(  # noqa: S603 - fixed argv
            [
                sys.executable,
                "manage.py",
                "video_sip_server",
                f"--port={args.port}",
                f"--keepalive={int(args.keepalive)}",
                "--check-every=2",
                "--rate=100000",  # every simulated camera comes from 127.0.0.1
                "--stats-every=5",
            ],
            cwd=ROOT,
            env=env,
            stdout=server_log.open("w"),
            stderr=subprocess.STDOUT,
        )
        time.sleep(3)
        ramp = args.ramp if args.ramp is not None else args.cameras / 33  # ≈ 33 REGISTERs a second
        drop_ids = ids[:: max(1, len(ids) // max(1, args.drop))][: args.drop]
        warm = ramp + 2 * args.keepalive
        drop_after = warm + args.measure / 3
        sim = subprocess.Popen(  # noqa: S603 - fixed argv
            [
                sys.executable,
                "-m",
                "smz.video.simulator",
                f"--json={devices}",
                f"--server=127.0.0.1:{args.port}",
                f"--keepalive={args.keepalive}",
                f"--ramp={ramp}",
                f"--drop-after={drop_after}",
                *[f"--drop={g}" for g in drop_ids],
            ],
            cwd=ROOT,
            env=env,
            stdout=(var_dir / "sim.log").open("w"),
            stderr=subprocess.STDOUT,
        )
        started = time.monotonic()
        while Camera.objects.filter(online=True).count() < len(ids):
            if time.monotonic() - started > warm + 60:
                raise SystemExit("not every camera came online")
            time.sleep(1)
        print(f"all {len(ids):,} online after {time.monotonic() - started:.0f} s", flush=True)
        time.sleep(max(0.0, warm - (time.monotonic() - started)))
        measure_from = time.time()
        drop_wall = measure_from + (started + drop_after - time.monotonic())
        seen_off: dict[str, float] = {}
        end = started + warm + args.measure
        while time.monotonic() < end or len(seen_off) < len(drop_ids):
            if time.monotonic() > end + 60:
                break
            if time.time() >= drop_wall:  # (before the drop, nothing of theirs should be offline)
                for g in Camera.objects.filter(gb_id__in=drop_ids, online=False).values_list(
                    "gb_id", flat=True
                ):
                    seen_off.setdefault(g, time.time())
            time.sleep(0.2)
        measure_to = time.time()
        last = dict(
            Camera.objects.filter(gb_id__in=drop_ids).values_list("gb_id", "last_keepalive_at")
        )
        lags = [seen_off[g] - (last[g].timestamp() + 3 * args.keepalive) for g in seen_off]
        wrongly_off = Camera.objects.filter(online=False).exclude(gb_id__in=drop_ids).count()
        from smz.video.models import CameraOnlineInterval

        extra_intervals = CameraOnlineInterval.objects.exclude(
            camera__gb_id__in=drop_ids
        ).count() - (len(ids) - len(drop_ids))
        rows = [r for r in cpu_lines(server_log) if measure_from <= r["t"] <= measure_to]
        if len(rows) < 2:
            raise SystemExit("too few stats lines: " + server_log.read_text()[-2000:])
        cpu = rows[-1]["cpu"] - rows[0]["cpu"]
        kas = rows[-1]["keepalives"] - rows[0]["keepalives"]
        span = rows[-1]["t"] - rows[0]["t"]
        print(
            f"steady keepalives: {kas:,.0f} in {span:.0f} s ({kas / span:,.0f}/s = "
            f"{kas / span * 60:,.0f} cameras at 60 s)"
        )
        print(
            f"server CPU: {cpu:.2f} s = {cpu / kas * 1e6:,.0f} µs per keepalive "
            f"({cpu / span * 100:.1f}% of one core)"
        )
        if lags:
            print(
                f"dropped {len(drop_ids)}, seen offline {len(seen_off)}: lag after the third missed "
                f"keepalive max {max(lags):.2f} s, median {statistics.median(lags):.2f} s, "
                f"min {min(lags):.2f} s"
            )
        print(
            f"cameras wrongly offline at the end: {wrongly_off}; intervals beyond one per kept "
            f"camera (a false offline in the run): {extra_intervals}"
        )
        load = os.getloadavg()
        print(f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
        return 0
    finally:
        for proc in (sim, server):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGINT if proc is sim else signal.SIGTERM)
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    proc.kill()
        from django.db import connections

        connections.close_all()
        drop_database(admin, name)


if __name__ == "__main__":
    sys.exit(main())
