"""Cross-domain records: the business event log and the personal-data access audit. Both append-only."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        raise PermissionError(f"{self.model.__name__} is append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError(f"{self.model.__name__} is append-only")

    def retention_delete(self) -> tuple[int, dict[str, int]]:
        """The one way append-only rows go: their retention has run out (L4). The caller writes the event."""
        return models.QuerySet.delete(self)


class AppendOnlyModel(models.Model):
    """Rows are inserted once and never changed or deleted through the ORM."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise PermissionError(f"{type(self).__name__} is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise PermissionError(f"{type(self).__name__} is append-only")


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        abstract = True


class Event(AppendOnlyModel):
    """业务事件: one row per business write (who, when, what, on which record, with what data)."""

    at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField("事件", max_length=64, db_index=True)
    subject_type = models.CharField("对象类型", max_length=64)
    subject_id = models.BigIntegerField("对象ID")
    data = models.JSONField("数据", default=dict, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "业务事件"
        indexes = [models.Index(fields=["subject_type", "subject_id", "at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.subject_type}#{self.subject_id}"


class PersonalDataAccess(AppendOnlyModel):
    """个人信息访问审计: every unmasked read of personal data (PIPL; N2)."""

    at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    subject_type = models.CharField("对象类型", max_length=64)
    subject_id = models.BigIntegerField("对象ID")
    field = models.CharField("字段", max_length=64)
    purpose = models.CharField("用途", max_length=200)

    class Meta:
        verbose_name = verbose_name_plural = "个人信息访问审计"
        indexes = [models.Index(fields=["subject_type", "subject_id", "at"])]

    def __str__(self) -> str:
        return f"{self.actor_id} read {self.subject_type}#{self.subject_id}.{self.field}"


class SeedStep(models.Model):
    """演示数据步骤: a demo seed step that finished (make run resumes the rest, never serves half a demo)."""

    name = models.CharField("步骤", max_length=64, unique=True)
    finished_at = models.DateTimeField("完成时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "演示数据步骤"
