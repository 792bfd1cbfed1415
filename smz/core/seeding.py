"""Demo seed steps: each `make run` step is all-or-nothing or resumes, so a half-built demo is never served."""

from __future__ import annotations

from smz.core.models import SeedStep


def seed_step_done(*, name: str) -> bool:
    """True when the step finished in an earlier run."""
    return SeedStep.objects.filter(name=name).exists()


def seed_step_finish(*, name: str) -> None:
    """Record that the step finished (call inside the step's transaction where it has one)."""
    SeedStep.objects.get_or_create(name=name)
