"""Writes of face identity: on the background worker (smz.faceid.tasks), never in a request, a person's face
descriptor when his photo changes and the identity check of a pass's snapshot against it; from the pages, the
authority's decisions on duplicates and the review of "not the same person" (the employer's contest, the
authority's decision: issue 15 item 4)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

import numpy as np
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from smz.accounts.models import User
from smz.attendance.services import attendance_recompute
from smz.attendance.snapshots import snapshot_read
from smz.core.errors import DomainError, Forbidden
from smz.core.events import event_record
from smz.core.locks import lock_row
from smz.core.roles import Role
from smz.faceid.embedding import (
    MODEL_VERSION,
    Embedding,
    NoFace,
    distance,
    embed,
    vector_decode,
)
from smz.faceid.errors import FaceidErrorCode
from smz.faceid.events import FaceidEventKind
from smz.faceid.models import FaceDuplicate, FaceEmbedding, IdentityCheck, IdentityReview
from smz.faceid.selectors import (
    PassToCheck,
    contested_pass_to_check,
    current_faces,
    enrolled_face_of,
    face_duplicate_may_decide,
    identity_check_may_contest,
    identity_check_may_decide,
    passes_to_check,
    previous_face,
)
from smz.notifications.services import notify_plain
from smz.registry.models import Worker
from smz.registry.selectors import approving_authority

log = logging.getLogger(__name__)


def face_embedding_compute(*, worker_id: int, source: str = "") -> FaceEmbedding | None:
    """The descriptor of the person's current face photo (Worker.face_photo), computed once per photo and
    model: a repeat for the same photo returns the row already written. None when he has no face photo."""
    worker = Worker.objects.only("pk", "face_photo").get(pk=worker_id)
    if not worker.face_photo:
        return None
    name = worker.face_photo.name or ""
    newest = enrolled_face_of(worker_id)
    if newest is not None and newest.photo == name:
        return newest
    try:
        with worker.face_photo.open("rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        log.warning("face photo file missing for worker %s", worker_id)
        data = b""
    found = embed(data)
    try:
        row = _embedding_store(worker_id=worker_id, source=source, name=name, found=found)
    except IntegrityError:  # a concurrent run described the same photo first
        return FaceEmbedding.objects.get(worker=worker_id, photo=name, model=MODEL_VERSION)
    if row.usable:
        face_duplicates_find(embedding=row)
    return row


def _embedding_store(
    *, worker_id: int, source: str, name: str, found: Embedding | NoFace
) -> FaceEmbedding:
    with transaction.atomic():
        row = FaceEmbedding.objects.create(
            worker_id=worker_id,
            source=source if source in FaceEmbedding.Source.values else "",
            photo=name,
            vector=found.encode() if isinstance(found, Embedding) else "",
            usable=isinstance(found, Embedding),
            no_face_reason="" if isinstance(found, Embedding) else found.reason,
            model=MODEL_VERSION,
        )
        event_record(
            actor=None,
            kind=FaceidEventKind.EMBEDDING_COMPUTED,
            subject=row,
            data={"worker": worker_id, "source": row.source, "usable": row.usable},
        )
    return row


def _duplicate_record(
    *, kind: str, first: FaceEmbedding, second: FaceEmbedding, gap: float, threshold: float
) -> FaceDuplicate | None:
    try:
        with transaction.atomic():
            row = FaceDuplicate.objects.create(
                kind=kind,
                first=first,
                second=second,
                first_worker_id=first.worker_id,
                second_worker_id=second.worker_id,
                distance=gap,
                threshold=threshold,
            )
            event_record(
                actor=None,
                kind=FaceidEventKind.DUPLICATE_FOUND,
                subject=row,
                data={
                    "kind": kind,
                    "first": first.pk,
                    "second": second.pk,
                    "distance": round(gap, 4),
                },
            )
    except IntegrityError:  # the same pair found by a concurrent run
        return None
    return row


def face_duplicates_find(*, embedding: FaceEmbedding) -> list[FaceDuplicate]:
    """A new descriptor against every other person's current one (one face under two ID numbers: closer than
    the threshold) and against the person's previous one (his face replaced by somebody else's: farther).
    Linear in the enrolled faces: every other descriptor is decrypted and compared in one matrix operation."""
    threshold = float(settings.SMZ_FACEID_THRESHOLD)
    mine = np.asarray(vector_decode(embedding.vector), dtype=np.float32)
    found = []
    previous = previous_face(embedding)
    if previous is not None:
        gap = distance(vector_decode(previous.vector), tuple(mine.tolist()))
        if gap >= threshold:
            row = _duplicate_record(
                kind=FaceDuplicate.Kind.REPLACED,
                first=previous,
                second=embedding,
                gap=gap,
                threshold=threshold,
            )
            found += [row] if row else []
    others = current_faces(exclude_worker=embedding.worker_id)
    if others:
        matrix = np.asarray([vector_decode(o.vector) for o in others], dtype=np.float32)
        gaps = np.linalg.norm(matrix - mine, axis=1)
        for index in np.flatnonzero(gaps < threshold):
            row = _duplicate_record(
                kind=FaceDuplicate.Kind.TWO_IDS,
                first=others[int(index)],
                second=embedding,
                gap=float(gaps[index]),
                threshold=threshold,
            )
            found += [row] if row else []
    return found


@transaction.atomic
def face_duplicate_decide(
    *, actor: Any, duplicate: FaceDuplicate, confirmed: bool, note: str
) -> FaceDuplicate:
    """The city's or the area's authority confirms a duplicate (属实) or clears it (已排除), once, with a note.
    Nothing is deleted: the finding, the decision and who took it stay (N4)."""
    locked = lock_row(FaceDuplicate, pk=duplicate.pk)
    if not face_duplicate_may_decide(actor, locked):
        if locked.state != FaceDuplicate.State.OPEN:
            raise DomainError(FaceidErrorCode.DUPLICATE_DECIDED, "该记录已处理", status=409)
        raise Forbidden(
            "只有该人员所在地主管部门的审批人可以处理人脸重复登记",
            code=FaceidErrorCode.DUPLICATE_FORBIDDEN,
        )
    text = _note(note, code=FaceidErrorCode.DUPLICATE_NOTE, label="处理意见")
    locked.state = FaceDuplicate.State.CONFIRMED if confirmed else FaceDuplicate.State.CLEARED
    locked.note, locked.decided_by, locked.decided_at = text, actor, timezone.now()
    locked.save(update_fields=["state", "note", "decided_by", "decided_at"])
    event_record(
        actor=actor,
        kind=FaceidEventKind.DUPLICATE_CONFIRMED
        if confirmed
        else FaceidEventKind.DUPLICATE_CLEARED,
        subject=locked,
        data={"kind": locked.kind},
    )
    return locked


def _enrolled(worker_id: int) -> FaceEmbedding | None:
    """The current photo's descriptor, computed now if the photo changed since (or was never embedded)."""
    row = enrolled_face_of(worker_id)
    current = Worker.objects.filter(pk=worker_id).values_list("face_photo", flat=True).first()
    if not current:
        return None
    if row is None or row.photo != current:
        row = face_embedding_compute(worker_id=worker_id)
    return row


