"""ZKTeco PUSH ("iclock"/ADMS): face terminals upload to /iclock/ in plain text, no vendor middleware.

The protocol names a device by its serial alone (no signature): only serials registered to a project with
protocol `zkteco_push` are served, anything else is refused and counted. A terminal is bound to the address
it first calls from (then its site roster is queued for it); a call from elsewhere, or from outside the
project's terminal allow-list, gets nothing and is logged for the device page, until the site admin
re-binds it (issue 10 item 3). Keep /iclock/ behind the site VPN or private APN (docs/interfaces/zkteco.md).
Passes go through the shared ingest path (N3). ZKTeco punches carry no record id, so the dedup key is
`<PIN>-<YYYYmmddHHMMSS>-<status>`: one pass per device, person, second and status. PIN is Worker.pk.

Snapshots come in a separate ATTPHOTO request named `<YYYYmmddHHMMSS>-<PIN>.jpg`, before or after the
punch. A photo whose punch is already stored is attached to it once (attendance.LateSnapshot) and the day
is recomputed; otherwise it waits in ZKTecoPhoto for the ATTLOG line with the same PIN and second.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import logging
import random
import re
from collections.abc import Callable
from urllib.parse import parse_qs

from django.core.exceptions import RequestDataTooBig
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from smz.attendance.ingest import (
    RawPass,
    late_snapshot_attach,
    pass_records_ingest,
)
from smz.attendance.snapshots import snapshot_inspect
from smz.core import crypto
from smz.core.http import client_address
from smz.core.timeutil import parse_aware
from smz.devices.models import (
    Device,
    DeviceCommand,
    DeviceCommandLine,
    DeviceRejection,
    ZKTecoPhoto,
)
from smz.devices.selectors import (
    address_normalize,
    device_by_serial,
    gate_person_on,
    gate_roster,
    terminal_address_refusal,
)
from smz.devices.services import zkteco_address_pin
from smz.registry.models import Worker
from smz.terminals.errors import DeviceError, TerminalsErrorCode, device_error

logger = logging.getLogger(__name__)

DIRECTIONS = {"0": "in", "1": "out"}
VERIFY_MODES = {"15": "face", "1": "fingerprint", "4": "card"}
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
PHOTO_NAME = re.compile(r"PIN=(\d{14})-([0-9A-Za-z]{1,32})\.")
# PIN is Worker.pk: digits, no leading zero, within a bigint (a 21-digit PIN is refused, not a 500).
PIN = re.compile(r"[1-9]\d{0,17}")
SMALL_NUMBER = re.compile(r"\d{1,3}")
ID_NUMBER = re.compile(r"[1-9]\d{0,17}")
RETURN_CODE = re.compile(r"-?\d{1,10}")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Terminal clocks count from 2000; anything outside is a broken clock or a forged line.
YEARS = range(2000, 2100)
PHOTO_MARKERS = (b"CMD=uploadphoto", b"CMD=realupload")
PHOTO_KEEP = dt.timedelta(days=1)
STAMPED_TABLES = ("ATTLOG", "OPERLOG", "ATTPHOTO")
# An unknown device polls every few seconds: its refusal is logged once a minute, not once a poll.
REJECTION_QUIET = dt.timedelta(seconds=60)
CLOCK_ESTIMATE_WITHIN = dt.timedelta(hours=1)
REPLY_MAX_CHARS = 256 * 1024  # one getrequest answer; sync_people continues on the next poll
REPLY_MAX_LINES = 100


def _text(body: str, status: int = 200) -> HttpResponse:
    return HttpResponse(body, status=status, content_type="text/plain; charset=utf-8")


def _zone(device: Device) -> dt.timezone:
    return dt.timezone(dt.timedelta(minutes=device.utc_offset_minutes))


def _packed(moment: dt.datetime) -> int:
    """ZKTeco's DateTime number (PUSH spec appendix): 31-day months, 12-month years, from 2000."""
    days = (moment.year - 2000) * 12 * 31 + (moment.month - 1) * 31 + moment.day - 1
    return days * 86400 + (moment.hour * 60 + moment.minute) * 60 + moment.second


def _refuse(serial: str, device: Device | None, code: str, detail: str = "") -> DeviceError:
    since = timezone.now() - REJECTION_QUIET
    seen = DeviceRejection.objects.filter(serial=serial, code=code, detail=detail, at__gte=since)
    if not seen.exists():
        DeviceRejection.objects.create(device=device, serial=serial, code=code, detail=detail)
        logger.warning("zkteco refused serial=%s code=%s %s", serial, code, detail)
    return device_error(code)


