"""Project workflows (WF1–WF5) on one approval engine: a request, its attachments, the city's other systems
that post notices in (permit system, quality center, safety center) and what they posted. Every step of a
request is an event in the one event log (core.Event, subject = the request).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from smz.core.fields import EncryptedTextField
from smz.core.files import private_name
from smz.core.models import TimeStampedModel


class RequestKind(models.TextChoices):
    START_CHANGE = "start_change", "变更开工日期"  # WF1, 附件3
    SUSPENSION = "suspension", "停工"  # WF2, 附件4
    RESUMPTION = "resumption", "复工"  # WF3, 附件5
    ATTENDANCE_STOP = "attendance_stop", "项目停止脸谱考勤"  # WF5 (before the safety center docked)


class State(models.TextChoices):
    DRAFT = "draft", "草稿"
    PENDING_L1 = "pending_l1", "待一级审核"
    PENDING_L2 = "pending_l2", "待二级审批"
    RETURNED = "returned", "退回修改"
    APPROVED = "approved", "已批准"
    REJECTED = "rejected", "不予批准"
    WITHDRAWN = "withdrawn", "已撤回"


OPEN_STATES = (State.DRAFT, State.PENDING_L1, State.PENDING_L2, State.RETURNED)
FINAL_STATES = (State.APPROVED, State.REJECTED, State.WITHDRAWN)


class ApprovalRequest(TimeStampedModel):
    """审批申请: one workflow request of a project, routed to the authority of its jurisdiction."""

    no = models.CharField("申请编号", max_length=20, unique=True)
    kind = models.CharField("申请类型", max_length=20, choices=RequestKind.choices)
    project = models.ForeignKey(
        "registry.Project", on_delete=models.PROTECT, related_name="approval_requests"
    )
    authority = models.ForeignKey(
        "registry.Authority",
        on_delete=models.PROTECT,
        related_name="approval_requests",
        verbose_name="审批部门",
    )
    state = models.CharField("状态", max_length=12, choices=State.choices, default=State.DRAFT)
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="approval_requests"
    )
    enterprise = models.ForeignKey(
        "registry.Enterprise", on_delete=models.PROTECT, related_name="+", verbose_name="申请单位"
    )
    requested_date = models.DateField("申请日期值", null=True, blank=True)
    reason = models.TextField("申请理由")
    contact_phone = EncryptedTextField("联系电话", max_length=20, blank=True)
    # Figures fixed when the request was made (e.g. the planned start and the permit's life at the time).
    facts = models.JSONField("申请时数据", default=dict, blank=True)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    waiting_since = models.DateTimeField("当前环节开始", null=True, blank=True)
    due_at = models.DateTimeField("当前环节期限", null=True, blank=True)
    reminded_at = models.DateTimeField("最近催办", null=True, blank=True)
    level1_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    level2_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField("办结时间", null=True, blank=True)
    effective_on = models.DateField("生效日期", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "审批申请"
        ordering = ["-created_at"]
        constraints = [
            # One open request of a kind per project: two open suspensions would contradict each other.
            models.UniqueConstraint(
                fields=["project", "kind"],
                condition=Q(state__in=["draft", "pending_l1", "pending_l2", "returned"]),
                name="one_open_request_per_kind",
            )
        ]
        indexes = [models.Index(fields=["authority", "state", "waiting_since"])]

    def __str__(self) -> str:
        return f"{self.no} {self.get_kind_display()}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


def attachment_upload(instance: models.Model, filename: str) -> str:
    return private_name("approval", filename, default_suffix=".bin")


class AttachmentKind(models.TextChoices):
    FORM_SCAN = "form_scan", "已盖章的纸质申请表扫描件"
    PHOTO_SHEET_SCAN = "photo_sheet_scan", "已盖章的现场照片扫描件"
    SAFETY_REPORT = "safety_report", "安全生产标准化评定报告扫描件"
    SITE_PHOTO = "site_photo", "现场照片（用于生成照片页）"
    OTHER = "other", "其他材料"


class Attachment(models.Model):
    """申请材料: an uploaded scan or photo. Replaced files stay (superseded), so every decision can be traced
    to the documents it was made on."""

    request = models.ForeignKey(
        ApprovalRequest, on_delete=models.PROTECT, related_name="attachments"
    )
    kind = models.CharField("材料类型", max_length=20, choices=AttachmentKind.choices)
    file = models.FileField(upload_to=attachment_upload)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    original_name = models.CharField("原文件名", max_length=120)
    # Photos: the capture time read from EXIF, or the upload time when there is none (WF6).
    taken_at = models.DateTimeField("拍摄时间", null=True, blank=True)
    time_source = models.CharField(max_length=8, blank=True)
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    superseded_at = models.DateTimeField("被替换时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "申请材料"
        ordering = ["request", "kind", "uploaded_at"]

    def __str__(self) -> str:
        return f"{self.request_id} {self.kind}"


class InboundSystem(TimeStampedModel):
    """The city's other systems that post to the platform (WF4, WF5, R2): each with its own signing secret."""

    class Kind(models.TextChoices):
        PERMIT = "permit", "施工许可系统"
        QUALITY = "quality", "市建设工程质量事务中心系统"
        SAFETY = "safety", "市建设工程安全事务中心系统"

    code = models.CharField("系统编码", max_length=32, unique=True)
    name = models.CharField("名称", max_length=80)
    kind = models.CharField("类型", max_length=12, choices=Kind.choices)
    secret = EncryptedTextField("签名密钥")
    docked_on = models.DateField("对接完成日期", null=True, blank=True)
    retired_at = models.DateTimeField("停用时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "对接系统"
        ordering = ["kind", "code"]

    def __str__(self) -> str:
        return self.name


class InboundMessage(models.Model):
    """One notice posted by another system, stored once per (system, message id) with the answer given,
    so a repeat gets the same answer and a changed repeat is refused."""

    system = models.ForeignKey(InboundSystem, on_delete=models.PROTECT, related_name="messages")
    message_id = models.CharField("报文编号", max_length=64)
    kind = models.CharField("报文类型", max_length=24)
    digest = models.CharField(max_length=64)
    payload = models.JSONField()
    answer = models.JSONField()
    received_at = models.DateTimeField("接收时间", auto_now_add=True)

    # Set for the page by inbound.selectors.inbound_messages_recent_for, never stored.
    summary: str
    kind_label: str

    class Meta:
        verbose_name = verbose_name_plural = "对接报文"
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(fields=["system", "message_id"], name="inbound_message_once")
        ]

    def __str__(self) -> str:
        return f"{self.system_id}:{self.message_id}"


class InboundNonce(models.Model):
    """Nonces seen within the signature window (a second use is a replay)."""

    system = models.ForeignKey(InboundSystem, on_delete=models.CASCADE, related_name="+")
    nonce = models.CharField(max_length=64)
    seen_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["system", "nonce"], name="inbound_nonce_unique")
        ]
