"""The approval engine's rules, apart from its writes: the state machine's table, the labels of its steps and who
may take which step. Pure reads (no writes), so selectors and pages use them without importing services.

    draft ──submit──▶ pending_l1 ──forward──▶ pending_l2 ──approve──▶ approved (the effect applies)
      ▲                  │                        ├──reject───▶ rejected
      │                  └──return──▶ returned ◀──┘ return
      │                                 └──resubmit──▶ pending_l1
    withdraw: from any open state ──▶ withdrawn
"""

from __future__ import annotations

from typing import Any, Protocol

from smz.accounts.models import Role
from smz.approvals.models import OPEN_STATES, ApprovalRequest, State
from smz.registry import scoping
from smz.registry.models import Project

# Working time each level has before it is overdue and reminded (calendar days).
LEVEL_DAYS: dict[str, int] = {State.PENDING_L1: 3, State.PENDING_L2: 5}


ACTION_LABELS = {
    "create": "创建申请",
    "update": "修改申请",
    "attach": "上传材料",
    "submit": "提交",
    "resubmit": "修改后重新提交",
    "withdraw": "撤回",
    "forward": "一级审核通过，转二级审批",
    "return": "退回修改",
    "approve": "批准",
    "reject": "不予批准",
    "comment": "意见",
    "remind": "催办",
    "apply": "审批结果生效",
}

# action → (states it may start from, state it leads to, who may take it)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str, str]] = {
    "submit": ((State.DRAFT,), State.PENDING_L1, "applicant"),
    "resubmit": ((State.RETURNED,), State.PENDING_L1, "applicant"),
    "withdraw": (OPEN_STATES, State.WITHDRAWN, "applicant"),
    "forward": ((State.PENDING_L1,), State.PENDING_L2, "level1"),
    "return": ((State.PENDING_L1, State.PENDING_L2), State.RETURNED, "approver"),
    "approve": ((State.PENDING_L2,), State.APPROVED, "level2"),
    "reject": ((State.PENDING_L2,), State.REJECTED, "level2"),
}


# ---- who may do what -------------------------------------------------------------------------------


def may_apply(user: Any, project: Project) -> bool:
    """The constructing unit files (施工单位): the GC's admin, labor specialist or project manager."""
    return scoping.is_gc_of(user, project)


def is_applicant_side(user: Any, request: ApprovalRequest) -> bool:
    return may_apply(user, request.project) and user.enterprise_id == request.enterprise_id


class Routed(Protocol):
    """Anything routed to an authority for two-level review: an approval request, or another app's item
    reviewed with the same level checks (compliance's deductions)."""

    @property
    def authority_id(self) -> int | None: ...


def is_level(user: Any, request: Routed, role: str) -> bool:
    return user.is_authenticated and user.role == role and user.authority_id == request.authority_id


def may(user: Any, request: ApprovalRequest, who: str) -> bool:
    if who == "applicant":
        return is_applicant_side(user, request)
    if who == "level1":
        return is_level(user, request, Role.APPROVER_L1)
    if who == "level2":
        return is_level(user, request, Role.APPROVER_L2) and user.pk != request.level1_by_id
    if who == "approver":
        level = "level1" if request.state == State.PENDING_L1 else "level2"
        return may(user, request, level)
    raise ValueError(who)


def actions_for(user: Any, request: ApprovalRequest) -> list[str]:
    """The transitions this user may take now (pages show exactly these buttons)."""
    return [
        action
        for action, (sources, _target, who) in TRANSITIONS.items()
        if request.state in sources and may(user, request, who)
    ]
