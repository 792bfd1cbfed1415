"""Writes that change a project's obligations (WF1–WF5) and key-post holders (WF4), called by the approval
engine and by the inbound notices of the city's other systems. Each writes its event and, once committed,
has the key-post days recomputed from the day the change takes effect (registry.obligations decides)."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from PIL import ImageOps, UnidentifiedImageError

from smz.core.errors import DomainError, Forbidden, field_errors
from smz.core.events import event_record
from smz.core.faces import faces_in_jpeg
from smz.core.uploads import image_open
from smz.registry.errors import RegistryErrorCode
from smz.registry.events import RegistryEventKind
from smz.registry.lifecycle import status_derived, transition_trigger
from smz.registry.models import (
    Employment,
    FaceEnrollment,
    KeyPost,
    KeyPostChange,
    Project,
    ProjectPause,
    Worker,
)
from smz.registry.scoping import can_maintain_roster
from smz.registry.services import (
    WorkerData,
    key_post_assign,
    worker_data_errors,
    worker_for_document,
)
from smz.registry.signals import face_changed_announce, obligations_changed_announce

# 窗口人脸采集 quality (R5, 附件1): the photo every site's devices will match against.
ENROLL_MIN_SIDE = 480
ENROLL_MAX_BYTES = 8 * 1024 * 1024
RECOMPUTE_MAX_DAYS = 400


def obligations_changed(project: Project, since: dt.date | None) -> None:
    """Have the key-post days from `since` to today recomputed once the transaction commits (the attendance
    app listens: registry.signals.obligations_changed)."""
    today = timezone.localdate()
    if since is None or since > today:
        return
    first = max(since, today - dt.timedelta(days=RECOMPUTE_MAX_DAYS))
    obligations_changed_announce(project_id=project.pk, first=first, last=today)


def _locked(project: Project) -> Project:
    return Project.objects.select_for_update().get(pk=project.pk)


def project_status_on(project: Project, day: dt.date) -> str:
    """The status a project has on `day` (registry.lifecycle): an approved suspension counts from its start
    date, not its approval; the actual start, the completion notice and the staff stop from theirs."""
    paused = (
        ProjectPause.objects.filter(project=project, start_on__lte=day)
        .filter(Q(end_on__isnull=True) | Q(end_on__gte=day))
        .exists()
    )
    return status_derived(
        stored=project.status,
        actual_start=project.actual_start,
        completed_on=project.completed_on,
        staff_stop_on=project.staff_attendance_stop_on,
        paused=paused,
        day=day,
    )


def _status_follow(*, actor: Any, project: Project, day: dt.date) -> bool:
    """Set the stored status to the one in effect on `day` through the lifecycle's transition table; True
    when it changed (event written)."""
    status = project_status_on(project, day)
    if status == project.status:
        return False
    trigger = transition_trigger(project.status, status)
    if trigger is None:
        raise DomainError(
            RegistryErrorCode.PROJECT_TRANSITION,
            f"项目状态不能由“{Project.Status(project.status).label}”变为“{Project.Status(status).label}”",
        )
    old, project.status = project.status, status
    project.save(update_fields=["status", "updated_at"])
    event_record(
        actor=actor,
        kind=RegistryEventKind.PROJECT_STATUS_EFFECTIVE,
        subject=project,
        data={"from": old, "to": status, "day": day.isoformat(), "trigger": trigger},
    )
    return True


def project_statuses_refresh(*, day: dt.date | None = None) -> int:
    """Daily (after midnight): what took effect on `day` changes the stored status — suspensions and
    resumptions approved for a later day, an actual start, a completion notice or a staff stop dated then."""
    day = day or timezone.localdate()
    changed = 0
    candidates = (
        Project.objects.exclude(status=Project.Status.CLOSED)
        .filter(
            Q(pauses__isnull=False)
            | Q(actual_start__isnull=False, status=Project.Status.PENDING)
            | Q(completed_on__isnull=False)
            | Q(staff_attendance_stop_on__isnull=False)
        )
        .distinct()
        .values_list("pk", flat=True)
    )
    for pk in candidates:
        with transaction.atomic():
            project = Project.objects.select_for_update().get(pk=pk)
            changed += _status_follow(actor=None, project=project, day=day)
    return changed


def project_start_record(
    *, actor: Any, project: Project, day: dt.date, basis: str, declared: bool = False
) -> bool:
    """The actual start (实际开工日期): the first day of valid attendance on the project (basis "考勤"), or
    a declaration (the builder's, or the bureau's for it). Attendance only ever moves it earlier and never
    overrides a declaration; a declaration replaces it. Never in the future. True when it changed."""
    today = timezone.localdate()
    if day > today:
        raise DomainError(
            RegistryErrorCode.PROJECT_START_INVALID,
            "实际开工日期不能晚于今天",
            {"fields": {"actual_start": "不能晚于今天"}},
        )
    with transaction.atomic():
        project = _locked(project)
        old = project.actual_start
        if old == day or (
            not declared and (project.actual_start_declared or (old is not None and old <= day))
        ):
            return False
        project.actual_start = day
        project.actual_start_declared = project.actual_start_declared or declared
        project.save(update_fields=["actual_start", "actual_start_declared", "updated_at"])
        event_record(
            actor=actor,
            kind=RegistryEventKind.PROJECT_STARTED,
            subject=project,
            data={
                "from": old.isoformat() if old else None,
                "to": day.isoformat(),
                "basis": basis,
                "declared": declared,
            },
        )
        _status_follow(actor=actor, project=project, day=today)
    return True


def project_start_change(
    *, actor: Any, project: Project, new_start: dt.date, basis: str
) -> Project:
    """WF1: the planned start (拟开工日期) moves; manager attendance (planned start + 10 days) moves with it."""
    with transaction.atomic():
        project = _locked(project)
        old = project.planned_start
        project.planned_start = new_start
        project.save(update_fields=["planned_start", "updated_at"])
        event_record(
            actor=actor,
            kind=RegistryEventKind.PROJECT_START_CHANGED,
            subject=project,
            data={
                "from": old.isoformat() if old else None,
                "to": new_start.isoformat(),
                "basis": basis,
            },
        )
        obligations_changed(project, min(d for d in (old, new_start) if d is not None))
    return project


def project_pause(*, actor: Any, project: Project, start_on: dt.date, ref: str) -> ProjectPause:
    """WF2: an approved suspension; obligations rest from `start_on`."""
    with transaction.atomic():
        project = _locked(project)
        if ProjectPause.objects.filter(project=project, end_on__isnull=True).exists():
            raise DomainError(RegistryErrorCode.PROJECT_ALREADY_PAUSED, "项目已处于停工状态")
        pause = ProjectPause.objects.create(project=project, start_on=start_on, suspension_ref=ref)
        event_record(
            actor=actor,
            kind=RegistryEventKind.PROJECT_SUSPENDED,
            subject=project,
            data={"start_on": start_on.isoformat(), "ref": ref},
        )
        # 停工 from its start date: until then the site works (project_statuses_refresh flips it that day).
        _status_follow(actor=actor, project=project, day=timezone.localdate())
        obligations_changed(project, start_on)
    return pause


def project_resume(*, actor: Any, project: Project, resume_on: dt.date, ref: str) -> ProjectPause:
    """WF3: an approved resumption; obligations restart on `resume_on`."""
    with transaction.atomic():
        project = _locked(project)
        pause = ProjectPause.objects.filter(project=project, end_on__isnull=True).first()
        if pause is None:
            raise DomainError(RegistryErrorCode.PROJECT_NOT_PAUSED, "项目未处于停工状态，无需复工")
        pause.end_on = max(pause.start_on, resume_on - dt.timedelta(days=1))
        pause.resumption_ref = ref
        pause.save(update_fields=["end_on", "resumption_ref"])
        event_record(
            actor=actor,
            kind=RegistryEventKind.PROJECT_RESUMED,
            subject=project,
            data={"resume_on": resume_on.isoformat(), "ref": ref},
        )
        _status_follow(actor=actor, project=project, day=timezone.localdate())
        obligations_changed(project, pause.start_on)
    return pause


def project_attendance_stop(
    *, actor: Any, project: Project, group: str, stop_on: dt.date, basis: str
) -> Project:
    """WF5: attendance ends from `stop_on` for the project manager ("pm") or everyone else ("staff").
    The first stop stands: a later notice does not move it."""
    field = {"pm": "pm_attendance_stop_on", "staff": "staff_attendance_stop_on"}[group]
    with transaction.atomic():
        project = _locked(project)
        if getattr(project, field) is not None:
            return project
        setattr(project, field, stop_on)
        project.save(update_fields=[field, "updated_at"])
        event_record(
            actor=actor,
            kind=RegistryEventKind.PROJECT_ATTENDANCE_STOPPED,
            subject=project,
            data={"group": group, "stop_on": stop_on.isoformat(), "basis": basis},
        )
        if group == "staff":  # 已停止考勤 from the stop day (WF5)
            _status_follow(actor=actor, project=project, day=timezone.localdate())
        obligations_changed(project, stop_on)
    return project


def project_completion_record(
    *, actor: Any, project: Project, completed_on: dt.date, basis: str
) -> Project:
    """The completion date comes from the quality center (notice 三(六)3)."""
    with transaction.atomic():
        project = _locked(project)
        project.completed_on = completed_on
        project.save(update_fields=["completed_on", "updated_at"])
        event_record(
            actor=actor,
            kind=RegistryEventKind.PROJECT_COMPLETED,
            subject=project,
            data={"completed_on": completed_on.isoformat(), "basis": basis},
        )
        # 竣工 from the notice's date (a later date takes effect that day: project_statuses_refresh).
        _status_follow(actor=actor, project=project, day=timezone.localdate())
    return project


def _enrolled(worker: Worker) -> bool:
    return FaceEnrollment.objects.filter(worker=worker).exists()


def key_post_change_record(
    *,
    actor: Any,
    key_post: KeyPost,
    new_worker: Worker,
    permit_ref: str,
    permit_approved_on: dt.date,
    source: str,
) -> KeyPostChange:
    """WF4: an approved permit change names a new holder. It takes effect at once when the new person's face
    is already enrolled at the window, otherwise on enrollment; meanwhile the original holder keeps attending."""
    if new_worker.pk == key_post.holder_id:
        raise DomainError(RegistryErrorCode.KEY_POST_SAME_HOLDER, "变更后的人员与现岗位人员相同")
    with transaction.atomic():
        KeyPost.objects.select_for_update().filter(pk=key_post.pk).first()
        pending = KeyPostChange.objects.filter(
            key_post=key_post, status=KeyPostChange.Status.AWAITING_FACE
        ).first()
        if pending is not None:
            # A newer permit change replaces one still waiting for a face.
            pending.status = KeyPostChange.Status.CANCELLED
            pending.save(update_fields=["status", "updated_at"])
        change = KeyPostChange.objects.create(
            key_post=key_post,
            old_worker_id=key_post.holder_id,
            new_worker=new_worker,
            permit_ref=permit_ref,
            permit_approved_on=permit_approved_on,
            source=source,
            recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        event_record(
            actor=actor,
            kind=RegistryEventKind.KEY_POST_CHANGE_RECORDED,
            subject=key_post,
            data={"change": change.pk, "new_worker": new_worker.pk, "permit_ref": permit_ref},
        )
        if _enrolled(new_worker):
            _change_apply(actor=actor, change=change, day=timezone.localdate())
    return change


def key_post_person(*, actor: Any, id_number: str, name: str) -> Worker:
    """The person a permit names for a post, found by ID number, or registered with what the permit
    carries (name and number; the rest is read from the ID card when he is enrolled). Existing people are
    never changed here."""
    data = WorkerData(id_card_type=Worker.ID_CARD, id_number=id_number, name=name)
    if errors := worker_data_errors(data):
        raise field_errors(errors)
    with transaction.atomic():
        worker, created = worker_for_document(data.id_card_type, data.id_number, lock=False)
        if not created:
            return worker
        worker.name, worker.gender, worker.birth_date = data.name, data.gender, data.birth_date
        worker.save()
        event_record(
            actor=actor,
            kind=RegistryEventKind.WORKER_REGISTERED,
            subject=worker,
            data={"basis": "施工许可"},
        )
    return worker


def _change_apply(*, actor: Any, change: KeyPostChange, day: dt.date) -> None:
    key_post = change.key_post
    key_post_assign(
        actor=actor,
        key_post=key_post,
        worker=change.new_worker,
        start_on=day,
        basis=f"施工许可变更 {change.permit_ref}"[:80],
    )
    # The new holder must be on the site's people list, or the gates will not let him through.
    if not Employment.objects.filter(
        project=key_post.project, worker=change.new_worker, status=Employment.Status.ACTIVE
    ).exists():
        employment = Employment.objects.create(
            project=key_post.project,
            worker=change.new_worker,
            employer=key_post.enterprise,
            work_type="900",
            work_role=Employment.Role.MANAGER,
            entry_on=day,
        )
        event_record(
            actor=actor,
            kind=RegistryEventKind.EMPLOYMENT_REGISTERED,
            subject=employment,
            data={"project": key_post.project_id, "worker": change.new_worker_id, "basis": "WF4"},
        )
    change.status = KeyPostChange.Status.EFFECTIVE
    change.effective_on = day
    change.save(update_fields=["status", "effective_on", "updated_at"])
    obligations_changed(key_post.project, day)


def _enrollment_photo(data: bytes) -> tuple[bytes, int, int]:
    """Decode, orient and re-encode as JPEG; refuse what is not a usable photo."""
    if not data:
        raise DomainError(
            RegistryErrorCode.ENROLL_EMPTY, "未收到照片", {"fields": {"photo": "请拍照或上传照片"}}
        )
    if len(data) > ENROLL_MAX_BYTES:
        raise DomainError(
            RegistryErrorCode.ENROLL_TOO_LARGE,
            "照片超过 8 MB",
            {"fields": {"photo": "照片过大"}},
            status=413,
        )
    try:
        with image_open(data, field="photo") as img:
            if img.format not in {"JPEG", "PNG"}:
                raise DomainError(
                    RegistryErrorCode.ENROLL_TYPE,
                    "照片须为 JPEG 或 PNG",
                    {"fields": {"photo": "格式不支持"}},
                )
            img = ImageOps.exif_transpose(img).convert("RGB")
            out = io.BytesIO()
            img.save(out, "JPEG", quality=92)
            return out.getvalue(), img.width, img.height
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise DomainError(
            RegistryErrorCode.ENROLL_TYPE, "照片无法识别", {"fields": {"photo": "不是有效的图片"}}
        ) from exc


def face_photo_checked(data: bytes) -> tuple[bytes, int, int, int]:
    """Decode, orient and check a face photo: short side ≥ 480 px, exactly one face."""
    jpeg, width, height = _enrollment_photo(data)
    if min(width, height) < ENROLL_MIN_SIDE:
        raise DomainError(
            RegistryErrorCode.ENROLL_RESOLUTION,
            f"照片分辨率不足：短边须不少于 {ENROLL_MIN_SIDE} 像素（当前 {width}×{height}）",
            {"fields": {"photo": "分辨率不足"}},
        )
    faces = faces_in_jpeg(jpeg)
    if faces != 1:
        raise DomainError(
            RegistryErrorCode.ENROLL_FACES,
            "照片中未检测到人脸" if faces == 0 else f"照片中检测到 {faces} 张人脸，须仅本人一人",
            {"fields": {"photo": "人脸检测未通过"}, "faces": faces},
        )
    return jpeg, width, height, faces


def site_face_capture(*, actor: Any, employment: Employment, data: bytes) -> Worker:
    """进场登记's live face (A2), taken at the site's entry desk with the same quality rules as the window."""
    if not can_maintain_roster(actor, employment.project, employment.employer_id):
        raise Forbidden("无权为该人员采集人脸")
    worker = employment.worker
    jpeg, width, height, _ = face_photo_checked(data)
    with transaction.atomic():
        worker.face_photo.save("face.jpg", ContentFile(jpeg), save=False)
        worker.save(update_fields=["face_photo", "updated_at"])
        event_record(
            actor=actor,
            kind=RegistryEventKind.WORKER_FACE_CAPTURED,
            subject=worker,
            data={"size": [width, height]},
        )
        face_changed_announce(actor=actor, worker_id=worker.pk, source="entry_desk")
    return worker


def face_enroll(*, actor: Any, worker: Worker, data: bytes, source: str) -> FaceEnrollment:
    """R5/WF4: a manager's face captured at the bureau's window. Quality: at least 480 px on the short side
    and exactly one face. The photo becomes the person's face on every site's devices (they pull people
    changed since their watermark), and permit changes waiting for this face take effect today."""
    jpeg, width, height, faces = face_photo_checked(data)
    with transaction.atomic():
        enrollment = FaceEnrollment(
            worker=worker,
            width=width,
            height=height,
            faces=faces,
            source=source,
            enrolled_by=actor,
        )
        enrollment.photo.save("face.jpg", ContentFile(jpeg), save=False)
        enrollment.save()
        worker.face_photo.save("face.jpg", ContentFile(jpeg), save=False)
        worker.save(update_fields=["face_photo", "updated_at"])
        event_record(
            actor=actor,
            kind=RegistryEventKind.WORKER_FACE_ENROLLED,
            subject=worker,
            data={"enrollment": enrollment.pk, "source": source, "size": [width, height]},
        )
        today = timezone.localdate()
        for change in KeyPostChange.objects.filter(
            new_worker=worker, status=KeyPostChange.Status.AWAITING_FACE
        ).select_related("key_post", "key_post__project"):
            _change_apply(actor=actor, change=change, day=today)
        # Device-direct terminals pull people changed since their watermark (the save above moved it);
        # ZKTeco terminals are sent him once this commits.
        face_changed_announce(actor=actor, worker_id=worker.pk, source="window")
    return enrollment
