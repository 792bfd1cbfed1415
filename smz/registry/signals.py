"""Facts the registry announces to the apps above it (they listen; the registry never imports them)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.dispatch import Signal

# A person's face photo changed (window enrollment, entry desk, ID-card reader): sent after commit with
# worker_id, actor and source ("window", "entry_desk", "idcard", "docking"; "" unknown). The devices app sends it
# to the terminals that take only what they are sent; face identity computes its descriptor.
worker_face_changed = Signal()


def face_changed_announce(*, actor: Any, worker_id: int, source: str = "") -> None:
    """Announce a new face once the transaction that saved it has committed."""
    transaction.on_commit(
        lambda: worker_face_changed.send(
            sender=None, worker_id=worker_id, actor=actor, source=source
        )
    )


# A project's obligations changed (WF1–WF5, a key-post holder): sent after commit with project_id and the days
# `first`..`last` (dates) whose key-post days must be recomputed. The attendance app queues that recompute.
obligations_changed = Signal()


def obligations_changed_announce(*, project_id: int, first: dt.date, last: dt.date) -> None:
    """Announce changed obligations once the transaction that changed them has committed."""
    transaction.on_commit(
        lambda: obligations_changed.send(sender=None, project_id=project_id, first=first, last=last)
    )