def _printable(value: str, limit: int) -> str:
    """Control characters (NUL breaks PostgreSQL text) replaced, length cut: for logging what was refused."""
    return CONTROL.sub("?", value)[:limit]


def _authenticate(request: HttpRequest) -> Device:
    """The registered, active zkteco_push device named by ?SN=, calling from its bound address (the first
    call binds it and queues the roster); record its heartbeat and firmware."""
    raw_serial = request.GET.get("SN", "").strip()
    if not raw_serial or len(raw_serial) > 64 or CONTROL.search(raw_serial):
        raise _refuse(_printable(raw_serial, 64), None, TerminalsErrorCode.BAD_SERIAL)
    serial = raw_serial
    device = device_by_serial(serial)  # with the site boundary its attendance log is judged by
    if device is None:
        raise _refuse(serial, None, TerminalsErrorCode.UNKNOWN)
    if device.status != Device.Status.ACTIVE:
        raise _refuse(serial, device, TerminalsErrorCode.RETIRED)
    if device.protocol != Device.Protocol.ZKTECO_PUSH:
        raise _refuse(serial, device, TerminalsErrorCode.WRONG_PROTOCOL)
    address = address_normalize(client_address(request)) or ""
    problem = terminal_address_refusal(device, address)
    first_contact = problem is None and device.bound_address is None
    if first_contact and not zkteco_address_pin(device=device, address=address):
        device.refresh_from_db(fields=["bound_address", "bound_at"])  # another call bound it first
        problem = terminal_address_refusal(device, address)
    if problem is not None:
        raise _refuse(serial, device, problem, address or "?")
    firmware = _printable(request.GET.get("INFO", "").split(",")[0].strip(), 60)
    if not firmware and not device.firmware and request.GET.get("pushver"):
        firmware = _printable(f"PUSH {request.GET['pushver']}", 60)
    device.last_heartbeat_at = timezone.now()
    device.firmware = firmware[:60] or device.firmware
    Device.objects.filter(pk=device.pk).update(
        last_heartbeat_at=device.last_heartbeat_at, firmware=device.firmware
    )
    return device


def device_view(handler: Callable[[HttpRequest, Device], HttpResponse]) -> Callable:
    """Wrap an iclock endpoint: CSRF-exempt, device authenticated by serial, refusals as short text."""

    @csrf_exempt
    @functools.wraps(handler)
    def view(request: HttpRequest) -> HttpResponse:
        try:
            device = _authenticate(request)
            return handler(request, device)
        except DeviceError as exc:
            return _text(f"ERROR: {exc.code}", exc.status)
        except RequestDataTooBig:
            return _text("ERROR: zkteco.body_too_large", 413)

    return view


def _stamp_save(device: Device, table: str, stamp: str) -> None:
    """Remember the device's upload stamp for a table, so the next handshake lets it resume."""
    if not re.fullmatch(r"\d{1,20}", stamp):
        return  # stamps are counters; anything else is not echoed back
    with transaction.atomic():
        stamps = Device.objects.select_for_update().values_list("push_stamps", flat=True)
        current = dict(stamps.get(pk=device.pk) or {})
        current[table] = stamp[:32]
        Device.objects.filter(pk=device.pk).update(push_stamps=current)


# ---- uploads: GET/POST /iclock/cdata -------------------------------------------------------------


@device_view
def cdata(request: HttpRequest, device: Device) -> HttpResponse:
    """GET: the handshake options; POST: an upload of one table (unknown tables are acknowledged)."""
    if request.method != "POST":
        return _handshake(device)
    table = request.GET.get("table", "").upper()
    if table == "ATTLOG":
        answer = _attlog(device, request.body)
    elif table == "ATTPHOTO":
        answer = _attphoto(device, request.body)
    elif table == "OPERLOG":
        lines = request.body.decode("utf-8", errors="replace").splitlines()
        answer = f"OK: {sum(1 for line in lines if line.strip())}"
    else:
        answer = "OK"
    if table in STAMPED_TABLES:
        _stamp_save(device, table, request.GET.get("Stamp", ""))
    return _text(answer)


