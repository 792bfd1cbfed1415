"""Issue 10 item 5 (N2): the payment batch file follows the unmask policy, and every payee whose full card
number leaves in it gets his own audit row."""

from __future__ import annotations

import pytest
from django.urls import reverse

from smz.core.models import PersonalDataAccess
from smz.labor import services
from smz.testing.downloads import download_body
from smz.testing.labor import confirm_all, draft, ready_payroll, wage_account

CARD = "6222020200112233445"


@pytest.fixture
def batch(month):
    """October's batch on p1 with two payees: the GC's worker and the subcontractor's."""
    gc = draft(month, who="gc_labor", employer="gc")
    confirm_all(month, gc)
    services.payroll_submit(actor=month.user("gc_labor"), payroll=gc)
    sub = ready_payroll(month)
    for p in (gc, sub):
        services.payroll_review(actor=month.user("gc_labor"), payroll=p)
    wage_account(month)
    return services.payment_batch_export(actor=month.user("gc_labor"), project=month.projects["p1"])


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("persona", ["gc_pm", "gc_admin"])
def test_issue10_item5_bank_file_refused_to_roles_that_may_not_unmask(as_user, batch, persona, fmt):
    client = as_user(persona)
    url = reverse("labor:batch", args=[batch.pk])
    r = client.get(f"{url}?download={fmt}")
    assert r.status_code == 403
    assert CARD.encode() not in r.content
    assert not PersonalDataAccess.objects.filter(field="bank_card").exists()
    page = client.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert (
        CARD not in body and "?download=" not in body and 'data-testid="download-refused"' in body
    )


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_issue10_item5_bank_file_full_for_the_labor_specialist_one_audit_row_per_person(
    as_user, batch, fmt
):
    r = as_user("gc_labor").get(reverse("labor:batch", args=[batch.pk]) + f"?download={fmt}")
    assert r.status_code == 200
    if fmt == "csv":
        assert download_body(r).decode("utf-8-sig").count(CARD) == 2
    rows = PersonalDataAccess.objects.filter(field="bank_card")
    payees = set(batch.lines.values_list("payroll_line__worker", flat=True))
    assert len(payees) == 2
    assert rows.count() == len(payees)
    assert {(r.subject_type, r.subject_id) for r in rows} == {
        ("registry.worker", w) for w in payees
    }
    assert {r.purpose for r in rows} == {f"代发文件 {batch.no}"}


def test_issue10_item5_subcontractor_does_not_see_the_gcs_batch(as_user, batch):
    r = as_user("sub_labor").get(reverse("labor:batch", args=[batch.pk]) + "?download=csv")
    assert r.status_code == 404 and CARD.encode() not in r.content  # not even the batch is visible
