"""Changes to an approval request check its state under the request's row lock (issue 12 item 5): an
upload or an edit in flight while the request is submitted lands before the submission, never after it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from smz.approvals import services, workflows
from smz.approvals.models import ApprovalRequest, AttachmentKind, RequestKind, State
from smz.core.errors import DomainError
from smz.core.models import Event
from smz.core.tests.races import postgres_only, race

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _ready(world) -> ApprovalRequest:
    """A start-date change on p1 with its scans uploaded, ready to submit."""
    project = world.projects["p1"]
    today = timezone.localdate()
    project.permit_issued_on = today - dt.timedelta(days=30)
    project.planned_start = today + dt.timedelta(days=10)
    project.actual_start = None
    project.save()
    user = world.user("gc_labor")
    r = services.request_create(
        actor=user,
        project=project,
        kind=RequestKind.START_CHANGE,
        requested_date=project.planned_start + dt.timedelta(days=3),
        reason="现场条件变化",
    )
    for kind in workflows.REQUIRED_ATTACHMENTS[RequestKind.START_CHANGE]:
        services.attachment_add(actor=user, request=r, kind=kind, data=PDF, filename=f"{kind}.pdf")
    return r


def _submit(world, r: ApprovalRequest):
    return lambda: services.request_act(
        actor=world.user("gc_labor"), request=ApprovalRequest.objects.get(pk=r.pk), action="submit"
    )


def _kinds_in_order(r: ApprovalRequest) -> list[str]:
    return list(
        Event.objects.filter(subject_type="approvals.approvalrequest", subject_id=r.pk)
        .order_by("pk")
        .values_list("kind", flat=True)
    )


def _after_submit(r: ApprovalRequest, kind: str) -> bool:
    kinds = _kinds_in_order(r)
    return kind in kinds[kinds.index("approval.submit") :]


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_issue12_upload_and_submit_at_once_never_attach_to_a_submitted_request(world):
    """An upload sits between its state check and its write while the request is submitted: the submit
    waits for the upload, so the scan is part of what was submitted, never added to a submitted request."""
    r = _ready(world)
    upload, submit = race(
        first=lambda: services.attachment_add(
            actor=world.user("gc_labor"),
            request=ApprovalRequest.objects.get(pk=r.pk),
            kind=AttachmentKind.FORM_SCAN,
            data=PDF + b"% second scan\n",
            filename="form-v2.pdf",
        ),
        second=_submit(world, r),
        hold_after=(services, "_editable"),
    )
    assert not _after_submit(r, "approval.attach"), "a scan was attached to a submitted request"
    assert upload.error is None and submit.error is None
    r.refresh_from_db()
    assert r.state == State.PENDING_L1
    assert upload.value.uploaded_at <= r.submitted_at


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_issue12_edit_and_submit_at_once_never_change_a_submitted_request(world):
    """An edit sits between its state check and its write while the request is submitted: the submit waits,
    so the approvers see the edited reason, and the request is not changed after submission."""
    r = _ready(world)
    edit, submit = race(
        first=lambda: services.request_update(
            actor=world.user("gc_labor"),
            request=ApprovalRequest.objects.get(pk=r.pk),
            requested_date=r.requested_date,
            reason="补充说明后的理由",
        ),
        second=_submit(world, r),
        hold_after=(services, "_editable"),
    )
    assert not _after_submit(r, "approval.update"), "a submitted request was changed"
    assert edit.error is None and submit.error is None
    r.refresh_from_db()
    assert (r.state, r.reason) == (State.PENDING_L1, "补充说明后的理由")


@pytest.mark.django_db
def test_issue12_upload_checks_the_request_as_stored_not_as_passed(world):
    """The state is read under the lock: a caller's stale copy that still says draft cannot attach."""
    r = _ready(world)
    stale = ApprovalRequest.objects.get(pk=r.pk)
    services.request_act(actor=world.user("gc_labor"), request=r, action="submit")
    with pytest.raises(DomainError) as exc:
        services.attachment_add(
            actor=world.user("gc_labor"),
            request=stale,
            kind=AttachmentKind.FORM_SCAN,
            data=PDF,
            filename="late.pdf",
        )
    assert exc.value.code == "approval.invalid_transition"
    with pytest.raises(DomainError) as exc:
        services.request_update(
            actor=world.user("gc_labor"),
            request=stale,
            requested_date=stale.requested_date,
            reason="迟到的修改",
        )
    assert exc.value.code == "approval.invalid_transition"


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_issue12_two_reminder_runs_at_once_remind_once(world):
    """Two cron runs overlap: the second waits on the request's lock, then sees it reminded and skips it."""
    r = _ready(world)
    services.request_act(actor=world.user("gc_labor"), request=r, action="submit")
    ApprovalRequest.objects.filter(pk=r.pk).update(due_at=timezone.now() - dt.timedelta(days=2))
    first, second = race(
        first=services.reminders_send,
        second=services.reminders_send,
        hold_after=(services, "lock_row"),
    )
    assert first.error is None and second.error is None
    assert _kinds_in_order(r).count("approval.remind") == 1
    assert (first.value, second.value) == (1, 0)
