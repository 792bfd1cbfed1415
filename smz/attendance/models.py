"""Attendance (A1–A5): append-only pass records from every protocol, and the daily figures computed from them."""

from __future__ import annotations

from django.db import models

from smz.core.models import AppendOnlyModel, AppendOnlyQuerySet


class PassRecord(models.Model):
    """通行记录. Append-only; deduplicated on (device, device_record_id). Nothing updates rows after insert
    (validity is decided at ingest).

    On PostgreSQL the table is partitioned by month of `work_date` (issue 17 goal 5, `partitions.py`): its
    primary key is (id, work_date) and its unique key (device, device_record_id, work_date), as PostgreSQL
    requires the partition key in both; the unique (device, device_record_id) the ingest relies on is kept
    by `PassKey`. The tables pointing at a pass do so without a database constraint (`db_constraint=False`:
    PostgreSQL cannot reference a partitioned table by id alone); the ingest and retention keep them whole."""

    class Direction(models.TextChoices):
        IN = "in", "进"
        OUT = "out", "出"
        UNKNOWN = "", "未知"

    # No database constraint and no index of their own (issue 17 goal 2, N5): a foreign key check is an index
    # lookup per pass at commit (3 of them: more PostgreSQL time than the pass's own insert), and each column
    # leads one of the indexes below. The ingest stores a pass only for the authenticated device, its project
    # and a person on that project's roster; PROTECT still refuses deleting a device, project or person with
    # passes (Django's collector checks it, whatever the database does).
    device = models.ForeignKey(
        "devices.Device",
        on_delete=models.PROTECT,
        related_name="passes",
        db_constraint=False,
        db_index=False,  # leads pass_unique_device_record
    )
    device_record_id = models.CharField("设备记录号", max_length=64)
    project = models.ForeignKey(
        "registry.Project",
        on_delete=models.PROTECT,
        related_name="passes",
        db_constraint=False,
        db_index=False,  # leads (project, work_date)
    )
    worker = models.ForeignKey(
        "registry.Worker",
        on_delete=models.PROTECT,
        related_name="passes",
        db_constraint=False,
        db_index=False,  # leads (worker, work_date)
    )
    event_time = models.DateTimeField("通行时间")
    event_offset_minutes = models.SmallIntegerField("设备时区(分钟)", default=480)
    work_date = models.DateField("考勤日期")
    received_at = models.DateTimeField("接收时间")
    clock_offset_ms = models.IntegerField("设备时钟偏差(毫秒)", null=True, blank=True)
    direction = models.CharField("方向", max_length=3, choices=Direction.choices, blank=True)
    verify_mode = models.CharField("验证方式", max_length=16, blank=True)
    similarity = models.DecimalField(
        "相似度", max_digits=5, decimal_places=2, null=True, blank=True
    )
    snapshot = models.CharField("抓拍照片", max_length=120, blank=True)
    snapshot_width = models.PositiveIntegerField(null=True, blank=True)
    snapshot_height = models.PositiveIntegerField(null=True, blank=True)
    lng = models.DecimalField("经度", max_digits=10, decimal_places=6, null=True, blank=True)
    lat = models.DecimalField("纬度", max_digits=10, decimal_places=6, null=True, blank=True)
    valid = models.BooleanField("有效", default=True)
    invalid_reason = models.CharField("无效原因", max_length=40, blank=True)
    off_site = models.BooleanField("场外", default=False)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "通行记录"
        constraints = [
            models.UniqueConstraint(
                fields=["device", "device_record_id"], name="pass_unique_device_record"
            )
        ]
        # Every read of passes picks a project's or a person's days first (no index on event_time alone: each
        # index is one more insert per pass, issue 17 goal 2).
        indexes = [
            models.Index(fields=["project", "work_date"]),
            models.Index(fields=["worker", "work_date"]),
        ]

    def __str__(self) -> str:
        return f"{self.device_id}/{self.device_record_id}"

    def snapshot_name(self) -> str:
        """The snapshot sent with the pass, or one attached later (LateSnapshot); "" when none."""
        if self.snapshot:
            return self.snapshot
        late = LateSnapshot.objects.filter(pass_record=self.pk).values_list("snapshot", flat=True)
        return late.first() or ""