def _handshake(device: Device) -> HttpResponse:
    stamps = device.push_stamps or {}
    minutes = device.utc_offset_minutes
    zone = minutes // 60 if minutes % 60 == 0 else minutes  # hours, or minutes for half-hour zones
    options = [
        f"GET OPTION FROM: {device.serial}",
        f"ATTLOGStamp={stamps.get('ATTLOG', '0')}",
        f"OPERLOGStamp={stamps.get('OPERLOG', '0')}",
        f"ATTPHOTOStamp={stamps.get('ATTPHOTO', '0')}",
        "ErrorDelay=30",
        "Delay=10",
        "TransTimes=00:00;14:05",
        "TransInterval=1",
        "TransFlag=TransData AttLog OpLog AttPhoto EnrollUser ChgUser FACE UserPic",
        f"TimeZone={zone}",
        "Realtime=1",
        "Encrypt=None",
    ]
    return _text("\n".join(options) + "\n")


def _attlog_line(line: str, zone: dt.timezone) -> tuple[RawPass, str] | None:
    """`PIN\\tYYYY-MM-DD HH:MM:SS\\tstatus\\tverify...` → (pass, its second); None if malformed."""
    fields = [f.strip() for f in line.split("\t")]
    if len(fields) < 2 or not PIN.fullmatch(fields[0]):
        return None
    try:
        # Device time is wall-clock time without a zone; the registered offset makes it aware.
        moment = dt.datetime.strptime(fields[1], TIME_FORMAT).replace(tzinfo=zone)
    except ValueError:
        return None
    status = fields[2] if len(fields) > 2 else ""
    verify = fields[3] if len(fields) > 3 else ""
    if moment.year not in YEARS or not all(
        SMALL_NUMBER.fullmatch(x) for x in (status, verify) if x
    ):
        return None
    second = f"{moment:%Y%m%d%H%M%S}"
    raw = RawPass(
        record_id=f"{fields[0]}-{second}-{status}",
        person_id=fields[0],
        event_time=moment,
        direction=DIRECTIONS.get(status, ""),
        verify_mode=VERIFY_MODES.get(verify, f"zk:{verify}" if verify else ""),
    )
    return raw, second


def _attlog(device: Device, body: bytes) -> str:
    """Ingest punches; answer `OK: <stored or already stored>`. Bad lines are counted, never fatal."""
    zone = _zone(device)
    parsed: list[tuple[int, RawPass, str]] = []
    # code → line numbers: one DeviceRejection per code and upload, not one per line.
    refused: dict[str, list[int]] = {}
    lines = [line for line in body.decode("utf-8", errors="replace").splitlines() if line.strip()]
    for n, line in enumerate(lines, start=1):
        item = _attlog_line(line, zone)
        if item is None:
            pin = line.split("\t", 1)[0].strip()
            code = (
                TerminalsErrorCode.ZKTECO_BAD_PIN
                if "\t" in line and not PIN.fullmatch(pin)
                else TerminalsErrorCode.ZKTECO_BAD_LINE
            )
            refused.setdefault(code, []).append(n)
        else:
            parsed.append((n, *item))

    photos = {
        (p.pin, p.taken_at): p
        for p in ZKTecoPhoto.objects.filter(
            device=device,
            pin__in={str(raw.person_id) for _, raw, _ in parsed},
            taken_at__in={second for _, _, second in parsed},
        )
    }
    for _, raw, second in parsed:
        photo = photos.get((str(raw.person_id), second))
        raw.snapshot = _photo_open(photo) if photo else None

    results = pass_records_ingest(device=device, records=[raw for _, raw, _ in parsed])
    stored = 0
    used_photos = []
    for (n, raw, second), result in zip(parsed, results, strict=True):
        if result["status"] == "rejected":
            refused.setdefault(result["code"], []).append(n)
            continue
        stored += 1
        if (photo := photos.get((str(raw.person_id), second))) is not None:
            used_photos.append(photo.pk)
    ZKTecoPhoto.objects.filter(pk__in=used_photos).delete()
    DeviceRejection.objects.bulk_create(
        DeviceRejection(device=device, serial=device.serial, code=code, detail=_lines(numbers))
        for code, numbers in refused.items()
    )
    if len(parsed) == 1 and isinstance(punched := parsed[0][1].event_time, dt.datetime):
        _clock_estimate(device, punched)
    return f"OK: {stored}"


def _clock_estimate(device: Device, punched: dt.datetime) -> None:
    """Device clock offset, estimated from a real-time (single-line) upload: the punch was seconds ago.

    The protocol never reports the device clock directly; a single buffered punch sent after a short
    outage reads as a clock running behind, hence the one-hour bound.
    """
    offset = punched - timezone.now()
    if abs(offset) <= CLOCK_ESTIMATE_WITHIN:
        ms = int(offset.total_seconds() * 1000)
        Device.objects.filter(pk=device.pk).update(clock_offset_ms=ms)


