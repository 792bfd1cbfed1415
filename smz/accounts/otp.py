"""One-time codes texted to a phone (短信验证码, N2): the machinery, whatever the code is for.

A code is six digits; only a keyed hash of it is stored (`LoginCode`), under the blind index of the phone it
went to (the caller's index: a login code and a change code live in namespaces of their own). Here: the limits
per phone, per client address and for the platform, issuing a code, and checking one (a wrong code counts).
Who may receive a code and what it opens is the caller's: the worker's login and his self-service change of
phone or wage card are in smz/registry/worker_codes.py. Texts go out from a background task
(smz/accounts/tasks.py), never inside the request.
"""

from __future__ import annotations

import datetime as dt
import hmac
import math
import secrets

from django.conf import settings

from smz.accounts.errors import AccountsErrorCode
from smz.accounts.models import LoginCode
from smz.core import crypto
from smz.core.errors import DomainError
from smz.core.validators import normalize_phone

CODE_TTL = dt.timedelta(minutes=5)
RESEND_AFTER = dt.timedelta(seconds=60)
LIMIT_WINDOW = dt.timedelta(hours=1)
LIMIT_PER_WINDOW = 5
MAX_ATTEMPTS = 5
# Codes are kept a day for the rate limits and for questions about a login; then they go.
KEEP_CODES = dt.timedelta(days=1)
CODE_PURPOSE = "accounts.login_code"
# Codes that confirm a change of the worker's own phone or wage card go to his OLD phone, under an index of
# their own (a change code never logs anybody in, a login code never confirms a change).
CHANGE_PURPOSE = "accounts.change_code"


def code_hash(index: str, code: str, bound: str = "") -> str:
    """The stored form of a code sent under `index`; `bound` ties a change code to the one change it was sent for."""
    # Keyed: six digits are a million guesses, so a plain hash in a database dump would give the code away.
    return crypto.blind_index(
        f"{index}:{bound}:{code}" if bound else f"{index}:{code}", purpose=CODE_PURPOSE
    )


def change_index(phone: str) -> str:
    """The code index of change codes sent to `phone`: a namespace apart from login codes."""
    return crypto.blind_index(normalize_phone(phone), purpose=CHANGE_PURPOSE)


def phone_rate_limit(index: str, now: dt.datetime) -> None:
    """Refuse (429) a new code for `index` within a minute of the last one or past five in an hour."""
    recent = list(
        LoginCode.objects.filter(phone_index=index, created_at__gt=now - LIMIT_WINDOW)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
    )
    if recent and now - recent[0] < RESEND_AFTER:
        wait = math.ceil((recent[0] + RESEND_AFTER - now).total_seconds())
        raise DomainError(
            AccountsErrorCode.OTP_TOO_MANY,
            f"获取验证码过于频繁，请{wait}秒后再试",
            {"retry_after": wait},
            status=429,
        )
    if len(recent) >= LIMIT_PER_WINDOW:
        wait = math.ceil((recent[LIMIT_PER_WINDOW - 1] + LIMIT_WINDOW - now).total_seconds())
        raise DomainError(
            AccountsErrorCode.OTP_TOO_MANY,
            f"该手机号1小时内获取验证码已达{LIMIT_PER_WINDOW}次，请{math.ceil(wait / 60)}分钟后再试",
            {"retry_after": wait},
            status=429,
        )


def address_and_global_limit(ip: str | None, now: dt.datetime) -> None:
    """Caps over every number: per client address and for the whole platform, per hour (stored codes count)."""
    since = now - LIMIT_WINDOW
    # The same words for both caps and for any number: the answer must not tell who is registered.
    refusal = DomainError(
        AccountsErrorCode.OTP_TOO_MANY,
        "获取验证码的请求过多，请1小时后再试；如需立即登录，请联系您的劳资专管员",
        {"retry_after": int(LIMIT_WINDOW.total_seconds())},
        status=429,
    )
    if ip and (
        LoginCode.objects.filter(ip=ip, created_at__gt=since).count()
        >= settings.SMZ_OTP_PER_ADDRESS_HOURLY
    ):
        raise refusal
    if LoginCode.objects.filter(created_at__gt=since).count() >= settings.SMZ_OTP_GLOBAL_HOURLY:
        raise refusal


def codes_expired_delete(now: dt.datetime) -> None:
    """Forget codes older than KEEP_CODES."""
    LoginCode.objects.filter(created_at__lt=now - KEEP_CODES).delete()


def code_issue(*, index: str, now: dt.datetime, ip: str | None, bound: str = "") -> str:
    """Store a fresh code for `index` (its hash only, valid CODE_TTL) and return it, to be texted."""
    code = f"{secrets.randbelow(10**6):06d}"
    LoginCode.objects.create(
        phone_index=index,
        code_hash=code_hash(index, code, bound),
        created_at=now,
        expires_at=now + CODE_TTL,
        ip=ip or None,
    )
    return code


def code_latest_locked(index: str) -> LoginCode | None:
    """The latest code sent under `index`, locked for the caller's transaction."""
    return (
        LoginCode.objects.select_for_update()
        .filter(phone_index=index)
        .order_by("-created_at", "-pk")
        .first()
    )


def code_error(
    login_code: LoginCode | None, code: str, now: dt.datetime, bound: str = ""
) -> DomainError | None:
    """Check `code` against the phone's latest code, counting a wrong one; None when it matches."""
    if login_code is None:
        return DomainError(AccountsErrorCode.OTP_INVALID, "验证码无效，请重新获取")
    if login_code.used_at is not None:
        return DomainError(AccountsErrorCode.OTP_INVALID, "验证码已使用，请重新获取")
    if login_code.attempts >= MAX_ATTEMPTS:
        return DomainError(AccountsErrorCode.OTP_INVALID, "验证码错误次数过多，已失效，请重新获取")
    if login_code.expires_at <= now:
        return DomainError(AccountsErrorCode.OTP_EXPIRED, "验证码已过期，请重新获取")
    expected = code_hash(login_code.phone_index, code, bound)
    if not hmac.compare_digest(login_code.code_hash, expected):
        login_code.attempts += 1
        login_code.save(update_fields=["attempts"])
        left = MAX_ATTEMPTS - login_code.attempts
        if left <= 0:
            return DomainError(
                AccountsErrorCode.OTP_INVALID, "验证码错误次数过多，已失效，请重新获取"
            )
        return DomainError(AccountsErrorCode.OTP_INVALID, f"验证码错误，还可尝试{left}次")
    login_code.used_at = now
    login_code.save(update_fields=["used_at"])
    return None
