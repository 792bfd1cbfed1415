"""Signals of approvals: apps above it (docking's webhooks) react to a decision without approvals knowing them."""

from __future__ import annotations

from django.dispatch import Signal

# The actions that decide a request for its applicant: 批准, 不予批准, 退回修改.
DECISIONS = frozenset({"approve", "reject", "return"})

# Sent inside the deciding transaction, after the request and its event are saved, with `request`
# (ApprovalRequest, its new state set), `action` (one of DECISIONS), `actor` and `note` (the
# decider's reason, empty for an approval). A receiver's writes share the
# transaction; its side effects belong in `transaction.on_commit`.
request_decided = Signal()
