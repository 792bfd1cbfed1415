"""Registry test helpers: roster rows for new people, roster workbooks, the roster upload."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from smz.registry import excel
from smz.registry.synthetic import synthetic_id_number

HEADERS = [
    "姓名",
    "证件类型",
    "证件号码",
    "性别",
    "民族",
    "出生日期",
    "住址",
    "发证机关",
    "证件有效期起",
    "证件有效期止",
    "手机号码",
    "文化程度",
    "用工单位统一社会信用代码",
    "班组名称",
    "工种",
    "人员类型",
    "进场日期",
    "工资卡号",
    "工资卡银行代码",
    "开户行名称",
    "是否班组长",
]


def new_id(seq: int, *, male: bool = True) -> str:
    return synthetic_id_number(
        birth=dt.date(1990, 1, 1) + dt.timedelta(days=seq), seq=100 + seq, male=male
    )


def person(world, seq: int, *, employer: str = "gc", team: str | None = "gc", **cells) -> dict:
    """A valid roster row (by header) for a new person; override any cell by header."""
    row: dict[str, Any] = {
        "姓名": f"导入工{seq}",
        "证件类型": "居民身份证",
        "证件号码": new_id(seq),
        "民族": "汉族",
        "住址": "广东省中山市小榄镇某路1号",
        "发证机关": "中山市公安局",
        "证件有效期起": dt.date(2020, 1, 1),
        "证件有效期止": "长期",
        "手机号码": "13912345678",
        "文化程度": "初中",
        "用工单位统一社会信用代码": world.enterprises[employer].corp_code,
        "班组名称": world.teams[team].name if team else "",
        "工种": "钢筋工",
        "人员类型": "建筑工人",
        "进场日期": "2024-05-06",
        "工资卡号": "6222020200998877665",
        "工资卡银行代码": "中国工商银行",
        "开户行名称": "中国工商银行中山小榄支行",
        "是否班组长": "否",
    }
    row.update(cells)
    return row


def roster_xlsx(rows: list[dict], *, headers: list[str] = HEADERS) -> bytes:
    """A roster file built the way a user fills one: header row, then data rows from row 2."""
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append([row.get(h) for h in headers])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload(client, project_id: int, content: bytes, name: str = "花名册.xlsx"):
    return client.post(
        f"{reverse('api:roster_import_api')}?project_id={project_id}",
        {"file": SimpleUploadedFile(name, content, content_type=excel.XLSX_CONTENT_TYPE)},
    )