class PassKey(models.Model):
    """通行记录号登记: the (device, device_record_id) of every stored pass, unpartitioned, so that a record id
    stays unique across months (PostgreSQL only: a partitioned table's unique keys must include the partition
    key, so PassRecord's own unique key there is per day). The ingest writes a pass's key in the same
    transaction as the pass, and retention removes it with the pass. On SQLite PassRecord keeps its own unique
    (device, device_record_id) and this table stays empty."""

    pk = models.CompositePrimaryKey("device", "device_record_id")
    device = models.ForeignKey(
        "devices.Device",
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
        db_index=False,  # the primary key starts with it
    )
    device_record_id = models.CharField(max_length=64)


class IngestBatch(models.Model):
    """The answer given to a device's batch, so a replay of the same batch id gets the same answers."""

    device = models.ForeignKey("devices.Device", on_delete=models.CASCADE, related_name="+")
    batch_id = models.CharField(max_length=64)
    # sha256 of the batch's record ids in order: a replay must carry the same records (else 409)
    digest = models.CharField(max_length=64, default="")
    received_at = models.DateTimeField(auto_now_add=True)
    response = models.JSONField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["device", "batch_id"], name="ingest_batch_unique")
        ]


# The anomaly codes a daily row may carry (services.daily_rows; their labels: selectors.ANOMALY_LABELS).
ANOMALY_KINDS = ("only_invalid_passes", "no_exit", "off_site", "no_face", "not_same_person")


class DailyAttendance(models.Model):
    """每日考勤: one row per person per project per day, recomputed from pass records."""

    project = models.ForeignKey(
        "registry.Project", on_delete=models.CASCADE, related_name="daily_attendance"
    )
    worker = models.ForeignKey(
        "registry.Worker", on_delete=models.CASCADE, related_name="daily_attendance"
    )
    work_date = models.DateField("日期")
    first_in = models.DateTimeField("首次进场", null=True, blank=True)
    last_out = models.DateTimeField("最后出场", null=True, blank=True)
    minutes = models.PositiveIntegerField("在场分钟", default=0)
    valid_passes = models.PositiveSmallIntegerField("有效通行", default=0)
    invalid_passes = models.PositiveSmallIntegerField("无效通行", default=0)
    attended = models.BooleanField("出勤", default=False)
    anomalies = models.JSONField("异常", default=list, blank=True)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "每日考勤"
        constraints = [
            models.UniqueConstraint(fields=["project", "worker", "work_date"], name="daily_unique")
        ]
        indexes = [
            models.Index(fields=["project", "work_date"]),
            # the city-wide double-shift check groups a day's rows by person
            models.Index(fields=["work_date", "worker"], name="daily_date_worker"),
            # a person's own days across projects (the worker's page, exits, payroll checks)
            models.Index(fields=["worker", "work_date"], name="daily_worker_date"),
            # the anomaly lists: the few rows with an anomaly, by day, without reading the others
            models.Index(
                fields=["work_date", "project"],
                condition=~models.Q(anomalies=[]),
                name="daily_anomalous",
            ),
            # one per anomaly tab, with the tab's own filter (selectors.anomaly_list_for): a month of the
            # city's rows without an exit pass (120,000) is counted from the index alone, not its rows, and
            # a page's keys are sorted from it too (the id a key column: SQLite has no INCLUDE)
            *(
                models.Index(
                    fields=["work_date", "project", "id"],
                    condition=~models.Q(anomalies=[]) & models.Q(anomalies__icontains=kind),
                    name=f"daily_{kind}",
                )
                for kind in ANOMALY_KINDS
            ),
        ]


