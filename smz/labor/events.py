"""Event kinds of labor: what `smz.core.events.event_record` writes for this app's subjects."""

from __future__ import annotations

from enum import StrEnum


class LaborEventKind(StrEnum):
    """Event kinds written by labor (core.Event.kind, stored: never renamed).

    `complaint.<status>` and `deposit.<movement kind>` are composed and looked up with `LaborEventKind(...)`."""

    COMPLAINT_FILED = "complaint.filed"
    COMPLAINT_ACCEPTED = "complaint.accepted"
    COMPLAINT_RESOLVED = "complaint.resolved"
    COMPLAINT_REJECTED = "complaint.rejected"
    DEPOSIT_REGISTERED = "deposit.registered"
    DEPOSIT_DEPOSIT = "deposit.deposit"
    DEPOSIT_DRAW = "deposit.draw"
    DEPOSIT_TOP_UP = "deposit.top_up"
    DEPOSIT_REFUND = "deposit.refund"
    ENTRY_PENDING = "entry.pending"
    TRAINING_RECORDED = "training.recorded"
    ENTRY_CHECKED = "entry.checked"
    EXIT_CONFIRMED = "exit.confirmed"
    EXIT_PREPARED = "exit.prepared"
    EXIT_SCAN_ATTACHED = "exit.scan_attached"
    WORKER_CARD_READ = "worker.card_read"
    RETENTION_PURGED = "retention.purged"
    RETENTION_HOLD_PLACED = "retention.hold_placed"
    RETENTION_HOLD_RELEASED = "retention.hold_released"
    CONTRACT_SIGNED = "contract.signed"
    CONTRACT_SCAN_ATTACHED = "contract.scan_attached"
    WAGE_ACCOUNT_SET = "wage_account.set"
    PAYMENT_EXPORTED = "payment.exported"
    PAYMENT_RESULT_IMPORTED = "payment.result_imported"
    PAYMENT_RECEIPT_ATTACHED = "payment.receipt_attached"
    PAYROLL_LINE_UPDATED = "payroll.line_updated"
    PAYROLL_LINE_CONFIRMED = "payroll.line_confirmed"
    PAYROLL_SIGNED_SHEET_ATTACHED = "payroll.signed_sheet_attached"
    PAYROLL_DRAFT_DELETED = "payroll.draft_deleted"
    PAYROLL_SUBMITTED = "payroll.submitted"
    PAYROLL_REVIEWED = "payroll.reviewed"
    PAYROLL_CORRECTION_CREATED = "payroll.correction_created"
    PAYROLL_DRAFTED = "payroll.drafted"
