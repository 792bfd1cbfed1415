"""Issue 10 item 9: a bank result file that is an xlsx zip bomb is refused before openpyxl inflates it."""

from __future__ import annotations

from unittest import mock

import pytest

from smz.core.errors import DomainError
from smz.core.tests.bombs import xlsx_bomb
from smz.labor import bankfile


def test_item9_bank_result_xlsx_bomb_is_refused_unopened(monkeypatch) -> None:
    opened = mock.Mock(side_effect=AssertionError("openpyxl inflated the bomb"))
    monkeypatch.setattr(bankfile, "load_workbook", opened)
    with pytest.raises(DomainError) as exc:
        bankfile.result_file_parse(xlsx_bomb(inflated_mb=20), "结果.xlsx")
    assert exc.value.code == "upload.zip_bomb" and exc.value.status == 422
    opened.assert_not_called()