class MonthlyAttendance(models.Model):
    """月度出勤汇总: per person, project and month, the days attended (DailyAttendance rows with
    attended=True), and the employer of the person's labor (建筑工人) employment on the project, so that the
    monthly checks of 欠薪预警 read counts instead of every day (issue 17 goal 4, N5).

    Kept by the database itself (`monthly.py`, triggers of migration 0020), in the statement that writes the
    rows it derives from, whatever the path (the roll-up's upsert, an ORM write, a cascade, retention):
    `days` from the daily rows, `employer` from the employments. A row may stay at 0 days once its days are
    taken away; readers filter days > 0."""

    # the project's rows are found by the unique key (project, month, worker): no index of its own
    project = models.ForeignKey(
        "registry.Project", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    worker = models.ForeignKey("registry.Worker", on_delete=models.CASCADE, related_name="+")
    month = models.DateField("月份", help_text="当月1日")
    # No CHECK (days >= 0): PostgreSQL checks a row proposed by INSERT … ON CONFLICT before it finds the
    # conflict, and the triggers propose a day taken away as -1 to be added to the stored row.
    days = models.SmallIntegerField("出勤天数", default=0)
    # The employer of the person's latest (highest id) 建筑工人 employment on the project; none: not labor.
    employer = models.ForeignKey(
        "registry.Enterprise",
        null=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_index=False,
        db_constraint=False,  # kept by the triggers from the employments, which protect the enterprise
    )

    class Meta:
        verbose_name = verbose_name_plural = "月度出勤汇总"
        constraints = [
            models.UniqueConstraint(
                fields=["project", "month", "worker"], name="monthly_attendance_unique"
            )
        ]
        indexes = [
            # the employment trigger: a person's months on a project
            models.Index(fields=["worker", "project"], name="monthly_attendance_person"),
        ]

    def __str__(self) -> str:
        return f"{self.project_id}/{self.worker_id} {self.month:%Y-%m}: {self.days}"


class LaborMonth(models.Model):
    """劳务人员月出勤人数: per project, month and employer, how many people whose labor employment on the
    project is with that employer (MonthlyAttendance.employer) attended at least one day that month. Kept by
    triggers on MonthlyAttendance (`monthly.py`); 欠薪预警 reads these counts, a few thousand rows for a
    city, and only the payroll lines person by person. A row may stay at 0 people."""

    project = models.ForeignKey(
        "registry.Project", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    month = models.DateField("月份", help_text="当月1日")
    employer = models.ForeignKey(
        "registry.Enterprise",
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    people = models.IntegerField("出勤人数", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "劳务人员月出勤人数"
        constraints = [
            models.UniqueConstraint(
                fields=["project", "month", "employer"], name="labor_month_unique"
            )
        ]
        indexes = [models.Index(fields=["month", "project"], name="labor_month_month")]

    def __str__(self) -> str:
        return f"{self.project_id} {self.month:%Y-%m} {self.employer_id}: {self.people}"


class SnapshotCheck(AppendOnlyModel):
    """抓拍照片人脸核验: the face check of one pass's snapshot, written once by the background check.
    A pass whose snapshot shows no face is not counted (A5), though it stays stored and visible."""

    pass_record = models.OneToOneField(
        PassRecord,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="snapshot_check",
        db_constraint=False,  # passes are partitioned on PostgreSQL (PassRecord)
    )
    faces = models.PositiveSmallIntegerField("检测到的人脸数")
    detector = models.CharField("检测器", max_length=40)
    checked_at = models.DateTimeField("核验时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "抓拍人脸核验"

    def __str__(self) -> str:
        return f"{self.pass_record_id}: {self.faces}"


class KeyPostDay(models.Model):
    """关键岗位每日考勤 (A4): one row per key post per day. The post counts, not the person: it is attended
    when the person holding it that day attended the project."""

    key_post = models.ForeignKey("registry.KeyPost", on_delete=models.CASCADE, related_name="days")
    project = models.ForeignKey("registry.Project", on_delete=models.CASCADE, related_name="+")
    work_date = models.DateField("日期")
    holder = models.ForeignKey(
        "registry.Worker", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    attended = models.BooleanField("到岗", default=False)
    first_in = models.DateTimeField("首次进场", null=True, blank=True)
    minutes = models.PositiveIntegerField("在场分钟", default=0)
    # Why the post need not be attended that day (registry.obligations.Exemption); "" = it must be.
    exemption = models.CharField("免考勤原因", max_length=16, blank=True, default="")
    # Why a holder with counted passes is still not attended (a key of validity.INVALID_REASONS: every counted
    # pass was excluded, e.g. "not_same_person" from face identity); "" otherwise.
    absence_reason = models.CharField("未到岗原因", max_length=16, blank=True, default="")
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "关键岗位每日考勤"
        constraints = [
            models.UniqueConstraint(fields=["key_post", "work_date"], name="keypostday_unique")
        ]
        indexes = [
            models.Index(fields=["project", "work_date"]),
            # the key-post absences list, newest day first, without reading the attended days
            models.Index(
                fields=["work_date"],
                condition=models.Q(attended=False, exemption=""),
                name="keypostday_absent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key_post_id} {self.work_date}"


class LateSnapshot(AppendOnlyModel):
    """A snapshot that arrived after its pass (ZKTeco terminals send ATTPHOTO separately from ATTLOG, in
    either order). Attached once to a pass stored without one; the pass is then judged by this snapshot."""

    pass_record = models.OneToOneField(
        PassRecord,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="late_snapshot",
        db_constraint=False,  # passes are partitioned on PostgreSQL (PassRecord)
    )
    snapshot = models.CharField("抓拍照片", max_length=120)
    snapshot_width = models.PositiveIntegerField()
    snapshot_height = models.PositiveIntegerField()
    received_at = models.DateTimeField("接收时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "补传抓拍照片"

    def __str__(self) -> str:
        return str(self.pass_record_id)


class PassContest(models.Model):
    """通行记录申诉 (issue 13 item 5): the person or his employer contests a pass judged invalid (e.g. the
    snapshot was fine); an approver of the project's authority accepts or rejects it once. The pass itself is
    never updated: an accepted contest makes it count through validity.pass_invalid_reason. Never deleted."""

    class State(models.TextChoices):
        FILED = "filed", "待处理"
        ACCEPTED = "accepted", "申诉成立"
        REJECTED = "rejected", "申诉不成立"

    pass_record = models.ForeignKey(
        PassRecord,
        on_delete=models.PROTECT,
        related_name="contests",
        db_constraint=False,  # passes are partitioned on PostgreSQL (PassRecord)
    )
    project = models.ForeignKey("registry.Project", on_delete=models.PROTECT, related_name="+")
    worker = models.ForeignKey("registry.Worker", on_delete=models.PROTECT, related_name="+")
    authority = models.ForeignKey("registry.Authority", on_delete=models.PROTECT, related_name="+")
    enterprise = models.ForeignKey(
        "registry.Enterprise", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    filed_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    filed_at = models.DateTimeField("申诉时间", auto_now_add=True)
    reason = models.TextField("申诉理由")
    invalid_reason = models.CharField("申诉时的无效原因", max_length=40)
    state = models.CharField("状态", max_length=8, choices=State.choices, default=State.FILED)
    decided_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField("处理时间", null=True, blank=True)
    decision = models.TextField("处理意见", blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "通行记录申诉"
        ordering = ["-filed_at", "-pk"]
        constraints = [
            # at most one open or accepted contest per pass; a rejected one may be followed by another
            models.UniqueConstraint(
                fields=["pass_record"],
                condition=~models.Q(state="rejected"),
                name="passcontest_one_open_or_accepted",
            )
        ]

    def __str__(self) -> str:
        return f"{self.pass_record_id}: {self.state}"


class SnapshotBlob(models.Model):
    """Where a gate snapshot is stored when it came in a batch: its entry in a pack file (one sealed file per
    ingest batch, smz.core.storage.pack_write). A name not here is a file of its own under that name (snapshots
    stored before packs, and the test and demo seeds). Content-addressed like the name: written once, and a
    pack goes when none of its entries is used any more (retention)."""

    name = models.CharField("抓拍照片", max_length=120, primary_key=True)
    pack = models.CharField("存储包", max_length=120, db_index=True)
    offset = models.BigIntegerField("包内位置")

    class Meta:
        verbose_name = verbose_name_plural = "抓拍照片存储位置"

    def __str__(self) -> str:
        return self.name