def _lines(numbers: list[int]) -> str:
    """`ATTLOG line 2, 5, 9` — a first upload can carry thousands of old punches, so the list is cut."""
    more = f" (+{len(numbers) - 20})" if len(numbers) > 20 else ""
    return f"ATTLOG line {', '.join(map(str, numbers[:20]))}{more}"


def _photo_parse(body: bytes) -> tuple[str, str, bytes] | None:
    """(PIN, YYYYmmddHHMMSS, JPEG) from `PIN=<time>-<pin>.jpg\\nSN=..\\nsize=..\\nCMD=uploadphoto\\0<jpg>`."""
    marker = next((i for m in PHOTO_MARKERS if (i := body.find(m)) >= 0), -1)
    if marker < 0:
        return None
    start = body.find(b"\xff\xd8", marker)
    match = PHOTO_NAME.search(body[:marker].decode("latin-1"))
    if start < 0 or match is None:
        return None
    return match.group(2), match.group(1), body[start:]


def _photo_time(taken_at: str, zone: dt.timezone) -> dt.datetime | None:
    try:
        moment = dt.datetime.strptime(taken_at, "%Y%m%d%H%M%S").replace(tzinfo=zone)
    except ValueError:
        return None
    return moment if moment.year in YEARS else None


def _photo_label(device_id: int, pin: str, taken_at: str) -> str:
    return f"zkteco-photo/{device_id}/{pin}/{taken_at}"


def _photo_open(photo: ZKTecoPhoto) -> bytes:
    """A held photo is a face: sealed in the database like snapshot files on disk (N2, issue 10 item 6).
    Rows held from before sealing (kept a day at most) are read as stored."""
    data = bytes(photo.jpeg)
    if not crypto.is_encrypted_file(data):
        return data
    return crypto.decrypt_file(data, name=_photo_label(photo.device_id, photo.pin, photo.taken_at))


def _attphoto(device: Device, body: bytes) -> str:
    """Hold a snapshot for its punch. An unusable photo is refused (counted) but acknowledged, so the
    device moves on; its pass then arrives without a snapshot and is stored invalid."""
    parsed = _photo_parse(body)
    if (
        parsed is None
        or not PIN.fullmatch(parsed[0])
        or _photo_time(parsed[1], _zone(device)) is None
        or isinstance(snapshot_inspect(parsed[2]), str)
    ):
        DeviceRejection.objects.create(
            device=device,
            serial=device.serial,
            code=TerminalsErrorCode.ZKTECO_BAD_PHOTO,
            detail="ATTPHOTO",
        )
        return "OK"
    pin, taken_at, jpeg = parsed
    moment = _photo_time(taken_at, _zone(device))
    if moment is not None and late_snapshot_attach(
        device=device, worker_id=int(pin), event_time=moment, data=jpeg
    ):
        return "OK"  # its punch came first: attached to the stored pass
    sealed = crypto.encrypt_file(jpeg, name=_photo_label(device.pk, pin, taken_at))
    ZKTecoPhoto.objects.update_or_create(
        device=device, pin=pin, taken_at=taken_at, defaults={"jpeg": sealed}
    )
    if random.random() < 0.01:  # noqa: S311 - housekeeping sampling, not security
        ZKTecoPhoto.objects.filter(received_at__lt=timezone.now() - PHOTO_KEEP).delete()
    return "OK"


# ---- commands: GET /iclock/getrequest, POST /iclock/devicecmd ------------------------------------


@device_view
def getrequest(request: HttpRequest, device: Device) -> HttpResponse:
    """Heartbeat and command poll: answer `OK` or queued commands as `C:<id>:<command>` lines."""
    now = timezone.now()
    lines: list[str] = []
    with transaction.atomic():
        pending = (
            DeviceCommand.objects.select_for_update()
            .filter(device=device, status=DeviceCommand.Status.PENDING)
            .order_by("pk")
        )
        for command in pending[:REPLY_MAX_LINES]:
            budget = REPLY_MAX_CHARS - sum(len(line) + 1 for line in lines)
            if budget <= 0 or len(lines) >= REPLY_MAX_LINES:
                break
            rendered, finished, problem = _render(command, device, budget)
            # Each line its own id, so the device's answer for each line is told apart.
            sent = DeviceCommandLine.objects.bulk_create(
                DeviceCommandLine(command=command, summary=text.split("\t", 1)[0][:80])
                for text in rendered
            )
            lines += [f"C:{item.pk}:{text}" for item, text in zip(sent, rendered, strict=True)]
            command.sent_at = command.sent_at or now
            if problem or (finished and not rendered):
                command.status = (
                    DeviceCommand.Status.FAILED if problem else DeviceCommand.Status.DONE
                )
                command.acked_at, command.result = now, problem or "无需下发"
            elif finished:
                command.status = DeviceCommand.Status.SENT
            command.save(update_fields=["status", "sent_at", "acked_at", "result", "payload"])
            if not finished:
                break  # the rest of a long sync goes out on the next poll, before later commands
    return _text("\n".join(lines) + "\n" if lines else "OK")


