"""Registry (R1–R4): jurisdictions, authorities, enterprises, projects, participants, teams, workers, employment,
key posts. Field names follow the national platform's interface (research/anchors.md §2b, §8) where one exists;
coded values reference `CodeItem` tables, loaded from smz/registry/data/codes.json.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from smz.core.fields import EncryptedTextField
from smz.core.files import private_name
from smz.core.models import AppendOnlyModel, TimeStampedModel
from smz.registry import identity

# S1: building works ≥ 5000 m², municipal works ≥ 10,000,000 yuan (inclusive) are in scope.
SCOPE_MIN_FLOOR_AREA_M2 = Decimal("5000")
SCOPE_MIN_COST_FEN = 10_000_000 * 100


class CodeItem(models.Model):
    """A row of a national code table (证件类型, 工种, 参建类型, 民族, ...)."""

    table = models.CharField("代码表", max_length=40)
    code = models.CharField("代码", max_length=10)
    name = models.CharField("名称", max_length=60)
    sort = models.PositiveIntegerField("排序", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "代码表"
        ordering = ["table", "sort", "code"]
        constraints = [models.UniqueConstraint(fields=["table", "code"], name="codeitem_unique")]

    def __str__(self) -> str:
        return f"{self.table}:{self.code} {self.name}"


class Jurisdiction(models.Model):
    """镇区 / 街道 of the city, with validity dates: towns merge, and a project keeps the one it had."""

    class Kind(models.TextChoices):
        SUBDISTRICT = "subdistrict", "街道"
        TOWN = "town", "镇"
        ZONE = "zone", "开发区/新区"

    code = models.CharField("行政区划代码", max_length=12, unique=True)
    name = models.CharField("名称", max_length=40)
    short_name = models.CharField("简称", max_length=20)
    kind = models.CharField("类型", max_length=12, choices=Kind.choices)
    is_urban = models.BooleanField(
        "城区", default=False, help_text="东区、石岐区、南区、西区由市安全事务中心审批"
    )
    valid_from = models.DateField("启用日期", default=dt.date(2019, 1, 1))
    valid_to = models.DateField("停用日期", null=True, blank=True)
    # A merged town (东升 → 小榄, 2021): its projects keep it, and from the day after `valid_to` they are routed
    # to and scoped for the successor's authorities (registry.selectors.jurisdiction_on).
    successor = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="predecessors",
        verbose_name="并入镇区",
    )

    class Meta:
        verbose_name = verbose_name_plural = "镇区"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.short_name

    def valid_on(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    def on(self, day: dt.date) -> Jurisdiction:
        """The jurisdiction that answers for this one's projects on `day`: itself, or (after a merge) the
        town it was merged into, followed to the end of the chain."""
        current, seen = self, {self.pk}
        while (
            current.valid_to is not None
            and day > current.valid_to
            and current.successor_id is not None
            and current.successor_id not in seen
        ):
            seen.add(current.successor_id)
            current = current.successor  # type: ignore[assignment]
        return current


class Authority(models.Model):
    """主管部门: the city's sections and centers, and each town's housing department."""

    class Kind(models.TextChoices):
        MARKET = "market", "市建筑市场监管科"
        SAFETY = "safety", "市建设工程安全事务中心"
        QUALITY = "quality", "市建设工程质量事务中心"
        TOWN = "town", "镇区住房城乡建设部门"

    name = models.CharField("名称", max_length=80, unique=True)
    kind = models.CharField("类型", max_length=12, choices=Kind.choices)
    jurisdictions = models.ManyToManyField(
        Jurisdiction, blank=True, related_name="authorities", verbose_name="负责镇区"
    )

    class Meta:
        verbose_name = verbose_name_plural = "主管部门"
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def city_wide(self) -> bool:
        """The market section and the quality center see the whole city; others only their jurisdictions."""
        return self.kind in {self.Kind.MARKET, self.Kind.QUALITY}


class Enterprise(TimeStampedModel):
    """企业 (Corp): identified by its 统一社会信用代码 (corpCode)."""

    corp_code = models.CharField("统一社会信用代码", max_length=18, unique=True)
    name = models.CharField("企业名称", max_length=120)
    reg_type = models.CharField("登记注册类型", max_length=4, blank=True)
    area_code = models.CharField("注册地行政区划", max_length=12, blank=True)
    legal_rep = models.CharField("法定代表人", max_length=40, blank=True)
    address = models.CharField("地址", max_length=200, blank=True)
    contact_phone = models.CharField("联系电话", max_length=20, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "企业"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Qualification(models.Model):
    """企业资质."""

    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.CASCADE, related_name="qualifications"
    )
    name = models.CharField("资质名称", max_length=80)
    grade = models.CharField("等级", max_length=20, blank=True)
    cert_no = models.CharField("证书编号", max_length=40)
    valid_to = models.DateField("有效期至", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "企业资质"

    def __str__(self) -> str:
        return f"{self.name}{self.grade}"


class Project(TimeStampedModel):
    """工程项目 (R2)."""

    class Kind(models.TextChoices):
        BUILDING = "building", "房屋建筑"
        MUNICIPAL = "municipal", "市政基础设施"

    class Status(models.TextChoices):
        PENDING = "pending", "待开工"
        ACTIVE = "active", "在建"
        SUSPENDED = "suspended", "停工"
        COMPLETED = "completed", "竣工"
        CLOSED = "closed", "已停止考勤"

    code = models.CharField("项目编码", max_length=20, unique=True)
    name = models.CharField("项目名称", max_length=120)
    permit_no = models.CharField("施工许可证号", max_length=40, blank=True)
    kind = models.CharField("工程类别", max_length=12, choices=Kind.choices)
    floor_area_m2 = models.DecimalField(
        "建筑面积(m²)", max_digits=12, decimal_places=2, default=Decimal(0)
    )
    cost_fen = models.BigIntegerField("工程造价(分)", default=0)
    jurisdiction = models.ForeignKey(
        Jurisdiction, on_delete=models.PROTECT, related_name="projects"
    )
    address = models.CharField("项目地址", max_length=200, blank=True)
    builder = models.ForeignKey(
        Enterprise, on_delete=models.PROTECT, related_name="built_projects", verbose_name="建设单位"
    )
    permit_issued_on = models.DateField("施工许可发证日期", null=True, blank=True)
    planned_start = models.DateField("拟开工日期", null=True, blank=True)
    # registry.lifecycle: the first day of valid attendance, or a declaration (which attendance never overrides).
    actual_start = models.DateField("实际开工日期", null=True, blank=True)
    actual_start_declared = models.BooleanField("实际开工日期经申报", default=False, editable=False)
    completed_on = models.DateField("竣工日期", null=True, blank=True)
    # WF5: the day attendance ends (the first day nobody is obliged to attend), per group of people.
    staff_attendance_stop_on = models.DateField(
        "劳务及其他管理人员停止考勤日期", null=True, blank=True
    )
    pm_attendance_stop_on = models.DateField("项目经理停止考勤日期", null=True, blank=True)
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.PENDING)
    opt_in = models.BooleanField(
        "自愿纳入", default=False, help_text="规模以下项目自愿纳入实名制管理"
    )
    in_scope = models.BooleanField("纳入实名制管理", default=False, editable=False)

    class Meta:
        verbose_name = verbose_name_plural = "工程项目"
        ordering = ["-planned_start", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(cost_fen__gte=0), name="project_cost_nonneg"),
            models.CheckConstraint(condition=Q(floor_area_m2__gte=0), name="project_area_nonneg"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def meets_scale(self) -> bool:
        """S1 thresholds, inclusive."""
        if self.kind == self.Kind.BUILDING:
            return Decimal(self.floor_area_m2) >= SCOPE_MIN_FLOOR_AREA_M2
        return self.cost_fen >= SCOPE_MIN_COST_FEN

    def save(self, *args, **kwargs) -> None:
        self.in_scope = self.meets_scale or self.opt_in
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "in_scope"}
        super().save(*args, **kwargs)


class Participant(TimeStampedModel):
    """参建单位 (ProjectSubContractor): an enterprise on a project in a role (corpType 001–012)."""

    GC = "009"
    SUPERVISION = "007"
    BUILDER = "008"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="participants")
    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.PROTECT, related_name="participations"
    )
    corp_type = models.CharField("参建类型", max_length=3)
    entry_on = models.DateField("进场日期", null=True, blank=True)
    exit_on = models.DateField("退场日期", null=True, blank=True)
    pm_name = models.CharField("项目负责人", max_length=40, blank=True)
    pm_phone = EncryptedTextField("项目负责人电话", blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "参建单位"
        ordering = ["project", "corp_type"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "enterprise", "corp_type"], name="participant_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.project} / {self.enterprise} ({self.corp_type})"


class Team(TimeStampedModel):
    """班组 (Team): belongs to one enterprise on one project."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="teams")
    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="teams")
    name = models.CharField("班组名称", max_length=60)
    leader = models.ForeignKey(
        "Worker",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="班组长",
    )
    responsible_name = models.CharField("责任人", max_length=40, blank=True)
    responsible_phone = EncryptedTextField("责任人电话", blank=True)
    entry_on = models.DateField("进场日期", null=True, blank=True)
    exit_on = models.DateField("退场日期", null=True, blank=True)
    remark = models.CharField("备注", max_length=200, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "班组"
        ordering = ["project", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "enterprise", "name"], name="team_unique_name"
            )
        ]

    def __str__(self) -> str:
        return self.name


