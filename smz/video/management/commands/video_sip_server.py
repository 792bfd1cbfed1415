"""`python manage.py video_sip_server`: smz's GB/T 28181 SIP server (UDP and TCP) on SMZ_SIP_HOST:SMZ_SIP_PORT,
until interrupted. docs/devices/video-sip.md."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from smz.video.sip.server import Config, SipServer


class Command(BaseCommand):
    help = "GB/T 28181 SIP server for cameras and recorders registering directly (UDP and TCP)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", help="listen address (default SMZ_SIP_HOST)")
        parser.add_argument("--port", type=int, help="UDP and TCP port (default SMZ_SIP_PORT)")
        parser.add_argument(
            "--keepalive", type=int, help="keepalive period, s (SMZ_SIP_KEEPALIVE_SECONDS)"
        )
        parser.add_argument("--check-every", type=float, help="silence check period, s (default 2)")
        parser.add_argument("--rate", type=float, help="messages per second allowed per host (100)")
        parser.add_argument(
            "--expires-min", type=int, help="shortest registration accepted, s (60)"
        )
        parser.add_argument(
            "--stats-every", type=float, default=0.0, help="print counters and CPU time every s"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        overrides: dict[str, Any] = {}
        for option, key in (
            ("host", "host"),
            ("port", "port"),
            ("keepalive", "keepalive_seconds"),
            ("check_every", "check_seconds"),
            ("expires_min", "expires_min"),
        ):
            if options.get(option) is not None:
                overrides[key] = options[option]
        if options.get("rate") is not None:
            overrides["rate_per_second"] = options["rate"]
            overrides["burst"] = options["rate"] * 2
        asyncio.run(self._serve(Config.from_settings(**overrides), options["stats_every"]))

    async def _stats(self, server: SipServer, every: float) -> None:
        while True:
            await asyncio.sleep(every)
            s = server.stats
            self.stdout.write(
                f"stats t={time.time():.3f} cpu={time.process_time():.3f} keepalives={s.keepalives} "
                f"registers={s.registers} refused={s.refused} offline={s.went_offline} "
                f"flushes={s.flushes} received={s.received}"
            )
            self.stdout.flush()

    async def _serve(self, config: Config, stats_every: float) -> None:
        server = SipServer(config)
        await server.start()
        self.stdout.write(
            f"SIP server {config.server_id} on {config.host} udp:{server.udp_port} tcp:{server.tcp_port}",
        )
        self.stdout.flush()
        if stats_every:
            stats = asyncio.create_task(self._stats(server, stats_every))
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        if stats_every:
            stats.cancel()
        await server.stop()
        self.stdout.write(
            f"stopped: {server.stats.keepalives} keepalives, {server.stats.registers} registers, "
            f"{server.stats.refused} refused"
        )
