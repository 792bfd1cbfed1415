"""Checksum-valid synthetic identifiers for the demo city and tests (never real people or firms)."""

from __future__ import annotations

import datetime as dt

from smz.core.validators import USCC_ALPHABET, id_number_check_char, uscc_check_char


def synthetic_id_number(*, region: str = "442000", birth: dt.date, seq: int, male: bool) -> str:
    """An 18-digit resident ID with a valid GB 11643 check digit. seq picks the 3-digit order code."""
    order = seq % 500 * 2 + (1 if male else 0)  # odd = male, even = female
    first17 = f"{region}{birth:%Y%m%d}{order:03d}"
    return first17 + id_number_check_char(first17)


def synthetic_uscc(*, seq: int, region: str = "442000", kind: str = "91") -> str:
    """A 统一社会信用代码 with a valid GB 32100 check character (91 = enterprise registered with SAMR)."""
    body = ""
    n = seq + 31**5
    for _ in range(9):
        n, r = divmod(n, 31)
        body = USCC_ALPHABET[r] + body
    first17 = f"{kind}{region}{body}"
    return first17 + uscc_check_char(first17)
