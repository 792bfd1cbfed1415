"""Pages of the upward push (数据上报, city administrator only): the targets with their counts per state, adding and
editing one (the secret is write-only: typed in, never shown back), and a target's failures with a retry button."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from smz.core.errors import DomainError
from smz.core.forms import form_int
from smz.docking.models import UpstreamTarget, UpstreamUpload
from smz.docking.selectors import upward as selectors
from smz.docking.services import upward as services


def _input(post: Any) -> services.TargetInput:
    return services.TargetInput(
        name=post.get("name", ""),
        url=post.get("url", ""),
        app_id=post.get("app_id", ""),
        secret=post.get("secret", ""),
        project_code=post.get("project_code", ""),
        enabled=post.get("enabled") == "on",
    )


def _form_of(target: UpstreamTarget) -> dict[str, Any]:
    return {
        "name": target.name,
        "url": target.url,
        "app_id": target.app_id,
        "project_code": target.project.code if target.project else "",
        "enabled": target.enabled,
    }


@login_required
def upward_targets(request: HttpRequest) -> HttpResponse:
    """上报平台: every target with its counts; POST adds one."""
    selectors.require_upward(request.user)
    form: dict[str, Any] = {}
    status = 200
    if request.method == "POST":
        try:
            target = services.upstream_target_save(actor=request.user, data=_input(request.POST))
            return redirect(reverse("docking:upward_target", args=[target.pk]) + "?saved=1")
        except DomainError as exc:
            status = exc.status
            form = {
                k: v
                for k, v in request.POST.dict().items()
                if k not in {"secret", "csrfmiddlewaretoken"}
            } | {"errors": exc.form_errors()}
    return render(
        request,
        "docking/upward_targets.html",
        {
            "targets": selectors.upstream_targets_for(request.user),
            "states": UpstreamUpload.State.choices,
            "form": form,
        },
        status=status,
    )


@login_required
def upward_target(request: HttpRequest, pk: int) -> HttpResponse:
    """One target: its counts, the edit form (secret write-only) and its failures with retry."""
    target = selectors.upstream_target_get_for(request.user, pk)
    form: dict[str, Any] = _form_of(target)
    status = 200
    notice = "已保存" if request.GET.get("saved") else ""
    if request.method == "POST":
        try:
            services.upstream_target_save(
                actor=request.user, data=_input(request.POST), target=target
            )
            return redirect(reverse("docking:upward_target", args=[target.pk]) + "?saved=1")
        except DomainError as exc:
            status = exc.status
            form = {
                k: v
                for k, v in request.POST.dict().items()
                if k not in {"secret", "csrfmiddlewaretoken"}
            } | {"errors": exc.form_errors(), "enabled": request.POST.get("enabled") == "on"}
    counts = next(t.counts for t in selectors.upstream_targets_for(request.user) if t.pk == pk)
    return render(
        request,
        "docking/upward_target.html",
        {
            "target": target,
            "counts": counts,
            "states": UpstreamUpload.State.choices,
            "failures": selectors.upstream_failures_for(request.user, target),
            "waiting": selectors.upstream_waiting_count(target),
            "form": form,
            "notice": notice,
        },
        status=status,
    )


@login_required
@require_POST
def upward_retry(request: HttpRequest, pk: int) -> HttpResponse:
    """重新上报: one failed record (`upload`), or all of the target's failures; htmx swaps the row."""
    target = selectors.upstream_target_get_for(request.user, pk)
    upload = form_int(request.POST.get("upload"))
    if request.POST.get("upload") and upload is None:
        return HttpResponse(status=400)
    n = services.upstream_retry(
        actor=request.user, target=target, upload_ids=None if upload is None else [upload]
    )
    if request.htmx and upload is not None:
        return render(request, "docking/_upward_retried.html", {"count": n, "upload": upload})
    return redirect(reverse("docking:upward_target", args=[target.pk]) + f"?retried={n}")


upward_urlpatterns = [
    path("city/upward/", upward_targets, name="upward"),
    path("city/upward/<int:pk>/", upward_target, name="upward_target"),
    path("city/upward/<int:pk>/retry/", upward_retry, name="upward_retry"),
]
