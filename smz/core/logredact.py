"""A logging filter that keeps personal numbers out of log files (N2, issue 10 item 6).

The code logs ids, never numbers (STYLE.md); this is the net under that rule for text that is not ours:
the request line the development server and `django.request` write, third-party messages, exception text.
It masks, in the rendered message, the value of an `id_number`/`phone`/`bank_card` query parameter, and any
18-character ID number, 11-digit mobile number or 16–19-digit card number standing on its own.
Imports nothing from Django apps: logging is configured before the app registry is ready.
"""

from __future__ import annotations

import logging
import re

_QUERY = re.compile(r"((?:id_number|phone|bank_card)=)[^&\s\"']*", re.I)
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{8}(\d{3}[0-9Xx])(?![0-9A-Za-z])")
_PHONE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
_CARD = re.compile(r"(?<!\d)(\d{4})\d{8,11}(\d{4})(?!\d)")


def redact(text: str) -> str:
    """The text with personal numbers masked (query values entirely, numbers keeping their ends)."""
    text = _QUERY.sub(r"\1***", text)
    text = _ID_NUMBER.sub(r"\1********\2", text)
    text = _CARD.sub(r"\1********\2", text)
    return _PHONE.sub(r"\1****\2", text)


class PersonalNumberFilter(logging.Filter):
    """Attach to every handler: rewrites the record's message with redact() before it is formatted."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            # The formatter reuses exc_text when set: the traceback is redacted once, here.
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return True