def _render(command: DeviceCommand, device: Device, budget: int) -> tuple[list[str], bool, str]:
    """Command text lines, whether the command is now fully sent, and a problem that fails it."""
    payload = command.payload or {}
    zone = _zone(device)
    kind = command.kind
    if kind == DeviceCommand.Kind.SYNC_PEOPLE:
        return _sync_people(command, device, budget)
    if kind == DeviceCommand.Kind.REMOVE_PERSON:
        pin = str(payload.get("person_id", ""))
        if not pin.isdigit():
            return [], True, "person_id 无效"
        return _remove_person(device, pin), True, ""
    if kind == DeviceCommand.Kind.REUPLOAD:
        start = parse_aware(str(payload.get("start", "")))
        end = parse_aware(str(payload.get("end", "")))
        if start is None or end is None or end < start:
            return [], True, "start/end 无效（需带时区的ISO时间）"
        first, last = start.astimezone(zone), end.astimezone(zone)
        return (
            [f"DATA QUERY ATTLOG StartTime={first:{TIME_FORMAT}}\tEndTime={last:{TIME_FORMAT}}"],
            True,
            "",
        )
    if kind == DeviceCommand.Kind.SET_TIME:
        # Rendered at delivery, not at queueing, so a command that waited is still right.
        return [f"SET OPTIONS DateTime={_packed(timezone.now().astimezone(zone))}"], True, ""
    if kind == DeviceCommand.Kind.REBOOT:
        return ["REBOOT"], True, ""
    return [], True, f"ZKTeco 不支持命令 {kind}"


def _clean(value: str) -> str:
    """Tabs and line breaks would split a command on the wire."""
    return re.sub(r"[\t\r\n]", " ", value).strip()


def _face_b64(worker: Worker) -> str:
    if not worker.face_photo:
        return ""
    try:
        with worker.face_photo.open("rb") as fh:
            return base64.b64encode(fh.read()).decode()
    except FileNotFoundError:
        # One lost file must not block the whole sync: the person goes out without a face.
        logger.warning("zkteco sync: face photo file missing for worker=%s", worker.pk)
        return ""


def _person_lines(pin: int, worker: Worker | None) -> list[str]:
    """A person on the gates → his user and face; anyone else (worker None) → his deletion."""
    if worker is None:
        return [f"DATA DELETE USERINFO PIN={pin}"]
    lines = [f"DATA UPDATE USERINFO PIN={pin}\tName={_clean(worker.name)}\tPri=0"]
    if face := _face_b64(worker):
        lines.append(
            f"DATA UPDATE BIOPHOTO PIN={pin}\tType=9\tNo=0\tIndex=0\tSize={len(face)}\tContent={face}"
        )
    return lines


def _remove_person(device: Device, pin: str) -> list[str]:
    """A deletion decided when it is sent, from the gate roster: a person back on the gates by then (re-hired
    and admitted) gets his user and face, never a delete after his upsert."""
    if PIN.fullmatch(pin) and gate_person_on(project_id=device.project_id, worker_id=int(pin)):
        return _person_lines(int(pin), Worker.objects.get(pk=int(pin)))
    return [f"DATA DELETE USERINFO PIN={pin}"]


def _sync_people(
    command: DeviceCommand, device: Device, budget: int
) -> tuple[list[str], bool, str]:
    """Everyone on the project's gate roster (or only the people the payload names in "workers") by worker
    id from the saved cursor: on the gates → user + face, else delete."""
    after = int((command.payload or {}).get("zk_after", 0))
    people = gate_roster(
        project_id=device.project_id,
        after_worker=after,
        workers=(command.payload or {}).get("workers"),
        limit=REPLY_MAX_LINES + 1,
    )
    workers = Worker.objects.in_bulk([p.worker_id for p in people if p.on_gate])
    lines: list[str] = []
    used = 0
    done = 0
    for person in people[:REPLY_MAX_LINES]:
        pin = person.worker_id
        batch = _person_lines(pin, workers[pin] if person.on_gate else None)
        size = sum(len(line) + 20 for line in batch)
        if lines and (used + size > budget or len(lines) + len(batch) > REPLY_MAX_LINES):
            break
        lines += batch
        used += size
        done += 1
        after = pin
    finished = done == len(people)
    command.payload = {**(command.payload or {}), "zk_after": after}
    return lines, finished, ""


