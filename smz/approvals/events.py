"""Event kinds of approvals: what `smz.core.events.event_record` writes for this app's subjects."""

from __future__ import annotations

from enum import StrEnum


class ApprovalsEventKind(StrEnum):
    """Event kinds written by approvals (core.Event.kind, stored: never renamed).

    `approval.<action>` and `inbound.<message kind>` are composed from the action or message kind and
    looked up with `ApprovalsEventKind(...)`, so an unknown one fails at once."""

    APPROVAL_CREATE = "approval.create"
    APPROVAL_UPDATE = "approval.update"
    APPROVAL_ATTACH = "approval.attach"
    APPROVAL_APPLY = "approval.apply"
    APPROVAL_COMMENT = "approval.comment"
    APPROVAL_REMIND = "approval.remind"
    APPROVAL_SUBMIT = "approval.submit"
    APPROVAL_RESUBMIT = "approval.resubmit"
    APPROVAL_WITHDRAW = "approval.withdraw"
    APPROVAL_FORWARD = "approval.forward"
    APPROVAL_RETURN = "approval.return"
    APPROVAL_APPROVE = "approval.approve"
    APPROVAL_REJECT = "approval.reject"
    INBOUND_SYSTEM_REGISTERED = "inbound.system_registered"
    INBOUND_SECRET_ROTATED = "inbound.secret_rotated"
    INBOUND_SYSTEM_RETIRED = "inbound.system_retired"
    INBOUND_PERMIT = "inbound.permit"
    INBOUND_QUALITY_NOTICE = "inbound.quality_notice"
    INBOUND_SAFETY_REPORT = "inbound.safety_report"
    PROJECT_PERMIT_RECORDED = "project.permit_recorded"
    KEY_POST_CREATED = "key_post.created"
