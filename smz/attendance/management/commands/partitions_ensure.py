"""`manage.py partitions_ensure`: create the pass records' monthly partitions ahead (PostgreSQL; issue 17 goal 5).

Idempotent; run daily (`attendance_close_day` runs it too) and by `make run`. On SQLite it says so and does
nothing. See smz/attendance/partitions.py.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import connection

from smz.attendance.partitions import AHEAD_MONTHS, is_partitioned, partitions_ensure


class Command(BaseCommand):
    help = "Create the pass records' month partitions from this month to --ahead months on (PostgreSQL)."

    def add_arguments(self, parser):
        parser.add_argument("--ahead", type=int, default=AHEAD_MONTHS, help="months after this one")

    def handle(self, *args, ahead: int = AHEAD_MONTHS, **options):
        if not is_partitioned():
            self.stdout.write(
                f"{connection.vendor}: pass records are not partitioned, nothing to do"
            )
            return
        created = partitions_ensure(ahead=max(ahead, 0))
        self.stdout.write(
            f"{len(created)} partitions created" + (f": {', '.join(created)}" if created else "")
        )
