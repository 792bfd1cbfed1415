"""Text messages (短信), through the backend named by settings.SMS_BACKEND, like Django's email backends.

A backend is a class with `send(phone, text)`. A production gateway (the operator's or a cloud SMS service)
is one more class here or in its own module, named in the SMS_BACKEND environment variable.
"""

from __future__ import annotations

import logging
from typing import ClassVar

from django.conf import settings
from django.utils.module_loading import import_string

from smz.core.pii import mask_phone

logger = logging.getLogger("smz.sms")


class BaseBackend:
    """Delivers one message; raises on failure so the caller's error handling sees it."""

    def send(self, phone: str, text: str) -> None:
        raise NotImplementedError


class ConsoleBackend(BaseBackend):
    """Development: the text goes to the log with the phone masked (the code must be readable there)."""

    def send(self, phone: str, text: str) -> None:
        logger.info("SMS to %s: %s", mask_phone(phone), text)


class LocmemBackend(BaseBackend):
    """Tests: messages kept in the class-level `outbox` as (phone, text), for the test to read."""

    outbox: ClassVar[list[tuple[str, str]]] = []

    def send(self, phone: str, text: str) -> None:
        type(self).outbox.append((phone, text))


def sms_backend() -> BaseBackend:
    return import_string(settings.SMS_BACKEND)()


def send_sms(phone: str, text: str) -> None:
    """Send `text` to the mobile number `phone` through the configured backend."""
    sms_backend().send(phone, text)
