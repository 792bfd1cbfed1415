"""Role-aware navigation: one list, filtered by what the role may open."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from smz.accounts.models import AUTHORITY_ROLES, ENTERPRISE_ROLES, Role
from smz.notifications.selectors import notifications_for
from smz.portal.guide import role_guide_url

# (label, url name, roles allowed or None for every staff role)
NAV: list[tuple[str, str, frozenset[str] | None]] = [
    ("首页", "portal:home", None),
    ("项目", "portal:projects", None),
    ("人员", "portal:workers", AUTHORITY_ROLES | ENTERPRISE_ROLES),
    ("考勤异常", "attendance:anomalies", AUTHORITY_ROLES | ENTERPRISE_ROLES),
    ("设备", "devices:list", AUTHORITY_ROLES | ENTERPRISE_ROLES),
    ("审批", "approvals:list", AUTHORITY_ROLES | ENTERPRISE_ROLES | {Role.BUILDER}),
    ("我的工资", "labor:my_wages", frozenset({Role.WORKER})),
    ("我的资料", "labor:my_profile", frozenset({Role.WORKER})),
    ("人脸采集", "approvals:enroll_list", frozenset({Role.WINDOW_CLERK})),
    (
        "欠薪预警",
        "labor:alerts",
        AUTHORITY_ROLES - {Role.WINDOW_CLERK} | {Role.ENTERPRISE_ADMIN, Role.LABOR_SPECIALIST},
    ),
    (
        "花名册导入",
        "portal:roster_import",
        frozenset({Role.ENTERPRISE_ADMIN, Role.LABOR_SPECIALIST, Role.CITY_ADMIN}),
    ),
    ("扣分标准", "compliance:rules", AUTHORITY_ROLES - {Role.WINDOW_CLERK}),
    ("考核月报", "compliance:reports", AUTHORITY_ROLES - {Role.WINDOW_CLERK}),
    ("诚信", "compliance:deductions", AUTHORITY_ROLES - {Role.WINDOW_CLERK} | ENTERPRISE_ROLES),
    ("企业信用", "compliance:credit_list", frozenset({Role.BUILDER})),
    # 平台对接 (附件8): the administrators manage the apps; the other authorities read the not-docked list.
    ("平台对接", "docking:apps", frozenset({Role.CITY_ADMIN, Role.ENTERPRISE_ADMIN})),
    ("平台对接", "docking:undocked", AUTHORITY_ROLES - {Role.CITY_ADMIN, Role.WINDOW_CLERK}),
    ("账号管理", "portal:accounts", frozenset({Role.CITY_ADMIN, Role.ENTERPRISE_ADMIN})),
    # The authorities read the interface specs from 平台对接 (对接规范) and the guide; the page stays open to them.
    ("接口文档", "api:openapi-view", ENTERPRISE_ROLES),
]


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = []
    for label, name, roles in NAV:
        if user.role == Role.WORKER and roles is None and name != "portal:home":
            continue
        # The superuser (root) is offered what the city's administrator is: not a worker's own wages.
        role = Role.CITY_ADMIN if user.is_superuser and not user.role else user.role
        if roles is None or role in roles:
            url = reverse(name)
            active = request.path == url or (url != "/" and request.path.startswith(url))
            # 设备 covers the camera registry too (tabs on both lists; the menu has no room for another item).
            active = active or (name == "devices:list" and request.path.startswith("/video/"))
            items.append({"label": label, "url": url, "active": active})
    unread = notifications_for(user, unread_only=True).count()
    return {
        "nav_items": items,
        "unread_notifications": unread,
        "help_url": role_guide_url(user),
        # 两步验证 is offered to the accounts it is meant for (smz/accounts/twofactor.py).
        "two_factor_link": user.is_superuser or user.role in AUTHORITY_ROLES,
    }
