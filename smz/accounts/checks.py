"""Deployment checks for accounts (`manage.py check --deploy`)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register

from smz.core.http import proxy_networks

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


@register(Tags.security, deploy=True)
def trusted_proxies_check(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """Forwarding headers count only from TRUSTED_PROXIES: without one, HTTPS behind a proxy looks like HTTP."""
    messages: list[CheckMessage] = []
    try:
        proxy_networks(entries=settings.TRUSTED_PROXIES)
    except ValueError as exc:
        messages.append(
            Warning(
                f"TRUSTED_PROXIES has an entry that is not an address or network: {exc}",
                id="smz.accounts.W002",
            )
        )
    if getattr(settings, "SECURE_SSL_REDIRECT", False) and not settings.TRUSTED_PROXIES:
        messages.append(
            Warning(
                "SECURE_SSL_REDIRECT is on and TRUSTED_PROXIES is empty: behind a TLS-terminating "
                "proxy every request is redirected again (X-Forwarded-Proto is ignored).",
                hint="Set TRUSTED_PROXIES to the proxy's address, or SECURE_SSL_REDIRECT=0 when the "
                "server itself terminates TLS.",
                id="smz.accounts.W003",
            )
        )
    return messages