def _check(item: PassToCheck) -> IdentityCheck | None:
    threshold = float(settings.SMZ_FACEID_THRESHOLD)
    enrolled = _enrolled(item.worker_id)
    gap: float | None = None
    if enrolled is None or not enrolled.usable:
        result = IdentityCheck.Result.NO_ENROLLED_FACE
    else:
        try:
            found = embed(snapshot_read(item.snapshot))
        except FileNotFoundError:
            log.warning("snapshot file missing for pass %s", item.pass_id)
            found = None
        if not isinstance(found, Embedding):
            result = IdentityCheck.Result.NO_USABLE_FACE
        else:
            gap = distance(found.vector, vector_decode(enrolled.vector))
            result = (
                IdentityCheck.Result.MATCHED
                if gap < threshold
                else IdentityCheck.Result.NOT_SAME_PERSON
            )
    try:
        with transaction.atomic():
            check = IdentityCheck.objects.create(
                pass_record_id=item.pass_id,
                worker_id=item.worker_id,
                project_id=item.project_id,
                work_date=item.work_date,
                basis=item.basis,
                result=result,
                enrolled=enrolled,
                distance=gap,
                threshold=threshold,
                model=MODEL_VERSION,
            )
            if result == IdentityCheck.Result.NOT_SAME_PERSON:
                event_record(
                    actor=None,
                    kind=FaceidEventKind.NOT_SAME_PERSON,
                    subject=check,
                    data={
                        "pass": item.pass_id,
                        "distance": round(gap or 0.0, 4),
                        "threshold": threshold,
                        "model": MODEL_VERSION,
                    },
                )
    except IntegrityError:  # a concurrent run checked it first
        return None
    return check


def identity_checks_run(*, project_id: int, keys: Iterable[tuple[int, dt.date]]) -> int:
    """Check the passes of these (person, day) pairs that are to be checked (selectors.passes_to_check); the
    days where someone was found not to be the person are recomputed (the person's day, the key posts')."""
    changed: set[tuple[int, dt.date]] = set()
    done = 0
    for item in passes_to_check(project_id=project_id, keys=keys):
        check = _check(item)
        if check is None:
            continue
        done += 1
        if check.result == IdentityCheck.Result.NOT_SAME_PERSON:
            changed.add((item.worker_id, item.work_date))
    if changed:
        attendance_recompute(project_id=project_id, keys=changed)
    return done


def identity_check_contested(*, pass_id: int) -> IdentityCheck | None:
    """A contested pass is checked whatever the sample says (its days recomputed when it is not the person)."""
    item = contested_pass_to_check(pass_id)
    if item is None:
        return None
    check = _check(item)
    if check is not None and check.result == IdentityCheck.Result.NOT_SAME_PERSON:
        attendance_recompute(project_id=item.project_id, keys=[(item.worker_id, item.work_date)])
    return check