def card_photo_upload(instance: models.Model, filename: str) -> str:
    return private_name("card", filename)


def face_photo_upload(instance: models.Model, filename: str) -> str:
    return private_name("face", filename)


class Worker(TimeStampedModel):
    """人员 (R3): one natural person, found by (证件类型, keyed hash of the number). Personal numbers encrypted."""

    ID_CARD = "01"

    id_card_type = models.CharField("证件类型", max_length=2, default=ID_CARD)
    id_number = EncryptedTextField("证件号码")
    id_number_index = models.CharField("证件号码索引", max_length=64, editable=False)
    name = models.CharField("姓名", max_length=40)
    gender = models.CharField("性别", max_length=1, choices=[("1", "男"), ("2", "女")])
    nation = models.CharField("民族", max_length=2, blank=True)
    birth_date = models.DateField("出生日期", null=True, blank=True)
    address = EncryptedTextField("住址", max_length=200, blank=True)
    grant_org = models.CharField("发证机关", max_length=80, blank=True)
    id_valid_from = models.DateField("证件有效期起", null=True, blank=True)
    id_valid_to = models.DateField("证件有效期止", null=True, blank=True, help_text="空表示长期")
    card_photo = models.ImageField("证件照片", upload_to=card_photo_upload, blank=True)
    face_photo = models.ImageField("现场人脸照片", upload_to=face_photo_upload, blank=True)
    phone = EncryptedTextField("手机号码", blank=True)
    phone_index = models.CharField(
        "手机号码索引", max_length=64, blank=True, default="", db_index=True, editable=False
    )
    culture_level = models.CharField("文化程度", max_length=2, blank=True)
    politics_type = models.CharField("政治面貌", max_length=2, blank=True)
    bank_card = EncryptedTextField("工资卡号", blank=True)
    bank_code = models.CharField("工资卡银行代码", max_length=3, blank=True)
    bank_name = models.CharField("工资卡开户行", max_length=60, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "人员"
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["id_card_type", "id_number_index"], name="worker_unique_id"
            )
        ]
        indexes = [
            # People lists sorted by name page through this index instead of sorting every person.
            models.Index(fields=["name", "id"], name="worker_name_id"),
            # The search by ID number gives the blind index alone (the unique key leads with the type).
            models.Index(fields=["id_number_index"], name="worker_id_number_index"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        # The phone's blind index follows the phone on every save; bulk_create bypasses save(), so bulk
        # writers set phone_index themselves (registry.demo).
        update_fields = kwargs.get("update_fields")
        if update_fields is None or "phone" in update_fields:
            self.phone_index = identity.phone_index(self.phone or "")
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "phone_index"}
        super().save(*args, **kwargs)


class Employment(TimeStampedModel):
    """项目人员 (ProjectWorker): a worker on a project through an employer and (for labor) a team."""

    class Role(models.TextChoices):
        MANAGER = "10", "管理人员"
        WORKER = "20", "建筑工人"

    class Status(models.TextChoices):
        ACTIVE = "active", "在场"
        EXITED = "exited", "已退场"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="employments")
    worker = models.ForeignKey(Worker, on_delete=models.PROTECT, related_name="employments")
    employer = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="employments")
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.PROTECT, related_name="members"
    )
    work_type = models.CharField("工种", max_length=3)
    work_role = models.CharField(
        "人员类型", max_length=2, choices=Role.choices, default=Role.WORKER
    )
    is_team_leader = models.BooleanField("班组长", default=False)
    entry_on = models.DateField("进场日期")
    exit_on = models.DateField("退场日期", null=True, blank=True)
    status = models.CharField("状态", max_length=8, choices=Status.choices, default=Status.ACTIVE)
    # 进场登记 (A2): a person registered through the entry desk waits here until the entry checks pass;
    # only admitted people are sent to the site's gates. Roster imports and older rows are admitted.
    gate_status = models.CharField(
        "闸机下发",
        max_length=8,
        choices=[("admitted", "已下发"), ("pending", "待进场核验")],
        default="admitted",
    )

    class Meta:
        verbose_name = verbose_name_plural = "项目人员"
        ordering = ["project", "worker"]
        indexes = [
            # the ingest's roster check: who is on this project on the pass's day
            models.Index(fields=["project", "worker"], name="employment_roster_idx"),
            # who is on two rosters at once (the double-shift list), read from the index alone
            models.Index(
                fields=["worker", "project", "entry_on", "exit_on"], name="employment_worker_sites"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "worker"],
                condition=Q(status="active"),
                name="employment_one_active_per_project",
            ),
            models.CheckConstraint(
                condition=Q(exit_on__isnull=True) | Q(exit_on__gte=models.F("entry_on")),
                name="employment_exit_after_entry",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.worker} @ {self.project}"


