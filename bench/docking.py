"""Docking benchmark (issue 14): `WorkerAttendance.Add` with 500-record dataLists through the 附件8 gateway, against
the device-direct upload (附件7, POST /device/v1/passes, 500 records) measured in the same run. Results: docs/bench.md.

    .venv/bin/python bench/docking.py                  # 20 batches of 500 each way, no snapshots
    .venv/bin/python bench/docking.py --snapshots      # every record with a JPEG snapshot (base64)

Both paths are called in-process through the WSGI application gunicorn serves (config.wsgi), on PostgreSQL, batch by
batch interleaved so the growing pass index and any load from other processes fall on both alike. Each batch has
500 different people (one team, one project), new seconds for every batch. Timed: the server's work only — the
vendor's envelope (JSON, AES of each idCardNumber, SHA-256 sign) and the device's HMAC headers are built before the
clock starts.
- gateway: the POST (envelope checks, AES decryption of 500 ID numbers, the request stored and committed) plus the
  background processing the worker then does (`docking_request_process`: 500 keyed-hash look-ups of the people,
  their employments, the ingest of the batch); the two are also reported apart;
- device-direct: the POST (signature, strict parsing, the same ingest).
records/s = 500 × batches / summed time; ratio = gateway records/s ÷ device-direct records/s.

Creates its own database (smz_bench_<pid>) and a scratch SMZ_VAR_DIR, and drops both at the end (like bench/ingest.py).
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import datetime as dt
import io
import json
import os
import pstats
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ingest import (  # noqa: E402
    create_database,
    django_setup,
    drop_database,
    say,
    site_with_workers,
    wsgi_post,
)

RECORDS = 500


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument(
        "--admin-url",
        default=os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432/postgres"),
    )
    p.add_argument("--batches", type=int, default=20, help="500-record batches each way")
    p.add_argument("--snapshots", action="store_true", help="a JPEG snapshot on every record")
    p.add_argument(
        "--snapshot-size",
        default="400x300",
        help="snapshot pixels (400x300 ≈ 18 KB: 500 of them, base64 and form-encoded, ≈ 13 MB, under the "
        "20 MB request body limit)",
    )
    p.add_argument(
        "--profile",
        action="store_true",
        help="cProfile one more gateway batch (accept, processing)",
    )
    p.add_argument("--keep-db", action="store_true", help="do not drop the database at the end")
    return p.parse_args()


def build_world() -> dict[str, Any]:
    """One project of a GC, one team, 500 workers on it since last month; a docking app and a gate."""
    from django.utils import timezone

    from smz.accounts.models import Role, User
    from smz.devices.models import Device
    from smz.devices.services import device_register
    from smz.docking.services.apps import docking_app_authorize
    from smz.registry.models import (
        Employment,
        Worker,
    )

    gc, project, team, numbers = site_with_workers(seq=9100, prefix="对接压测", workers=RECORDS)
    workers = list(Worker.objects.order_by("pk").values_list("pk", flat=True))
    entry = timezone.localdate() - dt.timedelta(days=40)
    Employment.objects.bulk_create(
        [
            Employment(
                project=project,
                worker_id=w,
                employer=gc,
                team=team,
                work_type="020",
                work_role="20",
                entry_on=entry,
            )
            for w in workers
        ]
    )
    admin = User.objects.create(
        username="bench_gc_admin", role=Role.ENTERPRISE_ADMIN, enterprise=gc, display_name="压测"
    )
    app, secret = docking_app_authorize(
        actor=admin, enterprise=gc, name="压测实名制系统", vendor="压测", project_ids=[project.pk]
    )
    device, device_secret = device_register(
        actor=admin,
        project=project,
        serial="BENCH-DIRECT-01",
        kind=Device.Kind.FACE_GATE,
        protocol=Device.Protocol.DIRECT_V1,
        entrance="东门",
    )
    return {
        "project": project,
        "team": team,
        "workers": workers,
        "numbers": numbers,
        "app": app,
        "secret": secret,
        "device": device,
        "device_secret": device_secret,
    }


def main() -> None:
    args = parse_args()
    admin, name, db_url = create_database(args.admin_url)
    var_dir = Path(tempfile.mkdtemp(prefix="smz_bench_docking_"))
    try:
        django_setup(db_url, var_dir)
        run(args)
    finally:
        if not args.keep_db:
            from django.db import connections

            connections.close_all()
            drop_database(admin, name)
        shutil.rmtree(var_dir, ignore_errors=True)


def run(args: argparse.Namespace) -> None:
    from django.core.wsgi import get_wsgi_application
    from django.utils import timezone

    from smz.attendance.models import PassRecord
    from smz.core.signing import signed_headers
    from smz.docking import protocol
    from smz.docking.models import DockingRequest
    from smz.docking.services.requests import docking_request_process
    from smz.testing.devices import jpeg

    w = build_world()
    app = get_wsgi_application()
    width, height = (int(x) for x in args.snapshot_size.split("x"))
    snapshot = base64.b64encode(jpeg(width, height)).decode() if args.snapshots else None
    shanghai = protocol.SHANGHAI
    start = timezone.now().astimezone(shanghai).replace(microsecond=0) - dt.timedelta(hours=3)
    say(
        f"docking bench: {args.batches} × {RECORDS} records each way, snapshots "
        f"{f'on ({args.snapshot_size}, {len(snapshot or "")} base64 characters each)' if snapshot else 'off'}"
    )

    def gateway_batch(k: int, profile: Any = None) -> tuple[float, float]:
        moment = start + dt.timedelta(seconds=2 * k)
        data_list = []
        for i, number in enumerate(w["numbers"]):
            item: dict[str, Any] = {
                "idCardType": "01",
                "idCardNumber": number,
                "date": moment.strftime("%Y-%m-%d %H:%M:%S"),
                "direction": "01" if i % 2 else "02",
                "attendType": "face",
            }
            if snapshot:
                item["image"] = snapshot
            data_list.append(item)
        data = {
            "projectCode": w["project"].code,
            "teamSysNo": w["team"].pk,
            "dataList": data_list,
        }
        form = protocol.envelope(
            w["app"].app_id,
            w["secret"],
            "WorkerAttendance.Add",
            data,
            moment=timezone.now(),
            nonce=uuid.uuid4().hex,
            encrypt=True,
        )
        body = urlencode(form).encode()
        if profile is not None:
            profile[0].enable()
        t0 = time.perf_counter()
        status, out = wsgi_post(
            app, "/docking/v1/gateway", body, {}, "application/x-www-form-urlencoded"
        )
        t1 = time.perf_counter()
        if profile is not None:
            profile[0].disable()
            profile[1].enable()
        answer = json.loads(out)
        assert status == 200 and answer["code"] == 0, answer
        request = docking_request_process(answer["data"]["requestSerialCode"])
        t2 = time.perf_counter()
        if profile is not None:
            profile[1].disable()
        assert request is not None and request.accepted_count == RECORDS, request.result
        return t1 - t0, t2 - t1

    def direct_batch(k: int) -> float:
        moment = start + dt.timedelta(seconds=2 * k + 1)
        records = []
        for i, worker in enumerate(w["workers"]):
            rec: dict[str, Any] = {
                "record_id": f"b{k}-{worker}",
                "person_id": worker,
                "time": moment.isoformat(),
                "direction": "in" if i % 2 else "out",
                "verify_mode": "face",
            }
            if snapshot:
                rec["snapshot"] = snapshot
            records.append(rec)
        body = json.dumps({"batch_id": f"bench-{k}", "records": records}).encode()
        headers = signed_headers(
            w["device_secret"],
            w["device"].serial,
            "POST",
            "/device/v1/passes",
            body,
            timestamp=int(time.time()),
            nonce=uuid.uuid4().hex,
        )
        t0 = time.perf_counter()
        status, out = wsgi_post(app, "/device/v1/passes", body, headers)
        t1 = time.perf_counter()
        answer = json.loads(out)
        assert status == 200 and answer.get("accepted") == RECORDS, out[:300]
        return t1 - t0

    gateway_batch(-100)  # warm-up (registers the project's docking device), not counted
    direct_batch(-100)
    accept, process, direct = [], [], []
    for k in range(args.batches):
        a, p = gateway_batch(k)
        accept.append(a)
        process.append(p)
        direct.append(direct_batch(k))
    n = RECORDS * args.batches
    gw_total = sum(accept) + sum(process)
    gw_rate, direct_rate = n / gw_total, n / sum(direct)
    docked = PassRecord.objects.filter(device__serial=f"DOCK-{w['project'].code}").count()
    on_gate = PassRecord.objects.filter(device=w["device"]).count()
    say(f"stored: {docked} docked passes, {on_gate} device-direct passes (warm-up included)")
    say(
        f"gateway      : {gw_rate:8,.0f} records/s   (per batch median {statistics.median(a + p for a, p in zip(accept, process, strict=True)) * 1000:.0f} ms: "
        f"accept {statistics.median(accept) * 1000:.0f} ms + processing {statistics.median(process) * 1000:.0f} ms)"
    )
    say(
        f"  accept only: {n / sum(accept):8,.0f} records/s   processing only: {n / sum(process):8,.0f} records/s"
    )
    say(
        f"device-direct: {direct_rate:8,.0f} records/s   (per batch median {statistics.median(direct) * 1000:.0f} ms)"
    )
    say(f"ratio gateway / device-direct: {gw_rate / direct_rate:.2f}")
    say(f"requests: {DockingRequest.objects.filter(status=20).count()} done")
    if args.profile:
        profiles = (cProfile.Profile(), cProfile.Profile())
        gateway_batch(args.batches + 1, profiles)
        for label, prof in zip(("accept (POST)", "processing"), profiles, strict=True):
            say(f"--- {label}: top 10 by own time")
            text = io.StringIO()
            pstats.Stats(prof, stream=text).sort_stats("tottime").print_stats(10)
            say("\n".join(line for line in text.getvalue().splitlines() if line.strip())[-2400:])


if __name__ == "__main__":
    main()
