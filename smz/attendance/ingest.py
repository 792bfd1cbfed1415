"""The one ingest path for pass records (N3), shared by every protocol (device-direct, ZKTeco PUSH, tablets).

validate each record → find duplicates → insert the rest in one transaction → answer per record.
A record is answered `accepted` or `duplicate` only after the transaction has committed; a replayed batch
(same batch id) gets the stored answers back. A record id already stored (or earlier in the batch) with other
content is answered `conflict` and not stored: the first pass under an id stands. Records that are stored but do not count (no snapshot, too
small, off site) are `accepted` with `valid: false` and a reason the enterprise can see.
"""

from __future__ import annotations

import binascii
import datetime as dt
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache
from typing import Any, cast

import pybase64
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from smz.attendance.errors import RECORD_CODES, AttendanceErrorCode, batch_conflict
from smz.attendance.models import IngestBatch, LateSnapshot, PassKey, PassRecord
from smz.attendance.snapshots import (
    snapshot_big_enough,
    snapshot_blobs_record,
    snapshot_inspect,
    snapshot_name,
    snapshots_pack,
)
from smz.attendance.tasks import recompute_days
from smz.attendance.validity import INVALID_REASONS
from smz.core.bulk import hot_cursor, pg_array, rows_upsert
from smz.core.tasks import task_enqueue
from smz.core.timeutil import business_date, parse_aware
from smz.devices.models import SiteBoundary
from smz.registry.models import Employment

MAX_BATCH = 500
FUTURE_TOLERANCE = dt.timedelta(seconds=300)
MAX_AGE = dt.timedelta(days=30)  # before the device's registration
# A batch's stored answers serve replays this long; after that a replay is answered record by record
# (every pass already stored comes back `duplicate`), which still stores nothing twice.
BATCH_ANSWERS_KEEP = dt.timedelta(days=30)
# A device's last upload is marked at most this often (a write per batch otherwise; the pages that show it
# and the docking liveness rule count in minutes).
UPLOAD_MARK_EVERY = dt.timedelta(seconds=30)
BIGINT_MAX = 2**63 - 1
# Not stored as text: NUL (PostgreSQL refuses it), other control characters, lone surrogates (no UTF-8).
UNSTORABLE_CHARS = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")


@dataclass(slots=True)
class RawPass:
    """One record as a protocol adapter hands it to the ingest path."""

    record_id: str
    person_id: Any
    event_time: str | dt.datetime
    direction: str = ""
    verify_mode: str = ""
    similarity: Any = None
    snapshot: bytes | str | None = None  # raw JPEG bytes, or base64 text
    lng: Any = None
    lat: Any = None
    refused: str = (
        ""  # a RECORD_CODES code the protocol adapter already decided (strict field types)
    )
    # The adapter checked the text fields as _check would (device-direct's PassIn: record id stripped, 1–64
    # characters, verify mode ≤ 16, neither with control characters or lone surrogates; person id an int
    # in range): _check does not scan them again.
    clean: bool = False


@dataclass(slots=True)
class Outcome:
    record_id: str
    status: str  # accepted | duplicate | conflict | rejected
    code: str = ""
    reason: str = ""
    valid: bool | None = None
    invalid_code: str = ""  # a key of INVALID_REASONS
    face_check: str = ""  # "pending": the snapshot's face check runs after the answer (faces.py)

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"record_id": self.record_id, "status": self.status}
        if self.status in ("rejected", "conflict"):
            d |= {"code": self.code, "reason": self.reason}
        elif self.valid is not None:
            d["valid"] = self.valid
            if not self.valid:
                d["invalid_code"] = self.invalid_code
                d["invalid_reason"] = INVALID_REASONS.get(self.invalid_code, "")
            if self.face_check:
                d["face_check"] = self.face_check
        return d


@dataclass(slots=True)
class _Checked:
    raw: RawPass
    record_id: str
    worker_id: int
    event_time: dt.datetime
    offset_minutes: int
    snapshot: bytes | None
    direction: str = ""
    verify_mode: str = ""
    similarity: Decimal | None = None
    width: int | None = None
    height: int | None = None
    lng: Decimal | None = None
    lat: Decimal | None = None
    invalid_reason: str = ""
    snapshot_name: str = ""  # content-addressed, so two records with one photo have one name
    snapshot_sha256: str = ""  # of the decoded snapshot

    def content(self) -> tuple:
        """What a record id stands for: a resend under the same id must carry the same (else `conflict`)."""
        return (
            self.worker_id,
            self.event_time,
            self.offset_minutes,
            self.direction,
            self.verify_mode,
            self.similarity,
            self.lng,
            self.lat,
        )


