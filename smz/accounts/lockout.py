"""Login lockout (P2): per username (axes) and, against password spraying, per client address."""

from __future__ import annotations

from typing import Any

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest


def address_failures(*, request: HttpRequest) -> int:
    """Failed logins from the request's address within the cool-off period, over every username."""
    # axes has set axes_ip_address from REMOTE_ADDR, which TrustedProxyMiddleware resolved.
    total = AccessAttempt.objects.filter(
        ip_address=request.axes_ip_address, attempt_time__gte=get_cool_off_threshold(request)
    ).aggregate(n=Sum("failures_since_start"))["n"]
    return total or 0


class UsernameAndAddressHandler(AxesDatabaseHandler):
    """Locked when the username has AXES_FAILURE_LIMIT failures or the address SMZ_LOGIN_ADDRESS_FAILURE_LIMIT."""

    def get_failures(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        # axes compares one count with one limit, both before and after recording a failure: a locked
        # address counts as a username at its limit.
        failures = super().get_failures(request, credentials)
        if address_failures(request=request) >= settings.SMZ_LOGIN_ADDRESS_FAILURE_LIMIT:
            return max(failures, get_failure_limit(request, credentials))
        return failures
