"""回调记录 page (REST docking webhooks): the app's callback URL, its deliveries with their attempts, and a resend
button; for the app's owner (the GC's enterprise administrator, the city administrator)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from smz.core.errors import DomainError, NotFound
from smz.docking.models import DockingDelivery
from smz.docking.selectors import webhooks as selectors
from smz.docking.services import webhooks as services
from smz.docking.services.apps import may_authorize


@login_required
def webhooks(request: HttpRequest, pk: int) -> HttpResponse:
    app = selectors.docking_app_get(pk)
    if not may_authorize(request.user, app.enterprise):
        raise NotFound("对接应用")  # another GC's app: as if it did not exist
    form: dict[str, Any] = {"webhook_url": app.webhook_url}
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "url":
                form["webhook_url"] = request.POST.get("webhook_url", "")
                services.docking_webhook_url_set(
                    actor=request.user, app=app, url=form["webhook_url"]
                )
                form["notice"] = "回调地址已保存" if app.webhook_url else "已关闭回调"
            elif action == "resend":
                delivery = selectors.delivery_of(app, request.POST.get("delivery", ""))
                services.docking_delivery_resend(actor=request.user, delivery=delivery)
                form["notice"] = f"回调 {delivery.delivery_id} 已重新排队发送"
            else:
                return HttpResponse(status=400)
        except DomainError as exc:
            status = exc.status
            form |= {"error": exc.message, "errors": exc.form_errors()}
    shown = request.GET.get("status", "")
    return render(
        request,
        "docking/webhooks.html",
        {
            "app": app,
            "form": form,
            "deliveries": selectors.deliveries_of(app, status=shown),
            "statuses": DockingDelivery.Status.choices,
            "shown": shown,
            "backoff": "1 分钟、5 分钟、30 分钟、2 小时、12 小时",
        },
        status=status,
    )
