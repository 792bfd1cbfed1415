"""Labor contracts and wages (L1, L2; 保障农民工工资支付条例): contracts per worker and employer, the project's
wage special account, monthly payrolls (工资表) drafted from attendance, and payments through the special
account by the general contractor (总包代发) with the bank's per-line results. Money in integer fen.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from smz.core.fields import EncryptedTextField
from smz.core.files import private_name
from smz.core.models import TimeStampedModel


def contract_scan_upload(instance: models.Model, filename: str) -> str:
    return private_name("contract", filename, default_suffix=".pdf")


def payroll_scan_upload(instance: models.Model, filename: str) -> str:
    return private_name("payroll", filename, default_suffix=".pdf")


class WageKind(models.TextChoices):
    DAILY = "daily", "日工资"
    MONTHLY = "monthly", "月工资"
    PIECE = "piece", "计件工资"


class LaborContract(TimeStampedModel):
    """劳动合同 (L1, WorkerContract.Add): one per person and employer on a project; a renewal ends the old one."""

    class PeriodType(models.TextChoices):
        FIXED = "fixed", "固定期限"  # national code 0
        TASK = "task", "以完成一定工作任务为期限"  # national code 1

    class Status(models.TextChoices):
        ACTIVE = "active", "有效"
        ENDED = "ended", "已终止"

    no = models.CharField("合同编号", max_length=24, unique=True)
    employment = models.ForeignKey(
        "registry.Employment", on_delete=models.PROTECT, related_name="contracts"
    )
    period_type = models.CharField("期限类型", max_length=8, choices=PeriodType.choices)
    start_on = models.DateField("开始日期")
    end_on = models.DateField("终止日期", null=True, blank=True)
    task_description = models.CharField("工作任务", max_length=200, blank=True)
    wage_kind = models.CharField("工资形式", max_length=8, choices=WageKind.choices)
    rate_fen = models.BigIntegerField("工资标准(分)")
    piece_unit = models.CharField("计量单位", max_length=8, blank=True)
    pay_day = models.PositiveSmallIntegerField("工资支付日", help_text="每月该日前支付上月工资")
    status = models.CharField("状态", max_length=8, choices=Status.choices, default=Status.ACTIVE)
    signed_scan = models.FileField("签字合同扫描件", upload_to=contract_scan_upload, blank=True)
    signed_uploaded_at = models.DateTimeField("扫描件上传时间", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    retain_until = models.DateField("保存期限", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "劳动合同"
        ordering = ["-start_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["employment"], condition=Q(status="active"), name="one_active_contract"
            ),
            models.CheckConstraint(condition=Q(rate_fen__gt=0), name="contract_rate_positive"),
            models.CheckConstraint(
                condition=Q(pay_day__gte=1) & Q(pay_day__lte=31), name="contract_pay_day"
            ),
            models.CheckConstraint(
                condition=Q(end_on__isnull=True) | Q(end_on__gte=models.F("start_on")),
                name="contract_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.no


class WageAccount(TimeStampedModel):
    """农民工工资专用账户 (条例 Art.26): opened by the general contractor for one project's wages only."""

    project = models.OneToOneField(
        "registry.Project", on_delete=models.PROTECT, related_name="wage_account"
    )
    bank_code = models.CharField("开户银行代码", max_length=3)
    bank_name = models.CharField("开户行", max_length=60)
    account_name = models.CharField("账户名称", max_length=80)
    account_no = EncryptedTextField("账号")
    opened_on = models.DateField("开户日期")

    class Meta:
        verbose_name = verbose_name_plural = "工资专用账户"

    def __str__(self) -> str:
        return f"{self.project_id} {self.bank_name}"


class MinimumWage(models.Model):
    """最低工资标准: set by the provincial government per city class; dated rows, the newest in force wins."""

    valid_from = models.DateField("执行日期", unique=True)
    monthly_fen = models.BigIntegerField("月最低工资(分)")
    hourly_fen = models.BigIntegerField("非全日制小时最低工资(分)")
    source = models.CharField("依据", max_length=120)

    class Meta:
        verbose_name = verbose_name_plural = "最低工资标准"
        ordering = ["-valid_from"]

    def __str__(self) -> str:
        return f"{self.valid_from} {self.monthly_fen}"


