"""Issue 17 goal 2 (N5): the device of a signed request is read with SQL written once (smz.core.rows), and is
the same device, project and site boundary the ORM's select_related builds, field by field."""

from __future__ import annotations

import pytest

from smz.devices.models import Device, SiteBoundary
from smz.devices.selectors import device_by_serial
from smz.testing.attendance import gate_for


def _fields(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def _orm(serial: str) -> Device:
    return Device.objects.select_related("project", "project__site_boundary").get(serial=serial)


def test_goal2_the_device_its_project_and_no_boundary_are_the_orms(world) -> None:
    gate = gate_for(world, "p1", "GATE-P1-A")
    Device.objects.filter(pk=gate.pk).update(lng="113.400001", lat="22.500002", clock_offset_ms=-5)
    ours, orm = device_by_serial("GATE-P1-A"), _orm("GATE-P1-A")
    assert ours is not None and _fields(ours) == _fields(orm)
    assert ours.lng is not None and type(ours.lng) is type(orm.lng)  # converted as the ORM does
    assert _fields(ours.project) == _fields(orm.project)
    assert "site_boundary" in ours.project._state.fields_cache
    with pytest.raises(SiteBoundary.DoesNotExist):
        ours.project.site_boundary  # noqa: B018 - cached as missing, no query
    assert device_by_serial("NO-SUCH-SERIAL") is None


def test_goal2_the_site_boundary_comes_with_it(world, django_assert_num_queries) -> None:
    gate = gate_for(world, "p1", "GATE-P1-A")
    SiteBoundary.objects.create(
        project=gate.project, polygon=[[113.0, 22.0], [114.0, 22.0], [114.0, 23.0]]
    )
    with django_assert_num_queries(1):
        ours = device_by_serial("GATE-P1-A")
        assert ours is not None
        boundary = ours.project.site_boundary
        assert boundary.project is ours.project
    orm = _orm("GATE-P1-A")
    assert _fields(boundary) == _fields(orm.project.site_boundary)
    assert boundary.contains(113.5, 22.2) and not boundary.contains(115.0, 22.2)
