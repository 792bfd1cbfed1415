"""Project.Query: the projects in the app's scope, with the national field names."""

from __future__ import annotations

from typing import Any

from smz.docking.methods import fields
from smz.docking.methods.base import Call, method
from smz.docking.selectors.national import project_rows


@method("Project.Query", asynchronous=False, needs_project=False)
def project_query(call: Call) -> dict[str, Any]:
    index, size = fields.page(call.data)
    code = fields.text(call.data, "projectCode", required=False, max_length=20)
    total, rows = project_rows(call.actor, code=code, offset=index * size, limit=size)
    return {"pageIndex": index, "pageSize": size, "total": total, "rows": rows}
