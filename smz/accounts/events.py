"""Event kinds of accounts: what `smz.core.events.event_record` writes for this app's subjects."""

from __future__ import annotations

from enum import StrEnum


class AccountsEventKind(StrEnum):
    """Event kinds written by accounts (core.Event.kind, stored: never renamed)."""

    USER_UNLOCKED = "user.unlocked"
    USER_PASSWORD_RESET = "user.password_reset"
    USER_ENABLED = "user.enabled"
    USER_DISABLED = "user.disabled"
    API_TOKEN_CREATED = "api_token.created"
    API_TOKEN_ROTATED = "api_token.rotated"
    API_TOKEN_REVOKED = "api_token.revoked"
    USER_2FA_ENROLLED = "user.2fa_enrolled"
    USER_2FA_RECOVERY_USED = "user.2fa_recovery_used"
    USER_2FA_VERIFIED = "user.2fa_verified"
