"""Error codes of accounts (one enum per app; the strings are what machines and pages receive)."""

from __future__ import annotations

from enum import StrEnum


class AccountsErrorCode(StrEnum):
    """Codes answered by accounts: prefix `auth.` (`api_token.*` and `otp.*` keep theirs, see tests/system/test_codes.py)."""

    SECOND_FACTOR_REQUIRED = "auth.second_factor_required"
    CSRF_FAILED = "auth.csrf_failed"
    API_TOKEN_NOT_ACTIVE = "api_token.not_active"
    TWOFACTOR_INVALID = "auth.2fa_invalid"
    TWOFACTOR_NOT_ENROLLED = "auth.2fa_not_enrolled"
    TWOFACTOR_LOCKED = "auth.2fa_locked"
    OTP_TOO_MANY = "otp.too_many"
    OTP_INVALID = "otp.invalid"
    OTP_EXPIRED = "otp.expired"
    OTP_AMBIGUOUS = "otp.ambiguous"
    OTP_NOT_ALLOWED = "otp.not_allowed"
    OTP_NO_PHONE = "otp.no_phone"
