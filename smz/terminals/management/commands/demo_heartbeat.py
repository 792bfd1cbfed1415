"""`manage.py demo_heartbeat`: each active simulator device (SIM-…) sends one real heartbeat now.

The demo week ends minutes before the server starts (seed_workflows, seed_labor run after it), and a device
is 在线 only with a heartbeat in the last ONLINE_WITHIN_SECONDS: `make run` calls this last, so the devices the
simulator played answer as any device would, over the same protocol (device-direct heartbeat, ZKTeco
getrequest) against the platform on an ephemeral 127.0.0.1 port, or `--base-url`. `--every N` sends every N
seconds, first after N, until stopped (`make run` runs it beside the server, so the devices stay 在线).
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from smz.devices.models import Device
from smz.terminals.management.commands.simulate_demo_week import platform_server, quiet_refusals
from smz.terminals.simulator.fromdb import PREFIX
from smz.terminals.simulator.run import ZKTECO, DeviceSpec, heartbeat_once


def simulator_specs() -> list[DeviceSpec]:
    """The active simulator devices, with the secrets the gates sign with."""
    devices = Device.objects.filter(
        serial__startswith=f"{PREFIX}-", status=Device.Status.ACTIVE
    ).order_by("pk")
    return [
        DeviceSpec(serial=d.serial, protocol=ZKTECO)
        if d.protocol == Device.Protocol.ZKTECO_PUSH
        else DeviceSpec(serial=d.serial, secret=d.secret)
        for d in devices
    ]


class Command(BaseCommand):
    help = "模拟器设备（SIM-…）各发送一次心跳（真实HTTP），使演示结束时设备在线。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--base-url", default="", help="平台地址；默认在本进程内临时启动")
        parser.add_argument(
            "--every", type=int, default=0, help="每隔 N 秒再发一次（0 为只发一次）"
        )
        parser.add_argument(
            "--seed", type=int, default=2026, help="与 simulate_demo_week 相同的种子"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        specs = simulator_specs()
        if not specs:
            self.stdout.write("没有模拟器设备，无需发送心跳。")
            return
        if options["base_url"]:
            self._send(specs, options["base_url"], options)
            return
        with platform_server() as base_url, quiet_refusals():
            self._send(specs, base_url, options)

    def _send(self, specs: list[DeviceSpec], base_url: str, options: dict[str, Any]) -> None:
        said = None
        while True:
            if options["every"] > 0:
                time.sleep(
                    options["every"]
                )  # `make run` sent the first one before the server started
            answered = 0
            for spec in specs:
                with contextlib.suppress(OSError):  # the server is down: try again next round
                    answered += heartbeat_once(spec, base_url=base_url, seed=options["seed"])
            if answered != said:  # beside a server: a line when it changes, not every round
                self.stdout.write(f"模拟器设备心跳：{answered}/{len(specs)} 台已应答。")
                said = answered
            if options["every"] <= 0:
                return
