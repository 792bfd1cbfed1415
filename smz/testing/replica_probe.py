"""Run by tests/system/test_replica_streaming.py in a fresh process whose DATABASE_URL is a throw-away
primary and DATABASE_REPLICA_URL its streaming replica: loads pages as the city administrator and prints, as
JSON, which database answered them.

    python -m smz.testing.replica_probe seed          # a project and the city administrator, on the primary
    python -m smz.testing.replica_probe pages CODE    # GET the listed pages; count each database's queries
"""

from __future__ import annotations

import json
import os
import sys


def main(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.db import OperationalError, connections
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from smz.accounts.models import Role, User
    from smz.registry.models import Authority, CodeItem, Enterprise, Jurisdiction, Project
    from smz.registry.reference import MARKET_AUTHORITY, load_reference_data
    from smz.registry.synthetic import synthetic_uscc

    command = argv[0]
    if command == "seed":
        if not CodeItem.objects.exists():
            load_reference_data()
        code = argv[1]
        builder, _ = Enterprise.objects.get_or_create(
            corp_code=synthetic_uscc(seq=901),
            defaults={"name": "副本测试置业有限公司", "reg_type": "150"},
        )
        Project.objects.create(
            code=code,
            name=f"副本测试项目{code[-3:]}",
            permit_no=f"P{code}",
            kind="building",
            floor_area_m2=1000,
            jurisdiction=Jurisdiction.objects.order_by("pk").first(),
            builder=builder,
            status=Project.Status.ACTIVE,
        )
        if not User.objects.filter(username="replica_admin").exists():
            User.objects.create(
                username="replica_admin",
                display_name="replica_admin",
                role=Role.CITY_ADMIN,
                authority=Authority.objects.get(name=MARKET_AUTHORITY),
            )
        print(json.dumps({"seeded": code}))
        return 0
    if command == "pages":
        code = argv[1]
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(User.objects.get(username="replica_admin"))
        out: dict[str, dict[str, object]] = {}
        try:
            connections["replica"].ensure_connection()
            replica_up = True
        except (
            OperationalError
        ):  # stopped: nothing can be read from it, the pages must still answer
            replica_up = False
        for url in ("/projects/", "/api/v1/projects", "/notifications/"):
            with (
                CaptureQueriesContext(connections["default"]) as primary,
                CaptureQueriesContext(
                    connections["replica" if replica_up else "default"]
                ) as replica,
            ):
                response = client.get(url)
            replica_reads = (
                sum("pg_is_in_recovery" not in q["sql"] for q in replica.captured_queries)
                if replica_up
                else 0
            )
            out[url] = {
                "status": response.status_code,
                "found": code in response.content.decode(),
                "primary": len(primary.captured_queries),
                # The lag checks are the router's own; the page's reads are the rest.
                "replica": replica_reads,
            }
        print(json.dumps(out))
        return 0
    print(f"unknown command {command}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
