"""Site devices (D1–D5): face gates, ID-card readers and tablets registered to one project and entrance.
The entrances themselves (V1: a camera at every personnel entrance) are records of the site here too."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from smz.core.fields import EncryptedTextField
from smz.core.models import TimeStampedModel
from smz.devices.geo import point_in_polygon

ONLINE_WITHIN_SECONDS = 120


class Entrance(TimeStampedModel):
    """出入口: a way onto the site. Gates, ID readers and cameras (smz.video) are assigned to one; a personnel
    entrance in use must have an online camera (V1). Closed entrances keep their history but are not judged."""

    class Kind(models.TextChoices):
        PERSONNEL = "personnel", "人员出入口"
        VEHICLE = "vehicle", "车辆出入口"

    class Status(models.TextChoices):
        OPEN = "open", "使用中"
        CLOSED = "closed", "已关闭"

    project = models.ForeignKey(
        "registry.Project", on_delete=models.PROTECT, related_name="entrances"
    )
    name = models.CharField("名称", max_length=60)
    kind = models.CharField("类型", max_length=10, choices=Kind.choices, default=Kind.PERSONNEL)
    position = models.CharField("位置说明", max_length=120, blank=True)
    lng = models.DecimalField("经度", max_digits=10, decimal_places=6, null=True, blank=True)
    lat = models.DecimalField("纬度", max_digits=10, decimal_places=6, null=True, blank=True)
    status = models.CharField("状态", max_length=8, choices=Status.choices, default=Status.OPEN)
    closed_at = models.DateTimeField("关闭时间", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = verbose_name_plural = "出入口"
        ordering = ["project", "name"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="entrance_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Device(TimeStampedModel):
    """考勤设备. Identified by its serial; the HMAC secret is stored encrypted and shown once."""

    class Kind(models.TextChoices):
        FACE_GATE = "face_gate", "人脸闸机"
        ID_READER = "id_reader", "身份证阅读器"
        TABLET = "tablet", "移动平板"
        # Not a device on site: the passes a contractor's own system docks (附件8 WorkerAttendance.Add) come
        # through the one ingest path under one virtual device per project (smz.docking.services.devices).
        PLATFORM = "platform", "平台对接（虚拟设备）"

    class Protocol(models.TextChoices):
        DIRECT_V1 = "direct_v1", "设备直连 v1（附件7）"
        ZKTECO_PUSH = "zkteco_push", "ZKTeco PUSH (iclock)"
        DOCKING = "docking_v1", "平台对接（附件8）"

    class Direction(models.TextChoices):
        IN = "in", "进"
        OUT = "out", "出"
        BOTH = "both", "进出"

    class Status(models.TextChoices):
        ACTIVE = "active", "在用"
        RETIRED = "retired", "已停用"

    project = models.ForeignKey(
        "registry.Project", on_delete=models.PROTECT, related_name="devices"
    )
    serial = models.CharField("设备序列号", max_length=64, unique=True)
    kind = models.CharField("类型", max_length=12, choices=Kind.choices)
    vendor = models.CharField("厂商", max_length=60, blank=True)
    model_name = models.CharField("型号", max_length=60, blank=True)
    protocol = models.CharField("协议", max_length=12, choices=Protocol.choices)
    # Null for the platform's virtual docking devices and for tablets that punch anywhere on the site.
    entrance = models.ForeignKey(
        Entrance,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="devices",
        verbose_name="出入口",
    )
    direction = models.CharField(
        "方向", max_length=4, choices=Direction.choices, default=Direction.BOTH
    )
    lng = models.DecimalField("经度", max_digits=10, decimal_places=6, null=True, blank=True)
    lat = models.DecimalField("纬度", max_digits=10, decimal_places=6, null=True, blank=True)
    utc_offset_minutes = models.SmallIntegerField("设备时区(分钟)", default=480)
    secret = EncryptedTextField("签名密钥")
    status = models.CharField("状态", max_length=8, choices=Status.choices, default=Status.ACTIVE)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    retired_at = models.DateTimeField("停用时间", null=True, blank=True)
    # Health, updated by the protocol endpoints.
    firmware = models.CharField("固件版本", max_length=60, blank=True)
    last_heartbeat_at = models.DateTimeField("最后心跳", null=True, blank=True)
    last_upload_at = models.DateTimeField("最后上传", null=True, blank=True)
    clock_offset_ms = models.IntegerField("时钟偏差(毫秒)", null=True, blank=True)
    people_cursor = models.CharField("人员同步游标", max_length=64, blank=True)
    # ZKTeco PUSH: the last upload stamp per table ({"ATTLOG": "..."}), echoed in the handshake so the device resumes.
    push_stamps = models.JSONField("PUSH上传戳", default=dict, blank=True)
    # ZKTeco PUSH names a terminal by its serial alone: it is bound to the address it first came from
    # (issue 10 item 3); a terminal calling from elsewhere gets nothing until the site admin re-binds it.
    bound_address = models.GenericIPAddressField("绑定地址", null=True, blank=True)
    bound_at = models.DateTimeField("绑定时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "考勤设备"
        # No join in the default order: device rows are locked with select_for_update.
        ordering = ["project", "serial"]

    def __str__(self) -> str:
        return f"{self.serial} ({self.entrance or '无固定出入口'})"


class DeviceCommand(models.Model):
    """A command queued for a device; delivered on its next heartbeat/poll, acknowledged by id."""

    class Kind(models.TextChoices):
        SYNC_PEOPLE = "sync_people", "同步人员"
        REMOVE_PERSON = "remove_person", "删除人员"
        REUPLOAD = "reupload", "重传时段记录"
        SET_TIME = "set_time", "校时"
        REBOOT = "reboot", "重启"

    class Status(models.TextChoices):
        PENDING = "pending", "待下发"
        SENT = "sent", "已下发"
        DONE = "done", "已执行"
        FAILED = "failed", "执行失败"

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="commands")
    kind = models.CharField("命令", max_length=16, choices=Kind.choices)
    payload = models.JSONField("参数", default=dict, blank=True)
    status = models.CharField("状态", max_length=8, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    acked_at = models.DateTimeField(null=True, blank=True)
    result = models.CharField("结果", max_length=200, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "设备命令"
        ordering = ["device", "pk"]
        indexes = [models.Index(fields=["device", "status"])]

    def __str__(self) -> str:
        return f"{self.device_id}:{self.pk} {self.kind}"


class DeviceCommandLine(models.Model):
    """One line of a command as sent (`C:<pk>:<text>`): a long people sync is many lines, each answered
    on its own in devicecmd, so a failed line is told apart. `summary` is the line up to its first tab
    (verb and PIN, never a name or a face)."""

    class Status(models.TextChoices):
        SENT = "sent", "已下发"
        DONE = "done", "已执行"
        FAILED = "failed", "执行失败"

    command = models.ForeignKey(DeviceCommand, on_delete=models.CASCADE, related_name="lines")
    summary = models.CharField("摘要", max_length=80)
    status = models.CharField("状态", max_length=8, choices=Status.choices, default=Status.SENT)
    return_code = models.IntegerField("返回码", null=True, blank=True)
    acked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "设备命令行"
        ordering = ["command", "pk"]
        indexes = [models.Index(fields=["command", "status"])]

    def __str__(self) -> str:
        return f"{self.command_id}/{self.pk} {self.summary}"


class TerminalNetwork(models.Model):
    """终端地址白名单: the addresses (CIDRs) a project's ZKTeco terminals may connect from, e.g. the
    private 4G APN's range. Empty or absent: first-seen address pinning alone."""

    project = models.OneToOneField(
        "registry.Project", on_delete=models.CASCADE, related_name="terminal_network"
    )
    cidrs = models.JSONField("允许的地址段", default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = verbose_name_plural = "终端地址白名单"


class DeviceNonce(models.Model):
    """Nonces seen within the signature window; a second use is a replay and is refused."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="+")
    nonce = models.CharField(max_length=64)
    seen_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["device", "nonce"], name="device_nonce_unique")
        ]


class DeviceRejection(models.Model):
    """Refused requests and records, for the device health page (no personal data kept)."""

    device = models.ForeignKey(
        Device, null=True, blank=True, on_delete=models.CASCADE, related_name="rejections"
    )
    serial = models.CharField(max_length=64)
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    code = models.CharField(max_length=64)
    detail = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [models.Index(fields=["device", "at"])]
        constraints = [models.CheckConstraint(condition=~Q(code=""), name="rejection_has_code")]


class ZKTecoPhoto(models.Model):
    """考勤抓拍 held until its ATTLOG line arrives: ZKTeco sends the snapshot and the punch as separate requests."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="+")
    pin = models.CharField(max_length=32)
    taken_at = models.CharField(max_length=14)  # device-local YYYYmmddHHMMSS, as in the file name
    jpeg = models.BinaryField()
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["device", "pin", "taken_at"], name="zkteco_photo_unique"
            )
        ]


class SiteBoundary(models.Model):
    """施工现场范围: the project's site polygon, [[lng, lat], ...] (WGS-84/GCJ-02 as the devices report)."""

    project = models.OneToOneField(
        "registry.Project", on_delete=models.CASCADE, related_name="site_boundary"
    )
    polygon = models.JSONField("边界坐标")
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = verbose_name_plural = "施工现场范围"

    def contains(self, lng: float, lat: float) -> bool:
        return point_in_polygon(lng, lat, self.polygon)
