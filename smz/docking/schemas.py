"""REST docking schemas (/api/v1/docking/…): answers in the national field names (camelCase), with examples."""

from __future__ import annotations

from typing import Any

from ninja import Field, Schema
from pydantic import BaseModel, ConfigDict

SERIAL_EXAMPLE = "team-add-20261205143000-3f9a1c2b7d"


class DockingAcceptedOut(Schema):
    """202: an Add/Update stored (or the one first stored under this Idempotency-Key)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "requestSerialCode": SERIAL_EXAMPLE,
                    "method": "Team.Add",
                    "status": 0,
                    "statusName": "待处理",
                }
            ]
        }
    )

    requestSerialCode: str = Field(description="请求流水号：查询处理结果用")
    method: str = Field(description="方法名，如 Team.Add")
    status: int = Field(description="处理状态：0 待处理，10 处理失败，20 处理成功")
    statusName: str = Field(description="处理状态名称")


class RecordFailureOut(BaseModel):
    index: int = Field(description="记录在列表中的序号（从 0 起；单条记录的方法为 0）")
    code: str = Field(description="原因代码，如 docking.order_team")
    message: str = Field(description="原因（中文）")
    field: str | None = Field(None, description="出错字段")


class DockingResultOut(BaseModel):
    """The state of one Add/Update request, as AsyncHandleResult.Query answers it (plus what smz issued, e.g.
    `teamSysNo` for Team.Add)."""

    # A plain pydantic model: ninja's Schema would drop the extra keys (what smz issued, the query's rows).
    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "requestSerialCode": SERIAL_EXAMPLE,
                    "method": "Team.Add",
                    "status": 20,
                    "statusName": "处理成功",
                    "total": 1,
                    "successCount": 1,
                    "failCount": 0,
                    "result": [],
                    "teamSysNo": 1024,
                }
            ]
        },
    )

    requestSerialCode: str
    method: str
    status: int = Field(
        description="0 待处理，10 处理失败（result 列出每条被拒记录及原因），20 处理成功"
    )
    statusName: str
    total: int
    successCount: int
    failCount: int
    result: list[RecordFailureOut]


class DockingQueryOut(BaseModel):
    """200: a query method's answer, the same `data` the gateway answers (personal numbers in clear text: the
    REST surface is TLS only, without the gateway's AES)."""

    # A plain pydantic model: ninja's Schema would drop the extra keys (what smz issued, the query's rows).
    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "total": 1,
                    "rows": [
                        {
                            "projectCode": "442000202400001",
                            "name": "小榄甲住宅项目",
                            "prjStatus": "003",
                        }
                    ],
                }
            ]
        },
    )


# The request body of POST /docking/calls/{method}: the method's `data` object (OpenAPI only; the view reads the
# raw bytes, which the signature covers).
CALL_BODY: dict[str, Any] = {
    "required": True,
    "description": "方法的 data 对象，字段名与全国平台一致（驼峰），敏感字段不加密（仅 HTTPS 传输）。",
    "content": {
        "application/json": {
            "schema": {"type": "object", "additionalProperties": True},
            "examples": {
                "Team.Add": {
                    "summary": "新增班组（异步，返回 202）",
                    "value": {
                        "projectCode": "442000202400001",
                        "corpCode": "91442000MA4UXXXX0X",
                        "corpName": "中山市某劳务有限公司",
                        "teamName": "木工一班",
                        "teamLeaderName": "张班长",
                        "teamLeaderIdcardType": "01",
                        "teamLeaderIdNumber": "442000199001011234",
                    },
                },
                "Project.Query": {
                    "summary": "查询项目（同步，返回 200）",
                    "value": {"projectCode": "442000202400001", "pageIndex": 0, "pageSize": 10},
                },
            },
        }
    },
}
