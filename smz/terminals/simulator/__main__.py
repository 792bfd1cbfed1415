"""`python -m smz.terminals.simulator`: play face gates and ZKTeco terminals against a running platform."""

from __future__ import annotations

import argparse
import os
import re
import sys

from smz.terminals.simulator.run import ZKTECO, DeviceSpec, Options, simulate


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m smz.terminals.simulator",
        description="Simulate site devices (device-direct v1 gates, ZKTeco PUSH terminals) over HTTP.",
    )
    p.add_argument("--base-url", default="http://127.0.0.1:8000", help="the platform's address")
    p.add_argument(
        "--device",
        action="append",
        default=[],
        metavar="SERIAL:SECRET",
        help="a device-direct gate (repeatable); without :SECRET the secret comes from "
        "SMZ_SIM_SECRET_<SERIAL> (upper case, other characters as _)",
    )
    p.add_argument(
        "--zkteco", action="append", default=[], metavar="SERIAL", help="a ZKTeco terminal"
    )
    p.add_argument(
        "--from-db",
        action="store_true",
        help="read devices and secrets from the database (config.settings); with --projects, register "
        "simulator devices on demo projects first",
    )
    p.add_argument(
        "--projects", type=int, default=0, help="with --from-db: gates on N demo projects"
    )
    p.add_argument(
        "--zkteco-projects", type=int, default=1, help="with --projects: ZKTeco terminals on M more"
    )
    p.add_argument("--days", type=int, default=7, help="days of traffic, today included")
    p.add_argument("--people", type=int, default=None, help="at most this many people per device")
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--outages", type=int, default=1, help="offline periods per device")
    p.add_argument("--bad-signatures", type=int, default=1, help="badly signed uploads per gate")
    p.add_argument("--replays", type=int, default=2, help="batches re-sent with the same batch_id")
    p.add_argument("--upload-every", type=int, default=15, help="minutes between regular uploads")
    p.add_argument("--threads", type=int, default=4, help="devices played at the same time")
    return p


def _secret_variable(serial: str) -> str:
    """SMZ_SIM_SECRET_GATE_P1_01 for GATE-P1-01: a secret kept out of the process list."""
    return "SMZ_SIM_SECRET_" + re.sub(r"[^0-9A-Za-z]", "_", serial).upper()


def _specs(args: argparse.Namespace) -> list[DeviceSpec]:
    specs = []
    for item in args.device:
        serial, _, secret = item.partition(":")
        secret = secret or os.environ.get(_secret_variable(serial), "")
        if not secret:
            raise SystemExit(f"no secret for {serial}: --device SERIAL:SECRET")
        specs.append(DeviceSpec(serial=serial, secret=secret))
    specs += [DeviceSpec(serial=s, protocol=ZKTECO) for s in args.zkteco]
    if args.from_db:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        import django

        django.setup()
        # Imported after setup, not at the top: it reads the models, and without --from-db the simulator runs
        # against a remote platform with no Django settings at all.
        from smz.terminals.simulator import fromdb

        if args.projects:
            devices = fromdb.simulator_devices_ensure(
                projects=args.projects, zkteco=args.zkteco_projects
            )
        else:
            devices = fromdb.active_devices()
        specs += fromdb.device_specs(devices)
    return specs


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    specs = _specs(args)
    if not specs:
        print(
            "no devices: give --device SERIAL:SECRET, --zkteco SERIAL or --from-db", file=sys.stderr
        )
        return 2
    options = Options(
        base_url=args.base_url,
        days=args.days,
        seed=args.seed,
        upload_every_minutes=args.upload_every,
        outages=args.outages,
        bad_signatures=args.bad_signatures,
        replays=args.replays,
        max_people=args.people,
        threads=args.threads,
    )
    print(f"simulating {len(specs)} devices, {args.days} days, against {args.base_url}")
    try:
        tally, elapsed = simulate(specs, options)
    except OSError as exc:
        print(f"cannot reach {args.base_url}: {exc}", file=sys.stderr)
        return 2
    print("\n".join(tally.lines(elapsed)))
    stored = tally.statuses["accepted"] + tally.statuses["duplicate"] + tally.zk_stored
    return 1 if tally.planned and not stored else 0


if __name__ == "__main__":
    sys.exit(main())