def _reject(record_id: str, code: str) -> Outcome:
    return Outcome(record_id=record_id, status="rejected", code=code, reason=RECORD_CODES[code])


def _conflict(record_id: str) -> Outcome:
    code = AttendanceErrorCode.RECORD_CONFLICT
    return Outcome(record_id=record_id, status="conflict", code=code, reason=RECORD_CODES[code])


def _snapshot_bytes(value: bytes | str | None) -> bytes | None:
    if value is None or value == "" or value == b"":
        return None
    if isinstance(value, bytes):
        return value
    # strict: only the alphabet, padding where it belongs, as binascii.a2b_base64(strict_mode=True) decides
    # (compared in test_snapshot_packs.py), in SIMD: ≈ 1 µs for a 9 KB snapshot where binascii takes ≈ 27
    return pybase64.b64decode(value, validate=True)


def _decimal(value: Any, places: Decimal) -> Decimal | None:
    """A finite number rounded to the column's places (so a stored value compares equal to a resend);
    InvalidOperation for anything else."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise InvalidOperation(value)
    number = Decimal(str(value))
    if not number.is_finite():
        raise InvalidOperation(value)
    return number.quantize(places, rounding=ROUND_HALF_UP)


CENTS = Decimal("0.01")  # similarity, as its column keeps it
MICRODEGREES = Decimal("0.000001")  # longitude and latitude


def _person_id(value: Any) -> int | None:
    """A person id as an integer (or the digits of a ZKTeco PIN) that fits the database; else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        value = int(value)
    if isinstance(value, int) and 1 <= value <= BIGINT_MAX:
        return value
    return None


def _record_id(raw: RawPass) -> str:
    return UNSTORABLE_CHARS.sub("\ufffd", str(raw.record_id or "").strip())[:64]


