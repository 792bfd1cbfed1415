"""Serve the fake WVP-GB28181-pro (smz.video.fake_wvp) for trying the video platform pages by hand:

    manage.py video_fake_wvp --port 18080 --camera 44200000001327000001 --nvr 44200000001187000010:44200000001317000011,44200000001317000012

then add a platform of kind WVP with the URL http://127.0.0.1:18080 and the account admin / admin on
/video/platforms/, and run `manage.py video_platform_sync`. State lives in memory."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from smz.video.fake_wvp import FakeWvp, make_server


class Command(BaseCommand):
    help = "Run a fake WVP-GB28181-pro video platform in memory."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=18080)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--username", default="admin")
        parser.add_argument("--password", default="admin")
        parser.add_argument("--media-base", default="http://127.0.0.1:18081")
        parser.add_argument(
            "--camera", action="append", default=[], help="an online IPC (its GB id)"
        )
        parser.add_argument(
            "--nvr", action="append", default=[], help="NVR_ID:CHANNEL_ID,CHANNEL_ID (all online)"
        )
        parser.add_argument(
            "--offline", action="append", default=[], help="an offline IPC (its GB id)"
        )

    def handle(self, *args, port, host, username, password, media_base, camera, nvr, offline, **o):
        fake = FakeWvp(username=username, password=password, media_base=media_base)
        for gb in camera:
            fake.add_device(gb, f"IPC {gb[-6:]}")
        for gb in offline:
            fake.add_device(gb, f"IPC {gb[-6:]}", online=False)
        for spec in nvr:
            device, _, chans = spec.partition(":")
            if not device or not chans:
                raise CommandError("--nvr 应为 录像机编号:通道编号,通道编号")
            fake.add_device(
                device, f"NVR {device[-6:]}", channels=dict.fromkeys(chans.split(","), True)
            )
        server = make_server(fake, host, port)
        self.fake, self.server = fake, server
        self.stdout.write(
            f"fake WVP on http://{host}:{server.server_port} ({len(fake.devices)} devices)"
        )
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
            self.stdout.write(f"calls: {len(fake.calls)}")
