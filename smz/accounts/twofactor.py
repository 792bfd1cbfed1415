"""两步验证 (等保三级): TOTP (RFC 6238) for the city's and the authorities' accounts, with recovery codes.

After the password, such an account must also give a code from its authenticator app before any page or API
call (TwoFactorMiddleware). Required for these roles when settings.SMZ_REQUIRE_2FA (on in production); an
account that has enrolled is always asked.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
import struct
import time
from typing import Any
from urllib.parse import quote, urlencode

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from smz.accounts.errors import AccountsErrorCode
from smz.accounts.events import AccountsEventKind
from smz.accounts.models import AUTHORITY_ROLES, RecoveryCode, TotpDevice, User
from smz.core import crypto
from smz.core.errors import DomainError
from smz.core.events import event_record

STEP = 30
DIGITS = 6
# One step either side: a phone clock a little off still works.
WINDOW = 1
MAX_FAILURES = 5
LOCK_FOR = dt.timedelta(minutes=15)
RECOVERY_CODES = 10
ISSUER = "中山实名制平台"
SESSION_VERIFIED = "smz_2fa_user"
RECOVERY_PURPOSE = "accounts.recovery_code"
# The city's and the authorities' accounts (all government roles) and superusers.
TWO_FACTOR_ROLES = AUTHORITY_ROLES


def totp(*, secret: str, step: int, digits: int = DIGITS) -> str:
    """The RFC 6238 (HOTP, RFC 4226, over SHA-1) code of base32 `secret` for time step `step`."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    number = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**digits).zfill(digits)


def current_step(*, at: float | None = None) -> int:
    """The 30-second step of `at` (Unix seconds), now by default."""
    return int((time.time() if at is None else at) // STEP)


def matching_step(*, secret: str, code: str, after: int = 0) -> int | None:
    """The step within the window whose code is `code` and later than `after` (replays refused); else None."""
    code = code.strip().replace(" ", "")
    if len(code) != DIGITS or not code.isdigit():
        return None
    now = current_step()
    for step in range(now - WINDOW, now + WINDOW + 1):
        if step > after and hmac.compare_digest(totp(secret=secret, step=step), code):
            return step
    return None


def new_secret() -> str:
    """A fresh 160-bit base32 secret (RFC 4226 recommends 160 bits)."""
    return base64.b32encode(secrets.token_bytes(20)).decode().rstrip("=")


def provisioning_uri(*, secret: str, account: str) -> str:
    """otpauth:// URI for the QR code an authenticator app scans."""
    label = quote(f"{ISSUER}:{account}")
    query = urlencode({"secret": secret, "issuer": ISSUER, "digits": DIGITS, "period": STEP})
    return f"otpauth://totp/{label}?{query}"


def needs_second_factor(user: Any) -> bool:
    """The account must pass the second factor: enrolled, or of a required role while it is enforced."""
    if not user.is_authenticated:
        return False
    if TotpDevice.objects.filter(user=user.pk).exists():
        return True
    return settings.SMZ_REQUIRE_2FA and (user.is_superuser or user.role in TWO_FACTOR_ROLES)


def is_verified(*, session: Any, user: Any) -> bool:
    return session.get(SESSION_VERIFIED) == user.pk


def mark_verified(*, session: Any, user: Any) -> None:
    session.cycle_key()
    session[SESSION_VERIFIED] = user.pk


def _recovery_hash(user: User, code: str) -> str:
    return crypto.blind_index(f"{user.pk}:{code}", purpose=RECOVERY_PURPOSE)


def _recovery_codes_new(user: User) -> list[str]:
    RecoveryCode.objects.filter(user=user).delete()
    codes = [f"{secrets.randbelow(10**10):010d}" for _ in range(RECOVERY_CODES)]
    RecoveryCode.objects.bulk_create(
        RecoveryCode(user=user, code_hash=_recovery_hash(user, c)) for c in codes
    )
    return [f"{c[:5]}-{c[5:]}" for c in codes]


def totp_enrol(*, user: User, secret: str, code: str) -> list[str]:
    """Bind the authenticator whose first code is `code`; returns recovery codes (shown once). Audited."""
    step = matching_step(secret=secret, code=code)
    if step is None:
        raise DomainError(
            AccountsErrorCode.TWOFACTOR_INVALID,
            "验证码不正确，请核对手机时间后重新输入",
            status=422,
        )
    with transaction.atomic():
        TotpDevice.objects.filter(user=user).delete()
        TotpDevice.objects.create(
            user=user, secret=secret, confirmed_at=timezone.now(), last_step=step
        )
        codes = _recovery_codes_new(user)
        event_record(actor=user, kind=AccountsEventKind.USER_2FA_ENROLLED, subject=user)
    return codes


def second_factor_verify(*, user: User, code: str) -> None:
    """Check a TOTP code or an unused recovery code; five failures lock the step for 15 minutes. Audited."""
    now = timezone.now()
    error: DomainError | None = None
    with transaction.atomic():
        device = TotpDevice.objects.select_for_update().filter(user=user).first()
        if device is None:
            raise DomainError(
                AccountsErrorCode.TWOFACTOR_NOT_ENROLLED, "尚未绑定验证器，请先绑定", status=409
            )
        if device.locked_until and device.locked_until > now:
            minutes = max(1, round((device.locked_until - now).total_seconds() / 60))
            raise DomainError(
                AccountsErrorCode.TWOFACTOR_LOCKED,
                f"验证码错误次数过多，请{minutes}分钟后再试",
                status=429,
            )
        cleaned = code.strip().replace(" ", "").replace("-", "")
        step = matching_step(secret=device.secret, code=cleaned, after=device.last_step)
        recovery = None
        if step is None and len(cleaned) == 10 and cleaned.isdigit():
            recovery = (
                RecoveryCode.objects.select_for_update()
                .filter(user=user, code_hash=_recovery_hash(user, cleaned), used_at__isnull=True)
                .first()
            )
        if step is not None or recovery is not None:
            device.failures, device.locked_until = 0, None
            if step is not None:
                device.last_step = step
            if recovery is not None:
                recovery.used_at = now
                recovery.save(update_fields=["used_at"])
            device.save(update_fields=["failures", "locked_until", "last_step"])
            event_record(
                actor=user,
                kind=AccountsEventKind.USER_2FA_RECOVERY_USED
                if recovery
                else AccountsEventKind.USER_2FA_VERIFIED,
                subject=user,
            )
        else:
            # Counted (committed) before the refusal is raised outside the block.
            device.failures += 1
            if device.failures >= MAX_FAILURES:
                device.failures, device.locked_until = 0, now + LOCK_FOR
            device.save(update_fields=["failures", "locked_until"])
            error = DomainError(AccountsErrorCode.TWOFACTOR_INVALID, "验证码不正确", status=422)
    if error is not None:
        raise error


def recovery_codes_left(*, user: User) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()
