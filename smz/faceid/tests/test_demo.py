"""The demo city's face identity (make run: seed_faceid before simulate_demo_week): a manager enrolled with
somebody else's face has his post's days 未到岗 with the reason once his week's passes are checked by the
background worker; the step runs once."""

from __future__ import annotations

import datetime as dt

from django.core.management import call_command

from smz.attendance.models import KeyPostDay
from smz.faceid.models import FaceEmbedding, IdentityCheck
from smz.testing.attendance import attend, gate_for, today
from smz.testing.faceid import CHECK, run_queued


def test_seed_faceid_then_a_simulated_week_shows_a_stand_in(
    world, private_dir, capsys, django_capture_on_commit_callbacks
):
    pm = world.workers["pm"]
    call_command("seed_faceid", "--if-empty")
    assert "人脸身份核验演示已就绪" in capsys.readouterr().out
    assert FaceEmbedding.objects.get(worker=pm).usable
    gate = gate_for(world, "p1", "GATE-P1-A")
    days = [today() - dt.timedelta(days=n) for n in (2, 1)]
    for day in days:
        with django_capture_on_commit_callbacks(execute=True):
            attend(gate, pm, day)  # the simulator's face (the astronaut) at the gate
    run_queued(CHECK)
    assert set(IdentityCheck.objects.values_list("result", flat=True)) == {"not_same_person"}
    for day in days:
        row = KeyPostDay.objects.get(key_post__holder=pm, work_date=day)
        assert not row.attended and row.absence_reason == "not_same_person"
    call_command("seed_faceid", "--if-empty")
    assert "已完成，跳过" in capsys.readouterr().out
    assert FaceEmbedding.objects.filter(worker=pm).count() == 1


def test_faceid_embed_fills_in_photos_taken_before(world, private_dir, capsys):
    from django.core.files.base import ContentFile

    from smz.faceid.selectors import workers_without_descriptor
    from smz.testing.faceid import EMBED, jpeg, portrait

    pm, gc = world.workers["pm"], world.workers["gc"]
    for worker in (pm, gc):
        worker.face_photo.save("face.jpg", ContentFile(jpeg(portrait())))
    assert set(workers_without_descriptor()) == {pm, gc}
    call_command("faceid_embed", "--limit", "1")
    assert "已排入后台任务：1 人" in capsys.readouterr().out
    assert run_queued(EMBED) == [True]
    call_command("faceid_embed", "--now")
    assert "已计算：1 人" in capsys.readouterr().out
    assert not workers_without_descriptor().exists()
    assert FaceEmbedding.objects.count() == 2
