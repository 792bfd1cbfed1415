"""Serve the fake upstream gateway (smz.docking.fake_upstream) for trying the upward push by hand:

    manage.py docking_fake_upstream --port 8765 --appid 44000000000000001 --secret <32 characters>

then configure a target with the URL http://127.0.0.1:8765/gateway and the same app id and secret. It keeps its
state in memory and prints what it stored when stopped (Ctrl-C)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from smz.docking.fake_upstream import FakeUpstream, make_server


class Command(BaseCommand):
    help = "Run a fake provincial/national gateway (附件8 protocol) in memory."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--appid", required=True)
        parser.add_argument("--secret", required=True)
        parser.add_argument(
            "--pending-polls",
            type=int,
            default=1,
            help="AsyncHandleResult answers 0 this many times",
        )
        parser.add_argument(
            "--fail-next", type=int, default=0, help="answer HTTP 500 to the next N calls"
        )

    def handle(self, *args, port, host, appid, secret, pending_polls, fail_next, **options):
        if len(secret.encode()) not in (16, 24, 32):
            raise CommandError("secret 应为 16、24 或 32 位")
        fake = FakeUpstream(appid, secret, pending_polls=pending_polls)
        if fail_next:
            fake.fail_next(fail_next, "500")
        server = make_server(fake, host, port)
        # Kept on the command so a test running it in a thread can read the fake and stop the server.
        self.fake, self.server = fake, server
        self.stdout.write(f"fake upstream on http://{host}:{server.server_port}/gateway")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
            kinds: dict[str, int] = {}
            for key in fake.stored:
                kinds[key[0]] = kinds.get(key[0], 0) + 1
            self.stdout.write(f"stored: {kinds}; stored twice: {len(fake.stored_twice())}")
