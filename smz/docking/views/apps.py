"""Docking pages (对接应用, issue 14 item 1; 附件8 sandbox, item 6).

- 对接应用 (`docking:apps`): the GC's enterprise administrator (own enterprise) and the city administrator (any
  GC) list the vendor systems and authorize a new one; the secret is shown once, on the answer to the POST.
- 应用详情 (`docking:app`): scope, rotate (the new secret shown once), revoke with a reason, recent requests.
- 未对接项目 (`docking:undocked`): the authorities' in-scope projects receiving no data (by jurisdiction).
- 接口沙箱 (`docking:sandbox`): a worked example call for an app, and a calculator that computes `sign` and the
  AES text of entered values on the server (no script on the page; nothing entered is stored).

Every page answers `Cache-Control: no-store` (a secret may be on it; nothing on it should stay in a cache).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from smz.core.errors import DomainError
from smz.core.forms import form_int
from smz.docking import protocol
from smz.docking.models import DockingApp
from smz.docking.selectors import apps as selectors
from smz.docking.selectors.upward import may_manage_upward
from smz.docking.services import apps as services
from smz.docking.services.gateway import gateway_call
from smz.registry.scoping import is_authority

GATEWAY_PATH = "/docking/v1/gateway"


def _project_ids(values: list[str]) -> list[int] | None:
    """The checked projects' ids; None when one is not a plain number (a tampered form)."""
    ids = [form_int(v) for v in values]
    return None if any(i is None for i in ids) else [i for i in ids if i is not None]


def _gateway_url(request: HttpRequest) -> str:
    return request.build_absolute_uri(GATEWAY_PATH)


def _require_manager(request: HttpRequest) -> None:
    if not selectors.may_manage_docking(request.user):
        raise PermissionDenied


