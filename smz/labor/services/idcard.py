"""读卡登记 (A2; notice 三(四) "使用实名制信息采集设备读取二代居民身份证、人脸信息"): an ID-card reader or tablet
at the entry desk uploads what it read from the card and the live face (device-direct v1, POST /id-cards).
The card is the identity: the person is registered, or, when he is on this site now, his identity fields and
face are refreshed from it (never his phone or bank card); a known person from elsewhere is left unchanged.
Idempotent on (device, record id). The labor specialist then registers the entry."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from smz.attendance.ingest import UNSTORABLE_CHARS
from smz.core.errors import DomainError, Forbidden, field_errors
from smz.core.events import event_record
from smz.core.uploads import image_header_size, image_size_ok, upload_check
from smz.labor.errors import LaborErrorCode
from smz.labor.events import LaborEventKind
from smz.labor.models import IdCardScan
from smz.labor.services.entry import entry_hold
from smz.registry import project_changes, scoping
from smz.registry.events import RegistryEventKind
from smz.registry.models import Employment, Worker
from smz.registry.services import (
    WORKER_FIELDS,
    WorkerData,
    employment_register,
    worker_data_errors,
    worker_for_document,
    worker_for_entry,
)
from smz.registry.signals import face_changed_announce

# What a card carries: the identity fields, which come first in the registry's field list (phone onwards
# is the person's own data and never comes from a card).
CARD_FIELDS = WORKER_FIELDS[: WORKER_FIELDS.index("phone")]
MAX_IMAGE_BYTES = 300 * 1024
# What a card prints (and a reader's SDK returns) as the end of a validity without end; stored as no date.
LONG_TERM = "长期"
CARD_TEXT = ("name", "gender", "nation", "id_number", "address", "grant_org")


def _date(value: Any, field: str, errors: dict[str, str]) -> dt.date | None:
    if value in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        errors[field] = "日期格式应为 YYYY-MM-DD"
        return None


def _valid_to(card: dict[str, Any], errors: dict[str, str]) -> tuple[dt.date | None, bool]:
    """(end date, long-term): `"valid_to": "长期"`, or `"long_term": true` with no valid_to, is long-term."""
    value = card.get("valid_to")
    if card.get("long_term") is True and value in (None, "", LONG_TERM):
        return None, True
    if isinstance(value, str) and value.strip() == LONG_TERM:
        return None, True
    end = _date(value, "card.valid_to", errors)
    if "card.valid_to" in errors:
        errors["card.valid_to"] = "日期格式应为 YYYY-MM-DD；长期有效的证件填“长期”"
    return end, False


def _text(card: dict[str, Any], field: str, errors: dict[str, str]) -> str:
    value = card.get(field, "")
    if not isinstance(value, str) or UNSTORABLE_CHARS.search(value):
        errors[f"card.{field}"] = "应为文本，不含控制字符"
        return ""
    return value


def _image(value: Any, field: str, errors: dict[str, str]) -> bytes | None:
    if not value:
        return None
    try:
        data = base64.b64decode(str(value), validate=True)
    except (binascii.Error, ValueError):
        errors[field] = "base64 编码错误"
        return None
    if len(data) > MAX_IMAGE_BYTES or not data.startswith(b"\xff\xd8"):
        errors[field] = "应为不超过300KB的JPEG"
        return None
    size = image_header_size(data)
    if size is not None and not image_size_ok(*size):
        errors[field] = "图片像素过大"
        return None
    return data


def _on_site(worker: Worker, project: Any) -> bool:
    return Employment.objects.filter(
        worker=worker, project=project, status=Employment.Status.ACTIVE
    ).exists()


def idcard_scan_ingest(*, device: Any, payload: dict[str, Any]) -> tuple[IdCardScan, bool]:
    """Register (or refresh) the person on the card and keep the scan; a repeat returns the first scan."""
    record_id = payload.get("record_id", "")
    if not isinstance(record_id, str) or UNSTORABLE_CHARS.search(record_id):
        raise field_errors({"record_id": "记录号应为1–64个字符的文本，不含控制字符"})
    if not record_id or len(record_id) > 64:
        raise field_errors({"record_id": "记录号应为1–64个字符的文本，不含控制字符"})
    existing = IdCardScan.objects.filter(device=device, record_id=record_id).first()
    if existing is not None:
        return existing, False
    raw_card = payload.get("card")
    card: dict[str, Any] = raw_card if isinstance(raw_card, dict) else {}
    errors: dict[str, str] = {}
    text = {field: _text(card, field, errors) for field in CARD_TEXT}
    valid_to, long_term = _valid_to(card, errors)
    data = WorkerData(
        id_card_type=Worker.ID_CARD,
        id_number=text["id_number"],
        name=text["name"],
        gender=text["gender"],
        nation=text["nation"],
        birth_date=_date(card.get("birth_date"), "card.birth_date", errors),
        address=text["address"][:200],
        grant_org=text["grant_org"][:80],
        id_valid_from=_date(card.get("valid_from"), "card.valid_from", errors),
        id_valid_to=valid_to,
    )
    card_photo = _image(card.get("photo"), "card.photo", errors)
    face = _image(payload.get("face"), "face", errors)
    errors |= {f"card.{k}": v for k, v in worker_data_errors(data).items()}
    if errors:
        raise field_errors(errors, "身份证信息有误")
    try:
        with transaction.atomic():
            worker, created = worker_for_document(data.id_card_type, data.id_number)
            # Only a new person, or one on this site now, is written from a reading: a device elsewhere
            # must not rename a man or swap his face (the gates of his sites match it) by his number.
            refresh = created or _on_site(worker, device.project)
            if refresh:
                for field in CARD_FIELDS:
                    value = getattr(data, field)
                    if value not in ("", None):
                        setattr(worker, field, value)
                if long_term:  # a renewed card valid for life ends the old end date
                    worker.id_valid_to = None
                if card_photo:
                    worker.card_photo.save("card.jpg", ContentFile(card_photo), save=False)
                worker.save()
            face_ok, problem = False, "未上传现场人脸"
            if face:
                try:
                    jpeg, _w, _h, _n = project_changes.face_photo_checked(face)
                    if refresh:
                        worker.face_photo.save("face.jpg", ContentFile(jpeg), save=False)
                        worker.save(update_fields=["face_photo", "updated_at"])
                        face_changed_announce(actor=None, worker_id=worker.pk, source="idcard")
                    face_ok, problem = True, ""
                except DomainError as exc:
                    problem = exc.message[:80]
            scan = IdCardScan.objects.create(
                device=device,
                project=device.project,
                record_id=record_id,
                worker=worker,
                face_ok=face_ok,
                face_problem=problem,
            )
            event_record(
                actor=None,
                kind=RegistryEventKind.WORKER_REGISTERED
                if created
                else LaborEventKind.WORKER_CARD_READ,
                subject=worker,
                data={"device": device.pk, "scan": scan.pk, "refreshed": refresh},
            )
    except IntegrityError:  # the same record raced in from a retry
        return IdCardScan.objects.get(device=device, record_id=record_id), False
    return scan, True


def idcard_scan_register(
    *,
    actor: Any,
    scan: IdCardScan,
    employer: Any,
    team: Any,
    work_type: str,
    entry_on: dt.date,
) -> Employment:
    """Put the scanned person on the project, held back from the gates until the entry checks pass."""
    if scan.status != IdCardScan.Status.NEW:
        raise DomainError(LaborErrorCode.IDCARD_DONE, "该读卡记录已处理", status=409)
    if not scoping.can_maintain_roster(actor, scan.project, employer.pk):
        raise Forbidden("无权为该企业登记人员")
    with transaction.atomic():
        employment = employment_register(
            actor=actor,
            project=scan.project,
            worker=scan.worker,
            employer=employer,
            team=team,
            work_type=work_type,
            entry_on=entry_on,
        )
        entry_hold(actor=actor, employment=employment)
        IdCardScan.objects.filter(pk=scan.pk).update(
            status=IdCardScan.Status.REGISTERED, employment=employment
        )
    return employment


def typed_entry(
    *,
    actor: Any,
    project: Any,
    data: WorkerData,
    card_photo: bytes,
    employer: Any,
    team: Any,
    work_type: str,
    entry_on: dt.date,
) -> Employment:
    """手工登记 (A2): where no reader is at hand, the card is typed and photographed; the person is registered
    (or found) and put on the project, waiting for the entry checks like a read card."""
    if not scoping.can_maintain_roster(actor, project, employer.pk if employer else None):
        raise Forbidden("无权为该企业登记人员")
    if not card_photo:
        raise field_errors({"card_photo": "请上传身份证照片"})
    upload_check(card_photo, allowed=frozenset({"jpeg", "png"}), max_bytes=5 * 1024 * 1024)
    with transaction.atomic():
        worker, _created = worker_for_entry(actor=actor, data=data)
        if not worker.card_photo:
            worker.card_photo.save("card.jpg", ContentFile(card_photo), save=False)
            worker.save(update_fields=["card_photo", "updated_at"])
        return employment_register(
            actor=actor,
            project=project,
            worker=worker,
            employer=employer,
            team=team,
            work_type=work_type,
            entry_on=entry_on,
        )
