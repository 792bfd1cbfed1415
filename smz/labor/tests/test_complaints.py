"""维权投诉 and the notice board: a worker files about his own project, the routed authority handles it,
the worker reads the reply; nobody else reads or handles it. The notice board's QR leads to the form."""

from __future__ import annotations

import pytest
from django.urls import reverse

from smz.core.errors import DomainError
from smz.labor import selectors
from smz.labor.models import Complaint
from smz.labor.services import complaints
from smz.notifications.models import Notification
from smz.testing.errors import refused


def file(world, **kw) -> Complaint:
    return complaints.complaint_file(
        actor=world.user(kw.pop("who", "worker")),
        project=world.projects[kw.pop("project", "p1")],
        category=kw.pop("category", "arrears"),
        text=kw.pop("text", "2026年10月工资5040元至今未发"),
        amount_yuan=kw.pop("amount", "5040"),
    )


def test_r_l5_worker_files_routed_authority_handles(world):
    c = file(world)
    assert c.authority.name == "小榄镇住房城乡建设部门" and c.amount_fen == 504000
    assert Notification.objects.filter(user=world.user("town_l1"), title__contains=c.no).exists()
    for who in ("neighbour_town", "safety_l2", "gc_labor"):
        with refused("forbidden"):
            complaints.complaint_handle(
                actor=world.user(who), complaint=c, status="accepted", reply=""
            )
    with pytest.raises(DomainError) as exc:
        complaints.complaint_handle(
            actor=world.user("town_l1"), complaint=c, status="resolved", reply=""
        )
    assert "reply" in exc.value.detail["fields"]
    complaints.complaint_handle(
        actor=world.user("town_l1"), complaint=c, status="accepted", reply=""
    )
    complaints.complaint_handle(
        actor=world.user("town_l2"),
        complaint=c,
        status="resolved",
        reply="已责令总包于11月30日前代发",
    )
    assert Notification.objects.filter(user=world.user("worker"), title__contains="已办结").exists()
    with pytest.raises(DomainError) as exc:
        complaints.complaint_handle(
            actor=world.user("town_l1"), complaint=c, status="accepted", reply=""
        )
    assert exc.value.code == "labor.complaint_closed"


def test_r_p3_complaints_are_private_to_the_worker_and_the_routed_authority(world):
    c = file(world)
    see = lambda who: list(selectors.complaints_for(world.user(who)))  # noqa: E731
    assert see("worker") == [c] and see("town_l1") == [c] and see("city_supervisor") == [c]
    for who in ("neighbour_town", "safety_l2", "gc_labor", "sub_labor", "outsider"):
        assert see(who) == [], who


def test_r_l5_only_a_worker_about_his_own_project(world):
    with pytest.raises(DomainError):
        file(world, who="gc_labor")
    with pytest.raises(DomainError):
        file(world, project="p2")  # he never worked there
    with pytest.raises(DomainError) as exc:
        file(world, text="短")
    assert "text" in exc.value.detail["fields"]


def test_r_l5_pages_qr_and_notice_board(world, as_user):
    p1 = world.projects["p1"]
    anonymous = as_user("worker")
    anonymous.logout()
    qr = anonymous.get(reverse("labor:complaint_qr", args=[p1.code]), follow=True)
    assert qr.redirect_chain[-1][0].startswith("/w/login/")  # the worker's phone login first
    worker = as_user("worker")
    form = worker.get(reverse("labor:complaint_qr", args=[p1.code]), follow=True).content.decode()
    assert f'value="{p1.code}" selected' in form
    worker.post(
        reverse("labor:my_complaints"),
        {"project": p1.code, "category": "arrears", "text": "十月工资未发放，共5040元"},
    )
    c = Complaint.objects.get()
    page = as_user("town_l1").get(reverse("labor:complaints")).content.decode()
    assert c.no in page and "受理" in page
    assert c.no not in as_user("neighbour_town").get(reverse("labor:complaints")).content.decode()
    assert as_user("gc_labor").get(reverse("labor:complaints")).status_code == 404
    pdf = as_user("gc_labor").get(reverse("labor:notice_board", args=[p1.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert (
        as_user("neighbour_labor").get(reverse("labor:notice_board", args=[p1.pk])).status_code
        == 404
    )
