"""Close a day's key-post attendance for every in-scope project that owed it (run from cron after midnight).

Which projects owe key-post attendance on a day is registry.obligations' answer, whatever their stored status:
an active one; a pending one past its planned start + 10 days (nobody came: every post is absent); a suspended
one before its pause really starts; a completed one until the staff stop (WF5); never a project permitted before
2020-02-01 (C1/C3). Passes trigger the recompute of the days they touch; a day on which a post's holder never came
has no pass to trigger it, so this command writes those KeyPostDay rows (absent, or vacant) too — the absence
lists read them. Safe to run again.
It also creates the pass records' month partitions ahead (PostgreSQL, attendance.partitions), sets the actual
start of projects whose first valid attendance day has come, lets what was dated today take effect on the projects' status (registry.lifecycle: WF2, WF3, completion, WF5), and forgets device batch
answers older than ingest.BATCH_ANSWERS_KEEP and the snapshot packs of rolled-back batches.
"""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from smz.attendance.ingest import ingest_batches_purge
from smz.attendance.partitions import partitions_ensure
from smz.attendance.services import actual_starts_record, key_post_days_compute
from smz.attendance.snapshots import snapshot_packs_sweep
from smz.core.timeutil import business_date
from smz.registry.models import KeyPost, Project
from smz.registry.obligations import project_calendars
from smz.registry.project_changes import project_statuses_refresh


class Command(BaseCommand):
    help = "Write every key post's attendance for a day (default: yesterday, city time)."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="YYYY-MM-DD (default: yesterday)")
        parser.add_argument("--days", type=int, default=1, help="how many days back from --date")

    def handle(self, *args, date: str | None = None, days: int = 1, **options):
        try:
            last = (
                dt.date.fromisoformat(date)
                if date
                else business_date(timezone.now()) - dt.timedelta(days=1)
            )
        except ValueError:
            raise CommandError("--date 应为 YYYY-MM-DD") from None
        calendars = project_calendars(
            Project.objects.filter(in_scope=True, pk__in=KeyPost.objects.values("project"))
            .exclude(status=Project.Status.CLOSED)
            .values_list("pk", flat=True)
        )
        rows, closed = 0, set()
        for back in range(max(days, 1)):
            day = last - dt.timedelta(days=back)
            for project_id, calendar in calendars.items():
                if calendar.key_posts_owed(day):
                    rows += len(key_post_days_compute(project_id=project_id, day=day))
                    closed.add(project_id)
        self.stdout.write(f"{rows} key-post days written for {len(closed)} projects")
        self.stdout.write(f"{actual_starts_record()} projects started (first valid attendance)")
        today = business_date(timezone.now())
        self.stdout.write(
            f"{project_statuses_refresh(day=today)} projects changed status as what was dated today "
            "took effect"
        )
        self.stdout.write(
            f"{ingest_batches_purge()} device batch answers older than 30 days forgotten"
        )
        self.stdout.write(
            f"{snapshot_packs_sweep(now=timezone.now())} snapshot packs nothing points at removed"
        )
        self.stdout.write(f"{len(partitions_ensure())} pass partitions created ahead")
