"""Reads for the webhook delivery log page (回调记录): an app by id, its recent deliveries.

Access (the app's owner: its GC's enterprise administrator or the city administrator) is decided by
services.apps.may_authorize in the view; these reads only fetch."""

from __future__ import annotations

from django.db.models import QuerySet

from smz.core.errors import NotFound
from smz.docking.models import DockingApp, DockingDelivery

RECENT_DELIVERIES = 100


def docking_app_get(pk: int) -> DockingApp:
    app = DockingApp.objects.select_related("enterprise").filter(pk=pk).first()
    if app is None:
        raise NotFound("对接应用")
    return app


def deliveries_of(app: DockingApp, *, status: str = "") -> list[DockingDelivery]:
    """The app's deliveries, newest first, at most RECENT_DELIVERIES (optionally of one status), each with
    `subject` set: the request serial or approval number it is about."""
    qs: QuerySet[DockingDelivery] = DockingDelivery.objects.filter(app=app)
    if status in DockingDelivery.Status.values:
        qs = qs.filter(status=status)
    rows = list(qs.order_by("-created_at", "-pk")[:RECENT_DELIVERIES])
    for row in rows:
        data = row.payload.get("data") or {}
        row.subject = str(data.get("requestSerialCode") or data.get("approvalNo") or "")  # type: ignore[attr-defined]
    return rows


def delivery_of(app: DockingApp, delivery_id: str) -> DockingDelivery:
    delivery = (
        DockingDelivery.objects.select_related("app__enterprise")
        .filter(app=app, delivery_id=delivery_id[:32])
        .first()
    )
    if delivery is None:
        raise NotFound("回调记录")
    return delivery
