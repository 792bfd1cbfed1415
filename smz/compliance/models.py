"""Compliance (C1–C6, X6, N4): the deduction table 附件6 (不良行为扣分标准) as versioned data, and the dates that
decide which obligations a project has on a day (试运行期, the 2020-02-01 regimes, the old integrity system).

A rule (`DeductionRule`) is only a stable code; everything that can change — points, caps, who answers for it,
the evidence it needs, when it applies — lives in its versions (`DeductionRuleVersion`), which are append-only:
a change is a new version with its author and reason, so a deduction keeps pointing at the version it was judged
by. The initial table is shipped in smz/compliance/data/deductions_v1.json (docs/compliance/deductions.md is
generated from the same file).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from smz.core.files import private_name
from smz.core.models import AppendOnlyModel
from smz.registry.models import Project


class Obligation(models.TextChoices):
    """What a project must do, per regime; each rule checks one of them."""

    MANAGER_ATTENDANCE = "manager_attendance", "现场管理人员考勤"
    LABOR_REAL_NAME = "labor_real_name", "劳务人员实名制"
    ATTENDANCE = "attendance", "考勤记录"
    DOCKING = "docking", "平台数据对接"
    DEVICES = "devices", "考勤设备与抓拍"
    WAGES = "wages", "工资支付"
    START_DATE = "start_date", "开工日期申报与变更"
    VIDEO = "video", "视频监控"


class Responsible(models.TextChoices):
    """Who a violation of the rule is charged to (C6); resolved from the violation's evidence."""

    GC = "gc", "施工总承包企业"
    EMPLOYER = "employer", "用人单位（专业分包/劳务分包；总包自有人员为施工总承包企业）"
    POST_OWNER = "post_owner", "岗位所属企业（施工总承包企业或监理企业）"
    SUPERVISION = "supervision", "监理企业"
    BUILDER = "builder", "建设单位"


class Evidence(models.TextChoices):
    """Kinds of record a violation must link to (N4: every deduction traceable to its data)."""

    KEY_POST_DAY = "key_post_day", "关键岗位考勤日结"
    KEY_POST = "key_post", "现场管理岗位及在岗人员"
    KEY_POST_CHANGE = "key_post_change", "岗位人员变更记录"
    PASS = "pass", "通行记录及抓拍照片"
    DEVICE = "device", "考勤设备（含定位、心跳）"
    SITE_BOUNDARY = "site_boundary", "项目红线（电子围栏）"
    DOCKING = "docking", "对接记录（最近心跳与数据时间）"
    EMPLOYMENT = "employment", "项目人员登记"
    CONTRACT = "contract", "劳动合同"
    TRAINING = "training", "安全培训记录"
    PAYROLL = "payroll", "工资表"
    APPROVAL = "approval", "审批申请及材料"
    CAMERA = "camera", "视频监控点"