def _check(
    raw: RawPass, *, device: Any, latest: dt.datetime, earliest: dt.datetime
) -> _Checked | Outcome:
    if raw.refused:
        return _reject(_record_id(raw), raw.refused)
    if raw.clean:
        rid, worker_id = raw.record_id, raw.person_id
    else:
        rid = str(raw.record_id or "").strip()
        if not rid or len(rid) > 64 or UNSTORABLE_CHARS.search(rid):
            return _reject(_record_id(raw), AttendanceErrorCode.RECORD_BAD_ID)
        worker_id = _person_id(raw.person_id)
        if worker_id is None:
            return _reject(rid, AttendanceErrorCode.PERSON_UNKNOWN)
    moment = (
        raw.event_time
        if isinstance(raw.event_time, dt.datetime)
        else parse_aware(str(raw.event_time))
    )
    if moment is None or moment.tzinfo is None:
        return _reject(rid, AttendanceErrorCode.TIME_NAIVE)
    if moment > latest:
        return _reject(rid, AttendanceErrorCode.TIME_FUTURE)
    if moment < earliest:
        return _reject(rid, AttendanceErrorCode.TIME_TOO_OLD)
    if raw.direction not in ("in", "out", ""):
        return _reject(rid, AttendanceErrorCode.DIRECTION_INVALID)
    try:
        similarity = _decimal(raw.similarity, CENTS)
    except InvalidOperation:
        return _reject(rid, AttendanceErrorCode.SIMILARITY_INVALID)
    if similarity is not None and not 0 <= similarity <= 100:
        return _reject(rid, AttendanceErrorCode.SIMILARITY_INVALID)
    try:
        snapshot = _snapshot_bytes(raw.snapshot)
    except (binascii.Error, ValueError, TypeError):
        return _reject(rid, AttendanceErrorCode.SNAPSHOT_BAD_BASE64)
    try:
        lng, lat = _decimal(raw.lng, MICRODEGREES), _decimal(raw.lat, MICRODEGREES)
    except (InvalidOperation, ValueError):
        return _reject(rid, AttendanceErrorCode.LOCATION_INVALID)
    if (lng is not None and not -180 <= lng <= 180) or (lat is not None and not -90 <= lat <= 90):
        return _reject(rid, AttendanceErrorCode.LOCATION_INVALID)
    checked = _Checked(
        raw=raw,
        record_id=rid,
        worker_id=worker_id,
        event_time=moment,  # stored as UTC by PostgreSQL (COPY) and by Django alike
        offset_minutes=int(moment.utcoffset().total_seconds() // 60),
        snapshot=snapshot,
        direction=raw.direction or _default_direction(device),
        verify_mode=raw.verify_mode
        if raw.clean
        else UNSTORABLE_CHARS.sub("", str(raw.verify_mode or ""))[:16],
        similarity=similarity,
        lng=lng,
        lat=lat,
    )
    if snapshot is None:
        checked.invalid_reason = "no_snapshot"
        return checked
    inspected = snapshot_inspect(snapshot)
    if isinstance(inspected, str):
        return _reject(rid, inspected)
    checked.width, checked.height = inspected
    if not snapshot_big_enough(checked.width, checked.height):
        checked.invalid_reason = "low_resolution"
    return checked


def _employments(project_id: int, worker_ids: set[int]) -> list[tuple]:
    """(worker_id, entry_on, exit_on) of these people on the project. On PostgreSQL one array parameter
    (`= ANY(%s)`) instead of an IN list of up to 500 quoted values, which costs more than the query."""
    if not worker_ids:
        return []
    if connection.vendor == "postgresql":
        with hot_cursor() as cursor:
            cursor.execute(
                f"SELECT worker_id, entry_on, exit_on FROM {Employment._meta.db_table}"  # noqa: S608
                " WHERE project_id = %s AND worker_id = ANY(%s::bigint[])",
                [project_id, pg_array(sorted(worker_ids))],
            )
            return cursor.fetchall()
    return list(
        Employment.objects.filter(project=project_id, worker__in=worker_ids).values_list(
            "worker_id", "entry_on", "exit_on"
        )
    )


def _on_site(
    employments: dict[int, list[tuple[dt.date, dt.date | None]]], worker_id: int, day: dt.date
) -> bool:
    return any(
        start <= day and (end is None or day <= end)
        for start, end in employments.get(worker_id, ())
    )


def _site_boundary(device: Any) -> SiteBoundary | None:
    """The site's boundary, as the device API's authentication loaded it with the device (no query), or read."""
    project = device._state.fields_cache.get("project")
    if project is not None and "site_boundary" in project._state.fields_cache:
        return project._state.fields_cache["site_boundary"]
    return SiteBoundary.objects.filter(project=device.project_id).first()


def pass_records_ingest(
    *,
    device: Any,
    records: list[RawPass],
    batch_id: str = "",
    now: dt.datetime | None = None,
    first: Callable[[], None] | None = None,
) -> list[dict[str, Any]]:
    """Validate, deduplicate and durably store a batch of passes from one device; answer per record.
    `first` runs at the start of the same transaction (the device API records the request's nonce there:
    one commit per request); if it raises, nothing is stored."""
    if first is None:  # its own transaction, or a savepoint in the caller's
        return _ingest(device, records, batch_id, now or timezone.now(), savepoint=True)
    with transaction.atomic():
        first()
        return _ingest(device, records, batch_id, now or timezone.now(), savepoint=False)


def _ingest(
    device: Any, records: list[RawPass], batch_id: str, now: dt.datetime, *, savepoint: bool
) -> list[dict[str, Any]]:
    # A replayed batch id is found when its answers are stored (_batch_answer_insert), not looked up first: a
    # read per upload saved (a single check-in's largest cost after the device's own); a replay, rare, does
    # the work again, finds the stored answers and is rolled back.
    earliest = (device.created_at or now) - MAX_AGE
    # One answer per position: a record id repeated in the batch is answered `duplicate` (or `conflict`)
    # at its later positions, and stored once.
    outcomes: list[Outcome | None] = []
    checked: list[tuple[int, _Checked]] = []
    latest = now + FUTURE_TOLERANCE
    for i, raw in enumerate(records):
        result = _check(raw, device=device, latest=latest, earliest=earliest)
        if isinstance(result, Outcome):
            outcomes.append(result)
        else:
            outcomes.append(None)
            checked.append((i, result))
            if result.snapshot is not None:  # hashed once: for the name and for the batch's digest
                result.snapshot_sha256 = hashlib.sha256(result.snapshot).hexdigest()
    digest = (
        _batch_digest(records, {i: c.snapshot_sha256 for i, c in checked if c.snapshot_sha256})
        if batch_id
        else ""
    )

    # Roster check: the person must be on this project on the pass's day (entered, not yet exited).
    employments: dict[int, list[tuple[dt.date, dt.date | None]]] = {}
    for worker_id, entry_on, exit_on in _employments(
        device.project_id, {c.worker_id for _, c in checked}
    ):
        employments.setdefault(worker_id, []).append((entry_on, exit_on))

    boundary = _site_boundary(device)
    device_off_site = bool(
        boundary
        and device.lng is not None
        and not boundary.contains(float(device.lng), float(device.lat))
    )

    to_insert: list[tuple] = []  # rows in PASS_COLUMNS order
    # position → (checked record, its answer if it was not stored before), for the first of each id
    firsts: dict[str, tuple[int, _Checked]] = {}
    pending: dict[int, Outcome] = {}
    repeats: list[tuple[int, _Checked]] = []  # later positions of an id, answered after the first
    not_on_site: list[int] = []
    snapshots: dict[str, bytes] = {}  # name → JPEG, one each
    for i, c in checked:
        rid = c.record_id
        day = business_date(c.event_time)
        c.snapshot_name = (
            snapshot_name(c.snapshot, day, sha256=c.snapshot_sha256)
            if c.snapshot is not None
            else ""
        )
        if rid in firsts:
            repeats.append((i, c))
            continue
        firsts[rid] = (i, c)
        if not _on_site(employments, c.worker_id, day):
            outcomes[i] = _reject(rid, AttendanceErrorCode.PERSON_NOT_ON_SITE)
            not_on_site.append(i)
            continue
        off_site = device_off_site or bool(
            boundary
            and c.lng is not None
            and c.lat is not None
            and not boundary.contains(float(c.lng), float(c.lat))
        )
        # A tablet (D5) has no fixed place: its check-in counts only with a position inside the site.
        unlocated = device.kind == "tablet" and (c.lng is None or c.lat is None)
        reason = c.invalid_reason or (
            "off_site" if off_site else "no_location" if unlocated else ""
        )
        if c.snapshot is not None:
            snapshots[c.snapshot_name] = c.snapshot
        to_insert.append(
            (
                device.pk,
                rid,
                device.project_id,
                c.worker_id,
                c.event_time,
                c.offset_minutes,
                day,
                now,
                device.clock_offset_ms,
                c.direction,
                c.verify_mode,
                c.similarity,
                c.snapshot_name,
                c.width,
                c.height,
                c.lng,
                c.lat,
                not reason,
                reason,
                off_site,
            )
        )
        pending[i] = Outcome(
            record_id=rid,
            status="accepted",
            valid=not reason,
            invalid_code=reason,
            face_check="pending" if c.snapshot_name and not reason else "",
        )

    # The batch's snapshots go into one pack, on disk (fsync) before the passes that show them commit.
    blobs = snapshots_pack(snapshots, now)
    with transaction.atomic(savepoint=savepoint):
        stored = _passes_insert(device, to_insert)
        snapshot_blobs_record(blobs)
        # A record stored earlier is a duplicate (or a conflict), whatever its person's roster says now.
        if not_on_site:
            stored |= _stored_contents(device, _ids(checked, not_on_site))
        for rid, (i, c) in firsts.items():
            if rid in stored:
                same = _same_content(*stored[rid], c)
                outcomes[i] = Outcome(record_id=rid, status="duplicate") if same else _conflict(rid)
            elif i in pending:
                outcomes[i] = pending[i]
        for i, c in repeats:
            first_at, first = firsts[c.record_id]
            if not _same_content(first.content(), first.snapshot_name, c):
                outcomes[i] = _conflict(c.record_id)
            elif outcomes[first_at].status in ("rejected", "conflict"):
                outcomes[i] = outcomes[first_at]
            else:  # the first is stored (now or before): this one is stored too
                outcomes[i] = Outcome(record_id=c.record_id, status="duplicate")
        to_insert = [row for row in to_insert if row[1] not in stored]
        answers = [outcome.as_dict() for outcome in outcomes]  # every position answered by now
        if batch_id and not _batch_answer_insert(
            device.pk, batch_id, digest, _answers_kept(outcomes), now
        ):
            # a replay, or a concurrent copy that committed first: the stored answers stand and this
            # copy's work is rolled back (with the device API its nonce too: that request's signature
            # binds its body, so a replay of it can only ever get these same stored answers)
            stored_batch = IngestBatch.objects.get(device=device, batch_id=batch_id)
            transaction.set_rollback(True)
            return _replayed(stored_batch, digest, records)
        last = device.last_upload_at
        if last is None or not now - UPLOAD_MARK_EVERY < last <= now:
            type(device).objects.filter(pk=device.pk).update(last_upload_at=now)
        if to_insert:
            keys = {(row[3], row[6]) for row in to_insert}  # (worker_id, work_date)
            _schedule_recompute(device.project_id, keys)
    return answers


def _answers_kept(outcomes: list[Outcome | None]) -> dict[str, list]:
    """A batch's answers as its IngestBatch keeps them: each distinct answer once, without the record id (the
    request's, which the digest pins), and which one each position got. A 100-record batch's answers are a few
    distinct ones: ≈ 0.3 KB, where the list of every answer took ≈ 12 KB of JSON that PostgreSQL compressed
    (TOAST) on every upload (issue 17 goal 2)."""
    index: dict[tuple, int] = {}
    distinct: list[dict[str, Any]] = []
    order: list[int] = []
    for answered in outcomes:
        o = cast(Outcome, answered)  # every position is answered by now
        key = (o.status, o.code, o.reason, o.valid, o.invalid_code, o.face_check)
        at = index.get(key)
        if at is None:
            at = index[key] = len(distinct)
            answer = o.as_dict()
            del answer["record_id"]
            distinct.append(answer)
        order.append(at)
    return {"answers": distinct, "order": order}


def _answers_stored(response: Any) -> list[dict[str, Any]]:
    """The answers of a stored batch, one per position: kept as _answers_kept has them, or (batches stored
    before 2026-12-05) as the list of every answer, with or without its record id."""
    if isinstance(response, dict):
        return [response["answers"][at] for at in response["order"]]
    return response


def _batch_answer_insert(
    device_id: int, batch_id: str, digest: str, response: dict[str, list], now: dt.datetime
) -> bool:
    """Store a batch's answers unless a concurrent copy of the batch stored them first (then False): one
    INSERT … ON CONFLICT DO NOTHING RETURNING, no savepoint around it."""
    return bool(
        rows_upsert(
            IngestBatch,
            ("device", "batch_id", "digest", "received_at", "response"),
            [(device_id, batch_id, digest, now, response)],
            unique=("device", "batch_id"),
            returning="id",
        )
    )


def _ids(checked: list[tuple[int, _Checked]], positions: list[int]) -> list[str]:
    wanted = set(positions)
    return [c.record_id for i, c in checked if i in wanted]


def _same_content(content: tuple, snapshot_name: str, c: _Checked) -> bool:
    """Same pass: the same fields, and the same snapshot when both carry one (a retry may lack the photo
    a ZKTeco terminal sent separately the first time)."""
    if content != c.content():
        return False
    return not (snapshot_name and c.snapshot_name) or snapshot_name == c.snapshot_name


# Up to this many rows the key insert finds the repeats: no optimistic COPY under a savepoint.
SMALL_BATCH = 20
PASS_COLUMNS = (
    "device_id",
    "device_record_id",
    "project_id",
    "worker_id",
    "event_time",
    "event_offset_minutes",
    "work_date",
    "received_at",
    "clock_offset_ms",
    "direction",
    "verify_mode",
    "similarity",
    "snapshot",
    "snapshot_width",
    "snapshot_height",
    "lng",
    "lat",
    "valid",
    "invalid_reason",
    "off_site",
)


def _passes_insert(device: Any, rows: list[tuple]) -> dict[str, tuple[tuple, str]]:
    """Insert the checked rows; return the ones already stored (record id → content, snapshot name).

    On PostgreSQL optimistically with COPY, since a batch is almost always new (no per-row model objects or
    SQL compiling, no lookup first: the bulk of the ingest cost otherwise, see docs/bench.md). The record ids
    go first into PassKey, whose unique (device, device_record_id) holds across the monthly partitions of the
    passes (a pass's own unique key there includes its day). If any row is already stored (a retry, or a
    concurrent retry that committed first) that COPY fails on the unique key and is rolled back to its
    savepoint; then the stored ids are looked up, the rest's keys inserted with ON CONFLICT DO NOTHING (an id
    whose key a concurrent upload wrote meanwhile is looked up again and answered from what it stored), and
    the rest's passes inserted. On SQLite (one writer at a time) the pass table's own unique key does it: the
    lookup, then the rest with ON CONFLICT DO NOTHING."""
    if not rows:
        return {}
    postgresql = connection.vendor == "postgresql"
    if postgresql and len(rows) > SMALL_BATCH:
        try:
            with (
                transaction.atomic(),
                connection.cursor() as cursor,
                connection.wrap_database_errors,
            ):
                with cursor.cursor.copy(PASS_KEYS_COPY) as copy:
                    copy.set_types(_copy_types(PassKey, PASS_KEY_COLUMNS))
                    for row in rows:
                        copy.write_row(row[:2])
                with cursor.cursor.copy(PASS_COPY) as copy:
                    copy.set_types(_copy_types(PassRecord, PASS_COLUMNS))
                    for row in rows:
                        copy.write_row(row)
            return {}
        except IntegrityError:
            pass
    if postgresql and len(rows) <= SMALL_BATCH:
        # A gate's single check-in: no savepoint and no lookup first; the key insert below finds the ids
        # stored before (COPY under a savepoint pays off on bigger batches).
        stored: dict[str, tuple[tuple, str]] = {}
        fresh = rows
    else:
        stored = _stored_contents(device, [row[1] for row in rows])
        fresh = [row for row in rows if row[1] not in stored]
    if not postgresql:
        PassRecord.objects.bulk_create(
            [PassRecord(**dict(zip(PASS_COLUMNS, row, strict=True))) for row in fresh],
            ignore_conflicts=True,
            batch_size=500,
        )
        return stored
    if fresh:
        written = set(
            rows_upsert(
                PassKey,
                ("device", "device_record_id"),
                [row[:2] for row in fresh],
                unique=("device", "device_record_id"),
                returning="device_record_id",
            )
        )
        if lost := [row[1] for row in fresh if row[1] not in written]:
            # Stored before (or by a concurrent upload since the lookup: the key insert waited for it).
            stored |= _stored_contents(device, lost)
            fresh = [row for row in fresh if row[1] not in stored]
    if fresh:  # their keys are new: the passes cannot collide, a COPY needs no savepoint
        with connection.cursor() as cursor, cursor.cursor.copy(PASS_COPY) as copy:
            copy.set_types(_copy_types(PassRecord, PASS_COLUMNS))
            for row in fresh:
                copy.write_row(row)
    return stored


# COPY in PostgreSQL's binary format: each value dumped by psycopg's C dumper for its column's type, not
# formatted as text and parsed again (a 100-row batch's COPY 0.40 → 0.23 ms of application CPU).
PASS_KEY_COLUMNS = ("device_id", "device_record_id")
PASS_COPY = (
    f"COPY {PassRecord._meta.db_table} ({', '.join(PASS_COLUMNS)}) FROM STDIN (FORMAT BINARY)"
)
PASS_KEYS_COPY = (
    f"COPY {PassKey._meta.db_table} ({', '.join(PASS_KEY_COLUMNS)}) FROM STDIN (FORMAT BINARY)"
)


@cache
def _copy_types(model: type[Any], columns: tuple[str, ...]) -> list[str]:
    """The PostgreSQL type of each column (`varchar`, not `varchar(64)`), as a binary COPY needs them."""
    by_column = {f.column: f for f in model._meta.concrete_fields}
    return [str(by_column[c].db_type(connection)).split("(")[0] for c in columns]


def _stored_contents(device: Any, record_ids: list[str]) -> dict[str, tuple[tuple, str]]:
    """Record id → (content as _Checked.content() has it, snapshot name) of the ones already stored."""
    rows = PassRecord.objects.filter(device=device, device_record_id__in=record_ids).values_list(
        "device_record_id", *STORED_CONTENT, "snapshot"
    )
    return {row[0]: (tuple(row[1:-1]), row[-1]) for row in rows}


# The columns of _Checked.content(), in its order.
STORED_CONTENT = (
    "worker_id",
    "event_time",
    "event_offset_minutes",
    "direction",
    "verify_mode",
    "similarity",
    "lng",
    "lat",
)


NO_SNAPSHOT_SHA256 = hashlib.sha256(b"").hexdigest()  # a record without a snapshot, hashed once


def _batch_digest(records: list[RawPass], decoded: dict[int, str] | None = None) -> str:
    """sha256 of the batch's records in order, content included: a replay under the same batch id with
    changed content is a batch conflict, not the old answers. A snapshot counts by the digest of its decoded
    bytes where the check decoded it (`decoded`: position → hex digest, the one its content-addressed name
    uses, so a 12 KB base64 text is not hashed a second time), else by the digest of the text as sent.
    Without `decoded` this is the digest batches were stored with before (2026-12-05), kept for their replays."""
    h = hashlib.sha256()
    decoded = decoded or {}
    for i, r in enumerate(records):
        snapshot_sha256 = decoded.get(i)
        if snapshot_sha256 is None:
            snapshot = r.snapshot.encode() if isinstance(r.snapshot, str) else r.snapshot or b""
            snapshot_sha256 = (
                hashlib.sha256(snapshot).hexdigest() if snapshot else NO_SNAPSHOT_SHA256
            )
        fields = (
            r.record_id,
            r.person_id,
            r.event_time.isoformat() if isinstance(r.event_time, dt.datetime) else r.event_time,
            r.direction,
            r.verify_mode,
            r.similarity,
            r.lng,
            r.lat,
            r.refused,
            snapshot_sha256,
        )
        h.update(repr(fields).encode() + b"\n")
    return h.hexdigest()


def _ids_digest(records: list[RawPass]) -> str:
    """The digest of batches stored before content was hashed (record ids only), kept for their replays."""
    ids = "\n".join(str(r.record_id).strip() for r in records)
    return hashlib.sha256(ids.encode("utf-8", "surrogatepass")).hexdigest()


def _replayed(stored: IngestBatch, digest: str, records: list[RawPass]) -> list[dict[str, Any]]:
    """A replay gets the stored answers, but only for the same records: a device that restarted its batch
    counter must not have new records acknowledged by an old batch's answers (they would be lost)."""
    if stored.digest and stored.digest not in (
        digest,
        _ids_digest(records),
        _batch_digest(records),
    ):
        raise batch_conflict(stored.batch_id)
    return [
        a if "record_id" in a else {"record_id": _record_id(raw), **a}
        for raw, a in zip(records, _answers_stored(stored.response), strict=True)
    ]


def _default_direction(device: Any) -> str:
    return device.direction if device.direction in ("in", "out") else ""


def _schedule_recompute(project_id: int, keys: set[tuple[int, dt.date]]) -> None:
    """Enqueued inside the ingest transaction: with the database task backend the task row commits with the
    passes or not at all, so a crash between the two can never leave stored passes whose days are not
    recomputed (on_commit would open that window)."""
    # One compact string, not a list of pairs: the task framework walks every element of its arguments
    # to check they are JSON (≈ 25 µs per pair, the largest single cost of a 1,000-record batch).
    days = {
        d: d.isoformat() for _, d in keys
    }  # a batch's passes are mostly of one day: formatted once
    text = ";".join(f"{w}:{days[d]}" for w, d in sorted(keys))
    task_enqueue(
        recompute_days, project_id, text
    )  # which tells the apps above (face identity), once run


def late_snapshot_attach(
    *, device: Any, worker_id: int, event_time: dt.datetime, data: bytes
) -> PassRecord | None:
    """Attach a snapshot that arrived after its pass (same device, person and second), once. Returns the
    pass, or None when no pass without a snapshot is waiting for it (the caller may hold the photo)."""
    record = (
        PassRecord.objects.filter(
            device=device,
            worker=worker_id,
            work_date=business_date(event_time),  # as ingest set it: one month's partition is read
            event_time=event_time,
            snapshot="",
            late_snapshot__isnull=True,
        )
        .order_by("pk")
        .first()
    )
    if record is None:
        return None
    inspected = snapshot_inspect(data)
    if isinstance(inspected, str):
        return None
    name = snapshot_name(data, record.work_date)
    blobs = snapshots_pack({name: data}, timezone.now())
    try:
        with transaction.atomic():
            snapshot_blobs_record(blobs)
            LateSnapshot.objects.create(
                pass_record=record,
                snapshot=name,
                snapshot_width=inspected[0],
                snapshot_height=inspected[1],
            )
            keys = {(record.worker_id, record.work_date)}
            _schedule_recompute(record.project_id, keys)
    except IntegrityError:  # attached by a concurrent upload of the same photo
        return record
    return record


def ingest_batches_purge(*, now: dt.datetime | None = None) -> int:
    """Forget batch answers older than BATCH_ANSWERS_KEEP (daily, from attendance_close_day)."""
    cutoff = (now or timezone.now()) - BATCH_ANSWERS_KEEP
    return IngestBatch.objects.filter(received_at__lt=cutoff).delete()[0]
