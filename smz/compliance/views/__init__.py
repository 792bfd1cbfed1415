"""Pages of the deduction table: the list of rules with the version in force today, and a rule's history with
the city administrator's form for a new version. Parse → selector → service → render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from smz.compliance import selectors, services
from smz.compliance.models import Evidence, Responsible
from smz.compliance.table import points_text
from smz.core.errors import DomainError
from smz.core.forms import form_date, form_int


@login_required
def rule_list(request: HttpRequest) -> HttpResponse:
    """扣分标准: every rule with its version today; the phases and regimes below."""
    rows = selectors.rule_list_for(request.user)
    phases, regimes = selectors.phases_and_regimes_for(request.user)
    return render(
        request,
        "compliance/rules.html",
        {
            "rows": rows,
            "phases": phases,
            "regimes": regimes,
            "today": selectors.today(),
            "may_edit": selectors.may_edit_rules(request.user),
        },
    )


def _initial(history: selectors.RuleHistory) -> dict[str, Any]:
    base = (
        history.upcoming or history.current or (history.versions[0] if history.versions else None)
    )
    if base is None:
        return {}
    return {
        "points": points_text(base.points),
        "per_day_cap": "" if base.per_day_cap is None else points_text(base.per_day_cap),
        "per_month_cap": "" if base.per_month_cap is None else points_text(base.per_month_cap),
        "responsible": base.responsible,
        "evidence": list(base.evidence),
        "enabled": base.enabled,
        "params": dict(base.params),
        "effective_from": history.today.isoformat(),
        "effective_to": "",
        "reason": "",
    }


@login_required
def rule_detail(request: HttpRequest, code: str) -> HttpResponse:
    """A rule's history (newest first); POST makes a new version (city administrator only)."""
    history = selectors.rule_get_for(request.user, code)
    form = _initial(history)
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        post = request.POST
        params = {key: form_int(post.get(f"param_{key}")) for key in form.get("params", {})}
        form = {
            **form,
            "points": post.get("points", ""),
            "per_day_cap": post.get("per_day_cap", ""),
            "per_month_cap": post.get("per_month_cap", ""),
            "responsible": post.get("responsible", ""),
            "evidence": post.getlist("evidence"),
            "enabled": post.get("enabled") == "on",
            "params": {k: post.get(f"param_{k}", "") for k in form.get("params", {})},
            "effective_from": post.get("effective_from", ""),
            "effective_to": post.get("effective_to", ""),
            "reason": post.get("reason", ""),
        }
        try:
            version = services.rule_version_create(
                actor=request.user,
                rule=history.rule,
                points=form["points"],
                per_day_cap=form["per_day_cap"],
                per_month_cap=form["per_month_cap"],
                responsible=form["responsible"],
                evidence=form["evidence"],
                enabled=form["enabled"],
                effective_from=form_date(form["effective_from"]),
                effective_to=form_date(form["effective_to"]),
                reason=form["reason"],
                params=params or None,
            )
        except DomainError as exc:
            if exc.status == 403:
                raise
            errors = exc.form_errors()
            status = exc.status
        else:
            messages.success(
                request,
                f"已新建 {history.rule.code} 第 {version.number} 版，"
                f"自 {version.effective_from:%Y-%m-%d} 起生效",
            )
            return redirect("compliance:rule", code=history.rule.code)
    return render(
        request,
        "compliance/rule.html",
        {
            "history": history,
            "form": form,
            "errors": errors,
            "may_edit": selectors.may_edit_rules(request.user),
            "responsible_choices": Responsible.choices,
            "evidence_choices": Evidence.choices,
        },
        status=status,
    )
