"""The demo city's week of judgements (issue 13, "done when"): after `compliance_run --demo-week` proposed the
week's deductions, the town's approvers review some, confirm most and dismiss one, the responsible enterprise
appeals one confirmed deduction with a photo, and the town reverses it — all through the real services, so the
queue, the deduction and appeal pages, the credit page and the monthly report show the story."""

from __future__ import annotations

import io
from typing import Any

from PIL import Image, ImageDraw

from smz.accounts.models import Role, User
from smz.compliance.models import Deduction
from smz.compliance.selectors.review import APPEAL_ROLES
from smz.compliance.services.review import appeal_decide, appeal_file, deduction_act

# The town whose approvers play the story (the demo's 小榄 logins), and how many deductions they take.
TOWN_AUTHORITY = "小榄镇住房城乡建设部门"
REVIEWED = 5  # level-1 reviews; of these one is dismissed, the rest confirmed
APPEAL_TEXT = "该日项目负责人在岗，因考勤机故障未能打卡；附现场签到照片，请核查后撤销扣分。"
DISMISS_NOTE = "经核实该日为停电停工日，不予扣分。"
REVERSE_NOTE = "经核查现场签到记录与监理日志，当日在岗属实，撤销该扣分。"


def _png() -> bytes:
    """A small photo-like PNG (the appeal's attachment), made in memory."""
    image = Image.new("RGB", (160, 90), (235, 240, 245))
    ImageDraw.Draw(image).rectangle((10, 10, 150, 80), outline=(40, 90, 160), width=3)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _approver(authority_id: int, role: str) -> User | None:
    return (
        User.objects.filter(authority=authority_id, role=role, is_active=True)
        .order_by("pk")
        .first()
    )


def _appellant(enterprise_id: int) -> User | None:
    users = User.objects.filter(
        enterprise=enterprise_id, role__in=sorted(APPEAL_ROLES), is_active=True
    )
    return (
        users.filter(role=Role.LABOR_SPECIALIST).order_by("pk").first()
        or users.order_by("pk").first()
    )


def build_demo_compliance() -> dict[str, Any]:
    """Play the story on the proposed deductions of one town; {} when there is nothing to play it on."""
    proposed = Deduction.objects.filter(state=Deduction.State.PROPOSED, authority__isnull=False)
    town = proposed.filter(authority__name=TOWN_AUTHORITY)
    pool = town if town.exists() else proposed
    first = pool.order_by("pk").first()
    if first is None or first.authority_id is None:
        return {}
    level1 = _approver(first.authority_id, Role.APPROVER_L1)
    level2 = _approver(first.authority_id, Role.APPROVER_L2)
    if level1 is None or level2 is None:
        return {}
    appealable = set(
        User.objects.filter(role__in=sorted(APPEAL_ROLES), is_active=True, enterprise__isnull=False)
        .values_list("enterprise", flat=True)
        .distinct()
    )
    chosen = list(
        pool.filter(authority=first.authority_id)
        .select_related("violation__project", "enterprise")
        .order_by("violation__day", "pk")[: REVIEWED * 4]
    )
    # The appealed one belongs to an enterprise with a demo login; the rest in day order.
    target = next((d for d in chosen if d.enterprise_id in appealable), None)
    if target is None:
        return {}
    rest = [d for d in chosen if d.pk != target.pk][: REVIEWED - 1]
    batch = [target, *rest]
    for deduction in batch:
        deduction_act(
            actor=level1, deduction=deduction, action="review", note="证据齐全，转二级审定。"
        )
    dismissed = batch[-1] if len(batch) > 2 else None
    confirmed = [d for d in batch if d is not dismissed]
    for deduction in confirmed:
        deduction_act(actor=level2, deduction=deduction, action="confirm", note="确认扣分。")
    if dismissed is not None:
        deduction_act(actor=level2, deduction=dismissed, action="dismiss", note=DISMISS_NOTE)
    appellant = _appellant(target.enterprise_id)
    assert appellant is not None  # chosen above
    target.refresh_from_db()
    appeal = appeal_file(
        actor=appellant, deduction=target, text=APPEAL_TEXT, files=[(_png(), "现场签到照片.png")]
    )
    # Decided by the level-1 approver: the level-2 approver confirmed the deduction and may not judge its appeal.
    appeal_decide(actor=level1, appeal=appeal, reverse_it=True, decision=REVERSE_NOTE)
    return {
        "镇区审批部门": first.authority.name if first.authority else "",
        "一级审核": f"{len(batch)} 条（{level1.username}）",
        "二级确认扣分": f"{len(confirmed)} 条（{level2.username}）",
        "不予扣分": f"{1 if dismissed else 0} 条",
        "企业申诉": f"{target.enterprise.name}（{appellant.username}）申诉 1 条，已撤销扣分 {target.points.normalize():f} 分",
    }
