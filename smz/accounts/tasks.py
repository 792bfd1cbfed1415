"""Background jobs of the accounts app: text messages leave the request (N2).

A login code is texted by a task, not in the request that asked for it: a slow gateway would otherwise make
the answer for a registered number measurably slower than for anyone else's. The number and the text travel
through the task table sealed (encrypted), and every request queues one task, texted or not, so the table's
growth tells nothing either.
"""

from __future__ import annotations

import json

from django.tasks import task

from smz.accounts.sms import send_sms
from smz.core import crypto

SEALED_AAD = b"smz.accounts.sms"


def sms_seal(phone: str | None, text: str | None) -> str:
    """A message for `sms_deliver`; None for the phone means nothing is to be sent."""
    return crypto.encrypt(json.dumps({"phone": phone, "text": text}), aad=SEALED_AAD)


@task()
def sms_deliver(sealed: str) -> bool:
    """Send a sealed message; True when a text went out."""
    message = json.loads(crypto.decrypt(sealed, aad=SEALED_AAD))
    if not message["phone"]:
        return False
    send_sms(message["phone"], message["text"])
    return True
