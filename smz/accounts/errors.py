"""Error codes of accounts (one enum per app; the strings are what machines and pages receive)."""

from __future__ import annotations

from enum import StrEnum


class AccountsErrorCode(StrEnum):
    """Codes answered by accounts: prefix `auth.` (`api_token.*` keeps its string: API clients read it; see tests/system/test_codes.py)."""

    SECOND_FACTOR_REQUIRED = "auth.second_factor_required"
    CSRF_FAILED = "auth.csrf_failed"
    API_TOKEN_NOT_ACTIVE = "api_token.not_active"
    TWOFACTOR_INVALID = "auth.2fa_invalid"
    TWOFACTOR_NOT_ENROLLED = "auth.2fa_not_enrolled"
    TWOFACTOR_LOCKED = "auth.2fa_locked"
    OTP_TOO_MANY = "auth.otp_too_many"
    OTP_INVALID = "auth.otp_invalid"
    OTP_EXPIRED = "auth.otp_expired"
    OTP_AMBIGUOUS = "auth.otp_ambiguous"
    OTP_NOT_ALLOWED = "auth.otp_not_allowed"
    OTP_NO_PHONE = "auth.otp_no_phone"
