"""ProjectTraining.Add / Query (培训, 附件8) through labor's training_record (the entry desk's service).

Add: projectCode, trainingDate (yyyy-MM-dd, not after today), trainingDuration (学时, a number, 0–100),
trainingName (培训名称), trainingTypeCode (培训类型, 6 digits, e.g. 003001), workerList[]: idCardType, idCardNumber.
Each trainee is one record: he must be on the project (ProjectWorker.Add first). The same person, date and course
sent again is stored once."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django.db import transaction

from smz.core.errors import DomainError
from smz.docking.methods import fields
from smz.docking.methods.base import Call, MethodResult, RequestRefused, method
from smz.docking.methods.labor_common import (
    RecordRefused,
    amount,
    day_not_after,
    person,
    refusal_of,
    today,
)
from smz.docking.models import DockingReceipt
from smz.docking.selectors.national import training_exists, training_rows
from smz.labor.services.entry import training_record

TRAINING_TYPE = re.compile(r"\d{6}")


@method(
    "ProjectTraining.Add",
    asynchronous=True,
    receipt=DockingReceipt.Kind.TRAINING,
    list_field="workerList",
)
def project_training_add(call: Call) -> MethodResult:
    try:
        day = day_not_after(call.data, "trainingDate", today=today(call))
        hours = amount(call.data, "trainingDuration")
        name = fields.text(call.data, "trainingName", max_length=80)
        kind = fields.text(call.data, "trainingTypeCode", max_length=6)
    except fields.FieldError as exc:
        raise RequestRefused(exc.message, exc.field, refusal_of(exc)[0]) from exc
    if not TRAINING_TYPE.fullmatch(kind):
        raise RequestRefused("[trainingTypeCode]值超出范围或无效，请参见代码表", "trainingTypeCode")
    assert hours is not None and day is not None
    if not Decimal(0) < hours <= Decimal(100):
        raise RequestRefused("[trainingDuration]学时应为 0–100", "trainingDuration")
    result = MethodResult()
    for i, item in enumerate(fields.records(call.data, "workerList")):
        try:
            with transaction.atomic():
                who = person(call, item, "培训")
                if not training_exists(call.project, who.worker, day, name):
                    training_record(
                        actor=call.actor,
                        employment=who.employments[-1],
                        trained_on=day,
                        course=name,
                        hours=str(hours),
                    )
            result.accepted += 1
        except (RecordRefused, fields.FieldError, DomainError) as exc:
            result.refuse(i, *refusal_of(exc))
    return result


@method("ProjectTraining.Query", asynchronous=False)
def project_training_query(call: Call) -> dict[str, Any]:
    index, size = fields.page(call.data)
    total, rows = training_rows(call.actor, call.project, offset=index * size, limit=size)
    return {"pageIndex": index, "pageSize": size, "total": total, "rows": rows}