# ---- review and appeal of "not the same person" (issue 15 item 4, N4) ----------------------------------------


def _note(note: str, *, code: FaceidErrorCode, label: str) -> str:
    """A decision's or a contest's note: required, at most 2000 characters (refused, never cut)."""
    text = note.strip()
    if not text:
        raise DomainError(code, f"请填写{label}", {"fields": {"note": "必填"}}, status=422)
    if len(text) > 2000:
        raise DomainError(
            code, f"{label}不能超过 2000 字", {"fields": {"note": "过长"}}, status=422
        )
    return text


def _review_note(note: str) -> str:
    return _note(note, code=FaceidErrorCode.REVIEW_NOTE, label="说明")


def _check_url(check: IdentityCheck) -> str:
    return f"/faceid/checks/{check.pk}/"


@transaction.atomic
def identity_check_contest(*, actor: Any, check: IdentityCheck, note: str) -> IdentityReview:
    """The pass's employer contests a "not the same person" result with a note, once, before any decision;
    routed to the project's approving authority, whose approvers are told."""
    locked = lock_row(IdentityCheck, pk=check.pk)
    if not identity_check_may_contest(actor, locked):
        if IdentityReview.objects.filter(
            check_record=locked.pk, kind=IdentityReview.Kind.DECISION
        ).exists():
            raise DomainError(FaceidErrorCode.REVIEW_DECIDED, "该核验结果已复核", status=409)
        if IdentityReview.objects.filter(check_record=locked.pk).exists():
            raise DomainError(FaceidErrorCode.REVIEW_CONTESTED, "该核验结果已申诉", status=409)
        raise Forbidden(
            "只有该人员用工企业的劳资专管员、企业管理员可以申诉人脸核验结果",
            code=FaceidErrorCode.REVIEW_FORBIDDEN,
        )
    text = _review_note(note)
    authority = approving_authority(locked.project)
    review = IdentityReview.objects.create(
        check_record=locked,
        kind=IdentityReview.Kind.CONTEST,
        note=text,
        actor=actor,
        enterprise_id=actor.enterprise_id,
        authority=authority,
    )
    event_record(
        actor=actor,
        kind=FaceidEventKind.CHECK_CONTESTED,
        subject=locked,
        data={"pass": locked.pk},
    )
    approvers = list(
        User.objects.filter(
            authority=authority, role__in=[Role.APPROVER_L1, Role.APPROVER_L2], is_active=True
        )
    )
    notify_plain(
        approvers,
        f"人脸核验申诉：{locked.project.name} {locked.work_date:%Y-%m-%d}",
        "企业对“非本人”核验结果提出申诉，请复核",
        _check_url(locked),
    )
    return review


@transaction.atomic
def identity_check_decide(
    *, actor: Any, check: IdentityCheck, overturn: bool, note: str
) -> IdentityReview:
    """An approver of the authority the check is routed to decides, once, with a note: the stand-in confirmed,
    or the result overturned (the person himself: the pass is no longer excluded and his day and the key
    posts' days are recomputed now). The check and any contest stay as they were (N4)."""
    locked = lock_row(IdentityCheck, pk=check.pk)
    if not identity_check_may_decide(actor, locked):
        if IdentityReview.objects.filter(
            check_record=locked.pk, kind=IdentityReview.Kind.DECISION
        ).exists():
            raise DomainError(FaceidErrorCode.REVIEW_DECIDED, "该核验结果已复核", status=409)
        raise Forbidden(
            "只有该项目审批部门的审批人可以复核人脸核验结果",
            code=FaceidErrorCode.REVIEW_FORBIDDEN,
        )
    text = _review_note(note)
    outcome = IdentityReview.Outcome.OVERTURNED if overturn else IdentityReview.Outcome.CONFIRMED
    review = IdentityReview.objects.create(
        check_record=locked,
        kind=IdentityReview.Kind.DECISION,
        outcome=outcome,
        note=text,
        actor=actor,
        authority_id=actor.authority_id,  # may_decide: the authority the check is routed to
    )
    event_record(
        actor=actor,
        kind=FaceidEventKind.CHECK_OVERTURNED if overturn else FaceidEventKind.CHECK_CONFIRMED,
        subject=locked,
        data={"pass": locked.pk},
    )
    contest = (
        IdentityReview.objects.filter(check_record=locked.pk, kind=IdentityReview.Kind.CONTEST)
        .select_related("actor")
        .first()
    )
    if contest is not None and contest.actor.is_active:
        notify_plain(
            [contest.actor],
            f"人脸核验申诉已复核：{outcome.label}",
            text,
            _check_url(locked),
        )
    if overturn:
        attendance_recompute(
            project_id=locked.project_id, keys=[(locked.worker_id, locked.work_date)]
        )
    return review
