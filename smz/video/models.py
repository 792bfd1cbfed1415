"""Video (V1, V2, 附件2): cameras at the site's entrances, on GB/T 28181, and when each was online.

A camera registers either directly to smz's own SIP server (source `sip`, smz/video/sip/) or to the city's video
platform, whose HTTP API an adapter reads (source `platform`, smz/video/platforms/). Either way its online state is
kept as intervals (CameraOnlineInterval), so a day's coverage of each entrance can be judged (V1)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from smz.core.fields import EncryptedTextField
from smz.core.models import TimeStampedModel


class VideoPlatform(TimeStampedModel):
    """市视频监控平台: a GB/T 28181 platform the city runs, read through its HTTP API by an adapter."""

    class Kind(models.TextChoices):
        WVP = "wvp", "WVP-GB28181-pro"
        SAMPLE = "sample", "演示样片（无真实平台）"

    name = models.CharField("名称", max_length=60, unique=True)
    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    base_url = models.URLField("接口地址", blank=True)
    username = models.CharField("账号", max_length=60, blank=True)
    password = EncryptedTextField("密码", blank=True)
    enabled = models.BooleanField("启用", default=True)
    last_polled_at = models.DateTimeField("最近同步", null=True, blank=True)
    last_error = models.CharField("最近错误", max_length=200, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "视频平台"

    def __str__(self) -> str:
        return self.name


class ProjectVideo(models.Model):
    """A site's GB/T 28181 registration password (digest auth, one per site, 附件2 §5), stored encrypted."""

    project = models.OneToOneField(
        "registry.Project", on_delete=models.CASCADE, related_name="video"
    )
    sip_password = EncryptedTextField("SIP注册密码")
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = verbose_name_plural = "项目视频接入"


class Camera(TimeStampedModel):
    """视频监控点: a camera or a recorder (NVR/DVR) with its GB/T 28181 id; an NVR's channels are cameras
    whose `nvr` is the recorder. A recorder has no entrance; its channels do."""

    class Kind(models.TextChoices):
        CAMERA = "131", "摄像机"
        IPC = "132", "网络摄像机(IPC)"
        NVR = "118", "网络硬盘录像机(NVR)"
        DVR = "111", "数字硬盘录像机(DVR)"

    class Source(models.TextChoices):
        SIP = "sip", "直接注册本平台"
        PLATFORM = "platform", "经市视频平台"

    class Status(models.TextChoices):
        ACTIVE = "active", "在用"
        RETIRED = "retired", "已停用"

    project = models.ForeignKey(
        "registry.Project", on_delete=models.PROTECT, related_name="cameras"
    )
    entrance = models.ForeignKey(
        "devices.Entrance",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cameras",
        verbose_name="出入口",
    )
    nvr = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="channels",
        verbose_name="所属录像机",
    )
    gb_id = models.CharField("国标编码", max_length=20, unique=True)
    kind = models.CharField("类型", max_length=3, choices=Kind.choices)
    name = models.CharField("名称", max_length=60)
    maker = models.CharField("厂商", max_length=60, blank=True)
    model_name = models.CharField("型号", max_length=60, blank=True)
    firmware = models.CharField("固件版本", max_length=60, blank=True)
    source = models.CharField("接入方式", max_length=10, choices=Source.choices, default=Source.SIP)
    platform = models.ForeignKey(
        VideoPlatform, null=True, blank=True, on_delete=models.PROTECT, related_name="cameras"
    )
    # The id of the device the camera (or its recorder) registered to the platform with, as the platform's
    # list gave it at the last sync: the play call names device and channel (smz/video/platforms/).
    platform_device_id = models.CharField("平台设备编号", max_length=32, blank=True)
    status = models.CharField("状态", max_length=8, choices=Status.choices, default=Status.ACTIVE)
    retired_at = models.DateTimeField("停用时间", null=True, blank=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Live state, written by the SIP server or the platform adapter (services/status.py only).
    online = models.BooleanField("在线", default=False)
    last_keepalive_at = models.DateTimeField("最后保活", null=True, blank=True)
    registered_until = models.DateTimeField("注册有效期至", null=True, blank=True)
    sip_transport = models.CharField("信令传输", max_length=3, blank=True)
    sip_address = models.CharField("信令地址", max_length=64, blank=True)
    # A channel's own status as its recorder's Catalog reports it (ON/OFF); empty for a camera.
    catalog_status = models.CharField("目录状态", max_length=3, blank=True)
    catalog_at = models.DateTimeField("目录时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "视频监控点"
        ordering = ["project", "gb_id"]
        indexes = [models.Index(fields=["status", "online"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.gb_id})"

    @property
    def is_recorder(self) -> bool:
        return self.kind in (self.Kind.NVR, self.Kind.DVR)


class CameraOnlineInterval(models.Model):
    """One stretch of time a camera was online; `ended_at` is null while it still is. At most one open
    interval per camera (a database constraint), so a keepalive storm cannot double-count."""

    class EndReason(models.TextChoices):
        KEEPALIVE_TIMEOUT = "keepalive_timeout", "保活超时"
        UNREGISTERED = "unregistered", "注销"
        EXPIRED = "expired", "注册过期"
        CATALOG_OFF = "catalog_off", "目录状态离线"
        RECORDER_OFFLINE = "recorder_offline", "录像机离线"
        PLATFORM = "platform", "视频平台报离线"
        RETIRED = "retired", "停用"

    camera = models.ForeignKey(Camera, on_delete=models.CASCADE, related_name="intervals")
    started_at = models.DateTimeField("上线时间")
    ended_at = models.DateTimeField("离线时间", null=True, blank=True)
    end_reason = models.CharField("离线原因", max_length=20, choices=EndReason.choices, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "在线时段"
        ordering = ["camera", "started_at"]
        indexes = [models.Index(fields=["camera", "started_at"]), models.Index(fields=["ended_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["camera"],
                condition=Q(ended_at__isnull=True),
                name="camera_one_open_interval",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                name="camera_interval_ordered",
            ),
        ]


class SipRefusal(models.Model):
    """A SIP request the server refused (unknown id, wrong password, malformed, flood): for the camera page and
    the city's list. `gb_id` is the claimed id (no personal data); `detail` is short and never a body."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    gb_id = models.CharField(max_length=20, blank=True, db_index=True)
    address = models.CharField(max_length=64)
    code = models.CharField(max_length=40)
    detail = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "信令拒绝记录"
        constraints = [models.CheckConstraint(condition=~Q(code=""), name="sip_refusal_has_code")]
