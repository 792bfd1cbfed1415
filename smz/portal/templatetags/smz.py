from django import template

from smz.core import money
from smz.core.pii import FIELD_LABELS, MASKERS, mask_id_number, mask_phone

register = template.Library()


@register.filter
def get(mapping, key):
    return mapping.get(key, key) if mapping else key


@register.filter
def mask_id(value):
    return mask_id_number(value)


@register.filter(name="mask_phone")
def mask_phone_filter(value):
    return mask_phone(value)


@register.filter
def pii_rows(worker):
    """(field, label, masked value) for each personal field of a worker."""
    return [(f, FIELD_LABELS[f], MASKERS[f](getattr(worker, f))) for f in FIELD_LABELS]


@register.filter
def yuan(fen):
    """Integer fen → yuan with two decimals and thousands separators."""
    return "" if fen is None else money.yuan(int(fen))
