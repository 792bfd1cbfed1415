"""Account administration: reset passwords, disable/enable, unlock, issue API tokens; a worker's own account on
his first login. All audited but the last (the login that creates it is)."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from axes.utils import reset as axes_reset
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from smz.accounts.errors import AccountsErrorCode
from smz.accounts.events import AccountsEventKind
from smz.accounts.models import ApiToken, Role, User
from smz.accounts.selectors import may_administer
from smz.core.errors import DomainError, Forbidden
from smz.core.events import event_record


def _require(actor: Any, target: User) -> None:
    if not may_administer(actor, target):
        raise Forbidden("无权管理该账号")


def worker_account_for(*, worker_id: int, name: str) -> tuple[User, bool]:
    """The worker's own account, created on his first login (no password: he logs in by phone); the flag says
    it is new."""
    user = User.objects.filter(worker=worker_id).first()
    if user is not None:
        return user, False
    user = User(
        username=f"w{worker_id}", role=Role.WORKER, worker_id=worker_id, display_name=name[:40]
    )
    user.set_unusable_password()
    user.save()
    return user, True


def user_reset_password(*, actor: Any, target: User) -> str:
    """Set a new random password (shown once to the administrator) and unlock the account."""
    _require(actor, target)
    password = secrets.token_urlsafe(9)
    with transaction.atomic():
        target.set_password(password)
        target.save(update_fields=["password"])
        event_record(actor=actor, kind=AccountsEventKind.USER_PASSWORD_RESET, subject=target)
    axes_reset(username=target.username)
    return password


def user_set_active(*, actor: Any, target: User, active: bool) -> User:
    _require(actor, target)
    if target.pk == actor.pk and not active:
        raise Forbidden("不能停用自己的账号")
    with transaction.atomic():
        target.is_active = active
        target.save(update_fields=["is_active"])
        event_record(
            actor=actor,
            kind=AccountsEventKind.USER_ENABLED if active else AccountsEventKind.USER_DISABLED,
            subject=target,
        )
    return target


def user_unlock(*, actor: Any, target: User) -> None:
    _require(actor, target)
    axes_reset(username=target.username)
    event_record(actor=actor, kind=AccountsEventKind.USER_UNLOCKED, subject=target)


def _token_new(*, user: User, name: str) -> tuple[ApiToken, str]:
    raw = "smz_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=raw[:8],
        key_hash=ApiToken.hash(raw),
        expires_at=timezone.now() + dt.timedelta(days=settings.SMZ_API_TOKEN_DAYS),
    )
    return token, raw


def api_token_create(*, actor: Any, user: User, name: str) -> str:
    """Issue a token for `user`, valid SMZ_API_TOKEN_DAYS; returns the raw token (only its hash is stored)."""
    if actor.pk != user.pk:
        _require(actor, user)
    with transaction.atomic():
        token, raw = _token_new(user=user, name=name)
        event_record(
            actor=actor,
            kind=AccountsEventKind.API_TOKEN_CREATED,
            subject=token,
            data={"user": user.pk, "expires_at": token.expires_at.isoformat()},
        )
    return raw


def api_token_rotate(*, actor: Any, token: ApiToken) -> tuple[ApiToken, str]:
    """Replace a live token: the successor (same owner and name, a fresh term) is issued, the old one revoked."""
    if actor.pk != token.user_id:
        _require(actor, token.user)
    now = timezone.now()
    with transaction.atomic():
        old = ApiToken.objects.select_for_update().get(pk=token.pk)
        if old.revoked_at is not None or old.expires_at <= now:
            raise DomainError(
                AccountsErrorCode.API_TOKEN_NOT_ACTIVE,
                "该令牌已撤销或已过期，请签发新令牌",
                status=409,
            )
        new, raw = _token_new(user=old.user, name=old.name)
        old.revoked_at, old.replaced_by = now, new
        old.save(update_fields=["revoked_at", "replaced_by"])
        event_record(
            actor=actor,
            kind=AccountsEventKind.API_TOKEN_ROTATED,
            subject=old,
            data={
                "user": old.user_id,
                "new_token": new.pk,
                "expires_at": new.expires_at.isoformat(),
            },
        )
    return new, raw


def api_token_revoke(*, actor: Any, token: ApiToken) -> None:
    if actor.pk != token.user_id:
        _require(actor, token.user)
    with transaction.atomic():
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        event_record(actor=actor, kind=AccountsEventKind.API_TOKEN_REVOKED, subject=token)
