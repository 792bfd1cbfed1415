"""A person's identity numbers as the registry looks them up: keyed blind indexes (HMAC-SHA256 under
SMZ_BLIND_INDEX_KEY) of the ID number (`Worker.id_number_index`) and of the mobile number
(`Worker.phone_index`), and the event kinds that record a change of a person's data.

Pure functions on strings, below the models (`Worker.save()` keeps the phone's index), the selectors (lookups)
and the services (writes)."""

from __future__ import annotations

from smz.core import crypto
from smz.core.validators import normalize_id_number, normalize_phone
from smz.registry.events import RegistryEventKind

ID_INDEX_PURPOSE = "worker.id_number"
# A purpose of its own: the HMAC input carries it as a prefix, so an ID number and a phone never collide.
PHONE_INDEX_PURPOSE = "worker.phone"

CONTACT_CHANGED = RegistryEventKind.WORKER_CONTACT_CHANGED
# What a person's own page lists as changes of his data.
WORKER_CHANGE_KINDS = (
    RegistryEventKind.WORKER_REGISTERED,
    RegistryEventKind.WORKER_UPDATED,
    CONTACT_CHANGED,
)


def id_number_index(id_card_type: str, id_number: str) -> str:
    """Keyed hash of a document number under its type (Worker.id_number_index)."""
    return crypto.blind_index(
        f"{id_card_type}:{normalize_id_number(id_number)}", purpose=ID_INDEX_PURPOSE
    )


def phone_index(phone: str) -> str:
    """Keyed hash of a normalised mobile number (Worker.phone_index); "" for no number."""
    number = normalize_phone(phone)
    # A blank phone gets a blank index, not the hash of "": people without a phone must not match each other.
    return crypto.blind_index(number, purpose=PHONE_INDEX_PURPOSE) if number else ""
