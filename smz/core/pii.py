"""Personal information (N2): masking for every screen and export, and audited unmasked reads.

Who may see a field unmasked is decided here and nowhere else. Every unmasked read goes through
`pii_reveal`, which checks the policy and writes a PersonalDataAccess row.
"""

from __future__ import annotations

from typing import Any

from smz.core.errors import CoreErrorCode, Forbidden
from smz.core.events import pii_access_record
from smz.core.roles import Role


def mask_id_number(value: str | None) -> str:
    """4420**********123X: region prefix and last four only."""
    if not value:
        return ""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str | None) -> str:
    if not value:
        return ""
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_bank_card(value: str | None) -> str:
    if not value:
        return ""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + " **** **** " + value[-4:]


MASKERS = {"id_number": mask_id_number, "phone": mask_phone, "bank_card": mask_bank_card}
FIELD_LABELS = {"id_number": "证件号码", "phone": "手机号码", "bank_card": "工资卡号"}

# Roles that need the full value for their work (otherwise only the masked form is ever shown):
# the window clerk verifies identity when enrolling faces; the city administrator handles disputes;
# the labor specialist signs contracts and pays wages; approvers and project staff need phones to reach people.
# The builder (建设单位) is in none of them: it sees masked data only.
UNMASK_POLICY: dict[str, frozenset[str]] = {
    "id_number": frozenset(
        {Role.CITY_ADMIN, Role.WINDOW_CLERK, Role.LABOR_SPECIALIST, Role.WORKER}
    ),
    "phone": frozenset(
        {
            Role.CITY_ADMIN,
            Role.WINDOW_CLERK,
            Role.LABOR_SPECIALIST,
            Role.ENTERPRISE_ADMIN,
            Role.PROJECT_MANAGER,
            Role.APPROVER_L1,
            Role.APPROVER_L2,
            Role.WORKER,
        }
    ),
    "bank_card": frozenset({Role.LABOR_SPECIALIST, Role.WORKER}),
}


def may_unmask(user: Any, field: str) -> bool:
    return user.is_authenticated and user.role in UNMASK_POLICY.get(field, frozenset())


def masked(worker: Any, field: str) -> str:
    return MASKERS[field](getattr(worker, field))


def pii_reveal(*, user: Any, worker: Any, field: str, purpose: str) -> str:
    """The full value of a worker's personal field, for a user allowed to see it; audited.

    The caller must already have fetched `worker` through the scoping layer (workers_for)."""
    if field not in MASKERS:
        raise Forbidden("不支持查看该字段", code=CoreErrorCode.PII_UNKNOWN_FIELD)
    if not may_unmask(user, field):
        raise Forbidden(
            f"您的角色无权查看完整{FIELD_LABELS[field]}", code=CoreErrorCode.PII_FORBIDDEN
        )
    pii_access_record(actor=user, subject=worker, field=field, purpose=purpose)
    return getattr(worker, field)
