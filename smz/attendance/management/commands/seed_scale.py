"""`manage.py seed_scale`: a city-sized data set for the page benchmark (issue 17 goal 4, smz.attendance.scale)."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.utils import timezone

from smz.attendance import scale

DEFAULT = scale.ScaleSize()


class Command(BaseCommand):
    help = (
        "生成城市规模的压测数据（默认 1,000 个项目、200,000 名工人、约 100 天 2,000 万条通行记录），仅限 PostgreSQL；"
        "数据库中已有规模测试项目时拒绝。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--projects", type=int, default=DEFAULT.projects)
        parser.add_argument("--workers", type=int, default=DEFAULT.workers)
        parser.add_argument(
            "--days", type=int, default=DEFAULT.days, help="city days, ending yesterday"
        )
        parser.add_argument("--passes-per-day", type=int, default=DEFAULT.passes_per_day)
        parser.add_argument(
            "--last-day", type=dt.date.fromisoformat, help="the last city day (default: yesterday)"
        )
        parser.add_argument(
            "--password", default="", help="password of the two logins (default: none usable)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("seed_scale 需要 PostgreSQL（设置 DATABASE_URL）。")
        size = scale.ScaleSize(
            projects=options["projects"],
            workers=options["workers"],
            days=options["days"],
            passes_per_day=options["passes_per_day"],
        )
        if (
            min(size.projects, size.days, size.passes_per_day) < 1
            or size.workers < 2 * size.projects
        ):
            raise CommandError("至少 1 个项目、1 天、每天 1 条通行，工人数不少于项目数的两倍。")
        if scale.scale_city_exists():
            raise CommandError("数据库中已有规模测试数据（项目编码 SC…），不再重复生成。")
        last_day = options["last_day"] or timezone.localdate() - dt.timedelta(days=1)
        self.stdout.write(
            f"seed_scale: {size.projects:,} projects, {size.workers:,} workers, {size.days} days"
            f" to {last_day}, ≈ {size.passes_per_day:,} passes a day"
        )
        started = time.perf_counter()
        scale.scale_city_build(
            size=size, last_day=last_day, say=self.stdout.write, password=options["password"]
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"done in {time.perf_counter() - started:.1f} s; logins {scale.CITY_LOGIN} (city),"
                f" {scale.TOWN_LOGIN} (小榄)"
            )
        )
