"""Issue 10 item 10 / issue 11 item 3: 接口文档 needs a login and loads only the platform's own files."""

from __future__ import annotations

import json
import re

from django.contrib.staticfiles import finders

from smz.accounts.services import api_token_create

DOCS = "/api/v1/docs"
SCHEMA = "/api/v1/openapi.json"


def test_issue10_item10_anonymous_is_sent_to_login_from_the_docs(world, client):
    response = client.get(DOCS)
    assert response.status_code == 302 and response.url.startswith("/login/?next=")


def test_issue10_item10_anonymous_gets_a_401_envelope_for_the_schema(world, client):
    response = client.get(SCHEMA)
    assert response.status_code == 401
    body = response.json()
    assert (body["code"], body["message"]) == ("unauthenticated", "未登录或令牌无效")


def test_issue10_item10_a_machine_client_reads_the_schema_with_its_token(world, client):
    user = world.user("gc_labor")
    raw = api_token_create(actor=user, user=user, name="对接")
    response = client.get(SCHEMA, headers={"authorization": f"Bearer {raw}"})
    assert response.status_code == 200 and response.json()["openapi"].startswith("3.")
    assert client.get(SCHEMA, headers={"authorization": "Bearer smz_wrong"}).status_code == 401


def test_issue11_item3_docs_load_only_local_static_files(world, client, as_user):
    as_user("gc_labor")
    response = client.get(DOCS)
    assert response.status_code == 200
    html = response.content.decode()
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in urls
    assert "/static/vendor/swagger-ui/swagger-ui.css" in urls
    assert "/static/portal/api-docs.js" in urls
    assert not [u for u in urls if "//" in u], "nothing from another origin (CDN)"
    for url in urls:
        if url.startswith("/static/"):
            assert finders.find(url.removeprefix("/static/")), url
    assert "<script>" not in html
    settings = json.loads(re.search(r'id="swagger-settings">(.*?)</script>', html, re.S).group(1))
    assert settings["url"] == SCHEMA and settings["validatorUrl"] is None
    assert client.get(SCHEMA).status_code == 200


def test_issue11_item3_the_schema_has_no_duplicate_keys(world, client, as_user):
    """Swagger UI refuses a schema with a key twice ("duplicated mapping key": 200 and "200")."""
    duplicates = []

    def hook(pairs):
        keys = [k for k, _ in pairs]
        duplicates.extend(k for k in set(keys) if keys.count(k) > 1)
        return dict(pairs)

    as_user("gc_labor")
    json.loads(client.get(SCHEMA).content, object_pairs_hook=hook)
    assert duplicates == []