class KeyPost(TimeStampedModel):
    """现场管理岗位 (R4): a post of the GC or the supervision firm on a project. The post is what is attended."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="key_posts")
    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="key_posts")
    post = models.CharField("岗位", max_length=3)
    holder = models.ForeignKey(
        Worker,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="key_posts",
        verbose_name="在岗人员",
    )
    holder_since = models.DateField("任职日期", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "现场管理岗位"
        ordering = ["project", "post"]
        constraints = [
            models.UniqueConstraint(fields=["project", "enterprise", "post"], name="keypost_unique")
        ]

    def __str__(self) -> str:
        return f"{self.project} {self.post}"


class KeyPostHolding(models.Model):
    """岗位任职记录: who held a post when, and on what basis (施工许可 / 变更)."""

    key_post = models.ForeignKey(KeyPost, on_delete=models.CASCADE, related_name="holdings")
    worker = models.ForeignKey(Worker, on_delete=models.PROTECT, related_name="+")
    start_on = models.DateField("开始")
    end_on = models.DateField("结束", null=True, blank=True)
    basis = models.CharField("依据", max_length=80, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = verbose_name_plural = "岗位任职记录"
        ordering = ["key_post", "-start_on"]

    def __str__(self) -> str:
        return f"{self.key_post} {self.worker} {self.start_on}"


class ProjectPause(models.Model):
    """停工期间 (WF2/WF3): from the approved suspension to the day before attendance resumes. While a pause
    runs the site's attendance obligations rest; `end_on` is empty until a resumption is approved."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="pauses")
    start_on = models.DateField("停工起始日期")
    end_on = models.DateField("停工结束日期", null=True, blank=True)
    suspension_ref = models.CharField("停工审批单号", max_length=20)
    resumption_ref = models.CharField("复工审批单号", max_length=20, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "停工期间"
        ordering = ["project", "start_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["project"], condition=Q(end_on__isnull=True), name="one_open_pause"
            ),
            models.CheckConstraint(
                condition=Q(end_on__isnull=True) | Q(end_on__gte=models.F("start_on")),
                name="pause_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project} {self.start_on}–{self.end_on or ''}"


def enrollment_upload(instance: models.Model, filename: str) -> str:
    return private_name("enroll", filename)


class FaceEnrollment(models.Model):
    """窗口人脸采集 (R5): a key-post manager's face captured at the bureau's service window, quality-checked.
    The newest one is the person's face photo on every site's devices."""

    worker = models.ForeignKey(Worker, on_delete=models.PROTECT, related_name="enrollments")
    photo = models.ImageField("采集照片", upload_to=enrollment_upload)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    faces = models.PositiveSmallIntegerField("检测到人脸数")
    source = models.CharField(
        "来源", max_length=8, choices=[("camera", "摄像头采集"), ("upload", "上传照片")]
    )
    enrolled_at = models.DateTimeField("采集时间", auto_now_add=True)
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = verbose_name_plural = "窗口人脸采集"
        ordering = ["-enrolled_at"]

    def __str__(self) -> str:
        return f"{self.worker_id} {self.enrolled_at:%Y-%m-%d}"


class KeyPostChange(TimeStampedModel):
    """岗位人员变更 (WF4): the permit names a new holder for a post. The new person takes the post only once
    a face enrolled at the window exists; until then the original holder keeps attending."""

    class Status(models.TextChoices):
        AWAITING_FACE = "awaiting_face", "待窗口采集人脸"
        EFFECTIVE = "effective", "已生效"
        CANCELLED = "cancelled", "已撤销"

    key_post = models.ForeignKey(KeyPost, on_delete=models.PROTECT, related_name="changes")
    old_worker = models.ForeignKey(
        Worker, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    new_worker = models.ForeignKey(Worker, on_delete=models.PROTECT, related_name="+")
    permit_ref = models.CharField("变更依据（施工许可变更文号）", max_length=60)
    permit_approved_on = models.DateField("施工许可变更批准日期")
    source = models.CharField(
        "来源",
        max_length=16,
        choices=[("authority", "主管部门录入"), ("permit_system", "施工许可系统")],
    )
    status = models.CharField(
        "状态", max_length=16, choices=Status.choices, default=Status.AWAITING_FACE
    )
    effective_on = models.DateField("生效日期", null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = verbose_name_plural = "岗位人员变更"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["key_post"],
                condition=Q(status="awaiting_face"),
                name="one_pending_change_per_post",
            )
        ]

    def __str__(self) -> str:
        return f"{self.key_post} → {self.new_worker_id}"


class PlannedStartDeclaration(AppendOnlyModel):
    """建设单位拟开工日期申报 (P2, C6): the builder answers for the planned start its project is judged from
    (planned start + 10 days). Each declaration or confirmation is a new row; the latest is the current one.
    A declaration never moves `Project.planned_start` itself: a change of the start is WF1's."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="start_declarations"
    )
    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.PROTECT, related_name="start_declarations"
    )
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    declared_at = models.DateTimeField("申报时间")
    planned_start = models.DateField("申报拟开工日期")
    note = models.CharField("说明", max_length=200, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "拟开工日期申报"
        ordering = ["-declared_at", "-pk"]
        indexes = [
            models.Index(fields=["project", "-declared_at"], name="startdecl_project_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.project} {self.planned_start}"

    @property
    def matches_record(self) -> bool:
        return self.planned_start == self.project.planned_start


class RosterTown(models.Model):
    """在场登记人员 by town: how many active employments a person has on the projects of a town (`town`: the
    projects' jurisdiction id), and on every project (`town` 0: the whole city). Kept by triggers on
    Employment and Project (smz/registry/roster.py); a row may stay at 0."""

    town = models.IntegerField("镇区", help_text="项目所属镇区的id；0 表示全市")
    worker = models.ForeignKey(
        Worker, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False, db_index=False
    )
    employments = models.IntegerField("在场登记数", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "镇区在场登记人员"
        constraints = [
            models.UniqueConstraint(fields=["town", "worker"], name="roster_town_unique")
        ]

    def __str__(self) -> str:
        return f"{self.town} {self.worker_id}: {self.employments}"


class RosterCount(models.Model):
    """在场登记人数 by town (`town` 0: the whole city): the people with at least one active employment there,
    the sum of a town's rows (RosterTown's triggers add a row per change on PostgreSQL and fold them now and
    then; SQLite keeps one row a town). What the city's home page shows, read in a few rows."""

    town = models.IntegerField("镇区", help_text="项目所属镇区的id；0 表示全市")
    people = models.IntegerField("人数变化", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "镇区在场登记人数"

    def __str__(self) -> str:
        return f"{self.town}: {self.people}"
