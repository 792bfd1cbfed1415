"""Processing a stored Add/Update request (on the background worker): run its method, keep the per-record result,
update the project's docking state. Re-running a finished request changes nothing; a pending one left behind by a
crash is picked up again by `docking_requests_pending_process`."""

from __future__ import annotations

import json
import logging

from django.db import transaction
from django.db.models import F
from django.tasks import task
from django.utils import timezone

from smz.core.events import event_record
from smz.docking.errors import DockingErrorCode
from smz.docking.events import DockingEventKind
from smz.docking.methods import METHODS, Call, MethodResult, RequestRefused
from smz.docking.methods.fields import FieldError
from smz.docking.models import DockingReceipt, DockingRequest
from smz.docking.services.webhooks import webhook_request_finished

log = logging.getLogger(__name__)


def _receipt(request: DockingRequest, kind: str, accepted: int) -> None:
    now = request.finished_at or timezone.now()
    updated = DockingReceipt.objects.filter(project=request.project, kind=kind).update(
        last_at=now, records=F("records") + accepted, last_app=request.app
    )
    if not updated:
        DockingReceipt.objects.create(
            project=request.project,
            kind=kind,
            first_at=now,
            last_at=now,
            records=accepted,
            last_app=request.app,
        )


def docking_request_process(serial: str) -> DockingRequest | None:
    with transaction.atomic():
        request = (
            DockingRequest.objects.select_for_update()
            .select_related("app__user", "project")
            .filter(serial=serial)
            .first()
        )
        if request is None or request.status != DockingRequest.Status.PENDING:
            return request
        method = METHODS[request.method]
        call = Call(
            app=request.app,
            actor=request.app.user,
            project=request.project,
            data=json.loads(request.data),
            now=request.received_at,
            serial=request.serial,
        )
        try:
            result = method.handler(call)
        except (FieldError, RequestRefused) as exc:
            result = MethodResult()
            result.refuse(
                0, getattr(exc, "code", DockingErrorCode.RECORD_INVALID), exc.message, exc.field
            )
        request.accepted_count = result.accepted
        request.failed_count = len(result.failures)
        request.result = {
            **result.issued,
            "failures": [f.as_dict() for f in result.failures],
        }
        request.status = (
            DockingRequest.Status.FAILED if result.failures else DockingRequest.Status.DONE
        )
        request.finished_at = timezone.now()
        request.save(
            update_fields=["accepted_count", "failed_count", "result", "status", "finished_at"]
        )
        if method.receipt and result.accepted:
            _receipt(request, method.receipt, result.accepted)
        webhook_request_finished(request)
        event_record(
            actor=request.app.user,
            kind=DockingEventKind.REQUEST_PROCESSED,
            subject=request,
            data={
                "method": request.method,
                "accepted": result.accepted,
                "failed": len(result.failures),
            },
        )
    return request


def docking_requests_pending_process(limit: int = 1000) -> int:
    """Process the requests still pending (after a crash or with no worker running): returns how many."""
    serials = list(
        DockingRequest.objects.filter(status=DockingRequest.Status.PENDING)
        .order_by("received_at")
        .values_list("serial", flat=True)[:limit]
    )
    for serial in serials:
        docking_request_process(serial)
    return len(serials)


@task()
def docking_request_task(serial: str) -> int:
    """The background job the gateway enqueues for each stored Add/Update request."""
    request = docking_request_process(serial)
    return 0 if request is None else int(request.status)
