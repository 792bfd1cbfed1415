"""The demo city's face identity (issue 15 "done when"), before `simulate_demo_week`: the window enrolls three
key-post managers' faces; the simulated week's passes are then checked by the background worker like any
others. The simulator's gates photograph everybody as the same public-domain face (the astronaut of
smz/attendance/fixtures/face.jpg), so:
- the first manager is enrolled with another person's face (a face of scikit-image's LFW subset): every pass of
  his week is somebody else's, and his post's days show 未到岗 with the reason;
- the second is enrolled with the astronaut's face: his passes match;
- the third is enrolled with the astronaut too: one face under two ID numbers, on the city's list.
Everything goes through the services (window enrollment, descriptors, checks), as the background worker would."""

from __future__ import annotations

import io

import numpy as np
from django.db.models import F
from PIL import Image
from skimage import data

from smz.accounts.models import Role, User
from smz.attendance.models import PassRecord
from smz.faceid.models import FaceDuplicate, IdentityCheck, IdentityReview
from smz.faceid.selectors import identity_check_authority_id
from smz.faceid.services import (
    face_embedding_compute,
    identity_check_decide,
    identity_checks_run,
)
from smz.registry.models import Employment, KeyPost, Project, Worker
from smz.registry.project_changes import face_enroll


def _jpeg(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.convert("RGB").save(buf, "JPEG", quality=90)
    return buf.getvalue()


def _astronaut(box: tuple[int, int, int, int]) -> bytes:
    return _jpeg(Image.fromarray(data.astronaut()).crop(box).resize((560, 560)))


def _somebody_else() -> bytes:
    face = (data.lfw_subset()[1] * 255).astype(np.uint8)
    return _jpeg(Image.fromarray(face).resize((520, 520), Image.Resampling.BICUBIC))


def _managers(count: int) -> list[tuple[int, int]]:
    """(worker, project) of key-post holders on site, one per project, in the order the simulator picks its
    projects (active, people on site, by id): their gates play them every day of the week."""
    found: list[tuple[int, int]] = []
    rows = (
        KeyPost.objects.filter(
            holder__isnull=False,
            project__status=Project.Status.ACTIVE,
            project__employments__worker=F("holder"),
            project__employments__status=Employment.Status.ACTIVE,
        )
        .order_by("project", "post", "pk")
        .values_list("holder", "project")
    )
    for worker_id, project_id in rows:
        if any(project_id == p or worker_id == w for w, p in found):
            continue
        found.append((worker_id, project_id))
        if len(found) == count:
            break
    return found


def build_demo_faceid() -> dict[str, object]:
    """Enroll, describe, and check the passes already stored (none before the simulated week: its background
    run checks them); {} (nothing written) when the city has no window clerk or no key-post holder on site."""
    clerk = User.objects.filter(role=Role.WINDOW_CLERK, is_active=True).order_by("pk").first()
    managers = _managers(3)
    if clerk is None or not managers:
        return {}
    faces = [_somebody_else(), _astronaut((80, 0, 380, 300)), _astronaut((60, 10, 420, 370))]
    for (worker_id, _project), face in zip(managers, faces, strict=False):
        face_enroll(
            actor=clerk, worker=Worker.objects.get(pk=worker_id), data=face, source="camera"
        )
        face_embedding_compute(worker_id=worker_id, source="window")
    for worker_id, project_id in managers:
        days = sorted(
            set(
                PassRecord.objects.filter(worker=worker_id, project=project_id).values_list(
                    "work_date", flat=True
                )
            )
        )
        identity_checks_run(project_id=project_id, keys=[(worker_id, d) for d in days])
    stand_in = managers[0][0]
    checks = IdentityCheck.objects.filter(worker=stand_in)
    return {
        "登记他人人脸的项目经理（演示代打卡）": Worker.objects.get(pk=stand_in).name,
        "已核验为非本人的通行": checks.filter(result=IdentityCheck.Result.NOT_SAME_PERSON).count(),
        "人脸重复登记": FaceDuplicate.objects.count(),
    }


def confirm_demo_stand_in() -> dict[str, object]:
    """The authority confirms one of the demo stand-in's "not the same person" results (issue 15's demo: the
    authority confirms it); {} when there is none to confirm or no approver of its authority."""
    undecided = IdentityCheck.objects.filter(
        result=IdentityCheck.Result.NOT_SAME_PERSON, basis=IdentityCheck.Basis.KEY_POST
    ).exclude(reviews__kind=IdentityReview.Kind.DECISION)
    check = undecided.order_by("work_date", "pk").first()
    if check is None:
        return {}
    approver = (
        User.objects.filter(
            role=Role.APPROVER_L1, authority=identity_check_authority_id(check), is_active=True
        )
        .order_by("pk")
        .first()
    )
    if approver is None:
        return {}
    identity_check_decide(
        actor=approver,
        check=check,
        overturn=False,
        note="抓拍人脸与登记的项目经理人脸明显不同，确认为他人代打卡。",
    )
    return {"已确认的代打卡核验": f"{check.work_date:%Y-%m-%d}，复核人 {approver}"}
