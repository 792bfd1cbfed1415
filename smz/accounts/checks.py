"""Deployment checks for accounts (`manage.py check --deploy`)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register

TEST_BACKENDS = {"smz.accounts.sms.ConsoleBackend", "smz.accounts.sms.LocmemBackend"}


@register(Tags.security, deploy=True)
def sms_backend_check(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """A development SMS backend in production means workers never get their login codes."""
    if settings.SMS_BACKEND in TEST_BACKENDS:
        return [
            Warning(
                f"SMS_BACKEND is {settings.SMS_BACKEND}: login codes are not texted to workers.",
                hint="Set SMS_BACKEND to the class of the production SMS gateway.",
                id="smz.accounts.W001",
            )
        ]
    return []
