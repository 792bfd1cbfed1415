from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from smz.accounts.models import ApiToken, TotpDevice, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "display_name", "role", "authority", "enterprise", "is_active"]
    list_filter = ["role", "is_active"]
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (
            "实名制平台",
            {"fields": ("display_name", "role", "authority", "enterprise", "worker", "projects")},
        ),
    )
    raw_id_fields = ["worker"]
    filter_horizontal = ["projects", "groups", "user_permissions"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "user",
        "prefix",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    ]
    readonly_fields = ["prefix", "key_hash", "created_at", "last_used_at", "replaced_by"]


@admin.register(TotpDevice)
class TotpDeviceAdmin(admin.ModelAdmin):
    """Deleting a device lets its owner bind a new authenticator (lost phone, no recovery code left)."""

    list_display = ["user", "confirmed_at", "locked_until"]
    fields = ["user", "confirmed_at", "locked_until"]
    readonly_fields = ["user", "confirmed_at"]
