"""Close a day's key-post attendance for every active in-scope project (run from cron after midnight).

Passes trigger the recompute of the days they touch; a day on which a post's holder never came has no pass to
trigger it, so this command writes those KeyPostDay rows (absent, or vacant) too. Safe to run again.
It also lets approved suspensions and resumptions dated today take effect on the projects' status (WF2, WF3),
and forgets device batch answers older than ingest.BATCH_ANSWERS_KEEP.
"""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from smz.attendance.ingest import ingest_batches_purge
from smz.attendance.services import key_post_days_compute
from smz.core.timeutil import business_date
from smz.registry.models import KeyPost, Project
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
        projects = list(
            Project.objects.filter(
                status=Project.Status.ACTIVE,
                in_scope=True,
                pk__in=KeyPost.objects.values("project"),
            ).values_list("pk", flat=True)
        )
        rows = 0
        for back in range(max(days, 1)):
            day = last - dt.timedelta(days=back)
            for project_id in projects:
                rows += len(key_post_days_compute(project_id=project_id, day=day))
        self.stdout.write(f"{rows} key-post days written for {len(projects)} projects")
        today = business_date(timezone.now())
        self.stdout.write(
            f"{project_statuses_refresh(day=today)} projects changed status as approved suspensions "
            "and resumptions took effect"
        )
        self.stdout.write(
            f"{ingest_batches_purge()} device batch answers older than 30 days forgotten"
        )
