"""Reading typed form values (issue 10 item 8: a bad value is None and a clear message, never a 500)."""

from __future__ import annotations

import pytest

from smz.core.forms import form_int


@pytest.mark.parametrize("value", ["²", "４２", "٣", "-1", "1.0", "", None, " "])
def test_item8_form_int_refuses_what_int_cannot_read(value):
    assert form_int(value) is None


def test_item8_form_int_reads_ascii_digits():
    assert form_int(" 42 ") == 42