@device_view
def devicecmd(request: HttpRequest, device: Device) -> HttpResponse:
    """Command results, one `ID=<line id>&Return=<code>&CMD=<cmd>` per line: 0 or more is success.
    Each line is settled on its own; a command is done once fully sent and every line answered."""
    now = timezone.now()
    touched: set[int] = set()
    for line in request.body.decode("utf-8", errors="replace").splitlines():
        fields = parse_qs(line.strip(), keep_blank_values=True)
        line_id = (fields.get("ID") or [""])[0]
        code = (fields.get("Return") or [""])[0]
        if not ID_NUMBER.fullmatch(line_id) or not RETURN_CODE.fullmatch(code):
            continue  # not ours or unreadable: the line stays "sent"
        failed = int(code) < 0
        item = DeviceCommandLine.objects.filter(command__device=device, pk=int(line_id)).first()
        if item is None:
            _legacy_result(device, int(line_id), int(code), fields, now)
            continue
        DeviceCommandLine.objects.filter(pk=item.pk, status=DeviceCommandLine.Status.SENT).update(
            status=DeviceCommandLine.Status.FAILED if failed else DeviceCommandLine.Status.DONE,
            return_code=int(code),
            acked_at=now,
        )
        touched.add(item.command_id)
    for command_id in sorted(touched):
        _command_settle(command_id, now)
    return _text("OK")


def _command_settle(command_id: int, now: dt.datetime) -> None:
    """A fully sent command whose lines are all answered: done, or failed naming its failed lines."""
    with transaction.atomic():
        command = (
            DeviceCommand.objects.select_for_update()
            .filter(pk=command_id, status=DeviceCommand.Status.SENT)
            .first()
        )
        if command is None or command.lines.filter(status=DeviceCommandLine.Status.SENT).exists():
            return  # still being sent, or lines unanswered
        failed = list(command.lines.filter(status=DeviceCommandLine.Status.FAILED)[:3])
        if failed:
            total = command.lines.count()
            n = command.lines.filter(status=DeviceCommandLine.Status.FAILED).count()
            shown = "；".join(f"{x.summary} Return={x.return_code}" for x in failed)
            command.status, command.result = (
                DeviceCommand.Status.FAILED,
                f"{n}/{total} 行失败：{shown}",
            )
        else:
            command.status = DeviceCommand.Status.DONE
        command.acked_at = now
        command.result = command.result[:200]
        command.save(update_fields=["status", "acked_at", "result"])


def _legacy_result(
    device: Device, command_id: int, code: int, fields: dict[str, list[str]], now: dt.datetime
) -> None:
    """An answer for a command sent before per-line ids (the id is the command's): settled whole."""
    mine = DeviceCommand.objects.filter(device=device, pk=command_id, lines__isnull=True)
    if code >= 0:
        mine.filter(status=DeviceCommand.Status.SENT).update(
            status=DeviceCommand.Status.DONE, acked_at=now
        )
    else:
        verb = _printable((fields.get("CMD") or [""])[0], 40)
        mine.filter(~Q(status=DeviceCommand.Status.FAILED)).update(
            status=DeviceCommand.Status.FAILED, acked_at=now, result=f"Return={code} CMD={verb}"
        )


# ---- time: GET /iclock/rtdata?type=time -----------------------------------------------------------


@device_view
def rtdata(request: HttpRequest, device: Device) -> HttpResponse:
    """Server time for the device clock: packed UTC DateTime and the device's zone as ±HHMM."""
    if request.GET.get("type") != "time":
        return _text("OK")
    minutes = device.utc_offset_minutes
    sign = "+" if minutes >= 0 else "-"
    zone = f"{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"
    return _text(f"DateTime={_packed(timezone.now().astimezone(dt.UTC))},ServerTZ={zone}")


@device_view
def ping(request: HttpRequest, device: Device) -> HttpResponse:
    """Keep-alive of newer firmware between uploads."""
    return _text("OK")