def _app_page(
    request: HttpRequest,
    app: DockingApp,
    *,
    secret: str | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    requests = selectors.app_requests_recent(app)
    return render(
        request,
        "docking/app.html",
        {
            "app": app,
            "projects": selectors.app_projects(app),
            "choices": selectors.scope_choices(request.user, app.enterprise),
            "requests": [(r, selectors.failure_messages(r)) for r in requests],
            "secret": secret,
            "errors": errors or {},
            "gateway_url": _gateway_url(request),
        },
        status=status,
    )


@never_cache
@login_required
def apps(request: HttpRequest) -> HttpResponse:
    """对接应用: the list and the authorize form; POST authorizes and answers the new app's page with its
    secret (shown this once)."""
    _require_manager(request)
    enterprises = selectors.gc_enterprises_for(request.user)
    data = request.POST if request.method == "POST" else request.GET
    chosen = form_int(data.get("enterprise", ""))
    enterprise = next((e for e in enterprises if e.pk == chosen), None) or next(
        iter(enterprises), None
    )
    form: dict[str, Any] = {}
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        form = {
            "name": request.POST.get("name", ""),
            "vendor": request.POST.get("vendor", ""),
            "mode": request.POST.get("mode", DockingApp.Mode.LIVE),
            "projects": request.POST.getlist("projects"),
        }
        ids = _project_ids(form["projects"])
        if enterprise is None:
            errors, status = {"form": "没有可授权的总承包企业"}, 400
        elif ids is None:
            errors, status = {"projects": "项目选择无效"}, 400
        else:
            try:
                app, secret = services.docking_app_authorize(
                    actor=request.user,
                    enterprise=enterprise,
                    name=form["name"],
                    vendor=form["vendor"],
                    project_ids=ids,
                    mode=form["mode"],
                )
            except DomainError as exc:
                errors, status = exc.form_errors(), exc.status
            else:
                return _app_page(request, app, secret=secret)
    choices = selectors.scope_choices(request.user, enterprise) if enterprise else []
    return render(
        request,
        "docking/apps.html",
        {
            "apps": selectors.apps_for(request.user),
            "enterprises": enterprises,
            "enterprise": enterprise,
            "city_wide": not request.user.enterprise_id,
            "choices": choices,
            "modes": DockingApp.Mode.choices,
            "form": form,
            "errors": errors,
            "may_see_undocked": is_authority(request.user),
            "may_push_upward": may_manage_upward(request.user),
        },
        status=status,
    )


@never_cache
@login_required
def app_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """应用详情: POST `action` = rotate (the new secret shown once) | revoke (with `reason`) | scope (`projects`)."""
    _require_manager(request)
    app = selectors.app_get_for(request.user, pk)
    if request.method != "POST":
        return _app_page(request, app)
    action = request.POST.get("action", "")
    try:
        if action == "rotate":
            secret = services.docking_app_rotate(actor=request.user, app=app)
            return _app_page(request, app, secret=secret)
        if action == "revoke":
            services.docking_app_revoke(
                actor=request.user, app=app, reason=request.POST.get("reason", "")
            )
            messages.success(request, f"对接应用 {app.app_id} 已撤销授权，其请求将被拒绝（1005）")
        elif action == "scope":
            ids = _project_ids(request.POST.getlist("projects"))
            if ids is None:
                return _app_page(request, app, errors={"projects": "项目选择无效"}, status=400)
            services.docking_app_scope_set(actor=request.user, app=app, project_ids=ids)
            messages.success(request, "授权项目已更新")
        else:
            return HttpResponse(status=400)
    except DomainError as exc:
        return _app_page(request, app, errors=exc.form_errors(), status=exc.status)
    return redirect("docking:app", pk=app.pk)


@never_cache
@login_required
def undocked(request: HttpRequest) -> HttpResponse:
    """未对接项目: in-scope active projects of the authority's jurisdiction receiving no data."""
    if not is_authority(request.user):
        raise PermissionDenied
    now = timezone.now()
    return render(
        request,
        "docking/undocked.html",
        {
            "rows": selectors.undocked_projects_for(request.user, now=now),
            "counts": selectors.docked_counts_for(request.user, now=now),
            "days": selectors.stale_days(),
            "may_manage": selectors.may_manage_docking(request.user),
        },
    )


# ---- 接口沙箱 -------------------------------------------------------------------------------------------

CALC_FIELDS = ("appid", "secret", "method", "data", "nonce", "timestamp", "plaintext")
CALC_MAX = {"data": 20_000, "plaintext": 200}


def _unsigned(fields: dict[str, str]) -> str:
    """The string to sign as shown: the secret's place named, not filled (it is lower-cased too)."""
    return protocol.string_to_sign(fields, "") + "〈AppSecret 转小写〉"


def _calculate(post: Any) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """The calculator: (the entered values, the results, the errors). Computes; stores nothing."""
    values = {k: str(post.get(k, "")) for k in CALC_FIELDS}
    # Browsers send textarea lines as CRLF; sign what a client would send (LF).
    values["data"] = values["data"].replace("\r\n", "\n")
    errors: dict[str, str] = {}
    for name, limit in CALC_MAX.items():
        if len(values[name]) > limit:
            errors[name] = f"不能超过{limit}个字符"
    for name in ("appid", "method", "nonce", "timestamp"):
        if len(values[name]) > 64:
            errors[name] = "不能超过64个字符"
    if len(values["secret"]) not in (16, 24, 32):
        errors["secret"] = "AppSecret 应为32个字符（AES 密钥，前16个字符为 IV）"  # noqa: S105
    if values["timestamp"] and protocol.parse_timestamp(values["timestamp"]) is None:
        errors["timestamp"] = "timestamp 格式应为 yyyyMMddHHmmss（北京时间）"
    results: dict[str, str] = {}
    if errors:
        return values, results, errors
    fields = {
        "appid": values["appid"],
        "data": values["data"],
        "format": protocol.FORMAT,
        "method": values["method"],
        "nonce": values["nonce"],
        "timestamp": values["timestamp"],
        "version": protocol.VERSION,
    }
    results["string_to_sign"] = _unsigned(fields)
    results["sign"] = protocol.sign(fields, values["secret"])
    if values["plaintext"]:
        results["cipher"] = protocol.aes_encrypt(values["plaintext"], values["secret"])
    return values, results, errors


def _example_data(method: str, project_code: str, today: dt.date) -> dict[str, Any]:
    if method == "Team.Add":
        return {
            "projectCode": project_code,
            "corpCode": "914420000001MX3E8N",
            "corpName": "示例劳务有限公司",
            "teamName": "钢筋一班",
            "teamLeaderName": "张三",
            "teamLeaderIdcardType": "01",
            "teamLeaderIdNumber": "442000199001012359",
            "entryTime": today.isoformat(),
        }
    return {"projectCode": project_code, "pageIndex": 0, "pageSize": 10}


def _example(request: HttpRequest, app: DockingApp, method: str) -> dict[str, Any]:
    """A worked example for the app: the plaintext data, the data as sent (sensitive fields encrypted), the
    signed envelope and the curl line. The secret itself never appears (only its SHA-256 result)."""
    projects = selectors.app_projects(app)
    code = projects[0].code if projects else ""
    now = timezone.now()
    plain = _example_data(method, code, timezone.localdate())
    fields = protocol.envelope(app.app_id, app.secret, method, plain, moment=now)
    curl = " \\\n  ".join(
        [f"curl -s -X POST '{_gateway_url(request)}'"]
        + [f"--data-urlencode '{k}={v}'" for k, v in fields.items()]
    )
    return {
        "method": method,
        "plain": json.dumps(plain, ensure_ascii=False, indent=2),
        "fields": fields,
        "string_to_sign": _unsigned(fields),
        "curl": curl,
    }


@never_cache
@login_required
def sandbox(request: HttpRequest) -> HttpResponse:
    """接口沙箱: a worked example for one of the actor's apps (GET ?app=; POST action=send sends its
    Project.Query through the gateway) and the signature calculator (POST action=calculate)."""
    _require_manager(request)
    choices = selectors.sandbox_apps_for(request.user)
    data = request.POST if request.method == "POST" else request.GET
    chosen = form_int(data.get("app", ""))
    app = next((a for a in choices if a.pk == chosen), None) or next(iter(choices), None)
    method = data.get("method", "Project.Query")
    if method not in ("Project.Query", "Team.Add"):
        method = "Project.Query"
    example = _example(request, app, method) if app else None
    sent: dict[str, Any] | None = None
    calc: tuple[dict[str, str], dict[str, str], dict[str, str]] | None = None
    action = request.POST.get("action", "") if request.method == "POST" else ""
    if action == "send" and app is not None and example is not None:
        # The example's Project.Query through the gateway's own checks, in this process: a read, it changes
        # nothing but the app's last call and one nonce.
        query = _example(request, app, "Project.Query")
        answer = gateway_call(dict(query["fields"]))
        sent = {
            "example": query,
            "status": answer.status,
            "body": json.dumps(answer.body(), ensure_ascii=False, indent=2),
        }
    elif action == "calculate":
        calc = _calculate(request.POST)
    elif action:
        return HttpResponse(status=400)
    return render(
        request,
        "docking/sandbox.html",
        {
            "choices": choices,
            "app": app,
            "method": method,
            "example": example,
            "sent": sent,
            "calc": calc,
            "gateway_url": _gateway_url(request),
            "vector": {
                "appid": "44202026120500001",
                "method": "Project.Query",
                "data": '{"projectCode":"442000202400001","pageIndex":0,"pageSize":10}',
                "nonce": "8f14e45fceea167a5a36dedd4bea2543",
                "timestamp": "20261205143000",
                "secret": "0123456789abcdefABCDEF0123456789",
                "plaintext": "440101199001011234",
            },
            "spec_url": reverse("portal:guide_doc", args=["interfaces", "platform-docking"]),
        },
    )


urlpatterns = [
    path("docking/apps/", apps, name="apps"),
    path("docking/apps/<int:pk>/", app_detail, name="app"),
    path("docking/undocked/", undocked, name="undocked"),
    path("docking/sandbox/", sandbox, name="sandbox"),
]
