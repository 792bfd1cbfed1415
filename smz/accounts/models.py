"""Accounts (P2, P3): each user belongs to an authority, an enterprise, or is a worker, and has one role."""

from __future__ import annotations

import hashlib

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q

from smz.core.fields import EncryptedTextField
from smz.core.roles import (
    AUTHORITY_ROLES,
    BUILDER_ROLES,
    ENTERPRISE_ROLES,
    PROJECT_BOUND_ROLES,
    Role,
)

__all__ = [
    "AUTHORITY_ROLES",
    "BUILDER_ROLES",
    "ENTERPRISE_ROLES",
    "PROJECT_BOUND_ROLES",
    "Role",
    "User",
]


class User(AbstractUser):
    display_name = models.CharField("姓名", max_length=40, blank=True)
    role = models.CharField("角色", max_length=24, choices=Role.choices)
    authority = models.ForeignKey(
        "registry.Authority", null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    enterprise = models.ForeignKey(
        "registry.Enterprise", null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    worker = models.OneToOneField(
        "registry.Worker", null=True, blank=True, on_delete=models.PROTECT, related_name="user"
    )
    projects = models.ManyToManyField(
        "registry.Project", blank=True, related_name="assigned_users", verbose_name="负责项目"
    )

    class Meta:
        verbose_name = verbose_name_plural = "用户"
        constraints = [
            # A user is anchored in exactly the body its role needs (P3): no floating accounts.
            models.CheckConstraint(
                name="user_anchor_matches_role",
                condition=(
                    Q(role="")
                    | Q(role__in=sorted(r.value for r in AUTHORITY_ROLES), authority__isnull=False)
                    | Q(
                        role__in=sorted(r.value for r in ENTERPRISE_ROLES), enterprise__isnull=False
                    )
                    | Q(role=Role.BUILDER, enterprise__isnull=False)
                    | Q(role=Role.WORKER, worker__isnull=False)
                ),
            )
        ]

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def role_label(self) -> str:
        if self.role:
            return Role(self.role).label
        return "系统管理员" if self.is_superuser else "未分配角色"


class ApiToken(models.Model):
    """Machine-client token (Authorization: Bearer <token>). Only its SHA-256 is stored.

    Valid until expires_at (settings.SMZ_API_TOKEN_DAYS after issue); a rotation revokes it and issues its
    successor (replaced_by) with a fresh term.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField("用途", max_length=60)
    prefix = models.CharField("前缀", max_length=8)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField("有效期至")
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    replaced_by = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replaces"
    )

    class Meta:
        verbose_name = verbose_name_plural = "接口令牌"
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")), name="apitoken_expires_later"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()


class LoginCode(models.Model):
    """短信验证码: a one-time code for a worker's phone login. Only a keyed hash of the code is stored."""

    phone_index = models.CharField(max_length=64)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "登录验证码"
        indexes = [
            # rate limits and verification read a phone's latest codes
            models.Index(fields=["phone_index", "created_at"], name="logincode_phone_created_idx"),
            # the per-address and platform-wide hourly caps
            models.Index(fields=["ip", "created_at"], name="logincode_ip_created_idx"),
            models.Index(fields=["created_at"], name="logincode_created_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")), name="logincode_expires_later"
            )
        ]


class TotpDevice(models.Model):
    """两步验证 (等保三级): a user's authenticator app, RFC 6238 TOTP. The secret is stored encrypted."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="totp_device")
    secret = EncryptedTextField()
    confirmed_at = models.DateTimeField()
    # Replay guard: a code (its 30-second step) is accepted once.
    last_step = models.BigIntegerField(default=0)
    failures = models.PositiveSmallIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "两步验证设备"

    def __str__(self) -> str:
        return f"TOTP {self.user_id}"


class RecoveryCode(models.Model):
    """A one-time recovery code for a lost authenticator; only a keyed hash is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "两步验证恢复码"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "code_hash"], name="recoverycode_user_hash_uniq"
            )
        ]
