"""Entrances as records of the site (V1, issue 16 item 1): created, renamed, closed and reopened by the GC's site
staff only, names unique per project, a position inside the site boundary, every change evented."""

from __future__ import annotations

from decimal import Decimal

import pytest

from smz.core.errors import DomainError, Forbidden
from smz.core.models import Event
from smz.devices.models import Entrance
from smz.devices.services import (
    entrance_close,
    entrance_create,
    entrance_reopen,
    entrance_update,
    site_boundary_set,
)

pytestmark = pytest.mark.django_db


def test_v1_gc_staff_create_entrances_with_unique_names(world):
    p1, p2 = world.projects["p1"], world.projects["p2"]
    gc = world.user("gc_labor")
    e = entrance_create(actor=gc, project=p1, name=" 东门 ", position="东侧围挡")
    assert (e.name, e.kind, e.status, e.position) == ("东门", "personnel", "open", "东侧围挡")
    assert Event.objects.filter(kind="entrance.created", subject_id=e.pk).exists()
    with pytest.raises(DomainError) as exc:
        entrance_create(actor=gc, project=p1, name="东门", kind="vehicle")
    assert exc.value.code == "device.entrance_name_taken" and exc.value.status == 409
    # Another site may have its own 东门; a neighbour GC may not add one to ours, nor a subcontractor.
    entrance_create(actor=world.user("neighbour_labor"), project=p2, name="东门")
    for name in ("neighbour_labor", "sub_labor", "town_l1", "worker"):
        with pytest.raises(Forbidden):
            entrance_create(actor=world.user(name), project=p1, name="北门")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "门" * 61}, "name"),  # refused, never cut
        ({"name": "东门\x00"}, "name"),
        ({"name": 5}, "name"),
        ({"name": "北门", "kind": "door"}, "kind"),
        ({"name": "北门", "position": "x" * 121}, "position"),
        ({"name": "北门", "lng": Decimal("113.3")}, "lng"),  # a point is given whole
        ({"name": "北门", "lng": Decimal("200"), "lat": Decimal("22.6")}, "lng"),
        ({"name": "北门", "lng": Decimal("NaN"), "lat": Decimal("22.6")}, "lng"),
        ({"name": "北门", "lng": "113.3", "lat": Decimal("22.6")}, "lng"),  # typed, not text
    ],
)
def test_v1_entrance_input_is_strictly_typed(world, fields, field):
    with pytest.raises(DomainError) as exc:
        entrance_create(actor=world.user("gc_labor"), project=world.projects["p1"], **fields)
    assert field in exc.value.detail["fields"]
    assert not Entrance.objects.exists()


def test_v1_entrance_position_must_be_on_the_site(world):
    p1, gc = world.projects["p1"], world.user("gc_labor")
    site_boundary_set(
        actor=gc,
        project=p1,
        polygon=[[113.30, 22.60], [113.31, 22.60], [113.31, 22.61], [113.30, 22.61]],
    )
    with pytest.raises(DomainError) as exc:
        entrance_create(
            actor=gc, project=p1, name="南门", lng=Decimal("113.40"), lat=Decimal("22.605")
        )
    assert exc.value.code == "device.entrance_off_site"
    e = entrance_create(
        actor=gc, project=p1, name="南门", lng=Decimal("113.305"), lat=Decimal("22.605")
    )
    assert e.lng == Decimal("113.305000")


def test_v1_update_close_reopen_are_evented(world):
    p1, gc = world.projects["p1"], world.user("gc_labor")
    e = entrance_create(actor=gc, project=p1, name="东门")
    entrance_create(actor=gc, project=p1, name="西门")
    with pytest.raises(DomainError) as exc:
        entrance_update(actor=gc, entrance=e, name="西门", kind="personnel")
    assert exc.value.code == "device.entrance_name_taken"
    e.refresh_from_db()
    assert e.name == "东门"
    entrance_update(actor=gc, entrance=e, name="东大门", kind="vehicle", position="主路")
    e.refresh_from_db()
    assert (e.name, e.kind) == ("东大门", "vehicle")
    updated = Event.objects.get(kind="entrance.updated", subject_id=e.pk)
    assert updated.data["before"]["name"] == "东门"
    with pytest.raises(Forbidden):
        entrance_close(actor=world.user("neighbour_labor"), entrance=e)
    entrance_close(actor=gc, entrance=e)
    assert e.status == "closed" and e.closed_at is not None
    with pytest.raises(DomainError) as exc:
        entrance_close(actor=gc, entrance=e)
    assert exc.value.code == "device.entrance_already_closed"
    entrance_reopen(actor=gc, entrance=e)
    e.refresh_from_db()
    assert e.status == "open" and e.closed_at is None
    with pytest.raises(DomainError) as exc:
        entrance_reopen(actor=gc, entrance=e)
    assert exc.value.code == "device.entrance_not_closed"
    kinds = set(
        Event.objects.filter(subject_id=e.pk, kind__startswith="entrance.").values_list(
            "kind", flat=True
        )
    )
    assert kinds == {"entrance.created", "entrance.updated", "entrance.closed", "entrance.reopened"}


def test_d1_device_form_offers_the_sites_entrances(world, as_user):
    p1, gc = world.projects["p1"], world.user("gc_labor")
    entrance_create(actor=gc, project=p1, name="东门")
    closed = entrance_create(actor=gc, project=p1, name="旧南门")
    entrance_close(actor=gc, entrance=closed)
    html = as_user("gc_labor").get(f"/projects/{p1.pk}/devices/").content.decode()
    assert 'list="entrance-names"' in html
    assert '<option value="东门">' in html and '<option value="旧南门">' not in html