class Payroll(TimeStampedModel):
    """工资表 (L2, Payroll.Add): one employer's (and team's) wages for one month on one project. Drafted from
    attendance and contracts, edited by the employer's labor specialist, confirmed by each worker, submitted
    (then locked), reviewed by the general contractor, paid through the special account. A correction
    sheet (更正表) changes a submitted one; the original never changes."""

    class State(models.TextChoices):
        DRAFT = "draft", "编制中"
        SUBMITTED = "submitted", "已提交待总包审核"
        REVIEWED = "reviewed", "总包已审核待发放"
        PAYING = "paying", "发放中"
        PAID = "paid", "已发放"
        PARTLY_PAID = "partly_paid", "部分发放失败"

    no = models.CharField("工资表编号", max_length=24, unique=True)
    project = models.ForeignKey(
        "registry.Project", on_delete=models.PROTECT, related_name="payrolls"
    )
    employer = models.ForeignKey(
        "registry.Enterprise", on_delete=models.PROTECT, related_name="payrolls"
    )
    team = models.ForeignKey(
        "registry.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="payrolls"
    )
    month = models.DateField("工资月份", help_text="当月1日")
    corrects = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="corrections",
        verbose_name="更正的工资表",
    )
    state = models.CharField("状态", max_length=12, choices=State.choices, default=State.DRAFT)
    pay_due_on = models.DateField("应发放日期")
    signed_sheet = models.FileField(
        "工人签字工资表扫描件", upload_to=payroll_scan_upload, blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    retain_until = models.DateField("保存期限", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "工资表"
        ordering = ["-month", "project", "employer"]
        constraints = [
            # One regular sheet per team and month, or per employer and month when it covers all teams
            # (two partial constraints: SQLite has no NULLS NOT DISTINCT).
            models.UniqueConstraint(
                fields=["project", "employer", "team", "month"],
                condition=Q(corrects__isnull=True, team__isnull=False),
                name="one_payroll_per_team_month",
            ),
            models.UniqueConstraint(
                fields=["project", "employer", "month"],
                condition=Q(corrects__isnull=True, team__isnull=True),
                name="one_payroll_per_employer_month",
            ),
        ]

    def __str__(self) -> str:
        return self.no

    @property
    def locked(self) -> bool:
        return self.state != self.State.DRAFT


class PayrollLine(models.Model):
    """工资表明细: one worker's month. Figures the worker confirmed are never changed afterwards."""

    class PayStatus(models.TextChoices):
        UNPAID = "unpaid", "未发放"
        SENT = "sent", "已提交银行"
        PAID = "paid", "已发放"
        FAILED = "failed", "发放失败"

    payroll = models.ForeignKey(Payroll, on_delete=models.CASCADE, related_name="lines")
    employment = models.ForeignKey(
        "registry.Employment", on_delete=models.PROTECT, related_name="payroll_lines"
    )
    worker = models.ForeignKey("registry.Worker", on_delete=models.PROTECT, related_name="+")
    contract = models.ForeignKey(
        LaborContract, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    days_attended = models.PositiveSmallIntegerField("出勤天数")
    minutes_attended = models.PositiveIntegerField("出勤分钟")
    days_paid = models.PositiveSmallIntegerField("计薪天数")
    hours_paid = models.DecimalField("计薪工时", max_digits=6, decimal_places=1)
    wage_kind = models.CharField("工资形式", max_length=8, choices=WageKind.choices)
    rate_fen = models.BigIntegerField("工资标准(分)")
    quantity = models.DecimalField("计件数量", max_digits=10, decimal_places=2, default=0)
    gross_fen = models.BigIntegerField("应发工资(分)")
    deductions_fen = models.BigIntegerField("代扣代缴(分)", default=0)
    deductions_note = models.CharField("代扣项目", max_length=120, blank=True)
    net_fen = models.BigIntegerField("实发工资(分)")
    note = models.CharField("备注（工资标准与合同不一致的说明）", max_length=200, blank=True)
    confirmed_at = models.DateTimeField("工人确认时间", null=True, blank=True)
    confirmed_via = models.CharField(
        "确认方式",
        max_length=12,
        blank=True,
        choices=[("online", "工人本人在线确认"), ("signed_sheet", "工人签字工资表")],
    )
    pay_status = models.CharField(
        "发放状态", max_length=8, choices=PayStatus.choices, default=PayStatus.UNPAID
    )
    paid_fen = models.BigIntegerField("已发金额(分)", default=0)
    paid_on = models.DateField("发放日期", null=True, blank=True)
    bank_serial = models.CharField("银行流水号", max_length=64, blank=True)
    fail_reason = models.CharField("失败原因", max_length=120, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "工资表明细"
        ordering = ["payroll", "worker__name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["payroll", "worker"], name="one_line_per_worker"),
            models.CheckConstraint(
                condition=Q(net_fen=models.F("gross_fen") - models.F("deductions_fen")),
                name="net_is_gross_minus_deductions",
            ),
            models.CheckConstraint(condition=Q(gross_fen__gte=0), name="gross_nonneg"),
            models.CheckConstraint(condition=Q(deductions_fen__gte=0), name="deductions_nonneg"),
        ]

    def __str__(self) -> str:
        return f"{self.payroll_id}:{self.worker_id}"


class PaymentBatch(TimeStampedModel):
    """代发批次: the bank file the general contractor exported for a set of reviewed payroll lines."""

    class State(models.TextChoices):
        EXPORTED = "exported", "已导出待银行处理"
        SETTLED = "settled", "已导入银行结果"

    no = models.CharField("批次号", max_length=24, unique=True)
    project = models.ForeignKey("registry.Project", on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=10, choices=State.choices, default=State.EXPORTED)
    total_fen = models.BigIntegerField("合计金额(分)")
    line_count = models.PositiveIntegerField("笔数")
    exported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    result_imported_at = models.DateTimeField("结果导入时间", null=True, blank=True)
    receipt = models.FileField("银行回单", upload_to=payroll_scan_upload, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "代发批次"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.no


class PaymentLine(models.Model):
    """One transfer in a batch; its reference is what the bank's result file answers to."""

    batch = models.ForeignKey(PaymentBatch, on_delete=models.PROTECT, related_name="lines")
    payroll_line = models.ForeignKey(PayrollLine, on_delete=models.PROTECT, related_name="payments")
    line_ref = models.CharField("明细编号", max_length=32, unique=True)
    amount_fen = models.BigIntegerField("金额(分)")
    status = models.CharField(
        max_length=8,
        choices=[("sent", "待银行结果"), ("paid", "成功"), ("failed", "失败")],
        default="sent",
    )
    bank_serial = models.CharField(max_length=64, blank=True)
    reason = models.CharField(max_length=120, blank=True)
    settled_on = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "代发明细"
        ordering = ["batch", "line_ref"]

    def __str__(self) -> str:
        return self.line_ref


def exit_scan_upload(instance: models.Model, filename: str) -> str:
    return private_name("exit", filename, default_suffix=".pdf")


class ExitSettlement(TimeStampedModel):
    """退场确认书 (L3, notice 三(五)): workload, attendance and wages settled at a worker's exit, confirmed by
    the worker (online, or the printed copy signed or fingerprinted and scanned). Once confirmed the figures
    never change; the exit registration then takes him off the site's devices."""

    class State(models.TextChoices):
        DRAFT = "draft", "待工人确认"
        CONFIRMED = "confirmed", "工人已确认"
        REGISTERED = "registered", "已办理退场登记"

    no = models.CharField("确认书编号", max_length=24, unique=True)
    employment = models.OneToOneField(
        "registry.Employment", on_delete=models.PROTECT, related_name="exit_settlement"
    )
    exit_on = models.DateField("退场日期")
    workload = models.CharField("工作量", max_length=200)
    days_attended = models.PositiveIntegerField("出勤天数")
    months = models.JSONField("按月结算", default=list)  # [["2026-09", owed_fen, paid_fen], ...]
    unpaid_attendance_months = models.JSONField("有考勤无工资表月份", default=list)
    owed_fen = models.BigIntegerField("应发合计(分)")
    paid_fen = models.BigIntegerField("已发合计(分)")
    balance_fen = models.BigIntegerField("未结清(分)")
    state = models.CharField(max_length=12, choices=State.choices, default=State.DRAFT)
    confirmed_at = models.DateTimeField("确认时间", null=True, blank=True)
    confirmed_via = models.CharField(
        max_length=12,
        blank=True,
        choices=[("online", "工人本人在线确认"), ("signed_scan", "工人签字（按手印）确认书扫描件")],
    )
    signed_scan = models.FileField(upload_to=exit_scan_upload, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    retain_until = models.DateField("保存期限", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "退场确认书"
        ordering = ["-exit_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(balance_fen=models.F("owed_fen") - models.F("paid_fen")),
                name="exit_balance_is_owed_minus_paid",
            )
        ]

    def __str__(self) -> str:
        return self.no


class LegalHold(models.Model):
    """法律保全: while a hold on a project stands (a dispute, an inspection, a court order) none of its labor
    records is purged, whatever their retention date."""

    project = models.ForeignKey(
        "registry.Project", on_delete=models.PROTECT, related_name="legal_holds"
    )
    reason = models.CharField("原因", max_length=200)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    placed_at = models.DateTimeField("设置时间", auto_now_add=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    released_at = models.DateTimeField("解除时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "法律保全"
        ordering = ["-placed_at"]

    def __str__(self) -> str:
        return f"{self.project_id} {self.reason}"


class Complaint(TimeStampedModel):
    """维权投诉 (条例 Art.34; issue 6 item 8): a worker's complaint about his wages or contract, routed to the
    authority of the project's area like the workflows are, handled there with a reply he can read."""

    class Category(models.TextChoices):
        ARREARS = "arrears", "拖欠工资"
        UNDERPAID = "underpaid", "工资少发、克扣"
        NO_CONTRACT = "no_contract", "未签劳动合同"
        CARD_HELD = "card_held", "工资卡、身份证被扣押"
        OTHER = "other", "其他"

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "待受理"
        ACCEPTED = "accepted", "已受理处理中"
        RESOLVED = "resolved", "已办结"
        REJECTED = "rejected", "不予受理"

    no = models.CharField("投诉编号", max_length=24, unique=True)
    worker = models.ForeignKey(
        "registry.Worker", on_delete=models.PROTECT, related_name="complaints"
    )
    project = models.ForeignKey(
        "registry.Project", on_delete=models.PROTECT, related_name="complaints"
    )
    authority = models.ForeignKey(
        "registry.Authority", on_delete=models.PROTECT, related_name="complaints"
    )
    category = models.CharField("类型", max_length=12, choices=Category.choices)
    text = models.TextField("投诉内容")
    amount_fen = models.BigIntegerField("涉及金额(分)", default=0)
    status = models.CharField(
        "状态", max_length=10, choices=Status.choices, default=Status.SUBMITTED
    )
    reply = models.TextField("处理意见", blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    handled_at = models.DateTimeField("处理时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "维权投诉"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.no


class SafetyTraining(models.Model):
    """三级安全教育 / 岗前培训 (ProjectTraining): recorded before a person may enter the site."""

    project = models.ForeignKey(
        "registry.Project", on_delete=models.PROTECT, related_name="trainings"
    )
    worker = models.ForeignKey(
        "registry.Worker", on_delete=models.PROTECT, related_name="trainings"
    )
    trained_on = models.DateField("培训日期")
    course = models.CharField("培训内容", max_length=80)
    hours = models.DecimalField("学时", max_digits=4, decimal_places=1)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "安全培训"
        ordering = ["-trained_on"]

    def __str__(self) -> str:
        return f"{self.worker_id} {self.course}"


class Blacklist(models.Model):
    """不良行为黑名单: people barred from sites for a period, set by the city (e.g. 恶意讨薪, 违法分包)."""

    worker = models.ForeignKey("registry.Worker", on_delete=models.PROTECT, related_name="+")
    reason = models.CharField("原因", max_length=200)
    valid_from = models.DateField("开始日期")
    valid_to = models.DateField("截止日期", null=True, blank=True)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = verbose_name_plural = "黑名单"
        ordering = ["-valid_from"]

    def __str__(self) -> str:
        return f"{self.worker_id} {self.reason}"


class AgeRule(models.Model):
    """进场年龄规定: the city's age limits for site work, dated; the newest in force applies."""

    valid_from = models.DateField("执行日期", unique=True)
    min_age = models.PositiveSmallIntegerField("最低年龄")
    max_age_male = models.PositiveSmallIntegerField("男性最高年龄")
    max_age_female = models.PositiveSmallIntegerField("女性最高年龄")
    source = models.CharField("依据", max_length=120)

    class Meta:
        verbose_name = verbose_name_plural = "进场年龄规定"
        ordering = ["-valid_from"]

    def __str__(self) -> str:
        return f"{self.valid_from} {self.min_age}-{self.max_age_male}/{self.max_age_female}"


class Admission(models.Model):
    """进场登记核验 (A2): the checks run before a person was sent to the gates, kept as they were."""

    employment = models.ForeignKey(
        "registry.Employment", on_delete=models.PROTECT, related_name="admissions"
    )
    checks = models.JSONField("核验结果")  # [{"code", "ok", "level", "message"}]
    admitted = models.BooleanField("准予进场")
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    checked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "进场核验"
        ordering = ["-checked_at"]

    def __str__(self) -> str:
        return f"{self.employment_id} {self.admitted}"


class WageDeposit(TimeStampedModel):
    """农民工工资保证金 (条例 Art.32; 人社部发〔2021〕65号): deposited by the general contractor per project, in
    cash at a bank in the city or as a bank guarantee (保函), at a rate of the contract price."""

    class Form(models.TextChoices):
        CASH = "cash", "现金存储"
        GUARANTEE = "guarantee", "银行保函"

    class Status(models.TextChoices):
        ACTIVE = "active", "在存"
        EXEMPT = "exempt", "免缴"
        REFUNDED = "refunded", "已返还"

    project = models.OneToOneField(
        "registry.Project", on_delete=models.PROTECT, related_name="wage_deposit"
    )
    form = models.CharField("形式", max_length=10, choices=Form.choices)
    contract_price_fen = models.BigIntegerField("施工合同额(分)")
    rate_permille = models.PositiveSmallIntegerField("比例(‰)")
    amount_fen = models.BigIntegerField("应存金额(分)")
    balance_fen = models.BigIntegerField("余额(分)")
    due_on = models.DateField("应存截止日期")
    deposited_on = models.DateField("存储日期", null=True, blank=True)
    bank_name = models.CharField("存储银行", max_length=60, blank=True)
    guarantee_no = models.CharField("保函编号", max_length=60, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    exempt_reason = models.CharField("免缴理由", max_length=120, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "工资保证金"

    def __str__(self) -> str:
        return f"{self.project_id} {self.amount_fen}"


class DepositMovement(models.Model):
    """保证金变动: a draw to pay wages, the contractor's top-up, the refund after completion."""

    class Kind(models.TextChoices):
        DEPOSIT = "deposit", "存储"
        DRAW = "draw", "动用支付工资"
        TOP_UP = "top_up", "补足"
        REFUND = "refund", "返还"

    deposit = models.ForeignKey(WageDeposit, on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    amount_fen = models.BigIntegerField("金额(分)")
    on = models.DateField("日期")
    note = models.CharField("说明", max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "保证金变动"
        ordering = ["deposit", "on", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="movement_positive")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount_fen}"


class IdCardScan(models.Model):
    """读卡登记 (A2, R3): a 2nd-generation ID card read at the site's entry desk (an ID-card reader or a tablet),
    with the live face taken at the same time. The person is registered or updated from the card; the labor
    specialist then puts him on the project (pending) and runs the entry checks."""

    class Status(models.TextChoices):
        NEW = "new", "待登记进场"
        REGISTERED = "registered", "已登记进场"
        DISMISSED = "dismissed", "已忽略"

    device = models.ForeignKey("devices.Device", on_delete=models.PROTECT, related_name="+")
    project = models.ForeignKey("registry.Project", on_delete=models.PROTECT, related_name="+")
    record_id = models.CharField("设备记录号", max_length=64)
    worker = models.ForeignKey("registry.Worker", on_delete=models.PROTECT, related_name="+")
    face_ok = models.BooleanField("现场人脸合格", default=False)
    face_problem = models.CharField("人脸问题", max_length=80, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NEW)
    employment = models.ForeignKey(
        "registry.Employment", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "读卡登记"
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(fields=["device", "record_id"], name="idcard_scan_once")
        ]

    def __str__(self) -> str:
        return f"{self.device_id}:{self.record_id}"
