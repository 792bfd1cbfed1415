"""Portal pages (P2, P3, N2): allowed personas see their scope with personal numbers masked; a neighbour gets
404; anonymous visitors are sent to the login page. (Browser journeys live in tests/browser/.)"""

from __future__ import annotations

import re

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from smz.core.models import PersonalDataAccess
from smz.core.pii import mask_bank_card, mask_id_number, mask_phone

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


@pytest.fixture
def private_storage(private_dir):
    """Photos go to a throw-away directory, not var/private."""
    return private_dir


@pytest.fixture
def with_photo(world, private_storage):
    worker = world.workers["gc"]
    worker.face_photo.save("face.jpg", ContentFile(JPEG), save=True)
    return worker


def _html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def _assert_masked(html: str, worker) -> None:
    assert mask_id_number(worker.id_number) in html
    assert worker.id_number not in html
    if worker.bank_card:
        assert worker.bank_card not in html


def _pages(world) -> list[tuple[str, str]]:
    p1, gc_worker = world.projects["p1"], world.workers["gc"]
    return [
        ("get", "/"),
        ("get", "/projects/"),
        ("get", f"/projects/{p1.pk}/"),
        ("get", "/workers/"),
        ("get", f"/workers/{gc_worker.pk}/"),
        ("get", "/accounts/"),
        ("post", f"/workers/{gc_worker.pk}/reveal/id_number/"),
        ("get", f"/workers/{gc_worker.pk}/photo/face/"),
    ]


def test_p3_anonymous_is_redirected_to_login_everywhere(client, world):
    for method, url in _pages(world):
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response.url.startswith(f"/login/?next={url}"), (url, response.url)
    assert not PersonalDataAccess.objects.exists()


def test_p2_login_page_renders(client, world):
    html = _html(client.get("/login/"))
    assert "登录" in html and 'name="password"' in html


def test_p2_home_shows_counts_in_scope(as_user, world):
    html = _html(as_user("gc_labor").get("/"))
    assert "劳资专管员工作台" in html
    assert world.projects["p1"].name in html
    assert world.projects["p2"].name not in html
    html = _html(as_user("town_l1").get("/"))
    assert "小榄" in html and world.projects["p3"].name not in html


def test_p2_worker_home_is_his_own_record(as_user, world):
    response = as_user("worker").get("/")
    assert response.status_code == 302
    assert response.url == f"/workers/{world.workers['sub'].pk}/"


def test_p3_project_list_is_scoped(as_user, world):
    html = _html(as_user("neighbour_labor").get("/projects/"))
    assert world.projects["p2"].name in html
    assert world.projects["p1"].name not in html and world.projects["p3"].name not in html
    html = _html(as_user("city_supervisor").get("/projects/"))
    assert all(p.name in html for p in world.projects.values())
    rows = _html(as_user("city_supervisor").get("/projects/?q=古镇", HTTP_HX_REQUEST="true"))
    assert world.projects["p2"].name in rows and "<html" not in rows


def test_n2_project_detail_shows_masked_people(as_user, world):
    html = _html(as_user("gc_labor").get(f"/projects/{world.projects['p1'].pk}/"))
    for key in ("gc", "sub", "pm"):
        assert world.workers[key].name in html
        _assert_masked(html, world.workers[key])
    assert world.workers["neighbour"].name not in html
    assert "/api/v1/employments/export.xlsx" in html


def test_builder_project_page_has_no_buttons_to_the_people_pages(as_user, world):
    """The builder (建设单位) sees nobody on the calendar, payroll or device pages: no buttons lead there;
    the contractors keep them."""
    p1 = world.projects["p1"]
    links = (
        reverse("attendance:calendar", args=[p1.pk]),
        reverse("labor:project", args=[p1.pk]),
        reverse("devices:project", args=[p1.pk]),
    )
    html = _html(as_user("builder").get(f"/projects/{p1.pk}/"))
    assert p1.name in html
    for text, href in zip(("考勤日历", "合同与工资", "考勤设备"), links, strict=True):
        assert f'href="{href}"' not in html and f">{text}</a>" not in html
    html = _html(as_user("gc_labor").get(f"/projects/{p1.pk}/"))
    for text, href in zip(("考勤日历", "合同与工资", "考勤设备"), links, strict=True):
        assert f'href="{href}">{text}</a>' in html


def test_p3_subcontractor_sees_only_his_people_on_the_project_page(as_user, world):
    html = _html(as_user("sub_labor").get(f"/projects/{world.projects['p1'].pk}/"))
    assert world.workers["sub"].name in html
    assert world.workers["gc"].name not in html
    _assert_masked(html, world.workers["sub"])


def test_n2_worker_list_is_masked_and_searchable_by_full_number(as_user, world):
    client = as_user("gc_labor")
    html = _html(client.get("/workers/"))
    for key in ("gc", "sub", "pm"):
        _assert_masked(html, world.workers[key])
    assert mask_phone(world.workers["gc"].phone) in html
    assert world.workers["gc"].phone not in html
    assert world.workers["neighbour"].name not in html

    target = world.workers["sub"]
    html = _html(client.post("/workers/", {"id_number": target.id_number}))
    assert target.name in html and world.workers["gc"].name not in html
    # Issue 10 item 6: searched by POST; the page names the number masked, never in full.
    assert mask_id_number(target.id_number) in html and target.id_number not in html


