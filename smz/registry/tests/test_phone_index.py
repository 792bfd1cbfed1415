"""Worker.phone_index (N2): a keyed blind index of the phone, kept in step with every write path."""

from __future__ import annotations

import datetime as dt
import importlib
import types

from django.apps import apps
from django.db import connection

from conftest import ensure_reference_data, make_worker
from smz.registry import demo
from smz.registry.identity import id_number_index, phone_index
from smz.registry.models import Worker
from smz.registry.project_changes import key_post_person
from smz.registry.selectors import workers_find_by_phone
from smz.registry.services import WorkerData, worker_upsert
from smz.registry.synthetic import synthetic_id_number

PHONE = "13900005678"
fill = importlib.import_module("smz.registry.migrations.0005_worker_phone_index").fill_phone_index


def test_n2_phone_index_is_keyed_normalised_and_apart_from_id_numbers():
    index = phone_index(PHONE)
    assert len(index) == 64 and PHONE not in index
    assert phone_index("139 0000 5678") == phone_index("+86 139-0000-5678") == index
    assert phone_index("") == "" and phone_index("  ") == ""
    # the same digits as an "ID number" hash differently: each index has its own purpose prefix
    assert id_number_index("", PHONE) != index
    assert phone_index("13900005679") != index


def test_n2_save_keeps_the_index_in_step(db):
    worker = make_worker(70, "索引测试", phone=PHONE)
    assert worker.phone_index == phone_index(PHONE)
    worker.phone = "13900001111"
    worker.save(update_fields=["phone"])
    assert Worker.objects.get(pk=worker.pk).phone_index == phone_index("13900001111")
    worker.phone = ""
    worker.save()
    assert Worker.objects.get(pk=worker.pk).phone_index == ""
    assert list(workers_find_by_phone(phone="")) == []


def test_n2_upsert_and_permit_registration_index_the_phone(world):
    idn = synthetic_id_number(birth=dt.date(1990, 3, 3), seq=71, male=True)
    worker, created = worker_upsert(
        actor=world.user("sub_labor"),
        data=WorkerData(id_card_type="01", id_number=idn, name="登记测试", phone=PHONE),
    )
    assert created and list(workers_find_by_phone(phone=PHONE)) == [worker]
    worker_upsert(
        actor=world.user("sub_labor"),
        data=WorkerData(id_card_type="01", id_number=idn, name="登记测试", phone="13900002222"),
        change_reason="本人换号",
        evidence_ref="变更申请表第1号",
    )
    assert list(workers_find_by_phone(phone="13900002222")) == [worker]
    assert not workers_find_by_phone(phone=PHONE).exists()
    idn2 = synthetic_id_number(birth=dt.date(1991, 4, 4), seq=72, male=True)
    person = key_post_person(actor=world.user("gc_labor"), id_number=idn2, name="许可人员")
    assert person.phone_index == ""


def test_n2_demo_bulk_create_indexes_phones(db):
    ensure_reference_data()
    demo.build_demo_city(workers=40)
    sample = list(Worker.objects.exclude(phone="").order_by("pk")[:25])
    assert sample
    for worker in sample:
        assert worker.phone_index == phone_index(worker.phone)


def test_n2_migration_fills_the_index_of_existing_rows(db):
    a = make_worker(73, "迁移甲", phone=PHONE)
    b = make_worker(74, "迁移乙", phone="")
    Worker.objects.update(phone_index="")  # as the rows stood before the migration
    fill(apps, types.SimpleNamespace(connection=connection))
    assert Worker.objects.get(pk=a.pk).phone_index == phone_index(PHONE)
    assert Worker.objects.get(pk=b.pk).phone_index == ""


def test_n2_migration_runs_on_an_empty_table(db):
    assert not Worker.objects.exists()
    fill(apps, types.SimpleNamespace(connection=connection))
    assert not Worker.objects.exists()
