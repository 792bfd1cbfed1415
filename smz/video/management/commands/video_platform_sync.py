"""Read the online state of cameras from the city's video platforms (V1, V2):

    manage.py video_platform_sync             # one pass over every enabled platform
    manage.py video_platform_sync --loop 60   # a pass every 60 s until stopped (beside the server)

Each platform's result is stored on it (last_polled_at, last_error) and shown on /video/platforms/."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from smz.video.services.platforms import platforms_sync


class Command(BaseCommand):
    help = "Sync camera online state from the video platforms (one pass, or --loop SECONDS)."

    def add_arguments(self, parser):
        parser.add_argument("--loop", type=int, default=0, help="repeat every SECONDS (≥ 10)")

    def handle(self, *args, loop: int, **options):
        if loop and loop < 10:
            raise CommandError("--loop 至少 10 秒")
        while True:
            for r in platforms_sync():
                if r.ok:
                    self.stdout.write(f"platform {r.platform_id}: {r.online}/{r.cameras} online")
                else:
                    self.stdout.write(f"platform {r.platform_id}: {r.error}")
            if not loop:
                return
            try:
                time.sleep(loop)
            except KeyboardInterrupt:
                return
