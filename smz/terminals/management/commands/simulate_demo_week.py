"""`manage.py simulate_demo_week`: a week of gate traffic for the demo city, made by the device simulator.

Starts the platform on an ephemeral 127.0.0.1 port inside this process, registers simulator devices on demo
projects (device-direct gates, ZKTeco terminals), plays the last days against it over real HTTP, then runs
the queued background tasks so daily attendance exists. `--if-empty` (for `make run`) skips when pass
records exist already or when the database holds no demo project.
"""

from __future__ import annotations

import logging
import signal
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.core.servers.basehttp import (
    ThreadedWSGIServer,
    WSGIRequestHandler,
    get_internal_wsgi_application,
)
from django.db import connections

from smz.attendance.models import DailyAttendance, PassRecord
from smz.core.seeding import seed_step_done, seed_step_finish
from smz.registry.demo import SITES
from smz.registry.models import Project
from smz.terminals.simulator import fromdb
from smz.terminals.simulator.run import Options, simulate

# People per device and upload interval: keep `make run` under a minute extra on two cores. The cost is
# the background work (face check ~25 ms a pass; daily and key-post recompute per uploaded batch), not
# the HTTP traffic, so the demo uploads every two hours: fewer, larger batches.
DEMO_PEOPLE = 15
DEMO_UPLOAD_EVERY = 120
DEMO_CODES = [site.code for site in SITES]


class _Handler(WSGIRequestHandler):
    """No request log lines; answers not held back by Nagle (headers and body are written apart)."""

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def platform_server() -> Iterator[str]:
    """The WSGI application on 127.0.0.1:<free port> in a background thread; yields the base URL."""
    server = ThreadedWSGIServer(("127.0.0.1", 0), _Handler, allow_reuse_address=False)
    server.set_app(get_internal_wsgi_application())
    thread = threading.Thread(target=server.serve_forever, name="simulator-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextmanager
def quiet_refusals() -> Iterator[None]:
    """The simulator's deliberate bad signatures would print a warning each (django.request)."""
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


@contextmanager
def signals_kept() -> Iterator[None]:
    """db_worker installs its own SIGINT/SIGTERM handlers; give the caller's back afterwards."""
    kept = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in kept.items():
            signal.signal(sig, handler)


STEP = "demo_week"


class Command(BaseCommand):
    help = (
        "用设备模拟器生成演示城市最近一周的闸机通行记录和每日考勤（真实HTTP，设备直连 + ZKTeco）。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--if-empty", action="store_true", help="已有通行记录时跳过")
        parser.add_argument("--days", type=int, default=7, help="天数（含今天），默认 7")
        parser.add_argument("--projects", type=int, default=5, help="装设备直连闸机的项目数")
        parser.add_argument("--zkteco", type=int, default=1, help="另装 ZKTeco 考勤机的项目数")
        parser.add_argument(
            "--people",
            type=int,
            default=DEMO_PEOPLE,
            help=f"每台设备最多模拟的人数（关键岗位人员和有账号的工人总在其中），默认 {DEMO_PEOPLE}；0 为不限",
        )
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--threads", type=int, default=2, help="同时模拟的设备数")
        parser.add_argument(
            "--upload-every", type=int, default=DEMO_UPLOAD_EVERY, help="设备定时上传间隔（分钟）"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_empty"] and seed_step_done(name=STEP):
            self.stdout.write(
                "已有通行记录（模拟已完成），跳过模拟（要重新模拟请去掉 --if-empty）。"
            )
            return
        if options["if_empty"] and PassRecord.objects.exists():
            # An interrupted run: devices resend the same record ids, which ingest stores once.
            self.stdout.write("上次模拟未完成，继续模拟（已收到的记录不会重复入库）。")
        if options["if_empty"] and not Project.objects.filter(code__in=DEMO_CODES).exists():
            # make run may point at a real database (DATABASE_URL): no simulated devices there.
            self.stdout.write("数据库中没有演示城市的项目，跳过模拟（要模拟请去掉 --if-empty）。")
            return
        started = time.perf_counter()
        devices = fromdb.simulator_devices_ensure(
            projects=options["projects"], zkteco=options["zkteco"]
        )
        specs = fromdb.device_specs(devices)
        if not specs:
            self.stdout.write("没有可模拟的项目（请先运行 manage.py seed_demo）。")
            return
        self.stdout.write(f"设备模拟器：{len(specs)} 台设备，最近 {options['days']} 天……")
        # Quiet after the server: loading the WSGI application configures logging again.
        with platform_server() as base_url, quiet_refusals():
            tally, elapsed = simulate(
                specs,
                Options(
                    base_url=base_url,
                    days=options["days"],
                    seed=options["seed"],
                    max_people=options["people"] or None,
                    upload_every_minutes=options["upload_every"],
                    threads=options["threads"],
                ),
                log=self.stdout.write,
            )
        connections.close_all()
        for line in tally.lines(elapsed):
            self.stdout.write(f"  {line}")
        # Face checks and daily rows, as `manage.py db_worker` would do them: after the traffic, because
        # a worker beside the server would mostly wait on SQLite's write lock.
        worker_started = time.perf_counter()
        with signals_kept():
            call_command(
                "db_worker",
                batch=True,
                startup_delay=False,
                reload=False,
                queue_name="*",
                verbosity=0,
            )
        attended = DailyAttendance.objects.filter(attended=True).count()
        seed_step_finish(name=STEP)
        self.stdout.write(
            f"  后台任务         {time.perf_counter() - worker_started:.1f} 秒；"
            f"通行记录 {PassRecord.objects.count()} 条，出勤人天 {attended}"
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"模拟的一周考勤已就绪，用时 {time.perf_counter() - started:.1f} 秒。"
            )
        )
