from django.contrib import admin

from smz.compliance.models import LegacySystemProject, Phase, Regime


@admin.register(Phase)
class PhaseAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "starts_on", "ends_on", "deducts"]


@admin.register(Regime)
class RegimeAdmin(admin.ModelAdmin):
    list_display = ["rank", "code", "name", "permit_from", "permit_before", "dock_by"]


@admin.register(LegacySystemProject)
class LegacySystemProjectAdmin(admin.ModelAdmin):
    list_display = ["project", "attended_since", "created_at"]
    raw_id_fields = ["project"]
