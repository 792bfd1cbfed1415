"""Platform docking (平台对接, 附件8): vendor systems authorized per project, the calls they make, what arrived.

- `DockingApp`: one vendor system's credentials (app id + 32-character secret, stored encrypted, shown once). It acts
  through its own service account, a 劳资专管员 of the general contractor who cannot log in: the projects assigned to
  that account are the app's scope, so every write goes through the same services and scoping as a person's.
- `DockingNonce`: nonces seen in the clock window (a second use is a replay).
- `DockingRequest`: one asynchronous Add/Update call, kept with its (encrypted) data, its status (0 pending, 10
  failed, 20 done) and per-record result, answered by `AsyncHandleResult.Query`.
- `DockingReceipt`: the last data received per project and kind (the project's docking state).
- `DockingDelivery`: one webhook event POSTed to an app's callback URL (REST docking), with its attempts.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from smz.core.fields import EncryptedTextField


class DockingApp(models.Model):
    class Mode(models.TextChoices):
        SANDBOX = "sandbox", "沙箱"
        LIVE = "live", "正式"

    app_id = models.CharField("AppID", max_length=32, unique=True)
    name = models.CharField("系统名称", max_length=80)
    vendor = models.CharField("开发厂商", max_length=80, blank=True)
    enterprise = models.ForeignKey(
        "registry.Enterprise",
        on_delete=models.PROTECT,
        related_name="docking_apps",
        verbose_name="总承包单位",
    )
    mode = models.CharField("环境", max_length=8, choices=Mode.choices, default=Mode.LIVE)
    secret = EncryptedTextField("AppSecret")
    # The service account the app acts as; its assigned projects are the app's scope.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="docking_app"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="授权人"
    )
    created_at = models.DateTimeField("授权时间", auto_now_add=True)
    rotated_at = models.DateTimeField("密钥更换时间", null=True, blank=True)
    revoked_at = models.DateTimeField("撤销时间", null=True, blank=True)
    revoke_reason = models.CharField("撤销原因", max_length=200, blank=True)
    last_call_at = models.DateTimeField("最后调用", null=True, blank=True)
    # REST docking: where smz POSTs the app's webhook events (empty: none are sent).
    webhook_url = models.CharField("回调地址", max_length=300, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "对接应用"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.app_id})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class DockingNonce(models.Model):
    app = models.ForeignKey(DockingApp, on_delete=models.CASCADE, related_name="+")
    nonce = models.CharField(max_length=64)
    seen_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["app", "nonce"], name="docking_nonce_unique")
        ]


class DockingRequest(models.Model):
    class Status(models.IntegerChoices):
        PENDING = 0, "待处理"
        FAILED = 10, "处理失败"
        DONE = 20, "处理成功"

    serial = models.CharField("请求流水号", max_length=64, unique=True)
    app = models.ForeignKey(DockingApp, on_delete=models.PROTECT, related_name="requests")
    project = models.ForeignKey(
        "registry.Project", on_delete=models.PROTECT, related_name="docking_requests"
    )
    method = models.CharField("方法", max_length=40)
    # The request's data, sensitive fields already decrypted: personal data, so encrypted at rest.
    data = EncryptedTextField("数据")
    record_count = models.PositiveIntegerField("记录数", default=0)
    status = models.PositiveSmallIntegerField(
        "处理状态", choices=Status.choices, default=Status.PENDING
    )
    # Per-record outcome: [{"index": i, "code": ..., "message": ...}] for the refused ones, and what the
    # method issued (e.g. {"teamSysNo": 12}).
    result = models.JSONField("处理结果", default=dict, blank=True)
    accepted_count = models.PositiveIntegerField("成功记录数", default=0)
    failed_count = models.PositiveIntegerField("失败记录数", default=0)
    received_at = models.DateTimeField("接收时间", db_index=True)
    finished_at = models.DateTimeField("处理完成时间", null=True, blank=True)
    # REST docking: the client's Idempotency-Key and the SHA-256 of the method and body it came with (a replay
    # with the same key answers this request; with another body it is refused).
    idempotency_key = models.CharField("幂等键", max_length=64, blank=True)
    body_hash = models.CharField("请求摘要", max_length=64, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "对接请求"
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["status", "received_at"], name="docking_request_pending")]
        constraints = [
            models.UniqueConstraint(
                fields=["app", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="docking_request_idempotency",
            )
        ]

    def __str__(self) -> str:
        return self.serial


class DockingReceipt(models.Model):
    """What a project last received through docking, per kind of data (its docking state)."""

    class Kind(models.TextChoices):
        PARTICIPANT = "participant", "参建单位"
        TEAM = "team", "班组"
        WORKER = "worker", "项目人员"
        CONTRACT = "contract", "劳动合同"
        ENTRY_EXIT = "entry_exit", "进退场"
        ATTENDANCE = "attendance", "考勤"
        PAYROLL = "payroll", "工资单"
        TRAINING = "training", "培训"

    project = models.ForeignKey(
        "registry.Project", on_delete=models.CASCADE, related_name="docking_receipts"
    )
    kind = models.CharField("数据类型", max_length=16, choices=Kind.choices)
    first_at = models.DateTimeField("首次接收")
    last_at = models.DateTimeField("最后接收")
    records = models.PositiveBigIntegerField("累计记录数", default=0)
    last_app = models.ForeignKey(DockingApp, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = verbose_name_plural = "对接数据接收"
        constraints = [
            models.UniqueConstraint(fields=["project", "kind"], name="docking_receipt_unique")
        ]


class DockingDelivery(models.Model):
    """One webhook event for an app (回调投递): POSTed to its callback URL, retried with backoff, then failed."""

    class Status(models.TextChoices):
        PENDING = "pending", "待发送"
        DELIVERED = "delivered", "已送达"
        FAILED = "failed", "发送失败"

    delivery_id = models.CharField("投递编号", max_length=32, unique=True)
    app = models.ForeignKey(DockingApp, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField("事件", max_length=40)
    payload = models.JSONField("内容")
    request = models.ForeignKey(
        DockingRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField("已尝试次数", default=0)
    next_attempt_at = models.DateTimeField("下次尝试", null=True, blank=True)
    last_attempt_at = models.DateTimeField("最近尝试", null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField("最近状态码", null=True, blank=True)
    last_error = models.CharField("最近错误", max_length=200, blank=True)
    created_at = models.DateTimeField("产生时间", db_index=True)
    delivered_at = models.DateTimeField("送达时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "回调投递"
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="docking_delivery_due")]

    def __str__(self) -> str:
        return self.delivery_id


class UpstreamTarget(models.Model):
    """上报平台: a provincial or national platform that speaks the same protocol, to which smz pushes the city's
    records (upward reporting). Configured by the city administrator; the whole city's in-scope projects, or one
    project (a project registered upstream with credentials of its own)."""

    name = models.CharField("平台名称", max_length=80)
    url = models.URLField("接口地址", max_length=300)
    app_id = models.CharField("AppID", max_length=32)
    secret = EncryptedTextField("AppSecret")
    project = models.ForeignKey(
        "registry.Project",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="upstream_targets",
        verbose_name="项目（空表示全市）",
    )
    enabled = models.BooleanField("启用", default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="配置人"
    )
    created_at = models.DateTimeField("配置时间", auto_now_add=True)
    updated_at = models.DateTimeField("修改时间", auto_now=True)
    last_push_at = models.DateTimeField("最近推送", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "上报平台"
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class UpstreamUpload(models.Model):
    """One smz record's upload to one target (上报状态): pending → sending → done | failed.

    `sending` with no `serial` = handed to the upstream, answer not yet recorded (a crash leaves it so; after
    SENDING_TIMEOUT it is sent again, see services/upward.py); `sending` with a `serial` = accepted upstream,
    AsyncHandleResult not yet final (the uploads of one serial, in pk order, were its dataList). `prerequisite` is the upload that must be done first (the order rules:
    participant → team → worker → contract / entry-exit / attendance / payroll / training)."""

    class Kind(models.TextChoices):
        PARTICIPANT = "participant", "参建单位"
        TEAM = "team", "班组"
        WORKER = "worker", "项目人员"
        CONTRACT = "contract", "劳动合同"
        ENTRY_EXIT = "entry_exit", "进退场"
        ATTENDANCE = "attendance", "考勤"
        PAYROLL = "payroll", "工资单"
        TRAINING = "training", "培训"

    class State(models.TextChoices):
        PENDING = "pending", "待上传"
        SENDING = "sending", "上传中"
        DONE = "done", "上传成功"
        FAILED = "failed", "上传失败"

    target = models.ForeignKey(UpstreamTarget, on_delete=models.CASCADE, related_name="uploads")
    project = models.ForeignKey(
        "registry.Project", on_delete=models.CASCADE, related_name="upstream_uploads"
    )
    kind = models.CharField("数据类型", max_length=16, choices=Kind.choices)
    object_id = models.PositiveBigIntegerField("记录ID")
    # Distinguishes two uploads of one object: an employment's entry ("in") and exit ("out").
    part = models.CharField("子项", max_length=8, blank=True, default="")
    # The batch key: records sharing it go in one dataList (one team's workers, one payroll's lines).
    group = models.CharField("批次分组", max_length=40, blank=True, default="")
    prerequisite = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(
        "状态", max_length=8, choices=State.choices, default=State.PENDING, db_index=True
    )
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0)
    next_attempt_at = models.DateTimeField("下次尝试", null=True, blank=True)
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)
    serial = models.CharField("上级请求流水号", max_length=64, blank=True, default="")
    team_sys_no = models.CharField("上级班组编号", max_length=32, blank=True, default="")
    error = models.CharField("错误信息", max_length=300, blank=True, default="")
    created_at = models.DateTimeField("加入时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    done_at = models.DateTimeField("完成时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "上报记录"
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["target", "kind", "object_id", "part"], name="upstream_upload_unique"
            )
        ]
        indexes = [
            models.Index(fields=["target", "state", "kind"], name="upstream_upload_state"),
            models.Index(fields=["target", "serial"], name="upstream_upload_serial"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.object_id}{self.part and '/' + self.part}"
