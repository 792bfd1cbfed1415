"""Error answers in Chinese, never Django's debug pages (issue 11 item 5): a page for people, the envelope for
machines; the favicon exists; links are offered only to roles that can use them."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import path

from config import urls as root_urls


def boom(request):
    raise RuntimeError("deliberate")


urlpatterns = [path("boom/", boom), path("api/v1/boom/", boom), *root_urls.urlpatterns]
handler404 = root_urls.handler404
handler500 = root_urls.handler500


def test_debug_is_off_unless_asked_for(monkeypatch):
    # make run serves with the settings' default; DEBUG=1 must be set explicitly for tracebacks.
    # (pytest-django switches django.conf.settings.DEBUG off by itself, so read the settings module.)
    import importlib

    import config.settings as module

    monkeypatch.delenv("DEBUG", raising=False)
    assert importlib.reload(module).DEBUG is False
    monkeypatch.setenv("DEBUG", "1")
    assert importlib.reload(module).DEBUG is True
    monkeypatch.delenv("DEBUG")
    importlib.reload(module)


def test_unknown_page_is_a_chinese_404_without_the_url_list(as_user):
    r = as_user("gc_labor").get("/no-such-page/")
    body = r.content.decode()
    assert r.status_code == 404
    assert "页面不存在" in body and "返回首页" in body
    assert "URLconf" not in body and "Page not found" not in body


@pytest.mark.parametrize("prefix", ["/device/v1/", "/inbound/v1/", "/iclock/"])
def test_machines_get_the_envelope_for_unknown_paths(client, prefix):
    r = client.get(f"{prefix}no-such-thing")
    assert r.status_code == 404
    assert r.json() == {"code": "http.not_found", "message": "页面不存在", "detail": {}}


def test_the_api_answers_unknown_paths_in_its_own_envelope(client):
    r = client.get("/api/v1/no-such-thing")
    assert r.status_code == 404
    assert r.json() == {"code": "not_found", "message": "接口不存在", "detail": {}}


@pytest.mark.urls(__name__)
def test_server_error_is_a_chinese_page_for_people_and_json_for_machines(db):
    client = Client(raise_request_exception=False)
    r = client.get("/boom/")
    assert r.status_code == 500
    body = r.content.decode()
    assert "服务器出错" in body and "deliberate" not in body and "Traceback" not in body
    r = client.get("/api/v1/boom/")
    assert r.status_code == 500 and r.json()["code"] == "http.server_error"


def test_favicon_is_served(client):
    r = client.get("/favicon.ico")
    assert r.status_code == 301
    assert client.get(r["Location"]).status_code == 200


def test_root_is_not_offered_a_workers_wages(client, world):
    from smz.accounts.models import User

    root = User.objects.create(username="root_test", is_superuser=True, is_staff=True, role="")
    client.force_login(root)
    body = client.get("/").content.decode()
    assert "我的工资" not in body
    assert "账号管理" in body
