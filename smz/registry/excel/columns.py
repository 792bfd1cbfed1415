"""The roster workbook's shape: limits, sheet names, the columns with their headers, types and code tables,
and the row and result records the import passes around (R3)."""

from __future__ import annotations

import datetime as dt
import zipfile
import zlib
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from smz.accounts.models import Role
from smz.registry.models import Employment, Enterprise, Team
from smz.registry.services import (
    WorkerData,
)

MAX_ROWS = 5_000
MAX_BYTES = 5 * 1024 * 1024
# A sheet formatted down to row 1,048,576 is read row by row; stop long before that.
MAX_SCAN_ROWS = 50_000
MAX_REPORTED_ERRORS = 2_000
# The export streams (smz.core.downloads): its memory no longer depends on its rows (the whole city's 208,061
# employments: +17 MB above start, 74 rows: +13 MB). What bounds it now is the request's length: 1,500-2,000 rows/s
# here (openpyxl writes each cell in Python), so 500,000 rows (2.4 × the seeded city) take 4-5 minutes; a sheet
# could hold 1,048,575. More is refused with a clear 422, never cut (docs/bench.md, exports).
EXPORT_MAX_ROWS = 500_000
ROSTER_SHEET = "花名册"
CODE_SHEET = "代码表"
NOTE_MARK = "【说明】"
# Roles that maintain rosters (scoping.can_maintain_roster) and so may use the import page.
IMPORT_ROLES = frozenset({Role.ENTERPRISE_ADMIN, Role.LABOR_SPECIALIST, Role.CITY_ADMIN})


class Kind(StrEnum):
    TEXT = "text"
    CODE = "code"
    DATE = "date"
    BOOL = "bool"


@dataclass(frozen=True)
class Column:
    """One roster column: its Chinese header, the field it fills, and how a cell is read."""

    header: str
    key: str
    kind: Kind = Kind.TEXT
    table: str = ""
    required: bool = False
    note: str = ""
    width: int = 14
    as_text: bool = False  # long digit strings: Excel keeps only 15 significant digits of a number


COLUMNS: tuple[Column, ...] = (
    Column("姓名", "name", required=True, note="必填，与证件一致", width=10),
    Column("证件类型", "id_card_type", Kind.CODE, "id_card_type", note="默认居民身份证"),
    Column("证件号码", "id_number", required=True, note="必填，文本格式", width=22, as_text=True),
    Column("性别", "gender", Kind.CODE, "gender", note="男/女；身份证可空", width=8),
    Column("民族", "nation", Kind.CODE, "nation", note="如 汉族", width=10),
    Column("出生日期", "birth_date", Kind.DATE, note="身份证可空"),
    Column("住址", "address", width=30),
    Column("发证机关", "grant_org", width=20),
    Column("证件有效期起", "id_valid_from", Kind.DATE),
    Column("证件有效期止", "id_valid_to", Kind.DATE, note="长期填“长期”或留空"),
    Column("手机号码", "phone", note="11位", as_text=True),
    Column("文化程度", "culture_level", Kind.CODE, "culture_level"),
    Column(
        "用工单位统一社会信用代码",
        "corp_code",
        required=True,
        note="必填，本项目参建单位",
        width=24,
        as_text=True,
    ),
    Column("班组名称", "team_name", note="建筑工人必填，须已登记", width=16),
    Column("工种", "work_type", Kind.CODE, "work_type", required=True, note="必填"),
    Column("人员类型", "work_role", Kind.CODE, "work_role", note="默认建筑工人"),
    Column("进场日期", "entry_on", Kind.DATE, required=True, note="必填，YYYY-MM-DD"),
    Column("工资卡号", "bank_card", width=22, as_text=True),
    Column("工资卡银行代码", "bank_code", Kind.CODE, "bank", note="银行名称或代码"),
    Column("开户行名称", "bank_name", width=24),
    Column("是否班组长", "is_team_leader", Kind.BOOL, note="是/否，默认否", width=10),
)
HEADERS = {c.key: c.header for c in COLUMNS}
# Service error keys that name a different column than the field they validate.
SERVICE_FIELDS = {"employer": "corp_code", "team": "team_name", "politics_type": "politics_type"}
CODE_SHEET_TABLES = (
    ("证件类型", "id_card_type"),
    ("性别", "gender"),
    ("民族", "nation"),
    ("文化程度", "culture_level"),
    ("工种", "work_type"),
    ("人员类型", "work_role"),
    ("银行", "bank"),
)
TRUE_WORDS = {"是", "Y", "YES", "TRUE", "1", "√"}
FALSE_WORDS = {"", "否", "N", "NO", "FALSE", "0"}
LONG_TERM_WORDS = {"长期", "永久"}
WORKER_KEYS = frozenset(WorkerData.__dataclass_fields__)


# What a damaged archive raises while being read (XML parsers' errors, ElementTree's and lxml's,
# derive from SyntaxError).
READ_ERRORS: tuple[type[Exception], ...] = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    SyntaxError,
)


class CellError(ValueError):
    """A cell that cannot be read; the message is the reason shown to the user."""


@dataclass(frozen=True)
class RowError:
    """One problem in the uploaded file: Excel row number, column header, reason (zh-CN)."""

    row: int
    field: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "reason": self.reason}


@dataclass
class RosterRow:
    """One parsed data row: identity data for worker_for_entry and employment data for employment_register."""

    row: int
    worker: WorkerData
    corp_code: str = ""
    team_name: str = ""
    work_type: str = ""
    work_role: str = Employment.Role.WORKER
    entry_on: dt.date | None = None
    is_team_leader: bool = False
    employer: Enterprise | None = None
    team: Team | None = None
    errors: dict[str, str] = field(default_factory=dict)

    def error(self, key: str, reason: str) -> None:
        """Record the first reason for a column (later checks do not repeat a known problem)."""
        self.errors.setdefault(SERVICE_FIELDS.get(key, key), reason)


@dataclass(frozen=True)
class ImportResult:
    """What an import wrote."""

    rows: int
    workers_created: int
    workers_updated: int
    employments_created: int
