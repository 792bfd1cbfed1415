"""Migrate a system test's own (empty) database, seed one site and one device-direct gate; print it as JSON.

Run in a subprocess from the repository root with the environment the server will get:
`python -m tests.system.gate_seed --workers 20` (the same as `manage.py migrate` and then the seed). Prints
`{"serial", "secret", "project_code", "person_ids", "database", "vendor"}` on stdout (the secret is shown once,
as `device_register` returns it).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os


def seed(workers: int) -> dict:
    from django.db import connection

    from conftest import make_worker
    from smz.accounts.models import Role, User
    from smz.devices.models import Device
    from smz.devices.services import device_register
    from smz.registry.models import Employment, Enterprise, Jurisdiction, Participant, Project, Team
    from smz.registry.synthetic import synthetic_uscc

    gc = Enterprise.objects.create(corp_code=synthetic_uscc(seq=1), name="甲建设集团有限公司")
    builder = Enterprise.objects.create(corp_code=synthetic_uscc(seq=2), name="丁置业有限公司")
    project = Project.objects.create(
        code="442000202599001",
        name="小榄甲住宅项目（断电重传）",
        kind="building",
        floor_area_m2=12000,
        jurisdiction=Jurisdiction.objects.get(short_name="小榄"),
        builder=builder,
        status=Project.Status.ACTIVE,
    )
    Participant.objects.create(project=project, enterprise=gc, corp_type=Participant.GC)
    Participant.objects.create(project=project, enterprise=builder, corp_type=Participant.BUILDER)
    team = Team.objects.create(project=project, enterprise=gc, name="甲钢筋班")
    person_ids = []
    for seq in range(1, workers + 1):
        worker = make_worker(seq, f"测试工人{seq:02d}", male=seq % 2 == 1)
        Employment.objects.create(
            project=project,
            worker=worker,
            employer=gc,
            team=team,
            work_type="020",
            work_role="20",
            entry_on=dt.date(2024, 3, 1),
        )
        person_ids.append(worker.pk)
    labor = User(
        username="gc_labor", role=Role.LABOR_SPECIALIST, enterprise=gc, display_name="gc_labor"
    )
    labor.set_unusable_password()
    labor.save()
    labor.projects.set([project])
    device, secret = device_register(
        actor=labor,
        project=project,
        serial="GATE-CRASH-01",
        kind=Device.Kind.FACE_GATE,
        protocol=Device.Protocol.DIRECT_V1,
        entrance="东门",
        direction=Device.Direction.IN,
    )
    return {
        "serial": device.serial,
        "secret": secret,
        "project_code": project.code,
        "person_ids": person_ids,
        "database": str(connection.settings_dict["NAME"]),
        "vendor": connection.vendor,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=20)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    print(json.dumps(seed(args.workers)))


if __name__ == "__main__":
    main()
