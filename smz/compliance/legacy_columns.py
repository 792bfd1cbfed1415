"""The columns of the old integrity system's export (docs/compliance/legacy-import.md): read by the import
(services/legacy.py) and written by the template (selectors/legacy.py)."""

from __future__ import annotations

# key, header (as in the file), required
LEGACY_COLUMNS: tuple[tuple[str, str, bool], ...] = (
    ("day", "扣分日期", True),
    ("corp_code", "统一社会信用代码", True),
    ("item", "扣分事项", True),
    ("points", "扣分分值", True),
    ("source_ref", "来源编号", True),
    ("note", "备注", False),
)
