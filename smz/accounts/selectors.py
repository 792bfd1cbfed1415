"""Account reads and access checks, scoped: who an administrator may see and manage on the accounts page."""

from __future__ import annotations

from typing import Any

from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import QuerySet

from smz.accounts.models import ApiToken, Role, TotpDevice, User
from smz.core.errors import NotFound


def may_administer(actor: Any, target: User) -> bool:
    """The city administrator manages every account; an enterprise admin manages his enterprise's staff."""
    if not actor.is_authenticated:
        return False
    if actor.is_superuser or actor.role == Role.CITY_ADMIN:
        return not target.is_superuser or actor.is_superuser
    if actor.role == Role.ENTERPRISE_ADMIN:
        return target.enterprise_id == actor.enterprise_id and target.role != Role.ENTERPRISE_ADMIN
    return False


def workers_may_log_in(worker_ids: list[int]) -> bool:
    """Someone of these people may log in by phone: a person without an account yet, or with an active
    worker one."""
    accounts = {u.worker_id: u for u in User.objects.filter(worker__in=worker_ids)}
    return any(
        pk not in accounts or (accounts[pk].role == Role.WORKER and accounts[pk].is_active)
        for pk in worker_ids
    )


def totp_enrolled(user: Any) -> bool:
    """Whether the user has bound an authenticator app (两步验证)."""
    return TotpDevice.objects.filter(user=user).exists()


def user_list_for(actor: Any, *, q: str = "", role: str = "") -> QuerySet[User]:
    qs = User.objects.select_related("authority", "enterprise").order_by("username")
    if actor.is_superuser or actor.role == Role.CITY_ADMIN:
        pass
    elif actor.role == Role.ENTERPRISE_ADMIN:
        qs = qs.filter(enterprise=actor.enterprise_id)
    else:
        return qs.none()
    if q:
        qs = qs.filter(username__icontains=q) | qs.filter(display_name__icontains=q)
    if role:
        qs = qs.filter(role=role)
    return qs


def user_get_for(actor: Any, pk: int) -> User:
    user = user_list_for(actor).filter(pk=pk).first()
    if user is None:
        raise NotFound("账号")
    return user


def locked_usernames(usernames: list[str]) -> set[str]:
    return set(
        AccessAttempt.objects.filter(
            username__in=usernames, failures_since_start__gte=settings.AXES_FAILURE_LIMIT
        ).values_list("username", flat=True)
    )


def api_token_list_for(actor: Any) -> QuerySet[ApiToken]:
    """The caller's own tokens, newest first."""
    return ApiToken.objects.filter(user=actor.pk).order_by("-created_at", "-pk")


def api_token_get_for(actor: Any, pk: int) -> ApiToken:
    """A token the actor owns or whose account he administers; else not found."""
    token = ApiToken.objects.select_related("user").filter(pk=pk).first()
    if token is None or not (token.user_id == actor.pk or may_administer(actor, token.user)):
        raise NotFound("接口令牌")
    return token
