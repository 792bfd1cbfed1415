"""Reads of face identity: the verdicts attendance asks for (its pass exclusion reader), a person's enrolled face,
which passes of a batch are checked (key-post holders all, labor passes by sampling)."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Exists, F, OuterRef, Q, QuerySet

from smz.attendance.models import LateSnapshot, PassContest, PassRecord
from smz.attendance.selectors import contest_may_file, key_post_holder_on
from smz.core.bulk import AnyOf
from smz.core.errors import DomainError
from smz.core.roles import Role
from smz.faceid.embedding import MODEL_VERSION
from smz.faceid.models import FaceDuplicate, FaceEmbedding, IdentityCheck, IdentityReview
from smz.registry import scoping
from smz.registry.models import KeyPost, Worker
from smz.registry.selectors import approving_authority


def passes_not_same_person(pass_ids: list[int]) -> dict[int, str]:
    """attendance.validity's pass exclusion reader: the passes whose snapshot is not the enrolled person.
    A result the authority overturned on review (IdentityReview: it was the person himself) excludes nothing."""
    result = IdentityCheck.Result.NOT_SAME_PERSON
    # one array parameter however many ids (the roll-up asks for a whole batch: smz.core.bulk.AnyOf)
    rows = IdentityCheck.objects.filter(AnyOf(F("pk"), pass_ids), result=result).exclude(
        Exists(_overturned(OuterRef("pk")))
    )
    return dict.fromkeys(rows.values_list("pk", flat=True), str(result))


def _overturned(check: Any) -> QuerySet[IdentityReview]:
    return IdentityReview.objects.filter(
        check_record=check,
        kind=IdentityReview.Kind.DECISION,
        outcome=IdentityReview.Outcome.OVERTURNED,
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


# ---- review and appeal of "not the same person" (issue 15 item 4, N4) ----------------------------------------

REVIEW_DECIDER_ROLES = frozenset({Role.APPROVER_L1, Role.APPROVER_L2})
REVIEW_CONTEST_ROLES = frozenset({Role.ENTERPRISE_ADMIN, Role.LABOR_SPECIALIST})
# the queue's tabs: open = no decision yet (contested or not)
REVIEW_STATES = (
    ("open", "待复核"),
    ("contested", "企业申诉待处理"),
    ("confirmed", "确认非本人"),
    ("overturned", "改判为本人"),
    ("all", "全部"),
)


def _reviews(kind: str, outcome: str | None = None) -> QuerySet[IdentityReview]:
    qs = IdentityReview.objects.filter(check_record=OuterRef("pk"), kind=kind)
    return qs if outcome is None else qs.filter(outcome=outcome)


def identity_checks_for(user: Any, *, state: str = "all") -> QuerySet[IdentityCheck]:
    """The "not the same person" results a user may see: the city-wide authorities all, a town's authority
    those of its projects (and any routed to it), the pass's employer (admin, labor specialist) its own
    people's on its projects; nobody else any. `state` one of REVIEW_STATES' keys."""
    decision = IdentityReview.Kind.DECISION
    qs = (
        IdentityCheck.objects.filter(result=IdentityCheck.Result.NOT_SAME_PERSON)
        .select_related("worker", "project", "pass_record", "enrolled")
        .annotate(
            contested=Exists(_reviews(IdentityReview.Kind.CONTEST)),
            decided=Exists(_reviews(decision)),
            overturned=Exists(_reviews(decision, IdentityReview.Outcome.OVERTURNED)),
        )
        .order_by("-work_date", "-pk")
    )
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    if scoping.is_authority(user):
        if not (user.is_superuser or (user.authority_id and user.authority.city_wide)):
            routed = IdentityReview.objects.filter(authority=user.authority_id).values(
                "check_record"
            )
            qs = qs.filter(
                Q(project__in=scoping.projects_for(user).values("pk")) | Q(pk__in=routed)
            )
    elif user.role in REVIEW_CONTEST_ROLES and user.enterprise_id:
        own = scoping.employments_for(user).filter(
            employer=user.enterprise_id, project=OuterRef("project"), worker=OuterRef("worker")
        )
        qs = qs.filter(Exists(own))
    else:
        return qs.none()
    if state == "open":
        return qs.filter(decided=False)
    if state == "contested":
        return qs.filter(contested=True, decided=False)
    if state == "confirmed":
        return qs.filter(decided=True, overturned=False)
    if state == "overturned":
        return qs.filter(overturned=True)
    return qs


def identity_check_get_for(user: Any, pk: int) -> IdentityCheck:
    """One "not the same person" result the user may see (IdentityCheck.DoesNotExist otherwise)."""
    return identity_checks_for(user).get(pk=pk)


def identity_check_reviews(check: IdentityCheck) -> dict[str, IdentityReview]:
    """The check's contest and decision, by kind (each at most once)."""
    rows = IdentityReview.objects.filter(check_record=check.pk).select_related(
        "actor", "enterprise"
    )
    return {row.kind: row for row in rows}


def identity_check_authority_id(check: IdentityCheck) -> int | None:
    """The authority that decides: the one a contest was routed to, else the project's approving authority."""
    routed = (
        IdentityReview.objects.filter(check_record=check.pk, kind=IdentityReview.Kind.CONTEST)
        .values_list("authority_id", flat=True)
        .first()
    )
    if routed is not None:
        return routed
    try:
        return approving_authority(check.project).pk
    except DomainError:
        return None


def identity_check_may_contest(user: Any, check: IdentityCheck) -> bool:
    """The pass's employer (its admin or labor specialist, who sees the person on that project), once, while
    nothing is decided."""
    if not getattr(user, "is_authenticated", False) or user.role not in REVIEW_CONTEST_ROLES:
        return False
    if check.result != IdentityCheck.Result.NOT_SAME_PERSON:
        return False
    if IdentityReview.objects.filter(check_record=check.pk).exists():
        return False
    return contest_may_file(user, check.pass_record)


def identity_check_may_decide(user: Any, check: IdentityCheck) -> bool:
    """An approver (either level) of the authority the check is routed to, once."""
    if not getattr(user, "is_authenticated", False) or user.role not in REVIEW_DECIDER_ROLES:
        return False
    if check.result != IdentityCheck.Result.NOT_SAME_PERSON or not user.authority_id:
        return False
    if IdentityReview.objects.filter(
        check_record=check.pk, kind=IdentityReview.Kind.DECISION
    ).exists():
        return False
    return identity_check_authority_id(check) == user.authority_id


def identity_check_photo(check: IdentityCheck, side: str) -> str:
    """The stored file of one side of a check: the pass's snapshot, or the enrolled face compared with it."""
    if side == "enrolled":
        return check.enrolled.photo if check.enrolled_id and check.enrolled else ""
    record = check.pass_record
    if record.snapshot:
        return record.snapshot
    return (
        LateSnapshot.objects.filter(pass_record=record.pk)
        .values_list("snapshot", flat=True)
        .first()
        or ""
    )
