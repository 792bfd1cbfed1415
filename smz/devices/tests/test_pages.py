"""Device pages (D1): registration with the secret shown once, health lists, off-site flag, scoping."""

from __future__ import annotations

import pytest

from smz.devices.models import Device, SiteBoundary
from smz.devices.services import device_register, site_boundary_set

pytestmark = pytest.mark.django_db


def test_d1_labor_specialist_registers_device_and_sees_secret_once(world, as_user):
    p1 = world.projects["p1"]
    c = as_user("gc_labor")
    r = c.post(
        f"/projects/{p1.pk}/devices/",
        {
            "serial": "FG-0001",
            "kind": "face_gate",
            "protocol": "direct_v1",
            "entrance": "北门",
            "direction": "in",
            "lng": "113.305",
            "lat": "22.605",
        },
    )
    assert r.status_code == 200
    device = Device.objects.get(serial="FG-0001")
    html = r.content.decode()
    assert device.secret in html and 'data-testid="secret"' in html
    again = c.get(f"/projects/{p1.pk}/devices/").content.decode()
    assert "FG-0001" in again and device.secret not in again


def test_d1_neighbours_cannot_see_or_register_devices(world, as_user):
    p1 = world.projects["p1"]
    device_register(
        actor=world.user("gc_labor"),
        project=p1,
        serial="FG-9",
        kind="face_gate",
        protocol="direct_v1",
        entrance="东门",
    )
    c = as_user("neighbour_labor")
    assert c.get(f"/projects/{p1.pk}/devices/").status_code == 404
    assert (
        c.post(
            f"/projects/{p1.pk}/devices/",
            {"serial": "X", "kind": "face_gate", "protocol": "direct_v1", "entrance": "A"},
        ).status_code
        == 404
    )
    assert "FG-9" not in c.get("/devices/").content.decode()
    assert c.post(f"/devices/{Device.objects.get().pk}/retire/").status_code == 404
    assert as_user("neighbour_town").get("/devices/").content.decode().count("FG-9") == 0
    # A subcontractor on the project sees the device but may not manage it.
    r = as_user("sub_labor").post(f"/devices/{Device.objects.get().pk}/retire/")
    assert Device.objects.get().status == "active"
    assert r.status_code == 403


def test_d1_authority_sees_off_site_device(world, as_user):
    p1 = world.projects["p1"]
    site_boundary_set(
        actor=world.user("gc_labor"),
        project=p1,
        polygon=[[113.30, 22.60], [113.31, 22.60], [113.31, 22.61], [113.30, 22.61]],
    )
    device_register(
        actor=world.user("gc_labor"),
        project=p1,
        serial="ON-SITE",
        kind="face_gate",
        protocol="direct_v1",
        entrance="东门",
        lng=113.305,
        lat=22.605,
    )
    device_register(
        actor=world.user("gc_labor"),
        project=p1,
        serial="OFF-SITE",
        kind="face_gate",
        protocol="direct_v1",
        entrance="远程",
        lng=113.5,
        lat=22.9,
    )
    html = as_user("town_l1").get("/devices/?off_site=1").content.decode()
    assert "OFF-SITE" in html and "ON-SITE" not in html and "不在现场范围内" in html


def test_d1_rotate_and_retire(world, as_user):
    device, secret = device_register(
        actor=world.user("gc_labor"),
        project=world.projects["p1"],
        serial="FG-R",
        kind="face_gate",
        protocol="direct_v1",
        entrance="东门",
    )
    c = as_user("gc_labor")
    c.post(f"/devices/{device.pk}/rotate/")
    device.refresh_from_db()
    assert device.secret != secret
    c.post(f"/devices/{device.pk}/retire/")
    device.refresh_from_db()
    assert device.status == "retired"


def test_d1_anonymous_redirected(client):
    assert client.get("/devices/").status_code == 302


SQUARE = "113.300000,22.600000\n113.310000,22.600000\n113.310000,22.610000\n113.300000,22.610000"


def test_d5_site_boundary_entered_on_the_project_page(world, as_user):
    p1 = world.projects["p1"]
    r = as_user("gc_labor").post(f"/projects/{p1.pk}/site-boundary/", {"points": SQUARE})
    assert r.status_code == 302
    assert SiteBoundary.objects.get(project=p1).polygon[2] == [113.31, 22.61]
    page = as_user("gc_labor").get(f"/projects/{p1.pk}/devices/").content.decode()
    assert "已设置（4 个顶点）" in page and "113.310000,22.610000" in page


def test_d5_bad_boundary_line_is_named_and_the_text_kept(world, as_user):
    p1 = world.projects["p1"]
    bad = "113.30,22.60\n113.31；22.60\n113.31,22.61"
    r = as_user("gc_labor").post(f"/projects/{p1.pk}/site-boundary/", {"points": bad})
    assert r.status_code == 400
    body = r.content.decode()
    assert "第 2 行" in body and "113.31；22.60" in body


@pytest.mark.parametrize(("persona", "status"), [("sub_labor", 403), ("neighbour_labor", 404)])
def test_d5_only_the_gc_sets_the_boundary(world, as_user, persona, status):
    p1 = world.projects["p1"]
    r = as_user(persona).post(f"/projects/{p1.pk}/site-boundary/", {"points": SQUARE})
    assert r.status_code == status
    assert not SiteBoundary.objects.exists()


@pytest.mark.parametrize(
    ("ms", "text", "level"),
    [
        (0, "0 秒", "ok"),
        (1_234, "+1.2 秒", "ok"),
        (-9_000, "−9 秒", "warning"),
        (-185_000, "−3 分 5 秒", "warning"),
        (300_000, "+5 分", "warning"),
        (300_001, "+5 分", "danger"),
        (7_384_000, "+2 小时 3 分", "danger"),
        (-90_061_000, "−1 天 1 小时", "danger"),
    ],
)
def test_issue11_clock_error_reads_as_time(ms, text, level):
    """Issue 11 item 7: seconds and minutes, not raw ms; beyond 附件1's 5 s a warning, beyond 附件7's ±300 s red."""
    from smz.devices.views import clock_error

    clock = clock_error(ms)
    assert (clock["text"], clock["level"]) == (text, level)
    assert clock["title"].startswith(f"{ms} 毫秒")


def test_issue11_device_list_shows_clock_error_readable_and_red_beyond_the_window(world, as_user):
    for serial, offset in (("GOOD-CLOCK", 1_200), ("BAD-CLOCK", -425_000)):
        device, _ = device_register(
            actor=world.user("gc_labor"),
            project=world.projects["p1"],
            serial=serial,
            kind="face_gate",
            protocol="direct_v1",
            entrance="东门",
        )
        Device.objects.filter(pk=device.pk).update(clock_offset_ms=offset)
    for url in ("/devices/", f"/projects/{world.projects['p1'].pk}/devices/"):
        html = as_user("gc_labor").get(url).content.decode()
        assert " ms<" not in html
        assert 'title="1200 毫秒（设备时间减服务器时间）" class="">+1.2 秒<' in html
        assert 'class="text-danger fw-bold">−7 分 5 秒<' in html
        assert "超出 ±300 秒的签名时间窗" in html
