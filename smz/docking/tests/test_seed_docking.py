"""`manage.py seed_docking --if-empty` (issue 14 item 7): `make run` authorizes a docking app for one demo project
and prints its app id and secret, once; the app works at the gateway; a second run prints the id only."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from conftest import ensure_reference_data
from smz.docking.models import DockingApp
from smz.registry import demo
from smz.testing.docking import answer, gateway_post


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }


def test_seed_docking_prints_the_secret_once(db, client):
    ensure_reference_data()
    demo.build_demo_city(workers=30)
    call_command("seed_docking", "--if-empty", stdout=(out := io.StringIO()))
    text = out.getvalue()
    app = DockingApp.objects.get()
    assert app.app_id in text and app.secret in text
    assert app.created_by.username == "gc_admin" and app.mode == DockingApp.Mode.LIVE
    (project,) = app.user.projects.all()
    assert project.code == demo.SITES[0].code and project.in_scope
    r = gateway_post(client, app, app.secret, "Project.Query", {"projectCode": project.code})
    assert answer(r)["code"] == 0 and answer(r)["data"]["rows"][0]["projectCode"] == project.code

    call_command("seed_docking", "--if-empty", stdout=(again := io.StringIO()))
    assert DockingApp.objects.count() == 1
    assert app.app_id in again.getvalue() and app.secret not in again.getvalue()


def test_seed_docking_without_the_demo_city_does_nothing(db):
    call_command("seed_docking", "--if-empty", stdout=(out := io.StringIO()))
    assert "跳过" in out.getvalue() and not DockingApp.objects.exists()
