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
