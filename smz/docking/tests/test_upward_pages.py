"""The 数据上报 pages (issue 14 item 5): the city administrator adds and edits targets (the secret write-only), sees
counts per state and the failures with the upstream's text, and retries them; nobody else gets in."""

from __future__ import annotations

import pytest
from django.urls import reverse

from smz.docking.models import UpstreamTarget, UpstreamUpload

SECRET = "abcdefABCDEF0123456789abcdef0123"


def form(world, **kw) -> dict[str, str]:
    return {
        "name": "广东省建筑工人管理服务信息平台",
        "url": "https://upstream.test/api/gateway",
        "app_id": "44000020261205001",
        "secret": SECRET,
        "project_code": "",
        "enabled": "on",
    } | kw


def test_city_admin_adds_a_target_and_the_secret_is_never_shown(as_user, world):
    client = as_user("city_admin")
    r = client.post(reverse("docking:upward"), form(world))
    target = UpstreamTarget.objects.get()
    assert r.status_code == 302 and r["Location"].startswith(
        reverse("docking:upward_target", args=[target.pk])
    )
    assert target.secret == SECRET and target.enabled and target.project is None
    for url in (reverse("docking:upward"), reverse("docking:upward_target", args=[target.pk])):
        html = client.get(url).content.decode()
        assert "广东省建筑工人管理服务信息平台" in html and SECRET not in html
    # Edit with the secret left empty: kept; scoped to p1 now.
    r = client.post(
        reverse("docking:upward_target", args=[target.pk]),
        form(world, secret="", project_code=world.projects["p1"].code, enabled=""),
    )
    target.refresh_from_db()
    assert r.status_code == 302 and target.secret == SECRET
    assert target.project == world.projects["p1"] and not target.enabled


@pytest.mark.parametrize(
    ("field", "value"),
    [("url", "ftp://x"), ("secret", "short"), ("project_code", "NOPE"), ("name", "")],
)
def test_bad_configuration_is_refused_in_chinese(as_user, world, field, value):
    r = as_user("city_admin").post(reverse("docking:upward"), form(world, **{field: value}))
    assert r.status_code == 422 and not UpstreamTarget.objects.exists()
    html = r.content.decode()
    assert "is-invalid" in html
    # the secret typed in is never sent back, valid or not
    assert SECRET not in html and 'value="short"' not in html


def test_failures_are_listed_with_their_text_and_retried(as_user, world):
    client = as_user("city_admin")
    target = UpstreamTarget.objects.create(
        name="省平台",
        url="https://upstream.test/gw",
        app_id="1",
        secret=SECRET,
        enabled=True,
        created_by=world.user("city_admin"),
    )
    kw = {"target": target, "project": world.projects["p1"], "kind": "worker"}
    failed = UpstreamUpload.objects.create(
        **kw,
        object_id=world.employments["sub"].pk,
        state="failed",
        attempts=2,
        error="[teamSysNo]值超出范围或无效",
    )
    UpstreamUpload.objects.create(**kw, object_id=world.employments["gc"].pk, state="done")
    html = client.get(reverse("docking:upward_target", args=[target.pk])).content.decode()
    assert "[teamSysNo]值超出范围或无效" in html and "测试乙工" in html
    assert world.workers["sub"].id_number not in html
    r = client.post(
        reverse("docking:upward_retry", args=[target.pk]),
        {"upload": str(failed.pk)},
        HTTP_HX_REQUEST="true",
    )
    assert r.status_code == 200 and "已重新加入上报队列" in r.content.decode()
    failed.refresh_from_db()
    assert (failed.state, failed.attempts) == ("pending", 0)
    # "true" is not an id
    r = client.post(reverse("docking:upward_retry", args=[target.pk]), {"upload": "true"})
    assert r.status_code == 400


@pytest.mark.parametrize("persona", ["city_supervisor", "gc_admin", "town_l1", "neighbour_labor"])
def test_others_are_refused(as_user, world, persona):
    client = as_user(persona)
    assert client.get(reverse("docking:upward")).status_code == 403
    r = client.post(reverse("docking:upward"), form(world))
    assert r.status_code == 403 and not UpstreamTarget.objects.exists()


def test_the_failures_page_reads_a_fixed_number_of_queries(
    as_user, world, django_assert_max_num_queries
):
    client = as_user("city_admin")
    target = UpstreamTarget.objects.create(
        name="省平台",
        url="https://upstream.test/gw",
        app_id="1",
        secret=SECRET,
        created_by=world.user("city_admin"),
    )
    url = reverse("docking:upward_target", args=[target.pk])

    def fail(kind: str, object_id: int, part: str = "") -> None:
        UpstreamUpload.objects.create(
            target=target,
            project=world.projects["p1"],
            kind=kind,
            object_id=object_id,
            part=part,
            state="failed",
            error="上级平台拒绝",
        )

    fail("team", world.teams["gc"].pk)
    client.get(url)
    with django_assert_max_num_queries(30) as few:
        client.get(url)
    for key in ("gc", "sub", "pm"):
        fail("worker", world.employments[key].pk)
        fail("entry_exit", world.employments[key].pk, "in")
    fail("team", world.teams["sub"].pk)
    with django_assert_max_num_queries(len(few.captured_queries) + 2) as more:
        html = client.get(url).content.decode()
    assert "测试项目经理 进场" in html and "乙木工班" in html
    assert len(more.captured_queries) <= len(few.captured_queries) + 2