class Phase(models.Model):
    """实施阶段: 试运行期 (computed, never deducted) and 正式实施 (notice 四（四）). Loaded from the data file."""

    code = models.CharField("编码", max_length=20, unique=True)
    name = models.CharField("名称", max_length=40)
    starts_on = models.DateField("开始日期")
    ends_on = models.DateField("结束日期", null=True, blank=True)
    deducts = models.BooleanField("扣分", default=True)
    basis = models.CharField("依据", max_length=200, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "实施阶段"
        ordering = ["starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                name="phase_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Regime(models.Model):
    """适用制度: which obligations a class of project has (notice 四（一）–（三）); the first match by rank wins."""

    code = models.CharField("编码", max_length=20, unique=True)
    name = models.CharField("名称", max_length=60)
    rank = models.PositiveSmallIntegerField("匹配顺序")
    legacy_system = models.BooleanField("原诚信管理系统考勤项目", default=False)
    permit_from = models.DateField("施工许可发证日期不早于", null=True, blank=True)
    permit_before = models.DateField("施工许可发证日期早于", null=True, blank=True)
    dock_by = models.DateField("对接期限", null=True, blank=True)
    dock_before_start = models.BooleanField("开工前完成对接", default=False)
    obligations = models.JSONField("考核义务", default=list)
    basis = models.CharField("依据", max_length=300, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "适用制度"
        ordering = ["rank"]

    def __str__(self) -> str:
        return self.name


class LegacySystemProject(models.Model):
    """原诚信管理系统考勤项目 (notice 四（三）): attended on the old system before 2020-02-01 and keeps it to the
    end; this platform then judges only what the regime `old_system` lists."""

    project = models.OneToOneField(
        Project, on_delete=models.PROTECT, related_name="+", verbose_name="项目"
    )
    attended_since = models.DateField("原系统考勤起始日期")
    note = models.CharField("说明", max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "原诚信管理系统考勤项目"

    def __str__(self) -> str:
        return str(self.project_id)


class LegacyIntegrityRecord(models.Model):
    """原诚信管理系统扣分记录 (issue 13 item 3): a deduction the old system recorded for a project flagged as
    `LegacySystemProject`, imported from its Excel/CSV export (docs/compliance/legacy-import.md). The source
    reference (来源编号) identifies the record: a re-import of the same reference updates it, never duplicates."""

    project = models.ForeignKey(
        Project, on_delete=models.PROTECT, related_name="+", verbose_name="项目"
    )
    day = models.DateField("扣分日期")
    enterprise = models.ForeignKey(
        "registry.Enterprise", on_delete=models.PROTECT, related_name="+", verbose_name="企业"
    )
    item = models.CharField("扣分事项", max_length=300)
    points = models.DecimalField("扣分分值", max_digits=6, decimal_places=2)
    source_ref = models.CharField("来源编号", max_length=60)
    note = models.CharField("备注", max_length=200, blank=True)
    batch = models.CharField("导入批次", max_length=32)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    imported_at = models.DateTimeField("导入时间")

    class Meta:
        verbose_name = verbose_name_plural = "原诚信管理系统扣分记录"
        ordering = ["-day", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "source_ref"], name="legacy_record_source_unique"
            )
        ]
        indexes = [models.Index(fields=["enterprise", "day"], name="legacy_record_ent_day")]

    def __str__(self) -> str:
        return self.source_ref


class DeductionRule(models.Model):
    """扣分规则: a stable code (e.g. C-KP-ABSENT) and the obligation it checks; its content is in its versions."""

    code = models.CharField("规则编码", max_length=40, unique=True)
    obligation = models.CharField("考核义务", max_length=24, choices=Obligation.choices)
    sort = models.PositiveIntegerField("排序", default=0)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "扣分规则"
        ordering = ["sort", "code"]

    def __str__(self) -> str:
        return self.code


class DeductionRuleVersion(AppendOnlyModel):
    """扣分规则版本: what the rule says from `effective_from` (to `effective_to`). Never changed once written;
    on a day the newest version (highest number) whose period covers the day applies."""

    rule = models.ForeignKey(DeductionRule, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField("版本号")
    title = models.CharField("名称", max_length=60)
    checks = models.TextField("检查内容")
    points = models.DecimalField("扣分", max_digits=5, decimal_places=1)
    unit = models.CharField("计分单位", max_length=30)
    per_day_cap = models.DecimalField(
        "每日上限", max_digits=5, decimal_places=1, null=True, blank=True
    )
    per_month_cap = models.DecimalField(
        "每月上限", max_digits=5, decimal_places=1, null=True, blank=True
    )
    responsible = models.CharField("责任主体", max_length=16, choices=Responsible.choices)
    evidence = models.JSONField("所需证据", default=list)
    params = models.JSONField("参数", default=dict, blank=True)
    enabled = models.BooleanField("启用", default=True)
    effective_from = models.DateField("生效日期")
    effective_to = models.DateField("失效日期", null=True, blank=True)
    basis = models.CharField("依据", max_length=300, blank=True)
    note = models.CharField("说明", max_length=300, blank=True)
    reason = models.CharField("变更原因", max_length=500)
    source = models.CharField("来源", max_length=40)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="变更人",
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "扣分规则版本"
        ordering = ["rule", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "number"], name="rule_version_unique"),
            models.CheckConstraint(condition=Q(points__gte=0), name="rule_version_points_nonneg"),
            models.CheckConstraint(
                condition=Q(per_day_cap__isnull=True) | Q(per_day_cap__gte=0),
                name="rule_version_day_cap_nonneg",
            ),
            models.CheckConstraint(
                condition=Q(per_month_cap__isnull=True) | Q(per_month_cap__gte=0),
                name="rule_version_month_cap_nonneg",
            ),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gte=F("effective_from")),
                name="rule_version_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id} v{self.number}"

    @property
    def evidence_labels(self) -> list[str]:
        return [Evidence(e).label if e in Evidence.values else e for e in self.evidence]


# ---- judgements: violations found by the daily run, the deductions proposed from them, their review and appeals


class Violation(models.Model):
    """违规事实: one rule broken on one project-day by one subject (a post, a person, a device, a payroll...),
    with the evidence that shows it. Written by the daily run (`compliance_run`), idempotently: a re-run of a day
    finds the same violations (unique on project, day, rule, subject) and updates their evidence, never doubles
    them. `counted` is False when the day is judged but not deducted (试运行期, a cap reached, the project's
    regime not carrying the rule's obligation), with the reason. See smz/compliance/services/engine.py."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="violations")
    day = models.DateField("日期", db_index=True)
    rule = models.ForeignKey(DeductionRule, on_delete=models.PROTECT, related_name="violations")
    rule_version = models.ForeignKey(
        DeductionRuleVersion, on_delete=models.PROTECT, related_name="violations"
    )
    subject = models.CharField("对象", max_length=80)  # e.g. "post:pm", "worker:123", "device:45"
    responsible = models.CharField("责任主体", max_length=16, choices=Responsible.choices)
    enterprise = models.ForeignKey(
        "registry.Enterprise",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="violations",
        verbose_name="责任企业",
    )
    points = models.DecimalField("拟扣分", max_digits=5, decimal_places=1)
    counted = models.BooleanField("计入扣分", default=True)
    not_counted_reason = models.CharField("不计分原因", max_length=120, blank=True)
    evidence = models.JSONField(
        "证据", default=dict
    )  # {"kind": [ids...], "text": "..."}: linkable records
    found_at = models.DateTimeField("发现时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "违规事实"
        ordering = ["-day", "project", "rule"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "day", "rule", "subject"], name="violation_unique"
            ),
            models.CheckConstraint(condition=Q(points__gte=0), name="violation_points_nonneg"),
        ]
        indexes = [models.Index(fields=["enterprise", "day"])]

    def __str__(self) -> str:
        return f"{self.rule_id}@{self.project_id}/{self.day}"


class Deduction(models.Model):
    """扣分: proposed from a counted violation, reviewed by the jurisdiction's approvers in two levels, then
    confirmed (notice to the enterprise, appeal window opens) or dismissed. Never deleted: an appeal that wins
    or a correction is a new `DeductionReversal`, and the credit score follows."""

    class State(models.TextChoices):
        PROPOSED = "proposed", "待一级审核"
        REVIEWED = "reviewed", "待二级审定"
        CONFIRMED = "confirmed", "已确认"
        DISMISSED = "dismissed", "不予扣分"

    violation = models.OneToOneField(Violation, on_delete=models.PROTECT, related_name="deduction")
    enterprise = models.ForeignKey(
        "registry.Enterprise", on_delete=models.PROTECT, related_name="deductions"
    )
    points = models.DecimalField("扣分", max_digits=5, decimal_places=1)
    state = models.CharField(
        "状态", max_length=12, choices=State.choices, default=State.PROPOSED, db_index=True
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField("审核意见", max_length=500, blank=True)
    # Routed on proposal (smz.registry.selectors.approving_authority): its approvers review (issue 13 item 4).
    authority = models.ForeignKey(
        "registry.Authority",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="审核部门",
    )
    decision_note = models.CharField("审定意见", max_length=500, blank=True)
    appeal_until = models.DateField("申诉截止", null=True, blank=True)
    created_at = models.DateTimeField("生成时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "扣分"
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(points__gte=0), name="deduction_points_nonneg")
        ]

    def __str__(self) -> str:
        return f"{self.points} @ {self.enterprise_id}"


class DeductionReversal(AppendOnlyModel):
    """撤销扣分: a confirmed deduction set aside (an appeal won, or a correction), as a new record."""

    deduction = models.OneToOneField(Deduction, on_delete=models.PROTECT, related_name="reversal")
    reason = models.CharField("撤销原因", max_length=500)
    appeal = models.ForeignKey(
        "Appeal", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("撤销时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "撤销扣分"


class Appeal(models.Model):
    """申诉 (N4): the enterprise contests a confirmed deduction within its window, with attachments; the
    jurisdiction upholds or reverses it (a reversal is a `DeductionReversal`)."""

    class State(models.TextChoices):
        FILED = "filed", "待处理"
        UPHELD = "upheld", "维持扣分"
        REVERSED = "reversed", "撤销扣分"

    deduction = models.ForeignKey(Deduction, on_delete=models.PROTECT, related_name="appeals")
    enterprise = models.ForeignKey(
        "registry.Enterprise", on_delete=models.PROTECT, related_name="appeals"
    )
    text = models.TextField("申诉理由")
    state = models.CharField(
        "状态", max_length=10, choices=State.choices, default=State.FILED, db_index=True
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    filed_at = models.DateTimeField("申诉时间", auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision = models.TextField("处理意见", blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "申诉"
        ordering = ["-filed_at"]


def appeal_upload(instance: models.Model, filename: str) -> str:
    return private_name("appeal", filename, default_suffix=".bin")


class AppealAttachment(models.Model):
    """申诉材料: a scan or photo the enterprise files with its appeal (private storage, never replaced)."""

    appeal = models.ForeignKey(Appeal, on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField(upload_to=appeal_upload)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    original_name = models.CharField("原文件名", max_length=120)
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = verbose_name_plural = "申诉材料"
        ordering = ["appeal", "uploaded_at"]
