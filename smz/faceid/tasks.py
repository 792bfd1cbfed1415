"""Background work of face identity (db_worker): nothing here runs inside a request."""

from __future__ import annotations

import datetime as dt

from django.tasks import task

from smz.faceid.services import (
    face_embedding_compute,
    identity_check_contested,
    identity_checks_run,
)


@task()
def embed_face(worker_id: int, source: str = "") -> bool:
    """The descriptor of a person's new face photo."""
    return face_embedding_compute(worker_id=worker_id, source=source) is not None


@task()
def check_passes(project_id: int, keys: str) -> int:
    """Identity checks of newly stored passes: keys "<worker_id>:<YYYY-MM-DD>;…" (attendance.signals)."""
    pairs = [k.split(":") for k in keys.split(";") if k]
    return identity_checks_run(
        project_id=project_id,
        keys=[(int(worker_id), dt.date.fromisoformat(day)) for worker_id, day in pairs],
    )


@task()
def check_contested_pass(pass_id: int) -> bool:
    """The identity check of a pass someone contested."""
    return identity_check_contested(pass_id=pass_id) is not None
