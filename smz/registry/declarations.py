"""The builder's declaration of the planned start (建设单位拟开工日期申报, P2, C6): who declared which date when.

The 10-day clock of the notice runs from the planned start; the builder answers for it. A declaration (or a
confirmation of the recorded date) is appended, never edited; `Project.planned_start` moves only through WF1.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from smz.core.errors import Forbidden, field_errors
from smz.core.events import event_record
from smz.core.strict import text_error
from smz.registry.errors import RegistryErrorCode
from smz.registry.events import RegistryEventKind
from smz.registry.models import PlannedStartDeclaration, Project
from smz.registry.scoping import built_projects, is_builder

# A planned start further than this from the permit is a typing error, not a plan.
MAX_YEARS_FROM_PERMIT = 5


def may_declare_start(user: Any, project: Project) -> bool:
    """Only the builder's own account declares for its own project."""
    return is_builder(user) and built_projects(user.enterprise_id).filter(pk=project.pk).exists()


def require_builder_of(user: Any, project: Project) -> None:
    """The declaration page is the builder's own: anyone else is refused."""
    if not may_declare_start(user, project):
        raise Forbidden("只有本项目的建设单位可以申报拟开工日期", RegistryErrorCode.NOT_BUILDER)


def planned_start_declare(
    *, actor: Any, project: Project, planned_start: dt.date | None, note: str = ""
) -> PlannedStartDeclaration:
    require_builder_of(actor, project)
    errors: dict[str, str] = {}
    if planned_start is None:
        errors["planned_start"] = "请填写拟开工日期"
    elif project.permit_issued_on and not (
        project.permit_issued_on - dt.timedelta(days=366)
        <= planned_start
        <= project.permit_issued_on + dt.timedelta(days=366 * MAX_YEARS_FROM_PERMIT)
    ):
        errors["planned_start"] = "拟开工日期与施工许可发证日期相差过大"
    note = note.strip()
    if len(note) > 200:
        errors["note"] = "说明不超过200字"
    elif note and (problem := text_error(note)):
        errors["note"] = problem
    if errors:
        raise field_errors(errors)
    assert planned_start is not None
    with transaction.atomic():
        declaration = PlannedStartDeclaration.objects.create(
            project=project,
            enterprise_id=actor.enterprise_id,
            declared_by=actor,
            declared_at=timezone.now(),
            planned_start=planned_start,
            note=note,
        )
        event_record(
            actor=actor,
            kind=RegistryEventKind.PROJECT_START_DECLARED,
            subject=project,
            data={"planned_start": planned_start.isoformat(), "declaration": declaration.pk},
        )
    return declaration


def start_declarations(project: Project) -> QuerySet[PlannedStartDeclaration]:
    """A project's declarations, latest first (the first is the current one)."""
    return PlannedStartDeclaration.objects.filter(project=project).select_related(
        "declared_by", "enterprise", "project"
    )


def start_declaration(project: Project) -> PlannedStartDeclaration | None:
    return start_declarations(project).first()
