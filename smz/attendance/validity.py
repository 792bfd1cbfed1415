"""When a pass counts (A3): the reasons a stored pass does not, and its effective reason once a late snapshot
(LateSnapshot) and the background face check (SnapshotCheck) are known. Pure rules, read by the ingest path,
the daily recompute (services) and the pages (selectors)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db.models import Case, Exists, OuterRef, Q, QuerySet, Value, When
from django.db.models.expressions import Expression
from django.db.models.lookups import In

from smz.attendance.snapshots import (
    MIN_SNAPSHOT_HEIGHT,
    MIN_SNAPSHOT_WIDTH,
    snapshot_big_enough,
)

INVALID_REASONS = {
    "no_snapshot": "无抓拍照片",
    "low_resolution": "抓拍照片分辨率过低",
    "no_face": "抓拍照片中未检测到人脸",
    "face_check_pending": "人脸核验中",
    "off_site": "通行位置不在施工现场范围内",
    "no_location": "平板打卡缺少定位",
    # read from a pass exclusion reader (below), never stored on the pass
    "not_same_person": "抓拍人脸与登记人脸不是同一人",
}


# What pass_invalid_reason reads: pass `.values(*VALIDITY_FIELDS)` into it.
VALIDITY_FIELDS = (
    "invalid_reason",
    "off_site",
    "snapshot",
    "snapshot_check__faces",
    "late_snapshot__snapshot_width",
    "late_snapshot__snapshot_height",
    "contest_accepted",
)

# The reasons an accepted contest (PassContest) overrides: the snapshot/face judgement. "off_site" and
# "no_location" are facts of the device and its place, not of the photo: a contest does not override them.
CONTESTABLE_REASONS = frozenset({"no_snapshot", "low_resolution", "no_face", "face_check_pending"})


def with_validity(qs: QuerySet[Any]) -> QuerySet[Any]:
    """Passes annotated with what pass_invalid_reason needs beyond their columns (an accepted contest)."""
    from smz.attendance.models import PassContest

    return qs.annotate(
        contest_accepted=Exists(
            PassContest.objects.filter(pass_record=OuterRef("pk"), state=PassContest.State.ACCEPTED)
        )
    )


def pass_invalid_reason(row: dict) -> str:
    """A pass's effective reason for not counting ("" = it counts): decided at ingest, then by a snapshot
    attached later (LateSnapshot), by the background face check (SnapshotCheck) and by an accepted contest
    (PassContest: the snapshot/face reasons only, CONTESTABLE_REASONS). Rows come from
    `with_validity(qs).values(*VALIDITY_FIELDS)`."""
    reason = _reason(row)
    if reason in CONTESTABLE_REASONS and row.get("contest_accepted"):
        return ""
    return reason


def _reason(row: dict) -> str:
    reason = row["invalid_reason"]
    faces_found = row["snapshot_check__faces"]
    late_width = row["late_snapshot__snapshot_width"]
    if reason == "no_snapshot" and late_width is not None:
        if row["off_site"]:
            return "off_site"
        if not snapshot_big_enough(late_width, row["late_snapshot__snapshot_height"]):
            return "low_resolution"
        return "no_face" if faces_found == 0 else ""
    if reason:
        return reason
    return "no_face" if row["snapshot"] and faces_found == 0 else ""


def pass_reason_expression() -> Expression:
    """pass_invalid_reason as one SQL expression over a PassRecord queryset, for the set-based roll-up (services):
    the same rule, decided in the database for a whole batch. Kept beside the Python rule and checked
    against it on random passes (tests/test_rollup_sets.py); change both together."""
    from smz.attendance.models import PassContest

    faces = "snapshot_check__faces"
    late_width, late_height = "late_snapshot__snapshot_width", "late_snapshot__snapshot_height"
    judged = Case(
        When(
            Q(invalid_reason="no_snapshot", **{f"{late_width}__isnull": False}),
            then=Case(
                When(off_site=True, then=Value("off_site")),
                When(
                    Q(**{f"{late_width}__lt": MIN_SNAPSHOT_WIDTH})
                    | Q(**{f"{late_height}__lt": MIN_SNAPSHOT_HEIGHT}),
                    then=Value("low_resolution"),
                ),
                When(**{faces: 0}, then=Value("no_face")),
                default=Value(""),
            ),
        ),
        When(~Q(invalid_reason=""), then="invalid_reason"),
        When(Q(**{faces: 0}) & ~Q(snapshot=""), then=Value("no_face")),
        default=Value(""),
    )
    accepted = Exists(
        PassContest.objects.filter(pass_record=OuterRef("pk"), state=PassContest.State.ACCEPTED)
    )
    return Case(
        When(Q(In(judged, sorted(CONTESTABLE_REASONS))) & Q(accepted), then=Value("")),
        default=judged,
    )


# ---- passes another app judged not to be the person's own ------------------------------------------------
# Face identity (smz.faceid) compares a pass's snapshot with the person's enrolled face on the background worker.
# It sits above attendance (import layers), so attendance cannot ask it: it registers a reader in its ready().
# A reader takes pass ids and answers those it excludes, each with a reason code of INVALID_REASONS. A pass
# it excludes still counts for the person's daily row (flagged as an anomaly); a key-post day whose counted
# passes are all excluded is not attended (services.key_post_days_compute), with the reason.

PassExclusionReader = Callable[[list[int]], dict[int, str]]
_exclusion_readers: dict[str, PassExclusionReader] = {}


def pass_exclusion_reader_register(name: str, reader: PassExclusionReader) -> None:
    """Register (or replace, by name) a reader of excluded passes."""
    _exclusion_readers[name] = reader


def passes_excluded(pass_ids: Iterable[int]) -> dict[int, str]:
    """The passes among these that a registered reader excludes, with the reason (the first reader's wins)."""
    ids = sorted(set(pass_ids))
    found: dict[int, str] = {}
    if not ids:
        return found
    for name in sorted(_exclusion_readers):
        for pk, reason in _exclusion_readers[name](ids).items():
            found.setdefault(pk, reason)
    return found
