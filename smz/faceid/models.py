"""Face identity (issue 15; R5, A1, A3, WF4, N4): the platform itself checks that the person at the gate is the
person enrolled. `FaceEmbedding`: the descriptor of a person's face photo, encrypted like every personal datum,
one row per photo (a new photo adds a row, the old ones stay: a face replaced by another person's is evidence).
`IdentityCheck`: one pass's snapshot compared with the person's enrolled face, written once."""

from __future__ import annotations

from django.db import models

from smz.core.fields import EncryptedTextField
from smz.core.models import AppendOnlyModel


class FaceEmbedding(AppendOnlyModel):
    """人脸特征: the 128-number descriptor of one face photo of a person (smz.faceid.embedding). Computed on the
    background worker whenever the person's face photo changes (registry.signals.worker_face_changed)."""

    class Source(models.TextChoices):
        WINDOW = "window", "窗口人脸采集"
        ENTRY_DESK = "entry_desk", "进场登记现场采集"
        IDCARD = "idcard", "身份证阅读器现场人脸"
        DOCKING = "docking", "平台对接上传"
        OTHER = "", "其他"

    worker = models.ForeignKey("registry.Worker", on_delete=models.PROTECT, related_name="+")
    source = models.CharField("来源", max_length=12, choices=Source.choices, blank=True)
    photo = models.CharField("人脸照片文件", max_length=120)
    # base64 of 128 little-endian float32 (embedding.Embedding.encode), AES-GCM encrypted; "" = no usable face
    vector = EncryptedTextField("人脸特征", blank=True)
    usable = models.BooleanField("可用")
    no_face_reason = models.CharField("不可用原因", max_length=16, blank=True)
    model = models.CharField("模型版本", max_length=40)
    computed_at = models.DateTimeField("计算时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "人脸特征"
        indexes = [models.Index(fields=["worker", "-computed_at"], name="faceemb_worker_newest")]
        constraints = [
            # one descriptor per photo and model: two workers queued for the same new photo write it once
            models.UniqueConstraint(
                fields=["worker", "photo", "model"], name="faceembedding_one_per_photo"
            )
        ]

    def __str__(self) -> str:
        return f"{self.worker_id} {self.computed_at:%Y-%m-%d %H:%M}"


class IdentityCheck(AppendOnlyModel):
    """人脸身份核验: a pass's snapshot against the person's enrolled face, with the distance and the threshold
    in force when it was checked. Key-post holders' passes are all checked, labor passes by sampling, every
    contested pass too (`basis`). A key-post day whose only passes are `not_same_person` is not attended
    (attendance.validity's pass exclusion readers)."""

    class Result(models.TextChoices):
        MATCHED = "matched", "本人"
        NOT_SAME_PERSON = "not_same_person", "非本人"
        NO_USABLE_FACE = "no_usable_face", "抓拍照片无可用人脸"
        NO_ENROLLED_FACE = "no_enrolled_face", "无登记人脸"

    class Basis(models.TextChoices):
        KEY_POST = "key_post", "关键岗位人员"
        SAMPLE = "sample", "抽样"
        CONTEST = "contest", "申诉"

    pass_record = models.OneToOneField(
        "attendance.PassRecord",
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="identity_check",
        db_constraint=False,  # passes are partitioned on PostgreSQL (attendance.PassRecord)
    )
    worker = models.ForeignKey("registry.Worker", on_delete=models.PROTECT, related_name="+")
    project = models.ForeignKey("registry.Project", on_delete=models.PROTECT, related_name="+")
    work_date = models.DateField("考勤日期")
    basis = models.CharField("核验原因", max_length=8, choices=Basis.choices)
    result = models.CharField("结果", max_length=16, choices=Result.choices)
    enrolled = models.ForeignKey(
        FaceEmbedding, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    distance = models.FloatField("特征距离", null=True, blank=True)
    threshold = models.FloatField("判定阈值")
    model = models.CharField("模型版本", max_length=40)
    checked_at = models.DateTimeField("核验时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "人脸身份核验"
        indexes = [
            models.Index(fields=["project", "work_date"], name="idcheck_project_day"),
            models.Index(fields=["result", "work_date"], name="idcheck_result_day"),
        ]

    def __str__(self) -> str:
        return f"{self.pass_record_id}: {self.result}"


class FaceDuplicate(models.Model):
    """一脸多证 / 人脸被替换 (issue 15 item 3): one face enrolled under two people (two ID numbers), or one
    person's face changed to somebody else's. Found when a descriptor is computed; the city's or the area's
    authority clears or confirms it with a note, once. Never deleted."""

    class Kind(models.TextChoices):
        TWO_IDS = "two_ids", "同一人脸登记在两个证件号下"
        REPLACED = "replaced", "同一证件号的人脸换成了另一个人"

    class State(models.TextChoices):
        OPEN = "open", "待核查"
        CONFIRMED = "confirmed", "属实"
        CLEARED = "cleared", "已排除"

    kind = models.CharField("类型", max_length=8, choices=Kind.choices)
    # first: the descriptor already there; second: the new one whose computation found the pair
    first = models.ForeignKey(FaceEmbedding, on_delete=models.PROTECT, related_name="+")
    second = models.ForeignKey(FaceEmbedding, on_delete=models.PROTECT, related_name="+")
    first_worker = models.ForeignKey("registry.Worker", on_delete=models.PROTECT, related_name="+")
    second_worker = models.ForeignKey("registry.Worker", on_delete=models.PROTECT, related_name="+")
    distance = models.FloatField("特征距离")
    threshold = models.FloatField("判定阈值")
    found_at = models.DateTimeField("发现时间", auto_now_add=True)
    state = models.CharField("状态", max_length=10, choices=State.choices, default=State.OPEN)
    decided_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField("处理时间", null=True, blank=True)
    note = models.TextField("处理意见", blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "人脸重复登记"
        ordering = ["-found_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="faceduplicate_unique_pair")
        ]
        indexes = [models.Index(fields=["state", "-found_at"], name="facedup_state_found")]

    def __str__(self) -> str:
        return f"{self.kind} {self.first_worker_id}/{self.second_worker_id}"


class IdentityReview(AppendOnlyModel):
    """人脸核验复核 (issue 15 item 4, N4): on a `not_same_person` check, the pass's employer contests with a
    note (at most once), and an approver of the project's authority decides, once: the stand-in confirmed, or
    the result overturned (it was the person himself: the pass counts again and his days are recomputed).
    Rows are only ever added; the check itself is never changed or deleted."""

    class Kind(models.TextChoices):
        CONTEST = "contest", "企业申诉"
        DECISION = "decision", "主管部门复核"

    class Outcome(models.TextChoices):
        NONE = "", "—"
        CONFIRMED = "confirmed", "确认非本人"
        OVERTURNED = "overturned", "改判为本人"

    check_record = models.ForeignKey(
        IdentityCheck, on_delete=models.PROTECT, related_name="reviews"
    )
    kind = models.CharField("类型", max_length=8, choices=Kind.choices)
    outcome = models.CharField(
        "复核结论", max_length=10, choices=Outcome.choices, blank=True, default=""
    )
    note = models.TextField("说明")
    actor = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    # the contest's employer; the authority the check was routed to (registry.selectors.approving_authority)
    enterprise = models.ForeignKey(
        "registry.Enterprise", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    authority = models.ForeignKey("registry.Authority", on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "人脸核验复核"
        ordering = ["at", "pk"]
        constraints = [
            # one contest and one decision per check: "decided once" holds under concurrent posts too
            models.UniqueConstraint(fields=["check_record", "kind"], name="identityreview_once"),
            models.CheckConstraint(
                condition=models.Q(kind="contest", outcome="")
                | models.Q(kind="decision", outcome__in=["confirmed", "overturned"]),
                name="identityreview_outcome_of_decision",
            ),
        ]
        indexes = [models.Index(fields=["authority", "kind"], name="idreview_authority_kind")]

    def __str__(self) -> str:
        return f"{self.check_record_id}: {self.kind} {self.outcome}"
