"""Reads of face identity: the verdicts attendance asks for (its pass exclusion reader), a person's enrolled face,
which passes of a batch are checked (key-post holders all, labor passes by sampling)."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet

from smz.attendance.models import PassContest, PassRecord
from smz.attendance.selectors import key_post_holder_on
from smz.core.roles import Role
from smz.faceid.embedding import MODEL_VERSION
from smz.faceid.models import FaceDuplicate, FaceEmbedding, IdentityCheck
from smz.registry import scoping
from smz.registry.models import KeyPost, Worker


def passes_not_same_person(pass_ids: list[int]) -> dict[int, str]:
    """attendance.validity's pass exclusion reader: the passes whose snapshot is not the enrolled person."""
    result = IdentityCheck.Result.NOT_SAME_PERSON
    return dict.fromkeys(
        IdentityCheck.objects.filter(pk__in=pass_ids, result=result).values_list("pk", flat=True),
        str(result),
    )


def enrolled_face_of(worker_id: int) -> FaceEmbedding | None:
    """The descriptor of the person's newest face photo under the current model, if computed."""
    return (
        FaceEmbedding.objects.filter(worker=worker_id, model=MODEL_VERSION)
        .order_by("-computed_at", "-pk")
        .first()
    )


def workers_without_descriptor() -> QuerySet[Worker]:
    """People whose current face photo has no descriptor under the current model (photos taken before face
    identity existed, or a model upgrade): what `manage.py faceid_embed` fills in."""
    described = FaceEmbedding.objects.filter(
        worker=OuterRef("pk"), model=MODEL_VERSION, photo=OuterRef("face_photo")
    )
    return Worker.objects.exclude(face_photo="").exclude(Exists(described)).order_by("pk")


def pass_sampled(pass_id: int, rate: float | None = None) -> bool:
    """Whether a labor pass is in the sample (SMZ_FACEID_SAMPLE_RATE): decided by a hash of its id, so a
    re-run, another worker process or a later audit agrees which passes were drawn."""
    rate = settings.SMZ_FACEID_SAMPLE_RATE if rate is None else rate
    if rate <= 0:
        return False
    digest = hashlib.blake2b(f"smz.faceid.sample:{pass_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64 < rate


@dataclass(frozen=True)
class PassToCheck:
    pass_id: int
    worker_id: int
    project_id: int
    work_date: dt.date
    snapshot: str
    basis: str


def _with_snapshot(qs: QuerySet[PassRecord]) -> QuerySet[PassRecord]:
    return qs.filter(~Q(snapshot="") | Q(late_snapshot__isnull=False))


def passes_to_check(*, project_id: int, keys: Iterable[tuple[int, dt.date]]) -> list[PassToCheck]:
    """The not yet checked passes with a snapshot of these (person, day) pairs that are to be checked: every
    pass of a person holding one of the project's key posts that day, every contested pass, and the sample."""
    keys = sorted(set(keys))
    posts = list(KeyPost.objects.filter(project=project_id))
    holders: dict[dt.date, set[int]] = {}
    for day in {day for _, day in keys}:
        holders[day] = {h for post in posts if (h := key_post_holder_on(post, day)) is not None}
    found = []
    for worker_id, day in keys:
        rows = _with_snapshot(
            PassRecord.objects.filter(
                project=project_id, worker=worker_id, work_date=day, identity_check__isnull=True
            )
        ).values_list("pk", "snapshot", "late_snapshot__snapshot")
        contested = set(
            PassContest.objects.filter(
                project=project_id, worker=worker_id, pass_record__work_date=day
            ).values_list("pass_record_id", flat=True)
        )
        for pk, name, late in rows.order_by("pk"):
            if worker_id in holders[day]:
                basis = IdentityCheck.Basis.KEY_POST
            elif pk in contested:
                basis = IdentityCheck.Basis.CONTEST
            elif pass_sampled(pk):
                basis = IdentityCheck.Basis.SAMPLE
            else:
                continue
            found.append(PassToCheck(pk, worker_id, project_id, day, name or late, str(basis)))
    return found


def contested_pass_to_check(pass_id: int) -> PassToCheck | None:
    """A contested pass, if it has a snapshot and no check yet."""
    row = (
        _with_snapshot(PassRecord.objects.filter(pk=pass_id, identity_check__isnull=True))
        .values_list(
            "pk", "worker_id", "project_id", "work_date", "snapshot", "late_snapshot__snapshot"
        )
        .first()
    )
    if row is None:
        return None
    pk, worker_id, project_id, day, name, late = row
    return PassToCheck(
        pk, worker_id, project_id, day, name or late, str(IdentityCheck.Basis.CONTEST)
    )


# ---- one face under two people (issue 15 item 3) --------------------------------------------------------

DUPLICATE_DECIDER_ROLES = frozenset({Role.CITY_ADMIN, Role.APPROVER_L1, Role.APPROVER_L2})


def current_faces(*, exclude_worker: int) -> list[FaceEmbedding]:
    """Every other person's newest usable descriptor under the current model (one per person)."""
    seen: set[int] = set()
    found = []
    rows = (
        FaceEmbedding.objects.filter(model=MODEL_VERSION)
        .exclude(worker=exclude_worker)
        .order_by("worker", "-computed_at", "-pk")
    )
    for row in rows.iterator(chunk_size=2000):
        if row.worker_id in seen:
            continue
        seen.add(row.worker_id)
        if row.usable:
            found.append(row)
    return found


def previous_face(embedding: FaceEmbedding) -> FaceEmbedding | None:
    """The person's usable descriptor before this one (same model), if any."""
    return (
        FaceEmbedding.objects.filter(
            worker=embedding.worker_id, model=embedding.model, usable=True, pk__lt=embedding.pk
        )
        .order_by("-pk")
        .first()
    )


def face_duplicates_for(user: Any, *, state: str | None = None) -> QuerySet[FaceDuplicate]:
    """The duplicates an authority may see (in one state, or all): city-wide authorities all of them, a town's
    authority those where either person is on a project of its town (the other photo is shown beside it: that
    is the finding)."""
    if not scoping.is_authority(user):
        return FaceDuplicate.objects.none()
    if state is not None:
        return face_duplicates_for(user).filter(state=state)
    qs = FaceDuplicate.objects.select_related(
        "first", "second", "first_worker", "second_worker", "decided_by"
    )
    if user.is_superuser or (user.authority_id and user.authority.city_wide):
        return qs
    workers = scoping.workers_for(user).values("pk")
    return qs.filter(Q(first_worker__in=workers) | Q(second_worker__in=workers))


def face_duplicate_get_for(user: Any, pk: int) -> FaceDuplicate:
    """One duplicate the user may see (404 otherwise)."""
    return face_duplicates_for(user).get(pk=pk)


def face_duplicate_may_decide(user: Any, duplicate: FaceDuplicate) -> bool:
    return (
        (user.is_superuser or user.role in DUPLICATE_DECIDER_ROLES)
        and duplicate.state == FaceDuplicate.State.OPEN
        and face_duplicates_for(user).filter(pk=duplicate.pk).exists()
    )