def test_n2_worker_detail_is_masked_with_reveal_buttons_by_role(as_user, world):
    worker = world.workers["gc"]
    html = _html(as_user("gc_labor").get(f"/workers/{worker.pk}/"))
    _assert_masked(html, worker)
    assert mask_bank_card(worker.bank_card) in html and mask_phone(worker.phone) in html
    assert worker.phone not in html
    for field in ("id_number", "phone", "bank_card"):
        assert f"/workers/{worker.pk}/reveal/{field}/" in html

    html = _html(as_user("city_supervisor").get(f"/workers/{worker.pk}/"))
    _assert_masked(html, worker)
    assert "/reveal/" not in html, "a read-only supervisor has nothing to reveal"


def test_n2_worker_sees_his_own_record_masked(as_user, world):
    me = world.workers["sub"]
    html = _html(as_user("worker").get(f"/workers/{me.pk}/"))
    _assert_masked(html, me)
    assert as_user("worker").get(f"/workers/{world.workers['gc'].pk}/").status_code == 404
    assert as_user("worker").get("/workers/").status_code == 404


def test_n2_reveal_is_audited(as_user, world):
    worker = world.workers["gc"]
    response = as_user("gc_labor").post(f"/workers/{worker.pk}/reveal/id_number/")
    html = _html(response)
    assert worker.id_number in html and 'data-testid="pii-id_number"' in html
    row = PersonalDataAccess.objects.get()
    assert (row.actor, row.field, row.subject_id) == (
        world.user("gc_labor"),
        "id_number",
        worker.pk,
    )
    assert as_user("gc_labor").get(f"/workers/{worker.pk}/reveal/id_number/").status_code == 405


def test_n2_reveal_is_refused_to_a_role_without_need(as_user, world):
    worker = world.workers["gc"]
    response = as_user("city_supervisor").post(f"/workers/{worker.pk}/reveal/id_number/")
    assert response.status_code == 403
    assert worker.id_number not in response.content.decode()
    assert not PersonalDataAccess.objects.exists()


def test_n2_photo_is_served_privately_and_audited(as_user, world, with_photo):
    response = as_user("gc_labor").get(f"/workers/{with_photo.pk}/photo/face/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == JPEG
    assert response["Cache-Control"] == "private, no-store"
    row = PersonalDataAccess.objects.get()
    assert (row.actor, row.field) == (world.user("gc_labor"), "face_photo")
    # Stored under a meaningless name: no ID number or person name in the path.
    assert re.fullmatch(r"face/[0-9a-f]{32}\.jpg", with_photo.face_photo.name)
    html = _html(as_user("gc_labor").get(f"/workers/{with_photo.pk}/"))
    assert f"/workers/{with_photo.pk}/photo/face/" in html


def test_n2_missing_or_unknown_photo_is_a_404(as_user, world, with_photo):
    client = as_user("gc_labor")
    assert client.get(f"/workers/{with_photo.pk}/photo/card/").status_code == 404
    assert client.get(f"/workers/{with_photo.pk}/photo/passport/").status_code == 404
    assert not PersonalDataAccess.objects.exists()


def test_p2_accounts_page_for_the_city_admin(as_user, world):
    html = _html(as_user("city_admin").get("/accounts/"))
    assert "gc_labor" in html and "neighbour_town" in html


@pytest.mark.parametrize("persona", ["neighbour_labor", "neighbour_town"])
def test_p3_neighbour_gets_404_for_p1_pages(as_user, world, with_photo, persona):
    client = as_user(persona)
    p1, gc_worker = world.projects["p1"], world.workers["gc"]
    for method, url in [
        ("get", f"/projects/{p1.pk}/"),
        ("get", f"/workers/{gc_worker.pk}/"),
        ("get", "/accounts/"),
        ("post", f"/workers/{gc_worker.pk}/reveal/id_number/"),
        ("post", f"/workers/{gc_worker.pk}/reveal/phone/"),
        ("get", f"/workers/{gc_worker.pk}/photo/face/"),
    ]:
        response = getattr(client, method)(url)
        assert response.status_code == 404, url
        assert gc_worker.id_number not in response.content.decode()
    for url in ("/", "/projects/", "/workers/"):
        html = _html(client.get(url))
        assert p1.name not in html and gc_worker.name not in html
    assert not PersonalDataAccess.objects.exists()


def test_p3_outsider_sees_empty_pages(as_user, world):
    client = as_user("outsider")
    for url in ("/", "/projects/", "/workers/"):
        html = _html(client.get(url))
        assert world.projects["p1"].name not in html
        assert world.workers["gc"].name not in html
    assert client.get(f"/projects/{world.projects['p1'].pk}/").status_code == 404
    assert client.get(f"/workers/{world.workers['gc'].pk}/").status_code == 404


def test_p2_navigation_depends_on_the_role(as_user, world):
    html = _html(as_user("city_admin").get("/"))
    assert 'href="/accounts/"' in html
    html = _html(as_user("town_l1").get("/"))
    assert 'href="/accounts/"' not in html and 'href="/workers/"' in html
    html = _html(as_user("worker").get(f"/workers/{world.workers['sub'].pk}/"))
    assert 'href="/workers/"' not in html and 'href="/projects/"' not in html
