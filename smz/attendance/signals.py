"""Facts the attendance app announces to the apps above it (they listen; attendance never imports them)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.dispatch import Signal

# A pass contest was filed (state "filed") or decided ("accepted"/"rejected"): sent after commit with
# contest_id and state. The notifications app tells the approvers, then the person and the filer.
pass_contest_changed = Signal()


def contest_changed_announce(*, contest_id: int, state: str, actor: Any = None) -> None:
    transaction.on_commit(
        lambda: pass_contest_changed.send(
            sender=None, contest_id=contest_id, state=state, actor=actor
        )
    )


# Passes were stored (a device's batch, or a snapshot attached later): sent after commit with project_id and
# keys "<worker_id>:<YYYY-MM-DD>;…" (the days they fall on). The face identity app queues its checks.
passes_stored = Signal()


def passes_stored_announce(*, project_id: int, keys: str) -> None:
    transaction.on_commit(lambda: passes_stored.send(sender=None, project_id=project_id, keys=keys))
